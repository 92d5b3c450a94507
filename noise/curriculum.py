"""The curriculum: how much noise, and of which families, a row gets at training progress p."""

from __future__ import annotations

import math
import random
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from noise.edits import FAMILIES


class FamilySchedule(BaseModel, extra="forbid"):
    """One family's share of the noise and when it enters, as a fraction of the ramp [start, end]."""

    weight: float = Field(1.0, ge=0.0)
    enter: float = Field(0.0, ge=0.0, le=1.0)


def _default_families() -> dict[str, FamilySchedule]:
    # Typos first, then logical inconsistencies, adversarial text last.
    return {
        "typo": FamilySchedule(weight=1.0, enter=0.0),
        "logical": FamilySchedule(weight=1.0, enter=0.25),
        "adversarial": FamilySchedule(weight=1.0, enter=0.5),
    }


class Curriculum(BaseModel, extra="forbid"):
    """Noise is off until `start`, then ramps to `max_level` at `end` and never decreases."""

    start: float = Field(0.85, ge=0.0, le=1.0)
    end: float = Field(1.0, ge=0.0, le=1.0)
    max_level: float = Field(1.0, ge=0.0, le=1.0)
    shape: Literal["linear", "cosine", "step"] = "linear"
    families: dict[str, FamilySchedule] = Field(default_factory=_default_families)

    @field_validator("families")
    @classmethod
    def _known_families(cls, families: dict[str, FamilySchedule]) -> dict[str, FamilySchedule]:
        unknown = sorted(set(families) - set(FAMILIES))
        if unknown:
            raise ValueError(f"unknown noise family(ies) {unknown}; known: {list(FAMILIES)}")
        return families

    @model_validator(mode="after")
    def _ordered(self) -> Curriculum:
        if self.start > self.end:
            raise ValueError(f"start ({self.start}) must be <= end ({self.end})")
        return self

    def ramp(self, progress: float) -> float:
        """Position inside the ramp: 0 before start, 1 from end on."""
        if progress < self.start:
            return 0.0
        if progress >= self.end or self.end == self.start:
            return 1.0
        return (progress - self.start) / (self.end - self.start)

    def level(self, progress: float) -> float:
        if progress < self.start:
            return 0.0
        r = self.ramp(progress)
        if self.shape == "step":
            return self.max_level
        if self.shape == "cosine":
            return self.max_level * (1.0 - math.cos(math.pi * r)) / 2.0
        return self.max_level * r

    def mix(self, progress: float) -> dict[str, float]:
        """Weights of the families that have entered by this progress (0 for the others)."""
        r = self.ramp(progress)
        entered = progress >= self.start
        return {f: (s.weight if entered and r >= s.enter else 0.0) for f, s in self.families.items()}

    def plan(self, progress: float, rng: random.Random) -> dict[str, float]:
        """The families one row gets, each with its strength: a family applies with chance level * weight."""
        return choose_families(self.level(progress), self.mix(progress), rng)


def choose_families(level: float, weights: dict[str, float], rng: random.Random) -> dict[str, float]:
    """One draw per family, in the fixed family order, so plans are reproducible."""
    chosen = {}
    for family in FAMILIES:
        w = weights.get(family, 0.0)
        if rng.random() < min(1.0, level * w):
            chosen[family] = level
    return chosen
