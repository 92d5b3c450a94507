"""Progress on a pipe is plain lines (no carriage-return frames); on a terminal it is tqdm's bar."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from tqdm import tqdm

from pipelines.progress import LineProgress, progress

ROOT = Path(__file__).resolve().parents[2]


def test_a_job_with_stderr_to_a_pipe_prints_lines_not_frames(tmp_path):
    script = ("import time\nfrom pipelines.progress import progress\n"
              "bar = progress(total=30, desc='job', unit='row')\n"
              "for i in range(30):\n    time.sleep(0.02)\n    bar.update(1)\n    bar.set_postfix(loss=i, refresh=False)\n"
              "    if i == 10: bar.write('a message')\nbar.close()\n")
    env = {**os.environ, "CF_PROGRESS_INTERVAL": "0.1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, check=True, cwd=tmp_path)
    assert "\r" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("job:")]
    assert len(lines) >= 3 and lines[-1].startswith("job: 30/30 row (100%)") and "a message" in proc.stdout


def test_the_trainer_bar_on_a_pipe_is_lines():
    from pipelines.training.metrics import MetricsLogger  # noqa: F401 - the trainer uses this helper

    buf = io.StringIO()
    bar = progress(total=3, desc="train", unit="step", file=buf, interval=0)
    assert isinstance(bar, LineProgress)
    for _ in range(3):
        bar.update(1)
    bar.close()
    assert "\r" not in buf.getvalue() and buf.getvalue().count("\n") == 4


def test_a_terminal_gets_tqdm_and_disabled_prints_nothing():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    bar = progress(total=2, file=Tty())
    assert type(bar) is tqdm
    bar.close()
    quiet = io.StringIO()
    with progress(total=2, file=quiet, enabled=False) as bar:
        bar.update(2)
    assert quiet.getvalue() == ""
