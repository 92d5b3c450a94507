"""benchmarks/gpu_check.py's CPU fallback runs every section and writes its JSON (the GPU run is the same code)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_gpu_check_dry_run_on_cpu(tmp_path):
    out = tmp_path / "gpu_check.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "--dry-run", "--out", str(out)],
                          capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["dry_run"] and result["preset"] == "tiny"
    for name in ("trainer", "bare", "compiled", "flash", "fsdp", "apr"):
        assert "error" not in result[name], (name, result[name])
    assert result["trainer"]["tokens_per_s"] > 0 and result["bare"]["tokens_per_s"] > 0
    assert result["fsdp"]["resume_exact"] is True
    assert "compile_speedup" in result and "trainer_overhead_percent" in result
    assert "apr" in result and result["apr"]["plain_median_s"] > 0
