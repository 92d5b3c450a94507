"""Damaged checkpoints (issue 19): flipped bytes or a truncated file in the newest one fall back to the previous
good one with a one-line warning and the same losses; none good is a one-line refusal, exit 3."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.errors import Refused
from pipelines.training import checkpoint
from pipelines.training.loop import run
from pipelines.training.metrics import read_jsonl

STEPS, ROOT = 6, Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def saved(train_config, tmp_path_factory):
    """A finished run with checkpoints at steps 2, 4 and 6, kept pristine; each test damages a copy."""
    out = tmp_path_factory.mktemp("ckpt") / "run"
    run(train_config(out, steps=STEPS, partial=True, save_every=2, keep_last=3, export=False, tensorboard=False))
    return out


def copy_of(saved: Path, tmp_path: Path) -> Path:
    out = tmp_path / "run"
    shutil.copytree(saved, out)
    return out


def biggest(step: Path, part: str) -> Path:
    return max((step / part).glob("*.distcp"), key=lambda p: p.stat().st_size)


def flip_two_bytes(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for at in (len(data) // 3, 2 * len(data) // 3):
        data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.parametrize("damage, part", [(flip_two_bytes, "model"), (truncate, "optim")])
def test_a_damaged_newest_checkpoint_falls_back_to_the_previous_one(saved, train_config, tmp_path, capsys, damage, part):
    out = copy_of(saved, tmp_path)
    newest = checkpoint.latest(out / "checkpoints")
    assert newest.name == "step-000006"
    damage(biggest(newest, part))
    with pytest.raises(checkpoint.Damaged):
        checkpoint.verify(newest)
    checkpoint.verify(out / "checkpoints" / "step-000004")

    run(train_config(out, steps=STEPS, partial=True, save_every=2, keep_last=3, export=False, tensorboard=False))
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if "damaged checkpoint" in line]
    assert len(warnings) == 1 and "step-000006" in warnings[0] and "resuming from step-000004" in warnings[0], err
    assert f"{part}/" in warnings[0]  # names the bad file
    # resumed from step 4: steps 5 and 6 are trained again, bitwise as the first time; step 6 is saved whole again
    want, got = read_jsonl(saved / "metrics.jsonl"), read_jsonl(out / "metrics.jsonl")
    assert [r["step"] for r in got] == list(range(1, STEPS + 1))
    assert [r["loss"] for r in got] == [r["loss"] for r in want]
    checkpoint.verify(out / "checkpoints" / "step-000006")


def test_no_good_checkpoint_is_refused_in_one_line_exit_3(saved, train_config, train_corpus, tmp_path):
    out = copy_of(saved, tmp_path)
    for step in checkpoint.list_checkpoints(out / "checkpoints"):
        truncate(biggest(step, "model"))
    with pytest.raises(Refused, match=r"no usable checkpoint .*step-000006: model/.*truncated"):
        run(train_config(out, steps=STEPS, partial=True, save_every=2, keep_last=3, export=False, tensorboard=False))
    done = subprocess.run([sys.executable, "-m", "pipelines.train", f"data={train_corpus}", f"out_dir={out}",
                           "model=tiny", "trainer.seq_len=32", "trainer.batch_size=4", "trainer.micro_batch_size=4", f"trainer.steps={STEPS}",
                           "trainer.partial=true", "trainer.threads=1", "trainer.progress_bar=false"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 3, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no usable checkpoint" in lines[0] and "trainer.resume=never" in lines[0], done.stderr


def test_a_missing_checksum_entry_or_file_is_damage(saved, tmp_path):
    out = copy_of(saved, tmp_path)
    step = out / "checkpoints" / "step-000004"
    (step / "rng-rank00000.pt").unlink()
    with pytest.raises(checkpoint.Damaged, match="rng-rank00000.pt is missing"):
        checkpoint.verify(step)
    manifest = json.loads((out / "checkpoints" / "step-000002" / "checksums.json").read_text())
    assert set(manifest["files"]) >= {"model/.metadata", "optim/.metadata", "trainer.json"} and manifest["step"] == 2
