"""One optimizer step over a global batch, and the metrics.jsonl record it becomes."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from model import load_ratio
from model.causal_lm import IGNORE_INDEX
from pipelines.training.config import TrainerConfig
from pipelines.training.loading import DENOISE_TARGET, LM_TARGET
from pipelines.training.parallelism import Runtime, unwrap


@dataclass
class StepStats:
    """Global (all-rank) sums of one optimizer step, turned into the logged record."""

    loss: float
    main_loss: float
    mtp_losses: list[float]
    aux_loss: float
    lm_loss: float | None
    denoise_loss: float | None
    expert_load: torch.Tensor  # [layers, E] summed over micro-batches and ranks
    grad_norm: float


def _target_count(labels: torch.Tensor, shift: int) -> torch.Tensor:
    return (labels[:, shift:] != IGNORE_INDEX).sum()


def _split_ce(token_losses: torch.Tensor, roles: torch.Tensor) -> torch.Tensor:
    """Summed next-token CE over LM targets and over denoising targets, [2], from the model's per-token CE.

    One pass with masks (no boolean indexing, so no host sync): token_losses[:, i] scores the target at i + 1.
    """
    target_roles = roles[:, 1:]
    ce = token_losses[:, :-1].double()
    return torch.stack([(ce * (target_roles == LM_TARGET)).sum(), (ce * (target_roles == DENOISE_TARGET)).sum()])


def fast_math(rt: Runtime) -> None:
    """TF32 for fp32 matmuls and convolutions on a GPU (the fp32 router and master-weight paths)."""
    if rt.device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True


def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, batch: Any, rt: Runtime, t: TrainerConfig,
               lr: float, mtp_weight: float, bias_rate: float) -> StepStats:
    """Forward/backward over the micro-batches, clip, AdamW step, then the bias step with the step's expert load.

    Each micro-batch's mean losses are re-weighted by its share of the *global* target count, so the
    summed gradient is the gradient of the global token mean whatever the split into ranks and
    micro-batches (DDP/FSDP average over ranks, hence the factor world).
    """
    core = unwrap(model)
    depth = core.cfg.num_nextn_predict_layers
    targets = batch.targets
    n_seq = t.batch_size
    for group in optimizer.param_groups:
        group["lr"] = lr
    # [loss, main, mtp_1..D, aux, lm_ce_sum, denoise_ce_sum]
    sums = torch.zeros(5 + depth, dtype=torch.float64, device=rt.device)
    load = None
    fsdp = hasattr(model, "set_requires_gradient_sync")
    for i, mb in enumerate(batch.micro):
        last = i == len(batch.micro) - 1
        ids, labels = mb.input_ids.to(rt.device, non_blocking=True), mb.labels.to(rt.device, non_blocking=True)
        roles = mb.roles.to(rt.device, non_blocking=True) if t.loss_split else None
        if fsdp:
            model.set_requires_gradient_sync(last)
        sync = contextlib.nullcontext() if last or not hasattr(model, "no_sync") else model.no_sync()
        with sync:
            with rt.autocast():
                out = model(ids, labels=labels, mtp_loss_weight=mtp_weight, return_logits=False)
            main = out.loss * (_target_count(labels, 1) / max(1, targets["depth0"]))
            mtp = [out.mtp_losses[k - 1] * (_target_count(labels, k + 1) / max(1, targets[f"depth{k}"])) for k in range(1, depth + 1)]
            aux = out.aux_loss * (ids.shape[0] / n_seq)
            loss = main + aux + (mtp_weight * torch.stack(mtp).mean() if mtp else 0.0)
            apr = getattr(out, "apr", None)  # the model's optional adaptive-precision estimator trains with it
            if apr is not None and apr.estimator_loss is not None:
                loss = loss + core.cfg.apr_loss_weight * apr.estimator_loss * (ids.shape[0] / n_seq)
            (loss * rt.world).backward()
        with torch.no_grad():
            parts = [loss.detach(), main.detach(), *[m.detach() for m in mtp], aux.detach()]
            sums[: 2 + depth + 1] += torch.stack([p.double() for p in parts])
            if t.loss_split:
                sums[-2:] += _split_ce(out.token_losses, roles)
        load = out.expert_load if load is None else load + out.expert_load
    grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), t.grad_clip)
    if hasattr(grad_norm, "full_tensor"):
        grad_norm = grad_norm.full_tensor()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    core.update_balance(load, bias_rate)  # all-reduces the load over ranks itself
    packed = torch.cat([sums, load.double().flatten()])
    if rt.world > 1:
        dist.all_reduce(packed)
    packed = packed.cpu()
    sums, global_load = packed[: sums.numel()], packed[sums.numel() :].view_as(load)
    lm_n, dn_n = targets["lm"], targets["denoise"]
    return StepStats(
        loss=float(sums[0]),
        main_loss=float(sums[1]),
        mtp_losses=[float(x) for x in sums[2 : 2 + depth]],
        aux_loss=float(sums[2 + depth]),
        lm_loss=float(sums[-2]) / lm_n if t.loss_split and lm_n else None,
        denoise_loss=float(sums[-1]) / dn_n if t.loss_split and dn_n else None,
        expert_load=global_load,
        grad_norm=float(grad_norm),
    )


def step_record(step: int, tokens: int, fraction: float, batch: Any, stats: StepStats, layer_names: list[str],
                dt: float, tokens_per_step: int, **schedule: float) -> dict[str, Any]:
    """One metrics.jsonl row; losses are None for a batch with no scored target (only noisy input)."""
    ratios = load_ratio(stats.expert_load)
    scored = batch.targets["depth0"] > 0
    return {
        "step": step,
        "progress": round(batch.progress, 6),
        "epoch": batch.epoch,
        "tokens": tokens,
        "token_fraction": round(fraction, 6),
        "data_wait_s": round(getattr(batch, "wait_s", 0.0), 6),  # the loop waiting on the loader (pipelines.training.loading)
        "loss": stats.loss if scored else None,
        "next_token_loss": stats.main_loss if scored else None,
        "lm_loss": stats.lm_loss,
        "denoise_loss": stats.denoise_loss,
        "mtp_losses": stats.mtp_losses if scored else [None] * len(stats.mtp_losses),
        "aux_loss": stats.aux_loss,
        "noise_level": round(batch.noise_level, 6),
        "examples": batch.examples,
        "denoise_examples": batch.denoise_examples,
        "lm_targets": batch.targets["lm"],
        "denoise_targets": batch.targets["denoise"],
        "skipped_rows": batch.position.skipped,
        **schedule,
        "grad_norm": stats.grad_norm,
        "expert_load_max_over_mean": float(ratios.max()) if ratios.numel() else None,
        "expert_load_ratio": {n: round(float(r), 4) for n, r in zip(layer_names, ratios)},
        "tokens_per_s": tokens_per_step / dt,
        "step_time": dt,
    }
