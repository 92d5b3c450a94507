"""Build a dataset: plan shards, run one Ray task per missing shard, write the card, then the manifest last."""

from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

from pipelines.dataset import card, manifest
from pipelines.dataset.config import GenerateConfig, differing_keys
from pipelines.dataset.manifest import MANIFEST, SHARD_DIR, Manifest, ShardEntry, shard_path
from pipelines.dataset.shards import ShardError, entry_from, inspect
from pipelines.dataset.storage import Folder, normalize
from pipelines.errors import CheckFailed, InputError, Refused

log = logging.getLogger("pipelines.generate")


@dataclass
class Report:
    """What a run did, with timings for the benchmark."""

    out: str
    rows: int
    shards: int
    up_to_date: int
    written: list[int] = field(default_factory=list)
    bytes_written: int = 0
    seconds: float = 0.0  # planning to manifest, Ray start excluded
    ray_start_seconds: float = 0.0
    task_seconds: list[dict[str, float]] = field(default_factory=list)
    workers: int = 0


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def check_existing(cfg: GenerateConfig, folder: Folder, old: Manifest | None) -> dict[int, ShardEntry]:
    """Entries of the shards already on disk that this config would write byte for byte.

    With a manifest of this config, a shard is current when its size and sha256 match the manifest.
    Without one (a killed first run), a shard is adopted when its footer names this config, shard
    and row count and every page passes its checksum: it was renamed into place only once complete.
    Raises Refused when the folder holds another config's dataset, unless cfg.overwrite.
    """
    chash, content = cfg.content_hash(), cfg.content()
    version = manifest.package_version()
    if old is not None and (old.config_hash != chash or old.package_version != version):
        conflict = differing_keys(old.config, content)
        if old.package_version != version:
            conflict.append(f"package_version: {old.package_version} -> {version}")
        return _conflict(cfg, folder, conflict or [f"config_hash: {old.config_hash} -> {chash}"])

    listed = {s.index: s for s in old.shards} if old is not None else {}
    current: dict[int, ShardEntry] = {}
    foreign: list[str] = []
    for name in folder.listdir(SHARD_DIR):
        prefix = f"{cfg.split}-"
        if not (name.startswith(prefix) and name.endswith(".parquet") and name[len(prefix) : -8].isdigit()):
            continue
        rel = f"{SHARD_DIR}/{name}"
        index = int(name[len(prefix) : -len(".parquet")])
        data = folder.read(rel)
        if index in listed:
            entry = listed[index]
            if len(data) == entry.bytes and _sha256(data) == entry.sha256:
                current[index] = entry
            else:
                _say(f"{rel}: differs from the manifest (sha256); regenerating")
            continue
        try:
            meta = inspect(data)
        except ShardError as err:
            _say(f"{rel}: {err}; regenerating")
            continue
        if meta["config_hash"] != chash:
            foreign.extend(differing_keys(meta["config"], content) or [f"config_hash: {meta['config_hash']} -> {chash}"])
        elif index < cfg.shards and meta["shard"] == index and meta["rows"] == cfg.records_per_shard:
            current[index] = entry_from(meta, data)
    if foreign:
        return _conflict(cfg, folder, sorted(set(foreign)))
    return current


