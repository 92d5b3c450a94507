"""The dataset card README.md: huggingface_hub metadata (dataset_info, configs, size) and a summary."""

from __future__ import annotations

import json

import datasets
from huggingface_hub import DatasetCard, DatasetCardData

from pipelines.dataset.manifest import MANIFEST, SHARD_DIR, Manifest
from pipelines.dataset.schema import SCHEMA

CARD = "README.md"
HUB_SPLITS = ("train", "validation", "test")  # the split names `data_dir=` alone resolves to themselves

COLUMN_MEANING = {
    "id": "`{domain}-{shard:05d}-{row:07d}`, stable across runs",
    "domain": "medical, legal, financial (or a plug-in domain)",
    "shard": "shard index",
    "progress": "curriculum position at which the trainer consumes this row",
    "noise_level": "noise level applied to this row",
    "record": "canonical JSON of the clean record",
    "clean_text": "rendered clean document",
    "noisy_text": "the document after noise (equal to clean_text when no edit)",
    "edits": "labelled edits (family, op, start, end, original, replacement, constraint), sorted by start",
    "violations": "constraint ids the noisy document breaks (empty unless a logical edit)",
    "spans": "field-value spans of clean_text (key, start, end), in text order, so evaluation never re-renders",
}

# The Hub's size_categories buckets: (upper bound exclusive, label); the last one is open.
SIZE_CATEGORIES = [(10**3, "n<1K"), (10**4, "1K<n<10K"), (10**5, "10K<n<100K"), (10**6, "100K<n<1M"),
                   (10**7, "1M<n<10M"), (10**8, "10M<n<100M"), (10**9, "100M<n<1B"), (10**10, "1B<n<10B"),
                   (10**11, "10B<n<100B"), (10**12, "100B<n<1T")]


def size_category(rows: int) -> str:
    """The Hub's size bucket for a row count."""
    return next((label for bound, label in SIZE_CATEGORIES if rows < bound), "n>1T")


def features() -> datasets.Features:
    """The datasets Features of the shard schema, converted (never restated), so types stay exact."""
    return datasets.Features.from_arrow_schema(SCHEMA)


def dataset_info(manifest: Manifest, split: str) -> dict:
    """`dataset_info` as `datasets` writes it; sizes are the bytes of the Parquet files (zstd), not Arrow's."""
    size = sum(s.bytes for s in manifest.shards)
    info = datasets.DatasetInfo(
        features=features(),
        splits=datasets.SplitDict({split: datasets.SplitInfo(name=split, num_bytes=size, num_examples=manifest.rows)}),
        download_size=size,
        dataset_size=size,
    )
    return info._to_yaml_dict()


def _parquet_form(split: str) -> str:
    """The packaged-builder call: it finds shards by the Hub's split-name rule, which knows three names."""
    if split in HUB_SPLITS:
        return f'ds = datasets.load_dataset("parquet", data_dir="path/to/this/folder", split="{split}")'
    return f'ds = datasets.load_dataset("parquet", data_files={{"{split}": "path/to/this/folder/{SHARD_DIR}/*.parquet"}})'


def card_data(manifest: Manifest) -> DatasetCardData:
    """Hub metadata; `configs` points `load_dataset(folder)` at the shards and nothing else."""
    split = manifest.config.get("split", "train")
    return DatasetCardData(
        pretty_name="Curriculum Forge synthetic corpus",
        language=["en"],
        license="apache-2.0",
        task_categories=["text-generation"],
        size_categories=[size_category(manifest.rows)],
        tags=["synthetic", "curriculum-learning", "denoising", "world-model"],
        configs=[{"config_name": "default", "data_files": [{"split": split, "path": f"{SHARD_DIR}/{split}-*.parquet"}]}],
        dataset_info=dataset_info(manifest, split),
    )


def _table(title: str, counts: dict[str, int], total: int) -> list[str]:
    lines = [f"| {title} | rows | share |", "| --- | ---: | ---: |"]
    lines += [f"| {k} | {n:,} | {n / total:.1%} |" for k, n in counts.items()]
    return lines


def render(manifest: Manifest) -> str:
    """The whole card; a function of the manifest only, so re-running the same config rewrites nothing."""
    cfg = manifest.config
    split = cfg.get("split", "train")
    total = max(manifest.rows, 1)
    noise = (
        f"fixed at {cfg['noise_level']}" if cfg.get("noise_level") is not None
        else "from the curriculum: `noise_level = curriculum(progress)`, shard i covering progress [i/N, (i+1)/N)"
    )
    lines = [
        "# Curriculum Forge synthetic corpus",
        "",
        f"{manifest.rows:,} rows in {len(manifest.shards)} Parquet shards (zstd) under `{SHARD_DIR}/`, "
        f"seed {manifest.seed}, config hash `{manifest.config_hash}`, made by curriculum-forge "
        f"{manifest.package_version}. Each row is a causally consistent record of a world-model domain, its "
        f"rendered document, and the same document after labelled noise; noise level is {noise}.",
        "",
        f"`{MANIFEST}` lists every shard with its sha256, rows, progress range and counts; "
        "`python -m pipelines.verify <this folder>` re-checks them.",
        "",
        "```python",
        "import datasets",
        f'ds = datasets.load_dataset("path/to/this/folder", split="{split}")  # reads the `configs` above',
        _parquet_form(split),
        "```",
        "",
        "## Columns",
        "",
        "| column | type | meaning |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {f.name} | `{f.type}` | {COLUMN_MEANING.get(f.name, '')} |" for f in SCHEMA]
    lines += ["", "## Contents", ""]
    lines += _table("domain", manifest.totals("domains"), total)
    lines += [""]
    lines += _table("noise family", manifest.totals("families"), total)
    lines += [
        "",
        "A row counts once for each family it holds an edit of; `none` counts rows left clean.",
        "",
        "## Generation config",
        "",
        "```json",
        json.dumps(cfg, indent=2, sort_keys=True),
        "```",
        "",
    ]
    return str(DatasetCard(f"---\n{card_data(manifest).to_yaml()}\n---\n\n" + "\n".join(lines)))
