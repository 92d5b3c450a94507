"""The pipeline's one entry point: corrupt a rendered document at a noise level, reproducibly."""

from __future__ import annotations

import random
from typing import Mapping

from pydantic import BaseModel, Field

import world_model
from noise.adversarial import AdversarialConfig, adversarial
from noise.curriculum import choose_families
from noise.edits import FAMILIES, Noised, Occupancy, by_position, splice
from noise.logical import LogicalConfig, Window, logical
from noise.typo import TypoConfig, typos
from world_model import Document, Domain, derive_seed, make_rng


class NoiseConfig(BaseModel, extra="forbid"):
    """Per-family knobs; the curriculum decides how much of each a row gets."""

    typo: TypoConfig = Field(default_factory=TypoConfig)
    logical: LogicalConfig = Field(default_factory=LogicalConfig)
    adversarial: AdversarialConfig = Field(default_factory=AdversarialConfig)


DEFAULT_CONFIG = NoiseConfig()
_ALL_FAMILIES = {f: 1.0 for f in FAMILIES}


def corrupt(
    document: Document,
    record: BaseModel,
    domain: Domain | str,
    level: float,
    seed: int,
    families: Mapping[str, float] | None = None,
    config: NoiseConfig = DEFAULT_CONFIG,
    window: Window | None = None,
) -> Noised:
    """Noise one document; `families` (family -> strength) overrides the default draw at `level`.

    Each family draws from its own generator seeded by (seed, family), where the caller derives `seed`
    from (global seed, record id): a row comes out the same in any process and in any order.
    `window`: `document` is a cut of a whole rendering (short rows); logical noise cuts its re-rendering alike.
    """
    dom = world_model.domain(domain) if isinstance(domain, str) else domain
    if not 0.0 <= level <= 1.0:
        raise ValueError(f"level must be in [0, 1], got {level}")
    if families is None:
        families = choose_families(level, _ALL_FAMILIES, make_rng(derive_seed(seed, "plan")))
    unknown = sorted(set(families) - set(FAMILIES))
    if unknown:
        raise ValueError(f"unknown noise family(ies) {unknown}; known: {list(FAMILIES)}")

    taken, violations, noisy_record = Occupancy(), (), None
    if "logical" in families:
        edits, violations, noisy_record = logical(document, record, dom, _rng(seed, "logical"), config.logical, taken,
                                                 window)
        for e in edits:
            taken.add(e)
    if "adversarial" in families:
        adversarial(document, dom, families["adversarial"], _rng(seed, "adversarial"), config.adversarial, taken)
    applied = {e.family for e in taken.edits}
    edits = typos(document.text, document.spans, families["typo"] * config.typo.max_rate, _rng(seed, "typo"),
                  config.typo, taken) if "typo" in families else []
    if edits:
        applied.add("typo")
    if taken.edits:  # typo edits come sorted; the few others are merged in by a C-level sort
        edits = sorted(edits + taken.edits, key=by_position)
    families_applied = tuple(f for f in FAMILIES if f in applied)
    return Noised(document.text, splice(document.text, edits), tuple(edits), violations, families_applied, noisy_record)


def _rng(seed: int, family: str) -> random.Random:
    return make_rng(derive_seed(seed, family))
