"""The whole story on a laptop: generate a small corpus, train its tokenizer, train `tiny` through the noise ramp.

    python -m pipelines.demo [out_dir=runs/demo] [shards=8] [records_per_shard=40] [vocab_size=2048] [model=tiny]
    python -m pipelines.demo 'train=["trainer.lr=1e-3"]'     # extra overrides for the train stage

Each stage runs the command a user would type (printed before it runs), so the demo doubles as a recipe.
The corpus is sized so that one pass of `tiny` (trainer.steps=auto) takes a few minutes on two CPU cores;
the run reads every row once, so it ends in the curriculum's noise ramp (progress 0.85 -> 1).
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time

from pydantic import BaseModel, Field

from pipelines import cli
from pipelines.errors import CheckFailed

TRAIN = ["trainer.seq_len=64", "trainer.batch_size=8", "trainer.micro_batch_size=8", "trainer.steps=auto",
         "trainer.save_every=100", "trainer.threads=1"]  # one thread: on a shared or small CPU, OpenMP spinning costs more


class DemoConfig(BaseModel, extra="forbid"):
    """The demo: where it writes, how big the corpus and vocabulary are, which model preset trains."""

    out_dir: str = Field("runs/demo", min_length=1)  # data/ (corpus, tokenizer) and train/ (the run)
    shards: int = Field(8, ge=1)
    records_per_shard: int = Field(40, ge=1)
    vocab_size: int = Field(2048, ge=260)
    model: str = Field("tiny", pattern=r"^[A-Za-z0-9_]+$")  # a conf/model preset
    train: list[str] = Field(default_factory=list)  # extra `python -m pipelines.train` overrides, as typed


def _stage(title: str, cmd: list[str]) -> float:
    """Run one stage's command, streaming its output; stop the demo when it fails."""
    print(f"\n== {title}\n$ {shlex.join(['python', *cmd[1:]])}", flush=True)
    start = time.perf_counter()
    done = subprocess.run(cmd)
    if done.returncode:
        raise CheckFailed(f"stage `{title}` failed (exit {done.returncode}); its own message is above")
    return time.perf_counter() - start


def demo(cfg: DemoConfig) -> None:
    """Run the four stages, then say where everything is and what the curriculum did to the loss."""
    from pipelines.dataset.storage import Folder, join, normalize

    out = normalize(cfg.out_dir)  # a local path or a URI (s3://...): every stage takes either
    if Folder(out).is_file(""):
        raise cli.InputError(f"out_dir={cfg.out_dir}: a file, not a folder; pick another out_dir")
    data, run_dir = join(out, "data"), join(out, "train")
    py = sys.executable
    seconds = {
        "generate": _stage("generate a corpus (Ray, one task per shard)", [
            py, "-m", "pipelines.generate", f"out_dir={data}", f"shards={cfg.shards}",
            f"records_per_shard={cfg.records_per_shard}", "progress=false"]),
        "summary": _stage(f"what the corpus holds (shards: {data}/shards, manifest: {data}/manifest.json)", [
            py, "-m", "pipelines.summary", f"data={data}"]),
        "tokenizer": _stage("train the byte-level BPE tokenizer", [
            py, "-m", "pipelines.tokenizer", f"data={data}", f"vocab_size={cfg.vocab_size}"]),
        "train": _stage(f"train {cfg.model} for one pass over the corpus (noise only from progress 0.85)", [
            py, "-m", "pipelines.train", f"data={data}", f"out_dir={run_dir}", f"model={cfg.model}", *TRAIN, *cfg.train]),
    }
    print(_summary(run_dir, seconds))


def _mean_loss(records: list[dict]) -> float | None:
    """Mean logged loss over steps that had targets (a step of only noisy input logs null)."""
    losses = [r["loss"] for r in records if r.get("loss") is not None]
    return sum(losses) / len(losses) if losses else None


def _summary(run_dir: str, seconds: dict[str, float]) -> str:
    """Where everything is, and what the curriculum did to the loss."""
    from pipelines.training.metrics import read_jsonl

    records = read_jsonl(f"{run_dir}/metrics.jsonl")
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
        f"corpus:      {run_dir.rpartition('/')[0]}/data  (shards/, manifest.json, tokenizer/)",
        f"metrics:     {run_dir}/metrics.jsonl",
        f"TensorBoard: tensorboard --logdir {run_dir}/tensorboard",
        f"checkpoints: {run_dir}/checkpoints",
        f"export:      {run_dir}/export  (transformers.AutoModelForCausalLM / AutoTokenizer.from_pretrained)",
    ]
    return "\n".join(lines)


def main() -> None:
    cli.main(cli.Job("demo", DemoConfig, demo, __doc__))


if __name__ == "__main__":
    main()
