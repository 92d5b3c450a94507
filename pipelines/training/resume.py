"""Resuming: which checkpoint, and refusing one made with other settings before any tensor is loaded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from pipelines.dataset.config import differing_keys
from pipelines.errors import InputError, Refused
from pipelines.training import checkpoint
from pipelines.training.config import TrainerConfig, settings_hash
from pipelines.training.loading import Loader


def resume_path(t: TrainerConfig, ckpt_root: Path) -> Path | None:
    """The checkpoint to resume from: none, the newest in ckpt_root (auto), or the folder named."""
    if t.resume == "never":
        return None
    if t.resume == "auto":
        return checkpoint.latest(ckpt_root)
    path = Path(t.resume)
    if not (path / "trainer.json").is_file():
        raise InputError(f"trainer.resume={t.resume}: not a checkpoint folder (no trainer.json); "
                         "pass a checkpoints/step-* folder, auto or never")
    return path


def check_settings(path: Path, settings: dict[str, Any]) -> None:
    """Refuse (exit 3) a checkpoint whose settings hash differs from this run's, naming the keys."""
    state = json.loads((path / "trainer.json").read_text())
    old = state.get("settings")
    if old is not None and state.get("settings_hash") == settings_hash(settings):
        return
    keys = differing_keys(old, settings) if old is not None else ["settings: not recorded (an older checkpoint)"]
    raise Refused(f"cannot resume {path}: it was made with other settings ({'; '.join(keys) or 'settings hash'}); "
                  "use another out_dir, or trainer.resume=never to start over in this one")


def restore(path: Path, model: nn.Module, optimizer: torch.optim.Optimizer, loader: Loader) -> tuple[int, int]:
    """Load a checkpoint (check_settings said it fits); returns (step, tokens)."""
    state = checkpoint.load(path, model, optimizer)
    loader.load_state_dict(state["data"])
    return state["step"], state["tokens"]
