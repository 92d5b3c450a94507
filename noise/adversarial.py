"""Adversarial family: text that misleads a reader rather than misspells, each op a labelled edit."""

from __future__ import annotations

import bisect
import functools
import random
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Sequence, TypeVar

import numpy as np

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
from world_model import Document, Domain, derive_seed

_NEGATION_RE = re.compile(
    r"\b(" + "|".join(re.escape(cue) for cue, _ in sorted(NEGATIONS, key=lambda p: -len(p[0]))) + r")\b",
    re.IGNORECASE,
)
_FLIP = {cue: flip for cue, flip in NEGATIONS}
_CUES = sorted(_FLIP, key=len, reverse=True)  # the regex's alternation order: longest cue first
_HOMOGLYPH_SET = frozenset(HOMOGLYPHS)
_SENTENCE_RE = re.compile(r"[^.\n]{30,}?[.](?=\s|$)")
_BOUNDARY_RE = re.compile(r"(?<=[.:]) (?=[A-Z])|\n(?=\S)")


# Distractor facts come from a fixed pool of other records per (domain, style), sampled and rendered once
# per process: a pure function of the pool index, so any worker draws the same distractor for a row.
DISTRACTOR_POOL = 128
T = TypeVar("T")


@functools.lru_cache(maxsize=4096)
def _pooled_distractor(domain: Domain, style: str, index: int) -> tuple[Document, tuple[str, ...]]:
    """Pool entry `index`: another record's document, and its sentences that state a field value."""
    seed = derive_seed("distractor", domain.name, style, index)
    doc = domain.render(domain.sample(seed), derive_seed(seed, "render"), style=style)
    starts = sorted(start for start, _ in doc.spans.values())
    sentences = tuple(m.group().strip() for m in _SENTENCE_RE.finditer(doc.text)
                      if bisect.bisect_left(starts, m.start()) < bisect.bisect_left(starts, m.end()))
    return doc, sentences


