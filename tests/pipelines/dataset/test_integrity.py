"""Fault injection (issue 19): each way a hostile user or a crash could mix, lose or smuggle data, and what stops it.

One writer per folder (a lease taken only if absent, on local disk and on S3), a fenced publish, manifest
entries derived from shard footers, shards checked against the manifest before a reader trusts them, and
no job deleting what it did not write.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipelines import cli, verify
from pipelines.dataset import lease
from pipelines.dataset.build import run
from pipelines.dataset.config import validate
from pipelines.dataset.lease import LEASE, Fenced, Held
from pipelines.dataset.shards import make_shard
from pipelines.dataset.storage import Folder
from pipelines.dataset.trust import UntrustedShard
from pipelines.errors import InputError, Refused
from pipelines.training.loading import Corpus

import world_model

ROOT = Path(__file__).resolve().parents[3]
DOMAINS = world_model.domains()
SMALL = dict(shards=4, records_per_shard=25, seed=0, curriculum={"start": 0.5}, progress=False,
             domain={"name": "mixed", "weights": {d: 1.0 for d in DOMAINS}})
CLI_SMALL = ["shards=4", "records_per_shard=25", "curriculum.start=0.5", "progress=false"]


def config(out: Path | str, **kw):
    return validate(SMALL | {"out_dir": str(out)} | kw)


def files(folder: Path) -> dict[str, bytes]:
    """Every published file of a folder (the lease and temp files, dot-named, excluded)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.startswith(".")}


def env(**extra: str) -> dict[str, str]:
    out = {**os.environ, "PYTHONPATH": str(ROOT), **extra}
    out.pop("HYDRA_FULL_ERROR", None)
    return out


def one_line(err: BaseException) -> tuple[int | None, str]:
    """What the CLI prints for `err`: (exit code, the line)."""
    code, line = cli.describe(err)
    assert "\n" not in line
    return code, line


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def plant(folder: Folder, **fields) -> lease.Lease:
    """Write a lease as another run would have left it."""
    held = lease.new_lease("generate").model_copy(update=fields)
    assert lease._store(folder).create(held.model_dump_json().encode())
    return held


@pytest.fixture(scope="module")
def reference(tmp_path_factory, ray_address) -> Path:
    out = tmp_path_factory.mktemp("integrity") / "data"
    run(config(out, workers=1))
    return out


@pytest.fixture
def copy(reference, tmp_path) -> Path:
    out = tmp_path / "data"
    shutil.copytree(reference, out)
    return out


# ---- 1. one writer per folder ----------------------------------------------------------------------------------


def test_a_held_folder_is_refused_naming_the_holder_and_released_after(tmp_path):
    folder = Folder(str(tmp_path / "out"))
    with lease.held(folder.uri, "generate") as fence:
        holder = lease.read(folder)[0]
        assert holder.token == fence.token and holder.pid == os.getpid() and holder.host == socket.gethostname()
        with pytest.raises(Held) as err:
            lease.acquire(folder, "generate")
        code, line = one_line(err.value)
        assert code == 3 and f"generate run {holder.run_id} (pid {os.getpid()} on {holder.host})" in line, line
    assert lease.read(folder) is None and not (tmp_path / "out" / LEASE).exists()


def test_a_stale_lease_is_taken_over_a_live_one_is_not(tmp_path, capfd):
    folder = Folder(str(tmp_path / "out"))
    plant(folder, pid=dead_pid())  # same host, process gone, not yet expired
    mine, _ = lease.acquire(folder, "generate")
    said = capfd.readouterr().err
    assert "took over the lease" in said and "is gone" in said, said
    lease.release(folder, mine)

    plant(folder, host="elsewhere", pid=1, expires=time.time() - 1)  # another host: only expiry tells
    mine, _ = lease.acquire(folder, "generate")
    assert lease.read(folder)[0].token == mine.token
    lease.release(folder, mine)

    plant(folder, host="elsewhere", pid=1)  # another host, not expired: live
    with pytest.raises(Held, match="pid 1 on elsewhere"):
        lease.acquire(folder, "generate")


