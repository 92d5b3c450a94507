"""Robustness evaluation of an exported model on held-out sets at fixed noise levels.

    python -m pipelines.evaluate model=RUN/export data=HELDOUT_DIR [out=DIR] [max_rows=200] [batch_size=8]

HELDOUT_DIR holds one dataset per noise level, made by the generate job with a seed the training
corpus did not use and a fixed level for every row (`pipelines.evaluation.heldout.make_heldout` makes
them in process; on the command line the same sets are):

    python -m pipelines.generate -m 'out_dir=HELDOUT_DIR/level-${noise_level}' seed=1000 \
        noise_level=0.0,0.25,0.5,1.0 shards=1 records_per_shard=200

The same seed gives the same records and renderings at every level; only the noise differs. Each
family is scored on its own (pipelines/evaluation/cases.py), field spans read from the shards.
Metrics (docs/evaluation.md says how each is defined):
  denoise_loss         clean-target loss given the noisy input, nats per target token (level 0: a copy)
  repair_exact_match   touched field values the model reproduces exactly (greedy given the true prefix)
  preference_rate      consistent record has the lower loss than its logically violated twin
  auroc                of the per-token loss as an inconsistency detector (violated = positive)
  susceptibility       field completions changed by a misleading preface / contradictory instruction
  clean_lm_loss        plain language-modelling loss on noise-free text
Writes OUT/metrics.json, OUT/report.md and OUT/*.png (default OUT: MODEL/../eval).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from pipelines.evaluation.heldout import HELDOUT_LEVELS, HELDOUT_SEED, make_heldout  # noqa: F401 - benchmarks import them here
from pipelines.evaluation.job import evaluate
from pipelines.evaluation.job import jsonable as _jsonable  # noqa: F401 - benchmarks/ablation.py imports it here


class EvalConfig(BaseModel, extra="forbid"):
    """The job's arguments; bad values fail before the model loads."""

    model: str  # an export folder: model (config.json + model.safetensors) and tokenizer
    data: str  # one held-out dataset, or a folder of them (one per noise level)
    out: str | None = None  # default: MODEL/../eval
    max_rows: int = Field(200, ge=1)  # rows read per held-out set
    batch_size: int = Field(8, ge=1)
    device: str = "auto"
    threads: int | None = Field(None, ge=1)  # torch intra-op threads; 1 on a loaded CPU (OpenMP spin-waits)
    plots: bool = True


def _parse(argv: list[str]) -> EvalConfig:
    usage = "usage: python -m pipelines.evaluate model=EXPORT_DIR data=HELDOUT_DIR [out=DIR] [max_rows=N] [batch_size=N] [device=cpu|cuda] [threads=N] [plots=false]"
    args: dict[str, Any] = {}
    for a in argv:
        key, eq, value = a.partition("=")
        if not eq or key not in EvalConfig.model_fields:
            raise SystemExit(f"{usage}; bad argument {a!r}")
        args[key] = value
    try:
        return EvalConfig.model_validate(args)
    except ValidationError as err:
        raise SystemExit(f"{usage}; {err.errors(include_url=False)[0]['loc'][0]}: {err.errors(include_url=False)[0]['msg']}")


def main(argv: list[str] | None = None) -> None:
    cfg = _parse(sys.argv[1:] if argv is None else argv)
    metrics = evaluate(cfg)
    s = metrics["summary"]
    out = Path(cfg.out) if cfg.out else Path(cfg.model).resolve().parent / "eval"
    print(f"evaluate: clean LM loss {s['clean_lm_loss']:.3f}, denoise loss {s['denoise_loss']:.3f}, "
          f"repair {s['repair_exact_match']:.3f}, preference {s['preference_rate']:.3f}, AUROC {s['auroc']:.3f}, "
          f"susceptibility {s['susceptibility']:.3f} ({metrics['seconds']} s); report {out / 'report.md'}")


if __name__ == "__main__":
    main()
