"""Multi-head latent attention (DeepSeek-V2/V3): low-rank q and kv, decoupled RoPE key shared by all heads."""

from __future__ import annotations

import contextlib
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel

AttentionBackend = Literal["auto", "flash"]

from model.config import ModelConfig
from model.layers import RMSNorm, apply_rope


class MultiHeadLatentAttention(nn.Module):
    """Causal MLA; module names are transformers' DeepseekV3Attention names so export is a rename."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.heads = cfg.num_attention_heads
        self.nope_dim, self.rope_dim, self.v_dim = cfg.qk_nope_head_dim, cfg.qk_rope_head_dim, cfg.v_head_dim
        self.kv_lora_rank = cfg.kv_lora_rank
        self.rope_interleave = cfg.rope_interleave
        self.scale = cfg.qk_head_dim**-0.5
        h, qk = cfg.hidden_size, cfg.qk_head_dim
        if cfg.q_lora_rank is None:
            self.q_proj = nn.Linear(h, self.heads * qk, bias=False)
        else:
            self.q_a_proj = nn.Linear(h, cfg.q_lora_rank, bias=False)
            self.q_a_layernorm = RMSNorm(cfg.q_lora_rank, cfg.rms_norm_eps)
            self.q_b_proj = nn.Linear(cfg.q_lora_rank, self.heads * qk, bias=False)
        self.kv_a_proj_with_mqa = nn.Linear(h, cfg.kv_lora_rank + cfg.qk_rope_head_dim, bias=False)
        self.kv_a_layernorm = RMSNorm(cfg.kv_lora_rank, cfg.rms_norm_eps)
        self.kv_b_proj = nn.Linear(cfg.kv_lora_rank, self.heads * (cfg.qk_nope_head_dim + cfg.v_head_dim), bias=False)
        self.o_proj = nn.Linear(self.heads * cfg.v_head_dim, h, bias=False)
        # auto: SDPA picks a kernel that takes v narrower than q/k (cuDNN, memory-efficient), no padding;
        # flash: FlashAttention, which wants equal widths, so v is zero-padded to the q/k width.
        self.backend: AttentionBackend = "auto"

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        if hasattr(self, "q_proj"):
            q = self.q_proj(x)
        else:
            q = self.q_b_proj(self.q_a_layernorm(self.q_a_proj(x)))
        q_nope, q_rot = q.view(b, t, self.heads, -1).split([self.nope_dim, self.rope_dim], dim=-1)

        latent, k_rot = self.kv_a_proj_with_mqa(x).split([self.kv_lora_rank, self.rope_dim], dim=-1)
        kv = self.kv_b_proj(self.kv_a_layernorm(latent)).view(b, t, self.heads, -1)
        k_nope, v = kv.split([self.nope_dim, self.v_dim], dim=-1)

        q_rot = apply_rope(q_rot, cos, sin, self.rope_interleave)
        k_rot = apply_rope(k_rot.view(b, t, 1, self.rope_dim), cos, sin, self.rope_interleave)
        q = torch.cat((q_nope, q_rot), dim=-1).transpose(1, 2)
        k = torch.cat((k_nope, k_rot.expand(-1, -1, self.heads, -1)), dim=-1).transpose(1, 2)
        v = v.transpose(1, 2)
        kernel = contextlib.nullcontext()
        if self.backend == "flash":
            kernel = sdpa_kernel(SDPBackend.FLASH_ATTENTION)
            if self.v_dim < q.shape[-1]:  # flash wants equal widths
                v = F.pad(v, (0, q.shape[-1] - self.v_dim))
        with kernel:
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=self.scale)[..., : self.v_dim]
        return self.o_proj(out.transpose(1, 2).reshape(b, t, self.heads * self.v_dim))
