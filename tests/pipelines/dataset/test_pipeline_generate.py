"""The generate job end to end on one real local Ray instance: contract, determinism, resume, kills, verify."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import world_model
from pipelines import summary, verify
from pipelines.dataset.config import validate
from pipelines.generate import Refused, run
from pipelines.dataset.manifest import Manifest
from pipelines.dataset.rows import RowMaker, row_id
from pipelines.dataset.schema import SCHEMA
from pipelines.dataset.shards import build, inspect

DOMAINS = world_model.domains()
# Equal to conf/ defaults (domain=mixed) except size and an early curriculum, so small shards hold noise.
SMALL = dict(shards=4, records_per_shard=25, seed=0, curriculum={"start": 0.5}, progress=False,
             domain={"name": "mixed", "weights": {d: 1.0 for d in DOMAINS}})
CLI_SMALL = ["curriculum.start=0.5", "progress=false"]


def config(out: Path | str, **kw):
    return validate(SMALL | {"out_dir": str(out)} | kw)


def files(folder: Path) -> dict[str, bytes]:
    """Every published file of a dataset folder (temp files of killed runs excluded)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.startswith(".")}


def shard_files(folder: Path) -> list[Path]:
    return sorted((folder / "shards").glob("shard-*.parquet"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory, ray_address) -> Path:
    """The small dataset made once with one worker; other tests compare bytes against it."""
    out = tmp_path_factory.mktemp("reference") / "data"
    run(config(out, workers=1))
    return out


@pytest.fixture
def copy(reference, tmp_path) -> Path:
    out = tmp_path / "data"
    shutil.copytree(reference, out)
    return out


def test_shards_hold_the_contract_and_read_back_everywhere(reference, tmp_path):
    m = Manifest.model_validate_json((reference / "manifest.json").read_text())
    assert m.rows == 100 and [s.path for s in m.shards] == [f"shards/shard-{i:05d}.parquet" for i in range(4)]
    assert [s.progress for s in m.in_progress_order()] == [(i / 4, (i + 1) / 4) for i in range(4)]
    assert sum(m.totals("domains").values()) == 100 and set(m.totals("domains")) <= set(DOMAINS)
    table = pq.read_table(reference / "shards")
    assert table.schema.remove_metadata().equals(SCHEMA)
    assert table.column_names == ["id", "domain", "shard", "progress", "noise_level", "record", "clean_text",
                                  "noisy_text", "edits", "violations", "spans"]
    ids = table.column("id").to_pylist()
    assert len(set(ids)) == 100
    # Shard 0 (progress < 0.5) holds no edit at all, yet its edits column is list<struct>, not list<null>.
    first = pq.read_table(shard_files(reference)[0])
    assert first.column("edits").to_pylist() == [[]] * 25
    assert first.schema.field("edits").type == SCHEMA.field("edits").type

    import duckdb

    rows, distinct, edits = duckdb.sql(
        f"select count(*), count(distinct id), sum(len(edits)) from read_parquet('{reference}/shards/*.parquet')"
    ).fetchall()[0]
    assert (rows, distinct) == (100, 100) and edits > 0

    import datasets

    ds = datasets.load_dataset(str(reference), split="train", cache_dir=str(tmp_path / "hf"))
    assert ds.num_rows == 100 and ds.column_names == table.column_names
    assert ds.features["edits"].feature["start"].dtype == "int32"
    assert sorted(ds["id"]) == sorted(ids)


def test_two_workers_write_the_same_bytes(reference, tmp_path):
    report = run(config(tmp_path / "two", workers=2))
    assert report.workers == 2 and sorted(report.written) == [0, 1, 2, 3]
    assert files(tmp_path / "two") == files(reference)


def test_rerun_rewrites_nothing(copy, capfd):
    before = {p: p.stat().st_mtime_ns for p in copy.rglob("*")}
    report = run(config(copy, workers=2))
    assert report.written == [] and report.up_to_date == 4
    assert "4/4 shards up to date" in capfd.readouterr().err
    assert {p: p.stat().st_mtime_ns for p in copy.rglob("*")} == before


def test_missing_and_corrupt_shards_come_back_identical(copy, reference):
    (copy / "shards/shard-00001.parquet").unlink()
    flip(copy / "shards/shard-00002.parquet")
    report = run(config(copy))
    assert sorted(report.written) == [1, 2]
    assert files(copy) == files(reference)


def flip(path: Path, at: float = 0.5) -> None:
    data = bytearray(path.read_bytes())
    data[int(len(data) * at)] ^= 0x01
    path.write_bytes(bytes(data))


def test_verify_names_each_bad_shard(copy, capsys):
    assert verify.main([str(copy)]) == 0
    flip(copy / "shards/shard-00002.parquet")
    (copy / "shards/shard-00003.parquet").unlink()
    assert verify.main([str(copy)]) == 1
    out = capsys.readouterr().out
    assert "BAD shards/shard-00002.parquet: sha256 differs" in out
    assert "BAD shards/shard-00003.parquet: missing" in out
    assert "shard-00000" not in out and "2/4 shards ok" in out


def test_another_config_is_refused_naming_keys_unless_overwrite(copy):
    before = files(copy)
    with pytest.raises(Refused, match=r"curriculum\.max_level: 1\.0 -> 0\.5; seed: 0 -> 7"):
        run(config(copy, seed=7, curriculum={"start": 0.5, "max_level": 0.5}))
    assert files(copy) == before
    (copy / "manifest.json").unlink()  # as after a killed first run: the shard footers still tell
    with pytest.raises(Refused, match=r"seed: 0 -> 7"):
        run(config(copy, seed=7))
    report = run(config(copy, seed=7, overwrite=True, shards=2))
    assert sorted(report.written) == [0, 1] and len(shard_files(copy)) == 2
    assert json.loads((copy / "manifest.json").read_text())["seed"] == 7


def test_output_folder_may_be_a_filesystem_uri(reference, tmp_path):
    run(config(f"file://{tmp_path}/uri"))
    assert files(tmp_path / "uri") == files(reference)


def test_fixed_noise_level_is_recorded(tmp_path):
    run(config(tmp_path / "held", noise_level=0.25, shards=2, seed=11))
    m = Manifest.model_validate_json((tmp_path / "held/manifest.json").read_text())
    assert m.config["noise_level"] == 0.25 and m.seed == 11
    assert all(s.noise_level == (0.25, 0.25) for s in m.shards)
    levels = pq.read_table(tmp_path / "held/shards", columns=["noise_level"]).column("noise_level")
    assert set(levels.to_pylist()) == {0.25}


def test_summary_prints_rows_per_domain_family_and_level(reference, capsys):
    assert summary.main([str(reference)]) == 0
    out = capsys.readouterr().out
    for word in ("domain", "noise level", "family", "typo", "logical", "adversarial", "none", "(0.75, 1]"):
        assert word in out
    assert any(line.startswith("total") and "100" in line for line in out.splitlines())


def _our_shard_worker() -> int | None:
    """PID of a worker of this session's Ray instance that is running a shard task right now."""
    import ray

    raylet = ray._private.worker._global_node.all_processes["raylet"][0].process.pid
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            cmdline = Path(entry.path, "cmdline").read_bytes()
            status = Path(entry.path, "status").read_text()
        except OSError:
            continue
        if cmdline.startswith(b"ray::shard-") and f"\nPPid:\t{raylet}\n" in status:
            return int(entry.name)
    return None


@pytest.mark.skipif(sys.platform != "linux", reason="finds the worker through /proc")
def test_worker_killed_mid_shard_is_retried(tmp_path, ray_address):
    cfg = config(tmp_path / "w", shards=2, records_per_shard=150, workers=1, max_retries=2)
    result: dict = {}
    thread = threading.Thread(target=lambda: result.setdefault("report", run(cfg)))
    thread.start()
    victim = None
    while victim is None and thread.is_alive():
        victim = _our_shard_worker()
        time.sleep(0.002)
    assert victim is not None, "no shard task was seen running"
    os.kill(victim, signal.SIGKILL)
    thread.join(timeout=300)
    assert sorted(result["report"].written) == [0, 1]
    for i, path in enumerate(shard_files(tmp_path / "w")):
        assert path.read_bytes() == build(cfg, i)[0]


@pytest.mark.slow
def test_killed_driver_leaves_no_partial_shard_and_resumes_exactly(tmp_path, ray_address):
    """SIGKILL the generate driver for real mid-run; the next run completes with no lost or duplicated row."""
    out, log = tmp_path / "killed", (tmp_path / "driver.log").open("w")
    cfg = config(out, shards=6, records_per_shard=60, workers=1)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.generate", f"out_dir={out}", "shards=6", "records_per_shard=60",
         "workers=1", f"ray.address={ray_address}", *CLI_SMALL],
        cwd=tmp_path, stdout=log, stderr=log, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while len(shard_files(out)) < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # whatever that driver itself started
        except ProcessLookupError:
            pass
    present = shard_files(out)
    assert 2 <= len(present) < 6, f"the kill should land mid-run: {(tmp_path / 'driver.log').read_text()}"
    assert not (out / "manifest.json").exists()
    for path in present:  # under a final name only once complete
        assert inspect(path.read_bytes())["rows"] == 60

    report = run(cfg.model_copy(update={"workers": 2}))
    assert report.up_to_date >= len(present) and len(report.written) == 6 - report.up_to_date
    ids = pq.read_table(out / "shards", columns=["id"]).column("id").to_pylist()
    maker = RowMaker.from_config(cfg)
    assert sorted(ids) == sorted(row_id(maker.domain_of(s, r), s, r) for s in range(6) for r in range(60))
    run(config(tmp_path / "whole", shards=6, records_per_shard=60, workers=2))
    assert files(out) == files(tmp_path / "whole")
    assert verify.main([str(out)]) == 0


@pytest.mark.slow
def test_cli_multirun_sweeps_into_separate_folders(tmp_path, ray_address):
    proc = subprocess.run(
        [sys.executable, "-m", "pipelines.generate", "-m", "shards=2", "records_per_shard=5",
         "curriculum.max_level=0.5,1.0", f"ray.address={ray_address}", *CLI_SMALL],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    made = sorted((tmp_path / "runs").glob("*/manifest.json"))
    levels = sorted(json.loads(p.read_text())["config"]["curriculum"]["max_level"] for p in made)
    assert levels == [0.5, 1.0]
    assert all("curriculum.max_level=" in p.parent.name and "ray.address" not in p.parent.name for p in made)
    assert "2/2 shards up to date" not in proc.stderr and proc.stderr.count("0/2 shards up to date") == 2


def test_manifest_hashes_match_the_files(reference):
    m = json.loads((reference / "manifest.json").read_text())
    for s in m["shards"]:
        data = (reference / s["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == s["sha256"] and len(data) == s["bytes"]
        assert pq.ParquetFile(pa.BufferReader(data)).metadata.num_rows == s["rows"]
