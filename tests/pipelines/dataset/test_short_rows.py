"""Short rows (max_doc_bytes): windows cut at line/field boundaries before noise, exactly labelled, deterministic."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import world_model
from noise import Edit, apply, undo
from pipelines.dataset.config import ConfigError, validate
from pipelines.dataset.cut import CutError, choose, mentions
from pipelines.dataset.rows import RowMaker
from world_model import Document, derive_seed, make_rng

DOMAINS = world_model.domains()
BASE = dict(out_dir="unused", shards=3, records_per_shard=40, curriculum={"start": 0.0},
            domain={"name": "mixed", "weights": {d: 1.0 for d in DOMAINS}})


def config(**kw):
    return validate(BASE | kw)


def rows_of(cfg) -> list[dict]:
    maker = RowMaker.from_config(cfg)
    return [maker.row(s, r) for s in range(cfg.shards) for r in range(cfg.records_per_shard)]


@pytest.fixture(scope="module", params=[128, 256])
def short(request) -> tuple[int, list[dict]]:
    """Rows over the whole noise range (curriculum from 0) and at a fixed level 1 (every family)."""
    limit = request.param
    return limit, rows_of(config(max_doc_bytes=limit)) + rows_of(config(max_doc_bytes=limit, noise_level=1.0))


def whole_document(row: dict) -> Document:
    dom = world_model.domain(row["domain"])
    return dom.render(dom.Record.model_validate_json(row["record"]), derive_seed(0, row["id"], "render"))


def test_every_clean_row_fits_and_is_a_window_at_line_or_field_boundaries(short):
    limit, rows = short
    cut = 0
    for row in rows:
        clean, whole = row["clean_text"], whole_document(row)
        assert len(clean.encode()) <= limit, row["id"]
        if len(whole.text.encode()) <= limit:
            assert clean == whole.text
            continue
        cut += 1
        start = whole.text.find(clean)
        assert start >= 0 and whole.text[start : start + len(clean)] == clean
        starts = {0} | {i + 1 for i, c in enumerate(whole.text) if c == "\n"} | {a for a, _ in whole.spans.values()}
        ends = {len(whole.text)} | {i for i, c in enumerate(whole.text) if c == "\n"} | {b for _, b in whole.spans.values()}
        assert start in starts and start + len(clean) in ends, row["id"]
        assert row["spans"], "a window holds at least one field value"
    assert cut == len(rows), "every built-in document is longer than 256 bytes"


def test_spans_are_exact_and_rebased(short):
    _, rows = short
    for row in rows:
        whole, clean = whole_document(row), row["clean_text"]
        for span in row["spans"]:
            a, b = whole.spans[span["key"]]
            assert clean[span["start"] : span["end"]] == whole.text[a:b], (row["id"], span)
        starts = [s["start"] for s in row["spans"]]
        assert starts == sorted(starts)


def test_edits_are_exact_invertible_and_inside_the_window(short):
    _, rows = short
    families = set()
    for row in rows:
        edits = [Edit(**e) for e in row["edits"]]
        assert apply(row["clean_text"], edits) == row["noisy_text"]
        assert undo(row["noisy_text"], edits) == row["clean_text"]
        families |= {e.family for e in edits}
    assert families == {"typo", "logical", "adversarial"}


def test_logical_edits_break_a_constraint_visible_in_the_window(short):
    """The violated constraints' inputs that the whole document renders are all rendered in the window."""
    _, rows = short
    checked = 0
    for row in rows:
        logical = {e["constraint"] for e in row["edits"] if e["family"] == "logical"}
        if not logical:
            continue
        dom = world_model.domain(row["domain"])
        whole = frozenset(k.split("#")[0] for k in whole_document(row).spans)
        shown = frozenset(s["key"].split("#")[0] for s in row["spans"])
        touched = {s["key"] for s in row["spans"] for e in row["edits"]
                   if e["family"] == "logical" and s["start"] < e["end"] and e["start"] < s["end"]}
        assert logical <= set(row["violations"]) and touched
        for cid in row["violations"]:
            nodes = next(c.nodes for c in dom.constraints if c.id == cid)
            assert not [n for n in nodes if mentions(whole, n) and not mentions(shown, n)], (row["id"], cid)
            assert any(mentions(shown, n) for n in nodes), (row["id"], cid)
        checked += 1
    assert checked >= 10


def test_documents_that_fit_give_the_rows_of_whole_documents():
    """A budget no document reaches changes nothing: noise is drawn exactly as without max_doc_bytes."""
    assert rows_of(config(max_doc_bytes=100_000, shards=1)) == rows_of(config(shards=1))


def test_cut_is_seeded_by_row_and_noisy_length_is_reported():
    a = rows_of(config(max_doc_bytes=256, shards=1))
    b = rows_of(config(max_doc_bytes=256, shards=1))
    assert a == b
    assert [r["clean_text"] for r in a] != [r["clean_text"] for r in rows_of(config(max_doc_bytes=256, shards=1, seed=5))]
    # noise may lengthen a row: by exactly the bytes its edits add (the packer measures pairs, not this bound)
    for r in a:
        added = sum(len(e["replacement"].encode()) - len(e["original"].encode()) for e in r["edits"])
        assert len(r["noisy_text"].encode()) == len(r["clean_text"].encode()) + added


def test_a_document_with_nothing_that_fits_fails_naming_the_setting():
    doc = Document("x" * 80 + ": " + "v" * 90 + "\n" + "y" * 100, "plain", {"k": (82, 172)}, 1)
    with pytest.raises(CutError, match="max_doc_bytes=64; raise max_doc_bytes"):
        choose(doc, 64, make_rng(0))
    fallback = choose(Document("x" * 80 + ": " + "v" * 9 + "\n" + "y" * 100, "plain", {"k": (82, 91)}, 1), 64, make_rng(0))
    assert fallback is not None and fallback.start == ("field", "k")  # no line start fits: a field start does
    with pytest.raises(ConfigError, match="max_doc_bytes"):
        config(max_doc_bytes=10)


def test_multibyte_text_is_measured_in_bytes():
    text = "é" * 40 + "\n" + "Name: " + "ü" * 20 + "\n" + "t" * 30  # 80 + 46 + 30 bytes, 127 code points
    doc = Document(text, "plain", {"name": (47, 67)}, 1)
    cut = choose(doc, 64, make_rng(0))
    short = cut.apply(doc)
    assert short.text == "Name: " + "ü" * 20 and len(short.text.encode()) == 46
    assert short.spans == {"name": (6, 26)}


def _hashes(folder: Path) -> list[str]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((folder / "shards").glob("*.parquet"))]


def test_cli_short_rows_are_byte_identical_across_worker_counts(tmp_path, ray_address):
    outs = {}
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        proc = subprocess.run(
            [sys.executable, "-m", "pipelines.generate", f"out_dir={out}", "shards=3", "records_per_shard=20",
             "max_doc_bytes=256", "curriculum.start=0.0", f"workers={workers}", f"ray.address={ray_address}",
             "progress=false"],
            cwd=tmp_path, capture_output=True, text=True, timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
        outs[workers] = out
    assert _hashes(outs[1]) == _hashes(outs[2]) and len(_hashes(outs[1])) == 3
    table = pq.read_table(outs[1] / "shards")
    assert max(len(t.encode()) for t in table.column("clean_text").to_pylist()) <= 256
    assert table.schema.field("spans").type.value_type.names == ["key", "start", "end"]
