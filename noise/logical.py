"""Logical family: break one world-model constraint and re-render the changed values in place."""

from __future__ import annotations

import random
from typing import Protocol, Sequence

from pydantic import BaseModel, Field

from noise.edits import Edit, Occupancy, apply, by_position
from world_model import Document, Domain


class LogicalConfig(BaseModel, extra="forbid"):
    """How often to retry when a violation does not show in this document's text."""

    max_tries: int = Field(4, ge=1, le=64)


class Window(Protocol):
    """A cut of the document (short rows) that can be applied again to a re-rendering of a changed record."""

    def apply(self, document: Document) -> Document | None: ...

    def shows(self, fields: Sequence[str]) -> bool: ...


def span_edits(clean: Document, broken: Document, constraint: str) -> list[Edit]:
    """One edit per field span whose rendered value changed; a whole-region edit if layout moved."""
    a, b = clean.text, broken.text
    if a == b:
        return []
    op = constraint.split(".", 1)[1]
    head = common_prefix(a, b)
    tail = common_prefix(a[head:][::-1], b[head:][::-1]) if len(a) > head < len(b) else 0
    if clean.spans.keys() == broken.spans.keys():
        edits, shift, tail_start = [], len(b) - len(a), len(a) - tail
        for key, (start, end) in clean.spans.items():
            b_start, b_end = broken.spans[key]
            if end <= head and (b_start, b_end) == (start, end):
                continue  # inside the common prefix in both: unchanged
            if start >= tail_start and (b_start - start, b_end - end) == (shift, shift):
                continue  # inside the common suffix in both: unchanged
            before, after = a[start:end], b[b_start:b_end]
            if before != after:
                edits.append(Edit("logical", op, start, end, before, after, constraint))
        edits.sort(key=by_position)
        if apply(a, edits) == b:
            return edits
    return [Edit("logical", op, head, len(a) - tail, a[head : len(a) - tail], b[head : len(b) - tail], constraint)]


def common_prefix(a: str, b: str) -> int:
    """Length of the common prefix, by bisection on slice equality (C memcmp), not char by char."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def logical(
    document: Document,
    record: BaseModel,
    domain: Domain,
    rng: random.Random,
    config: LogicalConfig,
    taken: Occupancy,
    window: Window | None = None,
) -> tuple[list[Edit], tuple[str, ...], BaseModel | None]:
    """Edits that make the document state a record its own constraints forbid, the ids it breaks, that record.

    With `window` (the document is a cut of a whole rendering), the violated rendering is cut the same
    way; the constraint to break is drawn among those whose inputs the window shows (one at least, and
    every one the whole document renders), and only violations whose fields and inputs all show count: a draw whose own
    constraint does not wholly show is re-drawn like one that does not change the text at all.
    """
    if document.seed is None:
        raise ValueError("logical noise re-renders the document: render it with Domain.render so it carries its seed")
    inputs = {c.id: c.nodes for c in domain.constraints} if window is not None else {}
    visible = sorted(cid for cid, nodes in inputs.items() if window.shows(nodes)) if window is not None else []
    if window is not None and not visible:
        return [], (), None
    for _ in range(config.max_tries):
        wanted = rng.choice(visible) if visible else None  # in a window: only constraints it shows all inputs of
        broken, cid, violations = domain.violate_checked(record, rng.getrandbits(63), wanted)
        if window is not None:
            violations = [v for v in violations if window.shows((*v.fields, *inputs[v.constraint_id]))]
            if not any(v.constraint_id == cid for v in violations):
                continue  # its own constraint does not show in the window: re-draw, without rendering
        rendered = domain.render(broken, document.seed, style=document.style)
        if window is not None and (rendered := window.apply(rendered)) is None:
            continue
        edits = span_edits(document, rendered, cid)
        if edits and all(taken.is_free(e.start, e.end) for e in edits):
            return edits, tuple(sorted({v.constraint_id for v in violations})), broken
    return [], (), None
