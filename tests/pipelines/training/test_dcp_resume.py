"""A sharded (DCP) checkpoint of 2 gloo ranks resumes in 1 process and continues the loss curve (DDP and FSDP2).

Exact: the weights, the AdamW state, the data position (global, in chunks) and rank 0's RNG are restored bitwise.
Not exact: the losses after the resume differ from an uninterrupted 1-process run by float summation order only
(2 ranks all-reduce gradients, 1 process accumulates them), the same ~1e-6 that test_train_distributed measures.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.training import checkpoint
from pipelines.training.loop import run
from pipelines.training.metrics import read_jsonl

STEPS, AT = 10, 5
ROOT = Path(__file__).resolve().parents[3]


def two_ranks(data: str, out: Path, parallel: str) -> None:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           "-m", "pipelines.train", f"data={data}", f"out_dir={out}", "model=tiny", "trainer.seq_len=32",
           "trainer.batch_size=4", "trainer.micro_batch_size=2", f"trainer.steps={STEPS}", "trainer.partial=true",
           f"trainer.save_every={AT}", "trainer.threads=1", "trainer.progress_bar=false", "trainer.prefetch=1",
           "trainer.export=false", "trainer.tensorboard=false", f"trainer.parallel={parallel}"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize("parallel", ["ddp", "fsdp"])
def test_two_rank_checkpoint_resumes_in_one_process(train_corpus, train_config, tmp_path, parallel):
    one = train_config(tmp_path / "one", steps=STEPS, partial=True, micro_batch_size=2, save_every=0, export=False,
                       tensorboard=False)
    run(one)
    two_ranks(train_corpus, tmp_path / "two", parallel)
    saved = checkpoint.step_dir(tmp_path / "two" / "checkpoints", AT)
    manifest = json.loads((saved / "checksums.json").read_text())
    assert manifest["world"] == 2 and any(n.startswith("model/__1_") for n in manifest["files"]), manifest["files"].keys()

    # the resumed run: the 2-rank folder at step AT, and the metric lines up to it, in a fresh out_dir
    resumed = tmp_path / "resumed"
    shutil.copytree(saved, checkpoint.step_dir(resumed / "checkpoints", AT))
    lines = (tmp_path / "two" / "metrics.jsonl").read_text().splitlines()[:AT]
    (resumed / "metrics.jsonl").write_text("".join(line + "\n" for line in lines))
    run(train_config(resumed, steps=STEPS, partial=True, micro_batch_size=2, save_every=0, export=False,
                     tensorboard=False))

    want, two, got = (read_jsonl(p / "metrics.jsonl") for p in (tmp_path / "one", tmp_path / "two", resumed))
    assert [r["step"] for r in got] == list(range(1, STEPS + 1))
    print(f"\n{parallel}: step  uninterrupted-1-proc  2-ranks  resumed-2->1  |resumed-uninterrupted|")
    for a, b, c in zip(want[AT:], two[AT:], got[AT:]):
        print(f"{parallel}: {c['step']:4d}  {a['loss']:.7f}  {b['loss']:.7f}  {c['loss']:.7f}  {abs(a['loss'] - c['loss']):.1e}")
    worst = max(abs(a["loss"] - c["loss"]) for a, c in zip(want[AT:], got[AT:]))
    assert worst < 1e-5
    for a, c in zip(want[AT:], got[AT:]):
        assert a["tokens"] == c["tokens"] and a["progress"] == c["progress"]  # the data position is exact
