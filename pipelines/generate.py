"""`python -m pipelines.generate [overrides]`: plan shards, run one Ray task per shard, write the manifest last.

    python -m pipelines.generate domain=medical shards=64 records_per_shard=10000
    python -m pipelines.generate out_dir=runs/heldout-0.5 seed=1 noise_level=0.5
    python -m pipelines.generate -m curriculum.max_level=0.5,1.0
    python -m pipelines.generate ray=cluster out_dir=s3://bucket/corpus   # on a running Ray cluster

A re-run with the same config keeps the shards already written; a folder holding another config's
dataset is refused (exit 3) naming the keys that differ, unless overwrite=true.
"""

from __future__ import annotations

from pipelines import cli
from pipelines.dataset.build import run
from pipelines.dataset.config import GenerateConfig
from pipelines.dataset.manifest import MANIFEST, SHARD_DIR


def generate(cfg: GenerateConfig) -> None:
    """Build the dataset and say where it is."""
    report = run(cfg)
    cli.say(f"{report.rows:,} rows in {report.shards} shards at {report.out}/{SHARD_DIR} "
            f"({len(report.written)} written, {report.up_to_date} up to date); manifest {report.out}/{MANIFEST}")


def main() -> None:
    cli.main(cli.Job("generate", GenerateConfig, generate, __doc__, groups=("domain", "noise", "curriculum", "ray")))


if __name__ == "__main__":
    main()
