"""The corpus tokenizer: byte-level BPE with the example layout's special tokens, loadable by AutoTokenizer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from transformers import AutoTokenizer

from pipelines.training.loading import Corpus, count_tokens, read_rows
from pipelines.training.tokenizer import BOS, EOS, PAD, SEP, load_tokenizer, special_ids, train_tokenizer


def test_autotokenizer_loads_it_with_the_special_tokens(train_corpus):
    tok = AutoTokenizer.from_pretrained(str(Path(train_corpus) / "tokenizer"))
    assert tok.is_fast
    assert [tok.convert_ids_to_tokens(i) for i in range(4)] == [BOS, SEP, EOS, PAD]
    assert (tok.bos_token, tok.eos_token, tok.pad_token) == (BOS, EOS, PAD)
    assert special_ids(tok) == {"bos": 0, "sep": 1, "eos": 2, "pad": 3}
    assert len(tok) == 1024


def test_round_trip_is_lossless_on_clean_and_noisy_text(train_corpus):
    """Byte-level: homoglyphs, zero-width characters and typos come back exactly, never as <unk>."""
    tok = load_tokenizer(Path(train_corpus) / "tokenizer")
    corpus = Corpus.open(train_corpus)
    texts = [r["noisy_text"] for r in read_rows(corpus, len(corpus.shards) - 1, ("noisy_text",))]
    texts += ["Na\u200bCl \u0430spirin \U0001f600 — 12.5 mg/dL", "  leading spaces\n\ttabs\r\n"]
    for text in texts:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        assert tok.decode(ids) == text
        assert tok.unk_token_id is None or tok.unk_token_id not in ids


def test_token_counts_match_a_recount(train_corpus):
    tok_dir = Path(train_corpus) / "tokenizer"
    cached = json.loads((tok_dir / "token_counts.json").read_text())
    fresh = count_tokens(train_corpus, load_tokenizer(tok_dir))
    assert fresh == cached
    assert cached["total"] == sum(s["tokens"] for s in cached["shards"].values()) > 0
    assert cached["shards"][Corpus.open(train_corpus).shards[-1].path]["denoise_rows"] > 0


def test_missing_tokenizer_says_how_to_make_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="pipelines.tokenizer"):
        load_tokenizer(tmp_path)


def test_training_is_deterministic():
    texts = ["the patient was given 5 mg", "the court held that", "net income rose"] * 20
    a, b = train_tokenizer(iter(texts), vocab_size=300), train_tokenizer(iter(texts), vocab_size=300)
    assert a.backend_tokenizer.to_str() == b.backend_tokenizer.to_str()
