"""Shared fixtures only."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def job_schemas() -> None:
    """Each job's schema defaults in Hydra's ConfigStore, as `python -m pipelines.JOB` registers them,
    so tests that compose conf/JOB.yaml with Hydra's compose API see what the CLI sees."""
    from pipelines import cli
    from pipelines.dataset.config import GenerateConfig
    from pipelines.demo import DemoConfig
    from pipelines.evaluation.config import EvalConfig
    from pipelines.summary import SummaryConfig
    from pipelines.training.config import TrainConfig
    from pipelines.training.tokenizer import TokenizerConfig
    from pipelines.verify import VerifyConfig

    for name, schema in (("generate", GenerateConfig), ("verify", VerifyConfig), ("summary", SummaryConfig),
                         ("tokenizer", TokenizerConfig), ("train", TrainConfig), ("evaluate", EvalConfig),
                         ("demo", DemoConfig)):
        cli.register(cli.Job(name, schema, lambda cfg: None))


@pytest.fixture(scope="session")
def ray_address() -> str:
    """One real local Ray instance for the whole test session (Ray 2.60 has no local_mode); its GCS address."""
    import os

    from pipelines.dataset import ray_runtime
    from pipelines.dataset.config import RayConfig

    started = ray_runtime.start(RayConfig(num_cpus=os.cpu_count(), log_to_driver=False))
    import ray

    yield ray.get_runtime_context().gcs_address
    if started:
        ray.shutdown()


# ---- trainer fixtures (one small generated corpus and its tokenizer per test session) --------------

TRAIN_CORPUS = dict(shards=4, records_per_shard=16, seed=0, progress=False)  # default curriculum: noise from 0.85
TRAIN_VOCAB = 1024


@pytest.fixture(scope="session")
def train_corpus(tmp_path_factory, ray_address) -> str:
    """A corpus made by the real generate pipeline (default curriculum) with a tokenizer in DATA/tokenizer."""
    from pathlib import Path

    import yaml

    from pipelines.training import tokenizer
    from pipelines.dataset.config import validate
    from pipelines.dataset.build import run

    domain = yaml.safe_load((Path(__file__).resolve().parent.parent / "conf/domain/mixed.yaml").read_text())
    out = tmp_path_factory.mktemp("train") / "data"
    run(validate(TRAIN_CORPUS | {"domain": domain, "out_dir": str(out)}))
    tokenizer.build(out, vocab_size=TRAIN_VOCAB)
    return str(out)


TRAIN_FAST = dict(seq_len=32, batch_size=4, micro_batch_size=4, threads=1, progress_bar=False, prefetch=1)


@pytest.fixture(scope="session")
def train_config(train_corpus):
    """Factory of in-process TrainConfigs for the tiny preset on the session corpus (small, 1 thread: CI has 2 cores)."""
    from pathlib import Path

    import yaml

    from pipelines.training.config import TrainConfig, TrainerConfig

    conf = Path(__file__).resolve().parent.parent / "conf"
    fields = yaml.safe_load((conf / "model/tiny.yaml").read_text())
    cpu = yaml.safe_load((conf / "trainer/cpu.yaml").read_text()) or {}  # over the schema defaults, as the CLI composes

    def make(out_dir, **trainer) -> TrainConfig:
        return TrainConfig(data=train_corpus, out_dir=str(out_dir), model=fields,
                           trainer=TrainerConfig(**(cpu | TRAIN_FAST | trainer)))

    return make


@pytest.fixture
def one_thread():
    """Tiny tensors on a small shared CPU: a second OpenMP thread only spin-waits."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ---- object storage: a real S3 API (moto's server) for tests that take s3:// paths --------------------
from object_store import s3_bucket, s3_server  # noqa: E402,F401
