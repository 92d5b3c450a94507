"""The byte tokenizer: one token per UTF-8 byte, the data format's specials, and the trainer and export accept it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import transformers
import yaml

from model.export import load_pretrained
from pydantic import ValidationError

from pipelines.tokenizer import tokenizer as tokenizer_job
from pipelines.training.byte_tokenizer import BYTE_VOCAB, byte_tokenizer
from pipelines.training.tokenizer import BOS, EOS, PAD, SEP, TokenizerConfig, build_byte, load_tokenizer, special_ids

TEXTS = ["Na\u200bCl \u0430spirin \U0001f600 — 12.5 mg/dL", "  leading spaces\n\ttabs\r\n", "Pt: José, 36.9 °C", ""]


def test_one_token_per_byte_with_the_specials_first():
    tok = byte_tokenizer()
    assert len(tok) == BYTE_VOCAB == 260
    assert [tok.convert_ids_to_tokens(i) for i in range(4)] == [BOS, SEP, EOS, PAD]
    assert special_ids(tok) == {"bos": 0, "sep": 1, "eos": 2, "pad": 3}
    for text in TEXTS:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        assert ids == [4 + b for b in text.encode()]
        assert tok.decode(ids) == text


def test_saved_folder_loads_through_autotokenizer(tmp_path):
    out = build_byte(None, tmp_path / "tok")
    tok = transformers.AutoTokenizer.from_pretrained(str(out))
    assert tok.is_fast and len(tok) == 260 and tok.bos_token_id == 0 and tok.pad_token_id == 3
    assert tok("ab\u00e9", add_special_tokens=False)["input_ids"] == [4 + 97, 4 + 98, 4 + 0xC3, 4 + 0xA9]


def test_the_tokenizer_job_writes_it_with_kind_byte(tmp_path, train_corpus, capsys):
    tokenizer_job(TokenizerConfig(data=str(train_corpus), out=str(tmp_path / "tok"), kind="byte"))
    assert "(260 tokens)" in capsys.readouterr().out
    assert (tmp_path / "tok" / "token_counts.json").is_file()
    with pytest.raises(ValidationError, match="kind"):
        TokenizerConfig(data=str(train_corpus), kind="words")


def test_micro_trains_on_bytes_and_exports_to_transformers(tmp_path, train_config):
    tok_dir = build_byte(None, tmp_path / "tok")
    fields = yaml.safe_load((Path(__file__).resolve().parents[3] / "conf/model/micro.yaml").read_text())
    cfg = train_config(tmp_path / "run", steps=3, partial=True, seq_len=64)
    cfg = type(cfg).model_validate(cfg.model_dump() | {"tokenizer": str(tok_dir), "model": fields})
    from pipelines.train import run

    summary = run(cfg)
    export = Path(summary["export"])
    tok = transformers.AutoTokenizer.from_pretrained(str(export))
    hf = transformers.AutoModelForCausalLM.from_pretrained(str(export)).eval()
    ours = load_pretrained(export).eval()
    assert ours.cfg.vocab_size == 320 and len(tok) == 260
    ids = torch.tensor([[tok.bos_token_id, *tok("Patient presents with fever.", add_special_tokens=False)["input_ids"]]])
    with torch.no_grad():
        assert (hf(ids).logits - ours(ids).logits).abs().max().item() < 1e-4
    assert load_tokenizer(export)("x", add_special_tokens=False)["input_ids"] == [4 + ord("x")]
