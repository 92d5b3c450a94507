"""CausalLM forward contract: losses, MTP targets, causality, checkpointing, load accounting, init."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from model import CausalLM, ModelConfig

CFG = ModelConfig(
    vocab_size=256, hidden_size=48, intermediate_size=96, moe_intermediate_size=24, num_hidden_layers=3,
    num_attention_heads=2, q_lora_rank=32, kv_lora_rank=24, qk_nope_head_dim=16, qk_rope_head_dim=8,
    v_head_dim=16, n_routed_experts=8, num_experts_per_tok=2, n_group=2, topk_group=1,
    first_k_dense_replace=1, num_nextn_predict_layers=2, mtp_loss_weight=0.3, seq_aux_loss_alpha=1e-2,
)


pytestmark = pytest.mark.usefixtures("one_thread")


def make_model(**fields) -> CausalLM:
    torch.manual_seed(0)
    model = CausalLM(CFG.model_copy(update=fields))
    model.init_weights(std=0.05)
    return model


def ids(b: int = 2, t: int = 20, seed: int = 1) -> torch.Tensor:
    return torch.randint(0, CFG.vocab_size, (b, t), generator=torch.Generator().manual_seed(seed))


def test_outputs_and_total_loss():
    model = make_model()
    x = ids()
    out = model(x, labels=x)
    assert out.logits.shape == (2, 20, CFG.vocab_size)
    assert out.mtp_losses.shape == (2,) and len(out.mtp_logits) == 2
    assert out.aux_loss > 0
    torch.testing.assert_close(out.total_loss, out.loss + 0.3 * out.mtp_losses.mean() + out.aux_loss)
    custom = model(x, labels=x, mtp_loss_weight=0.1)
    torch.testing.assert_close(custom.total_loss, custom.loss + 0.1 * custom.mtp_losses.mean() + custom.aux_loss)
    assert out.expert_load.dtype == torch.long and out.expert_load.shape == (2 + 2, CFG.n_routed_experts)
    assert (out.expert_load.sum(-1) == 2 * 20 * CFG.num_experts_per_tok).all()
    assert (out.expert_load_ratio >= 1).all()
    out.total_loss.backward()
    assert all(p.grad is not None for p in model.parameters())


def test_without_labels_there_is_no_loss():
    out = make_model().eval()(ids())
    assert out.loss is None and out.total_loss is None and out.logits.shape[-1] == CFG.vocab_size


def test_depth_k_predicts_token_i_plus_k_plus_1():
    model = make_model()
    x = ids()
    labels = x.clone()
    labels[0, 5] = -100  # ignored everywhere it is a target
    out = model(x, labels=labels)

    def ce(logits, target):
        keep = target != -100
        return F.cross_entropy(logits[keep], target[keep])

    torch.testing.assert_close(out.loss, ce(out.logits[:, :-1], labels[:, 1:]))
    for k, (loss, logits) in enumerate(zip(out.mtp_losses, out.mtp_logits), start=1):
        torch.testing.assert_close(loss, ce(logits[:, : -(k + 1)], labels[:, k + 1 :]))


def test_causal_main_and_mtp():
    """Main logits at i see tokens <= i; MTP depth k at i sees tokens <= i + k, and uses token i + k."""
    model = make_model().eval()
    x = ids()
    y = x.clone()
    j = 12
    y[:, j] = (y[:, j] + 1) % CFG.vocab_size
    with torch.no_grad():
        a, b = model(x), model(y)
    assert torch.allclose(a.logits[:, :j], b.logits[:, :j], atol=1e-6) and not torch.allclose(a.logits[:, j], b.logits[:, j])
    for k, (la, lb) in enumerate(zip(a.mtp_logits, b.mtp_logits), start=1):
        assert torch.allclose(la[:, : j - k], lb[:, : j - k], atol=1e-6)
        assert not torch.allclose(la[:, j - k], lb[:, j - k])


def test_activation_checkpointing_changes_nothing_and_counts_load_once():
    x = ids()
    results = []
    for checkpointing in (False, True):
        model = make_model()
        model.train()
        model.activation_checkpointing = checkpointing
        out = model(x, labels=x)
        out.total_loss.backward()
        results.append((out, {n: p.grad for n, p in model.named_parameters()}))
    (plain, plain_grads), (ckpt, ckpt_grads) = results
    assert torch.equal(plain.expert_load, ckpt.expert_load)
    torch.testing.assert_close(plain.total_loss, ckpt.total_loss)
    for name, grad in plain_grads.items():
        torch.testing.assert_close(grad, ckpt_grads[name], atol=1e-6, rtol=1e-5, msg=name)


def test_loads_from_micro_batches_sum_to_the_full_batch_load():
    model = make_model()
    x = ids(b=4)
    full = model(x).expert_load
    summed = sum(model(part).expert_load for part in x.split(2))
    assert torch.equal(full, summed)


def test_meta_init_then_materialise():
    """The FSDP2 path: build on meta, allocate with to_empty, then init_weights."""
    with torch.device("meta"):
        model = CausalLM(CFG)
    model.to_empty(device="cpu")
    model.init_weights()
    assert all(r.e_score_correction_bias.abs().sum() == 0 for r in model.routers())
    assert 0.004 < model.lm_head.weight.std() < 0.008
    out = model(ids(), labels=ids())
    assert torch.isfinite(out.total_loss)


def test_bf16_autocast_keeps_routing_in_fp32():
    model = make_model()
    x = ids()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(x, labels=x)
    out.total_loss.backward()
    assert out.logits.dtype == torch.bfloat16 and torch.isfinite(out.total_loss)
    assert all(r.e_score_correction_bias.dtype == torch.float32 for r in model.routers())


def test_split_and_grouped_dispatch_agree_in_the_model():
    model = make_model()
    x = ids()
    grouped = model(x, labels=x).total_loss
    model.set_expert_impl("split")
    torch.testing.assert_close(model(x, labels=x).total_loss, grouped)


@pytest.mark.slow
def test_traces_as_one_graph_for_torch_compile():
    """The trainer's optional torch.compile: no graph breaks on the bf16 path (grouped_mm, no host sync)."""
    model = make_model()
    x = ids()
    compiled = torch.compile(model, backend="eager", fullgraph=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got = compiled(x, labels=x)
        want = model(x, labels=x)
    got.total_loss.backward()
    torch.testing.assert_close(got.total_loss, want.total_loss)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_summed_cross_entropy_matches_torch_in_value_and_gradient(dtype):
    """Our one-pass-backward cross-entropy is F.cross_entropy(reduction="sum") with ignore_index -100."""
    from model.causal_lm import SummedCrossEntropy

    logits = (3 * torch.randn(30, 50, dtype=dtype)).requires_grad_()
    target = torch.randint(0, 50, (30,))
    target[::4] = -100
    want = F.cross_entropy(logits, target, ignore_index=-100, reduction="sum")
    got = SummedCrossEntropy.apply(logits, target)
    torch.testing.assert_close(got, want)
    grad = torch.tensor(0.7, dtype=dtype)
    torch.testing.assert_close(torch.autograd.grad(got, logits, grad)[0], torch.autograd.grad(want, logits, grad)[0])
