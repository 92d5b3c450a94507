"""Peak memory and time of the main head's loss (head matmul + CE + LM/denoise split, forward + backward) on CPU.

    python benchmarks/loss.py                      # the 1b shape: one micro-batch 8 x 2048, hidden 1024, vocab 32000
    python benchmarks/loss.py --batch 2 --seq 256  # quick

`before` is the step as it was (logits = lm_head(h), SummedCrossEntropy over an fp32 copy, then the logged
LM/denoise split: a row-by-row F.cross_entropy with boolean indexing); `after` is model/loss.py (head and CE
fused in row chunks, the split from the per-token CE with masks). Each variant runs in its own process;
memory is the growth of the process's peak resident set (getrusage ru_maxrss) over its inputs, which
counts every allocation torch makes on the CPU (tracemalloc does not see torch's allocator).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from model.causal_lm import IGNORE_INDEX, SummedCrossEntropy  # noqa: E402
from model.loss import mean_loss, token_losses  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def before(h: torch.Tensor, w: torch.Tensor, labels: torch.Tensor, roles: torch.Tensor) -> torch.Tensor:
    logits = h @ w.t()
    target = F.pad(labels[:, 1:], (0, 1), value=IGNORE_INDEX)
    loss = SummedCrossEntropy.apply(logits.flatten(0, 1).float(), target.flatten()) / (target != IGNORE_INDEX).sum()
    loss.backward()
    split = torch.zeros(2, dtype=torch.float64)
    with torch.no_grad():
        for i in range(logits.shape[0]):
            ce = F.cross_entropy(logits[i, :-1].float(), labels[i, 1:], ignore_index=IGNORE_INDEX, reduction="none")
            split[0] += ce[roles[i, 1:] == 1].sum().double()
            split[1] += ce[roles[i, 1:] == 2].sum().double()
    return loss.detach()


def after(h: torch.Tensor, w: torch.Tensor, labels: torch.Tensor, roles: torch.Tensor) -> torch.Tensor:
    per_token = token_losses(h, w, labels, 1)
    loss = mean_loss(per_token, labels, 1)
    loss.backward()
    ce = per_token.detach()[:, :-1].double()
    torch.stack([(ce * (roles[:, 1:] == 1)).sum(), (ce * (roles[:, 1:] == 2)).sum()])
    return loss.detach()


def measure(variant: str, batch: int, seq: int, hidden: int, vocab: int, threads: int) -> dict:
    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(0)
    h = (torch.randn(batch, seq, hidden, generator=gen) * 0.5).requires_grad_()
    w = (torch.randn(vocab, hidden, generator=gen) * 0.02).requires_grad_()
    labels = torch.randint(0, vocab, (batch, seq), generator=gen)
    roles = torch.randint(1, 3, (batch, seq), generator=gen)
    base = peak_mb()
    start = time.perf_counter()
    loss = {"before": before, "after": after}[variant](h, w, labels, roles)
    return {"variant": variant, "seconds": time.perf_counter() - start, "peak_growth_mb": peak_mb() - base,
            "inputs_mb": base, "loss": float(loss), "grad_h_norm": float(h.grad.norm())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=2048)
    ap.add_argument("--hidden", type=int, default=1024)
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--variant", choices=["before", "after"], help="(internal) measure one variant in this process")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    shape = [str(args.batch), str(args.seq), str(args.hidden), str(args.vocab), str(args.threads)]
    if args.variant:
        print(json.dumps(measure(args.variant, *map(int, shape))))
        return
    rows = []
    for variant in ("before", "after"):
        cmd = [sys.executable, __file__, "--variant", variant, "--batch", shape[0], "--seq", shape[1],
               "--hidden", shape[2], "--vocab", shape[3], "--threads", shape[4]]
        rows.append(json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout))
        r = rows[-1]
        print(f"{variant:<7} {r['seconds']:7.2f} s  peak +{r['peak_growth_mb']:8.0f} MB  loss {r['loss']:.6f}  |grad h| {r['grad_h_norm']:.6f}", flush=True)
    result = {"shape": {"batch": args.batch, "seq": args.seq, "hidden": args.hidden, "vocab": args.vocab},
              "threads": args.threads, "command": " ".join(["python", "benchmarks/loss.py", *sys.argv[1:]]), "results": rows}
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
