"""Adaptive precision routing: does the estimator rank tokens by uncertainty, and what does APR cost?

    .venv/bin/python benchmarks/apr.py                   # CPU; writes benchmarks/results/apr.json
    .venv/bin/python benchmarks/apr.py --steps 300 --rounds 10

1. Estimator quality. A small APR model is trained (AdamW on total_loss) on a synthetic Markov source whose
   states differ in how predictable the next token is (support of 1..64 tokens, so true entropy 0..log 64).
   On held-out sequences: Spearman rank correlation of the estimator's predicted entropy with the main
   head's actual entropy (the estimator's target), and with the source's true entropy.
   The corpus of the project is not used: the tokenizer/trainer pipeline is being written concurrently.
2. Overhead. Forward+backward tokens/s of the `tiny` preset with APR at fraction 0.1 vs the same weights
   with APR off, interleaved round by round in one process; the ratio is the median of per-round ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from model import CausalLM, ModelConfig  # noqa: E402
from model.apr import token_entropy  # noqa: E402

VOCAB = 256


def markov_source(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(next-token table [V, 64] of candidate tokens, support size per state [V]) of a random chain."""
    g = torch.Generator().manual_seed(seed)
    support = 2 ** torch.randint(0, 7, (VOCAB,), generator=g)  # 1, 2, ..., 64 equally likely successors
    table = torch.stack([torch.randperm(VOCAB, generator=g)[:64] for _ in range(VOCAB)])
    return table, support


def sample(table: torch.Tensor, support: torch.Tensor, batch: int, seq: int, g: torch.Generator) -> torch.Tensor:
    ids = torch.empty(batch, seq, dtype=torch.long)
    ids[:, 0] = torch.randint(0, VOCAB, (batch,), generator=g)
    for t in range(1, seq):
        prev = ids[:, t - 1]
        pick = (torch.rand(batch, generator=g) * support[prev]).long()
        ids[:, t] = table[prev, pick]
    return ids


def spearman(a: torch.Tensor, b: torch.Tensor) -> float:
    """Rank correlation (ties broken by order; fine for continuous a)."""
    ra, rb = a.argsort().argsort().double(), b.argsort().argsort().double()
    ra, rb = ra - ra.mean(), rb - rb.mean()
    return float((ra * rb).sum() / (ra.norm() * rb.norm()))


def estimator_quality(steps: int, batch: int, seq: int) -> dict:
    torch.manual_seed(0)
    cfg = ModelConfig.preset(
        "tiny", vocab_size=VOCAB, hidden_size=96, intermediate_size=256, moe_intermediate_size=48, num_hidden_layers=3,
        num_attention_heads=4, q_lora_rank=64, kv_lora_rank=48, qk_nope_head_dim=16, qk_rope_head_dim=8, v_head_dim=16,
        n_routed_experts=8, num_experts_per_tok=2, n_group=2, topk_group=1, num_nextn_predict_layers=1,
        apr_enabled=True, apr_fraction=0.1, apr_estimator_layer=2, apr_loss_weight=0.1,
    )
    model = CausalLM(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, betas=(0.9, 0.95), weight_decay=0.1)
    table, support = markov_source(0)
    g = torch.Generator().manual_seed(1)
    start, log = time.perf_counter(), []
    for step in range(steps):
        ids = sample(table, support, batch, seq, g)
        out = model(ids, labels=ids)
        out.total_loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        model.update_balance(out.expert_load)
        if step % 25 == 0 or step == steps - 1:
            log.append({"step": step, "loss": out.loss.item(), "estimator_error": out.apr.estimator_error.item()})
    train_s = time.perf_counter() - start

    model.eval()
    held_out = sample(table, support, 32, seq, torch.Generator().manual_seed(99))
    with torch.no_grad():
        out = model(held_out, labels=held_out)
    predicted = out.apr.predicted_entropy[:, 1:].flatten()  # position 0 has no context; skip it
    actual = token_entropy(out.logits)[:, 1:].flatten()
    true = support[held_out].double().log()[:, 1:].flatten()
    routed = torch.zeros(held_out.numel(), dtype=torch.bool)
    routed[out.apr.routed] = True
    actual_all = token_entropy(out.logits).flatten()
    return {
        "train_steps": steps, "batch": batch, "seq_len": seq, "train_s": train_s, "log": log,
        "held_out_tokens": int(predicted.numel()),
        "spearman_predicted_vs_head_entropy": spearman(predicted, actual),
        "spearman_predicted_vs_true_entropy": spearman(predicted, true),
        "spearman_head_vs_true_entropy": spearman(actual, true),
        "estimator_mean_abs_error_nats": float((predicted - actual).abs().mean()),
        "head_entropy_routed_mean": float(actual_all[routed].mean()),
        "head_entropy_rest_mean": float(actual_all[~routed].mean()),
        "routed_fraction": float(out.apr.routed_fraction),
    }


