"""One pre-norm decoder block: MLA then a dense SwiGLU MLP or an MoE layer."""

from __future__ import annotations

import torch
from torch import nn

from model.attention import MultiHeadLatentAttention
from model.config import ModelConfig
from model.layers import MLP, RMSNorm
from model.moe import MoE

BlockOutput = tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]


class Block(nn.Module):
    """x + attn(norm(x)), then + mlp(norm(x)); the unit for FSDP2 sharding and activation checkpointing."""

    def __init__(self, cfg: ModelConfig, moe: bool) -> None:
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.self_attn = MultiHeadLatentAttention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.mlp = MoE(cfg) if moe else MLP(cfg.hidden_size, cfg.intermediate_size)

    @property
    def is_moe(self) -> bool:
        return isinstance(self.mlp, MoE)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> BlockOutput:
        """Returns (x, expert load or None, balance loss or None); load is an output, not state,
        so a checkpointed block that recomputes its forward never counts tokens twice."""
        x = x + self.self_attn(self.input_layernorm(x), cos, sin)
        if not self.is_moe:
            return x + self.mlp(self.post_attention_layernorm(x)), None, None
        out, load, aux = self.mlp(self.post_attention_layernorm(x))
        return x + out, load, aux
