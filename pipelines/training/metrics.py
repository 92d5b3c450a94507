"""Per-step metrics to metrics.jsonl, TensorBoard and a tqdm bar (rank 0 only); resume-aware.

On object storage (out_dir=s3://...) both are written to a local staging folder and uploaded whole
by `sync()`: at every checkpoint, every SYNC_SECONDS and at close, so a resumed run finds the lines
up to its checkpoint.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from pipelines.progress import progress

from pipelines.dataset.storage import Folder, normalize

SYNC_SECONDS = 60.0

# Peak dense bf16 tensor-core FLOP/s per GPU, for MFU (no sparsity), by product name. Hopper parts share a
# name stem across form factors with different clocks and SM counts, so those are told apart below.
PEAK_BF16_FLOPS = {"A100": 312e12, "A800": 312e12, "L40S": 362e12, "B200": 2250e12, "GH200": 989e12}
HOPPER_BF16_FLOPS = {"sxm": 989.4e12, "pcie": 756.5e12, "nvl": 835.5e12}  # H100 SXM5 / PCIe / NVL (H200 SXM / NVL alike)


def _hopper_form(name: str, sm_count: int | None, memory_bytes: int | None) -> str:
    """SXM, PCIe or NVL, from the name first, then the SM count (PCIe has 114) and the memory (NVL has 94 GB)."""
    lowered = name.lower()
    for form in ("pcie", "nvl", "sxm"):
        if form in lowered:
            return form
    if sm_count is not None and sm_count <= 114:
        return "pcie"
    if "H100" in name and memory_bytes is not None and 88e9 < memory_bytes < 100e9:
        return "nvl"
    return "sxm"  # "NVIDIA H100 80GB HBM3", "NVIDIA H200": the SXM boards


def peak_flops(device_name: str, sm_count: int | None = None, memory_bytes: int | None = None) -> float | None:
    """Peak dense bf16 FLOP/s of a GPU by its name, SM count and memory (None when unknown: MFU is then not reported)."""
    if "GH200" not in device_name and any(k in device_name for k in ("H100", "H200", "H800")):
        return HOPPER_BF16_FLOPS[_hopper_form(device_name, sm_count, memory_bytes)]
    for key, flops in sorted(PEAK_BF16_FLOPS.items(), key=lambda kv: -len(kv[0])):
        if key in device_name:
            return flops
    return None


def device_peak_flops(device: Any) -> float | None:
    """peak_flops of a CUDA device from its properties (name, multiprocessors, memory)."""
    import torch

    props = torch.cuda.get_device_properties(device)
    return peak_flops(props.name, props.multi_processor_count, props.total_memory)


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """All records of a metrics.jsonl (for tests, the demo and the evaluator)."""
    parent, _, name = normalize(path).rpartition("/")
    folder = Folder(parent)
    if not folder.is_file(name):
        return []
    return [json.loads(line) for line in folder.read_text(name).splitlines() if line.strip()]


def _finite(value: Any) -> Any:
    """JSON has no NaN/inf: write them as null so every line stays valid JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


class MetricsLogger:
    """Writes one JSON object per step; on resume drops the lines a killed run wrote after its checkpoint."""

    def __init__(self, out_dir: str | Path, total_steps: int, start_step: int = 0, enabled: bool = True,
                 tensorboard: bool = True, progress_bar: bool = True) -> None:
        self.enabled = enabled
        self.out = Folder(normalize(out_dir))
        self._staging = None if self.out.is_local else Path(tempfile.mkdtemp(prefix="cf-metrics-"))
        local = Path(self.out.root) if self._staging is None else self._staging
        self.path = local / "metrics.jsonl"
        self._tb = None
        self._bar = None
        self._synced = time.monotonic()
        if not enabled:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        kept = [r for r in read_jsonl(f"{self.out.uri}/metrics.jsonl") if r.get("step", 0) <= start_step]
        self.path.write_text("".join(json.dumps(r) + "\n" for r in kept))
        self._file = self.path.open("a")
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            if self._staging is not None:
                self.out.download_dir("tensorboard", local / "tensorboard")
            self._tb = SummaryWriter(str(local / "tensorboard"), purge_step=start_step + 1 if start_step else None)
        if progress_bar:
            self._bar = progress(total=total_steps, initial=start_step, unit="step", desc="train")

    def log(self, record: dict[str, Any]) -> None:
        """Append one step's record; scalars and per-depth / per-layer lists also go to TensorBoard."""
        if not self.enabled:
            return
        record = _finite(record)
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()
        if self._staging is not None and time.monotonic() - self._synced > SYNC_SECONDS:
            self.sync()
        step = record["step"]
        if self._tb is not None:
            for key, value in record.items():
                if key == "step":
                    continue
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    self._tb.add_scalar(f"train/{key}", value, step)
                elif isinstance(value, list):
                    for i, v in enumerate(value):
                        if isinstance(v, (int, float)):
                            self._tb.add_scalar(f"train/{key}/{i}", v, step)
                elif isinstance(value, dict):
                    for name, v in value.items():
                        if isinstance(v, (int, float)):
                            self._tb.add_scalar(f"train/{key}/{name}", v, step)
        if self._bar is not None:
            # A step whose windows hold only noisy input has no target, hence no loss: say so, not "nan".
            post = {"loss": f"{record['loss']:.3f}" if record.get("loss") is not None else "no target",
                    "p": f"{record.get('progress', 0):.3f}", "noise": f"{record.get('noise_level', 0):.2f}",
                    "tok/s": f"{record.get('tokens_per_s', 0):,.0f}"}
            if record.get("mfu") is not None:
                post["mfu"] = f"{record['mfu']:.1%}"
            self._bar.set_postfix(post, refresh=False)
            self._bar.update(step - self._bar.n)

    def write(self, message: str) -> None:
        """Print a line without breaking the bar."""
        if self.enabled:
            (self._bar.write if self._bar is not None else print)(message)

    def sync(self) -> None:
        """Upload metrics.jsonl and the TensorBoard files when out_dir is on object storage (no-op locally)."""
        if not self.enabled or self._staging is None:
            return
        self._file.flush()
        self.out.write_atomic("metrics.jsonl", self.path.read_bytes())
        if self._tb is not None:
            self._tb.flush()
            self.out.upload_dir(self._staging / "tensorboard", "tensorboard")
        self._synced = time.monotonic()

    def close(self) -> None:
        if not self.enabled:
            return
        if self._tb is not None:
            self._tb.flush()
        self.sync()
        self._file.close()
        if self._tb is not None:
            self._tb.close()
        if self._bar is not None:
            self._bar.close()
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
