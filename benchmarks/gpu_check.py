"""One GPU check of the trainer, sized for 8 minutes on one H100/H200; writes one JSON.

    python benchmarks/gpu_check.py                     # cuda, bf16, the 1b preset, one micro-batch of 8 x 2048
    python benchmarks/gpu_check.py --dry-run           # CPU fallback: tiny preset, 2 x 64, a few steps (the test)

Sections, each timed on the same device and recorded even when another fails:
  trainer   pipelines.training.step.train_step (bf16 autocast, fp32 master weights, TF32): tokens/s and MFU
            against the card's real peak (metrics.device_peak_flops), causal attention halved
  bare      the same model, batch and AdamW in a bare loop (forward + backward with MTP, step)
  compiled  the trainer step with every block torch.compile'd (as trainer.compile=true), and its speedup
  flash     the trainer step with attention forced to FlashAttention (value head padded) against auto
  fsdp      torchrun, one process: FSDP2 (fully_shard per block + root, bf16 params, fp32 reduce), two steps,
            a checkpoint save, a fresh model restored from it, and the third step's loss on both (must match)
  apr       forward+backward of the preset with adaptive precision routing on against the same weights off
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from model import CausalLM, ModelConfig  # noqa: E402
from pipelines.training.config import TrainerConfig  # noqa: E402
from pipelines.training.metrics import device_peak_flops  # noqa: E402
from pipelines.training.optim import make_optimizer  # noqa: E402
from pipelines.training.parallelism import Runtime  # noqa: E402
from pipelines.training.step import fast_math, train_step  # noqa: E402
from train import synthetic_batch  # noqa: E402 - benchmarks/train.py (the script folder is on sys.path)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(step: Callable[[], Any], device: torch.device, warmup: int, steps: int) -> list[float]:
    """Seconds of each of `steps` calls after `warmup` untimed ones."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        sync(device)
        start = time.perf_counter()
        step()
        sync(device)
        times.append(time.perf_counter() - start)
    return times


def summary(times: list[float], tokens: int, flops_per_token: float, peak: float | None) -> dict[str, Any]:
    median = statistics.median(times)
    out = {"step_seconds": [round(t, 5) for t in times], "median_step_s": median, "tokens_per_s": tokens / median}
    if peak:
        out["mfu"] = flops_per_token * tokens / median / peak
    return out


def section(results: dict[str, Any], name: str, fn: Callable[[], dict[str, Any]]) -> None:
    """Run one section; an error is recorded (last line and traceback tail) and the check goes on."""
    start = time.perf_counter()
    try:
        results[name] = fn()
    except Exception as err:  # noqa: BLE001 - one failing section must not lose the others' numbers
        results[name] = {"error": f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}",
                         "traceback": traceback.format_exc()[-2000:]}
    results[name]["section_seconds"] = round(time.perf_counter() - start, 1)
    print(f"gpu_check: {name}: {json.dumps({k: v for k, v in results[name].items() if k not in ('traceback', 'step_seconds')})}",
          flush=True)
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


