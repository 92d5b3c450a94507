"""Installs like a library: the built wheel (not the source tree) runs the jobs from any working directory.

The wheel is built offline from a copy of the tree (`pip wheel --no-deps --no-build-isolation`) and installed
with --no-deps into a fresh venv. The dependencies come from this venv's site-packages through a .pth line,
which adds the folder to sys.path without running the .pth files in it, so the editable install's finder
stays off; PYTHONPATH is unset and the jobs run from an empty folder. Each job then proves where its code
came from.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("pipelines", "model", "noise", "world_model")


def sh(*cmd: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(cmd)} -> {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.mark.slow
def test_the_wheel_installs_and_runs_generate_and_train_help_from_another_folder(tmp_path):
    src, dist, venv, elsewhere = tmp_path / "src", tmp_path / "dist", tmp_path / "venv", tmp_path / "elsewhere"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", ".venv", "runs", "multirun", "outputs", "build",
                                                             "__pycache__", "*.egg-info", "tests", "benchmarks"))
    sh(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", ".", "-w", str(dist), cwd=src)
    (wheel,) = dist.glob("curriculum_forge-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith("data/share/curriculum-forge/conf/train.yaml") for n in names)
    assert any(n.endswith("data/share/curriculum-forge/conf/trainer/cpu.yaml") for n in names)

    sh(sys.executable, "-m", "venv", "--without-pip", str(venv), cwd=tmp_path)
    python = venv / "bin" / "python"
    sh(sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel), cwd=tmp_path)
    site = Path(sh(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path).stdout.strip())
    (site / "shared-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # torch, ray, ... ; not our code

    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "HYDRA_FULL_ERROR", "VIRTUAL_ENV")}
    where = sh(str(python), "-c", f"import {', '.join(OURS)}; print(*[m.__file__ for m in ({', '.join(OURS)})]); "
               "from pipelines import cli; print(cli.CONF_DIR)", cwd=elsewhere, env=env).stdout.split()
    assert all(path.startswith(str(site)) for path in where[:-1]), where  # the installed copy, not the tree
    assert where[-1] == str(venv / "share" / "curriculum-forge" / "conf"), where

    helped = sh(str(python), "-m", "pipelines.train", "--help", cwd=elsewhere, env=env).stdout
    assert "== train ==" in helped and "trainer: cpu, gpu" in helped
    sh(str(python), "-m", "pipelines.generate", "out_dir=corpus", "shards=2", "records_per_shard=2", "progress=false",
       "ray.num_cpus=1", cwd=elsewhere, env=env)
    assert sorted(p.name for p in (elsewhere / "corpus" / "shards").iterdir()) == ["train-00000.parquet",
                                                                                  "train-00001.parquet"]
    verified = sh(str(python), "-m", "pipelines.verify", "data=corpus", cwd=elsewhere, env=env).stdout
    assert "2/2 shards ok" in verified
