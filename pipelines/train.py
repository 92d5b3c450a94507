"""Curriculum pretraining: manifest shards in curriculum order -> MoE + MTP model -> checkpoints, metrics, export.

    python -m pipelines.train data=OUT_DIR model=tiny [trainer.steps=auto] [out_dir=runs/train]
    torchrun --nproc-per-node 8 -m pipelines.train data=... model=1b trainer=gpu trainer.parallel=fsdp

Curriculum progress is where the data stream is (the progress of the rows being read), and it moves
with consumed tokens; the LR, the MTP weight and the bias rate follow the fraction of planned tokens
consumed. Neither depends on the step count, so a resume or a batch-size change keeps them aligned.
A run whose token budget does not match one pass over the corpus is refused before it starts
(`trainer.cycle=true` loops over a corpus that is too small instead).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
import torch.distributed as dist
import torch.nn.functional as F
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from torch import nn

from model import CausalLM, ModelConfig, load_ratio
from model.export import save_pretrained
from pipelines.training import checkpoint
from pipelines.training.loading import DENOISE_TARGET, LM_TARGET, Corpus, DataError, Loader, count_tokens, one_pass_steps, tokenizer_fingerprint
from pipelines.training.metrics import MetricsLogger, peak_flops
from pipelines.tokenizer import load_tokenizer

log = logging.getLogger("pipelines.train")

Schedule = list[tuple[float, float | None]]  # (fraction of planned tokens, value from then on; None: the model's)


class TrainerConfig(BaseModel, extra="forbid"):
    """The `trainer` group (conf/trainer/*.yaml); batch sizes are in sequences of seq_len tokens."""

    steps: int | Literal["auto"] = "auto"  # auto: one pass over the corpus
    seq_len: int = Field(256, ge=8)
    batch_size: int = Field(16, ge=1)  # global: sequences per optimizer step over all ranks
    micro_batch_size: int = Field(16, ge=1)  # per rank and forward; accumulation = batch / (micro x world)
    lr: float = Field(3e-3, gt=0)
    min_lr_ratio: float = Field(0.1, ge=0, le=1)
    warmup: float = Field(0.02, ge=0, lt=1)  # fraction of the planned tokens
    weight_decay: float = Field(0.1, ge=0)
    betas: tuple[float, float] = (0.9, 0.95)
    eps: float = Field(1e-8, gt=0)
    grad_clip: float = Field(1.0, gt=0)
    mtp_weight_schedule: Schedule = [(0.0, None), (0.676, 0.1)]  # DeepSeek-V3: 0.3 for 10T of 14.8T tokens, then 0.1
    bias_rate_schedule: Schedule = [(0.0, None), (0.966, 0.0)]  # DeepSeek-V3: 0.001 until 14.3T, then 0
    cycle: bool = False  # loop over a corpus smaller than the run (each pass repeats the curriculum)
    whole_rows: bool = False  # pack examples whole (a noisy -> clean pair never split; longer rows skipped, counted)
    partial: bool = False  # allow a run shorter than the corpus (smoke tests, benchmarks): the curriculum is cut short
    length_tolerance: float = Field(0.02, ge=0, lt=1)  # accepted |run tokens / corpus tokens - 1|
    drift_tolerance: float = Field(0.15, gt=0)  # accepted |row progress - token fraction| while training
    device: Literal["auto", "cpu", "cuda"] = "auto"
    precision: Literal["auto", "fp32", "bf16"] = "auto"  # auto: bf16 autocast on GPU, fp32 on CPU
    parallel: Literal["ddp", "fsdp"] = "ddp"  # used under torchrun (WORLD_SIZE > 1)
    compile: bool = False
    activation_checkpointing: bool = False
    save_every: int = Field(100, ge=0)  # 0: only at the end
    keep_last: int = Field(3, ge=1)
    resume: str = "auto"  # auto | never | path to a checkpoints/step-* folder
    tensorboard: bool = True
    progress_bar: bool = True
    loss_split: bool = True  # log LM and denoising loss separately (a no-grad CE over the logits)
    export: bool = True
    threads: int | None = Field(None, ge=1)
    prefetch: int = Field(2, ge=0)
    peak_flops: float | None = None  # per GPU, for MFU; None: from the device name

    @field_validator("mtp_weight_schedule", "bias_rate_schedule")
    @classmethod
    def _ordered(cls, sched: Schedule) -> Schedule:
        if not sched or sched[0][0] != 0.0 or any(a[0] >= b[0] for a, b in zip(sched, sched[1:])):
            raise ValueError("must start at 0.0 and list increasing fractions, e.g. [[0.0, null], [0.676, 0.1]]")
        return sched

    @model_validator(mode="after")
    def _batches_divide(self) -> TrainerConfig:
        if self.batch_size % self.micro_batch_size:
            raise ValueError(f"batch_size ({self.batch_size}) must be a multiple of micro_batch_size ({self.micro_batch_size})")
        return self


class TrainConfig(BaseModel, extra="forbid"):
    """The whole job (conf/train.yaml): where data and outputs are, the model fields, the trainer."""

    data: str
    tokenizer: str | None = None  # default: DATA/tokenizer
    out_dir: str
    seed: int = 0
    model: dict[str, Any]
    trainer: TrainerConfig = Field(default_factory=TrainerConfig)


# ---- schedules -------------------------------------------------------------------------------------


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


# ---- setup -----------------------------------------------------------------------------------------


@dataclass
class Runtime:
    """Where this process runs: rank, world, device, autocast dtype."""

    rank: int
    world: int
    local_rank: int
    device: torch.device
    amp_dtype: torch.dtype | None

    @property
    def main(self) -> bool:
        return self.rank == 0

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)


def setup_runtime(t: TrainerConfig) -> Runtime:
    """Join the torchrun process group when there is one (NCCL on GPU, gloo on CPU) and pick the device."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local_rank = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = t.device == "cuda" or (t.device == "auto" and torch.cuda.is_available())
    if use_cuda and not torch.cuda.is_available():
        raise RuntimeError("trainer.device=cuda but no CUDA device is visible")
    device = torch.device("cuda", local_rank) if use_cuda else torch.device("cpu")
    if use_cuda:
        torch.cuda.set_device(device)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if use_cuda else "gloo", device_id=device if use_cuda else None)
    if t.threads:
        torch.set_num_threads(t.threads)
    bf16 = t.precision == "bf16" or (t.precision == "auto" and use_cuda)
    return Runtime(rank, world, local_rank, device, torch.bfloat16 if bf16 else None)


def build_model(fields: dict[str, Any], tok: Any) -> ModelConfig:
    """The model config: the preset's fields with the tokenizer's vocabulary and special ids."""
    vocab = -(-len(tok) // 64) * 64  # round up: matmul-friendly, spare rows are never targets
    return ModelConfig(**{**fields, "vocab_size": vocab, "bos_token_id": tok.bos_token_id,
                          "eos_token_id": tok.eos_token_id, "pad_token_id": tok.pad_token_id})


def parallelize(model: CausalLM, t: TrainerConfig, rt: Runtime) -> nn.Module:
    """Activation checkpointing, per-block torch.compile, then DDP or FSDP2 under torchrun."""
    model.activation_checkpointing = t.activation_checkpointing
    if t.compile:
        for block in [*model.layers, *model.mtp]:
            block.compile()
    if rt.world == 1:
        return model
    if t.parallel == "fsdp":
        from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

        mp = MixedPrecisionPolicy(param_dtype=rt.amp_dtype, reduce_dtype=torch.float32) if rt.amp_dtype else MixedPrecisionPolicy()
        for block in [*model.layers, *model.mtp]:
            fully_shard(block, mp_policy=mp)
        fully_shard(model, mp_policy=mp)
        return model
    import inspect

    from torch.nn.parallel import DistributedDataParallel as DDP

    # The balancing biases are updated identically on every rank; no per-forward buffer broadcast.
    quiet = "forward_sync_buffers" if "forward_sync_buffers" in inspect.signature(DDP).parameters else "broadcast_buffers"
    return DDP(model, device_ids=[rt.device.index] if rt.device.type == "cuda" else None, **{quiet: False})


def unwrap(model: nn.Module) -> CausalLM:
    return model.module if hasattr(model, "module") else model  # type: ignore[return-value]


def make_optimizer(model: nn.Module, t: TrainerConfig, rt: Runtime) -> torch.optim.Optimizer:
    """AdamW; matrices decay, norms and 1-d weights do not (the balancing bias is a buffer, never here)."""
    decay = [p for p in model.parameters() if p.requires_grad and p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.ndim < 2]
    groups = [{"params": decay, "weight_decay": t.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    fused = rt.device.type == "cuda"
    return torch.optim.AdamW(groups, lr=t.lr, betas=t.betas, eps=t.eps, fused=fused or None)


# ---- the length check ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    steps: int
    tokens_per_step: int
    corpus_tokens: int
    one_pass: int

    @property
    def planned_tokens(self) -> int:
        return self.steps * self.tokens_per_step


def plan_run(corpus_tokens: int, t: TrainerConfig, data: str) -> Plan:
    """Steps of the run; refuses one that reads much less or more than one pass of the corpus (unless cycling)."""
    per_step = t.batch_size * t.seq_len
    one_pass = one_pass_steps(corpus_tokens, t.seq_len, t.batch_size)
    if one_pass == 0 and not t.cycle:
        raise DataError(f"{data} holds {corpus_tokens:,} tokens, less than one step of {t.batch_size} x {t.seq_len}; "
                        "generate more rows or lower trainer.batch_size / trainer.seq_len")
    steps = one_pass if t.steps == "auto" else t.steps
    ratio = steps / one_pass if one_pass else math.inf
    hint = (f"one pass over {data} is {one_pass} steps of {t.batch_size} x {t.seq_len} tokens ({corpus_tokens:,} tokens); "
            f"set trainer.steps={one_pass} (or auto), change the corpus size, batch or seq_len")
    if ratio > 1 + t.length_tolerance and not t.cycle:
        raise DataError(f"trainer.steps={steps} is longer than the corpus plans ({ratio:.2f} passes): {hint}, "
                        "or pass trainer.cycle=true to loop over it (each pass then repeats the curriculum)")
    if ratio < 1 - t.length_tolerance and not t.partial:
        reached = ratio % 1 if t.cycle and ratio > 1 else ratio
        raise DataError(f"trainer.steps={steps} is shorter than the corpus plans: it would stop at curriculum progress "
                        f"~{reached:.2f} and miss the rest of the curriculum (the noise ramp comes last); {hint}; "
                        "trainer.partial=true runs it anyway (smoke tests, benchmarks)")
    return Plan(steps, per_step, corpus_tokens, one_pass)


# ---- one step --------------------------------------------------------------------------------------


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
    return (labels[:, shift:] != -100).sum()


def _split_ce(logits: torch.Tensor, mb: Any) -> torch.Tensor:
    """Summed next-token CE over LM targets and over denoising targets, [2], without grad (logging only)."""
    out = torch.zeros(2, dtype=torch.float64, device=logits.device)
    labels, roles = mb.labels[:, 1:], mb.roles[:, 1:]
    for i in range(logits.shape[0]):  # row by row: never a second [B, T, V] fp32 tensor
        ce = F.cross_entropy(logits[i, :-1].float(), labels[i], ignore_index=-100, reduction="none")
        out[0] += ce[roles[i] == LM_TARGET].sum().double()
        out[1] += ce[roles[i] == DENOISE_TARGET].sum().double()
    return out


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
        if fsdp:
            model.set_requires_gradient_sync(last)
        sync = contextlib.nullcontext() if last or not hasattr(model, "no_sync") else model.no_sync()
        with sync:
            with rt.autocast():
                out = model(ids, labels=labels, mtp_loss_weight=mtp_weight)
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
                sums[-2:] += _split_ce(out.logits.detach(), type(mb)(ids, labels, mb.roles.to(rt.device)))
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


# ---- the run ---------------------------------------------------------------------------------------


def export(model: nn.Module, model_cfg: ModelConfig, tok: Any, out: Path, rt: Runtime) -> Path | None:
    """Write export/: transformers-loadable model (DeepseekV3 layout) and the tokenizer; rank 0 writes."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    state = get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))
    if not rt.main:
        return None
    cpu_model = CausalLM(model_cfg)
    cpu_model.load_state_dict(state)
    tmp = out.with_name(out.name + ".tmp")
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    save_pretrained(cpu_model, tmp)
    tok.save_pretrained(str(tmp))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


def _resume_path(t: TrainerConfig, ckpt_root: Path) -> Path | None:
    if t.resume == "never":
        return None
    if t.resume == "auto":
        return checkpoint.latest(ckpt_root)
    path = Path(t.resume)
    if not (path / "trainer.json").is_file():
        raise FileNotFoundError(f"trainer.resume={t.resume}: not a checkpoint folder (no trainer.json)")
    return path


def restore(path: Path, model: nn.Module, optimizer: torch.optim.Optimizer, loader: Loader,
            identity: dict[str, Any]) -> tuple[int, int]:
    """Load a checkpoint, refusing one trained on other data, tokenizer or plan; returns (step, tokens)."""
    state = checkpoint.load(path, model, optimizer)
    differs = {k: (state["identity"].get(k), v) for k, v in identity.items() if state["identity"].get(k) != v}
    if differs:
        raise DataError(f"cannot resume {path}: it was trained with different " +
                        ", ".join(f"{k} ({a} -> {b})" for k, (a, b) in differs.items()) + "; use trainer.resume=never")
    loader.load_state_dict(state["data"])
    return state["step"], state["tokens"]


def describe_run(core: CausalLM, rt: Runtime, plan: Plan, grad_accum: int, resume: Path | None) -> str:
    """The one line a user reads first: model size, devices, precision, and how long the run is."""
    cfg, p = core.cfg, core.num_params()
    return (f"train: {cfg.num_hidden_layers}-layer MoE ({p['total'] / 1e6:.2f}M params, {p['activated'] / 1e6:.2f}M "
            f"active, +{p['mtp'] / 1e6:.2f}M MTP) on {rt.world} x {rt.device.type}"
            f"{' bf16' if rt.amp_dtype else ' fp32'}; {plan.steps} steps x {plan.tokens_per_step:,} tokens "
            f"(corpus {plan.corpus_tokens:,}; grad accum {grad_accum})" + (f"; resumed from {resume}" if resume else ""))


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


def run(cfg: TrainConfig) -> dict[str, Any]:
    """Train as configured; returns a summary (steps, final loss, where things are)."""
    t = cfg.trainer
    rt = setup_runtime(t)
    torch.manual_seed(cfg.seed)
    out_dir = Path(cfg.out_dir)
    ckpt_root = out_dir / "checkpoints"
    tok_dir = Path(cfg.tokenizer) if cfg.tokenizer else Path(cfg.data) / "tokenizer"
    tok = load_tokenizer(tok_dir)
    corpus = Corpus.open(cfg.data)
    counts = count_tokens(cfg.data, tok, cache_dir=tok_dir)
    plan = plan_run(counts["total"], t, cfg.data)
    if t.batch_size % (t.micro_batch_size * rt.world):
        raise DataError(f"trainer.batch_size ({t.batch_size}) must be a multiple of micro_batch_size "
                        f"({t.micro_batch_size}) x ranks ({rt.world})")

    model_cfg = build_model(cfg.model, tok)
    core = CausalLM(model_cfg).to(rt.device)
    model = parallelize(core, t, rt)
    optimizer = make_optimizer(model, t, rt)
    loader = Loader(corpus, tok, t.seq_len, t.batch_size, t.micro_batch_size, rt.rank, rt.world, t.cycle,
                    mtp_depth=model_cfg.num_nextn_predict_layers, prefetch=t.prefetch, whole_rows=t.whole_rows)

    identity = {"manifest": corpus.manifest.config_hash, "tokenizer": tokenizer_fingerprint(tok),
                "planned_tokens": plan.planned_tokens, "seq_len": t.seq_len}
    resume = _resume_path(t, ckpt_root)
    step, tokens = restore(resume, model, optimizer, loader, identity) if resume else (0, 0)

    logger = MetricsLogger(out_dir, plan.steps, step, enabled=rt.main, tensorboard=t.tensorboard, progress_bar=t.progress_bar)
    if rt.main:
        logger.write(describe_run(core, rt, plan, loader.grad_accum, resume))
    layer_names = core.moe_layer_names()
    peak = t.peak_flops or (peak_flops(torch.cuda.get_device_name(rt.device)) if rt.device.type == "cuda" else None)
    flops_per_token = model_cfg.flops_per_token(t.seq_len)
    record: dict[str, Any] = {}
    last_time = time.perf_counter()
    try:
        while step < plan.steps:
            fraction = tokens / plan.planned_tokens
            lr = lr_at(fraction, t)
            mtp_weight = scheduled(t.mtp_weight_schedule, fraction, model_cfg.mtp_loss_weight)
            bias_rate = scheduled(t.bias_rate_schedule, fraction, model_cfg.bias_update_rate)
            try:
                batch = next(loader)
            except StopIteration:
                raise DataError(f"the corpus ran out at step {step + 1} of {plan.steps}; its token count changed "
                                f"since it was counted (delete {tok_dir / 'token_counts.json'})") from None
            stats = train_step(model, optimizer, batch, rt, t, lr, mtp_weight, bias_rate)
            step += 1
            tokens += plan.tokens_per_step
            fraction = tokens / plan.planned_tokens
            expected = fraction * plan.planned_tokens / (plan.one_pass * plan.tokens_per_step) if plan.one_pass else 0.0
            if not t.cycle and abs(batch.progress - expected) > t.drift_tolerance:
                raise DataError(f"step {step}: rows at curriculum progress {batch.progress:.3f} arrived after "
                                f"{expected:.3f} of the corpus tokens (tolerance {t.drift_tolerance}); "
                                "the corpus does not match the run")
            now = time.perf_counter()
            dt, last_time = now - last_time, now
            record = step_record(step, tokens, fraction, batch, stats, layer_names, dt, plan.tokens_per_step,
                                 lr=lr, mtp_weight=mtp_weight, bias_rate=bias_rate)
            if peak:
                record["mfu"] = flops_per_token * plan.tokens_per_step / dt / (peak * rt.world)
            logger.log(record)
            if (t.save_every and step % t.save_every == 0) or step == plan.steps:
                state = {"step": step, "tokens": tokens, "data": loader.state_dict(), "identity": identity,
                         "schedule": {"kind": "warmup_cosine_by_tokens", "fraction": fraction, "lr": lr},
                         "world": rt.world, "metrics": record}
                checkpoint.save(ckpt_root, step, model, optimizer, state, t.keep_last)
        exported = export(model, model_cfg, tok, out_dir / "export", rt) if t.export else None
    finally:
        loader.close()
        logger.close()
    summary = {"steps": step, "tokens": tokens, "loss": record.get("loss"), "out_dir": str(out_dir),
               "metrics": str(out_dir / "metrics.jsonl"), "tensorboard": str(out_dir / "tensorboard"),
               "checkpoints": str(ckpt_root), "export": str(exported) if exported else None}
    if rt.main:
        logger.write(f"train: done; metrics {summary['metrics']}, TensorBoard {summary['tensorboard']}, "
                     f"export {summary['export']}")
    return summary


def config_from_hydra(cfg: Any) -> TrainConfig:
    """Resolve the composed Hydra config and validate it; errors name the field."""
    from omegaconf import OmegaConf

    data = OmegaConf.to_container(cfg, resolve=True)
    data.pop("hydra", None)
    return TrainConfig.model_validate(data)


def main() -> None:
    import hydra

    @hydra.main(config_path=str(Path(__file__).resolve().parent.parent / "conf"), config_name="train", version_base=None)
    def _main(cfg: Any) -> None:
        try:
            config = config_from_hydra(cfg)
        except ValidationError as err:
            msg = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors(include_url=False))
            print(f"train: invalid config: {msg}", file=sys.stderr)
            sys.exit(2)
        try:
            run(config)
        except DataError as err:
            print(f"train: {err}", file=sys.stderr)
            sys.exit(2)
        finally:
            if dist.is_initialized():
                dist.destroy_process_group()

    _main()


if __name__ == "__main__":
    main()
