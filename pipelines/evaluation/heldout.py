"""Held-out sets: one fixed-noise-level dataset per level, made in process by the generate job's own code.

The same seed gives the same records, renderings (and windows, with max_doc_bytes) at every level;
only the noise differs. Sets are ordinary generate datasets, so a re-run skips those already on disk.
"""

from __future__ import annotations

from pathlib import Path

import world_model
from pipelines.dataset.config import GenerateConfig, validate
from pipelines.dataset.schema import SCHEMA_VERSION
from pipelines.dataset.storage import Folder, is_uri, join, normalize
from pipelines.training.loading import Corpus

HELDOUT_SEED = 1000
HELDOUT_LEVELS = (0.0, 0.25, 0.5, 1.0)


def level_folder(out: str | Path, level: float) -> Path | str:
    """OUT/level-L: a Path for a local OUT, a URI string for object storage."""
    name = f"level-{float(level)}"
    return join(out, name) if is_uri(out) else Path(out) / name


def heldout_config(out: str | Path, level: float, seed: int = HELDOUT_SEED, rows: int = 200,
                   max_doc_bytes: int | None = None) -> GenerateConfig:
    """The generate config of one held-out set: every domain, one shard, every row at `level`."""
    return validate({"out_dir": str(level_folder(out, level)), "shards": 1, "records_per_shard": rows, "seed": seed,
                     "noise_level": float(level), "max_doc_bytes": max_doc_bytes, "progress": False,
                     "domain": {"name": "mixed", "weights": {d: 1.0 for d in world_model.domains()}}})


def heldout_command(out: str | Path, seed: int = HELDOUT_SEED, rows: int = 200,
                    levels: tuple[float, ...] = HELDOUT_LEVELS, python: str = "python") -> list[str]:
    """The same sets as a generate multirun on the command line (what error messages tell a user to run)."""
    return [python, "-m", "pipelines.generate", "-m", f"out_dir={out if is_uri(out) else Path(out)}/level-${{noise_level}}", f"seed={seed}",
            "noise_level=" + ",".join(str(float(x)) for x in levels), "shards=1", f"records_per_shard={rows}",
            "progress=false"]


def make_heldout(out: str | Path, seed: int = HELDOUT_SEED, rows: int = 200,
                 levels: tuple[float, ...] = HELDOUT_LEVELS, max_doc_bytes: int | None = None) -> list[Path]:
    """Generate the held-out sets in this process (sets already on disk are kept); returns their folders."""
    import ray

    from pipelines.dataset.build import run

    had_ray = ray.is_initialized()
    try:
        for level in levels:
            run(heldout_config(out, level, seed, rows, max_doc_bytes))
    finally:
        if not had_ray and ray.is_initialized():
            ray.shutdown()  # the local instance this call started; one that was running stays up
    return [level_folder(out, level) for level in levels]


def discover(data: str | Path) -> list[tuple[float, Path | str]]:
    """(noise level, dataset folder) of every held-out set, by level; each must have a fixed level and spans."""
    top = Folder(normalize(data))  # local or object storage
    data = data if is_uri(data) else Path(data)
    if top.is_file("manifest.json"):
        folders = [data]
    else:
        folders = [join(data, n) if is_uri(data) else Path(data) / n
                   for n in top.subfolders() if top.is_file(f"{n}/manifest.json")]
    if not folders:
        raise FileNotFoundError(f"{data}: no manifest.json in it or its subfolders; make held-out sets with "
                                f"`{' '.join(heldout_command(data))}`")
    sets = []
    for folder in folders:
        manifest = Corpus.open(folder).manifest
        level = manifest.config.get("noise_level")
        if level is None:
            raise ValueError(f"{folder}: a curriculum-ordered corpus, not a held-out set (generate it with noise_level=L)")
        if manifest.schema_version < 2:
            raise ValueError(f"{folder}: shard contract v{manifest.schema_version} has no `spans` column "
                             f"(v{SCHEMA_VERSION} has); regenerate it into a new folder")
        sets.append((float(level), folder))
    return sorted(sets)
