"""The train loop end to end on CPU: metrics, checkpoints (atomic, last K), export loadable by transformers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import transformers

from model import CausalLM
from model.export import load_pretrained
from pipelines.training.checkpoint import list_checkpoints, model_state
from pipelines.training.metrics import read_jsonl
from pipelines.errors import Refused
from pipelines.training.loop import run
from pipelines.training.optim import lr_at, scheduled

REQUIRED = {"step", "progress", "loss", "lm_loss", "denoise_loss", "mtp_losses", "noise_level", "tokens_per_s",
            "expert_load_max_over_mean"}


@pytest.fixture(scope="module")
def short_run(train_config, tmp_path_factory):
    out = tmp_path_factory.mktemp("short")
    cfg = train_config(out, steps=6, partial=True, save_every=2, keep_last=2)
    return cfg, run(cfg)


def test_metrics_log_one_record_per_step_with_the_required_fields(short_run):
    cfg, summary = short_run
    records = read_jsonl(Path(cfg.out_dir) / "metrics.jsonl")
    assert [r["step"] for r in records] == list(range(1, 7)) and summary["steps"] == 6
    for r in records:
        assert REQUIRED <= r.keys()
        assert r["loss"] > 0 and len(r["mtp_losses"]) == 1 and r["tokens_per_s"] > 0
        assert r["tokens"] == r["step"] * 4 * 32
        assert r["expert_load_max_over_mean"] >= 1.0
    assert list((Path(cfg.out_dir) / "tensorboard").glob("events.out.tfevents.*"))


def test_checkpoints_keep_the_last_k_sharded_with_checksums(short_run):
    cfg, _ = short_run
    found = list_checkpoints(Path(cfg.out_dir) / "checkpoints")
    assert [p.name for p in found] == ["step-000004", "step-000006"]
    last = found[-1]
    state = json.loads((last / "trainer.json").read_text())
    assert state["step"] == 6 and state["tokens"] == 6 * 128 and state["data"]["chunks"] == 24
    weights = model_state(last)  # DCP folders since issue 16: model/ and optim/, checked against checksums.json
    assert any(k.endswith("e_score_correction_bias") for k in weights)  # the balancing biases are saved
    listed = json.loads((last / "checksums.json").read_text())["files"]
    assert {"model/.metadata", "optim/.metadata", "trainer.json", "rng-rank00000.pt"} <= listed.keys()
    assert not list((Path(cfg.out_dir) / "checkpoints").glob(".*"))  # no temp folder left behind


def test_export_loads_in_transformers_with_the_same_logits_and_autotokenizer(short_run):
    cfg, summary = short_run
    export = Path(summary["export"])
    tok = transformers.AutoTokenizer.from_pretrained(str(export))
    hf = transformers.AutoModelForCausalLM.from_pretrained(str(export)).eval()
    ours = load_pretrained(export).eval()
    ids = torch.tensor([tok("Patient presents with fever.", add_special_tokens=False)["input_ids"]])
    ids = torch.cat([torch.tensor([[tok.bos_token_id]]), ids], dim=1)
    with torch.no_grad():
        assert (hf(ids).logits - ours(ids).logits).abs().max().item() < 1e-4
    assert hf.config.vocab_size >= len(tok) and hf.config.bos_token_id == tok.bos_token_id


def test_the_trained_weights_are_exported(short_run):
    cfg, summary = short_run
    exported = load_pretrained(summary["export"])
    saved = model_state(list_checkpoints(Path(cfg.out_dir) / "checkpoints")[-1])
    for name, value in exported.state_dict().items():
        assert torch.equal(value, saved[name]), name


def test_schedules_follow_the_token_fraction(train_config, tmp_path):
    t = train_config(tmp_path).trainer.model_copy(update={"warmup": 0.1, "lr": 1.0, "min_lr_ratio": 0.1})
    assert lr_at(0.05, t) == pytest.approx(0.5) and lr_at(0.1, t) == pytest.approx(1.0)
    assert lr_at(1.0, t) == pytest.approx(0.1) and lr_at(0.55, t) == pytest.approx(0.55)
    sched = [(0.0, None), (0.676, 0.1)]
    assert scheduled(sched, 0.5, 0.3) == 0.3 and scheduled(sched, 0.7, 0.3) == 0.1


def test_a_run_over_a_checkpoint_of_another_corpus_is_refused(short_run, train_config, tmp_path):
    cfg, _ = short_run
    other = train_config(cfg.out_dir, steps=6, partial=True, seq_len=16)  # same out_dir, another seq_len
    with pytest.raises(Refused, match=r"cannot resume .*trainer\.seq_len: 32 -> 16"):  # exit 3 since issue 15
        run(other)
