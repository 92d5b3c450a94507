"""pipelines.evaluate end to end on a tiny random model and held-out sets written in process."""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from pathlib import Path

import pytest
import torch

import world_model
from world_model import derive_seed
from model import CausalLM, ModelConfig
from model.export import save_pretrained
from pipelines import evaluate as E
from pipelines.dataset import manifest
from pipelines.dataset.config import validate
from pipelines.evaluation import cases as C
from pipelines.evaluation import heldout as H
from pipelines.evaluation import scoring as S
from pipelines.training.loading import Corpus, Specials, encode, read_rows
from pipelines.dataset.manifest import Manifest
from pipelines.dataset.shards import build
from pipelines.dataset.storage import Folder
from pipelines.tokenizer import load_tokenizer, train_tokenizer

ROWS = 4


pytestmark = pytest.mark.usefixtures("one_thread")


def write_heldout(root: Path, level: float) -> Path:
    """What `make_heldout` writes for one level, built in this process without Ray (shards.build)."""
    cfg = H.heldout_config(root, level, rows=ROWS)
    assert cfg.seed == 1000 and cfg.noise_level == level and set(cfg.domain.weights) == set(world_model.domains())
    return write_one_shard(Path(cfg.out_dir), cfg)


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
        write_heldout(root / "heldout", level)
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
    tok = load_tokenizer(export)
    corpus = Corpus.open(heldout / "level-1.0")
    batch = next(corpus.read(0, columns=C.ROW_COLUMNS + ("shard", "progress", "noise_level")))
    rows = batch.to_pylist()
    trainer = encode(tok, Specials.of(tok), batch)
    builder = C.Builder(tok)
    for k, row in enumerate(rows):
        cases = builder.row(row, 1.0)
        assert cases.denoise["all"].ids == trainer.ids[k].tolist()  # <doc> noisy <sep> clean <end>
        assert cases.clean_lm.ids[0] == tok.bos_token_id and cases.clean_lm.ids[-1] == tok.eos_token_id
        # the field spans read from the shard are those re-rendering the record gives (no re-render needed)
        dom = world_model.domain(row["domain"])
        doc = dom.render(dom.Record.model_validate_json(row["record"]), derive_seed(corpus.manifest.seed, row["id"], "render"))
        assert doc.text == row["clean_text"] and C.spans_of(row) == doc.spans, "shard spans must be the rendering's"


@pytest.mark.slow
def test_evaluate_writes_metrics_report_and_plots(setup, tmp_path):
    export, heldout = setup
    out = tmp_path / "eval"
    E.main([f"model={export}", f"data={heldout}", f"out={out}", "batch_size=4"])
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["rows"] == {"0.0": ROWS, "1.0": ROWS}
    s = metrics["summary"]
    vocab = math.log(len(load_tokenizer(export)))
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
    tok = load_tokenizer(export)
    builder = C.Builder(tok)
    corpus = Corpus.open(heldout / "level-1.0")
    rows = [builder.row(r, 1.0) for b in corpus.read(0, columns=C.ROW_COLUMNS) for r in b.to_pylist()]
    cases = C.all_cases(rows)

    class Oracle(torch.nn.Module):
        def forward(self, ids):
            logits = torch.full((*ids.shape, len(tok)), -1e4)
            for b in range(ids.shape[0]):
                nxt = torch.cat([ids[b, 1:], ids[b, -1:]])
                logits[b, torch.arange(ids.shape[1]), nxt] = 1e4
            return type("Out", (), {"logits": logits, "expert_load": None})()

    runner = C.Runner(Oracle(), tok.pad_token_id, torch.device("cpu"), batch_size=3)
    runner.run(cases)
    m = S.level_metrics(rows)
    assert m["all"]["denoise_loss"] == pytest.approx(0.0, abs=1e-3)
    assert m["all"]["repair_exact_match"] == 1.0 and m["all"]["repair_fields"] > 0
    assert m["logical"]["preference_rate"] == 0.5  # it cannot tell: both documents cost nothing
    assert m["adversarial"].get("susceptibility", 0.0) == 0.0  # it never changes a completion


def test_bad_arguments_and_missing_data_fail_clearly(tmp_path):
    with pytest.raises(SystemExit, match="bad argument"):
        E._parse(["modle=x"])
    with pytest.raises(FileNotFoundError, match="pipelines.generate"):
        H.discover(tmp_path)
    cmd = " ".join(H.heldout_command(tmp_path / "h", python="python"))
    assert "noise_level=0.0,0.25,0.5,1.0" in cmd and "seed=1000" in cmd and "level-${noise_level}" in cmd


def test_curriculum_corpus_is_not_a_heldout_set(tmp_path):
    folder = tmp_path / "train"
    cfg = validate({"out_dir": str(folder), "shards": 1, "records_per_shard": 2, "progress": False,
                    "domain": {"name": "mixed", "weights": {"medical": 1.0}}})
    write_one_shard(folder, cfg)
    with pytest.raises(ValueError, match="noise_level"):
        H.discover(folder)


def test_a_heldout_set_without_spans_is_refused_naming_the_contract(setup, tmp_path):
    _, heldout = setup
    old = tmp_path / "old"
    shutil.copytree(heldout / "level-1.0", old)
    data = json.loads((old / "manifest.json").read_text())
    (old / "manifest.json").write_text(json.dumps(data | {"schema_version": 1}))
    with pytest.raises(ValueError, match="contract v1 has no `spans` column"):
        H.discover(old)


def _sha(folder: Path) -> list[str]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((folder / "shards").glob("*.parquet"))]


def test_make_heldout_runs_the_generate_job_in_process(setup, tmp_path, ray_address):
    """The sets the job writes in process are byte for byte the ones built above; a re-run keeps them."""
    _, heldout = setup
    folders = H.make_heldout(tmp_path / "h", rows=ROWS, levels=(0.0, 1.0))
    assert folders == [tmp_path / "h" / "level-0.0", tmp_path / "h" / "level-1.0"]
    for folder in folders:
        assert _sha(folder) == _sha(heldout / folder.name) and len(_sha(folder)) == 1
    stamp = [p.stat().st_mtime_ns for f in folders for p in (f / "shards").iterdir()]
    H.make_heldout(tmp_path / "h", rows=ROWS, levels=(0.0, 1.0))
    assert [p.stat().st_mtime_ns for f in folders for p in (f / "shards").iterdir()] == stamp
    assert [level for level, _ in H.discover(tmp_path / "h")] == [0.0, 1.0]


def test_short_heldout_rows_score_their_fields(setup, tmp_path, ray_address):
    """Held-out sets of short rows (max_doc_bytes): every field the window holds is a repair target."""
    export, _ = setup
    (folder,) = H.make_heldout(tmp_path / "short", rows=ROWS, levels=(1.0,), max_doc_bytes=128)
    builder = C.Builder(load_tokenizer(export))
    rows = list(read_rows(Corpus.open(folder), 0, C.ROW_COLUMNS))
    assert len(rows) == ROWS and all(len(r["clean_text"].encode()) <= 128 for r in rows)
    for row in rows:
        cases = builder.row(row, 1.0)
        assert row["spans"] and cases.denoise["all"].ids[-1] == builder.sp.eos
        for s in row["spans"]:
            assert row["clean_text"][s["start"] : s["end"]]
