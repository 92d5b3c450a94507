"""Bad inputs across the seven jobs, as a user types them: exit 2 or 3, one stderr line naming the key or path.

Each case is a real `python -m pipelines.JOB ...` process. None may print a traceback, and nothing that was
on disk before (the session corpus and its tokenizer, a trained run, a file given as a folder) may change.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FAST = ["trainer.seq_len=32", "trainer.batch_size=4", "trainer.micro_batch_size=4", "trainer.steps=2",
        "trainer.partial=true", "trainer.threads=1", "trainer.progress_bar=false", "trainer.tensorboard=false"]


@dataclass(frozen=True)
class Case:
    job: str
    args: tuple[str, ...]
    code: int
    names: str  # the line must name this (a key or a path)


@pytest.fixture(scope="module")
def places(train_corpus, train_config, tmp_path_factory):
    """The session corpus, a trained run with a checkpoint and an export, a plain file, an empty folder."""
    from pipelines.training.loop import run

    root = tmp_path_factory.mktemp("cli-errors")
    run_dir = root / "run"
    run(train_config(run_dir, steps=2, partial=True, save_every=0, tensorboard=False))
    a_file = root / "a-file"
    a_file.write_text("not a folder\n")
    empty = root / "empty"
    empty.mkdir()
    return {"D": train_corpus, "RUN": str(run_dir), "EXPORT": str(run_dir / "export"), "FILE": str(a_file),
            "EMPTY": str(empty), "ROOT": str(root)}


def cases() -> list[Case]:
    c = Case
    return [
        # generate
        c("generate", ("shards=-1",), 2, "shards"),
        c("generate", ("shards=abc",), 2, "shards"),
        c("generate", ("records_per_shard=0",), 2, "records_per_shard"),
        c("generate", ("model=tiny",), 2, "model"),
        c("generate", ("foo=1",), 2, "foo"),
        c("generate", ("domain=nowhere",), 2, "nowhere"),
        c("generate", ("domain.weights.medical=-1",), 2, "domain.weights"),
        c("generate", ("noise_level=2",), 2, "noise_level"),
        c("generate", ("curriculum.shape=zigzag",), 2, "curriculum.shape"),
        c("generate", ("split=two words",), 2, "split"),
        c("generate", ("ray.num_cpus=0",), 2, "ray.num_cpus"),
        c("generate", ("shards=[1",), 2, "[1"),
        c("generate", ("out_dir={FILE}",), 2, "{FILE}"),
        c("generate", ("out_dir={D}", "seed=5", "shards=4", "records_per_shard=16", "progress=false"), 3, "seed: 0 -> 5"),
        c("generate", ("--cfg", "job", "--run"), 2, "--run"),
        c("generate", ("out_dir=nosuchfs://bucket/corpus",), 2, "out_dir=nosuchfs://bucket/corpus"),
        # verify
        c("verify", (), 2, "data"),
        c("verify", ("data=/no/such/dataset",), 2, "/no/such/dataset"),
        c("verify", ("data={FILE}",), 2, "{FILE}"),
        c("verify", ("data=nosuchfs://bucket/corpus",), 2, "data=nosuchfs://bucket/corpus"),
        c("verify", ("data={D}", "quick=maybe"), 2, "quick"),
        c("verify", ("data={D}", "trainer=gpu"), 2, "trainer"),
        # summary
        c("summary", (), 2, "data"),
        c("summary", ("data={EMPTY}",), 2, "{EMPTY}"),
        c("summary", ("data={D}", "+extra=1"), 2, "extra"),
        c("summary", ("data={D}", "curriculum=none"), 2, "curriculum"),
        # tokenizer
        c("tokenizer", ("data={D}", "vocab_size=abc"), 2, "vocab_size"),
        c("tokenizer", ("data={D}", "vocab_size=10"), 2, "vocab_size"),
        c("tokenizer", ("data={D}", "sample_rows=-5"), 2, "sample_rows"),
        c("tokenizer", (), 2, "data"),
        c("tokenizer", ("data=/no/such/corpus",), 2, "/no/such/corpus"),
        # train
        c("train", (), 2, "data"),
        c("train", ("data=/no/such/corpus",), 2, "/no/such/corpus"),
        c("train", ("data={D}", "model.num_hidden_layers=-1", *FAST), 2, "model.num_hidden_layers"),
        c("train", ("data={D}", "model=huge"), 2, "huge"),
        c("train", ("data={D}", "trainer=tpu"), 2, "tpu"),
        c("train", ("data={D}", "trainer.lr=-1"), 2, "trainer.lr"),
        c("train", ("data={D}", "trainer.seq_len=abc"), 2, "trainer.seq_len"),
        c("train", ("data={D}", "trainer.batch_size=6", "trainer.micro_batch_size=4"), 2, "batch_size"),
        c("train", ("data={D}", "out_dir={ROOT}/long", *FAST[:-4], "trainer.steps=100000"), 2, "trainer.steps"),
        c("train", ("data={D}", "out_dir={FILE}", *FAST), 2, "{FILE}"),
        c("train", ("data={D}", "out_dir={ROOT}/r", "trainer.resume=/no/such/step", *FAST), 2, "trainer.resume"),
        c("train", ("data={D}", "out_dir={RUN}", "model=small", *FAST), 3, "model.hidden_size"),
        c("train", ("data={D}", "out_dir={RUN}", "trainer.lr=0.01", "model.routed_scaling_factor=1.0", *FAST), 3,
          "trainer.lr: 0.003 -> 0.01"),
        c("train", ("data={D}", "tokenizer={EMPTY}", "out_dir={ROOT}/t", *FAST), 2, "{EMPTY}"),
        # evaluate
        c("evaluate", (), 2, "export"),
        c("evaluate", ("export=/no/such/export", "data={D}"), 2, "/no/such/export"),
        c("evaluate", ("export={EXPORT}", "data={D}"), 2, "not a held-out set"),
        c("evaluate", ("export={EXPORT}", "data={EMPTY}"), 2, "{EMPTY}"),
        c("evaluate", ("export={EXPORT}", "data={D}", "max_rows=0"), 2, "max_rows"),
        c("evaluate", ("export={EXPORT}", "data={D}", "device=tpu"), 2, "device"),
        c("evaluate", ("model=tiny",), 2, "model"),
        # demo
        c("demo", ("shards=0",), 2, "shards"),
        c("demo", ("out_dir={FILE}",), 2, "{FILE}"),
        c("demo", ("foo=1",), 2, "foo"),
        c("demo", ("vocab_size=abc",), 2, "vocab_size"),
    ]


def fingerprint(*roots: str) -> dict[str, str]:
    """sha256 of every file under the given paths (a file is its own tree)."""
    out = {}
    for root in map(Path, roots):
        for p in [root] if root.is_file() else sorted(q for q in root.rglob("*") if q.is_file()):
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.mark.slow  # ~55 processes, 2-3 min on two cores
def test_bad_inputs_exit_2_or_3_with_one_line_naming_the_key_and_touch_nothing(places, tmp_path):
    import torch

    todo = [c for c in cases() if not (torch.cuda.is_available() and "cuda" in " ".join(c.args))]
    assert len(todo) >= 40
    kept = fingerprint(places["D"], places["RUN"], places["FILE"])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("HYDRA_FULL_ERROR", None)

    def run(case: Case) -> tuple[Case, subprocess.CompletedProcess]:
        args = [a.format(**places) for a in case.args]
        proc = subprocess.run([sys.executable, "-m", f"pipelines.{case.job}", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)
        return case, proc

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(run, todo))
    failures = []
    for case, proc in results:
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        names = case.names.format(**places)
        ok = (proc.returncode == case.code and len(lines) == 1 and lines[0].startswith(f"{case.job}: ")
              and names in lines[0] and "Traceback" not in proc.stderr + proc.stdout)
        if not ok:
            failures.append(f"{case.job} {' '.join(case.args)} -> exit {proc.returncode}, wanted {case.code} "
                            f"naming {names!r}:\n{proc.stderr[-1500:]}")
    assert not failures, "\n\n".join(failures)
    assert fingerprint(places["D"], places["RUN"], places["FILE"]) == kept


def test_the_device_check_names_the_key_on_a_machine_without_cuda(places, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is visible")
    proc = subprocess.run([sys.executable, "-m", "pipelines.train", f"data={places['D']}", f"out_dir={tmp_path / 'c'}",
                           "trainer.device=cuda", *FAST], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and "trainer.device=cuda" in lines[0], proc.stderr


def test_hydra_full_error_keeps_the_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pipelines.verify", "data=/no/such/dataset"], cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "HYDRA_FULL_ERROR": "1"},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "Traceback" in proc.stderr
