"""The export a user ships: loads clean in transformers, MTP kept for us, generation config, model card, 0644."""

from __future__ import annotations

import json
import stat

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from model import CausalLM, ModelConfig
from model.export import CardInfo, load_pretrained, save_pretrained

transformers = pytest.importorskip("transformers")

FIELDS = dict(
    vocab_size=256, hidden_size=64, intermediate_size=128, moe_intermediate_size=32, num_hidden_layers=2,
    num_attention_heads=4, q_lora_rank=48, kv_lora_rank=32, qk_nope_head_dim=16, qk_rope_head_dim=8, v_head_dim=16,
    n_routed_experts=4, num_experts_per_tok=2, first_k_dense_replace=1, num_nextn_predict_layers=2,
    rope_theta=50000.0, bos_token_id=1, eos_token_id=2, pad_token_id=0,
)


@pytest.fixture(scope="module")
def model() -> CausalLM:
    torch.manual_seed(0)
    model = CausalLM(ModelConfig(**FIELDS))
    model.init_weights(std=0.05)
    with torch.no_grad():  # non-zero balancing biases, as after training
        for r in model.routers():
            r.e_score_correction_bias.uniform_(-0.1, 0.1)
    return model.eval()


@pytest.fixture
def warnings_on():
    """transformers at warning level (test_model_parity quiets it for the session)."""
    level = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_warning()
    yield
    transformers.logging.set_verbosity(level)


def test_transformers_loads_it_clean_with_our_logits(model, tmp_path, warnings_on, capfd):
    save_pretrained(model, tmp_path)
    capfd.readouterr()
    hf, info = transformers.AutoModelForCausalLM.from_pretrained(tmp_path, output_loading_info=True)
    report = capfd.readouterr().err
    assert {k: v for k, v in info.items() if v} == {}, info
    assert "unexpected" not in report.lower() and "missing" not in report.lower(), report
    ids = torch.randint(0, FIELDS["vocab_size"], (2, 24))
    with torch.no_grad():
        ours, theirs = model(ids).logits, hf.eval()(ids).logits
    assert (ours - theirs).abs().max().item() <= 1e-4 and ours.std() > 0.1


def test_the_old_layout_is_what_transformers_reported(model, tmp_path, warnings_on, capfd):
    """MTP layers inside model.safetensors are unexpected to transformers: why they live in mtp.safetensors."""
    save_pretrained(model, tmp_path)
    merged = load_file(tmp_path / "model.safetensors") | load_file(tmp_path / "mtp.safetensors")
    save_file(merged, tmp_path / "model.safetensors", metadata={"format": "pt"})
    (tmp_path / "mtp.safetensors").unlink()
    _, info = transformers.AutoModelForCausalLM.from_pretrained(tmp_path, output_loading_info=True)
    assert any(k.startswith("model.layers.2.") for k in info["unexpected_keys"])
    back = load_pretrained(tmp_path)  # our loader still reads such a folder
    assert torch.equal(back.mtp[1].eh_proj.weight, model.mtp[1].eh_proj.weight)


def test_mtp_weights_come_back_through_our_loader(model, tmp_path):
    save_pretrained(model, tmp_path)
    with safe_open(tmp_path / "model.safetensors", "pt") as f:
        assert not any(k.startswith(("model.layers.2.", "model.layers.3.")) for k in f.keys())
    with safe_open(tmp_path / "mtp.safetensors", "pt") as f:
        assert {k.split(".")[2] for k in f.keys()} == {"2", "3"}
    back = load_pretrained(tmp_path).eval()
    ids = torch.randint(0, FIELDS["vocab_size"], (2, 24))
    with torch.no_grad():
        a, b = model(ids), back(ids)
    assert torch.equal(a.logits, b.logits)
    for x, y in zip(a.mtp_logits, b.mtp_logits, strict=True):
        assert torch.equal(x, y)
    (tmp_path / "mtp.safetensors").unlink()
    with pytest.raises(ValueError, match=r"missing \['model\.layers\.2\."):
        load_pretrained(tmp_path)


def test_generation_config_carries_the_token_ids(model, tmp_path):
    save_pretrained(model, tmp_path)
    assert json.loads((tmp_path / "generation_config.json").read_text()) == {
        "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0}
    gen = transformers.GenerationConfig.from_pretrained(tmp_path)
    assert (gen.bos_token_id, gen.eos_token_id, gen.pad_token_id) == (1, 2, 0)


def test_every_file_is_readable_by_all(model, tmp_path):
    save_pretrained(model, tmp_path)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert set(modes) == {"config.json", "generation_config.json", "model.safetensors", "mtp.safetensors", "README.md"}
    assert set(modes.values()) == {0o644}, {k: oct(v) for k, v in modes.items()}


def test_model_card_says_what_the_trainer_passed(model, tmp_path):
    from huggingface_hub import ModelCard

    info = CardInfo(trained_on={"dataset": "runs/demo/data", "rows": 320, "config_hash": "c6cc27243ca41d9e"},
                    curriculum={"noise": "curriculum(progress)", "start": 0.5},
                    metrics={"loss": 3.25, "lm_loss": 3.1, "tokens": 65536})
    save_pretrained(model, tmp_path, card=info)
    card = ModelCard.load(tmp_path / "README.md")
    assert (card.data.library_name, card.data.pipeline_tag) == ("transformers", "text-generation")
    for line in ["| dataset | runs/demo/data |", "| start | 0.5 |", "| loss | 3.25 |", "| tokens | 65536 |",
                 "`mtp.safetensors` holds the 2 multi-token-prediction layer(s) (layers 2..3"]:
        assert line in card.text, line
    save_pretrained(model, tmp_path)  # without the trainer's facts the card says so
    text = (tmp_path / "README.md").read_text()
    assert text.count("_Not recorded (the trainer passes it") == 3 and "| loss |" not in text
