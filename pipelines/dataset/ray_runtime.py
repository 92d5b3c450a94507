"""Ray for the pipeline: an embedded, quiet, loopback-only local instance, or an existing cluster.

`ray` is imported inside these functions, never at module import: a local instance binds to 127.0.0.1
only when Ray reads RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 at its own import, before any server starts.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from pipelines.dataset.config import GenerateConfig, RayConfig
from pipelines.dataset.shards import make_shard

OUR_PACKAGES = ("world_model", "noise", "pipelines")
_LOOPBACK_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"  # "0": Ray advertises and binds 127.0.0.1 only
_task: Any = None


def is_local(cfg: RayConfig) -> bool:
    return cfg.address in (None, "", "local")


def start(cfg: RayConfig) -> bool:
    """Connect or start Ray once per process; returns True when this call started or joined it.

    `address` null starts a private local instance (never silently joins another one), without
    dashboard, on loopback only; "auto", "host:port" or "ray://host:port" joins a running cluster.
    """
    if is_local(cfg):
        os.environ[_LOOPBACK_ENV] = "0"  # inherited by GCS, raylet and workers
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no network calls from a laptop or CI
    import ray

    if ray.is_initialized():
        return False
    common: dict[str, Any] = dict(
        include_dashboard=False,
        logging_level=logging.WARNING,
        log_to_driver=cfg.log_to_driver,
        configure_logging=True,
    )
    if cfg.ship_code:
        common["runtime_env"] = {"py_modules": [_package_dir(name) for name in OUR_PACKAGES]}
    if is_local(cfg):
        from ray._private import ray_constants

        ray_constants.ENABLE_RAY_CLUSTER = False  # in case ray was imported before the variable was set
        # Token auth stays on (Ray's default for a new local instance); only its notice is silenced.
        logging.getLogger("ray._private.authentication.authentication_token_setup").setLevel(logging.ERROR)
        ray.init(
            address="local",
            num_cpus=cfg.num_cpus or os.cpu_count(),
            object_store_memory=cfg.object_store_memory,
            **common,
        )
    else:
        ray.init(address=cfg.address, **common)
    return True


def _package_dir(name: str) -> str:
    return str(Path(__import__(name).__file__).resolve().parent)


def cluster_cpus() -> int:
    """CPUs the whole cluster offers: the default number of shard tasks in flight."""
    import ray

    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def submit(cfg: GenerateConfig, index: int, folder_uri: str, fence: Any = None) -> Any:
    """One Ray task per shard, one CPU each; a task whose worker dies is retried and rewrites identically."""
    import ray

    global _task
    if _task is None:
        _task = ray.remote(num_cpus=1)(make_shard)
    return _task.options(max_retries=cfg.max_retries, name=f"shard-{index:05d}").remote(cfg, index, folder_uri, fence)
