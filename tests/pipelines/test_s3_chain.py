"""Every job on object storage: generate -> tokenizer -> train (SIGKILLed, resumed) -> evaluate -> verify on s3://.

Each job is a real `python -m pipelines.JOB` process talking to a moto S3 server (tests/object_store.py). The
first generate goes through a TCP relay that holds back the body of the first shard upload it sees; the job
is SIGKILLed (its process group: driver, Ray, workers) while that upload is half sent. Then: no object under a
shard's final name is incomplete, the re-run finishes, and its shards equal a local run's byte for byte.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GENERATE = ["shards=3", "records_per_shard=6", "seed=0", "curriculum.start=0.5", "progress=false", "ray.num_cpus=2"]
HELDOUT = ["shards=1", "records_per_shard=4", "seed=1000", "noise_level=1.0", "progress=false", "ray.num_cpus=1"]
STEPS, SAVE_EVERY = 8, 2
TRAIN = ["model=tiny", "trainer.seq_len=32", "trainer.batch_size=4", "trainer.micro_batch_size=2",
         f"trainer.steps={STEPS}", "trainer.partial=true", f"trainer.save_every={SAVE_EVERY}", "trainer.threads=1",
         "trainer.progress_bar=false", "trainer.prefetch=1", "trainer.keep_last=2", "trainer.tensorboard=false"]
SHARD_PUT = re.compile(rb"^PUT /[^ ]*/shards/[^ ]*\.parquet", re.M)


class HoldingRelay:
    """127.0.0.1 relay to the S3 server that stalls every shard upload halfway through its body."""

    def __init__(self, upstream: str) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.holding = threading.Event()
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self.conns += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, requests: bool) -> None:
        armed = False
        try:
            while data := src.recv(65536):
                if requests and not armed and SHARD_PUT.search(data):
                    armed = True
                    head, sep, data = data.partition(b"\r\n\r\n")
                    dst.sendall(head + sep)
                if armed and data:
                    dst.sendall(data[: len(data) // 2])  # half the body, then nothing: the upload hangs
                    self.holding.set()
                    return
                dst.sendall(data)
        except OSError:
            return

    def close(self) -> None:
        self.sock.close()
        for conn in self.conns:
            conn.close()


def job(name: str, *args: str, env: dict[str, str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", f"pipelines.{name}", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{name} {' '.join(args)} -> {proc.returncode}\n{proc.stderr[-3000:]}"
    return proc


def keys(client, bucket: str, prefix: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def killpg(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and whatever it started (Ray, its workers)
    except ProcessLookupError:
        pass
    proc.wait(timeout=60)


@pytest.mark.slow
def test_generate_tokenizer_train_evaluate_verify_all_on_s3(s3_server, s3_bucket, tmp_path):
    t0 = time.monotonic()
    env = os.environ | s3_server.env | {"PYTHONPATH": str(ROOT)}
    env.pop("HYDRA_FULL_ERROR", None)
    client, s3 = s3_server.client(), f"s3://{s3_bucket}"
    local = tmp_path / "local"
    job("generate", f"out_dir={local}", *GENERATE, env=env, cwd=tmp_path)

    # 1. generate, SIGKILLed while a shard upload is half sent
    relay = HoldingRelay(s3_server.endpoint)
    relayed = env | {"AWS_ENDPOINT_URL": relay.endpoint, "AWS_ENDPOINT_URL_S3": relay.endpoint}
    log = (tmp_path / "killed.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "pipelines.generate", f"out_dir={s3}/corpus", *GENERATE], cwd=tmp_path,
                            env=relayed, stdout=log, stderr=log, start_new_session=True)
    try:
        assert relay.holding.wait(240), (tmp_path / "killed.log").read_text()[-3000:]
        time.sleep(0.5)  # let any other worker's upload finish or hang too
    finally:
        killpg(proc)
        relay.close()
    left = keys(client, s3_bucket, "corpus/")
    print(f"after the kill mid-upload: {left}")
    assert "corpus/manifest.json" not in left
    for key in left:  # an object under a shard's final name is a whole shard: the local run's bytes
        name = key.rsplit("/", 1)[1]
        if re.fullmatch(r"train-\d+\.parquet", name):
            body = client.get_object(Bucket=s3_bucket, Key=key)["Body"].read()
            assert body == (local / "shards" / name).read_bytes(), f"{key} is not a finished shard"

    # 2. the re-run completes; shards byte-identical to the local run
    job("generate", f"out_dir={s3}/corpus", *GENERATE, env=env, cwd=tmp_path)
    names = sorted(p.name for p in (local / "shards").glob("*.parquet"))
    assert [k.rsplit("/", 1)[1] for k in keys(client, s3_bucket, "corpus/shards/") if k.endswith(".parquet")] == names
    for name in names:
        body = client.get_object(Bucket=s3_bucket, Key=f"corpus/shards/{name}")["Body"].read()
        assert body == (local / "shards" / name).read_bytes(), name
    remote = json.loads(client.get_object(Bucket=s3_bucket, Key="corpus/manifest.json")["Body"].read())
    assert remote["shards"] == json.loads((local / "manifest.json").read_text())["shards"]

    # 3. tokenizer: reads rows from S3, publishes its folder there
    out = job("tokenizer", f"data={s3}/corpus", "vocab_size=300", "sample_rows=40", env=env, cwd=tmp_path)
    assert f"{s3}/corpus/tokenizer" in out.stdout
    assert {"corpus/tokenizer/tokenizer.json", "corpus/tokenizer/token_counts.json"} <= set(keys(client, s3_bucket, "corpus/tokenizer/"))

    # 4. train on S3, SIGKILLed after its first checkpoint (metrics.jsonl is uploaded at each one), resumed
    args = [f"data={s3}/corpus", f"out_dir={s3}/run", *TRAIN]
    log = (tmp_path / "train.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "pipelines.train", *args], cwd=tmp_path, env=env, stdout=log,
                            stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while "run/metrics.jsonl" not in keys(client, s3_bucket, "run/metrics"):
            assert proc.poll() is None, (tmp_path / "train.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "no checkpoint within 300 s"
            time.sleep(0.05)
    finally:
        killpg(proc)
    assert proc.returncode == -signal.SIGKILL
    assert any("run/checkpoints/step-" in k for k in keys(client, s3_bucket, "run/checkpoints/")), \
        "no checkpoint on S3: pipelines/training/checkpoint.py must write under the URI root it is given"
    resumed = job("train", *args, env=env, cwd=tmp_path)
    assert "resumed from" in resumed.stdout + resumed.stderr
    lines = client.get_object(Bucket=s3_bucket, Key="run/metrics.jsonl")["Body"].read().decode().splitlines()
    assert [json.loads(line)["step"] for line in lines] == list(range(1, STEPS + 1))
    assert {"run/train_config.json", "run/export/config.json", "run/export/tokenizer.json"} <= set(keys(client, s3_bucket, "run/"))

    # 5. evaluate: held-out set and export read from S3, outputs written there
    job("generate", f"out_dir={s3}/heldout/level-1.0", *HELDOUT, env=env, cwd=tmp_path)
    job("evaluate", f"export={s3}/run/export", f"data={s3}/heldout", f"out={s3}/eval", "max_rows=4", "plots=false",
        env=env, cwd=tmp_path)
    metrics = json.loads(client.get_object(Bucket=s3_bucket, Key="eval/metrics.json")["Body"].read())
    assert metrics["rows"] == {"1.0": 4} and "report.md" in " ".join(keys(client, s3_bucket, "eval/"))

    # 6. verify: every shard matches the manifest; nothing a killed upload left counts as a shard
    out = job("verify", f"data={s3}/corpus", env=env, cwd=tmp_path)
    assert f"{len(names)}/{len(names)} shards ok" in out.stdout
    print(f"S3 chain: {time.monotonic() - t0:.0f} s")
