"""Exported folders load in transformers and give our logits (fp32, 1e-4), MTP modules included."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors import safe_open

from model import CausalLM, ModelConfig
from model.export import load_pretrained, save_pretrained

transformers = pytest.importorskip("transformers")
transformers.logging.set_verbosity_error()  # quiet load bars; tests/model/test_export.py checks the load report

SMALL = dict(
    vocab_size=512, hidden_size=64, intermediate_size=128, moe_intermediate_size=32, num_hidden_layers=3,
    num_attention_heads=4, q_lora_rank=48, kv_lora_rank=32, qk_nope_head_dim=16, qk_rope_head_dim=8,
    v_head_dim=16, n_routed_experts=8, num_experts_per_tok=2, routed_scaling_factor=2.5, seq_aux_loss_alpha=1e-3,
)
CONFIGS = {
    "group-routing+dense-first+mtp1": dict(n_group=4, topk_group=2, first_k_dense_replace=1, num_nextn_predict_layers=1),
    "no-groups+all-moe+mtp0+full-rank-q": dict(
        n_group=1, topk_group=1, first_k_dense_replace=0, num_nextn_predict_layers=0, q_lora_rank=None
    ),
    "mtp2+two-dense+tied+no-interleave": dict(
        n_group=2, topk_group=1, first_k_dense_replace=2, num_nextn_predict_layers=2, tie_word_embeddings=True,
        rope_interleave=False, norm_topk_prob=False, n_shared_experts=2,
    ),
}


def trained_model(fields: dict, steps: int = 4) -> CausalLM:
    """A model whose weights and balancing biases were changed by a few real training steps."""
    torch.manual_seed(0)
    model = CausalLM(ModelConfig(**{**SMALL, **fields}))
    model.init_weights(std=0.05)  # larger than 0.006 so routing and logits are far from uniform
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    for _ in range(steps):
        ids = torch.randint(0, model.cfg.vocab_size, (4, 32))
        out = model(ids, labels=ids)
        out.total_loss.backward()
        opt.step()
        opt.zero_grad()
        model.update_balance(out.expert_load, rate=0.02)
    return model.eval()


@pytest.mark.parametrize("name", list(CONFIGS))
def test_transformers_gives_our_logits(name, tmp_path):
    model = trained_model(CONFIGS[name])
    biases = torch.stack([r.e_score_correction_bias for r in model.routers()])
    assert (biases != 0).any(dim=1).all()  # training moved the biases of every MoE layer
    save_pretrained(model, tmp_path)

    hf = transformers.AutoModelForCausalLM.from_pretrained(tmp_path).eval()
    assert type(hf).__name__ == "DeepseekV3ForCausalLM"
    ids = torch.randint(0, model.cfg.vocab_size, (3, 40))
    with torch.no_grad():
        ours, theirs = model(ids).logits, hf(ids).logits
    assert (ours - theirs).abs().max().item() < 1e-4
    assert ours.std() > 0.1  # not trivially small logits

    with torch.no_grad():  # the biases matter: zeroing them changes the logits
        for r in model.routers():
            r.e_score_correction_bias.zero_()
        assert (model(ids).logits - ours).abs().max() > 1e-3


def test_round_trip_and_disk_layout(tmp_path):
    model = trained_model(CONFIGS["mtp2+two-dense+tied+no-interleave"], steps=2)
    save_pretrained(model, tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["model_type"] == "deepseek_v3" and config["num_nextn_predict_layers"] == 2
    with safe_open(tmp_path / "model.safetensors", "pt") as f, safe_open(tmp_path / "mtp.safetensors", "pt") as g:
        keys = set(f.keys()) | set(g.keys())
        assert all(int(k.split(".")[2]) >= 2 for k in g.keys() if k.startswith("model.layers."))  # MTP apart
    for key in [
        "model.layers.2.mlp.experts.7.gate_proj.weight",
        "model.layers.2.mlp.experts.0.down_proj.weight",
        "model.layers.2.mlp.gate.e_score_correction_bias",
        "model.layers.0.mlp.gate_proj.weight",
        "model.layers.3.enorm.weight",
        "model.layers.3.hnorm.weight",
        "model.layers.3.eh_proj.weight",
        "model.layers.4.shared_head.norm.weight",
        "model.layers.4.shared_head.head.weight",
        "model.layers.4.embed_tokens.weight",
        "model.layers.4.mlp.experts.3.up_proj.weight",
    ]:
        assert key in keys, key

    loaded = load_pretrained(tmp_path)
    for (name, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items(), strict=True):
        assert torch.equal(a, b), name
    assert loaded.lm_head.weight is loaded.embed_tokens.weight


def test_loading_never_unpickles(tmp_path, monkeypatch):
    save_pretrained(CausalLM(ModelConfig(**SMALL)), tmp_path)
    (tmp_path / "pytorch_model.bin").write_bytes(b"not a pickle we would ever open")

    def refuse(*args, **kwargs):
        raise AssertionError("torch.load called")

    monkeypatch.setattr(torch, "load", refuse)
    load_pretrained(tmp_path)


def test_transformers_checkpoint_loads_into_ours(tmp_path):
    """The other direction: a folder written by transformers' own save_pretrained."""
    fields = {**SMALL, **CONFIGS["no-groups+all-moe+mtp0+full-rank-q"]}
    ours = CausalLM(ModelConfig(**fields))
    save_pretrained(ours, tmp_path / "ours")
    hf = transformers.AutoModelForCausalLM.from_pretrained(tmp_path / "ours").eval()
    hf.save_pretrained(tmp_path / "hf")
    back = load_pretrained(tmp_path / "hf").eval()
    ids = torch.randint(0, fields["vocab_size"], (2, 24))
    with torch.no_grad():
        assert (back(ids).logits - hf(ids).logits).abs().max() < 1e-4


