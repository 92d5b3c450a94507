"""The curriculum-denoising ablation: does noise late in pretraining buy robustness, and what does it cost?

    python benchmarks/ablation.py                      # default: tiny, 3 arms x 3 seeds, CPU (estimate ~40 min, quiet 2 cores)
    python benchmarks/ablation.py model=small --trainer gpu --records 20000   # on a GPU
    python benchmarks/ablation.py --seeds 1 --records 24 --eval-rows 4        # smoke run (minutes)
    python benchmarks/ablation.py --arms curriculum --out runs/ablation-apr --results docs/results/apr +model.apr_enabled=true

Three arms, each trained from the same seeds on corpora of the same records (same generate seed, so the
same clean documents, in the same order, are the training targets in every arm):
  none        no noise (conf/curriculum/none.yaml)
  curriculum  noise from progress 0.85, ramped to level 1 (conf/curriculum/default.yaml)
  uniform     the curriculum's mean level (0.075) at every progress (conf/curriculum/uniform.yaml)
Every run trains the same number of steps and tokens: the longest arm's one pass over its corpus (noisy
rows also hold their noisy input, so noisy corpora are a few % longer); shorter arms loop back over their
first rows for the difference (trainer.cycle=true), so no curriculum is cut short. Every model is evaluated by pipelines.evaluate on the same held-out sets (seed 1000, noise
levels 0 / 0.25 / 0.5 / 1). Writes OUT/ablation.json, OUT/ablation.md and OUT/ablation.png.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.evaluation import metrics as M  # noqa: E402
from pipelines.evaluate import HELDOUT_SEED, EvalConfig, evaluate, make_heldout  # noqa: E402
from pipelines.training.metrics import read_jsonl  # noqa: E402

ARMS = {"none": "none", "curriculum": "default", "uniform": "uniform"}  # arm -> conf/curriculum/<name>
HEADLINE = [  # (summary key, what it says, which direction is better)
    ("clean_lm_loss", "clean LM loss (noise-free text)", "lower"),
    ("copy_loss", "copy loss (level 0 input)", "lower"),
    ("denoise_loss", "clean-target loss, noisy input", "lower"),
    ("repair_exact_match", "repair exact match", "higher"),
    ("denoise_loss_typo", "clean-target loss, typo", "lower"),
    ("denoise_loss_logical", "clean-target loss, logical", "lower"),
    ("denoise_loss_adversarial", "clean-target loss, adversarial", "lower"),
    ("preference_rate", "consistent preferred (pairs)", "higher"),
    ("auroc", "inconsistency AUROC", "higher"),
    ("susceptibility", "adversarial susceptibility", "lower"),
]


def sh(cmd: list[str], log: Path) -> None:
    """Run one step of the ablation, its output kept in a log file named in any error."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as f:
        done = subprocess.run(cmd, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT)
    if done.returncode:
        raise SystemExit(f"ablation: failed ({done.returncode}): {' '.join(cmd)}\n  log: {log}\n"
                         + "".join(log.read_text().splitlines(keepends=True)[-15:]))


def make_corpora(out: Path, args: argparse.Namespace) -> dict[str, Path]:
    """One corpus per arm (same records, different curriculum) and one shared tokenizer."""
    py = sys.executable
    corpora = {arm: out / "data" / f"corpus-{curriculum}" for arm, curriculum in ARMS.items()}
    sh([py, "-m", "pipelines.generate", "-m", f"curriculum={','.join(ARMS.values())}",
        f"out_dir={out}/data/corpus-${{hydra:runtime.choices.curriculum}}", f"shards={args.shards}",
        f"records_per_shard={args.records}", f"seed={args.data_seed}", "progress=false"], out / "logs" / "generate.log")
    # One tokenizer, trained on the curriculum corpus (it holds clean and noisy text), copied to every arm.
    tok = out / "data" / "tokenizer"
    if not (tok / "tokenizer.json").is_file():
        sh([py, "-m", "pipelines.tokenizer", f"data={corpora['curriculum']}", f"out={tok}", f"vocab_size={args.vocab}"],
           out / "logs" / "tokenizer.log")
    return corpora


def equal_steps(corpora: dict[str, Path], out: Path, args: argparse.Namespace) -> tuple[int, dict[str, int]]:
    """The step count every arm trains for (the longest one pass) and each arm's own one pass.

    Noisy corpora are a little longer (their denoising rows also hold the noisy input), so the shorter
    arms loop back over their first rows for the difference (trainer.cycle): every arm then trains the
    same steps and tokens, and no arm's curriculum is cut short.
    """
    from pipelines.training.loading import count_tokens, one_pass_steps
    from pipelines.tokenizer import load_tokenizer

    tok_dir = out / "data" / "tokenizer"
    tok = load_tokenizer(tok_dir)
    passes = {arm: one_pass_steps(count_tokens(data, tok, cache_dir=tok_dir)["total"], args.seq_len, args.batch_size)
              for arm, data in corpora.items()}
    return max(passes.values()), passes


