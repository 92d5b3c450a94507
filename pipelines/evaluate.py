"""Robustness evaluation of an exported model on held-out sets at fixed noise levels.

    python -m pipelines.evaluate export=RUN/export data=HELDOUT_DIR [out=DIR] [max_rows=200] [batch_size=8]

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
Writes OUT/metrics.json, OUT/report.md and OUT/*.png (default OUT: EXPORT/../eval).
"""

from __future__ import annotations

from pipelines import cli
from pipelines.evaluation.config import EvalConfig
from pipelines.evaluation.heldout import HELDOUT_LEVELS, HELDOUT_SEED, discover, make_heldout  # noqa: F401 - benchmarks import them here
from pipelines.dataset.storage import Folder, normalize
from pipelines.evaluation.job import evaluate, out_dir
from pipelines.evaluation.job import jsonable as _jsonable  # noqa: F401 - benchmarks/ablation.py imports it here


def run(cfg: EvalConfig) -> None:
    """Check the inputs, evaluate, print the headline numbers and where the report is."""
    if not Folder(normalize(cfg.model)).is_file("config.json"):
        raise cli.InputError(f"export={cfg.model}: no exported model (config.json) there; "
                             "pass a training run's export/ folder (trainer.export=true writes it)")
    try:
        discover(cfg.data)
    except (FileNotFoundError, ValueError) as err:
        raise cli.InputError(f"data={cfg.data}: {cli.one_line(str(err))}") from None
    metrics = evaluate(cfg)
    s = metrics["summary"]
    out = out_dir(cfg)
    print(f"evaluate: clean LM loss {s['clean_lm_loss']:.3f}, denoise loss {s['denoise_loss']:.3f}, "
          f"repair {s['repair_exact_match']:.3f}, preference {s['preference_rate']:.3f}, AUROC {s['auroc']:.3f}, "
          f"susceptibility {s['susceptibility']:.3f} ({metrics['seconds']} s); report {out}/report.md")


def main() -> None:
    cli.main(cli.Job("evaluate", EvalConfig, run, __doc__))


if __name__ == "__main__":
    main()
