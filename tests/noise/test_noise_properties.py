"""Properties over arbitrary Unicode: typos stay exact and in bounds, fast paths agree with the plain definitions."""

from __future__ import annotations

import random
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from noise import Edit, TypoConfig, apply, undo, validate
from noise.adversarial import _NEGATION_RE, NEGATIONS, Context, negation_spans
from noise.edits import Occupancy, clashes, splice
from noise.typo import OPS, alnum_mask, editable_positions, typos
from world_model import Document

# Any code point Python strings hold, astral planes and combining marks included (surrogates excluded).
UNICODE = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
WORDY = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 ,.-_rnmcldvw0O1lI5S8B2éß日本👩\u0301"),
                max_size=300)


@settings(max_examples=60, deadline=None)
@given(UNICODE)
def test_alnum_mask_is_isalnum_for_every_code_point(text):
    assert alnum_mask(text).tolist() == [c.isalnum() for c in text]
    assert alnum_mask(text).tolist() == [re.fullmatch(r"[^\W_]", c) is not None for c in text]


@settings(max_examples=120, deadline=None)
@given(st.one_of(UNICODE, WORDY), st.floats(0.0, 0.5), st.integers(0, 2**32),
       st.lists(st.sampled_from(sorted(OPS)), min_size=1, unique=True))
def test_typos_on_any_text_are_exact_and_touch_only_letters_and_digits(text, rate, seed, ops):
    edits = typos(text, {}, rate, random.Random(seed), TypoConfig(ops={o: 1.0 for o in ops}), Occupancy())
    validate(text, edits)
    noisy = apply(text, edits)
    assert undo(noisy, edits) == text
    for e in edits:
        assert e.family == "typo" and e.op in OPS and e.original != e.replacement
        assert text[e.start].isalnum()
    starts = [e.start for e in edits]
    assert all(b - a >= 2 for a, b in zip(starts, starts[1:])), "typos never sit on neighbouring characters"


@settings(max_examples=80, deadline=None)
@given(WORDY, st.integers(0, 2**32), st.data())
def test_typos_leave_taken_and_protected_text_alone(text, seed, data):
    n = len(text)
    a = data.draw(st.integers(0, n))
    b = data.draw(st.integers(a, n))
    taken = Occupancy()
    if a < b:
        taken.add(Edit("logical", "x", a, b, text[a:b], "Z"))
    p = data.draw(st.integers(0, n))
    q = data.draw(st.integers(p, n))
    config = TypoConfig(max_rate=0.5, protect=["kept"])
    edits = typos(text, {"kept": (p, q)}, 0.5, random.Random(seed), config, taken)
    for e in edits:
        assert all(not clashes(t, e.start, e.end) for t in taken.edits)
        assert e.end <= p or e.start >= q
    positions = editable_positions(text, {"kept": (p, q)}, config, taken)
    assert positions == [i for i, c in enumerate(text) if c.isalnum() and not p <= i < q and not a <= i < b]


@st.composite
def spans_and_edits(draw):
    n = draw(st.integers(0, 120))
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=30)))
    spans = [(s, e) for s, e in zip(cuts[::2], cuts[1::2]) if s < e]
    spans = [sp for i, sp in enumerate(spans) if i == 0 or spans[i - 1][1] <= sp[0]]
    taken = Occupancy()
    for _ in range(draw(st.integers(0, 5))):
        s = draw(st.integers(0, n))
        e = draw(st.integers(s, min(n, s + 10)))
        if taken.is_free(s, e):
            taken.add(Edit("adversarial", "x", s, e, "?" * (e - s), "y"))
    return spans, taken


@settings(max_examples=150, deadline=None)
@given(spans_and_edits())
def test_free_spans_agrees_with_is_free(case):
    spans, taken = case
    assert taken.free_spans(spans) == [sp for sp in spans if taken.is_free(*sp)]


CUE_PIECES = st.sampled_from(
    [cue for cue, _ in NEGATIONS] + [cue.upper() for cue, _ in NEGATIONS] + [cue.title() for cue, _ in NEGATIONS]
    + [" ", "_", "x", "9", ".", "-", "\n", "é", "ß", "\u0131", "\u017f", "\u212a", "\u0130", "notnot"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(CUE_PIECES, max_size=12).map("".join))
def test_negation_spans_are_the_regex_matches(text):
    assert negation_spans(text) == [m.span() for m in _NEGATION_RE.finditer(text)]


@settings(max_examples=200, deadline=None)
@given(st.one_of(UNICODE, WORDY))
def test_word_spans_are_the_regex_matches(text):
    ctx = Context(Document(text, "x", {}), None, random.Random(0), Occupancy(), 0)
    assert ctx.words == [m.span() for m in re.finditer(r"[A-Za-z]{4,}", text)]


@settings(max_examples=200, deadline=None)
@given(st.one_of(UNICODE, WORDY), st.integers(0, 2**32))
def test_splice_is_apply_for_valid_edits(text, seed):
    edits = typos(text, {}, 0.3, random.Random(seed), TypoConfig(), Occupancy())
    assert splice(text, edits) == apply(text, edits)


def test_pair_typos_never_span_an_empty_protected_span():
    text = "000000000000000000000010"
    for seed in range(300):
        edits = typos(text, {"kept": (22, 22)}, 0.5, random.Random(seed), TypoConfig(protect=["kept"]), Occupancy())
        assert all(e.end <= 22 or e.start >= 22 for e in edits)
