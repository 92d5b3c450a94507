"""Probe metrics: held-out short documents, noise confined to the first half, natural typos, exact scoring."""

from __future__ import annotations

import math
import re

import pytest
import torch

import noise
from model import CausalLM
from model.presets import preset_fields
from pipelines.evaluation import sensitivity as S
from pipelines.training.parallelism import build_model
from pipelines.training.byte_tokenizer import byte_tokenizer


@pytest.fixture(scope="module")
def probes():
    return S.make_probes(6, 123, 200)


@pytest.fixture(scope="module")
def model_tok():
    tok = byte_tokenizer()
    torch.manual_seed(0)
    return CausalLM(build_model(preset_fields("micro"), tok)).eval(), tok


def test_probes_are_short_deterministic_and_split_at_a_line(probes):
    again = S.make_probes(6, 123, 200)
    assert [p.text for p in probes] == [p.text for p in again]
    assert [p.domain for p in probes] == ["financial", "legal", "medical"] * 2
    for p in probes:
        assert 0 < len(p.text.encode()) <= 200 and p.first + p.second == p.text
        assert p.first and p.second and (p.first.endswith("\n") or "\n" not in p.text)


@pytest.mark.parametrize("family", S.FAMILIES)
def test_noise_touches_only_the_first_half(probes, family):
    touched = 0
    for p in probes:
        text, edits = S.noisy_first(p, family, 1.0)
        assert all(e.end <= p.cut and e.family == family for e in edits)
        assert noise.undo(text, edits) == p.first
        touched += bool(edits)
    assert touched or family == "logical"  # logical edits need a constraint the window shows


def test_minimal_edits_keep_only_the_changed_characters():
    e = noise.Edit("logical", "x", 10, 42, "Presents with cough, and fever X", "Presents with cough, and fever Y", None)
    (m,) = S.minimal_edits([e])
    assert (m.start, m.end, m.original, m.replacement) == (41, 42, "X", "Y")


def test_natural_typos_are_real_misspellings_from_codespell(probes):
    table = S.natural_misspellings()
    assert "received" in table and "recieved" in table["received"]
    changed = 0
    for p in probes:
        text, n = S.natural_first(p, 1.0)
        changed += n
        words_a, words_b = re.findall(r"[A-Za-z]+", p.first), re.findall(r"[A-Za-z]+", text)
        diff = [(a, b) for a, b in zip(words_a, words_b) if a != b]
        assert len(words_a) == len(words_b) and len(diff) == n
        assert all(b.lower() in table[a.lower()] for a, b in diff)
        assert S.natural_first(p, 0.0) == (p.first, 0)
    assert changed > 0


def test_scoring_is_the_models_own_cross_entropy_whatever_the_batch(model_tok, probes):
    model, tok = model_tok
    items = [([tok.bos_token_id, *S._ids(tok, p.first)], S._ids(tok, p.second)) for p in probes]
    batched = S.target_bits(model, items, batch=4)
    for (ctx, tgt), bits in zip(items, batched):
        ids = torch.tensor([ctx + tgt])
        with torch.no_grad():
            logits = model(ids).logits[0, len(ctx) - 1 : -1]
        ce = torch.nn.functional.cross_entropy(logits, torch.tensor(tgt), reduction="sum") / math.log(2)
        assert float(bits.sum()) == pytest.approx(float(ce), rel=1e-4)


def test_evaluate_probes_reports_every_family_level_and_zero_for_an_unchanged_context(model_tok, probes):
    model, tok = model_tok
    out = S.evaluate_probes(model, tok, probes, levels=(1.0,), natural_rates=(0.0, 1.0))
    assert set(out["sensitivity"]) == {"typo@1", "logical@1", "adversarial@1", "natural@0", "natural@1"}
    assert out["sensitivity"]["natural@0"] == pytest.approx(0.0, abs=1e-9)  # same context, same bits
    assert 6.0 < out["clean_bpb"] < 10.0  # an untrained model is near log2(320) bits a byte
    assert 0 <= out["repair"]["char_accuracy"] <= 1 and out["repair"]["spans"] > 0
    assert S.evaluate_probes(model, tok, probes, levels=(1.0,), natural_rates=(0.0, 1.0)) == out


def test_unigram_bits_per_byte():
    assert S.unigram_bits_per_byte(["ab" * 20000], ["abab"]) == pytest.approx(1.0, abs=0.02)  # add-one smoothing aside
    assert S.unigram_bits_per_byte([bytes(range(256)).decode("latin-1")], ["xyz"]) > 7.5
