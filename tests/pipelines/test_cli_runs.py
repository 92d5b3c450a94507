"""Runs never share a folder by accident: a sweep gives every job its own out_dir, a resume across settings
is refused naming the keys, and train makes a missing tokenizer itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.training.metrics import read_jsonl

ROOT = Path(__file__).resolve().parents[2]
FAST = ["trainer.seq_len=32", "trainer.batch_size=4", "trainer.micro_batch_size=4", "trainer.steps=3",
        "trainer.partial=true", "trainer.threads=1", "trainer.progress_bar=false", "trainer.tensorboard=false",
        "trainer.export=false", "trainer.prefetch=1"]


def train(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("HYDRA_FULL_ERROR", None)
    return subprocess.run([sys.executable, "-m", "pipelines.train", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow
def test_a_learning_rate_sweep_gives_two_runs_in_two_folders_and_a_changed_resume_is_refused(train_corpus, tmp_path):
    proc = train(tmp_path, "-m", f"data={train_corpus}", "trainer.lr=1e-3,2e-3", *FAST)
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = sorted(p.parent for p in (tmp_path / "runs" / "train").glob("*/metrics.jsonl"))
    assert len(runs) == 2, sorted((tmp_path / "runs").rglob("*"))
    assert [("trainer.lr=0.001" in r.name, "trainer.lr=0.002" in r.name) for r in runs] == [(True, False), (False, True)]
    logs = [read_jsonl(r / "metrics.jsonl") for r in runs]
    assert [[rec["step"] for rec in log] for log in logs] == [[1, 2, 3]] * 2  # each trained from step 1, no resume
    assert logs[0][-1]["loss"] != logs[1][-1]["loss"]
    assert [json.loads((r / "train_config.json").read_text())["trainer"]["lr"] for r in runs] == [1e-3, 2e-3]
    print(f"final losses: {runs[0].name}: {logs[0][-1]['loss']:.4f}; {runs[1].name}: {logs[1][-1]['loss']:.4f}")

    before = {p: p.read_bytes() for p in runs[0].rglob("*") if p.is_file()}
    refused = train(tmp_path, f"data={train_corpus}", f'out_dir="{runs[0]}"', "trainer.lr=2e-3",
                    "model.mtp_loss_weight=0.9", *FAST)
    lines = [line for line in refused.stderr.splitlines() if line.strip()]
    assert refused.returncode == 3 and len(lines) == 1, refused.stderr[-3000:]
    assert "trainer.lr: 0.001 -> 0.002" in lines[0] and "model.mtp_loss_weight: 0.3 -> 0.9" in lines[0], lines[0]
    assert {p: p.read_bytes() for p in runs[0].rglob("*") if p.is_file()} == before

    same = train(tmp_path, f"data={train_corpus}", f'out_dir="{runs[0]}"', "trainer.lr=1e-3", "trainer.micro_batch_size=2",
                 *FAST[:2], *FAST[3:])  # run-only keys may change: the finished run resumes and has nothing to do
    assert same.returncode == 0 and "resumed from" in same.stdout + same.stderr, same.stderr[-3000:]


def test_train_makes_a_missing_tokenizer_in_process_and_says_so(train_corpus, train_config, tmp_path, capsys):
    from pipelines.training.loop import run

    data = tmp_path / "data"
    shutil.copytree(train_corpus, data, ignore=shutil.ignore_patterns("tokenizer"))
    assert not (data / "tokenizer").exists()
    cfg = train_config(tmp_path / "run", steps=2, partial=True, save_every=0, export=False, tensorboard=False)
    summary = run(cfg.model_copy(update={"data": str(data)}))
    assert summary["steps"] == 2
    assert (data / "tokenizer" / "tokenizer.json").is_file() and (data / "tokenizer" / "token_counts.json").is_file()
    assert "has no tokenizer; training one first" in capsys.readouterr().out
