"""The storage layer: URI checks in one line, atomic writes and folder publishing on a real S3 API (moto)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.dataset.storage import Folder, check, join, local_copy, normalize, staged
from pipelines.errors import InputError

ROOT = Path(__file__).resolve().parents[3]
NO_CREDENTIALS = {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "AWS_PROFILE": None,
                  "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials", "AWS_CONFIG_FILE": "/nonexistent/config",
                  "AWS_EC2_METADATA_DISABLED": "true"}


def test_paths_and_uris_join_without_mangling(tmp_path):
    assert join("s3://b/c/", "tokenizer") == "s3://b/c/tokenizer"
    assert join(tmp_path, "a", "b") == f"{tmp_path}/a/b"
    assert normalize("file:///tmp/c/") == "file:///tmp/c"
    assert Folder(normalize(f"file://{tmp_path}")).is_local


@pytest.mark.parametrize("uri, says", [
    ("memory://b/c", "unknown scheme memory://"),
    ("nosuchfs://bucket/x", "unknown scheme nosuchfs://"),
    ("s3:///corpus", "write it as s3://BUCKET/PATH"),
])
def test_a_bad_uri_is_one_line_naming_the_key_and_the_fix(uri, says):
    with pytest.raises(InputError) as err:
        check(uri, "out_dir")
    line = str(err.value)
    assert line.startswith(f"out_dir={uri}: ") and says in line and "\n" not in line


def test_a_missing_bucket_is_named(s3_server):
    with pytest.raises(InputError, match=r"data=s3://no-such-bucket-x/c: bucket no-such-bucket-x does not exist; create it"):
        check("s3://no-such-bucket-x/c", "data")


def test_no_credentials_is_named_before_any_request(s3_server, s3_bucket, monkeypatch):
    check(f"s3://{s3_bucket}/c", "data")  # with the server's credentials: fine
    for key, value in NO_CREDENTIALS.items():
        monkeypatch.delenv(key, raising=False) if value is None else monkeypatch.setenv(key, value)
    with pytest.raises(InputError, match=r"data=s3://.*: no AWS credentials; set AWS_ACCESS_KEY_ID"):
        check(f"s3://{s3_bucket}/c", "data")


def test_write_atomic_on_s3_leaves_only_the_final_object(s3_server, s3_bucket):
    folder = Folder(f"s3://{s3_bucket}/corpus")
    folder.write_atomic("shards/train-00000.parquet", b"x" * 1000)
    folder.write_text("manifest.json", "{}\n")
    keys = sorted(o["Key"] for o in s3_server.client().list_objects_v2(Bucket=s3_bucket)["Contents"])
    assert [k for k in keys if not k.endswith("/")] == ["corpus/manifest.json", "corpus/shards/train-00000.parquet"]
    assert folder.read("shards/train-00000.parquet") == b"x" * 1000 and folder.listdir("shards") == ["train-00000.parquet"]
    assert folder.subfolders() == ["shards"]


def test_staged_folder_is_uploaded_with_the_gate_file_last_and_downloads_back(s3_server, s3_bucket, tmp_path):
    uri = f"s3://{s3_bucket}/run/tokenizer"
    with staged(uri, last=("tokenizer.json",)) as tmp:
        (tmp / "tokenizer.json").write_text("{}")
        (tmp / "sub").mkdir()
        (tmp / "sub" / "a.txt").write_text("a")
        assert not Folder(uri).exists("tokenizer.json")  # nothing is published before the block ends
    with local_copy(uri) as local:
        assert sorted(p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file()) == ["sub/a.txt",
                                                                                                   "tokenizer.json"]


def test_a_local_staged_folder_replaces_the_old_one_whole(tmp_path):
    out = tmp_path / "export"
    with staged(out) as tmp:
        (tmp / "config.json").write_text("1")
    with pytest.raises(RuntimeError):
        with staged(out) as tmp:
            (tmp / "config.json").write_text("2")
            raise RuntimeError("killed half way")
    assert (out / "config.json").read_text() == "1" and [p.name for p in tmp_path.iterdir()] == ["export"]


WRITER = """
import sys
from pipelines.dataset.storage import Folder
Folder(sys.argv[1]).write_atomic("shards/train-00000.parquet", b"y" * (40 << 20))
"""


@pytest.mark.slow
def test_sigkill_mid_multipart_upload_leaves_no_object_under_the_final_key(s3_server, s3_bucket):
    """A 40 MiB write goes up in parts; killed once a part is in, no shard object exists, finished or not."""
    client = s3_server.client()
    proc = subprocess.Popen([sys.executable, "-c", WRITER, f"s3://{s3_bucket}/corpus"], cwd=ROOT,
                            env=os.environ | s3_server.env | {"PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 120
    while True:
        uploads = client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", [])
        if uploads and any(client.list_parts(Bucket=s3_bucket, Key=u["Key"], UploadId=u["UploadId"]).get("Parts")
                           for u in uploads):
            break
        assert proc.poll() is None, "the writer finished before a part was seen"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert [u["Key"] for u in uploads] == [k for k in (u["Key"] for u in uploads) if "/shards/.train-00000.parquet." in k]
    objects = [o["Key"] for o in client.list_objects_v2(Bucket=s3_bucket).get("Contents", [])]
    assert not [k for k in objects if k.endswith(".parquet")], objects
    assert Folder(f"s3://{s3_bucket}/corpus").listdir("shards") == []


@pytest.mark.slow
def test_jobs_refuse_bad_uris_in_one_line_before_any_work(s3_server, s3_bucket, tmp_path):
    """Real `python -m pipelines.JOB` processes: exit 2, one stderr line naming the key, nothing started or written."""
    from concurrent.futures import ThreadPoolExecutor

    env = os.environ | s3_server.env | {"PYTHONPATH": str(ROOT)}
    env.pop("HYDRA_FULL_ERROR", None)
    bare = {k: v for k, v in env.items() if k not in NO_CREDENTIALS} | {
        k: v for k, v in NO_CREDENTIALS.items() if v is not None}
    cases = [
        ("generate", ["out_dir=memory://b/c"], env, "out_dir=memory://b/c: unknown scheme memory://"),
        ("tokenizer", ["data=s3://no-such-bucket-y/c"], env, "data=s3://no-such-bucket-y/c: bucket no-such-bucket-y does not exist"),
        ("train", [f"data=s3://{s3_bucket}/c", f"out_dir={tmp_path}/run"], bare, f"data=s3://{s3_bucket}/c: no AWS credentials"),
        ("train", [f"data={tmp_path}", f"out_dir=s3://no-such-bucket-z/run"], env, "out_dir=s3://no-such-bucket-z/run: bucket"),
        ("evaluate", ["export=s3:///x", f"data={tmp_path}"], env, "export=s3:///x: Missing bucket name"),
        ("verify", ["data=hdfs://namenode:9000/c"], env, "data=hdfs://namenode:9000/c: "),
    ]

    def run(case):
        name, args, case_env, _ = case
        return subprocess.run([sys.executable, "-m", f"pipelines.{name}", *args], cwd=tmp_path, env=case_env,
                              capture_output=True, text=True, timeout=300)

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(run, cases))
    for (name, args, _, says), proc in zip(cases, results):
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith(f"{name}: {says}"), (name, args, proc.stderr)
        assert "Traceback" not in proc.stderr + proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no run folder, no Ray session files
