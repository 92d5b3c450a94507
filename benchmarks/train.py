"""Training tokens/s on CPU of the real optimizer step (pipelines.training.step.train_step) for the tiny and small presets.

    .venv/bin/python benchmarks/train.py                                  # tiny + small, writes benchmarks/results/train.json
    .venv/bin/python benchmarks/train.py --bare --shape tiny=8x256 --shape small=4x256 --threads 2 --out benchmarks/results/train-overhead.json
    .venv/bin/python benchmarks/train.py --configs tiny --rounds 5 --batch 8 --seq 128 --threads 2
    .venv/bin/python benchmarks/train.py --configs micro --bare --batch 8 --micro 8 --seq 640 --out benchmarks/results/train-micro.json

`--run DATA --tokenizer TOK` (with --bare, one preset) also times the whole trainer, pipelines.train.run on a
real corpus (loader thread, packing, metrics, checkpoints at the end), alternating with the bare loop in
rounds of the same step count, and compares median step times:

    .venv/bin/python benchmarks/train.py --configs micro --bare --batch 8 --micro 8 --seq 640 \
        --run runs/ablation/data/corpus-none --tokenizer runs/ablation/data/tokenizer --out benchmarks/results/train-micro.json

`--shape NAME=BxT` gives a preset its own batch (B sequences of T tokens, one micro-batch); with `--bare`
each preset then prints `overhead N%`, the trainer step's median time over the bare loop's, less one.

`--bare` times, beside each preset's trainer step, a bare PyTorch loop on the same model, batch and
AdamW (forward + backward with MTP, optimizer step, nothing else): the ratio is what the trainer's
bookkeeping (split-loss logging, clipping, balancing, target re-weighting) costs.

Each step is what the trainer does per optimizer step: forward + backward over the micro-batches with
MTP, clipping, AdamW, the balancing-bias update and the split LM/denoise loss for logging. The batch is
synthetic (uniform random ids, LM targets everywhere), so the number measures compute, not the reader.
The presets are timed in the same process, one step of each per round, so load from other processes
hits them alike; the table gives best-of-rounds tokens/s, the median, and the load average seen.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from model import CausalLM, ModelConfig  # noqa: E402
from pipelines.training.loading import LM_TARGET, MicroBatch, Position, StepBatch, labels_of  # noqa: E402
from pipelines.training.config import TrainerConfig  # noqa: E402
from pipelines.training.optim import make_optimizer  # noqa: E402
from pipelines.training.parallelism import Runtime  # noqa: E402
from pipelines.training.step import train_step  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def synthetic_batch(cfg: ModelConfig, t: TrainerConfig, gen: torch.Generator) -> StepBatch:
    """One optimizer step's micro-batches of random ids, every position a language-modelling target."""
    ids = torch.randint(4, cfg.vocab_size, (t.batch_size, t.seq_len), generator=gen)
    roles = torch.full_like(ids, LM_TARGET, dtype=torch.uint8)
    micro = [MicroBatch(ids[i : i + t.micro_batch_size], labels_of(ids[i : i + t.micro_batch_size], roles[i : i + t.micro_batch_size]),
                        roles[i : i + t.micro_batch_size]) for i in range(0, t.batch_size, t.micro_batch_size)]
    targets = {"lm": t.batch_size * (t.seq_len - 1), "denoise": 0}
    for k in range(cfg.num_nextn_predict_layers + 1):
        targets[f"depth{k}"] = t.batch_size * (t.seq_len - 1 - k)
    return StepBatch(micro, Position(), 0.0, 0, 0.0, t.batch_size, 0, targets)


class Trainee:
    """A preset with its optimizer, ready to take timed steps."""

    def __init__(self, name: str, t: TrainerConfig) -> None:
        self.name, self.t, self.preset = name, t, name
        self.cfg = ModelConfig.preset(name)
        torch.manual_seed(0)
        self.model = CausalLM(self.cfg)
        self.rt = Runtime(0, 1, 0, torch.device("cpu"), None)
        self.opt = make_optimizer(self.model, t, self.rt)
        self.batch = synthetic_batch(self.cfg, t, torch.Generator().manual_seed(0))
        self.tokens = t.batch_size * t.seq_len

    def step(self) -> float:
        """Seconds for one optimizer step."""
        start = time.perf_counter()
        train_step(self.model, self.opt, self.batch, self.rt, self.t, self.t.lr, 0.3, 0.001)
        return time.perf_counter() - start


