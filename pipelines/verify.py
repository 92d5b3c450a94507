"""`python -m pipelines.verify data=DATASET_DIR [quick=true]`: re-hash every shard against the manifest.

Exit 0 when every shard matches, 1 naming each bad shard, 2 when data= is not a dataset.
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, Field

from pipelines import cli
from pipelines.progress import progress
from pipelines.dataset import manifest
from pipelines.dataset.manifest import SHARD_DIR, shard_path
from pipelines.dataset.shards import ShardError, inspect
from pipelines.dataset.storage import Folder, normalize


class VerifyConfig(BaseModel, extra="forbid"):
    """The verify job: which dataset, and how deep to look."""

    data: str = Field(min_length=1)  # a folder written by `python -m pipelines.generate` (path or URI)
    quick: bool = False  # hashes and footers only, skip page checksums


def problems(out_dir: str, full: bool = True) -> tuple[manifest.Manifest, dict[str, str]]:
    """The manifest and, per bad shard path, what is wrong with it (empty when all is well)."""
    folder = Folder(normalize(out_dir))
    m = manifest.load(out_dir)
    bad: dict[str, str] = {}
    if [s.index for s in m.shards] != list(range(len(m.shards))):
        bad["manifest.json"] = "shard indices are not 0..N-1"
    if sum(s.rows for s in m.shards) != m.rows:
        bad["manifest.json"] = f"rows {m.rows} is not the sum over shards"
    for s in progress(m.shards, desc="verify: shards hashed", unit="shard"):
        if s.path != shard_path(s.index, m.config["split"]):
            bad[s.path] = f"unexpected path for shard {s.index}"
            continue
        if not folder.exists(s.path):
            bad[s.path] = "missing"
            continue
        data = folder.read(s.path)
        if len(data) != s.bytes:
            bad[s.path] = f"{len(data)} bytes, manifest says {s.bytes}"
        elif hashlib.sha256(data).hexdigest() != s.sha256:
            bad[s.path] = "sha256 differs from the manifest"
        if s.path in bad:
            continue
        try:
            meta = inspect(data, full=full)
        except ShardError as err:
            bad[s.path] = str(err)
            continue
        if meta["config_hash"] != m.config_hash or meta["shard"] != s.index or meta["rows"] != s.rows:
            bad[s.path] = "footer does not match the manifest (config hash, index or rows)"
    listed = {s.path for s in m.shards}
    for name in folder.listdir(SHARD_DIR):
        rel = f"{SHARD_DIR}/{name}"
        if name.endswith(".parquet") and rel not in listed:
            bad[rel] = "not listed in the manifest"
    return m, bad


def run(cfg: VerifyConfig) -> int:
    """Print one line per bad shard and a total; exit 1 when any shard is bad."""
    cli.require_folder(cfg.data)
    try:
        m, bad = problems(cfg.data, full=not cfg.quick)
    except (FileNotFoundError, ValueError) as err:
        raise cli.InputError(f"data={cfg.data}: {cli.one_line(str(err))}") from None
    for path, why in sorted(bad.items()):
        print(f"BAD {path}: {why}")
    ok = sum(1 for s in m.shards if s.path not in bad)
    print(f"{ok}/{len(m.shards)} shards ok, {m.rows:,} rows, config {m.config_hash}, schema v{m.schema_version}")
    return cli.EXIT_CHECK if bad else cli.EXIT_OK


def main() -> None:
    cli.main(cli.Job("verify", VerifyConfig, run, __doc__))


if __name__ == "__main__":
    main()
