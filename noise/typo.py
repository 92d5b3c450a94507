"""Typo family: keyboard, transposition, deletion, insertion, doubling, OCR and case errors at a set rate.

The rate is edits per editable character (letters and digits, outside protected spans), so a rate of
0.05 on a 1,000-character document with 800 editable characters gives 40 edits on average.

A document gets dozens of typos, so per typo there is as little Python as possible: sites, ops and
choices come from one block of random bits, and each op's answer for a site text is computed once and
then looked up. (Vectorising the ops in numpy was tried: at ~60 sites a document, the per-call cost of
numpy made it 2x slower than this loop.)
"""

from __future__ import annotations

import bisect
import functools
import itertools
import random
import re
from typing import Callable, Mapping

import numpy as np
from pydantic import BaseModel, Field, field_validator

from noise.edits import Edit, Occupancy

# US QWERTY, row by row; each row sits half a key to the right of the one above.
QWERTY_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")

# Confusions an OCR engine makes on printed text: (seen in the clean text, read as).
OCR_CONFUSIONS = (
    ("rn", "m"), ("m", "rn"), ("cl", "d"), ("d", "cl"), ("vv", "w"), ("w", "vv"), ("li", "h"),
    ("0", "O"), ("O", "0"), ("1", "l"), ("l", "1"), ("I", "l"), ("5", "S"), ("S", "5"),
    ("8", "B"), ("B", "8"), ("2", "Z"), ("e", "c"), ("c", "e"), ("h", "b"), ("u", "v"), ("ri", "n"),
)


def _neighbours() -> dict[str, str]:
    """Keys physically next to each key (same row, and the touching keys of the rows above and below)."""
    out: dict[str, set[str]] = {}
    for r, row in enumerate(QWERTY_ROWS):
        for i, key in enumerate(row):
            near = {row[j] for j in (i - 1, i + 1) if 0 <= j < len(row)}
            if r > 0:
                above = QWERTY_ROWS[r - 1]
                near |= {above[j] for j in (i, i + 1) if 0 <= j < len(above)}
            if r + 1 < len(QWERTY_ROWS):
                below = QWERTY_ROWS[r + 1]
                near |= {below[j] for j in (i - 1, i) if 0 <= j < len(below)}
            out[key] = near
    return {k: "".join(sorted(v)) for k, v in out.items()}


NEIGHBOURS = _neighbours()

# An op maps the clean characters at a site (one, or two where a pair op may take the next one too) to
# the (original, replacement) choices it could make there; () where it does not apply. Ops are pure, so
# each is memoised per site text: a document's dozens of typos cost a cached lookup each, not a search.
TypoOp = Callable[[str], "tuple[tuple[str, str], ...]"]
Choices = tuple[tuple[str, str], ...]


def _near(c: str) -> str:
    keys = NEIGHBOURS.get(c.lower(), "")
    return keys.upper() if c.isupper() else keys


def keyboard(site: str) -> Choices:
    c = site[0]
    return tuple((c, n) for n in _near(c))


def transpose(site: str) -> Choices:
    return ((site, site[::-1]),) if len(site) == 2 and site[0] != site[1] else ()


def delete(site: str) -> Choices:
    return ((site[0], ""),)


def insert(site: str) -> Choices:
    c = site[0]
    return tuple((c, c + n) for n in _near(c))


def double(site: str) -> Choices:
    c = site[0]
    return ((c, c + c),)


def ocr(site: str) -> Choices:
    return tuple((seen, read) for seen, read in OCR_CONFUSIONS if site.startswith(seen))


def case(site: str) -> Choices:
    c = site[0]
    s = c.swapcase()
    return () if s == c or len(s) != 1 else ((c, s),)


OPS: dict[str, TypoOp] = {
    "keyboard": keyboard,
    "transpose": transpose,
    "delete": delete,
    "insert": insert,
    "double": double,
    "ocr": ocr,
    "case": case,
}


class _Choices(dict):
    """site -> (op, original, replacement) choices of one op there, computed on first sight.

    Where the op does not fit, a keyboard slip, or off the keyboard a drop. Ops are pure, so a typo then
    costs one dict lookup; the table is cleared if odd scripts ever grow it past 65,536 sites.
    """

    def __init__(self, op: str) -> None:
        super().__init__()
        self.op = op

    def __missing__(self, site: str) -> tuple[tuple[str, str, str], ...]:
        if len(self) >= 1 << 16:
            self.clear()
        for op in (self.op, "keyboard", "delete"):
            found = OPS[op](site)
            if found:
                self[site] = tuple((op, original, replacement) for original, replacement in found)
                return self[site]
        raise AssertionError("delete always fits")


_CHOICES = {name: _Choices(name) for name in OPS}


class TypoConfig(BaseModel, extra="forbid"):
    """Typo knobs: the rate at noise level 1, op weights, and which fields to spare or aim at."""

    max_rate: float = Field(0.05, ge=0.0, le=0.5)
    ops: dict[str, float] = Field(default_factory=lambda: {name: 1.0 for name in OPS})
    protect: list[str] = Field(default_factory=list, description="span-key globs never edited, e.g. 'labs[*].value'")
    target: list[str] | None = Field(None, description="span-key globs; when set, only these spans are edited")

    @field_validator("ops")
    @classmethod
    def _known_ops(cls, ops: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(ops) - set(OPS))
        if unknown:
            raise ValueError(f"unknown typo op(s) {unknown}; known: {sorted(OPS)}")
        if any(w < 0 for w in ops.values()) or not any(w > 0 for w in ops.values()):
            raise ValueError("typo op weights must be >= 0 with at least one > 0")
        return ops


