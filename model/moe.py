"""Mixture of experts: sigmoid router with aux-loss-free balancing bias, sorted dispatch, shared experts.

Balancing (DeepSeek-V3): each router holds a per-expert bias, an fp32 buffer (in the state dict, never
trained by the optimizer). It is added to the scores only to *choose* the top-k experts; the gate
weights come from the unbiased sigmoid scores, renormalised and scaled. After each optimizer step the
trainer calls `update_bias(load, rate)`: b_i += rate * sign(mean(load) - load_i).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from model.config import ModelConfig
from model.layers import MLP

ExpertImpl = Literal["auto", "grouped_mm", "split"]


@dataclass
class Routing:
    """The router's decision for N tokens."""

    indices: torch.Tensor  # [N, K] chosen experts
    weights: torch.Tensor  # [N, K] fp32 gate weights, from the unbiased scores
    scores: torch.Tensor  # [N, E] fp32 sigmoid affinities (for the sequence balance loss)


class Router(nn.Module):
    """Sigmoid top-k router with group-limited selection and the balancing bias."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.top_k, self.n_group, self.topk_group = cfg.num_experts_per_tok, cfg.n_group, cfg.topk_group
        self.norm_topk_prob, self.scale = cfg.norm_topk_prob, cfg.routed_scaling_factor
        self.weight = nn.Parameter(torch.empty(cfg.n_routed_experts, cfg.hidden_size))
        self.register_buffer("e_score_correction_bias", torch.zeros(cfg.n_routed_experts, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> Routing:
        with torch.autocast(x.device.type, enabled=False):  # routing decisions in fp32 even under bf16 autocast
            scores = F.linear(x.float(), self.weight.float()).sigmoid()
        choice = scores.detach() + self.e_score_correction_bias  # the bias steers selection only
        if self.n_group > 1:
            choice = self._keep_best_groups(choice)
        indices = choice.topk(self.top_k, dim=-1, sorted=False).indices
        weights = scores.gather(1, indices)
        if self.norm_topk_prob:
            weights = weights / (weights.sum(dim=-1, keepdim=True) + 1e-20)
        return Routing(indices, weights * self.scale, scores)

    def _keep_best_groups(self, choice: torch.Tensor) -> torch.Tensor:
        """Mask all but the topk_group groups, each scored by the sum of its two best experts."""
        n = choice.shape[0]
        grouped = choice.view(n, self.n_group, -1)
        group_scores = grouped.topk(2, dim=-1).values.sum(dim=-1)
        keep = group_scores.topk(self.topk_group, dim=-1).indices
        dropped = torch.ones_like(group_scores, dtype=torch.bool).scatter_(1, keep, False)
        return grouped.masked_fill(dropped.unsqueeze(-1), float("-inf")).view(n, -1)

    @torch.no_grad()
    def update_bias(self, load: torch.Tensor, rate: float) -> None:
        """One aux-loss-free balancing step: raise the bias of under-loaded experts, lower the over-loaded."""
        load = load.to(self.e_score_correction_bias.device, torch.float32)
        self.e_score_correction_bias.add_(rate * torch.sign(load.mean() - load))

    def reset_parameters(self, std: float) -> None:
        nn.init.normal_(self.weight, std=std)
        nn.init.zeros_(self.e_score_correction_bias)

    def _apply(self, fn, recurse=True):  # noqa: ANN001, ANN202 - nn.Module's own signature
        """Follow device moves but keep the bias fp32 when the module is cast (model.to(bfloat16))."""
        bias = self.e_score_correction_bias
        super()._apply(fn, recurse)
        moved = self.e_score_correction_bias
        if moved.dtype != torch.float32:
            self.e_score_correction_bias = moved.float() if bias.is_meta else bias.to(moved.device)
        return self


def expert_counts(indices: torch.Tensor, n_experts: int) -> torch.Tensor:
    """Tokens sent to each expert, int64 [E]; static shape (no bincount) so it compiles."""
    flat = indices.flatten()
    return torch.zeros(n_experts, dtype=torch.long, device=flat.device).scatter_add_(0, flat, torch.ones_like(flat))


@torch.library.custom_op("curriculum_forge::grouped_mm", mutates_args=())
def opaque_grouped_mm(rows: torch.Tensor, weight: torch.Tensor, offs: torch.Tensor) -> torch.Tensor:
    """F.grouped_mm hidden from the compiler: inductor lowers grouped_mm in bf16 only, the eager CPU kernel takes fp32."""
    return F.grouped_mm(rows, weight, offs=offs)


@opaque_grouped_mm.register_fake
def _(rows: torch.Tensor, weight: torch.Tensor, offs: torch.Tensor) -> torch.Tensor:
    return rows.new_empty(rows.shape[0], weight.shape[-1])


@torch.library.custom_op("curriculum_forge::grouped_mm_backward", mutates_args=())
def opaque_grouped_mm_backward(
    rows: torch.Tensor, weight: torch.Tensor, offs: torch.Tensor, grad: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Input and per-expert weight gradients, two more grouped matmuls (the weight one groups along K)."""
    return F.grouped_mm(grad, weight.transpose(-2, -1), offs=offs), F.grouped_mm(rows.t(), grad, offs=offs)


