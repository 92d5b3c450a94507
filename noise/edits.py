"""Labelled edits over clean text: the one structure every noise family produces and the trainer undoes."""

from __future__ import annotations

import bisect
import operator
from dataclasses import dataclass
from typing import Any, NamedTuple, Sequence

FAMILIES = ("typo", "logical", "adversarial")


class Edit(NamedTuple):
    """Replace clean[start:end] (code points) by `replacement`; start == end is an insertion.

    A named tuple, not a dataclass: a document gets dozens of typo edits and a tuple is built 3x faster.
    """

    family: str
    op: str
    start: int
    end: int
    original: str
    replacement: str
    constraint: str | None = None

    def as_row(self) -> dict:
        return self._asdict()


@dataclass(frozen=True, slots=True)
class Noised:
    """A document before and after noise, with the edits between them and what they break."""

    clean_text: str
    noisy_text: str
    edits: tuple[Edit, ...]
    violations: tuple[str, ...] = ()
    families: tuple[str, ...] = ()
    noisy_record: Any = None  # the record the noisy text states, when a logical edit changed it


by_position = operator.itemgetter(2, 3)  # (start, end) of an Edit, as a C-level sort key


def validate(clean: str, edits: Sequence[Edit]) -> None:
    """Raise ValueError unless edits are sorted, disjoint, in bounds and match the clean text."""
    n, prev, prev_start, prev_end = len(clean), None, -1, -1
    for e in edits:
        start, end = e.start, e.end
        if not 0 <= start <= end <= n:
            raise ValueError(f"edit out of bounds: {e}")
        if clean[start:end] != e.original:
            raise ValueError(f"edit original does not match the clean text at {start}:{end}: {e}")
        if start < prev_start or (start == prev_start and end < prev_end):
            raise ValueError(f"edits not sorted by start: {prev} then {e}")
        if prev_end > start or prev_start == prev_end == start == end:
            raise ValueError(f"edits overlap: {prev} and {e}")
        prev, prev_start, prev_end = e, start, end


def apply(clean: str, edits: Sequence[Edit]) -> str:
    """The noisy text: clean text with every edit's span replaced."""
    validate(clean, edits)
    return splice(clean, edits)


def splice(clean: str, edits: Sequence[Edit]) -> str:
    """`apply` for edits known to be valid (sorted, disjoint, matching), so without the checks."""
    out, pos = [], 0
    for e in edits:
        out.append(clean[pos : e[2]])  # e[2], e[3], e[5]: start, end, replacement; indexing skips the
        # named-tuple property lookups, and this runs once per typo
        out.append(e[5])
        pos = e[3]
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
        for e in self.edits:  # a plain loop, not any(<generator>): ops ask this for every candidate they try
            if clashes(e, start, end):
                return False
        return True

    def free_spans(self, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The spans (sorted, disjoint, non-empty) that no edit clashes with, found by bisection per edit."""
        if not self.edits or not spans:
            return spans
        starts = [s for s, _ in spans]
        ends = [e for _, e in spans]
        blocked = set()
        for e in self.edits:  # a span clashes when it ends after e.start and starts before e.end
            blocked.update(range(bisect.bisect_right(ends, e.start), bisect.bisect_left(starts, e.end)))
        return [span for i, span in enumerate(spans) if i not in blocked] if blocked else spans

    def add(self, e: Edit) -> None:
        if not self.is_free(e.start, e.end):
            raise ValueError(f"edit overlaps an earlier one: {e}")
        self.edits.append(e)

    def sorted_edits(self) -> tuple[Edit, ...]:
        return tuple(sorted(self.edits, key=by_position))
