"""Adaptive precision routing (APR): extra compute, in higher precision, for the tokens the model is unsure of.

    estimator:  u_i = MLP(norm(stopgrad(h^L_i)))         after block L, predicts the main head's entropy at i
    routing:    the C = round(apr_fraction * N) tokens with the largest u in the batch (N = B*T), optionally
                only those with u >= apr_threshold; C depends only on the batch shape, so shapes stay static
    refinement: h_i += g_i * R(h_i) for routed i, where R is apr_num_blocks pre-norm SwiGLU blocks run in
                apr_dtype (fp32 by default, autocast off) on the gathered rows, before the final norm

Gradient scheme. The estimator is trained by its own loss, apr_loss_weight * MSE(u, H), with H the main
head's next-token entropy computed without gradient; its input is detached, so the estimator never changes
the main model. The gate g_i = 1 + u_i - stopgrad(u_i) is exactly 1 in the forward (routing is a hard
top-C) and passes the LM loss's gradient <dL/dh_i, R(h_i)> to u_i (straight-through): tokens whose
refinement lowered the loss get their score raised. Refinement blocks take no attention: the final
hidden state already carries the token's context; a block is position-wise, so gathering is exact.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from model.config import ModelConfig
from model.layers import MLP, RMSNorm


@dataclass
class APRStats:
    """What one forward reports; tensors are detached scalars except `routed` (indices, for tests and logging)."""

    routed: torch.Tensor  # [C] flat token indices (b * T + t) that took the refinement path
    routed_fraction: torch.Tensor  # routed / all tokens
    predicted_entropy: torch.Tensor  # [B, T] the estimator's output
    estimator_loss: torch.Tensor | None = None  # MSE(u, H), with gradient (only when entropy targets exist)
    estimator_error: torch.Tensor | None = None  # mean |u - H| in nats
    refine_time_share: float = 0.0  # refinement wall time / forward wall time (forward only)


def token_entropy(logits: torch.Tensor) -> torch.Tensor:
    """Entropy (nats) of softmax(logits) over the last dim, fp32, without gradient."""
    with torch.no_grad():
        logp = F.log_softmax(logits.float(), dim=-1)
        return -(logp.exp() * logp).sum(dim=-1)


class UncertaintyEstimator(nn.Module):
    """A small MLP head on a detached hidden state: predicted next-token entropy per token."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.up = nn.Linear(cfg.hidden_size, cfg.apr_estimator_hidden)
        self.out = nn.Linear(cfg.apr_estimator_hidden, 1)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.out(F.silu(self.up(self.norm(h.detach())))).squeeze(-1).float()


class RefinementBlock(nn.Module):
    """Pre-norm SwiGLU residual block: position-wise, so it runs on any gathered subset of tokens."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.mlp = MLP(cfg.hidden_size, cfg.apr_intermediate_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.mlp(self.norm(x))


def capacity(n_tokens: int, fraction: float) -> int:
    """Tokens refined per batch: round(fraction * n), a function of the shape only."""
    return min(n_tokens, int(fraction * n_tokens + 0.5))


class AdaptivePrecisionRouter(nn.Module):
    """The estimator plus the refinement blocks; CausalLM calls `estimate` after block L and `refine` at the end."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.fraction, self.threshold = cfg.apr_fraction, cfg.apr_threshold
        self.dtype = getattr(torch, cfg.apr_dtype)
        self.estimator = UncertaintyEstimator(cfg)
        self.blocks = nn.ModuleList(RefinementBlock(cfg) for _ in range(cfg.apr_num_blocks))

    def estimate(self, h: torch.Tensor) -> torch.Tensor:
        """Predicted entropy [B, T] from the hidden state after block L."""
        with torch.autocast(h.device.type, enabled=False):
            return self.estimator(h.float())

    def route(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(flat indices of the top-C tokens, their 0/1 mask under the threshold)."""
        flat = u.detach().flatten()
        routed = flat.topk(capacity(flat.numel(), self.fraction), sorted=False).indices
        keep = torch.ones_like(routed, dtype=torch.bool) if self.threshold is None else flat[routed] >= self.threshold
        return routed, keep

    def refine(self, h: torch.Tensor, u: torch.Tensor) -> tuple[torch.Tensor, APRStats]:
        """h [B, T, H] with the routed rows updated by the refinement blocks' residual."""
        start = time.perf_counter()
        b, t, dim = h.shape
        routed, keep = self.route(u)
        flat_u = u.flatten()
        stats = APRStats(routed=routed[keep], routed_fraction=keep.sum() / (b * t), predicted_entropy=u.detach())
        if routed.numel() == 0:
            return h, stats
        flat = h.reshape(b * t, dim)
        rows = flat.index_select(0, routed)
        x = rows.float()  # fp32 parameters (mixed-precision training keeps them fp32) and fp32 activations
        low = self.dtype != torch.float32
        with torch.autocast(h.device.type, dtype=self.dtype if low else None, enabled=low):
            for block in self.blocks:
                x = block(x)
        delta = (x.float() - rows.float()).to(h.dtype)
        gate = (1.0 + flat_u[routed] - flat_u[routed].detach()) * keep  # 1 forward; straight-through to u
        flat = flat.index_add(0, routed, delta * gate.unsqueeze(1).to(h.dtype))
        if h.device.type == "cuda":
            torch.cuda.synchronize(h.device)
        stats.refine_time_share = time.perf_counter() - start  # seconds here; CausalLM divides by the forward's
        return flat.view(b, t, dim), stats

    def attach_targets(self, stats: APRStats, u: torch.Tensor, logits: torch.Tensor) -> None:
        """Estimator loss (with gradient to the estimator) and error against the main head's actual entropy."""
        entropy = token_entropy(logits)
        stats.estimator_loss = F.mse_loss(u, entropy)
        stats.estimator_error = (u.detach() - entropy).abs().mean()