@dataclass
class Context:
    """What an op may look at: the clean document, its domain, and another record to borrow from."""

    document: Document
    domain: Domain
    rng: random.Random
    taken: Occupancy
    seed: int

    @property
    def distractor(self) -> Document:
        """A different record of the same domain, rendered in the same style, for borrowed facts."""
        return self._pooled[0]

    @property
    def distractor_sentences(self) -> tuple[str, ...]:
        """The distractor's sentences that state at least one of its field values."""
        return self._pooled[1]

    @cached_property
    def _pooled(self) -> tuple[Document, tuple[str, ...]]:
        return _pooled_distractor(self.domain, self.document.style, self.seed % DISTRACTOR_POOL)

    @cached_property
    def words(self) -> list[tuple[int, int]]:
        """Spans of the words (4+ ASCII letters) that homoglyph and zero-width ops choose from.

        The maximal runs of ASCII letters found on code points in bulk: the matches of [A-Za-z]{4,},
        at a fraction of the cost of a Match object per word.
        """
        cps = np.frombuffer(self.document.text.encode("utf-32-le", "surrogatepass"), "<u4")
        letter = np.zeros(len(cps) + 2, bool)
        letter[1:-1] = (cps | 0x20) - ord("a") < 26  # a-z after folding case; everything else wraps past 26
        edges = np.flatnonzero(letter[1:] != letter[:-1])  # where runs of letters start and end, alternately
        starts, ends = edges[0::2], edges[1::2]
        long = ends - starts >= 4
        return list(zip(starts[long].tolist(), ends[long].tolist()))

    def pick(
        self, candidates: Sequence[T], ok: Callable[[T], bool], narrow: Callable[[list[T]], list[T]] | None = None
    ) -> T | None:
        """A uniform choice among the candidates that are ok: a few draws tried first, else a full filter.

        Rejection keeps the choice uniform, and an op then looks at two or three candidates, not all;
        `narrow` (a bulk form of part of `ok`) shrinks the list before the full filter.
        """
        for _ in range(min(8, len(candidates))):
            c = self.rng.choice(candidates)
            if ok(c):
                return c
        pool = [c for c in (narrow(list(candidates)) if narrow else candidates) if ok(c)]
        return self.rng.choice(pool) if pool else None

    def free(self, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The spans (sorted, disjoint) no earlier edit touches."""
        return self.taken.free_spans(spans)


Op = Callable[[Context], list[Edit]]


def _insert(ctx: Context, op: str, at: int, text: str) -> list[Edit]:
    return [Edit("adversarial", op, at, at, "", text)] if ctx.taken.is_free(at, at) else []


def misleading_preface(ctx: Context) -> list[Edit]:
    """A preface telling the reader to distrust the document."""
    options = PREFACES.get(ctx.domain.name, PREFACES["*"])
    return _insert(ctx, "misleading_preface", 0, ctx.rng.choice(options))


def contradictory_instruction(ctx: Context) -> list[Edit]:
    """An instruction, appended, that contradicts one value the document states."""
    text, other, spans = ctx.document.text, ctx.distractor, ctx.document.spans

    def differs(k: str) -> bool:
        s, e = spans[k]
        return e - s >= 2 and k in other.spans and other.text[slice(*other.spans[k])] != text[s:e]

    key = ctx.pick(list(spans), differs)
    if key is None:
        return []
    old, new = text[slice(*ctx.document.spans[key])], other.text[slice(*other.spans[key])]
    template = ctx.rng.choice(INSTRUCTIONS)
    return _insert(ctx, "contradictory_instruction", len(text), template.format(old=old, new=new))


def distractor_fact(ctx: Context) -> list[Edit]:
    """A sentence stating another record's facts, slipped in at a sentence boundary."""
    sentences = ctx.distractor_sentences
    at = ctx.pick([m.end() for m in _BOUNDARY_RE.finditer(ctx.document.text)], lambda p: ctx.taken.is_free(p, p))
    if not sentences or at is None:
        return []
    sentence = ctx.rng.choice(sentences)
    lead = ctx.rng.choice(DISTRACTOR_LEADS)
    if lead:
        sentence = lead + sentence[0].lower() + sentence[1:]
    return _insert(ctx, "distractor_fact", at, sentence + " ")


def negation_spans(text: str) -> list[tuple[int, int]]:
    """The spans _NEGATION_RE.finditer gives, found by str.find per cue on the lower-cased text.

    A 40-way case-insensitive alternation makes the regex engine try every cue at every position
    (~0.5 ms a document); a find per cue is C-level and only the few hits are checked for word edges.
    Where lower-casing could disagree with the regex's case folding, the regex itself is used.
    """
    low = text.lower()
    if len(low) != len(text) or "\u0131" in text or "\u017f" in text:  # İ, dotless i, long s
        return [m.span() for m in _NEGATION_RE.finditer(text)]
    n, hits = len(text), []
    for cue in _CUES:
        i = low.find(cue)
        while i >= 0:
            end = i + len(cue)
            if (i == 0 or not _is_word(text[i - 1])) and (end == n or not _is_word(text[end])):
                hits.append((i, -end))
            i = low.find(cue, i + 1)
    spans, last = [], 0
    for start, neg_end in sorted(hits):  # leftmost first, longest at one start: what the regex takes
        if start >= last:
            spans.append((start, -neg_end))
            last = -neg_end
    return spans


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"


def negation_flip(ctx: Context) -> list[Edit]:
    """Turn a stated finding into its opposite (denies -> reports, granted -> denied, ...)."""
    spans = ctx.free(negation_spans(ctx.document.text))
    if not spans:
        return []
    start, end = ctx.rng.choice(spans)
    original = ctx.document.text[start:end]
    flip = _FLIP[original.lower()]
    if original[0].isupper():
        flip = flip[:1].upper() + flip[1:]
    if flip == "":  # dropping "not": take the space after it too, so no double space is left
        end += ctx.document.text[end : end + 1] == " "
        original = ctx.document.text[start:end]
        if not ctx.taken.is_free(start, end):
            return []
    return [Edit("adversarial", "negation_flip", start, end, original, flip)]


def homoglyph(ctx: Context) -> list[Edit]:
    """Swap one or two letters of a word for Unicode look-alikes, so it reads the same but tokenises apart."""
    text = ctx.document.text
    word = ctx.pick(ctx.words, lambda w: ctx.taken.is_free(*w) and not _HOMOGLYPH_SET.isdisjoint(text[w[0] : w[1]]),
                    narrow=ctx.free)
    if word is None:
        return []
    start, end = word
    word = list(text[start:end])
    positions = [i for i, c in enumerate(word) if c in HOMOGLYPHS]
    for i in ctx.rng.sample(positions, min(len(positions), ctx.rng.choice((1, 2)))):
        word[i] = ctx.rng.choice(HOMOGLYPHS[word[i]])
    return [Edit("adversarial", "homoglyph", start, end, text[start:end], "".join(word))]


def zero_width(ctx: Context) -> list[Edit]:
    """Hide an invisible character inside a word."""
    word = ctx.pick(ctx.words, lambda w: ctx.taken.is_free(*w), narrow=ctx.free)
    if word is None:
        return []
    start, end = word
    return _insert(ctx, "zero_width", ctx.rng.randrange(start + 1, end), ctx.rng.choice(ZERO_WIDTH))


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
