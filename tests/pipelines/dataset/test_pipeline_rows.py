"""The per-row work and one shard's bytes, without Ray: seeded choices, the explicit schema, determinism."""

from __future__ import annotations

import json
from collections import Counter

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import world_model
from noise import FAMILIES, apply, undo
from pipelines.dataset.config import validate
from pipelines.dataset.rows import RowMaker, progress_of, row_id
from pipelines.dataset.schema import EDIT, SCHEMA, same_columns
from pipelines.dataset.shards import ShardError, build, describe, encode, footer, inspect, to_table

DOMAINS = world_model.domains()


def config(**kw):
    base = dict(out_dir="unused", shards=4, records_per_shard=20, curriculum={"start": 0.5},
                domain={"name": "mixed", "weights": {d: 1.0 for d in DOMAINS}})
    return validate(base | kw)


@pytest.fixture(scope="module")
def maker():
    return RowMaker.from_config(config())


def test_rows_are_seeded_by_position_not_by_order(maker):
    forward = [maker.row(3, r) for r in range(10)]
    fresh = RowMaker.from_config(config())
    backward = [fresh.row(3, r) for r in reversed(range(10))][::-1]
    assert forward == backward
    assert maker.row(3, 0) != maker.row(2, 0)
    other_seed = RowMaker.from_config(config(seed=1))
    assert other_seed.row(3, 0)["record"] != maker.row(3, 0)["record"]


def test_row_follows_the_contract(maker):
    for shard in range(4):
        for r in range(0, 20, 3):
            row = maker.row(shard, r)
            assert row["id"] == row_id(row["domain"], shard, r) == f"{row['domain']}-{shard:05d}-{r:07d}"
            assert row["progress"] == pytest.approx((shard + r / 20) / 4)
            assert row["noise_level"] == pytest.approx(maker.curriculum.level(row["progress"]))
            json.loads(row["record"])
            assert [e["start"] for e in row["edits"]] == sorted(e["start"] for e in row["edits"])
            edits = [_edit(e) for e in row["edits"]]
            assert apply(row["clean_text"], edits) == row["noisy_text"]
            assert undo(row["noisy_text"], edits) == row["clean_text"]
            if row["progress"] < 0.5:
                assert row["edits"] == [] and row["noisy_text"] == row["clean_text"] and row["noise_level"] == 0
            logical = {e["constraint"] for e in row["edits"] if e["family"] == "logical"}
            assert logical <= set(row["violations"])


def test_record_column_is_the_clean_record_as_json(maker):
    row = maker.row(1, 4)
    dom = world_model.domain(row["domain"])
    record = dom.Record.model_validate_json(row["record"])
    assert dom.check(record) == []
    assert dom.render(record, world_model.derive_seed(0, row["id"], "render")).text == row["clean_text"]
    assert record.model_dump_json() == row["record"]


def test_spans_column_holds_the_rendered_value_spans(maker):
    """Evaluation reads field spans from the shard instead of re-rendering the record (schema v2)."""
    for shard, r in ((0, 0), (1, 4), (3, 19)):
        row = maker.row(shard, r)
        dom = world_model.domain(row["domain"])
        doc = dom.render(dom.Record.model_validate_json(row["record"]), world_model.derive_seed(0, row["id"], "render"))
        assert [(s["key"], (s["start"], s["end"])) for s in row["spans"]] == list(doc.spans.items())
        assert row["spans"] and all(row["clean_text"][s["start"] : s["end"]] for s in row["spans"])


def _edit(e):
    from noise import Edit

    return Edit(**e)


def test_progress_of_shard_i_covers_its_slice():
    assert progress_of(0, 0, 8, 100) == 0.0
    assert progress_of(7, 99, 8, 100) == pytest.approx((7 + 0.99) / 8)
    assert progress_of(3, 0, 8, 100) == 3 / 8


def test_mixed_domains_follow_the_weights():
    weights = {d: float(i + 1) for i, d in enumerate(DOMAINS)}
    m = RowMaker.from_config(config(domain={"name": "mixed", "weights": weights}))
    counts = Counter(m.domain_of(s, r) for s in range(4) for r in range(1500))
    total = sum(weights.values())
    for d, w in weights.items():
        assert counts[d] / 6000 == pytest.approx(w / total, abs=0.03)


def test_fixed_noise_level_for_held_out_sets():
    m = RowMaker.from_config(config(noise_level=0.5))
    rows = [m.row(s, r) for s in (0, 3) for r in range(20)]
    assert {r["noise_level"] for r in rows} == {0.5}
    held = Counter(e["family"] for r in rows for e in r["edits"])
    assert set(held) == set(FAMILIES)  # every family, even at progress 0
    clean = RowMaker.from_config(config(noise_level=0.0))
    assert all(clean.row(3, r)["edits"] == [] for r in range(20))


def test_empty_edits_stay_list_of_struct():
    cfg = config()
    m = RowMaker.from_config(cfg)
    rows = list(m.rows(0))  # progress < 0.5: no edit in the whole shard
    assert all(r["edits"] == [] and r["violations"] == [] for r in rows)
    data = encode(to_table(rows, describe(cfg, 0, rows)), cfg.row_group_size, cfg.compression_level)
    schema = pq.read_schema(pa.BufferReader(data))
    assert schema.field("edits").type == pa.list_(pa.field("element", EDIT, nullable=False))
    assert not pa.types.is_null(schema.field("edits").type.value_type)
    assert same_columns(schema)


def test_shard_bytes_are_deterministic_and_self_describing():
    cfg = config()
    a, entry, _ = build(cfg, 3)
    b, _, _ = build(cfg, 3)
    assert a == b
    pf = pq.ParquetFile(pa.BufferReader(a))
    assert pf.metadata.created_by.startswith("parquet-cpp-arrow")  # a version, never a timestamp
    assert pf.schema_arrow.remove_metadata().equals(SCHEMA)
    meta = footer(a)
    assert meta["config_hash"] == cfg.content_hash() and meta["shard"] == 3 and meta["rows"] == 20
    assert entry.progress == (0.75, 1.0) and sum(entry.domains.values()) == 20
    assert all(pf.metadata.row_group(i).column(0).compression == "ZSTD" for i in range(pf.num_row_groups))


def test_row_groups_have_the_configured_size():
    cfg = config(row_group_size=6)
    data, _, _ = build(cfg, 1)
    pf = pq.ParquetFile(pa.BufferReader(data))
    assert [pf.metadata.row_group(i).num_rows for i in range(pf.num_row_groups)] == [6, 6, 6, 2]


def test_inspect_rejects_flipped_bytes():
    cfg = config()
    data, _, _ = build(cfg, 3)
    inspect(data)
    chunk = pq.ParquetFile(pa.BufferReader(data)).metadata.row_group(0).column(SCHEMA.names.index("clean_text"))
    middle = bytearray(data)
    middle[chunk.data_page_offset + chunk.total_compressed_size // 2] ^= 0xFF  # inside page data: its CRC fails
    with pytest.raises(ShardError):
        inspect(bytes(middle))
    with pytest.raises(ShardError):
        inspect(data[: len(data) - 100])  # truncated: no valid footer
