"""Logical family: break one world-model constraint and re-render the changed values in place."""

from __future__ import annotations

import os
import random

from pydantic import BaseModel, Field

from noise.edits import Edit, Occupancy, apply
from world_model import Document, Domain


class LogicalConfig(BaseModel, extra="forbid"):
    """How often to retry when a violation does not show in this document's text."""

    max_tries: int = Field(4, ge=1, le=64)


def span_edits(clean: Document, broken: Document, constraint: str) -> list[Edit]:
    """One edit per field span whose rendered value changed; a whole-region edit if layout moved."""
    op = constraint.split(".", 1)[1]
    edits = []
    if clean.spans.keys() == broken.spans.keys():
        for key, (start, end) in sorted(clean.spans.items(), key=lambda kv: kv[1]):
            b_start, b_end = broken.spans[key]
            before, after = clean.text[start:end], broken.text[b_start:b_end]
            if before != after:
                edits.append(Edit("logical", op, start, end, before, after, constraint))
        if apply(clean.text, edits) == broken.text:
            return edits
    return _region_edit(clean.text, broken.text, op, constraint)


def _region_edit(clean: str, broken: str, op: str, constraint: str) -> list[Edit]:
    if clean == broken:
        return []
    prefix = len(os.path.commonprefix([clean, broken]))
    suffix = len(os.path.commonprefix([clean[prefix:][::-1], broken[prefix:][::-1]]))
    return [Edit("logical", op, prefix, len(clean) - suffix, clean[prefix : len(clean) - suffix],
                 broken[prefix : len(broken) - suffix], constraint)]


def logical(
    document: Document,
    record: BaseModel,
    domain: Domain,
    rng: random.Random,
    config: LogicalConfig,
    taken: Occupancy,
) -> tuple[list[Edit], tuple[str, ...], BaseModel | None]:
    """Edits that make the document state a record its own constraints forbid, the ids it breaks, that record."""
    if document.seed is None:
        raise ValueError("logical noise re-renders the document: render it with Domain.render so it carries its seed")
    for _ in range(config.max_tries):
        broken, cid, violations = domain.violate_checked(record, rng.getrandbits(63))
        edits = span_edits(document, domain.render(broken, document.seed, style=document.style), cid)
        if edits and all(taken.is_free(e.start, e.end) for e in edits):
            return edits, tuple(sorted({v.constraint_id for v in violations})), broken
    return [], (), None
