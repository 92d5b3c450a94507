"""`python -m pipelines.summary data=DATASET_DIR`: rows per domain, per noise family and per noise level, as tables."""

from __future__ import annotations

import pyarrow as pa
from pydantic import BaseModel, Field

from pipelines import cli
from pipelines.dataset import manifest
from pipelines.dataset.storage import normalize
from pipelines.dataset.tally import count, format_tables


class SummaryConfig(BaseModel, extra="forbid"):
    """The summary job: which dataset."""

    data: str = Field(min_length=1)  # a folder written by `python -m pipelines.generate` (path or URI)


def summary(cfg: SummaryConfig) -> int:
    """Count the dataset's rows and print the tables."""
    cli.require_folder(cfg.data)
    try:
        m = manifest.load(cfg.data)
        views = count(cfg.data)
    except (FileNotFoundError, ValueError, OSError, pa.ArrowException) as err:
        raise cli.InputError(f"data={cfg.data}: {cli.one_line(str(err))}") from None
    print(f"{normalize(cfg.data)}: {m.rows:,} rows in {len(m.shards)} shards "
          f"(shards/*.parquet), config {m.config_hash}, seed {m.seed}\n")
    print(format_tables(views))
    return cli.EXIT_OK


def main() -> None:
    cli.main(cli.Job("summary", SummaryConfig, summary, __doc__))


if __name__ == "__main__":
    main()
