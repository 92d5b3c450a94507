"""The curriculum keeps noise off early, ramps it monotonically, and refuses bad settings."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from noise import Curriculum
from noise.plot import plot_curriculum

GRID = [i / 1000 for i in range(1001)]


@pytest.mark.parametrize("shape", ["linear", "cosine", "step"])
def test_level_is_zero_before_start_and_never_decreases(shape):
    c = Curriculum(shape=shape, max_level=0.8)
    levels = [c.level(p) for p in GRID]
    assert all(level == 0.0 for p, level in zip(GRID, levels) if p < 0.85)
    assert all(b >= a for a, b in zip(levels, levels[1:]))
    assert levels[-1] == pytest.approx(0.8)


def test_shapes_differ_inside_the_ramp():
    mid = 0.85 + 0.15 / 4
    lin, cos, step = (Curriculum(shape=s).level(mid) for s in ("linear", "cosine", "step"))
    assert cos < lin < step == 1.0
    assert lin == pytest.approx(0.25)


def test_families_enter_in_order():
    c = Curriculum()
    assert c.mix(0.5) == {"typo": 0.0, "logical": 0.0, "adversarial": 0.0}
    assert c.mix(0.86) == {"typo": 1.0, "logical": 0.0, "adversarial": 0.0}
    assert c.mix(0.85 + 0.15 * 0.3) == {"typo": 1.0, "logical": 1.0, "adversarial": 0.0}
    assert c.mix(0.99) == {"typo": 1.0, "logical": 1.0, "adversarial": 1.0}


def test_plan_is_empty_before_start_and_follows_the_level():
    c = Curriculum()
    rng = random.Random(0)
    assert all(c.plan(p, rng) == {} for p in GRID if p < 0.85)
    full = [c.plan(1.0, rng) for _ in range(2000)]
    assert all(set(plan) == {"typo", "logical", "adversarial"} for plan in full)
    half = Curriculum(max_level=0.5)
    share = sum("typo" in half.plan(1.0, rng) for _ in range(4000)) / 4000
    assert share == pytest.approx(0.5, abs=0.03)


def test_plan_is_reproducible():
    c = Curriculum()
    assert [c.plan(0.95, random.Random(5)) for _ in range(3)] == [c.plan(0.95, random.Random(5))] * 3


@pytest.mark.parametrize(
    "fields, name",
    [
        ({"start": 1.5}, "start"),
        ({"start": 0.9, "end": 0.8}, "start"),
        ({"shape": "zigzag"}, "shape"),
        ({"max_level": -0.1}, "max_level"),
        ({"families": {"typo": {"weight": -1.0}}}, "weight"),
        ({"families": {"spelling": {"weight": 1.0}}}, "families"),
        ({"families": {"typo": {"enter": 2.0}}}, "enter"),
        ({"begin": 0.5}, "begin"),
        ({"start": -0.1}, "start"),
        ({"end": 1.5}, "end"),
        ({"max_level": 1.5}, "max_level"),
        ({"shape": "Linear"}, "shape"),
        ({"families": {"adversarial": {"weight": -0.5}}}, "weight"),
        ({"families": {"logical": {"enter": -0.1}}}, "enter"),
        ({"families": {"typo": {"weight": 1.0, "rate": 2}}}, "rate"),
    ],
)
def test_invalid_curriculum_names_the_field(fields, name):
    with pytest.raises(ValidationError, match=name):
        Curriculum(**fields)


def test_plot_writes_a_png(tmp_path):
    out = plot_curriculum(Curriculum(shape="cosine"), tmp_path / "c.png", points=101)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
