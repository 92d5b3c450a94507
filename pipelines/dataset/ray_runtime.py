"""Ray for the pipeline: an embedded, quiet, loopback-only local instance, or an existing cluster.

`ray` is imported inside these functions, never at module import: a local instance binds to 127.0.0.1
only when Ray reads RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 at its own import, before any server starts.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Any, Iterator

from pipelines.dataset.config import GenerateConfig, RayConfig
from pipelines.dataset.shards import Built, make_shard
from pipelines.errors import InputError

OUR_PACKAGES = ("world_model", "noise", "pipelines")
_LOOPBACK_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"  # "0": Ray advertises and binds 127.0.0.1 only
_task: Any = None


def is_local(cfg: RayConfig) -> bool:
    return cfg.address in (None, "", "local")


def start(cfg: RayConfig) -> bool:
    """Connect or start Ray once per process; returns True when this call started or joined it.

    `address` null starts a private local instance (never silently joins another one), without
    dashboard, on loopback only; "host:port" or "ray://host:port" joins a running cluster, and a
    refused token or no answer there is one line (InputError, exit 2) saying what to fix.
    """
    if is_local(cfg):
        os.environ[_LOOPBACK_ENV] = "0"  # inherited by GCS, raylet and workers
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no network calls from a laptop or CI
    if not is_local(cfg):
        os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")  # a refused connect is reported once, below
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
        _join(cfg.address, common)
    return True


AUTH_FIX = ("export RAY_AUTH_MODE=token and the cluster's token (RAY_AUTH_TOKEN, RAY_AUTH_TOKEN_PATH or "
            "~/.ray/auth_token; `ray get-auth-token` on the head prints it) on the driver and every node")


def _join(address: str, common: dict[str, Any]) -> None:
    """ray.init on a running cluster; its failures become one line naming the fix.

    Ray reports a refused token and an empty port alike (ConnectionError after ~30 s), so a TCP probe of
    the GCS port tells them apart: nothing listening -> no cluster; listening but refused -> the token.
    """
    import ray

    answers = _port_open(address)
    if answers is False:  # ray.init would wait minutes for a GCS that is not there
        raise InputError(f"ray.address={address}: nothing listens there; start the head with "
                         "`ray start --head --port=PORT` and pass its HEAD_IP:PORT, or use ray=local")
    try:
        with _stderr_kept_unless_failed():
            ray.init(address=address, **common)
    except Exception as err:  # noqa: BLE001 - Ray raises ConnectionError, RuntimeError or its own types here
        text = str(err).lower()
        if answers or any(w in text for w in ("auth", "token")):
            raise InputError(f"ray.address={address}: a Ray cluster answers there but refused this driver "
                             f"(a missing or different token); {AUTH_FIX}") from err
        if isinstance(err, (ConnectionError, TimeoutError)) or "connect" in text:
            raise InputError(f"ray.address={address}: cannot connect ({str(err).strip().splitlines()[0][:160]}); "
                             "check the address, or use ray=local") from err
        raise


@contextlib.contextmanager
def _stderr_kept_unless_failed() -> Iterator[None]:
    """Hold what Ray's C++ client writes to fd 2 while connecting: replayed on success, dropped on failure
    (a refused token is logged there once a second; the one line below replaces it)."""
    import sys
    import tempfile

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        held.seek(0)
        os.write(2, held.read())


def _port_open(address: str) -> bool | None:
    """Whether HOST:PORT accepts a TCP connection; None when the address is not HOST:PORT (ray://, auto)."""
    import socket

    host, _, port = address.rpartition(":")
    if "://" in address or not host or not port.isdigit():
        return None
    try:
        with socket.create_connection((host, int(port)), timeout=5):
            return True
    except OSError:
        return False


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
        _task = ray.remote(num_cpus=1)(_shard_task)
    return _task.options(max_retries=cfg.max_retries, name=f"shard-{index:05d}").remote(cfg, index, folder_uri, fence)


def _shard_task(cfg: GenerateConfig, index: int, folder_uri: str, fence: Any = None) -> Built:
    """make_shard, and on a cluster one log line saying which node built the shard (not in the shard's bytes)."""
    built = make_shard(cfg, index, folder_uri, fence)
    if not is_local(cfg.ray):
        import ray

        print(f"generate: shard {index:05d} built on node {ray.get_runtime_context().get_node_id()}", flush=True)
    return built
