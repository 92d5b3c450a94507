"""The optimiser and the schedules: AdamW groups, warmup-cosine LR and piecewise MTP/bias schedules by planned tokens."""

from __future__ import annotations

import math

import torch
from torch import nn

from pipelines.training.config import Schedule, TrainerConfig
from pipelines.training.parallelism import Runtime


def make_optimizer(model: nn.Module, t: TrainerConfig, rt: Runtime) -> torch.optim.Optimizer:
    """AdamW; matrices decay, norms and 1-d weights do not (the balancing bias is a buffer, never here)."""
    decay = [p for p in model.parameters() if p.requires_grad and p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.ndim < 2]
    groups = [{"params": decay, "weight_decay": t.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    fused = rt.device.type == "cuda"
    return torch.optim.AdamW(groups, lr=t.lr, betas=t.betas, eps=t.eps, fused=fused or None)


def lr_at(fraction: float, t: TrainerConfig) -> float:
    """Linear warmup, then cosine to min_lr_ratio * lr, as a function of the planned-token fraction."""
    if t.warmup > 0 and fraction < t.warmup:
        return t.lr * fraction / t.warmup
    span = max(1e-12, 1.0 - t.warmup)
    cos = 0.5 * (1.0 + math.cos(math.pi * min(1.0, (fraction - t.warmup) / span)))
    return t.lr * (t.min_lr_ratio + (1.0 - t.min_lr_ratio) * cos)


def scheduled(schedule: Schedule, fraction: float, default: float) -> float:
    """Piecewise-constant value at this fraction of planned tokens (None entries mean `default`)."""
    value = default
    for start, v in schedule:
        if fraction >= start:
            value = default if v is None else v
    return value
