"""Checkpoints: model (safetensors), optimizer (tensors only), trainer state (JSON), RNG per rank.

    out_dir/checkpoints/step-000200/
        model.safetensors   full state dict, balancing biases included (they are buffers)
        optimizer.pt        full AdamW state, read back with torch.load(weights_only=True)
        trainer.json        step, tokens, data position, LR schedule state, metrics of the step
        rng-rank00000.pt    torch (CPU and CUDA) and Python RNG states of each rank

A checkpoint is written into `.step-000200.tmp/` and renamed into place once every rank has
written its part, so a folder named `step-*` is always complete; a run killed mid-write leaves only
a dot-folder, which the next save removes. Nothing is ever unpickled on load.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from safetensors.torch import load_file, save_file
from torch import nn
from torch.distributed.checkpoint.state_dict import (
    StateDictOptions,
    get_model_state_dict,
    get_optimizer_state_dict,
    set_model_state_dict,
    set_optimizer_state_dict,
)

STEP_DIR = re.compile(r"^step-(\d{6,})$")


def _rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def _barrier() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    for f in path.iterdir():
        with open(f, "rb") as fh:
            os.fsync(fh.fileno())
    _fsync_dir(path)


def step_dir(root: Path, step: int) -> Path:
    return root / f"step-{step:06d}"


def list_checkpoints(root: str | Path) -> list[Path]:
    """Complete checkpoints under root, oldest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in root.iterdir() if p.is_dir() and (m := STEP_DIR.match(p.name))]
    return [p for _, p in sorted(found) if (p / "trainer.json").is_file()]


def latest(root: str | Path) -> Path | None:
    """The newest complete checkpoint, or None."""
    found = list_checkpoints(root)
    return found[-1] if found else None


_FULL = StateDictOptions(full_state_dict=True, cpu_offload=True)


def rng_state() -> dict[str, Any]:
    """This process's RNG states in types torch.load(weights_only=True) accepts."""
    version, internal, gauss = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "python": [version, list(internal), gauss],
    }


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))


def save(root: str | Path, step: int, model: nn.Module, optimizer: torch.optim.Optimizer, trainer_state: dict[str, Any],
         keep_last: int = 3) -> Path:
    """Write checkpoint `step` atomically (all ranks call this), then prune to the newest keep_last."""
    root = Path(root)
    final, tmp = step_dir(root, step), root / f".step-{step:06d}.tmp"
    rank = _rank()
    # Every rank takes part: gathering a full FSDP2 state dict is a collective.
    model_sd = get_model_state_dict(model, options=_FULL)
    optim_sd = get_optimizer_state_dict(model, optimizer, options=_FULL)
    if rank == 0:
        root.mkdir(parents=True, exist_ok=True)
        for stale in root.glob(".step-*.tmp"):
            shutil.rmtree(stale, ignore_errors=True)
        tmp.mkdir()
        save_file({k: v.detach().contiguous().clone() for k, v in model_sd.items()}, str(tmp / "model.safetensors"))
        torch.save(optim_sd, tmp / "optimizer.pt")
        (tmp / "trainer.json").write_text(json.dumps(trainer_state, indent=1) + "\n")
    _barrier()
    torch.save(rng_state(), tmp / f"rng-rank{rank:05d}.pt")
    _barrier()
    if rank == 0:
        _fsync_tree(tmp)
        if final.exists():  # a step re-saved after a resume: replace it whole
            shutil.rmtree(final)
        tmp.rename(final)
        _fsync_dir(root)
        for old in list_checkpoints(root)[:-keep_last] if keep_last > 0 else []:
            shutil.rmtree(old, ignore_errors=True)
    _barrier()
    return final


def load(path: str | Path, model: nn.Module, optimizer: torch.optim.Optimizer | None = None) -> dict[str, Any]:
    """Restore model, optimizer and this rank's RNG from a checkpoint folder; returns the trainer state."""
    path = Path(path)
    state = json.loads((path / "trainer.json").read_text())
    model_sd = load_file(str(path / "model.safetensors"))
    set_model_state_dict(model, model_sd, options=StateDictOptions(full_state_dict=True, strict=True))
    if optimizer is not None:
        optim_sd = torch.load(path / "optimizer.pt", map_location="cpu", weights_only=True)
        set_optimizer_state_dict(model, optimizer, optim_sd, options=StateDictOptions(full_state_dict=True))
    rng = path / f"rng-rank{_rank():05d}.pt"
    if rng.is_file():  # a resume on more ranks than were saved keeps fresh RNG for the new ones
        set_rng_state(torch.load(rng, weights_only=True))
    return state
