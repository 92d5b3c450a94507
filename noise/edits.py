"""Labelled edits over clean text: the one structure every noise family produces and the trainer undoes."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Sequence

FAMILIES = ("typo", "logical", "adversarial")


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace clean[start:end] (code points) by `replacement`; start == end is an insertion."""

    family: str
    op: str
    start: int
    end: int
    original: str
    replacement: str
    constraint: str | None = None

    def as_row(self) -> dict:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Noised:
    """A document before and after noise, with the edits between them and what they break."""

    clean_text: str
    noisy_text: str
    edits: tuple[Edit, ...]
    violations: tuple[str, ...] = ()
    families: tuple[str, ...] = ()
    noisy_record: Any = None  # the record the noisy text states, when a logical edit changed it


def _key(e: Edit) -> tuple[int, int]:
    return (e.start, e.end)


def validate(clean: str, edits: Sequence[Edit]) -> None:
    """Raise ValueError unless edits are sorted, disjoint, in bounds and match the clean text."""
    prev: Edit | None = None
    for e in edits:
        if not 0 <= e.start <= e.end <= len(clean):
            raise ValueError(f"edit out of bounds: {e}")
        if clean[e.start : e.end] != e.original:
            raise ValueError(f"edit original does not match the clean text at {e.start}:{e.end}: {e}")
        if prev is not None:
            if _key(prev) > _key(e):
                raise ValueError(f"edits not sorted by start: {prev} then {e}")
            if prev.end > e.start or (prev.start == prev.end == e.start == e.end):
                raise ValueError(f"edits overlap: {prev} and {e}")
        prev = e


def apply(clean: str, edits: Sequence[Edit]) -> str:
    """The noisy text: clean text with every edit's span replaced."""
    validate(clean, edits)
    out, pos = [], 0
    for e in edits:
        out.append(clean[pos : e.start])
        out.append(e.replacement)
        pos = e.end
    out.append(clean[pos:])
    return "".join(out)


def undo(noisy: str, edits: Sequence[Edit]) -> str:
    """The clean text back from the noisy one; the edits locate themselves by cumulative shift."""
    out, pos, shift = [], 0, 0
    for e in edits:
        at = e.start + shift
        if noisy[at : at + len(e.replacement)] != e.replacement:
            raise ValueError(f"noisy text does not hold the replacement of {e} at {at}")
        out.append(noisy[pos:at])
        out.append(e.original)
        pos = at + len(e.replacement)
        shift += len(e.replacement) - (e.end - e.start)
    out.append(noisy[pos:])
    return "".join(out)


def clashes(a: Edit, start: int, end: int) -> bool:
    """Whether an edit over [start, end) could not sit beside `a` in one sorted, disjoint list."""
    if start == end:
        return a.start < start < a.end or a.start == a.end == start
    if a.start == a.end:
        return start < a.start < end
    return a.start < end and start < a.end


class Occupancy:
    """The edits placed so far (few: logical and adversarial), so later ones never overlap them."""

    def __init__(self) -> None:
        self.edits: list[Edit] = []

    def is_free(self, start: int, end: int) -> bool:
        return not any(clashes(e, start, end) for e in self.edits)

    def add(self, e: Edit) -> None:
        if not self.is_free(e.start, e.end):
            raise ValueError(f"edit overlaps an earlier one: {e}")
        self.edits.append(e)

    def sorted_edits(self) -> tuple[Edit, ...]:
        return tuple(sorted(self.edits, key=_key))
