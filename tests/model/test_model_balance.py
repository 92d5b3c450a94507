"""Aux-loss-free balancing un-collapses a router that starts with every token on two experts."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from model import ModelConfig
from model.moe import MoE

STEPS, WINDOW = 300, 10  # the trainer logs load summed over a window of steps; 10 steps here


def train_collapsed_moe(gamma: float, seed: int) -> list[float]:
    """Train one MoE layer on a skewed stream, stepping the bias by gamma after each optimizer step.

    Collapse by construction: every hidden state shares a large common direction `mu` (as real
    residual streams do), the token mix is Zipfian, and the router rows of experts 0 and 1 start
    aligned with `mu`, so at step 0 all tokens pick experts 0 and 1 (max/mean = E/K = 8).
    Returns max/mean of the load summed over each window of WINDOW steps.
    """
    hidden, vocab, experts = 32, 64, 16
    cfg = ModelConfig(
        hidden_size=hidden, moe_intermediate_size=16, n_routed_experts=experts, num_experts_per_tok=2,
        n_shared_experts=1, seq_aux_loss_alpha=0.0,
    )
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    moe = MoE(cfg)
    moe.gate.reset_parameters(0.05)
    moe.experts.reset_parameters(0.05)
    mu = F.normalize(torch.randn(hidden, generator=g), dim=0)
    embeddings = torch.randn(vocab, hidden, generator=g)
    zipf = 1.0 / torch.arange(1, vocab + 1, dtype=torch.float32)
    teacher = torch.randn(hidden, hidden, generator=g) / hidden**0.5
    with torch.no_grad():
        moe.gate.weight[:2] += mu
    opt = torch.optim.AdamW(moe.parameters(), lr=1e-3)

    loads = []
    for _ in range(STEPS):
        tokens = torch.multinomial(zipf, 16 * 64, replacement=True, generator=g)
        x = (4 * mu + embeddings[tokens] + 0.5 * torch.randn(16 * 64, hidden, generator=g)).view(16, 64, hidden)
        out, load, _ = moe(x)
        loss = F.mse_loss(out, torch.tanh(x @ teacher))
        opt.zero_grad()
        loss.backward()
        opt.step()
        moe.gate.update_bias(load, gamma)
        loads.append(load)
    windows = torch.stack(loads).unfold(0, WINDOW, 1).sum(-1).float()
    return (windows.max(-1).values / windows.mean(-1)).tolist()


def test_bias_update_balances_a_collapsed_router(one_thread):
    ratios = train_collapsed_moe(gamma=0.005, seed=0)
    assert ratios[0] > 7.5  # collapsed at the start
    assert max(ratios[-50:]) < 1.3, ratios[-50:]  # balanced, and stays so, well within 300 steps


def test_without_bias_updates_the_router_stays_collapsed(one_thread):
    ratios = train_collapsed_moe(gamma=0.0, seed=0)
    assert min(ratios) > 3, min(ratios)