class Setup:
    """Preset, batch, runtime and MFU terms shared by the sections."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.device = torch.device("cpu" if args.dry_run else "cuda")
        self.amp = None if args.dry_run else torch.bfloat16
        self.rt = Runtime(0, 1, 0, self.device, self.amp)
        fast_math(self.rt)
        self.cfg = ModelConfig.preset(args.preset)
        self.t = TrainerConfig(batch_size=args.batch, micro_batch_size=args.micro, seq_len=args.seq, lr=1e-4,
                               tensorboard=False, progress_bar=False)
        self.batch = synthetic_batch(self.cfg, self.t, torch.Generator().manual_seed(0))
        self.tokens = args.batch * args.seq
        self.flops_per_token = self.cfg.flops_per_token(args.seq, causal=True)
        self.peak = device_peak_flops(self.device) if self.device.type == "cuda" else None
        self.warmup, self.steps = args.warmup, args.steps

    def model(self, cfg: ModelConfig | None = None) -> CausalLM:
        torch.manual_seed(0)
        return CausalLM(cfg or self.cfg).to(self.device)

    def autocast(self) -> contextlib.AbstractContextManager:
        return self.rt.autocast()


def trainer_section(s: Setup, compile_blocks: bool = False, backend: str = "auto") -> dict[str, Any]:
    model = s.model()
    model.set_attention_backend(backend)  # type: ignore[arg-type]
    if compile_blocks:  # inductor on the GPU; on the CPU fallback aot_eager (same graphs, no C++ build)
        for block in [*model.layers, *model.mtp]:
            block.compile(**({} if s.device.type == "cuda" else {"backend": "aot_eager"}))
    opt = make_optimizer(model, s.t, s.rt)
    if s.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(s.device)
    first = time.perf_counter()
    train_step(model, opt, s.batch, s.rt, s.t, s.t.lr, 0.3, 0.001)
    sync(s.device)
    first_step_s = time.perf_counter() - first  # includes compilation when compiled
    times = timed(lambda: train_step(model, opt, s.batch, s.rt, s.t, s.t.lr, 0.3, 0.001), s.device, s.warmup, s.steps)
    out = summary(times, s.tokens, s.flops_per_token, s.peak) | {"first_step_s": first_step_s}
    if s.device.type == "cuda":
        out["peak_memory_gib"] = torch.cuda.max_memory_allocated(s.device) / 2**30
    return out


def bare_section(s: Setup) -> dict[str, Any]:
    model = s.model()
    opt = torch.optim.AdamW(model.parameters(), lr=s.t.lr, betas=s.t.betas, weight_decay=s.t.weight_decay, fused=s.device.type == "cuda")

    def step() -> None:
        for mb in s.batch.micro:
            ids, labels = mb.input_ids.to(s.device, non_blocking=True), mb.labels.to(s.device, non_blocking=True)
            with s.autocast():
                out = model(ids, labels=labels, mtp_loss_weight=0.3, return_logits=False)
            (out.loss + out.aux_loss + 0.3 * out.mtp_losses.mean()).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    return summary(timed(step, s.device, s.warmup, s.steps), s.tokens, s.flops_per_token, s.peak)


def apr_section(s: Setup) -> dict[str, Any]:
    """Forward+backward with APR at fraction 0.1 vs the same weights without, alternating, median ratio."""
    with_apr = s.model(s.cfg.model_copy(update={"apr_enabled": True, "apr_fraction": 0.1}))
    plain = s.model(s.cfg)
    plain.load_state_dict({k: v for k, v in with_apr.state_dict().items() if not k.startswith("apr.")})
    ids = s.batch.micro[0].input_ids.to(s.device)

    def fwd_bwd(model: CausalLM) -> Callable[[], None]:
        def run() -> None:
            with s.autocast():
                out = model(ids, labels=ids, return_logits=False)
            out.total_loss.backward()
            model.zero_grad(set_to_none=True)
        return run

    a = timed(fwd_bwd(with_apr), s.device, s.warmup, s.steps)
    b = timed(fwd_bwd(plain), s.device, s.warmup, s.steps)
    return {"apr_median_s": statistics.median(a), "plain_median_s": statistics.median(b),
            "overhead_percent": 100 * (statistics.median(a) / statistics.median(b) - 1)}


def fsdp_section(args: argparse.Namespace) -> dict[str, Any]:
    """torchrun --nproc_per_node=1 of this file's --fsdp-child; its JSON line is the result."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=1", "--master_port=29533", __file__,
               "--fsdp-child", tmp, "--preset", args.preset, "--batch", str(args.batch), "--micro", str(args.micro),
               "--seq", str(args.seq)] + (["--dry-run"] if args.dry_run else [])
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.fsdp_timeout,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])})
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode or not lines:
        raise RuntimeError(f"torchrun exited {proc.returncode}: {proc.stderr.strip().splitlines()[-1:] or proc.stdout[-500:]}")
    return json.loads(lines[-1])