def overhead(batch: int, seq: int, rounds: int, fraction: float) -> dict:
    torch.manual_seed(0)
    with_apr = CausalLM(ModelConfig.preset("tiny", apr_enabled=True, apr_fraction=fraction))
    plain = CausalLM(with_apr.cfg.model_copy(update={"apr_enabled": False}))
    plain.load_state_dict({k: v for k, v in with_apr.state_dict().items() if not k.startswith("apr.")})
    ids = torch.randint(0, with_apr.cfg.vocab_size, (batch, seq), generator=torch.Generator().manual_seed(1))
    shares = []

    def step(model: CausalLM) -> None:
        model.zero_grad(set_to_none=True)
        out = model(ids, labels=ids)
        out.total_loss.backward()
        if out.apr is not None:
            shares.append(out.apr.refine_time_share)

    for _ in range(2):
        step(plain), step(with_apr)
    times: dict[str, list[float]] = {"apr_off": [], "apr": []}
    for _ in range(rounds):
        for name, model in (("apr_off", plain), ("apr", with_apr)):
            start = time.perf_counter()
            step(model)
            times[name].append(time.perf_counter() - start)
    ratios = [a / o for o, a in zip(times["apr_off"], times["apr"])]
    tokens = batch * seq
    return {
        "config": "tiny", "fraction": fraction, "batch": batch, "seq_len": seq, "rounds": rounds,
        "tokens_per_s_median": {k: tokens / statistics.median(v) for k, v in times.items()},
        "tokens_per_s_best": {k: tokens / min(v) for k, v in times.items()},
        "step_time_ratio_median": statistics.median(ratios),
        "overhead_pct_median": 100 * (statistics.median(ratios) - 1),
        "overhead_pct_best_of_n": 100 * (min(times["apr"]) / min(times["apr_off"]) - 1),
        "refine_time_share_of_forward_median": statistics.median(shares),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--train-batch", type=int, default=16)
    parser.add_argument("--train-seq", type=int, default=64)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--fraction", type=float, default=0.1)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "apr.json"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    load_before = os.getloadavg()
    quality = estimator_quality(args.steps, args.train_batch, args.train_seq)
    cost = overhead(args.batch, args.seq, args.rounds, args.fraction)
    result = {"device": "cpu", "threads": args.threads, "torch": torch.__version__,
              "loadavg_before_after": [load_before, os.getloadavg()], "estimator": quality, "overhead": cost,
              "not_measured": "GPU bf16 overhead (no GPU here); field accuracy with/without APR (needs the trainer "
                              "and evaluation job)"}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")

    q = quality
    print(f"estimator after {q['train_steps']} steps: Spearman vs head entropy {q['spearman_predicted_vs_head_entropy']:.3f}, "
          f"vs true entropy {q['spearman_predicted_vs_true_entropy']:.3f} (head vs true {q['spearman_head_vs_true_entropy']:.3f}); "
          f"MAE {q['estimator_mean_abs_error_nats']:.3f} nats; routed tokens' head entropy {q['head_entropy_routed_mean']:.2f} "
          f"vs rest {q['head_entropy_rest_mean']:.2f}")
    tps = cost["tokens_per_s_median"]
    print(f"overhead at fraction {args.fraction} (tiny, fwd+bwd, CPU x{args.threads}): APR off {tps['apr_off']:.0f} tok/s, "
          f"APR {tps['apr']:.0f} tok/s -> {cost['overhead_pct_median']:+.1f}% median per-round, "
          f"{cost['overhead_pct_best_of_n']:+.1f}% best-of-{args.rounds}; refinement share of forward "
          f"{100 * cost['refine_time_share_of_forward_median']:.1f}%")
    print(f"load average before/after: {load_before} / {os.getloadavg()} -> {out}")


if __name__ == "__main__":
    main()
