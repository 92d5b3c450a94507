"""apply/undo are exact inverses for any Unicode text and any valid edit set."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from noise import Edit, apply, undo, validate


@st.composite
def text_and_edits(draw):
    clean = draw(st.text(max_size=200))
    cuts = sorted(draw(st.lists(st.integers(0, len(clean)), max_size=20)))
    edits, pos, last_insert = [], 0, None
    for a, b in zip(cuts[::2], cuts[1::2]):
        if a < pos or (a == b and a == last_insert):
            continue
        replacement = draw(st.text(max_size=8))
        if a == b and not replacement:
            continue
        edits.append(Edit("typo", "test", a, b, clean[a:b], replacement))
        pos, last_insert = b, (a if a == b else None)
        if a < b:
            pos = b
    return clean, edits


@settings(max_examples=500, deadline=None)
@given(text_and_edits())
def test_apply_then_undo_is_identity(case):
    clean, edits = case
    noisy = apply(clean, edits)
    assert undo(noisy, edits) == clean
    expected_len = len(clean) + sum(len(e.replacement) - (e.end - e.start) for e in edits)
    assert len(noisy) == expected_len


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=50), st.data())
def test_single_edit_lands_where_it_says(clean, data):
    start = data.draw(st.integers(0, len(clean)))
    end = data.draw(st.integers(start, len(clean)))
    rep = data.draw(st.text(max_size=5))
    e = Edit("adversarial", "x", start, end, clean[start:end], rep)
    assert apply(clean, [e]) == clean[:start] + rep + clean[end:]


def test_emoji_and_combining_marks_are_code_points():
    clean = "café 👩‍⚕️ naïve"
    e = Edit("typo", "keyboard", 5, 6, "👩", "X")
    noisy = apply(clean, [e])
    assert noisy == "café X\u200d⚕️ naïve" and undo(noisy, [e]) == clean


@pytest.mark.parametrize(
    "edits, message",
    [
        ([Edit("typo", "a", 3, 5, "de", "x"), Edit("typo", "a", 4, 6, "ef", "y")], "overlap"),
        ([Edit("typo", "a", 4, 5, "e", "x"), Edit("typo", "a", 1, 2, "b", "y")], "sorted"),
        ([Edit("typo", "a", 2, 2, "", "x"), Edit("typo", "a", 2, 2, "", "y")], "overlap"),
        ([Edit("typo", "a", 1, 2, "z", "x")], "does not match"),
        ([Edit("typo", "a", 5, 9, "f", "x")], "out of bounds"),
    ],
)
def test_invalid_edit_sets_are_refused(edits, message):
    with pytest.raises(ValueError, match=message):
        validate("abcdefg", edits)


def test_undo_refuses_a_text_the_edits_did_not_make():
    e = Edit("typo", "double", 0, 1, "a", "aa")
    with pytest.raises(ValueError, match="replacement"):
        undo("bbc", [e])
