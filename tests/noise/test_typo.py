"""Each typo op does what its name says, and the realised rate tracks the configured one."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from noise import Edit, TypoConfig, apply, undo
from noise.edits import Occupancy
from noise.typo import NEIGHBOURS, OCR_CONFUSIONS, OPS, typos

TEXT = "The patient reported mild chest pain; HbA1c was 8.4% on 12 March 2024. Plan: metformin 500 mg."


def run(op: str, rate: float = 0.2, seed: int = 0, text: str = TEXT, **cfg) -> list[Edit]:
    config = TypoConfig(ops={op: 1.0}, **cfg)
    return typos(text, {}, rate, random.Random(seed), config, Occupancy())


def test_keyboard_neighbours_come_from_the_layout():
    assert set(NEIGHBOURS["g"]) == set("ftyhbv")
    assert set(NEIGHBOURS["q"]) == set("12wa")
    for e in run("keyboard"):
        assert e.replacement.lower() in NEIGHBOURS[e.original.lower()]
        assert e.replacement.isupper() == e.original.isupper()


def test_transpose_swaps_two_neighbouring_characters():
    edits = [e for e in run("transpose") if e.op == "transpose"]
    assert edits
    for e in edits:
        assert e.end - e.start == 2 and e.replacement == e.original[::-1]


@pytest.mark.parametrize(
    "op, check",
    [
        ("delete", lambda e: e.replacement == ""),
        ("double", lambda e: e.replacement == e.original * 2),
        ("insert", lambda e: e.replacement[0] == e.original and e.replacement[1].lower() in NEIGHBOURS[e.original.lower()]),
        ("case", lambda e: e.replacement == e.original.swapcase()),
        ("ocr", lambda e: (e.original, e.replacement) in OCR_CONFUSIONS),
    ],
)
def test_each_op(op, check):
    edits = [e for e in run(op, rate=0.3) if e.op == op]
    assert edits, f"{op} never applied"
    assert all(check(e) for e in edits)


def test_ocr_uses_two_character_confusions():
    edits = run("ocr", rate=0.5, text="modern clinic form " * 20)
    assert any(len(e.original) == 2 for e in edits)


@pytest.mark.parametrize("rate", [0.01, 0.05, 0.2])
def test_realised_rate_within_ten_percent(rate):
    rng = random.Random(1)
    config = TypoConfig()
    edits = editable = 0
    for _ in range(3000):
        text = TEXT[rng.randrange(20) :]
        edits += len(typos(text, {}, rate, rng, config, Occupancy()))
        editable += sum(c.isalnum() for c in text)
    assert abs(edits / editable - rate) / rate < 0.10


def test_edits_are_disjoint_and_invertible():
    for seed in range(200):
        edits = typos(TEXT, {}, 0.2, random.Random(seed), TypoConfig(), Occupancy())
        assert undo(apply(TEXT, edits), edits) == TEXT


def test_protected_and_targeted_spans():
    at = TEXT.index("8.4")
    spans = {"labs[0].value": (at, at + 3), "labs[0].value#2": (0, 3)}
    for seed in range(50):
        protected = typos(TEXT, spans, 0.5, random.Random(seed), TypoConfig(protect=["labs[*].value"]), Occupancy())
        assert all(3 <= e.start and (e.end <= at or e.start >= at + 3) for e in protected)
        targeted = typos(TEXT, spans, 0.5, random.Random(seed), TypoConfig(target=["labs[*].value"]), Occupancy())
        assert targeted and all(e.end <= 3 or at <= e.start and e.end <= at + 3 for e in targeted)


def test_already_edited_text_is_left_alone():
    taken = Occupancy()
    taken.add(Edit("logical", "x", 10, 30, TEXT[10:30], "changed"))
    for seed in range(50):
        for e in typos(TEXT, {}, 0.5, random.Random(seed), TypoConfig(), taken):
            assert e.end <= 10 or e.start >= 30


@pytest.mark.parametrize(
    "fields, name",
    [({"ops": {"teleport": 1.0}}, "ops"), ({"ops": {"delete": -1.0}}, "ops"), ({"ops": {"delete": 0.0}}, "ops"),
     ({"max_rate": 0.9}, "max_rate"), ({"max_rate": -0.1}, "max_rate"), ({"protect": "x"}, "protect")],
)
def test_bad_config_names_the_field(fields, name):
    with pytest.raises(ValidationError, match=name):
        TypoConfig(**fields)


def test_every_op_is_registered():
    assert set(OPS) == {"keyboard", "transpose", "delete", "insert", "double", "ocr", "case"}
