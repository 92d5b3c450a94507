"""MoE: sorted dispatch equals a plain per-token loop; the balancing bias steers selection only."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from model import CausalLM, ModelConfig
from model.moe import MoE, Router, expert_counts, sequence_balance_loss

CFG = ModelConfig(
    hidden_size=32, moe_intermediate_size=16, n_routed_experts=8, num_experts_per_tok=3, n_group=4,
    topk_group=2, n_shared_experts=1, routed_scaling_factor=2.5, seq_aux_loss_alpha=0.0,
)


def reference_moe(moe: MoE, x: torch.Tensor) -> torch.Tensor:
    """Tests only: every token through each of its experts one at a time, weighted and summed."""
    flat = x.reshape(-1, x.shape[-1])
    routing = moe.gate(flat)
    rows = []
    for n in range(flat.shape[0]):
        acc = moe.shared_experts(flat[n])
        for slot in range(routing.indices.shape[1]):
            e = routing.indices[n, slot]
            gate, up = (flat[n] @ moe.experts.gate_up[e]).chunk(2)
            acc = acc + routing.weights[n, slot] * ((F.silu(gate) * up) @ moe.experts.down[e])
        rows.append(acc)
    return torch.stack(rows).view_as(x)


def make_moe(seed: int = 0) -> MoE:
    torch.manual_seed(seed)
    moe = MoE(CFG)
    moe.gate.reset_parameters(0.3)
    moe.experts.reset_parameters(0.2)
    moe.gate.e_score_correction_bias.normal_(0, 0.1)
    return moe


@pytest.mark.parametrize("impl", ["grouped_mm", "split"])
def test_dispatch_matches_reference_loop_in_outputs_and_grads(impl):
    moe = make_moe()
    moe.experts.impl = impl
    x = torch.randn(3, 11, CFG.hidden_size, requires_grad=True)
    grad_out = torch.randn_like(x)

    out, load, _ = moe(x)
    got = torch.autograd.grad(out, [x, *moe.parameters()], grad_out)
    ref = reference_moe(moe, x)
    want = torch.autograd.grad(ref, [x, *moe.parameters()], grad_out)

    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w, atol=1e-5, rtol=1e-5)
    assert load.sum() == 3 * 11 * CFG.num_experts_per_tok  # no token dropped


def test_experts_with_no_tokens_are_fine():
    moe = make_moe()
    with torch.no_grad():
        moe.gate.e_score_correction_bias.copy_(torch.tensor([9.0, 9.0, 9.0, 0, 0, 0, 0, 0]))  # only 0..2 chosen
    x = torch.randn(2, 5, CFG.hidden_size, requires_grad=True)
    out, load, _ = moe(x)
    assert load.tolist() == [10, 10, 10, 0, 0, 0, 0, 0]
    out.square().sum().backward()
    assert moe.experts.gate_up.grad[3:].abs().sum() == 0 and moe.experts.gate_up.grad[:3].abs().sum() > 0


def test_bias_selects_but_gate_weights_come_from_unbiased_scores():
    router = make_moe().gate
    x = torch.randn(64, CFG.hidden_size)
    with torch.no_grad():
        router.e_score_correction_bias.zero_()
        unbiased = router(x)
        router.e_score_correction_bias[5] = 10.0  # expert 5 now always chosen
        biased = router(x)
    assert (biased.indices == 5).any(dim=1).all() and not (unbiased.indices == 5).any(dim=1).all()
    scores = torch.sigmoid(x @ router.weight.T)
    torch.testing.assert_close(biased.scores, scores)
    chosen = scores.gather(1, biased.indices)
    torch.testing.assert_close(biased.weights, CFG.routed_scaling_factor * chosen / chosen.sum(-1, keepdim=True))


def test_group_limited_routing_stays_inside_the_best_groups():
    router = make_moe().gate
    x = torch.randn(256, CFG.hidden_size)
    with torch.no_grad():
        routing = router(x)
        choice = routing.scores + router.e_score_correction_bias
    groups = routing.indices // (CFG.n_routed_experts // CFG.n_group)
    assert all(len(set(row.tolist())) <= CFG.topk_group for row in groups)
    group_scores = choice.view(256, CFG.n_group, -1).topk(2, dim=-1).values.sum(-1)
    best = group_scores.topk(CFG.topk_group, dim=-1).indices.sort(dim=-1).values
    for row, keep in zip(groups, best):
        assert set(row.tolist()) <= set(keep.tolist())


def test_update_bias_is_a_signed_step_toward_the_mean():
    router = Router(CFG)
    load = torch.tensor([10, 0, 5, 5, 5, 5, 5, 5])
    router.update_bias(load, rate=0.01)
    assert router.e_score_correction_bias.tolist() == pytest.approx([-0.01, 0.01, 0, 0, 0, 0, 0, 0])


def test_bias_buffer_stays_fp32_and_exact_through_dtype_casts():
    moe = make_moe()
    before = moe.gate.e_score_correction_bias.clone()
    moe.to(torch.bfloat16)
    assert moe.gate.weight.dtype == torch.bfloat16
    assert moe.gate.e_score_correction_bias.dtype == torch.float32
    assert torch.equal(moe.gate.e_score_correction_bias, before)
    assert "gate.e_score_correction_bias" in moe.state_dict()
    assert "gate.e_score_correction_bias" not in dict(moe.named_parameters())


def test_expert_counts_and_sequence_balance_loss():
    indices = torch.tensor([[0, 1], [1, 2], [0, 3], [2, 3]])
    assert expert_counts(indices, 5).tolist() == [2, 2, 2, 2, 0]
    moe = make_moe()
    moe.train()
    uniform = sequence_balance_loss(
        routing=type("R", (), {"scores": torch.ones(8, 4), "indices": torch.tensor([[0, 1], [2, 3]] * 4)})(),
        batch=2,
        alpha=0.5,
    )
    assert uniform.item() == pytest.approx(0.5)  # balanced: f_i = 1, P_i = 1/E -> alpha
    moe.alpha = 1e-2
    _, _, aux = moe(torch.randn(2, 7, CFG.hidden_size))
    aux.backward()
    assert aux > 0 and moe.gate.weight.grad.abs().sum() > 0


def test_model_update_balance_steps_every_router_in_load_order():
    cfg = ModelConfig.preset("tiny", num_nextn_predict_layers=1)
    model = CausalLM(cfg)
    out = model(torch.randint(0, cfg.vocab_size, (2, 16)))
    assert out.expert_load.shape == (cfg.num_moe_layers + 1, cfg.n_routed_experts)
    assert model.moe_layer_names() == ["layers.1", "layers.2", "layers.3", "mtp.0"]
    model.update_balance(out.expert_load, rate=0.01)
    for router, load in zip(model.routers(), out.expert_load):
        want = 0.01 * torch.sign(load.float().mean() - load.float())
        torch.testing.assert_close(router.e_score_correction_bias, want)
    with pytest.raises(ValueError, match="rows"):
        model.update_balance(out.expert_load[:2])


def test_opaque_grouped_mm_matches_grouped_mm_and_compiles_in_fp32():
    """The compiled fp32 CPU path: one graph through the opaque op, same outputs and gradients as eager."""
    from model.moe import opaque_grouped_mm

    rows = torch.randn(10, 16, requires_grad=True)
    weight = torch.randn(3, 16, 8, requires_grad=True)
    offs = torch.tensor([4, 4, 10], dtype=torch.int32)  # the middle expert gets no rows
    torch.library.opcheck(opaque_grouped_mm, (rows, weight, offs))
    grad = torch.randn(10, 8)
    want = torch.autograd.grad(F.grouped_mm(rows, weight, offs=offs), (rows, weight), grad)
    got = torch.autograd.grad(opaque_grouped_mm(rows, weight, offs), (rows, weight), grad)
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w)

    moe = make_moe()
    x = torch.randn(2, 9, CFG.hidden_size, requires_grad=True)
    eager, _, _ = moe(x)
    compiled, _, _ = torch.compile(moe, backend="aot_eager", fullgraph=True)(x)
    torch.testing.assert_close(compiled, eager)
    params = [x, *moe.parameters()]
    for g, w in zip(torch.autograd.grad(compiled.sum(), params), torch.autograd.grad(eager.sum(), params), strict=True):
        torch.testing.assert_close(g, w)