def fsdp_child(args: argparse.Namespace) -> None:
    """One rank: FSDP2-wrap, 2 steps, save, restore into a fresh wrapped model, 1 more step on both."""
    import torch.distributed as dist
    from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

    from pipelines.training import checkpoint

    s = Setup(args)
    dist.init_process_group("gloo" if s.device.type == "cpu" else "nccl")
    mp = MixedPrecisionPolicy(param_dtype=s.amp, reduce_dtype=torch.float32) if s.amp else MixedPrecisionPolicy()

    def wrapped() -> tuple[torch.nn.Module, torch.optim.Optimizer]:
        model = s.model()
        for block in [*model.layers, *model.mtp]:
            fully_shard(block, mp_policy=mp)
        fully_shard(model, mp_policy=mp)
        return model, make_optimizer(model, s.t, s.rt)

    def step(model: torch.nn.Module, opt: torch.optim.Optimizer) -> float:
        return train_step(model, opt, s.batch, s.rt, s.t, s.t.lr, 0.3, 0.001).loss

    model, opt = wrapped()
    times = timed(lambda: step(model, opt), s.device, 1, 1)
    start = time.perf_counter()
    path = checkpoint.save(Path(args.fsdp_child), 2, model, opt, {"step": 2}, keep_last=1)
    save_s = time.perf_counter() - start
    fresh, fresh_opt = wrapped()
    start = time.perf_counter()
    checkpoint.load(path, fresh, fresh_opt)
    load_s = time.perf_counter() - start
    continued, resumed = step(model, opt), step(fresh, fresh_opt)
    print(json.dumps({"step_s": times[0], "save_s": save_s, "load_s": load_s, "loss_continued": continued,
                      "loss_resumed": resumed, "resume_exact": continued == resumed,
                      "checkpoint_mb": sum(f.stat().st_size for f in path.iterdir()) / 2**20}), flush=True)
    dist.destroy_process_group()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dry-run", action="store_true", help="CPU fallback: tiny preset, 2 x 64, a few steps")
    ap.add_argument("--preset", default=None)
    ap.add_argument("--batch", type=int, default=None)
    ap.add_argument("--micro", type=int, default=None)
    ap.add_argument("--seq", type=int, default=None)
    ap.add_argument("--warmup", type=int, default=None)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--sections", nargs="+", default=["trainer", "bare", "compiled", "flash", "fsdp", "apr"])
    ap.add_argument("--fsdp-timeout", type=int, default=240)
    ap.add_argument("--fsdp-child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    small = {"preset": "tiny", "batch": 2, "micro": 2, "seq": 32, "warmup": 0, "steps": 2}
    full = {"preset": "1b", "batch": 8, "micro": 8, "seq": 2048, "warmup": 2, "steps": 8}
    for key, value in (small if args.dry_run else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.fsdp_child:
        fsdp_child(args)
        return
    if not args.dry_run and not torch.cuda.is_available():
        raise SystemExit("gpu_check: no CUDA device; run with --dry-run for the CPU fallback")

    s = Setup(args)
    results: dict[str, Any] = {
        "check": "gpu_check", "dry_run": args.dry_run, "preset": args.preset, "batch": args.batch, "micro": args.micro,
        "seq": args.seq, "tokens_per_step": s.tokens, "flops_per_token": s.flops_per_token, "peak_flops": s.peak,
        "device": torch.cuda.get_device_name(s.device) if s.device.type == "cuda" else platform.processor() or "cpu",
        "torch": torch.__version__, "precision": "bf16 autocast, fp32 master weights, TF32" if s.amp else "fp32",
        "command": " ".join(["python", "benchmarks/gpu_check.py", *sys.argv[1:]]),
        "params": CausalLM(s.cfg).num_params() if args.dry_run else None,
    }
    t0 = time.perf_counter()
    plan: dict[str, Callable[[], dict[str, Any]]] = {
        "trainer": lambda: trainer_section(s), "bare": lambda: bare_section(s),
        "compiled": lambda: trainer_section(s, compile_blocks=True), "flash": lambda: trainer_section(s, backend="flash"),
        "fsdp": lambda: fsdp_section(args), "apr": lambda: apr_section(s),
    }
    for name in args.sections:
        section(results, name, plan[name])
    tr, bare, comp = results.get("trainer", {}), results.get("bare", {}), results.get("compiled", {})
    if "median_step_s" in tr and "median_step_s" in bare:
        results["trainer_overhead_percent"] = 100 * (tr["median_step_s"] / bare["median_step_s"] - 1)
    if "median_step_s" in tr and "median_step_s" in comp:
        results["compile_speedup"] = tr["median_step_s"] / comp["median_step_s"]
    results["seconds"] = round(time.perf_counter() - t0, 1)
    name = "gpu_check-dry-run.json" if args.dry_run else f"gpu_check-{results['device'].replace(' ', '_')}.json"
    out = args.out or ROOT / "benchmarks" / "results" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"gpu_check: wrote {out} ({results['seconds']} s)", flush=True)


if __name__ == "__main__":
    main()
