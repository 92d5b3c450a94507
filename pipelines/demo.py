"""The whole story on a laptop: generate a small corpus, train its tokenizer, train `tiny` through the noise ramp.

    python -m pipelines.demo [out_dir=runs/demo] [shards=8] [records_per_shard=40] [vocab_size=2048] [trainer.KEY=VALUE ...]

Each stage runs the command a user would type (printed before it runs), so the demo doubles as a recipe.
The corpus is sized so that one pass of `tiny` (trainer.steps=auto) takes a few minutes on two CPU cores;
the run reads every row once, so it ends in the curriculum's noise ramp (progress 0.85 -> 1).
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path

DEFAULTS = {"out_dir": "runs/demo", "shards": "8", "records_per_shard": "40", "vocab_size": "2048"}
TRAIN = ["model=tiny", "trainer.seq_len=64", "trainer.batch_size=8", "trainer.micro_batch_size=8", "trainer.steps=auto",
         "trainer.save_every=100", "trainer.threads=1"]  # one thread: on a shared or small CPU, OpenMP spinning costs more


def _parse(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    """Known keys, plus `trainer.*` / `model=` overrides handed to the train command as they are."""
    args, extra = dict(DEFAULTS), []
    for a in argv:
        key, eq, value = a.partition("=")
        if eq and key in DEFAULTS:
            args[key] = value
        elif eq and (key.startswith("trainer.") or key in ("model", "seed")):
            extra.append(a)
        else:
            raise SystemExit(f"usage: {__doc__.strip().splitlines()[2].strip()}; bad argument {a!r}")
    return args, extra


def _stage(title: str, cmd: list[str]) -> float:
    """Run one stage's command, streaming its output; stop the demo when it fails."""
    print(f"\n== {title}\n$ {shlex.join(['python', *cmd[1:]])}", flush=True)
    start = time.perf_counter()
    done = subprocess.run(cmd)
    if done.returncode:
        raise SystemExit(f"demo: `{title}` failed (exit {done.returncode})")
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    args, extra = _parse(sys.argv[1:] if argv is None else argv)
    out = Path(args["out_dir"]).resolve()
    data, run_dir = out / "data", out / "train"
    py = sys.executable
    seconds = {
        "generate": _stage("generate a corpus (Ray, one task per shard)", [
            py, "-m", "pipelines.generate", f"out_dir={data}", f"shards={args['shards']}",
            f"records_per_shard={args['records_per_shard']}", "progress=false"]),
        "summary": _stage(f"what the corpus holds (shards: {data / 'shards'}, manifest: {data / 'manifest.json'})", [
            py, "-m", "pipelines.summary", str(data)]),
        "tokenizer": _stage("train the byte-level BPE tokenizer", [
            py, "-m", "pipelines.tokenizer", f"data={data}", f"vocab_size={args['vocab_size']}"]),
        "train": _stage("train tiny for one pass over the corpus (noise only from progress 0.85)", [
            py, "-m", "pipelines.train", f"data={data}", f"out_dir={run_dir}", *TRAIN, *extra]),
    }
    print(_summary(run_dir, seconds))


def _mean_loss(records: list[dict]) -> float | None:
    """Mean logged loss over steps that had targets (a step of only noisy input logs null)."""
    losses = [r["loss"] for r in records if r.get("loss") is not None]
    return sum(losses) / len(losses) if losses else None


def _summary(run_dir: Path, seconds: dict[str, float]) -> str:
    """Where everything is, and what the curriculum did to the loss."""
    from pipelines.training.metrics import read_jsonl

    records = read_jsonl(run_dir / "metrics.jsonl")
    lines = ["", "== demo done (" + ", ".join(f"{k} {v:.0f}s" for k, v in seconds.items()) + ")"]
    if records:
        clean = [r for r in records if r["noise_level"] == 0]
        noisy = [r for r in records if r["noise_level"] > 0]
        first, at300 = _mean_loss(records[:10]), _mean_loss(records[290:300])
        if first and at300:
            lines.append(f"loss, mean of steps 1-10 -> 291-300: {first:.3f} -> {at300:.3f} ({1 - at300 / first:.0%} lower)")
        lines.append(f"steps {len(records)}: "
                     f"noise 0 for {len(clean)} steps, then the ramp over {len(noisy)} steps "
                     f"(up to level {max((r['noise_level'] for r in noisy), default=0):.2f}, "
                     f"{sum(r['denoise_examples'] for r in records)} denoising examples)")
    lines += [
        f"corpus:      {run_dir.parent / 'data'}  (shards/, manifest.json, tokenizer/)",
        f"metrics:     {run_dir / 'metrics.jsonl'}",
        f"TensorBoard: tensorboard --logdir {run_dir / 'tensorboard'}",
        f"checkpoints: {run_dir / 'checkpoints'}",
        f"export:      {run_dir / 'export'}  (transformers.AutoModelForCausalLM / AutoTokenizer.from_pretrained)",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
