"""ModelConfig: presets, sizes, validation that names the bad field, FLOP counting."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest
import yaml

from model import CausalLM, ModelConfig
from model.presets import render_yaml

ROOT = Path(__file__).resolve().parents[2]


def test_hydra_group_is_generated_from_the_presets():
    """conf/model/ holds exactly model/presets.py, rendered byte for byte: the two cannot drift."""
    assert ModelConfig.presets() == ["1b", "micro", "small", "tiny"]
    group = ROOT / "conf" / "model"
    assert sorted(p.stem for p in group.glob("*.yaml")) == ModelConfig.presets()
    for name in ModelConfig.presets():
        hydra_file = group / f"{name}.yaml"
        assert not hydra_file.is_symlink()
        assert hydra_file.read_text() == render_yaml(name), f"run `python -m model.presets` ({name})"
        assert ModelConfig(**yaml.safe_load(hydra_file.read_text())) == ModelConfig.preset(name)


def test_hydra_composes_the_preset_into_the_train_config():
    """`model=small` in conf/train.yaml yields the same fields as ModelConfig.preset('small')."""
    hydra = pytest.importorskip("hydra")
    from omegaconf import OmegaConf

    with hydra.initialize_config_dir(config_dir=str(ROOT / "conf"), version_base=None):
        cfg = hydra.compose("train", overrides=["data=unused", "model=small"])
    assert ModelConfig(**OmegaConf.to_container(cfg.model)) == ModelConfig.preset("small")


def test_unknown_preset_names_the_known_ones():
    with pytest.raises(ValueError, match="1b, micro, small, tiny"):
        ModelConfig.preset("huge")


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [("micro", 0.8e6, 3e6), ("tiny", 2e6, 6e6), ("small", 80e6, 130e6), ("1b", 0.9e9, 1.2e9)],
)
def test_preset_sizes(name, low, high):
    counts = ModelConfig.preset(name).num_params()
    assert low <= counts["total"] <= high
    assert counts["activated"] < counts["total"]


def test_param_count_matches_the_built_model():
    cfg = ModelConfig.preset("tiny", num_nextn_predict_layers=2, tie_word_embeddings=True, q_lora_rank=None)
    assert CausalLM(cfg).num_params() == cfg.num_params()
    cfg = ModelConfig.preset("tiny")
    assert CausalLM(cfg).num_params() == cfg.num_params()


def test_unknown_preset_lists_known_ones():
    with pytest.raises(ValueError, match="1b, micro, small, tiny"):
        ModelConfig.preset("huge")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"n_routed_experts": 4, "num_experts_per_tok": 8}, "num_experts_per_tok"),
        ({"n_routed_experts": 16, "n_group": 3}, "n_group"),
        ({"n_routed_experts": 16, "n_group": 4, "topk_group": 5}, "topk_group"),
        ({"n_routed_experts": 16, "n_group": 8, "topk_group": 1, "num_experts_per_tok": 4}, "topk_group"),
        ({"n_routed_experts": 8, "n_group": 8}, "n_group"),
        ({"num_attention_heads": 8, "num_key_value_heads": 2}, "num_key_value_heads"),
        ({"qk_rope_head_dim": 15}, "qk_rope_head_dim"),
        ({"num_hidden_layers": 2, "first_k_dense_replace": 3}, "first_k_dense_replace"),
        ({"hidden_size": 0}, "hidden_size"),
        ({"hidden_act": "gelu"}, "hidden_act"),
        ({"mtp_loss_weight": -1}, "mtp_loss_weight"),
        ({"hidden_sise": 64}, "hidden_sise"),
    ],
)
def test_bad_fields_raise_naming_the_field(fields, field):
    with pytest.raises(pydantic.ValidationError) as err:
        ModelConfig(**fields)
    assert [e["loc"] for e in err.value.errors()] == [(field,)]


def test_flops_per_token_counts_activated_matmuls_and_attention():
    cfg = ModelConfig.preset("tiny", num_nextn_predict_layers=0)
    p = cfg.num_params()
    flops = cfg.flops_per_token(seq_len=1)
    # 6 x (activated params minus the embedding table and the norm weights), plus a tiny attention term
    assert 0.9 * 6 * (p["activated"] - cfg.vocab_size * cfg.hidden_size) < flops < 6 * p["activated"]
    longer = cfg.flops_per_token(seq_len=1025)
    attention = 6 * cfg.num_attention_heads * 1024 * (cfg.qk_head_dim + cfg.v_head_dim) * cfg.num_hidden_layers
    assert longer - flops == pytest.approx(attention)
    with_mtp = ModelConfig.preset("tiny", num_nextn_predict_layers=1)
    assert with_mtp.flops_per_token(1) > with_mtp.flops_per_token(1, include_mtp=False) == flops
