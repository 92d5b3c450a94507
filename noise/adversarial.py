"""Adversarial family: text that misleads a reader rather than misspells, each op a labelled edit."""

from __future__ import annotations

import bisect
import random
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Callable

from pydantic import BaseModel, Field, field_validator

from noise.adversarial_data import (
    DISTRACTOR_LEADS,
    HOMOGLYPHS,
    INSTRUCTIONS,
    NEGATIONS,
    PREFACES,
    ZERO_WIDTH,
)
from noise.edits import Edit, Occupancy
from world_model import Document, Domain

_NEGATION_RE = re.compile(
    r"\b(" + "|".join(re.escape(cue) for cue, _ in sorted(NEGATIONS, key=lambda p: -len(p[0]))) + r")\b",
    re.IGNORECASE,
)
_FLIP = {cue: flip for cue, flip in NEGATIONS}
_WORD_RE = re.compile(r"[A-Za-z]{4,}")
_SENTENCE_RE = re.compile(r"[^.\n]{30,}?[.](?=\s|$)")
_BOUNDARY_RE = re.compile(r"(?<=[.:]) (?=[A-Z])|\n(?=\S)")


@dataclass
class Context:
    """What an op may look at: the clean document, its domain, and another record to borrow from."""

    document: Document
    domain: Domain
    rng: random.Random
    taken: Occupancy
    seed: int

    @cached_property
    def distractor(self) -> Document:
        """A different record of the same domain, rendered in the same style, for borrowed facts."""
        other = self.domain.sample(self.seed)
        return self.domain.render(other, self.seed, style=self.document.style)

    def free_matches(self, pattern: re.Pattern[str]) -> list[re.Match[str]]:
        return [m for m in pattern.finditer(self.document.text) if self.taken.is_free(m.start(), m.end())]


Op = Callable[[Context], list[Edit]]


def _insert(ctx: Context, op: str, at: int, text: str) -> list[Edit]:
    return [Edit("adversarial", op, at, at, "", text)] if ctx.taken.is_free(at, at) else []


def misleading_preface(ctx: Context) -> list[Edit]:
    """A preface telling the reader to distrust the document."""
    options = PREFACES.get(ctx.domain.name, PREFACES["*"])
    return _insert(ctx, "misleading_preface", 0, ctx.rng.choice(options))


def contradictory_instruction(ctx: Context) -> list[Edit]:
    """An instruction, appended, that contradicts one value the document states."""
    text, other = ctx.document.text, ctx.distractor
    keys = [k for k, (s, e) in ctx.document.spans.items()
            if k in other.spans and other.text[slice(*other.spans[k])] != text[s:e] and e - s >= 2]
    if not keys:
        return []
    key = ctx.rng.choice(keys)
    old, new = text[slice(*ctx.document.spans[key])], other.text[slice(*other.spans[key])]
    template = ctx.rng.choice(INSTRUCTIONS)
    return _insert(ctx, "contradictory_instruction", len(text), template.format(old=old, new=new))


def distractor_fact(ctx: Context) -> list[Edit]:
    """A sentence stating another record's facts, slipped in at a sentence boundary."""
    other = ctx.distractor
    starts = sorted(start for start, _ in other.spans.values())
    sentences = [m.group().strip() for m in _SENTENCE_RE.finditer(other.text)
                 if bisect.bisect_left(starts, m.start()) < bisect.bisect_left(starts, m.end())]
    points = [m.end() for m in _BOUNDARY_RE.finditer(ctx.document.text)]
    points = [p for p in points if ctx.taken.is_free(p, p)]
    if not sentences or not points:
        return []
    sentence, at = ctx.rng.choice(sentences), ctx.rng.choice(points)
    lead = ctx.rng.choice(DISTRACTOR_LEADS)
    if lead:
        sentence = lead + sentence[0].lower() + sentence[1:]
    return _insert(ctx, "distractor_fact", at, sentence + " ")


def negation_flip(ctx: Context) -> list[Edit]:
    """Turn a stated finding into its opposite (denies -> reports, granted -> denied, ...)."""
    matches = ctx.free_matches(_NEGATION_RE)
    if not matches:
        return []
    m = ctx.rng.choice(matches)
    original = m.group()
    flip = _FLIP[original.lower()]
    if original[0].isupper():
        flip = flip[:1].upper() + flip[1:]
    start, end = m.start(), m.end()
    if flip == "":  # dropping "not": take the space after it too, so no double space is left
        end += ctx.document.text[end : end + 1] == " "
        original = ctx.document.text[start:end]
        if not ctx.taken.is_free(start, end):
            return []
    return [Edit("adversarial", "negation_flip", start, end, original, flip)]