def test_mtp_modules_match_transformers_mtp_layers(tmp_path):
    """transformers' own MTP loader reads our extra layers and predicts what our MTP depths predict.

    Its DeepseekV3 looks for MTP weights at layer 61 (the released model); we point it at ours. It reads
    them from the main checkpoint, so a sharded index over model.safetensors and mtp.safetensors serves it.
    """
    from transformers.modeling_layers import MtpModel

    model = trained_model(CONFIGS["mtp2+two-dense+tied+no-interleave"], steps=2)
    save_pretrained(model, tmp_path / "export")
    both = tmp_path / "with-mtp"
    both.mkdir()
    (both / "config.json").symlink_to(tmp_path / "export/config.json")
    weight_map = {}
    for i, name in enumerate(("model.safetensors", "mtp.safetensors"), 1):
        shard = f"model-{i:05d}-of-00002.safetensors"
        (both / shard).symlink_to(tmp_path / "export" / name)
        with safe_open(tmp_path / "export" / name, "pt") as f:
            weight_map |= dict.fromkeys(f.keys(), shard)
    (both / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    hf = transformers.AutoModelForCausalLM.from_pretrained(both).eval()
    layers, depth = model.cfg.num_hidden_layers, model.cfg.num_nextn_predict_layers
    hf._keys_to_ignore_on_load_unexpected = [rf"model\.layers\.{layers + k}\..*" for k in range(depth)]
    mtp = MtpModel.from_pretrained(hf).eval()

    ids = torch.randint(0, model.cfg.vocab_size, (2, 24))
    t = ids.shape[1]
    with torch.no_grad():
        ours = model(ids)
        hidden = hf(ids, output_hidden_states=True).hidden_states[-1]  # final-normed, as ours
        positions = torch.arange(t).unsqueeze(0)
        for k in range(1, depth + 1):  # depth k reads token i+k beside h^{k-1}_i
            hidden = mtp.forward_layer(k - 1, hidden[:, : t - k], positions[:, k:], None, input_ids=ids[:, k:])
            theirs = mtp._project_to_logits(hidden)
            assert (ours.mtp_logits[k - 1][:, : t - k] - theirs).abs().max() < 1e-4
