"""`python -m pipelines.verify data=DATASET_DIR [quick=true]`: re-hash every shard, check every manifest field against it.

Exit 0 when every shard matches, 1 naming each bad shard and each mismatching field, 2 when data= is not a dataset.
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, Field

from pipelines import cli
from pipelines.progress import progress
from pipelines.dataset import manifest
from pipelines.dataset.config import differing_keys
from pipelines.dataset.manifest import MANIFEST, SHARD_DIR, ShardEntry, shard_path
from pipelines.dataset.shards import ShardError, entry_from, inspect
from pipelines.dataset.storage import Folder, normalize


class VerifyConfig(BaseModel, extra="forbid"):
    """The verify job: which dataset, and how deep to look."""

    data: str = Field(min_length=1)  # a folder written by `python -m pipelines.generate` (path or URI)
    quick: bool = False  # hashes and footers only, skip page checksums


def problems(out_dir: str, full: bool = True) -> tuple[manifest.Manifest, dict[str, str]]:
    """The manifest and, per bad path, what is wrong with it (empty when all is well).

    Every field of every manifest entry (rows, bytes, sha256, progress, noise level, domains, families) is
    compared with what the shard's bytes and footer say; each mismatch is named.
    """
    folder = Folder(normalize(out_dir))
    m = manifest.load(out_dir)
    bad: dict[str, list[str]] = {}
    top = bad.setdefault(MANIFEST, [])
    if [s.index for s in m.shards] != list(range(len(m.shards))):
        top.append("shard indices are not 0..N-1")
    if sum(s.rows for s in m.shards) != m.rows:
        top.append(f"rows {m.rows} is not the sum over shards ({sum(s.rows for s in m.shards)})")
    if m.config.get("seed") != m.seed:
        top.append(f"seed {m.seed} differs from config.seed {m.config.get('seed')}")
    for s in progress(m.shards, desc="verify: shards hashed", unit="shard"):
        why = bad.setdefault(s.path, [])
        if s.path != shard_path(s.index, m.config["split"]):
            why.append(f"unexpected path for shard {s.index}")
            continue
        if not folder.exists(s.path):
            why.append("missing")
            continue
        data = folder.read(s.path)
        if len(data) != s.bytes:
            why.append(f"{len(data)} bytes, manifest says {s.bytes}")
        elif hashlib.sha256(data).hexdigest() != s.sha256:
            why.append("sha256 differs from the manifest")
        if why:
            continue
        try:
            meta = inspect(data, full=full)
        except ShardError as err:
            why.append(str(err))
            continue
        if meta["config_hash"] != m.config_hash:
            why.append(f"footer config_hash {meta['config_hash']} is not the manifest's {m.config_hash} (another dataset's shard)")
        if meta["config"] != m.config:
            top.append(f"config differs from the footer of {s.path} ({'; '.join(differing_keys(meta['config'], m.config)) or 'config'})")
        derived = entry_from(meta, data)
        for name in ShardEntry.model_fields:
            if name != "path" and getattr(s, name) != getattr(derived, name):
                why.append(f"{name}: manifest {_short(getattr(s, name))}, shard {_short(getattr(derived, name))}")
    listed = {s.path for s in m.shards}
    for name in folder.listdir(SHARD_DIR):
        rel = f"{SHARD_DIR}/{name}"
        if name.endswith(".parquet") and rel not in listed:
            bad.setdefault(rel, []).append("not listed in the manifest")
    return m, {path: "; ".join(dict.fromkeys(why)) for path, why in bad.items() if why}


def _short(value: object) -> str:
    text = str(list(value) if isinstance(value, tuple) else value)
    return text if len(text) <= 80 else text[:77] + "..."


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
