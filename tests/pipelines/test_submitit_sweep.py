"""`train -m` through hydra-submitit-launcher (its local executor stands in for SLURM): one job per run, own folders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.training.metrics import read_jsonl

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_two_run_sweep_through_submitit_local_finishes_both_runs_in_separate_folders(train_corpus, tmp_path):
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher", reason="pip install -e .[slurm]")
    cmd = [sys.executable, "-m", "pipelines.train", "-m", "hydra/launcher=submitit_local", f"data={train_corpus}",
           "model=tiny", "trainer.seq_len=32", "trainer.batch_size=4", "trainer.micro_batch_size=4", "trainer.steps=2",
           "trainer.partial=true", "trainer.threads=1", "trainer.progress_bar=false", "trainer.export=false",
           "trainer.tensorboard=false", "trainer.lr=0.001,0.003"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert "Submitit 'local' sweep output dir" in done.stdout + done.stderr

    runs = sorted((tmp_path / "runs" / "train").iterdir())
    assert len(runs) == 2 and ["trainer.lr=0.001" in runs[0].name, "trainer.lr=0.003" in runs[1].name] == [True, True]
    for run_dir, lr in zip(runs, (0.001, 0.003)):
        assert [r["step"] for r in read_jsonl(run_dir / "metrics.jsonl")] == [1, 2]
        assert json.loads((run_dir / "train_config.json").read_text())["trainer"]["lr"] == lr
        assert (run_dir / "checkpoints" / "step-000002" / "checksums.json").is_file()
    jobs = [p for p in (tmp_path / "multirun").glob("*/*/.submitit/*") if p.name.isdigit()]
    assert len(jobs) == 2  # two submitit jobs (two processes), each with its result
    assert all(list(job.glob("*_result.pkl")) for job in jobs)


def test_the_slurm_launcher_option_composes_with_submitits_schema():
    """conf/hydra/launcher/slurm.yaml states only keys of submitit's SlurmQueueConf (Hydra checks them when composing)."""
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher", reason="pip install -e .[slurm]")
    done = subprocess.run([sys.executable, "-m", "pipelines.train", "hydra/launcher=slurm", "data=x",
                           "hydra.launcher.partition=gpu", "--cfg", "hydra"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "SlurmLauncher" in done.stdout and "partition: gpu" in done.stdout and "gpus_per_node: 1" in done.stdout