def test_concurrent_takeovers_of_one_stale_lease_leave_one_holder(tmp_path):
    folder = Folder(str(tmp_path / "out"))
    plant(folder, expires=time.time() - 5)
    got: list[object] = []
    barrier = threading.Barrier(8)

    def take() -> None:
        barrier.wait()
        try:
            got.append(lease.acquire(folder, "generate")[0].token)
        except Held as err:
            got.append(err)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [g for g in got if isinstance(g, str)]
    assert len(winners) == 1 and lease.read(folder)[0].token == winners[0], got


def test_s3_lease_is_a_conditional_put(s3_server, s3_bucket):
    """moto's server honours If-None-Match: * and If-Match: create-if-absent and compare-and-swap on S3."""
    folder = Folder(f"s3://{s3_bucket}/data")
    first, _ = lease.acquire(folder, "generate")
    with pytest.raises(Held, match=first.run_id):
        lease.acquire(folder, "generate")
    key = s3_server.client().get_object(Bucket=s3_bucket, Key=f"data/{LEASE}")
    assert json.loads(key["Body"].read())["token"] == first.token
    lease.release(folder, first)
    assert lease.read(folder) is None

    plant(folder, host="elsewhere", expires=time.time() - 1)
    got: list[object] = []
    barrier = threading.Barrier(4)

    def take() -> None:
        barrier.wait()
        try:
            got.append(lease.acquire(folder, "generate")[0].token)
        except Held as err:
            got.append(err)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [g for g in got if isinstance(g, str)]
    assert len(winners) == 1 and lease.read(folder)[0].token == winners[0], got


def test_renewal_pushes_the_expiry_and_fails_once_taken_over(tmp_path):
    folder = Folder(str(tmp_path / "out"))
    mine, version = lease.acquire(folder, "generate", ttl=5)
    renewed, version = lease.renew(folder, mine, version, ttl=50)
    assert renewed.expires > mine.expires + 40 and lease.read(folder)[0].expires == renewed.expires
    lease.release(folder, renewed)
    other, _ = lease.acquire(folder, "generate")
    with pytest.raises(Fenced):
        lease.renew(folder, renewed, version)
    assert lease.read(folder)[0].token == other.token


def test_a_fenced_worker_cannot_publish(tmp_path):
    """A worker of a run whose lease was taken over (its driver died) builds its shard but publishes nothing."""
    out = tmp_path / "out"
    cfg = config(out)
    folder = Folder(str(out))
    old, _ = lease.acquire(folder, "generate")
    fence = lease.Fence(folder.uri, old.token)
    lease.release(folder, old)
    new, _ = lease.acquire(folder, "generate")  # the next run took the folder
    with pytest.raises(Fenced, match="train-00000.parquet: not published") as err:
        make_shard(cfg, 0, folder.uri, fence)
    assert one_line(err.value)[0] == 3
    assert not (out / "shards" / "train-00000.parquet").exists()
    assert make_shard(cfg, 0, folder.uri, lease.Fence(folder.uri, new.token)).entry.index == 0  # the holder may


