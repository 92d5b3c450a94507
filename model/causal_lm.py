"""CausalLM: embedding, decoder blocks, final norm, LM head, and D multi-token-prediction modules.

Expert balancing across micro-batches (how the trainer uses it):

    load = 0
    for micro_batch in step:
        out = model(ids, labels=ids)
        out.total_loss.backward()
        load = load + out.expert_load          # int64 [n_moe_layers, E], detached counts
    optimizer.step()
    model.update_balance(load, rate)           # all-reduces over ranks, then one bias step

`expert_load` is returned by the forward rather than accumulated in module state, so activation
checkpointing (which re-runs block forwards during backward) cannot count tokens twice. Save the
pending `load` with the checkpoint if a step can be interrupted between micro-batches.

With `cfg.apr_enabled` (model/apr.py), `total_loss` also holds `apr_loss_weight * out.apr.estimator_loss`;
a trainer that composes its own loss from the parts must add that term, and can log
`out.apr.routed_fraction`, `out.apr.estimator_error` and `out.apr.refine_time_share`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from model.apr import AdaptivePrecisionRouter, APRStats
from model.attention import AttentionBackend, MultiHeadLatentAttention
from model.block import Block
from model.config import ModelConfig
from model.layers import RMSNorm, rope_angles
from model.loss import IGNORE_INDEX, mean_loss, token_losses
from model.moe import ExpertImpl, Router, RoutedExperts
from model.mtp import MTPModule, shift_left

__all__ = ["IGNORE_INDEX", "CausalLM", "CausalLMOutput", "load_ratio"]


@dataclass
class CausalLMOutput:
    """What one forward returns; backpropagate `total_loss`."""

    logits: torch.Tensor | None  # [B, T, V]; None when the forward was asked for the losses only
    loss: torch.Tensor | None = None  # main next-token cross-entropy
    mtp_losses: torch.Tensor | None = None  # [D], depth k predicts token i+k+1
    aux_loss: torch.Tensor | None = None  # sequence-wise balance loss, summed over MoE layers
    total_loss: torch.Tensor | None = None  # loss + mtp_loss_weight * mean(mtp_losses) + aux_loss
    expert_load: torch.Tensor | None = None  # int64 [n_moe_layers, E]: main MoE layers, then MTP blocks
    mtp_logits: list[torch.Tensor] = field(default_factory=list)
    apr: APRStats | None = None  # adaptive precision routing stats (cfg.apr_enabled); its loss is in total_loss
    token_losses: torch.Tensor | None = None  # [B, T] fp32, detached: main-head CE at i against label i+1 (0: unscored)

    @property
    def expert_load_ratio(self) -> torch.Tensor:
        """max/mean tokens per expert for each MoE layer (1.0 = perfectly balanced)."""
        return load_ratio(self.expert_load)


def load_ratio(expert_load: torch.Tensor) -> torch.Tensor:
    """Per-layer max/mean of an [n_layers, E] load tensor."""
    load = expert_load.float()
    return load.max(dim=-1).values / load.mean(dim=-1).clamp(min=1e-9)


class SummedCrossEntropy(torch.autograd.Function):
    """Summed cross-entropy that keeps only the logsumexp: backward is one exp pass over the logits instead of
    log_softmax's saved copy, a zero fill and two more passes (fwd+bwd 92 -> 73 ms at 1024 x 8192, 1 thread)."""

    @staticmethod
    def forward(ctx, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:  # noqa: ANN001
        valid = target != IGNORE_INDEX
        safe = target.clamp(min=0)
        lse = torch.logsumexp(logits, dim=-1)
        ctx.save_for_backward(logits, lse, safe, valid)
        return ((lse - logits.gather(1, safe[:, None]).squeeze(1)) * valid).sum()

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # noqa: ANN001
        logits, lse, safe, valid = ctx.saved_tensors
        dlogits = (logits - lse[:, None]).exp_()  # softmax
        dlogits.scatter_add_(1, safe[:, None], -torch.ones_like(lse[:, None]))
        return dlogits.mul_((grad * valid).to(dlogits.dtype)[:, None]), None


def next_token_loss(logits: torch.Tensor, labels: torch.Tensor, shift: int) -> torch.Tensor:
    """Mean cross-entropy of logits[:, i] against labels[:, i + shift]; 0 when nothing is left to predict."""
    target = F.pad(labels[:, shift:], (0, shift), value=IGNORE_INDEX)
    total = SummedCrossEntropy.apply(logits.flatten(0, 1).float(), target.flatten())
    return total / (target != IGNORE_INDEX).sum().clamp(min=1)


class CausalLM(nn.Module):
    """DeepSeek-V3-style MoE language model with multi-token prediction."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.activation_checkpointing = False  # recompute each block (and MTP module) in backward
        h = cfg.hidden_size
        self.embed_tokens = nn.Embedding(cfg.vocab_size, h)
        self.layers = nn.ModuleList(Block(cfg, moe=i >= cfg.first_k_dense_replace) for i in range(cfg.num_hidden_layers))
        self.norm = RMSNorm(h, cfg.rms_norm_eps)
        self.lm_head = nn.Linear(h, cfg.vocab_size, bias=False)
        if cfg.tie_word_embeddings:
            self.lm_head.weight = self.embed_tokens.weight
        self.mtp = nn.ModuleList(MTPModule(cfg) for _ in range(cfg.num_nextn_predict_layers))
        self.apr = AdaptivePrecisionRouter(cfg) if cfg.apr_enabled else None
        self.init_weights()

    # ---- forward -------------------------------------------------------------------------------

    def forward(
        self, input_ids: torch.Tensor, labels: torch.Tensor | None = None, *, mtp_loss_weight: float | None = None,
        return_logits: bool = True,
    ) -> CausalLMOutput:
        """Logits for every position; with labels (usually input_ids, -100 = ignore) the losses too.

        The losses come from the hidden states through model/loss.py (head and cross-entropy fused, in row
        chunks), so `return_logits=False` (the trainer) never holds a [B, T, V] tensor.
        """
        cfg = self.cfg
        start = time.perf_counter() if self.apr is not None else 0.0  # for APR's time share; compiles without it
        cos, sin = rope_angles(input_ids.shape[1], cfg.qk_rope_head_dim, cfg.rope_theta, input_ids.device)
        h = self.embed_tokens(input_ids)
        loads, aux, uncertainty = [], [], None
        for i, block in enumerate(self.layers, start=1):
            h, load, balance = self._run(block, h, cos, sin)
            if load is not None:
                loads.append(load)
                aux.append(balance)
            if self.apr is not None and i == cfg.apr_estimator_layer:
                uncertainty = self.apr.estimate(h)
        apr = None
        if self.apr is not None:
            h, apr = self.apr.refine(h, uncertainty)
        h = self.norm(h)
        want_logits = return_logits or labels is None
        logits = self.lm_head(h) if want_logits else None
        heads = [h]  # the hidden states each head's loss is computed from

        mtp_logits = []
        for depth, module in enumerate(self.mtp, start=1):
            emb = self.embed_tokens(shift_left(input_ids, depth, fill=0))
            h, load, balance = self._run(module, h, emb, cos, sin)
            loads.append(load)
            aux.append(balance)
            heads.append(h)
            if want_logits:
                mtp_logits.append(self.lm_head(h))

        out = CausalLMOutput(logits=logits, mtp_logits=mtp_logits, expert_load=self._stack_loads(loads, h), apr=apr)
        out.aux_loss = torch.stack(aux).sum() if aux else h.new_zeros((), dtype=torch.float32)
        if apr is not None:
            if labels is not None:  # the estimator's target: the main head's entropy (costs one softmax)
                with torch.no_grad():
                    entropy_logits = logits if logits is not None else self.lm_head(heads[0])
                self.apr.attach_targets(apr, uncertainty, entropy_logits)
            if h.device.type == "cuda":
                torch.cuda.synchronize(h.device)
            apr.refine_time_share /= max(time.perf_counter() - start, 1e-9)
        if labels is not None:
            per_token = [token_losses(hd, self.lm_head.weight, labels, depth + 1) for depth, hd in enumerate(heads)]
            out.token_losses = per_token[0].detach()
            out.loss = mean_loss(per_token[0], labels, 1)
            losses = [mean_loss(pt, labels, depth + 1) for depth, pt in enumerate(per_token[1:], start=1)]
            out.mtp_losses = torch.stack(losses) if losses else out.loss.new_zeros(0)
            weight = cfg.mtp_loss_weight if mtp_loss_weight is None else mtp_loss_weight
            mtp_term = weight * out.mtp_losses.mean() if losses else 0.0
            out.total_loss = out.loss + mtp_term + out.aux_loss
            if apr is not None:
                out.total_loss = out.total_loss + cfg.apr_loss_weight * apr.estimator_loss
        return out

    def _run(self, module: nn.Module, *args: torch.Tensor):  # noqa: ANN202 - block outputs
        """Call a block, recomputing it in backward when activation checkpointing is on."""
        if self.activation_checkpointing and torch.is_grad_enabled():
            return checkpoint(module, *args, use_reentrant=False)
        return module(*args)

    def _stack_loads(self, loads: list[torch.Tensor], like: torch.Tensor) -> torch.Tensor:
        if loads:
            return torch.stack(loads)
        return torch.zeros(0, self.cfg.n_routed_experts, dtype=torch.long, device=like.device)

    # ---- balancing -----------------------------------------------------------------------------

    def routers(self) -> list[Router]:
        """Routers in expert_load row order: main MoE layers, then MTP blocks."""
        return [m for m in self.modules() if isinstance(m, Router)]

    def moe_layer_names(self) -> list[str]:
        """Labels for the rows of expert_load, e.g. ['layers.1', ..., 'mtp.0']."""
        return [name.removesuffix(".mlp.gate").removesuffix(".block") for name, m in self.named_modules() if isinstance(m, Router)]

    @torch.no_grad()
    def update_balance(self, expert_load: torch.Tensor, rate: float | None = None, group: object = None) -> None:
        """Bias step after optimizer.step(): sum loads over data-parallel ranks, then b += rate*sign(mean-load).

        Every rank must call it (it all-reduces when torch.distributed is initialised); all ranks
        then apply the same update, so the biases stay identical without being broadcast.
        """
        rate = self.cfg.bias_update_rate if rate is None else rate
        load = expert_load.detach()
        if dist.is_available() and dist.is_initialized():
            load = load.clone()
            dist.all_reduce(load, op=dist.ReduceOp.SUM, group=group)
        routers = self.routers()
        if load.shape[0] != len(routers):
            raise ValueError(f"expert_load has {load.shape[0]} rows, the model has {len(routers)} MoE layers")
        for router, row in zip(routers, load):
            router.update_bias(row, rate)

    def set_attention_backend(self, backend: AttentionBackend) -> None:
        """SDPA kernel choice for every attention layer: auto (no value padding) or flash (v padded to q's width)."""
        for m in self.modules():
            if isinstance(m, MultiHeadLatentAttention):
                m.backend = backend

    def set_expert_impl(self, impl: ExpertImpl) -> None:
        """Expert kernels for every MoE layer: auto (default), grouped_mm, or split (a matmul pair per expert)."""
        for m in self.modules():
            if isinstance(m, RoutedExperts):
                m.impl = impl

    # ---- init and sizes ------------------------------------------------------------------------

    @torch.no_grad()
    def init_weights(self, std: float | None = None) -> None:
        """Normal(0, std) for every matrix (DeepSeek-V3: 0.006), ones for norms, zero balancing bias.

        Call again after `to_empty()` when the model was built on the meta device (FSDP2).
        """
        std = self.cfg.initializer_range if std is None else std
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=std)
                if getattr(m, "bias", None) is not None:  # only APR's estimator has biases
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (Router, RoutedExperts)):
                m.reset_parameters(std)
            elif isinstance(m, RMSNorm):
                m.reset_parameters()
        if self.apr is not None:  # prior: an untrained head is near-uniform, entropy log(V)
            nn.init.constant_(self.apr.estimator.out.bias, math.log(self.cfg.vocab_size))

    def num_params(self) -> dict[str, int]:
        """Counted from the tensors: main total, activated per token (K of E routed experts), and MTP."""
        k, e = self.cfg.num_experts_per_tok, self.cfg.n_routed_experts
        mtp = sum(p.numel() for p in self.mtp.parameters())
        apr = sum(p.numel() for p in self.apr.parameters()) if self.apr is not None else 0
        total = sum(p.numel() for p in self.parameters()) - mtp - apr
        routed = sum(p.numel() for m in self.layers.modules() if isinstance(m, RoutedExperts) for p in m.parameters())
        counts = {"total": total, "activated": total - routed + routed * k // e, "mtp": mtp}
        return {**counts, "apr": apr} if self.apr is not None else counts
