"""The dataset card README.md: YAML front matter that `datasets.load_dataset(folder)` reads, and a summary."""

from __future__ import annotations

import json

import yaml

from pipelines.dataset.manifest import MANIFEST, SHARD_DIR, Manifest
from pipelines.dataset.schema import SCHEMA

CARD = "README.md"

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


def front_matter(split: str) -> dict:
    """Hub metadata; `configs` points the datasets library at our shards and nothing else."""
    return {
        "pretty_name": "Curriculum Forge synthetic corpus",
        "language": ["en"],
        "license": "apache-2.0",
        "task_categories": ["text-generation"],
        "tags": ["synthetic", "curriculum-learning", "denoising", "world-model"],
        "configs": [
            {
                "config_name": "default",
                "data_files": [{"split": split, "path": f"{SHARD_DIR}/shard-*.parquet"}],
            }
        ],
    }


def _table(title: str, counts: dict[str, int], total: int) -> list[str]:
    lines = [f"| {title} | rows | share |", "| --- | ---: | ---: |"]
    lines += [f"| {k} | {n:,} | {n / total:.1%} |" for k, n in counts.items()]
    return lines


def render(manifest: Manifest) -> str:
    """The whole card; deterministic, so re-running the same config rewrites nothing."""
    cfg = manifest.config
    split = cfg.get("split", "train")
    total = max(manifest.rows, 1)
    noise = (
        f"fixed at {cfg['noise_level']}" if cfg.get("noise_level") is not None
        else "from the curriculum: `noise_level = curriculum(progress)`, shard i covering progress [i/N, (i+1)/N)"
    )
    lines = [
        "---",
        yaml.safe_dump(front_matter(split), sort_keys=False).rstrip(),
        "---",
        "",
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
        f'ds = datasets.load_dataset("path/to/this/folder", split="{split}")',
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
    return "\n".join(lines)
