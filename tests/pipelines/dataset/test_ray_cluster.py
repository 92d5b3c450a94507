"""A real 2-node Ray cluster on loopback (two `ray start`, token auth): generate runs on both nodes and writes
the same bytes as embedded Ray; a refused token or an empty port is one line with the fix (exit 2).

The cluster is private to the test: its own temp dir and free ports (GCS, client server, agents), its own
token in the environment of the nodes and the driver, and it is stopped by killing the process groups it
started, never with `ray stop` (other Ray instances share the machine).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
RAY = str(Path(sys.executable).with_name("ray"))
GENERATE = ["shards=4", "records_per_shard=16", "seed=3", "progress=false"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(procs: list[subprocess.Popen]) -> None:
    """SIGTERM each process group we started (joining node first), SIGKILL what is left after 20 s."""
    for proc in reversed(procs):
        with _quiet():
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for proc in reversed(procs):
        while time.monotonic() < deadline and _group_alive(proc.pid):
            time.sleep(0.2)
        with _quiet():
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


class _quiet:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return exc[0] is ProcessLookupError


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Head + one joining node, 1 CPU each, on 127.0.0.1; yields (address, env for a driver)."""
    tmp = tmp_path_factory.mktemp("raycluster")
    ray_tmp = tempfile.mkdtemp(prefix="cfray-", dir="/tmp")  # short: Ray's AF_UNIX socket paths must stay < 108 bytes
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32),
           "RAY_USAGE_STATS_ENABLED": "0", "RAY_DEDUP_LOGS": "0", "PYTHONPATH": str(ROOT)}
    for inherited in ("RAY_ADDRESS", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"):  # the session's embedded Ray sets the second:
        env.pop(inherited, None)  # it would make `ray start` a single-node, loopback-only instance
    port = free_port()
    address = f"127.0.0.1:{port}"
    common = ["--node-ip-address=127.0.0.1", "--num-cpus=1", "--block", "--disable-usage-stats"]
    head = [RAY, "start", "--head", f"--port={port}", f"--temp-dir={ray_tmp}", "--include-dashboard=false",
            f"--ray-client-server-port={free_port()}", f"--dashboard-agent-listen-port={free_port()}", *common]
    # The joining node needs no --temp-dir: it takes the head's session folder from the GCS.
    joiner = [RAY, "start", f"--address={address}", f"--dashboard-agent-listen-port={free_port()}", *common]
    procs: list[subprocess.Popen] = []
    try:
        for cmd, name in ((head, "head"), (joiner, "node2")):
            log = open(tmp / f"{name}.log", "wb")
            procs.append(subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
            _wait_for_nodes(env, address, len(procs), procs, tmp / f"{name}.log")
        yield address, env
    finally:
        stop(procs)
        shutil.rmtree(ray_tmp, ignore_errors=True)


def _wait_for_nodes(env: dict, address: str, count: int, procs: list[subprocess.Popen], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for p in procs:
            assert p.poll() is None, log.read_text()[-3000:]
        done = subprocess.run([RAY, "status", f"--address={address}"], env=env, capture_output=True, text=True)
        if done.returncode == 0 and len(re.findall(r"^\s*1 node_", done.stdout, re.M)) >= count:
            return
        time.sleep(1)
    raise AssertionError(f"{count} node(s) not up in 120 s: {log.read_text()[-3000:]}")


def generate(args: list[str], env: dict, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines.generate", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def shard_bytes(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "shards").glob("*.parquet"))}


@pytest.mark.slow
def test_generate_on_a_two_node_cluster_uses_both_nodes_and_matches_embedded_ray(cluster, tmp_path):
    address, env = cluster
    t0 = time.perf_counter()
    done = generate(["ray=cluster", f"ray.address={address}", f"out_dir={tmp_path / 'cluster'}", *GENERATE], env)
    wall = time.perf_counter() - t0
    assert done.returncode == 0, done.stderr[-3000:]
    placed = dict(re.findall(r"generate: shard (\d{5}) built on node ([0-9a-f]+)", done.stdout + done.stderr))
    assert sorted(placed) == ["00000", "00001", "00002", "00003"], done.stdout + done.stderr
    assert len(set(placed.values())) == 2, placed  # both nodes built shards
    print(f"\ncluster generate: {wall:.1f} s; shard -> node: { {k: v[:8] for k, v in sorted(placed.items())} }")

    local_env = {k: v for k, v in env.items() if not k.startswith("RAY_AUTH")}
    embedded = generate(["ray=local", f"out_dir={tmp_path / 'local'}", *GENERATE], local_env)
    assert embedded.returncode == 0, embedded.stderr[-3000:]
    ours, theirs = shard_bytes(tmp_path / "cluster"), shard_bytes(tmp_path / "local")
    assert len(ours) == 4 and ours == theirs
    assert (tmp_path / "cluster" / "manifest.json").read_bytes() == (tmp_path / "local" / "manifest.json").read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("auth", [{"RAY_AUTH_MODE": "disabled"}, {"RAY_AUTH_TOKEN": "ab" * 32}])
def test_a_driver_without_the_token_gets_one_line_naming_the_fix(cluster, tmp_path, auth):
    address, env = cluster
    done = generate(["ray=cluster", f"ray.address={address}", f"out_dir={tmp_path / 'o'}", *GENERATE],
                    {**env, **auth}, timeout=180)
    assert done.returncode == 2, done.stderr[-3000:]
    *before, last = done.stderr.strip().splitlines()
    assert "refused this driver" in last and "RAY_AUTH_MODE=token" in last, done.stderr
    assert all("shards up to date" in line for line in before), done.stderr  # no Ray log lines, no traceback


def test_cluster_without_an_address_or_with_nothing_there_is_one_line(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("RAY_ADDRESS", None)
    missing = generate(["ray=cluster", f"out_dir={tmp_path / 'a'}", *GENERATE], env)
    assert missing.returncode == 2 and "ray=cluster needs ray.address=HEAD_IP:PORT" in missing.stderr
    auto = generate(["ray=cluster", "ray.address=auto", f"out_dir={tmp_path / 'b'}", *GENERATE], env)
    assert auto.returncode == 2 and "name it: ray.address=HEAD_IP:PORT" in auto.stderr
    nothing = generate(["ray=cluster", f"ray.address=127.0.0.1:{free_port()}", f"out_dir={tmp_path / 'c'}", *GENERATE], env)
    assert nothing.returncode == 2, nothing.stderr[-2000:]
    assert nothing.stderr.strip().splitlines()[-1].endswith("nothing listens there; start the head with "
                                                            "`ray start --head --port=PORT` and pass its HEAD_IP:PORT, "
                                                            "or use ray=local")
    via_env = generate(["ray=cluster", f"out_dir={tmp_path / 'd'}", *GENERATE], {**env, "RAY_ADDRESS": "127.0.0.1:1"})
    assert via_env.returncode == 2 and "ray.address=127.0.0.1:1: nothing listens there" in via_env.stderr