def _conflict(cfg: GenerateConfig, folder: Folder, keys: list[str]) -> dict[int, ShardEntry]:
    if not cfg.overwrite:
        raise Refused(
            f"{folder.display()} holds a dataset made with another config ({'; '.join(keys)}); "
            "use another out_dir or pass overwrite=true"
        )
    _say(f"overwrite=true: replacing the dataset in {folder.display()} ({'; '.join(keys)})")
    folder.delete(MANIFEST)  # first, so a run killed from here on never leaves a manifest naming stale shards
    for name in folder.listdir(SHARD_DIR):
        folder.delete(f"{SHARD_DIR}/{name}")
    folder.delete(card.CARD)
    return {}


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def run(cfg: GenerateConfig, on_progress: Callable[[ShardEntry], None] | None = None) -> Report:
    """Make every missing or stale shard of `cfg`, then the card, then the manifest (last, atomically)."""
    t_start = time.perf_counter()
    folder = Folder(normalize(cfg.out_dir))
    if "://" not in folder.uri and os.path.isfile(folder.uri):
        raise InputError(f"out_dir={cfg.out_dir}: a file, not a folder; pick another out_dir")
    if "://" in folder.uri:
        from pipelines.cli import reachable

        reachable(folder.uri, "out_dir")
    try:
        old = manifest.read(folder)
    except ValueError as err:  # unreadable manifest: trust only what the shard footers prove
        _say(f"{folder.display(MANIFEST)}: unreadable ({str(err).splitlines()[0]}); checking shards one by one")
        old = None
    entries = check_existing(cfg, folder, old)
    stale = folder.remove_temp_files(SHARD_DIR)
    if stale:
        _say(f"removed {stale} temp file(s) left by an interrupted run")
    # Noisier shards (later in the curriculum) cost more per row: start them first, so that no worker
    # is left alone on a slow shard at the end (longest-first scheduling).
    todo = [i for i in reversed(range(cfg.shards)) if i not in entries]
    report = Report(out=folder.uri, rows=cfg.rows, shards=cfg.shards, up_to_date=cfg.shards - len(todo))
    _say(f"{report.up_to_date}/{cfg.shards} shards up to date in {folder.display()}")

    if todo:
        folder.makedirs(SHARD_DIR)
        from pipelines.dataset import ray_runtime

        t_ray = time.perf_counter()
        try:
            ray_runtime.start(cfg.ray)
        except (ConnectionError, TimeoutError) as err:
            raise InputError(f"ray.address={cfg.ray.address}: cannot connect ({str(err).splitlines()[0]}); "
                             "start the cluster (`ray start --head`) or use ray=local") from err
        report.ray_start_seconds = time.perf_counter() - t_ray
        report.workers = cfg.workers or ray_runtime.cluster_cpus()
        for built in _run_tasks(cfg, folder, todo, report.workers):
            entries[built.entry.index] = built.entry
            report.written.append(built.entry.index)
            report.bytes_written += built.entry.bytes
            report.task_seconds.append(built.seconds)
            if on_progress is not None:
                on_progress(built.entry)

    final = Manifest(
        package_version=manifest.package_version(),
        config_hash=cfg.content_hash(),
        seed=cfg.seed,
        config=cfg.content(),
        rows=sum(e.rows for e in entries.values()),
        shards=[entries[i] for i in range(cfg.shards)],
    )
    text = card.render(final).encode()
    if not (folder.exists(card.CARD) and folder.read(card.CARD) == text):
        folder.write_atomic(card.CARD, text)
    manifest.write(folder, final)
    report.seconds = time.perf_counter() - t_start - report.ray_start_seconds
    return report


def _run_tasks(cfg: GenerateConfig, folder: Folder, todo: list[int], workers: int):
    """Keep `workers` shard tasks in flight; yield each finished shard; a progress bar counts rows."""
    import ray
    from pipelines.progress import progress

    from pipelines.dataset import ray_runtime

    queue, pending = list(todo), {}
    bar = progress(total=len(todo) * cfg.records_per_shard, unit="row", unit_scale=True, desc=f"shards 0/{len(todo)}",
                   enabled=cfg.progress, smoothing=0.1)
    done = 0
    try:
        while queue or pending:
            while queue and len(pending) < workers:
                index = queue.pop(0)
                pending[ray_runtime.submit(cfg, index, folder.uri)] = index
            ready, _ = ray.wait(list(pending), num_returns=1)
            index = pending.pop(ready[0])
            try:
                built = ray.get(ready[0])
            except ray.exceptions.RayError as err:
                raise CheckFailed(f"{shard_path(index, cfg.split)} failed ({str(err).splitlines()[0]}); "
                                  "run the same command again: finished shards are kept") from err
            done += 1
            bar.set_description(f"shards {done}/{len(todo)}")
            bar.update(built.entry.rows)
            yield built
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
        bar.close()
