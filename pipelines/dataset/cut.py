"""Short rows: a window of a rendered document, cut at line or field boundaries to fit a UTF-8 byte budget.

A window starts at a line start (a field start only where no line start works) and ends at the last
line end or field-value end that keeps it within the budget. Its edges are anchors ("line i", "field
k"), not offsets, so the same cut can be applied to a re-rendering of a changed record (logical noise):
the violated document is cut at the same lines and fields, and its edits are computed on the two cuts.
"""

from __future__ import annotations

import bisect
import itertools
import random
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

from world_model import Document

# ("line", i): start (or end, before its newline) of line i; ("field", key): start (or end) of a value span.
Anchor = tuple[str, "int | str"]
_NEWLINE = re.compile("\n")
_WIDE = re.compile("[^\x00-\x7f]")
_PART_END = re.compile(r"(?=[.\[])|$")  # where a leading part of a field path ends


class CutError(ValueError):
    """No line or field of a document fits the byte budget; the message names the budget and the fix."""


@dataclass(frozen=True)
class Cut:
    """One window of one document, with the field paths the whole document and the window render."""

    start: Anchor
    end: Anchor
    rendered: frozenset[str]
    shown: frozenset[str]

    def apply(self, document: Document) -> Document | None:
        """The window of `document` (this one or a re-rendering of a changed record); None if an anchor is gone."""
        start, end = _resolve(document, self.start, True), _resolve(document, self.end, False)
        if start is None or end is None or end <= start:
            return None
        return window(document, start, end)

    def shows(self, fields: Sequence[str]) -> bool:
        """Whether the window renders one of the fields (or record parts, e.g. `claims`) and every one the whole document renders."""
        rendered, shown = self._parts
        seen = [f in shown for f in fields]
        return any(seen) and all(s or f not in rendered for s, f in zip(seen, fields))

    @cached_property
    def _parts(self) -> tuple[frozenset[str], frozenset[str]]:
        """Every path and record part (`claims`, `claims[0]`) rendered by the whole document and by the window."""
        return parts(self.rendered), parts(self.shown)


def parts(paths: frozenset[str]) -> frozenset[str]:
    """The paths and every leading part of each: `claims[0].title` gives `claims`, `claims[0]`, `claims[0].title`."""
    return frozenset(p[:m.start()] for p in paths for m in _PART_END.finditer(p))


def mentions(paths: frozenset[str], field: str) -> bool:
    """Whether `field` or a part of it (`field.x`, `field[i]...`) is among the paths."""
    return field in parts(paths)


def window(document: Document, start: int, end: int) -> Document:
    """document.text[start:end] with the spans that lie wholly inside, re-based to the window."""
    spans = {k: (a - start, b - start) for k, (a, b) in document.spans.items() if start <= a and b <= end}
    return Document(document.text[start:end], document.style, spans, document.seed)


def choose(document: Document, max_bytes: int, rng: random.Random) -> Cut | None:
    """A seeded window of at most `max_bytes` UTF-8 bytes holding at least one field value; None if all fits.

    Starts are line starts whose window holds a value and fills at least half the budget (any line start
    holding a value if none does; any field start if no line start fits); the window then runs to the
    last line end or value end within the budget. Raises CutError when not even one value fits.
    """
    text = document.text
    if len(text.encode()) <= max_bytes:
        return None
    ordered = sorted((a, b, k) for k, (a, b) in document.spans.items())
    value_starts = [a for a, _, _ in ordered]
    value_ends = [b for _, b, _ in ordered]
    newlines = [m.start() for m in _NEWLINE.finditer(text)]
    line_starts = [0, *(i + 1 for i in newlines)]
    ends: dict[int, Anchor] = {p: ("line", j) for j, p in enumerate([*newlines, len(text)])}
    ends.update({b: ("field", k) for _, b, k in ordered})  # a value end is anchored to its field
    at = _byte_offsets(text, [*line_starts, *value_starts, *ends])
    end_positions = sorted(ends)
    end_bytes = [at[p] for p in end_positions]

    def best_end(s: int) -> int | None:
        """The last boundary within budget from s, if the window [s, it) holds a whole value."""
        i = bisect.bisect_right(end_bytes, at[s] + max_bytes) - 1
        if i < 0 or end_positions[i] <= s:
            return None
        e = end_positions[i]
        first = bisect.bisect_left(value_starts, s)  # the first value starting in the window
        return e if first < len(ordered) and value_ends[first] <= e else None

    fits = [(s, e) for s in line_starts if s < len(text) and text[s] != "\n" and (e := best_end(s)) is not None]
    full = [(s, e) for s, e in fits if 2 * (at[e] - at[s]) >= max_bytes]
    if full or fits:
        s, e = rng.choice(full or fits)
        start: Anchor = ("line", line_starts.index(s))
    else:
        by_field = [(a, k, e) for a, _, k in ordered if (e := best_end(a)) is not None]
        if not by_field:
            raise CutError(f"no line or field of a {document.style} document fits max_doc_bytes={max_bytes}; "
                           "raise max_doc_bytes")
        s, key, e = rng.choice(by_field)
        start = ("field", key)
    shown = frozenset(_path(k) for k in window(document, s, e).spans)
    return Cut(start, ends[e], frozenset(_path(k) for k in document.spans), shown)


def _path(key: str) -> str:
    """A span key's field path (a second mention `path#2` is the same field)."""
    return key.split("#", 1)[0]


def _byte_offsets(text: str, positions: list[int]) -> dict[int, int]:
    """UTF-8 byte offset of each code-point position: the position plus the extra bytes of the wide characters before it."""
    if text.isascii():
        return {p: p for p in positions}
    wide = [m.start() for m in _WIDE.finditer(text)]  # a few per document, found by the regex engine in C
    extra = list(itertools.accumulate(len(text[i].encode()) - 1 for i in wide))
    return {p: p + (extra[k - 1] if (k := bisect.bisect_left(wide, p)) else 0) for p in positions}


def _resolve(document: Document, anchor: Anchor, is_start: bool) -> int | None:
    kind, ref = anchor
    if kind == "field":
        span = document.spans.get(str(ref))
        return None if span is None else span[0 if is_start else 1]
    text, newline = document.text, -1
    for _ in range(int(ref)):  # the newline before line `ref`
        newline = text.find("\n", newline + 1)
        if newline < 0:
            return None
    if is_start:
        return newline + 1
    end = text.find("\n", newline + 1)
    return len(text) if end < 0 else end
