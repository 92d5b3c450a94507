"""Shared fixtures only."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def ray_address() -> str:
    """One real local Ray instance for the whole test session (Ray 2.60 has no local_mode); its GCS address."""
    import os

    from pipelines import ray_runtime
    from pipelines.config import RayConfig

    started = ray_runtime.start(RayConfig(num_cpus=os.cpu_count(), log_to_driver=False))
    import ray

    yield ray.get_runtime_context().gcs_address
    if started:
        ray.shutdown()
