"""manifest.json: what a dataset folder holds, written last and atomically, read by verify, train, evaluate."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from pipelines.dataset.schema import SCHEMA, SCHEMA_VERSION
from pipelines.dataset.storage import Folder
from pipelines.errors import InputError

MANIFEST = "manifest.json"
SHARD_DIR = "shards"


def shard_path(index: int, split: str) -> str:
    """Deterministic shard names, so a re-run overwrites instead of appending duplicates.

    The split leads the name: `datasets.load_dataset("parquet", data_dir=...)` picks files by the Hub's
    split-name rule (`**/train[-._ 0-9]*`), which keeps manifest.json and tokenizer/ out of the data.
    """
    return f"{SHARD_DIR}/{split}-{index:05d}.parquet"


class ShardEntry(BaseModel, extra="forbid"):
    """One shard: where it is, how to check it, and what it holds."""

    index: int
    path: str
    rows: int
    bytes: int
    sha256: str
    progress: tuple[float, float]  # [start, end) of the curriculum position of its rows
    noise_level: tuple[float, float]  # min and max level over its rows
    domains: dict[str, int]  # rows per domain
    families: dict[str, int]  # rows holding at least one edit of the family; `none` for clean rows

    @field_validator("path")
    @classmethod
    def _inside(cls, path: str) -> str:
        """A manifest names files inside its own folder only: no absolute path, URI, `..` or backslash."""
        parts = path.split("/")
        if path.startswith("/") or "://" in path or "\\" in path or ".." in parts or "" in parts or parts[0] != SHARD_DIR:
            raise ValueError(f"shard path {path!r} escapes the dataset folder (expected {SHARD_DIR}/NAME.parquet)")
        return path

    @field_validator("domains", "families")
    @classmethod
    def _sorted(cls, counts: dict[str, int]) -> dict[str, int]:
        """Key order fixed, so an entry rebuilt from a shard footer serializes like a fresh one."""
        return dict(sorted(counts.items()))


class Manifest(BaseModel, extra="forbid"):
    """The dataset's table of contents; deterministic, so the same config gives the same bytes."""

    schema_version: int = SCHEMA_VERSION
    package_version: str
    config_hash: str
    seed: int
    config: dict[str, Any]
    columns: dict[str, str] = Field(default_factory=lambda: {f.name: str(f.type) for f in SCHEMA})
    rows: int
    shards: list[ShardEntry]

    def totals(self, field: str) -> dict[str, int]:
        """Sum a per-shard count (`domains` or `families`) over the dataset."""
        out: dict[str, int] = {}
        for s in self.shards:
            for key, n in getattr(s, field).items():
                out[key] = out.get(key, 0) + n
        return out

    def in_progress_order(self) -> list[ShardEntry]:
        """Shards as the trainer consumes them: by curriculum position."""
        return sorted(self.shards, key=lambda s: s.progress[0])

    def to_json(self) -> bytes:
        return (json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=False) + "\n").encode()


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("curriculum-forge")
    except PackageNotFoundError:
        return "0+unknown"


def read(folder: Folder) -> Manifest | None:
    """The folder's manifest, or None when there is none yet (never written, or a killed first run)."""
    if not folder.exists(MANIFEST):
        return None
    try:
        return Manifest.model_validate_json(folder.read(MANIFEST))
    except ValidationError as err:  # one line naming the field, e.g. a shard path that leaves the folder
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{folder.display(MANIFEST)}: {where}: {first['msg'].removeprefix('Value error, ')}") from None


def load(path: str) -> Manifest:
    """Manifest of a dataset folder given as a path or URI (for the trainer and the evaluator)."""
    from pipelines.dataset.storage import normalize

    manifest = read(Folder(normalize(path)))
    if manifest is None:
        raise FileNotFoundError(f"{path}: no {MANIFEST}; generate the dataset first (or let a killed run finish)")
    return manifest


def write(folder: Folder, manifest: Manifest) -> bool:
    """Write atomically; returns False (and writes nothing) when the file already holds these bytes."""
    data = manifest.to_json()
    if folder.exists(MANIFEST) and folder.read(MANIFEST) == data:
        return False
    folder.write_atomic(MANIFEST, data)
    return True
