"""torchrun --nproc-per-node 2 on CPU (gloo) trains like one process with the same global batch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.training.metrics import read_jsonl
from pipelines.training.loop import run

STEPS = 20
ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_two_gloo_ranks_match_one_process_to_1e5_over_20_steps(train_corpus, train_config, tmp_path):
    run(train_config(tmp_path / "one", steps=STEPS, partial=True, micro_batch_size=2, save_every=0, export=False,
                     tensorboard=False))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           "-m", "pipelines.train", f"data={train_corpus}", f"out_dir={tmp_path / 'two'}", "model=tiny",
           "trainer.seq_len=32", "trainer.batch_size=4", "trainer.micro_batch_size=2", f"trainer.steps={STEPS}",
           "trainer.partial=true", "trainer.save_every=10", "trainer.threads=1", "trainer.progress_bar=false",
           "trainer.prefetch=1", "trainer.export=false", "trainer.tensorboard=false", "trainer.parallel=ddp"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "on 2 x cpu" in done.stdout + done.stderr
    one, two = read_jsonl(tmp_path / "one" / "metrics.jsonl"), read_jsonl(tmp_path / "two" / "metrics.jsonl")
    assert len(one) == len(two) == STEPS
    worst = max(abs(a["loss"] - b["loss"]) for a, b in zip(one, two))
    print(f"max |loss difference| over {STEPS} steps, 1 process vs 2 gloo ranks: {worst:.2e}")
    assert worst < 1e-5
    for a, b in zip(one, two):
        assert a["tokens"] == b["tokens"] and a["progress"] == b["progress"]
        assert abs(a["mtp_losses"][0] - b["mtp_losses"][0]) < 1e-5
        assert a["expert_load_ratio"].keys() == b["expert_load_ratio"].keys()  # the load is summed over both ranks
    assert (tmp_path / "two" / "checkpoints" / "step-000020" / "rng-rank00001.pt").is_file()