@opaque_grouped_mm_backward.register_fake
def _(rows: torch.Tensor, weight: torch.Tensor, offs: torch.Tensor, grad: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.empty_like(rows), torch.empty_like(weight)


def _grouped_mm_setup(ctx, inputs, output) -> None:  # noqa: ANN001 - torch.library's signature
    ctx.save_for_backward(*inputs)


def _grouped_mm_grad(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, None]:  # noqa: ANN001
    rows, weight, offs = ctx.saved_tensors
    grad_rows, grad_weight = opaque_grouped_mm_backward(rows, weight, offs, grad.contiguous())
    return grad_rows, grad_weight, None


opaque_grouped_mm.register_autograd(_grouped_mm_grad, setup_context=_grouped_mm_setup)


def grouped_mm(rows: torch.Tensor, weight: torch.Tensor, offs: torch.Tensor) -> torch.Tensor:
    """F.grouped_mm, through the opaque op when compiling a non-bf16 matmul (CPU fp32 under torch.compile)."""
    if torch.compiler.is_compiling() and rows.dtype != torch.bfloat16:
        return opaque_grouped_mm(rows, weight, offs)
    return F.grouped_mm(rows, weight, offs=offs)


def compute_dtype(x: torch.Tensor) -> torch.dtype:
    """The dtype matmuls on x run in: autocast's when it is on, else x's own."""
    device = x.device.type
    return torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else x.dtype


class RoutedExperts(nn.Module):
    """E SwiGLU experts stored as stacked x @ W matrices; tokens are sorted by expert, never dropped."""

    def __init__(self, n_experts: int, dim: int, hidden: int) -> None:
        super().__init__()
        self.gate_up = nn.Parameter(torch.empty(n_experts, dim, 2 * hidden))  # columns [gate | up]
        self.down = nn.Parameter(torch.empty(n_experts, hidden, dim))
        self.impl: ExpertImpl = "auto"

    def forward(self, x: torch.Tensor, routing: Routing, counts: torch.Tensor) -> torch.Tensor:
        """Weighted sum of each token's K expert outputs, [N, H]."""
        n, k = routing.indices.shape
        order = routing.indices.flatten().argsort(stable=True)  # (token, slot) pairs grouped by expert
        rows = x.index_select(0, order // k)  # index_select: its backward is index_add, not a sorting index_put
        out = self._grouped(rows, counts) if self._use_grouped_mm(rows) else self._split(rows, counts)
        out = out * routing.weights.flatten().index_select(0, order).unsqueeze(1).to(out.dtype)
        inverse = torch.empty_like(order).scatter_(0, order, torch.arange(order.numel(), device=order.device))
        return out.index_select(0, inverse).view(n, k, -1).sum(dim=1)  # a gather, not atomics: deterministic

    def _use_grouped_mm(self, rows: torch.Tensor) -> bool:
        """auto: grouped_mm in bf16 anywhere and in any dtype on the CPU (compiled fp32 goes through the opaque
        op, inductor lowers bf16 only); otherwise one matmul pair per expert. On a quiet CPU the two measured
        within 4% of each other (benchmarks/model.py, row "ours split-experts"); grouped_mm needs no host sync,
        so a compiled block has no graph break."""
        if self.impl != "auto":
            return self.impl == "grouped_mm"
        if not hasattr(F, "grouped_mm"):
            return False
        return compute_dtype(rows) == torch.bfloat16 or rows.device.type == "cpu"

    def _grouped(self, rows: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
        """All experts in two grouped matmuls over their contiguous row blocks (no host sync)."""
        offsets = counts.cumsum(0, dtype=torch.int32)
        dtype = compute_dtype(rows)  # grouped_mm does not autocast by itself
        gate, up = grouped_mm(rows.to(dtype), self.gate_up.to(dtype), offsets).chunk(2, dim=-1)
        return grouped_mm(F.silu(gate) * up, self.down.to(dtype), offsets)

    def _split(self, rows: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
        """One matmul pair per expert over its contiguous block (syncs counts to the host)."""
        outs = []
        for block, gate_up, down in zip(rows.split(counts.tolist()), self.gate_up.unbind(0), self.down.unbind(0)):
            gate, up = (block @ gate_up).chunk(2, dim=-1)
            outs.append((F.silu(gate) * up) @ down)
        return torch.cat(outs)

    def reset_parameters(self, std: float) -> None:
        nn.init.normal_(self.gate_up, std=std)
        nn.init.normal_(self.down, std=std)


def sequence_balance_loss(routing: Routing, batch: int, alpha: float) -> torch.Tensor:
    """DeepSeek-V3's sequence-wise balance loss: alpha * sum_i f_i * P_i, averaged over sequences."""
    scores, indices = routing.scores, routing.indices
    n_experts, k = scores.shape[-1], indices.shape[-1]
    scores = scores.view(batch, -1, n_experts)
    seq_len = scores.shape[1]
    affinity = (scores / scores.sum(dim=-1, keepdim=True)).mean(dim=1)  # P_i per sequence, [B, E]
    picks = indices.view(batch, -1)
    hits = torch.zeros_like(affinity).scatter_add_(1, picks, torch.ones_like(picks, dtype=affinity.dtype))
    fraction = hits * n_experts / (k * seq_len)  # f_i, 1 when perfectly balanced
    return alpha * (fraction * affinity).sum(dim=-1).mean()


class MoE(nn.Module):
    """Shared experts (always on) plus routed experts; returns output, expert load and balance loss."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.n_experts, self.alpha = cfg.n_routed_experts, cfg.seq_aux_loss_alpha
        self.gate = Router(cfg)
        self.experts = RoutedExperts(cfg.n_routed_experts, cfg.hidden_size, cfg.moe_intermediate_size)
        shared = cfg.n_shared_experts * cfg.moe_intermediate_size
        self.shared_experts = MLP(cfg.hidden_size, shared) if shared else None

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x [B, T, H] -> (y [B, T, H], tokens per expert int64 [E], sequence balance loss scalar)."""
        b, t, h = x.shape
        flat = x.reshape(b * t, h)
        routing = self.gate(flat)
        load = expert_counts(routing.indices, self.n_experts)
        y = self.experts(flat, routing, load)
        if self.shared_experts is not None:
            y = y + self.shared_experts(flat)
        if self.training and self.alpha > 0:
            aux = sequence_balance_loss(routing, b, self.alpha)
        else:
            aux = routing.scores.new_zeros(())
        return y.view(b, t, h), load, aux
