"""The streaming reader: curriculum order, the example layout, packing, rank sharding and exact positions."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import torch

from pipelines.training.loading import (CONTEXT, DENOISE_TARGET, IGNORE_INDEX, LM_TARGET, NOISY_CONTEXT, Corpus, DataError, Loader,
                            PackedStream, Position, Specials, encode, read_rows)
from pipelines.training.tokenizer import load_tokenizer


@pytest.fixture(scope="module")
def corpus(train_corpus) -> Corpus:
    return Corpus.open(train_corpus)


@pytest.fixture(scope="module")
def tok(train_corpus):
    return load_tokenizer(Path(train_corpus) / "tokenizer")


def all_examples(corpus, tok):
    """Every row's example, in the reader's order, built here independently of the packer."""
    out = []
    for s in range(len(corpus.shards)):
        for batch in corpus.read(s):
            ex = encode(tok, Specials.of(tok), batch)
            out += [(i, r, p) for i, r, p in zip(ex.ids, ex.roles, ex.progress)]
    return out


def test_shards_are_read_in_progress_order(corpus):
    progress = [row["progress"] for s in range(len(corpus.shards)) for row in read_rows(corpus, s, ("progress",))]
    assert len(progress) == corpus.rows
    assert progress == sorted(progress)


def test_clean_rows_are_lm_and_noisy_rows_denoise_with_loss_on_the_clean_target(corpus, tok):
    specials = {"bos": 0, "sep": 1, "eos": 2}
    seen_noisy = seen_clean = 0
    for s in range(len(corpus.shards)):
        for batch in corpus.read(s):
            ex = encode(tok, Specials.of(tok), batch)
            for k, row in enumerate(batch.to_pylist()):
                ids, roles = ex.ids[k], ex.roles[k]
                assert ids[0] == specials["bos"] and ids[-1] == specials["eos"]
                if row["edits"]:
                    seen_noisy += 1
                    sep = int(np.flatnonzero(ids == specials["sep"])[-1])
                    assert tok.decode(ids[1:sep].tolist()) == row["noisy_text"]
                    assert tok.decode(ids[sep + 1 : -1].tolist()) == row["clean_text"]
                    assert (roles[: sep + 1] == NOISY_CONTEXT).all() and (roles[sep + 1 :] == DENOISE_TARGET).all()
                else:
                    seen_clean += 1
                    assert specials["sep"] not in ids.tolist() and roles[0] == CONTEXT
                    assert tok.decode(ids[1:-1].tolist()) == row["clean_text"]
                    assert (roles[1:] == LM_TARGET).all()
                    assert row["noise_level"] == 0.0 or row["progress"] >= 0.85
    assert seen_noisy > 0 and seen_clean > 0


def test_packing_cuts_the_example_stream_into_fixed_chunks(corpus, tok):
    stream = np.concatenate([i for i, _, _ in all_examples(corpus, tok)])
    chunks = [c for c, _ in PackedStream(corpus, tok, seq_len=48)]
    assert len(chunks) == len(stream) // 48
    assert all(c.ids.shape == (48,) for c in chunks)
    assert np.array_equal(np.concatenate([c.ids for c in chunks]), stream[: 48 * len(chunks)])


def test_labels_mask_context_and_noisy_input(corpus, tok):
    batch = next(iter(Loader(corpus, tok, seq_len=64, batch_size=8, micro_batch_size=8, prefetch=0)))
    mb = batch.micro[0]
    target = (mb.roles == LM_TARGET) | (mb.roles == DENOISE_TARGET)
    assert torch.equal(mb.labels[target], mb.input_ids[target])
    assert (mb.labels[~target] == IGNORE_INDEX).all()


def test_ranks_split_the_global_batch_without_overlap(corpus, tok):
    one = list(itertools.islice(Loader(corpus, tok, 32, batch_size=8, micro_batch_size=2, prefetch=0), 5))
    ranks = [list(itertools.islice(Loader(corpus, tok, 32, 8, 2, rank=r, world=2, prefetch=0), 5)) for r in range(2)]
    for step, whole in enumerate(one):
        glob = torch.cat([m.input_ids for m in whole.micro])
        parts = [torch.cat([m.input_ids for m in ranks[r][step].micro]) for r in range(2)]
        assert parts[0].shape[0] == parts[1].shape[0] == 4
        rebuilt = torch.stack([parts[i % 2][i // 2] for i in range(8)])  # rank r holds rows r, r + 2, ...
        assert torch.equal(rebuilt, glob)
        assert ranks[0][step].targets == ranks[1][step].targets == whole.targets  # global counts on every rank


def test_a_saved_position_resumes_the_stream_exactly(corpus, tok):
    loader = Loader(corpus, tok, 40, batch_size=4, micro_batch_size=2, prefetch=2)
    first = [next(loader) for _ in range(7)]
    state = loader.state_dict()
    rest = [next(loader) for _ in range(5)]
    loader.close()
    resumed = Loader(corpus, tok, 40, batch_size=4, micro_batch_size=2, prefetch=0)
    resumed.load_state_dict(state)
    again = [next(resumed) for _ in range(5)]
    assert state == first[-1].position.state_dict() and state["chunks"] == 28
    for a, b in zip(rest, again):
        assert all(torch.equal(x.input_ids, y.input_ids) and torch.equal(x.labels, y.labels) for x, y in zip(a.micro, b.micro))


def test_noise_reaches_the_stream_only_after_progress_085(corpus, tok):
    batches = list(Loader(corpus, tok, 64, batch_size=4, micro_batch_size=4, prefetch=0))
    assert batches, "corpus too small for one batch"
    for b in batches:
        if b.progress < 0.85:
            assert b.noise_level == 0.0 and b.denoise_examples == 0 and b.targets["denoise"] == 0
    late = [b for b in batches if b.progress >= 0.9]
    assert late and max(b.noise_level for b in late) > 0 and sum(b.denoise_examples for b in late) > 0


def test_rows_out_of_curriculum_order_are_refused(tmp_path, train_corpus, tok):
    """A manifest whose shards claim other progress ranges than their rows hold stops the reader."""
    import shutil

    from pipelines.dataset import manifest as manifest_io
    from pipelines.dataset.storage import Folder

    data = tmp_path / "data"
    shutil.copytree(train_corpus, data)
    mf = manifest_io.load(str(data))
    a, b = mf.shards[0], mf.shards[1]
    a.progress, b.progress = b.progress, a.progress  # shard 1's rows now come first, labelled as shard 0's range
    manifest_io.write(Folder(str(data)), mf)
    with pytest.raises(DataError, match="does not belong"):
        list(PackedStream(Corpus.open(data), tok, 64))


def test_position_round_trips_through_its_state_dict():
    p = Position(epoch=1, shard=2, row=3, offset=4, chunks=5)
    assert Position(**p.state_dict()) == p
