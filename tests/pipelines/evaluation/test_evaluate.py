"""pipelines.evaluate end to end on a tiny random model and held-out sets written in process (no Ray)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from pydantic import ValidationError
import torch

import world_model
from model import CausalLM, ModelConfig
from model.export import save_pretrained
from pipelines import evaluate as E
from pipelines.dataset import manifest
from pipelines.dataset.config import validate
from pipelines.training.loading import Corpus, Specials, encode
from pipelines.dataset.manifest import Manifest
from pipelines.dataset.shards import build
from pipelines.dataset.storage import Folder
from pipelines.training.tokenizer import train_tokenizer

ROWS = 4


pytestmark = pytest.mark.usefixtures("one_thread")


def write_heldout(folder: Path, level: float) -> Path:
    """What `make_heldout` writes for one level, built in this process (generate.run needs Ray)."""
    cfg = validate({"out_dir": str(folder), "shards": 1, "records_per_shard": ROWS, "seed": 1000, "noise_level": level,
                    "progress": False, "domain": {"name": "mixed", "weights": {d: 1.0 for d in world_model.domains()}}})
    return write_one_shard(folder, cfg)


def write_one_shard(folder: Path, cfg) -> Path:
    """A one-shard dataset with its manifest, built in this process."""
    data, entry, _ = build(cfg, 0)
    out = Folder(str(folder))
    out.makedirs("shards")
    out.write_atomic(entry.path, data)
    manifest.write(out, Manifest(package_version=manifest.package_version(), config_hash=cfg.content_hash(),
                                 seed=cfg.seed, config=cfg.content(), rows=entry.rows, shards=[entry]))
    return folder


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("eval")
    for level in (0.0, 1.0):
        write_heldout(root / "heldout" / f"level-{level}", level)
    corpus = Corpus.open(root / "heldout" / "level-1.0")
    texts = [t for b in corpus.read(0, columns=("clean_text", "noisy_text")) for r in b.to_pylist() for t in r.values()]
    tok = train_tokenizer(iter(texts * 2), vocab_size=1500)
    cfg = ModelConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, moe_intermediate_size=16,
                      num_hidden_layers=2, num_attention_heads=2, q_lora_rank=24, kv_lora_rank=16, qk_nope_head_dim=8,
                      qk_rope_head_dim=8, v_head_dim=8, n_routed_experts=4, num_experts_per_tok=2, n_group=1,
                      topk_group=1, first_k_dense_replace=1, num_nextn_predict_layers=1,
                      bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    torch.manual_seed(0)
    model = CausalLM(cfg)
    model.init_weights()
    export = root / "run" / "export"
    save_pretrained(model, export)
    tok.save_pretrained(str(export))
    return export, root / "heldout"


def test_cases_use_the_trainers_example_layout(setup):
    export, heldout = setup
    tok = E.load_tokenizer(export)
    corpus = Corpus.open(heldout / "level-1.0")
    batch = next(corpus.read(0, columns=E.ROW_COLUMNS + ("shard", "progress", "noise_level")))
    rows = batch.to_pylist()
    trainer = encode(tok, Specials.of(tok), batch)
    builder = E.Builder(tok)
    for k, row in enumerate(rows):
        cases = builder.row(row, 1.0, corpus.manifest.seed)
        assert cases.denoise["all"].ids == trainer.ids[k].tolist()  # <doc> noisy <sep> clean <end>
        assert cases.clean_lm.ids[0] == tok.bos_token_id and cases.clean_lm.ids[-1] == tok.eos_token_id
    assert builder.render_mismatches == 0, "re-rendering must give back the clean text (field spans)"


@pytest.mark.slow
def test_evaluate_writes_metrics_report_and_plots(setup, tmp_path):
    export, heldout = setup
    out = tmp_path / "eval"
    E.run(E.EvalConfig.model_validate({"export": str(export), "data": str(heldout), "out": str(out), "batch_size": 4}))
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["rows"] == {"0.0": ROWS, "1.0": ROWS}
    s = metrics["summary"]
    vocab = math.log(len(E.load_tokenizer(export)))
    for key in ("clean_lm_loss", "copy_loss", "denoise_loss"):
        assert 0.5 * vocab < s[key] < 2 * vocab, f"{key}: a random model is near log(vocab), got {s[key]}"
    # level 1.0 gives every row every family: each family has rows, touched fields and a detection pair
    fams = metrics["by_level"]["1.0"]
    for family in ("typo", "logical", "adversarial", "all"):
        assert fams[family]["rows"] > 0 and fams[family]["repair_fields"] >= 0
    assert fams["logical"]["pairs"] > 0 and 0.0 <= fams["logical"]["auroc"] <= 1.0
    assert set(metrics["by_level"]["0.0"]) == {"none"}
    assert s["repair_exact_match"] is not None and 0.0 <= s["repair_exact_match"] <= 1.0
    assert len(metrics["expert_load"]["counts"]) == len(metrics["expert_load"]["layers"]) == 1  # 1 MoE layer (MTP heads are dropped for scoring)
    report = (out / "report.md").read_text()
    assert "| 1.0 | logical |" in report and "![robustness.png](robustness.png)" in report
    for image in ("robustness.png", "expert_load.png"):
        assert (out / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_model_that_copies_scores_zero_copy_loss_and_full_repair_at_level_zero(setup):
    """An oracle 'model' whose logits point at the true next token: losses ~0, every value reproduced."""
    export, heldout = setup
    tok = E.load_tokenizer(export)
    builder = E.Builder(tok)
    corpus = Corpus.open(heldout / "level-1.0")
    rows = [builder.row(r, 1.0, corpus.manifest.seed) for b in corpus.read(0, columns=E.ROW_COLUMNS) for r in b.to_pylist()]
    cases = E._all_cases(rows)

    class Oracle(torch.nn.Module):
        def forward(self, ids):
            logits = torch.full((*ids.shape, len(tok)), -1e4)
            for b in range(ids.shape[0]):
                nxt = torch.cat([ids[b, 1:], ids[b, -1:]])
                logits[b, torch.arange(ids.shape[1]), nxt] = 1e4
            return type("Out", (), {"logits": logits, "expert_load": None})()

    runner = E.Runner(Oracle(), tok.pad_token_id, torch.device("cpu"), batch_size=3)
    runner.run(cases)
    m = E.level_metrics(rows)
    assert m["all"]["denoise_loss"] == pytest.approx(0.0, abs=1e-3)
    assert m["all"]["repair_exact_match"] == 1.0 and m["all"]["repair_fields"] > 0
    assert m["logical"]["preference_rate"] == 0.5  # it cannot tell: both documents cost nothing
    assert m["adversarial"].get("susceptibility", 0.0) == 0.0  # it never changes a completion


def test_bad_arguments_and_missing_data_fail_clearly(tmp_path):
    with pytest.raises(ValidationError, match="modle"):
        E.EvalConfig.model_validate({"modle": "x", "export": "x", "data": "y"})
    with pytest.raises(FileNotFoundError, match="pipelines.generate"):
        E.discover(tmp_path)
    cmd = " ".join(E.heldout_command(tmp_path / "h", python="python"))
    assert "noise_level=0.0,0.25,0.5,1.0" in cmd and "seed=1000" in cmd and "level-${noise_level}" in cmd


def test_curriculum_corpus_is_not_a_heldout_set(tmp_path):
    folder = tmp_path / "train"
    cfg = validate({"out_dir": str(folder), "shards": 1, "records_per_shard": 2, "progress": False,
                    "domain": {"name": "mixed", "weights": {"medical": 1.0}}})
    write_one_shard(folder, cfg)
    with pytest.raises(ValueError, match="noise_level"):
        E.discover(folder)
