"""One shard: rows -> Arrow table (the explicit schema) -> deterministic zstd Parquet -> atomic rename."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.dataset.config import GenerateConfig
from pipelines.dataset.manifest import ShardEntry, shard_path
from pipelines.dataset.rows import RowMaker, tally
from pipelines.dataset.schema import COLUMNS, METADATA_KEY, SCHEMA, SCHEMA_VERSION, same_columns
from pipelines.dataset.storage import Folder

# Low-cardinality columns get dictionary pages; long text would only fall back to plain after trying.
DICTIONARY_COLUMNS = ["domain", "shard", "edits.list.element.family", "edits.list.element.op",
                      "edits.list.element.constraint", "violations.list.element", "spans.list.element.key"]
# Min/max statistics where a reader can prune with them; none on long text.
STATISTICS_COLUMNS = ["id", "domain", "shard", "progress", "noise_level"]


class ShardError(ValueError):
    """A shard file that cannot be trusted; the message says why."""


@dataclass(frozen=True)
class Built:
    """A shard's bytes and description, plus how long each stage took (for the benchmark)."""

    entry: ShardEntry
    seconds: dict[str, float]


@lru_cache(maxsize=4)
def _maker(cfg_json: str) -> RowMaker:
    return RowMaker.from_config(GenerateConfig.model_validate_json(cfg_json))


def describe(cfg: GenerateConfig, index: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What the shard's footer says about it: enough to rebuild its manifest entry without the manifest."""
    domains, families = tally(rows)
    levels = [r["noise_level"] for r in rows]
    return {
        "schema_version": SCHEMA_VERSION,
        "config_hash": cfg.content_hash(),
        "config": cfg.content(),
        "shard": index,
        "rows": len(rows),
        "progress": [index / cfg.shards, (index + 1) / cfg.shards],
        "noise_level": [_f32(min(levels)), _f32(max(levels))],
        "domains": domains,
        "families": families,
    }


def _f32(x: float) -> float:
    """A level as stored in the float32 column, printed short."""
    return float(f"{pa.scalar(x, pa.float32()).as_py():.7g}")


def to_table(rows: list[dict[str, Any]], meta: dict[str, Any]) -> pa.Table:
    columns = {name: [r[name] for r in rows] for name in COLUMNS}
    schema = SCHEMA.with_metadata({METADATA_KEY: json.dumps(meta, sort_keys=True, separators=(",", ":"))})
    return pa.Table.from_pydict(columns, schema=schema)


def encode(table: pa.Table, row_group_size: int, compression_level: int) -> bytes:
    """Parquet bytes that depend only on the table: fixed row groups, no timestamps, page checksums."""
    sink = pa.BufferOutputStream()
    pq.write_table(
        table,
        sink,
        row_group_size=row_group_size,
        compression="zstd",
        compression_level=compression_level,
        use_dictionary=DICTIONARY_COLUMNS,
        write_statistics=STATISTICS_COLUMNS,
        write_page_checksum=True,
    )
    return sink.getvalue().to_pybytes()


def entry_from(meta: dict[str, Any], data: bytes) -> ShardEntry:
    return ShardEntry(
        index=meta["shard"],
        path=shard_path(meta["shard"], meta["config"]["split"]),
        rows=meta["rows"],
        bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        progress=tuple(meta["progress"]),
        noise_level=tuple(meta["noise_level"]),
        domains=meta["domains"],
        families=meta["families"],
    )


def build(cfg: GenerateConfig, index: int) -> tuple[bytes, ShardEntry, dict[str, float]]:
    """Make shard `index` in memory: its Parquet bytes, its manifest entry, and stage timings."""
    t0 = time.perf_counter()
    maker = _maker(cfg.model_dump_json())
    rows = list(maker.rows(index))
    t1 = time.perf_counter()
    meta = describe(cfg, index, rows)
    data = encode(to_table(rows, meta), cfg.row_group_size, cfg.compression_level)
    t2 = time.perf_counter()
    return data, entry_from(meta, data), {"rows": t1 - t0, "encode": t2 - t1}


def make_shard(cfg: GenerateConfig, index: int, folder_uri: str, fence: Any = None) -> Built:
    """The body of one Ray task: build the shard and publish it under its final name atomically.

    `fence` (a lease.Fence) is checked right before the publish: a worker of a run that lost the
    folder's lease (its driver died and another run took over) raises Fenced and publishes nothing.
    """
    started = time.time()
    data, entry, seconds = build(cfg, index)
    t0 = time.perf_counter()
    if fence is not None:
        fence.check(entry.path)
    Folder(folder_uri).write_atomic(entry.path, data)
    seconds["write"] = time.perf_counter() - t0
    seconds["started"], seconds["finished"] = started, time.time()
    return Built(entry, seconds)


def footer(data: bytes) -> dict[str, Any]:
    """The shard's own description from its Parquet footer."""
    meta = pq.ParquetFile(pa.BufferReader(data)).schema_arrow.metadata or {}
    if METADATA_KEY not in meta:
        raise ShardError("no curriculum_forge metadata in the footer")
    return json.loads(meta[METADATA_KEY])


def inspect(data: bytes, full: bool = True) -> dict[str, Any]:
    """Check a shard file's bytes: readable footer, the contract's schema, row count; with `full`, every page.

    Returns the footer description; raises ShardError naming the first problem.
    """
    try:
        pf = pq.ParquetFile(pa.BufferReader(data))
    except Exception as err:  # noqa: BLE001 - any parse failure means the file is not a shard
        raise ShardError(f"unreadable Parquet: {err}") from None
    if not same_columns(pf.schema_arrow):
        raise ShardError(f"schema differs from the contract: {pf.schema_arrow.remove_metadata()}")
    meta = footer(data)
    if pf.metadata.num_rows != meta["rows"]:
        raise ShardError(f"{pf.metadata.num_rows} rows in the file, {meta['rows']} in its footer")
    if full:
        try:
            pq.read_table(pa.BufferReader(data), page_checksum_verification=True)
        except Exception as err:  # noqa: BLE001
            raise ShardError(f"corrupt pages: {err}") from None
    return meta
