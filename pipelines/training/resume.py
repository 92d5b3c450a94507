"""Resuming: which checkpoint (the newest that verifies), and refusing one made with other settings before any tensor is loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from pipelines.dataset.config import differing_keys
from pipelines.errors import InputError, Refused
from pipelines.training import checkpoint
from pipelines.training.config import TrainerConfig, settings_hash
from pipelines.training.loading import Loader


def resume_path(t: TrainerConfig, ckpt_root: str | Path) -> Any:
    """The checkpoint to resume from, verified: none, the newest good one in ckpt_root (auto), or the folder named.

    auto skips a damaged newest checkpoint with a one-line warning; a damaged named one, or none good, is Refused."""
    if t.resume == "never":
        return None
    if t.resume == "auto":
        return checkpoint.latest_good(ckpt_root)
    path = t.resume if "://" in t.resume else Path(t.resume)
    if not checkpoint.is_complete(path):
        raise InputError(f"trainer.resume={t.resume}: not a complete checkpoint folder (no {checkpoint.CHECKSUMS}); "
                         "pass a checkpoints/step-* folder, auto or never")
    try:
        checkpoint.verify(path)
    except checkpoint.Damaged as e:
        raise Refused(f"trainer.resume={t.resume}: damaged checkpoint ({e}); pick another step-* folder, "
                      "or trainer.resume=never to start over") from None
    return path


def check_settings(path: str | Path, settings: dict[str, Any]) -> None:
    """Refuse (exit 3) a checkpoint whose settings hash differs from this run's, naming the keys."""
    state = checkpoint.read_state(path)
    old = state.get("settings")
    if old is not None and state.get("settings_hash") == settings_hash(settings):
        return
    keys = differing_keys(old, settings) if old is not None else ["settings: not recorded (an older checkpoint)"]
    raise Refused(f"cannot resume {path}: it was made with other settings ({'; '.join(keys) or 'settings hash'}); "
                  "use another out_dir, or trainer.resume=never to start over in this one")


def restore(path: str | Path, model: nn.Module, optimizer: torch.optim.Optimizer, loader: Loader) -> tuple[int, int]:
    """Load a checkpoint (resume_path verified it, check_settings said it fits); returns (step, tokens)."""
    state = checkpoint.load(path, model, optimizer, verified=True)
    loader.load_state_dict(state["data"])
    return state["step"], state["tokens"]
