"""Forward+backward tokens/s of our CausalLM vs transformers' DeepseekV3ForCausalLM, same weights and batch.

    .venv/bin/python benchmarks/model.py                       # tiny and ~20M, CPU, writes benchmarks/results/model.json
    .venv/bin/python benchmarks/model.py --configs tiny --rounds 5 --batch 4 --seq 128
    .venv/bin/python benchmarks/model.py --profile --compile   # + CPU time shares per kernel class, compiled rows

Both models are timed in the same process, alternating one step of each per round, so load from other
processes hits both alike; the ratio is the median of the per-round ratios. MTP is off in the
head-to-head rows (transformers' causal LM has no MTP); extra rows time ours with MTP on and with the
per-expert split (a matmul pair per expert) instead of the CPU default grouped_mm.

--compile adds "ours compiled" and "transformers compiled": every decoder layer compiled on its own
(inductor), as pipelines/train.py compiles ours; the first call's extra time is reported as compile
time, never counted in tokens/s. --profile runs torch.profiler over a few steps of each model and
splits self CPU time into matmul, attention, loss (the LM head's cross-entropy) and the rest:
the rest is all that eager-mode work on our side can remove, which bounds the eager speedup.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from model import CausalLM, ModelConfig  # noqa: E402
from model.export import load_pretrained, save_pretrained

CONFIGS = {
    "tiny": lambda: ModelConfig.preset("tiny"),
    "20m": lambda: ModelConfig.preset(
        "tiny", hidden_size=256, intermediate_size=768, moe_intermediate_size=128, num_hidden_layers=6,
        num_attention_heads=4, q_lora_rank=192, kv_lora_rank=128, qk_nope_head_dim=48, qk_rope_head_dim=16,
        v_head_dim=48, n_routed_experts=28, num_experts_per_tok=4, n_group=4, topk_group=2,
    ),
}


def step_fn(model: torch.nn.Module, ids: torch.Tensor, ours: bool):
    """One forward+backward with the LM loss; returns a callable for the timer."""

    def step() -> None:
        model.zero_grad(set_to_none=True)
        out = model(ids, labels=ids) if ours else model(ids, labels=ids, use_cache=False)  # training: no KV cache
        (out.total_loss if ours else out.loss).backward()

    return step


KERNEL_CLASSES = {  # aten op -> class, by the op's own name; self time only, so no op is counted twice
    "matmul": ("aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm", "aten::_grouped_mm", "aten::addbmm"),
    "attention": (
        "aten::_scaled_dot_product_flash_attention_for_cpu", "aten::_scaled_dot_product_flash_attention_for_cpu_backward",
        "aten::_softmax", "aten::_softmax_backward_data",  # transformers' math-path SDPA (its bmm count as matmul)
    ),
}
LOSS_MARKERS = ("cross_entropy", "CrossEntropy", "log_softmax", "LogSoftmax", "nll_loss", "NllLoss")  # op or any caller


def kernel_class(event) -> str:  # noqa: ANN001 - a torch.profiler FunctionEvent
    """matmul / attention by the op itself, loss when the op or a caller is the LM-head cross-entropy, else other."""
    cls = next((c for c, names in KERNEL_CLASSES.items() if event.name in names), None)
    while cls is None and event is not None:
        cls = "loss" if any(m in event.name for m in LOSS_MARKERS) else None
        event = event.cpu_parent
    return cls or "other"


def profile_shares(step, steps: int = 2) -> dict:
    """Share of self CPU time per kernel class over a few profiled steps (after one unprofiled warmup)."""
    step()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            step()
    totals = {name: 0.0 for name in KERNEL_CLASSES} | {"loss": 0.0, "other": 0.0}
    top_other: dict[str, float] = {}
    for event in prof.events():
        cls, seconds = kernel_class(event), event.self_cpu_time_total / 1e6 / steps
        totals[cls] += seconds
        if cls == "other":
            top_other[event.name] = top_other.get(event.name, 0.0) + seconds
    total = sum(totals.values())
    return {
        "self_cpu_s_per_step": total,
        "seconds": totals,
        "share": {c: t / total for c, t in totals.items()},
        "top_other_s": dict(sorted(top_other.items(), key=lambda kv: -kv[1])[:8]),
    }


def compile_layers(layers) -> None:  # noqa: ANN001 - an nn.ModuleList of decoder layers
    """Compile each decoder layer on its own, as pipelines/train.py does with trainer.compile."""
    for layer in layers:
        layer.compile()


def time_rounds(steps: dict, rounds: int, warmup: int = 2) -> dict[str, list[float]]:
    """Seconds per step for each callable, interleaved round by round."""
    for step in steps.values():
        for _ in range(warmup):
            step()
    times = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    return times


def bench_config(
    name: str, batch: int, seq: int, rounds: int, extras: bool = True, compiled: bool = False, profiled: bool = False
) -> dict:
    import transformers

    transformers.logging.set_verbosity_error()
    cfg = CONFIGS[name]()
    head_to_head = cfg.model_copy(update={"num_nextn_predict_layers": 0})
    torch.manual_seed(0)
    ours = CausalLM(head_to_head)
    ids = torch.randint(0, cfg.vocab_size, (batch, seq), generator=torch.Generator().manual_seed(1))
    with tempfile.TemporaryDirectory() as tmp:
        save_pretrained(ours, tmp)
        theirs = transformers.AutoModelForCausalLM.from_pretrained(tmp, dtype=torch.float32)
    with torch.no_grad():
        max_diff = (ours(ids).logits - theirs(ids).logits).abs().max().item()
    torch.manual_seed(0)
    ours_mtp = CausalLM(cfg)
    ours_split = CausalLM(head_to_head)
    ours_split.load_state_dict(ours.state_dict())
    ours_split.set_expert_impl("split")

    steps = {"ours": step_fn(ours, ids, True), "transformers": step_fn(theirs, ids, False)}
    profiles = {}
    if profiled:
        profiles = {name: profile_shares(step) for name, step in steps.items()}
    if extras:
        steps[f"ours+mtp{cfg.num_nextn_predict_layers}"] = step_fn(ours_mtp, ids, True)
        steps["ours split-experts"] = step_fn(ours_split, ids, True)
    compile_errors, compile_s = {}, {}
    if compiled:
        ours_c = CausalLM(head_to_head)
        ours_c.load_state_dict(ours.state_dict())
        theirs_c = copy.deepcopy(theirs)
        for label, model, is_ours in (("ours compiled", ours_c, True), ("transformers compiled", theirs_c, False)):
            compile_layers(model.layers if is_ours else model.model.layers)
            step = step_fn(model, ids, is_ours)
            start = time.perf_counter()
            try:
                step()
            except Exception as err:  # noqa: BLE001 - recorded in the JSON, the row is left out
                compile_errors[label] = f"{type(err).__name__}: {err}"[:2000]
                continue
            compile_s[label] = time.perf_counter() - start
            steps[label] = step
    times = time_rounds(steps, rounds)
    tokens = batch * seq
    pairs = {"eager": ("ours", "transformers"), "compiled": ("ours compiled", "transformers compiled")}
    speedups = {
        kind: {
            "median_per_round": statistics.median(t / o for o, t in zip(times[a], times[b])),
            "best_of_n": min(times[b]) / min(times[a]),
        }
        for kind, (a, b) in pairs.items() if a in times and b in times
    }
    if profiles:  # if ours lost all of its "other" time: the interleaved speedup over our kernel share
        kernel_share = 1 - profiles["ours"]["share"]["other"]
        profiles["eager_bound_vs_transformers"] = speedups["eager"]["median_per_round"] / kernel_share
    return {
        "config": name,
        "params": head_to_head.num_params(),
        "batch": batch,
        "seq_len": seq,
        "logits_max_abs_diff": max_diff,
        "transformers_experts_implementation": theirs.config._experts_implementation,
        "transformers_attn_implementation": theirs.config._attn_implementation,
        "median_s": {k: statistics.median(v) for k, v in times.items()},
        "tokens_per_s": {k: tokens / statistics.median(v) for k, v in times.items()},
        "speedup_vs_transformers": speedups["eager"]["median_per_round"],
        "speedup_best_of_n": speedups["eager"]["best_of_n"],
        "speedup_per_round": [t / o for o, t in zip(times["ours"], times["transformers"])],
        "speedup_like_for_like": speedups,
        "compile_s": {k: t - statistics.median(times[k]) for k, t in compile_s.items()},  # first call minus a step
        "compile_errors": compile_errors,
        "profile": profiles,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="tiny,20m")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--no-extras", action="store_true", help="time only ours vs transformers (no MTP/split-experts rows)")
    parser.add_argument("--compile", action="store_true", help="add per-layer compiled rows of both models")
    parser.add_argument("--profile", action="store_true", help="store and print CPU time shares per kernel class")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "model.json"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    import transformers

    load_before = os.getloadavg()
    rows = [
        bench_config(name, args.batch, args.seq, args.rounds, not args.no_extras, args.compile, args.profile)
        for name in args.configs.split(",")
    ]
    result = {
        "device": "cpu",
        "cpu": platform.processor() or platform.machine(),
        "threads": args.threads,
        "cpu_count": os.cpu_count(),
        "loadavg_before_after": [load_before, os.getloadavg()],
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "dtype": "float32",
        "rows": rows,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")

    print(f"forward+backward, fp32, CPU x{args.threads} threads, batch {args.batch} x {args.seq} tokens")
    print(f"{'config':8} {'model':22} {'tokens/s':>10} {'vs transformers':>16}")
    for row in rows:
        base = row["tokens_per_s"]["transformers"]
        for model, tps in row["tokens_per_s"].items():
            print(f"{row['config']:8} {model:22} {tps:10.0f} {tps / base:15.2f}x")
        for kind, s in row["speedup_like_for_like"].items():
            print(f"{'':8} {kind} speedup of ours: median per-round {s['median_per_round']:.2f}x, "
                  f"best-of-{args.rounds} {s['best_of_n']:.2f}x")
        print(f"{'':8} logits max diff {row['logits_max_abs_diff']:.1e}; compile s {row['compile_s']}; "
              f"compile errors {list(row['compile_errors'])}")
        for model, prof in row["profile"].items():
            if model == "eager_bound_vs_transformers":
                print(f"{'':8} eager bound (speedup / our matmul+attention+loss share) = {prof:.2f}x")
                continue
            shares = ", ".join(f"{c} {v:.0%}" for c, v in prof["share"].items())
            print(f"{'':8} profile {model:14} {prof['self_cpu_s_per_step']:.3f} s/step: {shares}")
    print(f"load average before/after: {load_before} / {os.getloadavg()}  -> {out}")


if __name__ == "__main__":
    main()
