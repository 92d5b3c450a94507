"""`benchmarks/ablation.py --quick` end to end, twice: the same metrics both times (timings aside), and resumable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from pipelines.training.checkpoint import model_state

ROOT = Path(__file__).resolve().parents[2]


def quick(tmp: Path, name: str) -> tuple[dict, subprocess.CompletedProcess]:
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "benchmarks/ablation.py", "--quick", "--out", str(tmp / name / "runs"),
                           "--results", str(tmp / name / "results")], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((tmp / name / "results" / "ablation.json").read_text()), done


def comparable(payload: dict) -> dict:
    """The payload without what may differ between two identical runs: timings, the command's paths, folder names."""
    drop = {"timing", "command"}
    plan = {k: v for k, v in payload["plan"].items() if k != "tokenizer"}
    return {k: v for k, v in payload.items() if k not in drop} | {"plan": plan}


@pytest.mark.slow
def test_quick_ablation_is_deterministic_and_resumable(tmp_path):
    first, _ = quick(tmp_path, "a")
    second, _ = quick(tmp_path, "b")
    assert comparable(first) == comparable(second)
    assert first["quick"] is True and first["seeds"] == {"none": [0], "curriculum": [0], "uniform": [0]}
    check = first["power_check"]
    assert "passed" in check and check["unigram_bpb"] > check["clean_bpb"]["none"]["mean"] > 0  # the models did learn
    assert not check["passed"] and "tokens_needed_per_run" in check  # 1 seed cannot show a 3-std effect
    runs = {r["arm"]: r for r in first["runs"]}
    plan = first["plan"]
    assert {r["steps"] for r in runs.values()} == {plan["steps"]}
    assert runs["none"]["noise_exposure"] == 0 and runs["curriculum"]["first_noisy_step"] > plan["branch_step"]
    assert runs["uniform"]["first_noisy_step"] <= 2  # uniform noise from the start ...
    assert abs(runs["uniform"]["noise_exposure"] - runs["curriculum"]["noise_exposure"]) < 0.25 * runs["curriculum"]["noise_exposure"]
    # ... the curriculum run's first 85% is the none run's: same checkpoint weights at the branch step
    a = tmp_path / "a" / "runs" / "runs"
    branch = f"step-{plan['branch_step']:06d}"
    none_w = model_state(a / "none-seed0" / "checkpoints" / branch)  # DCP checkpoints since issue 16
    curr_w = model_state(a / "curriculum-seed0" / "checkpoints" / branch)
    assert none_w.keys() == curr_w.keys() and all(torch.equal(none_w[k], curr_w[k]) for k in none_w)
    md = (tmp_path / "a" / "results" / "ablation.md").read_text()
    assert "QUICK RUN" in md and "no answer at this budget" in md.lower() and "## Conclusion" in md
    assert (tmp_path / "a" / "results" / "ablation.png").stat().st_size > 10_000
    # re-running the same command skips every finished run and reports the same numbers
    again, done = quick(tmp_path, "a")
    assert comparable(again) == comparable(first) and "train: " not in done.stdout
