"""Forward+backward tokens/s of our CausalLM vs transformers' DeepseekV3ForCausalLM, same weights and batch.

    .venv/bin/python benchmarks/model.py                       # tiny and ~20M, CPU, writes benchmarks/results/model.json
    .venv/bin/python benchmarks/model.py --configs tiny --rounds 5 --batch 4 --seq 128

Both models are timed in the same process, alternating one step of each per round, so load from other
processes hits both alike; the ratio is the median of the per-round ratios. MTP is off in the
head-to-head rows (transformers' causal LM has no MTP); extra rows time ours with MTP on and with the
per-expert split (a matmul pair per expert) instead of the CPU default grouped_mm.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from model import CausalLM, ModelConfig  # noqa: E402

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
        out = model(ids, labels=ids)
        (out.total_loss if ours else out.loss).backward()

    return step


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


def bench_config(name: str, batch: int, seq: int, rounds: int, extras: bool = True) -> dict:
    import transformers

    transformers.logging.set_verbosity_error()
    cfg = CONFIGS[name]()
    head_to_head = cfg.model_copy(update={"num_nextn_predict_layers": 0})
    torch.manual_seed(0)
    ours = CausalLM(head_to_head)
    ids = torch.randint(0, cfg.vocab_size, (batch, seq), generator=torch.Generator().manual_seed(1))
    with tempfile.TemporaryDirectory() as tmp:
        ours.save_pretrained(tmp)
        theirs = transformers.AutoModelForCausalLM.from_pretrained(tmp, dtype=torch.float32)
    with torch.no_grad():
        max_diff = (ours(ids).logits - theirs(ids).logits).abs().max().item()
    torch.manual_seed(0)
    ours_mtp = CausalLM(cfg)
    ours_split = CausalLM(head_to_head)
    ours_split.load_state_dict(ours.state_dict())
    ours_split.set_expert_impl("split")

    steps = {"ours": step_fn(ours, ids, True), "transformers": step_fn(theirs, ids, False)}
    if extras:
        steps[f"ours+mtp{cfg.num_nextn_predict_layers}"] = step_fn(ours_mtp, ids, True)
        steps["ours split-experts"] = step_fn(ours_split, ids, True)
    times = time_rounds(steps, rounds)
    tokens = batch * seq
    ratios = [t / o for o, t in zip(times["ours"], times["transformers"])]
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
        "speedup_vs_transformers": statistics.median(ratios),
        "speedup_best_of_n": min(times["transformers"]) / min(times["ours"]),
        "speedup_per_round": ratios,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="tiny,20m")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--no-extras", action="store_true", help="time only ours vs transformers (no MTP/grouped_mm rows)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "model.json"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    import transformers

    load_before = os.getloadavg()
    rows = [bench_config(name, args.batch, args.seq, args.rounds, not args.no_extras) for name in args.configs.split(",")]
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
        print(f"{'':8} speedup of ours: median per-round {row['speedup_vs_transformers']:.2f}x, "
              f"best-of-{args.rounds} {row['speedup_best_of_n']:.2f}x "
              f"(logits max diff {row['logits_max_abs_diff']:.1e})")
    print(f"load average before/after: {load_before} / {os.getloadavg()}  -> {out}")


if __name__ == "__main__":
    main()
