"""Exact resume: a run SIGKILLed after a checkpoint and resumed logs the same losses as an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipelines.training.checkpoint import latest
from pipelines.training.metrics import read_jsonl
from pipelines.training.loop import run

STEPS, SAVE_EVERY = 16, 4
ROOT = Path(__file__).resolve().parents[3]


def cli(data: str, out: Path) -> list[str]:
    return [sys.executable, "-m", "pipelines.train", f"data={data}", f"out_dir={out}", "model=tiny",
            "trainer.seq_len=32", "trainer.batch_size=4", "trainer.micro_batch_size=2", f"trainer.steps={STEPS}",
            "trainer.partial=true", f"trainer.save_every={SAVE_EVERY}", "trainer.threads=1", "trainer.progress_bar=false",
            "trainer.prefetch=1", "trainer.keep_last=2"]


def test_sigkill_after_a_checkpoint_then_resume_gives_bitwise_the_same_losses(train_corpus, train_config, tmp_path):
    reference = run(train_config(tmp_path / "ref", steps=STEPS, partial=True, micro_batch_size=2, save_every=0,
                                 export=False, tensorboard=False))
    assert reference["steps"] == STEPS
    expected = read_jsonl(tmp_path / "ref" / "metrics.jsonl")

    out = tmp_path / "killed"
    proc = subprocess.Popen(cli(train_corpus, out), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while latest(out / "checkpoints") is None:
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "no checkpoint within 120 s"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    killed_at = int(latest(out / "checkpoints").name.split("-")[1])
    assert killed_at < STEPS

    resumed = subprocess.run(cli(train_corpus, out), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resumed from" in resumed.stdout + resumed.stderr
    got = read_jsonl(out / "metrics.jsonl")
    assert [r["step"] for r in got] == list(range(1, STEPS + 1))  # lines a killed run wrote past its checkpoint are dropped
    for want, have in zip(expected, got):
        for key in ("loss", "mtp_losses", "lm_loss", "denoise_loss", "grad_norm", "progress", "lr", "expert_load_ratio"):
            assert have[key] == want[key], (have["step"], key, have[key], want[key])