def test_a_run_that_loses_its_lease_mid_run_writes_no_manifest(tmp_path, ray_address):
    out = tmp_path / "out"
    result: dict[str, BaseException] = {}

    def generate() -> None:
        try:
            run(config(out, shards=6, records_per_shard=60, workers=1))
        except BaseException as err:  # noqa: BLE001
            result["err"] = err

    thread = threading.Thread(target=generate)
    thread.start()
    deadline = time.monotonic() + 120
    while not list((out / "shards").glob("train-*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.01)
    stolen = lease.new_lease("generate").model_copy(update={"run_id": "usurper"})
    (out / LEASE).write_text(stolen.model_dump_json())  # as a takeover after a stall would
    thread.join(timeout=300)
    assert isinstance(result.get("err"), Fenced), result
    assert "usurper" in str(result["err"])
    assert not (out / "manifest.json").exists() and not (out / "README.md").exists()
    assert len(list((out / "shards").glob("train-*.parquet"))) < 6
    assert json.loads((out / LEASE).read_text())["run_id"] == "usurper"  # the loser leaves the winner's lease alone


def _race(out: str, seeds: tuple[int, int], cwd: Path, extra_env: dict[str, str], *args: str) -> list[subprocess.CompletedProcess]:
    """Start two generate runs into one folder at the same moment; wait for both."""
    procs = [subprocess.Popen([sys.executable, "-m", "pipelines.generate", f"out_dir={out}", f"seed={s}", *CLI_SMALL, *args],
                              cwd=cwd, env=env(**extra_env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for s in seeds]
    done = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=600)
        done.append(subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr))
    return done


def _one_refused(procs: list[subprocess.CompletedProcess]) -> int:
    """Exactly one run succeeded and the other was refused by the lease in one line; returns the winner's seed."""
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 3], [(p.returncode, p.stderr[-2000:]) for p in procs]
    loser = next(p for p in procs if p.returncode == 3)
    lines = [line for line in loser.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "is in use by generate run" in lines[0], loser.stderr
    winner = next(p for p in procs if p.returncode == 0)
    return int(next(a for a in winner.args if a.startswith("seed=")).split("=")[1])


@pytest.mark.slow
def test_two_generate_runs_into_one_local_folder_one_is_refused(tmp_path, reference, ray_address):
    out = tmp_path / "raced"
    procs = _race(str(out), (0, 1), tmp_path, {}, f"ray.address={ray_address}", "workers=1")
    seed = _one_refused(procs)
    single = reference if seed == 0 else tmp_path / "single"
    if seed != 0:
        run(config(single, seed=seed))
    assert files(out) == files(single) and not (out / LEASE).exists()
    assert verify.run(verify.VerifyConfig(data=str(out))) == 0
    print(f"local race: seed {seed} won, the other refused (exit 3); folder == a single run's")


@pytest.mark.slow
def test_two_generate_runs_into_one_s3_folder_one_is_refused(tmp_path, reference, s3_server, s3_bucket):
    procs = _race(f"s3://{s3_bucket}/data", (0, 1), tmp_path, s3_server.env, "workers=1", "ray.num_cpus=1")
    seed = _one_refused(procs)
    single = reference if seed == 0 else tmp_path / "single"
    if seed != 0:
        run(config(single, seed=seed))
    client = s3_server.client()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=s3_bucket, Prefix="data/").get("Contents", [])
            if not o["Key"].endswith("/")]  # pyarrow's empty directory markers
    got = {k.removeprefix("data/"): client.get_object(Bucket=s3_bucket, Key=k)["Body"].read() for k in keys}
    assert got == files(single), sorted(got)
    print(f"S3 race: seed {seed} won, the other refused (exit 3); bucket == a single run's")


# ---- 2. the manifest comes from the data ------------------------------------------------------------------------


def test_an_edited_manifest_is_named_by_verify_and_repaired_by_a_rerun(copy, reference, capfd):
    m = json.loads((copy / "manifest.json").read_text())
    s = m["shards"][1]
    s["rows"] += 1
    s["domains"] = {k: v + 1 for k, v in s["domains"].items()}
    s["families"] = {**s["families"], "typo": s["families"].get("typo", 0) + 5}
    s["noise_level"] = [0.0, 0.01]
    s["progress"] = [0.9, 1.0]
    m["rows"] += 1
    (copy / "manifest.json").write_text(json.dumps(m, indent=2) + "\n")

    assert verify.run(verify.VerifyConfig(data=str(copy))) == 1
    out = capfd.readouterr().out
    bad = next(line for line in out.splitlines() if line.startswith("BAD shards/train-00001.parquet"))
    for field in ("rows: manifest", "domains: manifest", "families: manifest", "noise_level: manifest [0.0, 0.01]",
                  "progress: manifest [0.9, 1.0], shard [0.25, 0.5]"):
        assert field in bad, bad
    assert "BAD shards/train-00000" not in out

    capfd.readouterr()
    report = run(config(copy))
    assert report.written == []  # the shards were right: only the manifest (and the card) are rewritten
    err = capfd.readouterr().err
    assert "the entry of shards/train-00001.parquet differs from its footer" in err and "repaired from the footer" in err
    assert files(copy) == files(reference)
    assert verify.run(verify.VerifyConfig(data=str(copy))) == 0


