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
from pipelines.dataset import lease
from pipelines.dataset.shards import ShardError, entry_from, footer, inspect
from pipelines.dataset.storage import Folder, normalize
from pipelines.errors import CheckFailed, InputError, Refused

log = logging.getLogger("pipelines.generate")
CARD_TITLE = b"\n# Curriculum Forge synthetic corpus\n"  # the heading card.render writes: a README.md of ours


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

    Every entry is derived from the shard's own footer, never taken from the manifest: a manifest
    entry that disagrees with its footer (edited rows, counts, levels, progress) is repaired. With a
    manifest of this config, a shard is current when its size and sha256 match the manifest and its
    footer names this config, shard and row count. Without one (a killed first run), a shard is adopted
    when its footer says so and every page passes its checksum: it was renamed into place only once complete.
    Raises Refused when the folder holds another config's dataset, unless cfg.overwrite.
    """
    chash, content = cfg.content_hash(), cfg.content()
    version = manifest.package_version()
    if old is not None and (old.config_hash != chash or old.package_version != version):
        conflict = differing_keys(old.config, content)
        if old.package_version != version:
            conflict.append(f"package_version: {old.package_version} -> {version}")
        return _conflict(cfg, folder, conflict or [f"config_hash: {old.config_hash} -> {chash}"], old)

    listed = {s.index: s for s in old.shards} if old is not None else {}
    current: dict[int, ShardEntry] = {}
    foreign: list[str] = []
    for index, rel in _shard_names(folder, cfg.split):
        data = folder.read(rel)
        entry = listed.get(index)
        if entry is not None and not (len(data) == entry.bytes and _sha256(data) == entry.sha256):
            _say(f"{rel}: differs from the manifest (sha256); regenerating")
            continue
        try:
            meta = inspect(data, full=entry is None)  # a sha256 match with our manifest already proves every byte
        except ShardError as err:
            _say(f"{rel}: {err}; regenerating")
            continue
        if meta["config_hash"] != chash:
            foreign.extend(differing_keys(meta["config"], content) or [f"config_hash: {meta['config_hash']} -> {chash}"])
        elif index < cfg.shards and meta["shard"] == index and meta["rows"] == cfg.records_per_shard:
            current[index] = entry_from(meta, data)
            if entry is not None and entry != current[index]:
                fields = [k for k in ShardEntry.model_fields if getattr(entry, k) != getattr(current[index], k)]
                _say(f"{folder.display(MANIFEST)}: the entry of {rel} differs from its footer ({', '.join(fields)}); "
                     "repaired from the footer")
        elif entry is not None:
            _say(f"{rel}: its footer does not match the manifest (shard or rows); regenerating")
    if foreign:
        return _conflict(cfg, folder, sorted(set(foreign)), old)
    return current


def _shard_names(folder: Folder, split: str) -> list[tuple[int, str]]:
    """(index, path) of the files under shards/ named like this split's shards."""
    prefix, out = f"{split}-", []
    for name in folder.listdir(SHARD_DIR):
        if name.startswith(prefix) and name.endswith(".parquet") and name[len(prefix) : -8].isdigit():
            out.append((int(name[len(prefix) : -8]), f"{SHARD_DIR}/{name}"))
    return out


def _conflict(cfg: GenerateConfig, folder: Folder, keys: list[str], old: Manifest | None) -> dict[int, ShardEntry]:
    if not cfg.overwrite:
        raise Refused(
            f"{folder.display()} holds a dataset made with another config ({'; '.join(keys)}); "
            "use another out_dir or pass overwrite=true"
        )
    _say(f"overwrite=true: replacing the dataset in {folder.display()} ({'; '.join(keys)})")
    ours = _written_by_generate(folder, old)
    folder.delete(MANIFEST)  # first, so a run killed from here on never leaves a manifest naming stale shards
    for rel in ours:
        folder.delete(rel)
    return {}


def _written_by_generate(folder: Folder, old: Manifest | None) -> list[str]:
    """The files a generate run wrote here: shards its manifest lists or whose footer is ours, and its card.

    Anything else in the folder (a user's notes, another tool's files) is never deleted.
    """
    ours = [s.path for s in old.shards if folder.exists(s.path)] if old is not None else []
    for name in folder.listdir(SHARD_DIR):
        rel = f"{SHARD_DIR}/{name}"
        if rel in ours or not name.endswith(".parquet"):
            continue
        try:
            footer(folder.read(rel))
        except Exception:  # noqa: BLE001 - not a shard of ours: leave it
            continue
        ours.append(rel)
    if folder.exists(card.CARD) and CARD_TITLE in folder.read(card.CARD)[:65536]:
        ours.append(card.CARD)
    return ours


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
    with lease.held(folder.uri, "generate") as fence:  # one writer per folder, from the first read to the manifest
        return _run_held(cfg, folder, fence, t_start, on_progress)


def _run_held(cfg: GenerateConfig, folder: Folder, fence: lease.Fence, t_start: float,
              on_progress: Callable[[ShardEntry], None] | None) -> Report:
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
        for built in _run_tasks(cfg, folder, todo, report.workers, fence):
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
    fence.check(MANIFEST)  # a run that lost the folder (taken over after it stalled) writes neither card nor manifest
    text = card.render(final).encode()
    if not (folder.exists(card.CARD) and folder.read(card.CARD) == text):
        folder.write_atomic(card.CARD, text)
    manifest.write(folder, final)
    report.seconds = time.perf_counter() - t_start - report.ray_start_seconds
    return report


def _run_tasks(cfg: GenerateConfig, folder: Folder, todo: list[int], workers: int, fence: lease.Fence):
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
                pending[ray_runtime.submit(cfg, index, folder.uri, fence)] = index
            ready, _ = ray.wait(list(pending), num_returns=1)
            index = pending.pop(ready[0])
            try:
                built = ray.get(ready[0])
            except ray.exceptions.RayError as err:
                if isinstance(getattr(err, "cause", None), lease.Fenced):
                    raise err.cause from None
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
