"""The evaluate job's configuration (conf/evaluate.yaml); bad values fail before the model loads."""

from __future__ import annotations

from pydantic import AliasChoices, BaseModel, Field


class EvalConfig(BaseModel, extra="forbid", populate_by_name=True):
    """Which exported model on which held-out sets, and how to run it."""

    # The key is `export` on the command line (`model` names the trainer's config group there);
    # EvalConfig(model=...) still works in Python.
    model: str = Field(min_length=1, validation_alias=AliasChoices("export", "model"), serialization_alias="export")
    data: str = Field(min_length=1)  # one held-out dataset, or a folder of them (one per noise level)
    out: str | None = None  # default: EXPORT/../eval
    max_rows: int = Field(200, ge=1)  # rows read per held-out set
    batch_size: int = Field(8, ge=1)
    device: str = Field("auto", pattern=r"^(auto|cpu|cuda(:\d+)?)$")
    threads: int | None = Field(None, ge=1)  # torch intra-op threads; 1 on a loaded CPU (OpenMP spin-waits)
    plots: bool = True
