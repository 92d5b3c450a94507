"""The generate job's configuration: Hydra composes it, pydantic checks it before anything runs."""

from __future__ import annotations

import hashlib
import importlib
import json
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from noise import Curriculum, NoiseConfig
from pipelines.dataset.schema import SCHEMA_VERSION
from pipelines.errors import InputError

# Keys that say how and where to run, not what to produce: they never change a shard's bytes,
# so they are left out of the config hash and may differ between a run and its resumption.
RUN_KEYS = frozenset({"out_dir", "workers", "overwrite", "progress", "max_retries", "ray"})


class DomainConfig(BaseModel, extra="forbid"):
    """Which domains rows are drawn from, with weights; `imports` registers plug-in domains everywhere."""

    name: str = Field(min_length=1)
    weights: dict[str, float]
    imports: list[str] = Field(default_factory=list)

    @field_validator("weights")
    @classmethod
    def _positive(cls, weights: dict[str, float]) -> dict[str, float]:
        if any(w < 0 for w in weights.values()):
            raise ValueError("weights must be >= 0")
        kept = {k: float(w) for k, w in sorted(weights.items()) if w > 0}
        if not kept:
            raise ValueError("at least one domain needs a weight > 0")
        return kept

    @model_validator(mode="after")
    def _registered(self) -> DomainConfig:
        import world_model

        for module in self.imports:
            importlib.import_module(module)
        known = world_model.domains()
        unknown = sorted(set(self.weights) - set(known))
        if unknown:
            raise ValueError(f"unknown domain(s) {unknown}; registered: {known}")
        return self


class RayConfig(BaseModel, extra="forbid"):
    """Where tasks run: an embedded local instance (address null) or an existing cluster (cluster: true + address)."""

    address: str | None = None  # null: start a local instance; "HOST:PORT" (the head's GCS) or "ray://HOST:10001"
    cluster: bool = False  # set by ray=cluster: join a running cluster, at `address` (or RAY_ADDRESS); never guess one
    num_cpus: int | None = Field(None, ge=1)  # local instance only; default: all cores
    object_store_memory: int | None = Field(None, ge=78_643_200)  # bytes, local only
    ship_code: bool = False  # send our packages to cluster workers (runtime_env py_modules)
    log_to_driver: bool = True

    @model_validator(mode="after")
    def _cluster_needs_an_address(self) -> "RayConfig":
        if self.cluster and self.address in (None, "", "local"):
            raise ValueError("ray=cluster needs ray.address=HEAD_IP:PORT (the port of `ray start --head --port=PORT`), "
                             "ray://HEAD_IP:10001 from outside the cluster, or RAY_ADDRESS set; ray=local runs here")
        if self.cluster and self.address == "auto":
            raise ValueError("ray.address=auto joins whichever cluster this machine last started; "
                             "name it: ray.address=HEAD_IP:PORT")
        return self


class GenerateConfig(BaseModel, extra="forbid"):
    """One generate job; every field but RUN_KEYS decides the bytes of the shards."""

    out_dir: str = Field(min_length=1)
    shards: int = Field(8, ge=1, le=99_999)
    records_per_shard: int = Field(1000, ge=1, le=9_999_999)
    seed: int = Field(0, ge=0)
    domain: DomainConfig
    noise: NoiseConfig = Field(default_factory=NoiseConfig)
    curriculum: Curriculum = Field(default_factory=Curriculum)
    noise_level: float | None = Field(None, ge=0.0, le=1.0)  # set: every row gets this level (held-out sets)
    max_doc_bytes: int | None = Field(None, ge=64)  # set: each clean document cut to <= this many UTF-8 bytes
    split: str = Field("train", pattern=r"^[A-Za-z0-9_]+$")
    row_group_size: int = Field(1000, ge=1)
    compression_level: int = Field(3, ge=1, le=22)
    workers: int | None = Field(None, ge=1)  # tasks in flight; default: all CPUs of the Ray cluster
    max_retries: int = Field(3, ge=0)
    overwrite: bool = False
    progress: bool = True
    ray: RayConfig = Field(default_factory=RayConfig)

    @property
    def rows(self) -> int:
        return self.shards * self.records_per_shard

    def content(self) -> dict[str, Any]:
        """The part of the config that decides what is written, as plain JSON data."""
        return self.model_dump(mode="json", exclude=set(RUN_KEYS))

    def content_hash(self) -> str:
        return config_hash(self.content())


def config_hash(content: dict[str, Any]) -> str:
    """A short stable hash of the content config and the schema version."""
    blob = json.dumps({"schema_version": SCHEMA_VERSION, "config": content}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted keys to leaf values, so two configs can be compared key by key."""
    if isinstance(data, dict) and data:
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(flatten(value, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: data}


def differing_keys(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """`key: old -> new` for every dotted key whose value differs between two content configs."""
    a, b = flatten(old), flatten(new)
    missing = object()
    return [
        f"{k}: {a.get(k, '<unset>')!s} -> {b.get(k, '<unset>')!s}"
        for k in sorted(set(a) | set(b))
        if a.get(k, missing) != b.get(k, missing)
    ]


class ConfigError(InputError):
    """A config that must not run; the message is one line naming the offending field(s)."""


def validate(data: dict[str, Any]) -> GenerateConfig:
    """Pydantic-check a composed config and turn every error into one line naming its field."""
    try:
        return GenerateConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(describe(err)) from None


def describe(err: ValidationError) -> str:
    parts = []
    for e in err.errors(include_url=False):
        where = ".".join(str(p) for p in e["loc"]) or "config"
        got = "" if e["type"] in ("missing", "value_error") else f" (got {_short(e.get('input'))})"
        parts.append(f"{where}: {e['msg']}{got}")
    return "; ".join(parts)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
