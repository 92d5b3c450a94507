"""The train job's configuration (conf/train.yaml, conf/trainer/*.yaml) and the settings a checkpoint is bound to."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from model import ModelConfig

Schedule = list[tuple[float, float | None]]  # (fraction of planned tokens, value from then on; None: the model's)


class TrainerConfig(BaseModel, extra="forbid"):
    """The `trainer` group (conf/trainer/*.yaml); batch sizes are in sequences of seq_len tokens."""

    steps: int | Literal["auto"] = "auto"  # auto: one pass over the corpus
    seq_len: int = Field(256, ge=8)
    batch_size: int = Field(16, ge=1)  # global: sequences per optimizer step over all ranks
    micro_batch_size: int = Field(8, ge=1)  # per rank and forward; accumulation = batch / (micro x world)
    lr: float = Field(3e-3, gt=0)
    min_lr_ratio: float = Field(0.1, ge=0, le=1)
    warmup: float = Field(0.03, ge=0, lt=1)  # fraction of the planned tokens
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
    loader_workers: int = Field(0, ge=0)  # processes that read and batch the token files (0: a thread beside the loop)
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

    data: str = Field(min_length=1)  # a folder written by `python -m pipelines.generate`
    tokenizer: str | None = None  # default: DATA/tokenizer (trained there first when missing)
    out_dir: str = Field(min_length=1)  # checkpoints/, metrics.jsonl, tensorboard/, export/
    seed: int = 0
    model: ModelConfig  # the preset's fields; vocab and special ids are replaced by the tokenizer's
    trainer: TrainerConfig = Field(default_factory=TrainerConfig)


# Trainer keys that change what the model computes; the others (devices, parallelism, logging,
# checkpoint cadence, micro-batching, which the step makes exact) may change between a run and its resume.
MATH_TRAINER_KEYS = ("seq_len", "batch_size", "lr", "min_lr_ratio", "warmup", "weight_decay", "betas", "eps",
                     "grad_clip", "mtp_weight_schedule", "bias_rate_schedule", "cycle", "whole_rows")


def settings(cfg: TrainConfig, model: ModelConfig, data: dict[str, Any]) -> dict[str, Any]:
    """What a checkpoint is bound to: model fields, optimisation fields, seed, and the data it reads."""
    trainer = cfg.trainer.model_dump(mode="json")
    return {"model": model.model_dump(mode="json"), "trainer": {k: trainer[k] for k in MATH_TRAINER_KEYS},
            "seed": cfg.seed, "data": data}


def settings_hash(content: dict[str, Any]) -> str:
    """A short stable hash of `settings`."""
    blob = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