def homoglyph(ctx: Context) -> list[Edit]:
    """Swap one or two letters of a word for Unicode look-alikes, so it reads the same but tokenises apart."""
    words = [m for m in ctx.free_matches(_WORD_RE) if any(c in HOMOGLYPHS for c in m.group())]
    if not words:
        return []
    m = ctx.rng.choice(words)
    word = list(m.group())
    positions = [i for i, c in enumerate(word) if c in HOMOGLYPHS]
    for i in ctx.rng.sample(positions, min(len(positions), ctx.rng.choice((1, 2)))):
        word[i] = ctx.rng.choice(HOMOGLYPHS[word[i]])
    return [Edit("adversarial", "homoglyph", m.start(), m.end(), m.group(), "".join(word))]


def zero_width(ctx: Context) -> list[Edit]:
    """Hide an invisible character inside a word."""
    words = ctx.free_matches(_WORD_RE)
    if not words:
        return []
    m = ctx.rng.choice(words)
    return _insert(ctx, "zero_width", ctx.rng.randrange(m.start() + 1, m.end()), ctx.rng.choice(ZERO_WIDTH))


def entity_swap(ctx: Context) -> list[Edit]:
    """Exchange the names of two parties (or patient and physician) where the document states them."""
    text, spans = ctx.document.text, ctx.document.spans
    named = [(k, spans[k]) for k in ctx.domain.entities if k in spans]
    pairs = [(a, b) for i, a in enumerate(named) for b in named[i + 1 :]
             if text[slice(*a[1])] != text[slice(*b[1])]
             and ctx.taken.is_free(*a[1]) and ctx.taken.is_free(*b[1])]
    if not pairs:
        return []
    (_, (s1, e1)), (_, (s2, e2)) = sorted(ctx.rng.choice(pairs), key=lambda kv: kv[1])
    first, second = text[s1:e1], text[s2:e2]
    return [Edit("adversarial", "entity_swap", s1, e1, first, second),
            Edit("adversarial", "entity_swap", s2, e2, second, first)]


OPS: dict[str, Op] = {
    "misleading_preface": misleading_preface,
    "contradictory_instruction": contradictory_instruction,
    "distractor_fact": distractor_fact,
    "negation_flip": negation_flip,
    "homoglyph": homoglyph,
    "zero_width": zero_width,
    "entity_swap": entity_swap,
}


class AdversarialConfig(BaseModel, extra="forbid"):
    """Adversarial knobs: op weights and how many ops a document gets at noise level 1."""

    ops: dict[str, float] = Field(default_factory=lambda: {name: 1.0 for name in OPS})
    max_ops: int = Field(2, ge=1, le=len(OPS))

    @field_validator("ops")
    @classmethod
    def _known_ops(cls, ops: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(ops) - set(OPS))
        if unknown:
            raise ValueError(f"unknown adversarial op(s) {unknown}; known: {sorted(OPS)}")
        if any(w < 0 for w in ops.values()) or not any(w > 0 for w in ops.values()):
            raise ValueError("adversarial op weights must be >= 0 with at least one > 0")
        return ops


def adversarial(
    document: Document,
    domain: Domain,
    strength: float,
    rng: random.Random,
    config: AdversarialConfig,
    taken: Occupancy,
) -> list[Edit]:
    """Apply up to max_ops ops (more at higher strength), drawn by weight; ops that do not fit are skipped."""
    wanted = max(1, round(strength * config.max_ops))
    ctx = Context(document, domain, rng, taken, rng.getrandbits(63))
    names = [n for n, w in config.ops.items() if w > 0]
    weights = [config.ops[n] for n in names]
    edits: list[Edit] = []
    while names and len({e.op for e in edits}) < wanted:
        i = rng.choices(range(len(names)), weights)[0]
        name = names.pop(i)
        weights.pop(i)
        new = OPS[name](ctx)
        for e in new:
            taken.add(e)
        edits.extend(new)
    return edits
