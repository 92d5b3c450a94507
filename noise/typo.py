"""Typo family: keyboard, transposition, deletion, insertion, doubling, OCR and case errors at a set rate.

The rate is edits per editable character (letters and digits, outside protected spans), so a rate of
0.05 on a 1,000-character document with 800 editable characters gives 40 edits on average.
"""

from __future__ import annotations

import functools
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
_OCR_BY_FIRST: dict[str, list[tuple[str, str]]] = {}
for _seen, _read in OCR_CONFUSIONS:
    _OCR_BY_FIRST.setdefault(_seen[0], []).append((_seen, _read))

# An op looks at the clean text at `pos` (and `pos + 1` when `pair` is True) and returns
# (original, replacement), or None where it does not apply.
TypoOp = Callable[[str, int, bool, random.Random], "tuple[str, str] | None"]


def _near(c: str, rng: random.Random) -> str | None:
    keys = NEIGHBOURS.get(c.lower())
    if not keys:
        return None
    n = rng.choice(keys)
    return n.upper() if c.isupper() else n


def keyboard(text: str, pos: int, pair: bool, rng: random.Random) -> tuple[str, str] | None:
    c = text[pos]
    n = _near(c, rng)
    return None if n is None else (c, n)


def transpose(text: str, pos: int, pair: bool, rng: random.Random) -> tuple[str, str] | None:
    if not pair or text[pos] == text[pos + 1]:
        return None
    return text[pos : pos + 2], text[pos + 1] + text[pos]


def delete(text: str, pos: int, pair: bool, rng: random.Random) -> tuple[str, str] | None:
    return text[pos], ""


def insert(text: str, pos: int, pair: bool, rng: random.Random) -> tuple[str, str] | None:
    c = text[pos]
    n = _near(c, rng)
    return None if n is None else (c, c + n)


def double(text: str, pos: int, pair: bool, rng: random.Random) -> tuple[str, str] | None:
    return text[pos], text[pos] * 2


def ocr(text: str, pos: int, pair: bool, rng: random.Random) -> tuple[str, str] | None:
    options = [(s, r) for s, r in _OCR_BY_FIRST.get(text[pos], ()) if len(s) == 1 or (pair and text.startswith(s, pos))]
    return rng.choice(options) if options else None


def case(text: str, pos: int, pair: bool, rng: random.Random) -> tuple[str, str] | None:
    c = text[pos]
    s = c.swapcase()
    return None if s == c or len(s) != 1 else (c, s)


OPS: dict[str, TypoOp] = {
    "keyboard": keyboard,
    "transpose": transpose,
    "delete": delete,
    "insert": insert,
    "double": double,
    "ocr": ocr,
    "case": case,
}


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
    """Place round(rate * editable) typos on distinct, non-adjacent editable characters."""
    eligible = np.flatnonzero(editable_mask(text, spans, config, taken))
    m = len(eligible)
    expected = rate * m
    k = int(expected) + (rng.random() < expected - int(expected))
    k = min(k, (m + 1) // 2)
    if k == 0:
        return []
    # k draws from m-k+1 slots spread by their rank: chosen characters are never neighbours.
    idx = np.array(sorted(rng.sample(range(m - k + 1), k))) + np.arange(k)
    names, weights = zip(*((n, w) for n, w in config.ops.items() if w > 0))
    chosen = rng.choices(names, weights, k=k)
    # A pair op (transpose, two-character OCR) may also take the next character when it is editable too.
    nxt = np.append(eligible, -1)[idx + 1]
    pairs = (nxt == eligible[idx] + 1).tolist()
    insertion_points = {e.start for e in taken.edits if e.start == e.end}
    edits = []
    for pos, pair, name in zip(eligible[idx].tolist(), pairs, chosen):
        pair = pair and pos + 1 not in insertion_points
        change = OPS[name](text, pos, pair, rng)
        if change is None:  # the op does not fit this character: a keyboard slip always does, else a drop
            name = "keyboard" if text[pos].lower() in NEIGHBOURS else "delete"
            change = OPS[name](text, pos, pair, rng)
        original, replacement = change
        edits.append(Edit("typo", name, pos, pos + len(original), original, replacement))
    return edits