class Bare:
    """The same preset, batch and AdamW in a bare loop: forward + backward (main + MTP + aux loss), step, zero_grad."""

    def __init__(self, name: str, t: TrainerConfig) -> None:
        self.name, self.t, self.preset = f"{name} (bare)", t, name
        self.cfg = ModelConfig.preset(name)
        torch.manual_seed(0)
        self.model = CausalLM(self.cfg)
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=t.lr, betas=t.betas, weight_decay=t.weight_decay)
        self.batch = synthetic_batch(self.cfg, t, torch.Generator().manual_seed(0))
        self.tokens = t.batch_size * t.seq_len

    def step(self) -> float:
        start = time.perf_counter()
        for mb in self.batch.micro:
            out = self.model(mb.input_ids, labels=mb.labels, mtp_loss_weight=0.3, return_logits=False)
            loss = out.loss + out.aux_loss + 0.3 * torch.stack(list(out.mtp_losses)).mean()
            loss.backward()
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        return time.perf_counter() - start


def trainer_run_step_times(name: str, t: TrainerConfig, data: str, tokenizer: str, steps: int, out: Path) -> list[float]:
    """Step times of pipelines.train.run itself (whole_rows packing, one thread), from its metrics.jsonl."""
    import shutil

    from model.presets import preset_fields
    from pipelines.train import TrainConfig, run
    from pipelines.training.metrics import read_jsonl

    shutil.rmtree(out, ignore_errors=True)
    trainer = t.model_copy(update={"steps": steps, "partial": True, "cycle": True, "whole_rows": True, "save_every": 0,
                                   "tensorboard": False, "progress_bar": False, "export": False, "resume": "never",
                                   "threads": torch.get_num_threads()})
    run(TrainConfig(data=data, tokenizer=tokenizer, out_dir=str(out), model=preset_fields(name), trainer=trainer))
    return [r["step_time"] for r in read_jsonl(out / "metrics.jsonl")][1:]  # the first step pays for warm-up


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", nargs="+", default=["tiny", "small"])
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--micro", type=int, default=4)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--bare", action="store_true", help="also time a bare PyTorch loop of each preset (same model, batch, AdamW)")
    ap.add_argument("--run", default=None, help="a corpus: also time pipelines.train.run on it against the bare loop")
    ap.add_argument("--tokenizer", default=None, help="the tokenizer folder for --run")
    ap.add_argument("--run-steps", type=int, default=12)
    ap.add_argument("--shape", action="append", default=[], metavar="NAME=BxT",
                    help="a preset with its own batch B x seq T (one micro-batch); replaces --configs")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1: stable on a shared CPU)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "train.json")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    base = yaml.safe_load((ROOT / "conf" / "trainer" / "cpu.yaml").read_text()) or {}
    t = TrainerConfig(**(base | {"batch_size": args.batch, "micro_batch_size": args.micro, "seq_len": args.seq}))
    shapes = {name: t for name in args.configs}
    if args.shape:
        shapes = {}
        for spec in args.shape:
            name, _, bt = spec.partition("=")
            b, _, seq = bt.partition("x")
            shapes[name] = TrainerConfig(**(base | {"batch_size": int(b), "micro_batch_size": int(b), "seq_len": int(seq)}))
        args.configs = list(shapes)
    load_before = os.getloadavg()
    trainees = [Trainee(name, shapes[name]) for name in args.configs]
    if args.bare:
        trainees = [peer for name, tr in zip(args.configs, trainees) for peer in (tr, Bare(name, shapes[name]))]
    for tr in trainees:
        for _ in range(args.warmup):
            tr.step()
    times: dict[str, list[float]] = {tr.name: [] for tr in trainees}
    for _ in range(args.rounds):  # interleaved: one step of each preset per round
        for tr in trainees:
            times[tr.name].append(tr.step())
    if args.run:  # the whole trainer against the bare loop, alternating rounds of the same step count
        import tempfile

        bare = next(tr for tr in trainees if isinstance(tr, Bare))
        run_times, bare_times = [], []
        with tempfile.TemporaryDirectory() as tmp:
            for _ in range(max(1, args.rounds // 2)):
                run_times += trainer_run_step_times(args.configs[0], t, args.run, args.tokenizer, args.run_steps, Path(tmp) / "run")
                bare_times += [bare.step() for _ in range(args.run_steps - 1)]
        times[f"{args.configs[0]} (trainer run)"] = run_times
        times[f"{args.configs[0]} (bare, beside run)"] = bare_times
    load_after = os.getloadavg()

    rows = []
    if args.run:
        for label in (f"{args.configs[0]} (trainer run)", f"{args.configs[0]} (bare, beside run)"):
            tokens = t.batch_size * t.seq_len
            rows.append({"config": label, "tokens_per_step": tokens, "best_tokens_per_s": tokens / min(times[label]),
                         "median_tokens_per_s": tokens / statistics.median(times[label]), "step_seconds": times[label],
                         "params_total": trainees[0].model.num_params()["total"],
                         "params_active": trainees[0].model.num_params()["activated"], "params_mtp": trainees[0].model.num_params()["mtp"]})
    for tr in trainees:
        p = tr.model.num_params()  # noqa: the bare peer holds the same model
        best, median = min(times[tr.name]), statistics.median(times[tr.name])
        rows.append({"config": tr.name, "params_total": p["total"], "params_active": p["activated"], "params_mtp": p["mtp"],
                     "tokens_per_step": tr.tokens, "best_tokens_per_s": tr.tokens / best,
                     "median_tokens_per_s": tr.tokens / median, "step_seconds": times[tr.name]})
    result = {
        "benchmark": "train_step tokens/s on CPU (fp32, synthetic LM batch, MTP on, AdamW + clip + bias update)",
        "command": " ".join(["python", "benchmarks/train.py", *sys.argv[1:]]),
        "batch": args.batch, "micro_batch": args.micro, "seq_len": args.seq, "rounds": args.rounds,
        "threads": args.threads, "cpu_count": os.cpu_count(), "torch": torch.__version__, "machine": platform.machine(),
        "load_average_before": load_before, "load_average_after": load_after, "results": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")

    batches = ", ".join(f"{n} {c.batch_size}x{c.seq_len}" for n, c in shapes.items()) if args.shape else f"{args.batch} x {args.seq} (micro {args.micro})"
    print(f"train_step on CPU, {args.threads} thread(s), batch {batches}, "
          f"best of {args.rounds} interleaved rounds; load average {load_before[0]:.1f} -> {load_after[0]:.1f}")
    print(f"{'config':<8}{'params (active)':>20}{'best tok/s':>14}{'median tok/s':>14}")
    for r in rows:
        print(f"{r['config']:<8}{r['params_total'] / 1e6:>11.2f}M ({r['params_active'] / 1e6:.2f}M)"
              f"{r['best_tokens_per_s']:>14,.0f}{r['median_tokens_per_s']:>14,.0f}")
    if args.run:
        by = {r["config"]: r for r in rows}
        a, b = by[f"{args.configs[0]} (trainer run)"], by[f"{args.configs[0]} (bare, beside run)"]
        result.setdefault("trainer_vs_bare", {})[f"{args.configs[0]} run()"] = round(b["median_tokens_per_s"] / a["median_tokens_per_s"], 3)
        print(f"{args.configs[0]}: bare loop / whole trainer run() (median tok/s) = "
              f"{b['median_tokens_per_s'] / a['median_tokens_per_s']:.3f}x (target <= 1.5x)")
    bare = {r["config"]: r for r in rows if r["config"].endswith(" (bare)")}
    for r in rows:
        if f"{r['config']} (bare)" in bare:
            ratio = bare[f"{r['config']} (bare)"]["median_tokens_per_s"] / r["median_tokens_per_s"]
            result.setdefault("trainer_vs_bare", {})[r["config"]] = round(ratio, 3)
            shape = shapes[r["config"]]
            result.setdefault("overhead_percent", {})[r["config"]] = round(100 * (ratio - 1), 1)
            print(f"{r['config']} {shape.batch_size}x{shape.seq_len}: overhead {100 * (ratio - 1):.1f}% "
                  f"(trainer step over the bare step, median; target <= 10%)")
    if bare or args.run:
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    elif len(rows) > 1:
        print(f"ratio {rows[1]['config']}/{rows[0]['config']} (median tok/s): "
              f"{rows[1]['median_tokens_per_s'] / rows[0]['median_tokens_per_s']:.3f}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