def train(arm: str, seed: int, data: Path, out: Path, args: argparse.Namespace) -> Path:
    run = out / "runs" / f"{arm}-seed{seed}"
    if (run / "export" / "model.safetensors").is_file():
        return run
    cycle = args.one_pass[arm] < args.steps
    cmd = [sys.executable, "-m", "pipelines.train", f"data={data}", f"tokenizer={out / 'data' / 'tokenizer'}",
           f"model={args.model}", f"trainer={args.trainer}", f"out_dir={run}", f"seed={seed}",
           f"trainer.steps={args.steps}", f"trainer.cycle={str(cycle).lower()}",
           f"trainer.seq_len={args.seq_len}", f"trainer.batch_size={args.batch_size}",
           f"trainer.micro_batch_size={args.batch_size}", "trainer.progress_bar=false", "trainer.tensorboard=false",
           "trainer.save_every=0", *([f"trainer.threads={args.threads}"] if args.threads else []), *args.overrides]
    sh(cmd, out / "logs" / f"train-{arm}-seed{seed}.log")
    return run


def run_summary(run: Path) -> dict[str, Any]:
    """Tokens read, steps, the last logged losses and the noise the run saw, from its metrics.jsonl."""
    records = read_jsonl(run / "metrics.jsonl")
    last = records[-1]
    return {"steps": last["step"], "tokens": last["tokens"], "final_loss": last["loss"],
            "denoise_examples": sum(r.get("denoise_examples", 0) for r in records),
            "max_noise_level": max(r.get("noise_level", 0.0) for r in records)}


def table(results: dict[str, list[dict[str, Any]]]) -> tuple[dict[str, dict[str, dict[str, float]]], str]:
    """Mean and spread over seeds per arm and metric, and the Markdown table of them."""
    stats = {arm: {key: M.mean_spread([r["summary"].get(key, math.nan) for r in runs]) for key, _, _ in HEADLINE}
             for arm, runs in results.items()}
    lines = ["| metric | better | " + " | ".join(results) + " |", "| --- | --- | " + " | ".join("---" for _ in results) + " |"]
    for key, label, better in HEADLINE:
        cells = []
        for arm in results:
            s = stats[arm][key]
            cells.append("–" if s["n"] == 0 else f"{s['mean']:.3f} ± {s['std']:.3f}")
        lines.append(f"| {label} | {better} | " + " | ".join(cells) + " |")
    return stats, "\n".join(lines)


