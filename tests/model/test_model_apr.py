"""Adaptive precision routing: exact top-fraction routing, identity at fraction 0, all tokens at 1, gradients, export."""

from __future__ import annotations

import json

import pytest
import torch

from model import CausalLM, ModelConfig
from model.export import load_pretrained, save_pretrained
from model.apr import capacity

SMALL = dict(vocab_size=512, hidden_size=64, intermediate_size=128, moe_intermediate_size=32, num_hidden_layers=3,
             num_attention_heads=2, q_lora_rank=48, kv_lora_rank=32, qk_nope_head_dim=16, qk_rope_head_dim=8,
             v_head_dim=16, n_routed_experts=8, num_experts_per_tok=2, n_group=2, topk_group=1,
             num_nextn_predict_layers=1)


def build(fraction: float, **extra: object) -> CausalLM:
    torch.manual_seed(0)
    cfg = ModelConfig.preset("tiny", **SMALL, apr_enabled=True, apr_fraction=fraction, apr_estimator_layer=2,
                             apr_intermediate_size=64, **extra)
    return CausalLM(cfg)


def batch(seed: int = 1) -> torch.Tensor:
    return torch.randint(0, SMALL["vocab_size"], (3, 20), generator=torch.Generator().manual_seed(seed))


def without_apr(model: CausalLM) -> CausalLM:
    """The same weights in a model with APR off."""
    plain = CausalLM(model.cfg.model_copy(update={"apr_enabled": False}))
    plain.load_state_dict({k: v for k, v in model.state_dict().items() if not k.startswith("apr.")})
    return plain


def test_routed_tokens_are_exactly_the_top_fraction():
    model = build(0.25)
    ids = batch()
    out = model(ids, labels=ids)
    u = out.apr.predicted_entropy.flatten()
    n = ids.numel()
    assert out.apr.routed.numel() == capacity(n, 0.25) == 15
    assert out.apr.routed_fraction.item() == pytest.approx(15 / n)
    assert set(out.apr.routed.tolist()) == set(u.topk(15).indices.tolist())
    assert u[out.apr.routed].min() >= u[~torch.isin(torch.arange(n), out.apr.routed)].max()


def test_only_routed_rows_change_and_threshold_masks():
    model = build(0.25)
    ids = batch()
    refined = model(ids).logits.flatten(0, 1)
    plain = without_apr(model)(ids).logits.flatten(0, 1)
    routed = model(ids).apr.routed
    changed = ((refined - plain).abs().amax(dim=-1) > 0).nonzero().flatten()
    assert sorted(changed.tolist()) == sorted(routed.tolist())

    model.apr.threshold = float("inf")  # capacity still 15, but nothing clears the bar
    out = model(ids)
    assert out.apr.routed.numel() == 0 and out.apr.routed_fraction.item() == 0
    torch.testing.assert_close(out.logits, without_apr(model)(ids).logits, rtol=0, atol=0)


def test_fraction_zero_equals_the_model_without_apr():
    model = build(0.0)
    ids = batch()
    out, ref = model(ids, labels=ids), without_apr(model)(ids, labels=ids)
    assert out.apr.routed.numel() == 0
    torch.testing.assert_close(out.logits, ref.logits, rtol=0, atol=0)
    torch.testing.assert_close(out.loss, ref.loss, rtol=0, atol=0)
    torch.testing.assert_close(out.mtp_losses, ref.mtp_losses, rtol=0, atol=0)


def test_fraction_one_refines_every_token():
    model = build(1.0)
    ids = batch()
    out = model(ids)
    assert out.apr.routed_fraction.item() == 1.0
    assert sorted(out.apr.routed.tolist()) == list(range(ids.numel()))
    differs = (out.logits - without_apr(model)(ids).logits).abs().amax(dim=-1)
    assert (differs > 0).all()


def test_gradients_reach_the_estimator_from_both_losses():
    model = build(0.25)
    ids = batch()
    out = model(ids, labels=ids)
    assert out.apr.estimator_loss is not None and out.apr.estimator_error.item() >= 0
    est = model.apr.estimator.up.weight
    (grad_reg,) = torch.autograd.grad(out.apr.estimator_loss, est, retain_graph=True)
    (grad_lm,) = torch.autograd.grad(out.loss, est, retain_graph=True)  # straight-through gate only
    assert grad_reg.abs().sum() > 0 and grad_lm.abs().sum() > 0
    out.total_loss.backward()
    assert model.apr.blocks[0].mlp.down.weight.grad.abs().sum() > 0
    trunk = model.layers[0].self_attn.o_proj.weight  # estimator input is detached: its loss leaves the trunk alone
    (grad_trunk,) = torch.autograd.grad(model(ids, labels=ids).apr.estimator_loss, trunk, allow_unused=True)
    assert grad_trunk is None or grad_trunk.abs().sum() == 0


def test_refinement_runs_in_the_configured_precision_under_autocast():
    model = build(0.5, apr_dtype="float32")
    seen = []
    model.apr.blocks[0].mlp.down.register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        model(batch())
    assert seen == [torch.float32]


def test_export_keeps_apr_weights_apart_and_warns(tmp_path):
    model = build(0.25)
    model.apr.estimator.out.bias.data.fill_(1.5)
    with pytest.warns(UserWarning, match="transformers"):
        save_pretrained(model, tmp_path)
    assert (tmp_path / "apr.safetensors").is_file()
    assert json.loads((tmp_path / "config.json").read_text())["apr_enabled"] is True
    loaded = load_pretrained(tmp_path)
    ids = batch()
    torch.testing.assert_close(loaded(ids).logits, model(ids).logits, rtol=0, atol=0)

    plain_dir = tmp_path / "plain"
    save_pretrained(without_apr(model), plain_dir)
    assert not (plain_dir / "apr.safetensors").exists()
