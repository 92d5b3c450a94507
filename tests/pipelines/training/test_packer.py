"""whole_rows packing: a noisy -> clean pair never straddles windows; rows too long for one are skipped and counted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from pipelines.training.loading import (CONTEXT, Corpus, Loader, PackedStream, Position, Specials, encode,
                                        whole_rows_steps)
from pipelines.training.tokenizer import load_tokenizer


@pytest.fixture(scope="module")
def corpus(train_corpus) -> Corpus:
    return Corpus.open(train_corpus)


@pytest.fixture(scope="module")
def tok(train_corpus):
    return load_tokenizer(Path(train_corpus) / "tokenizer")


@pytest.fixture(scope="module")
def examples(corpus, tok) -> list[np.ndarray]:
    """Every row's example ids in reader order, built independently of the packer."""
    out = []
    for s in range(len(corpus.shards)):
        for batch in corpus.read(s):
            out += encode(tok, Specials.of(tok), batch).ids
    return out


@pytest.fixture(scope="module")
def window(examples) -> int:
    """A window that some examples fit and some (the longer noisy pairs among them) do not."""
    return int(np.percentile([len(e) for e in examples], 70))


def test_every_example_is_whole_in_one_window_and_long_rows_are_skipped(corpus, tok, examples, window):
    sp = Specials.of(tok)
    out = list(PackedStream(corpus, tok, window, whole_rows=True))
    packed = []
    for chunk, _ in out:
        ids, roles = chunk.ids, chunk.roles
        assert ids[0] == sp.bos  # a window always starts at an example
        starts = list(np.flatnonzero(ids == sp.bos))
        ends = list(np.flatnonzero(ids == sp.eos))
        assert len(starts) == len(ends) and all(s < e for s, e in zip(starts, ends))
        packed += [ids[s : e + 1] for s, e in zip(starts, ends)]
        tail = ends[-1] + 1
        assert (ids[tail:] == sp.pad).all() and (roles[tail:] == CONTEXT).all()  # padding is never a target
    fits = [e for e in examples if len(e) <= window]
    assert 0 < len(fits) < len(examples)
    assert len(packed) <= len(fits) and all(np.array_equal(a, b) for a, b in zip(packed, fits))
    assert len(fits) - len(packed) <= window // 2  # only the last, unfinished window is dropped
    after = out[-1][1]
    read = sum(e.rows for e in corpus.shards[: after.shard]) + after.row  # rows the stream has passed
    assert after.skipped == sum(len(e) > window for e in examples[:read]) > 0


def test_whole_rows_one_pass_count_matches_the_stream(train_corpus, corpus, tok, window):
    counted = whole_rows_steps(train_corpus, tok, window, batch_size=2)
    chunks = list(PackedStream(corpus, tok, window, whole_rows=True))
    assert counted["chunks"] == len(chunks) and counted["steps"] == len(chunks) // 2
    assert counted["skipped_rows"] == chunks[-1][1].skipped > 0


def test_whole_rows_resume_exactly_from_a_saved_position(corpus, tok, window):
    loader = Loader(corpus, tok, window, batch_size=2, micro_batch_size=1, prefetch=1, whole_rows=True)
    [next(loader) for _ in range(3)]
    state = loader.state_dict()
    rest = [next(loader) for _ in range(3)]
    loader.close()
    resumed = Loader(corpus, tok, window, batch_size=2, micro_batch_size=1, prefetch=0, whole_rows=True)
    resumed.load_state_dict(state)
    again = [next(resumed) for _ in range(3)]
    assert Position(**state).offset == 0
    for a, b in zip(rest, again):
        assert a.position == b.position
        assert all(torch.equal(x.input_ids, y.input_ids) and torch.equal(x.labels, y.labels) for x, y in zip(a.micro, b.micro))