def plot(results: dict[str, list[dict[str, Any]]], out: Path) -> str:
    """Mean clean-target loss and repair rate against noise level per arm (all families), seeds as error bars."""
    from pipelines.evaluation.report import _pyplot

    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for arm, runs in results.items():
        for ax, key in zip(axes, ("denoise_loss", "repair_exact_match")):
            levels = sorted({float(level) for r in runs for level in r["by_level"]})
            xs, ys, es = [], [], []
            for level in levels:
                values = []
                for r in runs:
                    fams = r["by_level"].get(str(level), {})
                    entry = fams.get("all") or fams.get("none") or {}
                    values.append(entry.get(key, math.nan) if entry.get(key) is not None else math.nan)
                s = M.mean_spread(values)
                if s["n"]:
                    xs.append(level), ys.append(s["mean"]), es.append(s["std"])
            ax.errorbar(xs, ys, yerr=es, marker="o", capsize=3, label=arm)
            ax.set_xlabel("held-out noise level")
            ax.set_title({"denoise_loss": "clean-target loss given noisy input",
                          "repair_exact_match": "exact-match repair of touched fields"}[key], fontsize=10)
            ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "ablation.png", dpi=110)
    plt.close(fig)
    return "ablation.png"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("overrides", nargs="*", help="extra pipelines.train overrides, e.g. model=small (model=... sets the preset)")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--arms", default=",".join(ARMS), help="arms to train (corpora and steps still cover all three)")
    p.add_argument("--shards", type=int, default=8)
    p.add_argument("--records", type=int, default=50, help="records per shard of each training corpus")
    p.add_argument("--data-seed", type=int, default=0)
    p.add_argument("--vocab", type=int, default=4096)
    p.add_argument("--seq-len", type=int, default=1024, help="long enough for a whole noisy -> clean example")
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--trainer", default="cpu")
    p.add_argument("--eval-rows", type=int, default=20, help="held-out rows per noise level")
    p.add_argument("--threads", type=int, default=None, help="torch threads for training and evaluation (1 on a shared CPU)")
    p.add_argument("--out", default=str(ROOT / "runs" / "ablation"))
    p.add_argument("--results", default=str(ROOT / "docs" / "results"))
    args = p.parse_args()
    args.model = next((o.split("=", 1)[1] for o in args.overrides if o.startswith("model=")), "tiny")
    args.overrides = [o for o in args.overrides if not o.startswith("model=")]
    out, results_dir = Path(args.out), Path(args.results)
    t0 = time.perf_counter()
    load = os.getloadavg()

    corpora = make_corpora(out, args)
    args.steps, args.one_pass = equal_steps(corpora, out, args)
    print(f"ablation: {args.steps} steps per run (one pass per arm: {args.one_pass})", flush=True)
    heldout = out / f"heldout-{args.eval_rows}"  # the generate job refuses a folder of another size
    make_heldout(heldout, HELDOUT_SEED, rows=args.eval_rows)
    print(f"ablation: corpora and held-out sets ready ({time.perf_counter() - t0:.0f} s)", flush=True)

    arms = [a for a in args.arms.split(",") if a]
    if unknown := set(arms) - set(ARMS):
        raise SystemExit(f"--arms: unknown {sorted(unknown)}; choose from {list(ARMS)}")
    results: dict[str, list[dict[str, Any]]] = {arm: [] for arm in arms}
    t_runs, done, total = time.perf_counter(), 0, args.seeds * len(arms)
    for seed in range(args.seeds):
        for arm in arms:
            t = time.perf_counter()
            run = train(arm, seed, corpora[arm], out, args)
            t_train = time.perf_counter() - t
            metrics = evaluate(EvalConfig(model=str(run / "export"), data=str(heldout), out=str(run / "eval"),
                                          max_rows=args.eval_rows, threads=args.threads))
            metrics["run"] = run_summary(run)
            metrics["run"].update(arm=arm, seed=seed, train_seconds=round(t_train, 1),
                                  eval_seconds=metrics["seconds"])
            results[arm].append(metrics)
            s = metrics["summary"]
            print(f"ablation: {arm} seed {seed}: {metrics['run']['steps']} steps in {t_train:.0f} s; "
                  f"clean LM {s['clean_lm_loss']:.3f}, denoise {s['denoise_loss']:.3f}, "
                  f"repair {s['repair_exact_match']:.3f}, AUROC {s['auroc']:.3f} (eval {metrics['seconds']:.0f} s)", flush=True)
            done += 1
            per_run = (time.perf_counter() - t_runs) / done
            print(f"ablation: {done}/{total} runs; about {per_run * (total - done) / 60:.0f} min left", flush=True)

    stats, md_table = table(results)
    results_dir.mkdir(parents=True, exist_ok=True)
    image = plot(results, results_dir)
    command = "python benchmarks/ablation.py " + " ".join(sys.argv[1:])
    elapsed = time.perf_counter() - t0
    payload = {"command": command.strip(), "seconds": round(elapsed, 1), "load_average_at_start": load,
               "config": {k: v for k, v in vars(args).items()}, "stats": stats,
               "runs": {arm: [{"run": r["run"], "summary": r["summary"], "by_level": r["by_level"]} for r in runs]
                        for arm, runs in results.items()}}
    from pipelines.evaluate import _jsonable

    (results_dir / "ablation.json").write_text(json.dumps(_jsonable(payload), indent=1) + "\n")
    tokens = {arm: sorted({r["run"]["tokens"] for r in runs}) for arm, runs in results.items()}
    (results_dir / "ablation.md").write_text(
        f"# Curriculum-denoising ablation\n\n`{payload['command']}` ({args.seeds} seed(s) per arm, model `{args.model}`, "
        f"{elapsed / 60:.1f} min, load average at start {load[0]:.1f}). Mean ± sample std over seeds; "
        f"noisy held-out levels pooled. Tokens read per run: {tokens}.\n\n{md_table}\n\n![{image}]({image})\n\n"
        "Definitions: docs/evaluation.md. Per-run metrics and per-level tables: ablation.json.\n")
    print(md_table)
    print(f"ablation: {elapsed / 60:.1f} min; wrote {results_dir / 'ablation.json'}, ablation.md, {image}")


if __name__ == "__main__":
    main()