@functools.lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern[str]:
    """Span-key glob: `*` is any text, `[*]` any list index; repeat mentions (`#2`) match too."""
    body = re.escape(pattern).replace(r"\[\*\]", r"\[\d+\]").replace(r"\*", ".*")
    return re.compile(body + r"(?:#\d+)?")


def _matching(spans: Mapping[str, tuple[int, int]], globs: list[str]) -> list[tuple[int, int]]:
    if not globs:
        return []
    patterns = [_glob(g) for g in globs]
    return [span for key, span in spans.items() if any(p.fullmatch(key) for p in patterns)]


@functools.lru_cache(maxsize=1)
def _alnum_table() -> np.ndarray:
    """isalnum() of every BMP code point (the same set as the regex class [^\\W_]), built once."""
    return np.fromiter((chr(c).isalnum() for c in range(0x10000)), dtype=bool, count=0x10000)


def alnum_mask(text: str) -> np.ndarray:
    """One bool per code point: whether it is a letter or digit, looked up in bulk, not char by char."""
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    if not len(cps) or cps.max() <= 0xFFFF:
        return _alnum_table()[cps]
    mask = _alnum_table()[np.minimum(cps, 0xFFFF)]
    for i in np.flatnonzero(cps > 0xFFFF).tolist():  # astral code points (emoji, historic scripts): rare
        mask[i] = text[i].isalnum()
    return mask


def editable_mask(
    text: str, spans: Mapping[str, tuple[int, int]], config: TypoConfig, taken: Occupancy
) -> np.ndarray:
    """Characters a typo may touch: letters and digits, in a target span if any, not protected or edited."""
    mask = alnum_mask(text)
    if config.target is not None:
        inside = np.zeros_like(mask)
        for start, end in _matching(spans, config.target):
            inside[start:end] = True
        mask &= inside
    for start, end in _matching(spans, config.protect) + [(e.start, e.end) for e in taken.edits]:
        mask[start:end] = False
    return mask


def editable_positions(
    text: str, spans: Mapping[str, tuple[int, int]], config: TypoConfig, taken: Occupancy
) -> list[int]:
    """Offsets of the characters a typo may touch, in order."""
    return np.flatnonzero(editable_mask(text, spans, config, taken)).tolist()


def typos(
    text: str,
    spans: Mapping[str, tuple[int, int]],
    rate: float,
    rng: random.Random,
    config: TypoConfig,
    taken: Occupancy,
) -> list[Edit]:
    """Place round(rate * editable) typos on distinct, non-adjacent editable characters, sorted by start.

    Sites, ops and choices are drawn for all k typos in one block of random bits, and each typo is then
    a lookup in its op's table of cached choices (a document gets dozens of typos).
    """
    eligible = np.flatnonzero(editable_mask(text, spans, config, taken))
    m = len(eligible)
    expected = rate * m
    k = int(expected) + (rng.random() < expected - int(expected))
    k = min(k, (m + 1) // 2)
    if k == 0:
        return []
    u = uniforms(rng, 3 * k)  # per typo: where, which op, which of the op's choices
    idx = _spread(u[:k], m)
    pos = eligible[idx]
    # A pair op (transpose, two-character OCR) may also take the next character when it is editable too.
    pair = eligible[np.minimum(idx + 1, m - 1)] == pos + 1
    # ... but never across a point no edit may span: an insertion, or an empty protected span.
    points = [e.start for e in taken.edits if e.start == e.end]
    points += [start for start, end in _matching(spans, config.protect) if start == end]
    for point in points:  # a few at most: one numpy op each (np.isin costs 100 us here)
        pair &= pos + 1 != point
    tables, cum_weights = _op_table(config)
    sites = zip(pos.tolist(), (pos + 1 + pair).tolist(), u[k : 2 * k].tolist(), u[2 * k :].tolist())
    edits, new, bisect_right = [], tuple.__new__, bisect.bisect
    for start, site_end, u_op, u_pick in sites:
        choices = tables[bisect_right(cum_weights, u_op)][text[start:site_end]]
        name, original, replacement = choices[int(u_pick * len(choices))]
        # Edit(...) by tuple.__new__: a third of the cost of the named tuple's Python-level __new__
        edits.append(new(Edit, ("typo", name, start, start + len(original), original, replacement, None)))
    return edits


def uniforms(rng: random.Random, n: int) -> np.ndarray:
    """n uniform floats in [0, 1), from one block of the generator's bits rather than n calls."""
    return np.frombuffer(rng.randbytes(4 * n), "<u4") * 2.0**-32


def _spread(u: np.ndarray, m: int) -> np.ndarray:
    """k = len(u) increasing indices below m, none next to another: sorted draws below m-2k+2 plus 2 * rank.

    One sort, where an exactly uniform choice among all such index sets needs a rejection loop; every
    index can be drawn, and at typo rates the sets are spread as evenly.
    """
    k = len(u)
    return np.sort((u * (m - 2 * k + 2)).astype(np.int64)) + np.arange(0, 2 * k, 2)


@functools.lru_cache(maxsize=64)
def _op_table_cached(ops: tuple[tuple[str, float], ...]) -> tuple[tuple[_Choices, ...], tuple[float, ...]]:
    weights = [w for _, w in ops if w > 0]
    cum = [c / sum(weights) for c in itertools.accumulate(weights)]
    return tuple(_CHOICES[n] for n, w in ops if w > 0), (*cum[:-1], 1.0)


def _op_table(config: TypoConfig) -> tuple[tuple[_Choices, ...], tuple[float, ...]]:
    """The enabled ops' choice tables and cumulative weights (summing to 1), built once per distinct op mix."""
    return _op_table_cached(tuple(config.ops.items()))
