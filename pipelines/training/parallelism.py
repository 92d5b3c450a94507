"""Where a training process runs (rank, world, device, autocast) and how the model is wrapped for it (DDP/FSDP2)."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from model import CausalLM, ModelConfig
from pipelines.errors import InputError
from pipelines.training.config import TrainerConfig


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
        raise InputError("trainer.device=cuda: no CUDA device is visible; use trainer.device=auto or cpu")
    device = torch.device("cuda", local_rank) if use_cuda else torch.device("cpu")
    if use_cuda:
        torch.cuda.set_device(device)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if use_cuda else "gloo", device_id=device if use_cuda else None)
    if t.threads:
        torch.set_num_threads(t.threads)
    bf16 = t.precision == "bf16" or (t.precision == "auto" and use_cuda)
    return Runtime(rank, world, local_rank, device, torch.bfloat16 if bf16 else None)


def build_model(model: ModelConfig | dict[str, Any], tok: Any) -> ModelConfig:
    """The model config: the preset's fields with the tokenizer's vocabulary and special ids."""
    vocab = -(-len(tok) // 64) * 64  # round up: matmul-friendly, spare rows are never targets
    fields = model.model_dump() if isinstance(model, ModelConfig) else dict(model)
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
