"""Multi-token prediction (DeepSeek-V3): depth k predicts token i+k+1 from h^{k-1}_i and token i+k.

Layout follows the released weights and transformers' MtpLayer: the projection input is
[enorm(emb(t_{i+k})); hnorm(h^{k-1}_i)] (embedding first), h^0 is the main model's final-normed
hidden state, and each module's output passes through its own norm (shared_head.norm on disk) before
both the shared LM head and the next depth.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from model.block import Block
from model.config import ModelConfig
from model.layers import RMSNorm


class MTPModule(nn.Module):
    """One prediction depth: norms, projection of the concatenation, one MoE block, output norm."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        h = cfg.hidden_size
        self.enorm = RMSNorm(h, cfg.rms_norm_eps)
        self.hnorm = RMSNorm(h, cfg.rms_norm_eps)
        self.eh_proj = nn.Linear(2 * h, h, bias=False)
        self.block = Block(cfg, moe=True)
        self.norm = RMSNorm(h, cfg.rms_norm_eps)

    def forward(
        self, hidden: torch.Tensor, emb: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(h^{k-1} [B,T,H], emb of tokens shifted by k) -> (h^k, expert load, balance loss)."""
        x = self.eh_proj(torch.cat((self.enorm(emb), self.hnorm(hidden)), dim=-1))
        x, load, aux = self.block(x, cos, sin)
        return self.norm(x), load, aux


def shift_left(ids: torch.Tensor, k: int, fill: int) -> torch.Tensor:
    """ids[:, i + k] at position i; the last k positions get `fill` (their losses are ignored)."""
    return F.pad(ids[:, k:], (0, k), value=fill)
