"""Token files: the corpus tokenized once (on Ray, byte-identical for any worker count, resumable), each rank
reading only its share of them, with the global batch the tokenizing reference loader hands out."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from pipelines.dataset.config import RayConfig
from pipelines.errors import InputError
from pipelines.training.loading import Corpus, Loader, TokenizingLoader, tokenizer_fingerprint
from pipelines.training.token_files import tokenize_on_ray
from pipelines.training.tokenizer import load_tokenizer
from pipelines.training.tokens import folder_of

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def tok(train_corpus):
    return load_tokenizer(Path(train_corpus) / "tokenizer")


def copy_corpus(src: str, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("tokens"))
    return dst


def same_batch(a, b) -> None:
    assert len(a.micro) == len(b.micro)
    for x, y in zip(a.micro, b.micro):
        assert torch.equal(x.input_ids, y.input_ids) and torch.equal(x.labels, y.labels) and torch.equal(x.roles, y.roles)
    assert (a.targets, a.examples, a.denoise_examples, a.epoch) == (b.targets, b.examples, b.denoise_examples, b.epoch)
    assert a.progress == b.progress and a.noise_level == pytest.approx(b.noise_level, rel=1e-5, abs=1e-9)


@pytest.mark.parametrize("whole_rows", [False, True])
@pytest.mark.parametrize("world", [1, 2, 4])
def test_each_rank_gets_what_the_tokenizing_loader_gave_it(train_corpus, tok, whole_rows, world):
    """Over an epoch end (cycle), with MTP depth 2: ids, labels, roles and every global fact, rank by rank."""
    corpus = Corpus.open(train_corpus)
    lengths = np.diff(Loader(corpus, tok, 8, 8, 2, prefetch=0).tokens.starts)
    seq = int(np.percentile(lengths, 70)) if whole_rows else 256  # whole rows: some rows do not fit a window
    for rank in range(world):
        kw = dict(rank=rank, world=world, cycle=True, mtp_depth=2, prefetch=0, whole_rows=whole_rows)
        old = []
        for batch in TokenizingLoader(corpus, tok, seq, 8, 2, **kw):  # until two steps into the second pass
            old.append(batch)
            if batch.epoch >= 1 and len([b for b in old if b.epoch >= 1]) >= 2:
                break
        new = list(itertools.islice(Loader(corpus, tok, seq, 8, 2, **kw), len(old)))
        assert len(new) == len(old) and old[-1].epoch >= 1
        for a, b in zip(old, new):
            same_batch(a, b)


def test_loader_worker_processes_hand_out_the_same_batches(train_corpus, tok):
    corpus = Corpus.open(train_corpus)
    direct = list(itertools.islice(Loader(corpus, tok, 48, 8, 2, rank=1, world=2, prefetch=0), 6))
    loader = Loader(corpus, tok, 48, 8, 2, rank=1, world=2, prefetch=2, workers=2)
    pooled = list(itertools.islice(loader, 6))
    loader.close()
    for a, b in zip(direct, pooled):
        same_batch(a, b)
        assert a.position == b.position
    assert all(b.wait_s >= 0 for b in pooled)


def test_token_files_are_byte_identical_for_one_or_two_workers_and_a_rerun_resumes(tmp_path, train_corpus, tok, ray_address):
    made = {}
    for workers in (1, 2):
        data = copy_corpus(train_corpus, tmp_path / f"w{workers}")
        tokenize_on_ray(str(data), Path(train_corpus) / "tokenizer", RayConfig(address=ray_address), in_flight=workers)
        folder = data / folder_of(tokenizer_fingerprint(tok))
        made[workers] = {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
    assert made[1] == made[2] and len(made[1]) == len(Corpus.open(train_corpus).shards) + 1
    folder = tmp_path / "w2" / folder_of(tokenizer_fingerprint(tok))
    victim = sorted(p for p in folder.iterdir() if p.suffix == ".tok")[0]
    victim.unlink()
    kept = {p.name: p.stat().st_mtime_ns for p in folder.iterdir() if p.suffix == ".tok"}
    tokenize_on_ray(str(tmp_path / "w2"), Path(train_corpus) / "tokenizer", RayConfig(address=ray_address), in_flight=2)
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir() if p.suffix == ".tok" and p != victim} == kept
    assert victim.read_bytes() == made[1][victim.name]


def test_missing_token_files_are_made_and_said(tmp_path, train_corpus, tok, capsys):
    data = copy_corpus(train_corpus, tmp_path / "data")
    batch = next(Loader(Corpus.open(data), tok, 32, 4, 2, prefetch=0))
    assert "tokenizing the corpus once now" in capsys.readouterr().out
    assert (data / folder_of(tokenizer_fingerprint(tok)) / "tokens.json").is_file()
    same_batch(batch, next(TokenizingLoader(Corpus.open(data), tok, 32, 4, 2, prefetch=0)))


def test_token_files_of_another_tokenizer_are_refused_in_one_line_exit_2(tmp_path, train_corpus, tok):
    data = copy_corpus(train_corpus, tmp_path / "data")
    Loader(Corpus.open(data), tok, 32, 4, 2, prefetch=0, say=lambda _: None)
    record = data / folder_of(tokenizer_fingerprint(tok)) / "tokens.json"
    record.write_text(record.read_text().replace(tokenizer_fingerprint(tok), "0123456789abcdef"))
    with pytest.raises(InputError, match="made by tokenizer 0123456789abcdef"):
        Loader(Corpus.open(data), tok, 32, 4, 2, prefetch=0)
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "pipelines.train", f"data={data}", f"out_dir={tmp_path / 'run'}",
                           "model=tiny", "trainer=cpu"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "made by tokenizer 0123456789abcdef" in lines[0]


def test_a_rank_reads_its_share_from_object_storage_by_byte_ranges(train_corpus, tok, s3_server, s3_bucket):
    import pyarrow.fs as pafs

    pafs.copy_files(str(Path(train_corpus)), f"{s3_bucket}/data", pafs.LocalFileSystem(), pafs.S3FileSystem(
        endpoint_override=s3_server.env["AWS_ENDPOINT_URL"], allow_bucket_creation=True))
    remote = Corpus.open(f"s3://{s3_bucket}/data")
    local = Corpus.open(train_corpus)
    got = list(itertools.islice(Loader(remote, tok, 40, 8, 2, rank=1, world=4, prefetch=0), 4))
    want = list(itertools.islice(Loader(local, tok, 40, 8, 2, rank=1, world=4, prefetch=0), 4))
    for a, b in zip(got, want):
        same_batch(a, b)
    assert np.array_equal(got[0].micro[0].input_ids.numpy(), want[0].micro[0].input_ids.numpy())
