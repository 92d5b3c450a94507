"""The fused head + cross-entropy (model/loss.py), the trainer's logits-free forward, and that it compiles whole."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from model import CausalLM, ModelConfig
from model.loss import IGNORE_INDEX, LinearCrossEntropy, token_losses


@pytest.mark.parametrize("rows", [1, 7, 64, 1000])
def test_chunked_head_ce_matches_cross_entropy_and_its_gradients(rows):
    gen = torch.Generator().manual_seed(0)
    h = torch.randn(50, 16, generator=gen, dtype=torch.float64, requires_grad=True)
    w = torch.randn(40, 16, generator=gen, dtype=torch.float64, requires_grad=True)
    target = torch.randint(0, 40, (50,), generator=gen)
    target[::5] = IGNORE_INDEX
    scale = torch.rand(50, generator=gen, dtype=torch.float64)
    ours = LinearCrossEntropy.apply(h, w, target, rows)
    (ours * scale).sum().backward()
    gh, gw = h.grad.clone(), w.grad.clone()
    h.grad = w.grad = None
    ref = F.cross_entropy(h @ w.t(), target, ignore_index=IGNORE_INDEX, reduction="none")
    (ref * scale).sum().backward()
    torch.testing.assert_close(ours, ref.float(), rtol=1e-5, atol=1e-6)  # lse is kept in fp32
    torch.testing.assert_close(gh, h.grad, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(gw, w.grad, rtol=1e-4, atol=1e-5)
    assert (ours[::5] == 0).all()


def test_token_losses_shift_and_bf16_autocast():
    gen = torch.Generator().manual_seed(1)
    h, w = torch.randn(2, 9, 8, generator=gen), torch.randn(30, 8, generator=gen)
    labels = torch.randint(0, 30, (2, 9), generator=gen)
    per = token_losses(h, w, labels, 2)
    assert per.shape == (2, 9) and (per[:, -2:] == 0).all()
    ref = F.cross_entropy((h[:, :-2] @ w.t()).flatten(0, 1), labels[:, 2:].flatten(), reduction="none")
    torch.testing.assert_close(per[:, :-2].flatten(), ref)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        low = token_losses(h, w, labels, 2)
    assert low.dtype == torch.float32 and (low - per).abs().max() < 0.1


def test_forward_without_logits_gives_the_same_losses_and_no_vocab_tensor():
    torch.manual_seed(0)
    model = CausalLM(ModelConfig.preset("tiny"))
    ids = torch.randint(4, 200, (2, 24))
    full = model(ids, labels=ids)
    lean = model(ids, labels=ids, return_logits=False)
    assert lean.logits is None and lean.mtp_logits == []
    torch.testing.assert_close(lean.total_loss, full.total_loss, rtol=0, atol=0)
    assert lean.token_losses.shape == ids.shape and not lean.token_losses.requires_grad
    ce = F.cross_entropy(full.logits[:, :-1].flatten(0, 1), ids[:, 1:].flatten(), reduction="none")
    torch.testing.assert_close(lean.token_losses[:, :-1].flatten(), ce)


def test_forward_and_loss_compile_with_fullgraph_no_host_sync():
    """Any .item()/.tolist()/boolean index in the forward or the loss would be a graph break and fail here."""
    from pipelines.training.step import _split_ce

    torch.manual_seed(0)
    model = CausalLM(ModelConfig.preset("tiny"))
    ids = torch.randint(4, 200, (2, 24))
    roles = torch.randint(0, 3, (2, 24), dtype=torch.uint8)

    def loss_and_split(ids: torch.Tensor, roles: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = model(ids, labels=ids, return_logits=False)
        return out.total_loss, _split_ce(out.token_losses, roles)

    compiled = torch.compile(loss_and_split, fullgraph=True, backend="aot_eager")
    loss, split = compiled(ids, roles)
    loss.backward()
    eager_loss, eager_split = loss_and_split(ids, roles)
    torch.testing.assert_close(loss, eager_loss)
    torch.testing.assert_close(split, eager_split)
    assert all(p.grad is not None for p in model.lm_head.parameters())


def test_value_head_is_padded_only_for_flash():
    torch.manual_seed(0)
    model = CausalLM(ModelConfig.preset("tiny"))
    ids = torch.randint(4, 200, (2, 16))
    auto = model(ids).logits
    model.set_attention_backend("flash")
    torch.testing.assert_close(model(ids).logits, auto, rtol=1e-5, atol=1e-5)