def test_a_manifest_path_outside_the_folder_is_refused(copy):
    m = json.loads((copy / "manifest.json").read_text())
    m["shards"][0]["path"] = "../../outside.parquet"
    (copy / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(InputError) as err:
        Corpus.open(copy)
    code, line = one_line(err.value)
    assert code == 2 and "escapes the dataset folder" in line and "shards.0.path" in line, line
    with pytest.raises(InputError, match="escapes the dataset folder"):
        verify.run(verify.VerifyConfig(data=str(copy)))
    for bad in ("/etc/passwd", "s3://other/x.parquet", "shards/../../x.parquet", "shards\\..\\x.parquet"):
        m["shards"][0]["path"] = bad
        (copy / "manifest.json").write_text(json.dumps(m))
        with pytest.raises(InputError, match="escapes the dataset folder"):
            Corpus.open(copy)


# ---- 3. nothing read is trusted unchecked -----------------------------------------------------------------------


def test_a_foreign_shard_is_refused_by_the_trainer_naming_it(train_corpus, train_config, tmp_path):
    from pipelines.training.loop import run as train

    data = tmp_path / "data"
    shutil.copytree(train_corpus, data)
    manifest = json.loads((data / "manifest.json").read_text())
    cfg = validate(manifest["config"] | {"out_dir": str(tmp_path / "seed1"), "seed": 1})
    run(cfg)
    shutil.copy(tmp_path / "seed1/shards/train-00002.parquet", data / "shards/train-00002.parquet")
    with pytest.raises(UntrustedShard) as err:
        train(train_config(tmp_path / "run").model_copy(update={"data": str(data)}))
    code, line = one_line(err.value)
    assert code == 3 and "shards/train-00002.parquet" in line and "another dataset" in line, line
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_a_truncated_shard_is_refused_naming_it(train_corpus, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(train_corpus, data)
    shard = data / "shards/train-00001.parquet"
    shard.write_bytes(shard.read_bytes()[: shard.stat().st_size // 2])
    with pytest.raises(UntrustedShard) as err:
        Corpus.open(data)
    code, line = one_line(err.value)
    assert code == 3 and "shards/train-00001.parquet" in line and "truncated" in line, line
    shard.write_bytes(b"\0" * shard.stat().st_size * 2)  # garbage of the listed size: the footer tells
    m = json.loads((data / "manifest.json").read_text())
    shard.write_bytes(b"\0" * m["shards"][1]["bytes"])
    with pytest.raises(UntrustedShard, match="train-00001.parquet: unreadable footer"):
        Corpus.open(data)


def test_a_swapped_heldout_shard_is_refused_by_evaluate(tmp_path):
    from pipelines import evaluate as E

    heldout, export = _tiny_heldout_and_model(tmp_path)
    shutil.copy(heldout / "level-1.0/shards/train-00000.parquet", heldout / "level-0.0/shards/train-00000.parquet")
    m = json.loads((heldout / "level-0.0/manifest.json").read_text())
    m["shards"][0]["bytes"] = (heldout / "level-0.0/shards/train-00000.parquet").stat().st_size  # size alone won't do
    (heldout / "level-0.0/manifest.json").write_text(json.dumps(m))
    with pytest.raises(UntrustedShard) as err:
        E.run(E.EvalConfig.model_validate({"export": str(export), "data": str(heldout), "out": str(tmp_path / "eval")}))
    code, line = one_line(err.value)
    assert code == 3 and "level-0.0/shards/train-00000.parquet" in line and "another dataset" in line, line
    assert not (tmp_path / "eval" / "metrics.json").exists()


def _tiny_heldout_and_model(root: Path) -> tuple[Path, Path]:
    """Two one-shard held-out sets (levels 0 and 1, built in process) and a tiny random model to score them."""
    import torch

    from model import CausalLM, ModelConfig
    from model.export import save_pretrained
    from pipelines.dataset import manifest
    from pipelines.dataset.manifest import Manifest
    from pipelines.dataset.shards import build
    from pipelines.evaluation import heldout as H
    from pipelines.training.tokenizer import byte_tokenizer

    for level in (0.0, 1.0):
        cfg = H.heldout_config(root / "heldout", level, rows=4)
        data, entry, _ = build(cfg, 0)
        out = Folder(cfg.out_dir)
        out.makedirs("shards")
        out.write_atomic(entry.path, data)
        manifest.write(out, Manifest(package_version=manifest.package_version(), config_hash=cfg.content_hash(),
                                     seed=cfg.seed, config=cfg.content(), rows=entry.rows, shards=[entry]))
    tok = byte_tokenizer()
    cfg = ModelConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, moe_intermediate_size=16,
                      num_hidden_layers=2, num_attention_heads=2, q_lora_rank=24, kv_lora_rank=16, qk_nope_head_dim=8,
                      qk_rope_head_dim=8, v_head_dim=8, n_routed_experts=4, num_experts_per_tok=2, n_group=1,
                      topk_group=1, first_k_dense_replace=1, num_nextn_predict_layers=1,
                      bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    torch.manual_seed(0)
    model = CausalLM(cfg)
    model.init_weights()
    export = root / "run" / "export"
    save_pretrained(model, export)
    tok.save_pretrained(str(export))
    return root / "heldout", export


# ---- 4. no job deletes what it did not write --------------------------------------------------------------------


def test_the_tokenizer_job_refuses_a_folder_holding_other_files(train_corpus, tmp_path):
    out = tmp_path / "existing"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    proc = subprocess.run([sys.executable, "-m", "pipelines.tokenizer", f"data={train_corpus}", f"out={out}", "kind=byte"],
                          cwd=tmp_path, env=env(), capture_output=True, text=True, timeout=600)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 3 and len(lines) == 1, proc.stderr[-3000:]
    assert "notes.txt" in lines[0] and f"out={out}" in lines[0], lines[0]
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"] and (out / "notes.txt").read_text() == "mine"


def test_the_tokenizer_replaces_its_own_folder(train_corpus, tmp_path):
    from pipelines.training.tokenizer import build

    out = tmp_path / "tok"
    build(train_corpus, out, kind="byte")
    first = files(out)
    (out.parent / "tok.old").mkdir()
    (out.parent / "tok.old" / "keep.txt").write_text("not the tokenizer's")
    build(train_corpus, out, kind="byte")
    assert files(out) == first and (out.parent / "tok.old" / "keep.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tok", "tok.old"]  # no temp folder left


def test_overwrite_deletes_only_what_generate_wrote(copy):
    (copy / "notes.txt").write_text("mine")
    (copy / "shards" / "notes.txt").write_text("mine too")
    (copy / "shards" / "mine.parquet").write_bytes(b"PAR1 not a shard")
    report = run(config(copy, seed=7, overwrite=True, shards=2))
    assert sorted(report.written) == [0, 1]
    assert (copy / "notes.txt").read_text() == "mine" and (copy / "shards" / "notes.txt").read_text() == "mine too"
    assert (copy / "shards" / "mine.parquet").read_bytes() == b"PAR1 not a shard"
    assert sorted(p.name for p in (copy / "shards").glob("train-*.parquet")) == ["train-00000.parquet", "train-00001.parquet"]


# ---- concurrent trainings -----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_two_trainings_into_one_out_dir_one_is_refused(train_corpus, train_config, tmp_path):
    from pipelines.training.loop import run as train

    out = tmp_path / "run"
    fast = ["trainer.seq_len=32", "trainer.batch_size=4", "trainer.micro_batch_size=4", "trainer.steps=100000",
            "trainer.partial=true", "trainer.threads=1", "trainer.progress_bar=false", "trainer.tensorboard=false",
            "trainer.export=false", "trainer.prefetch=1", "trainer.save_every=0", "trainer.cycle=true"]
    first = subprocess.Popen([sys.executable, "-m", "pipelines.train", f"data={train_corpus}", f"out_dir={out}", *fast],
                             cwd=tmp_path, env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 300
        while not (out / LEASE).exists() and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert first.poll() is None, first.communicate()[0][-3000:]
        with pytest.raises(Held) as err:
            train(train_config(out))
        code, line = one_line(err.value)
        assert code == 3 and f"train run" in line and f"pid {first.pid}" in line, line
        second = subprocess.run([sys.executable, "-m", "pipelines.train", f"data={train_corpus}", f"out_dir={out}", *fast],
                                cwd=tmp_path, env=env(), capture_output=True, text=True, timeout=600)
        lines = [x for x in second.stderr.splitlines() if x.strip()]
        assert second.returncode == 3 and len(lines) == 1 and f"pid {first.pid}" in lines[0], second.stderr[-3000:]
        assert first.poll() is None  # the holder was not disturbed
    finally:
        first.kill()  # by PID
        first.wait(timeout=30)
    # The holder died without releasing: its lease names a dead pid on this host, so the next run takes over.
    assert json.loads((out / LEASE).read_text())["pid"] == first.pid
    mine, _ = lease.acquire(Folder(str(out)), "train")
    lease.release(Folder(str(out)), mine)
