"""The pure per-row work (no Ray, no I/O): which domain, which record, which noise, for row r of shard i.

Every choice is seeded from (global seed, shard, row) or (global seed, row id), so a row is the same
whichever worker makes it, in whatever order; the benchmark, the trainer and the evaluator reuse this.
"""

from __future__ import annotations

import bisect
import importlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterator

import world_model
from noise import FAMILIES, Curriculum, NoiseConfig, choose_families, corrupt
from pipelines.dataset.cut import CutError, choose
from world_model import Document, Domain, derive_seed, make_rng


def row_id(domain: str, shard: int, row: int) -> str:
    return f"{domain}-{shard:05d}-{row:07d}"


def progress_of(shard: int, row: int, shards: int, records_per_shard: int) -> float:
    """Curriculum position of a row: shard i covers [i/N, (i+1)/N), its rows evenly spaced inside."""
    return (shard + row / records_per_shard) / shards


def canonical_json(record: Any) -> str:
    """The record as compact JSON in the model's field order (pydantic's own serializer: fast, stable)."""
    return record.model_dump_json()


@dataclass
class RowMaker:
    """Everything a row needs, resolved once per process (domain objects, cumulative weights)."""

    seed: int
    shards: int
    records_per_shard: int
    weights: dict[str, float]
    curriculum: Curriculum
    noise: NoiseConfig
    noise_level: float | None = None
    imports: tuple[str, ...] = ()
    max_doc_bytes: int | None = None  # set: each clean document is cut to a window of at most this many bytes
    _names: list[str] = field(init=False, repr=False)
    _cumulative: list[float] = field(init=False, repr=False)
    _domains: dict[str, Domain] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for module in self.imports:
            importlib.import_module(module)
        self._names = sorted(self.weights)
        total, self._cumulative = 0.0, []
        for name in self._names:
            total += self.weights[name]
            self._cumulative.append(total)
        self._domains = {name: world_model.domain(name) for name in self._names}
        self._fixed_mix = {f: s.weight for f, s in self.curriculum.families.items()}

    @classmethod
    def from_config(cls, cfg: Any) -> RowMaker:
        """Build from a GenerateConfig (duck-typed so this module does not depend on the job's config)."""
        return cls(
            seed=cfg.seed,
            shards=cfg.shards,
            records_per_shard=cfg.records_per_shard,
            weights=dict(cfg.domain.weights),
            curriculum=cfg.curriculum,
            noise=cfg.noise,
            noise_level=cfg.noise_level,
            imports=tuple(cfg.domain.imports),
            max_doc_bytes=cfg.max_doc_bytes,
        )

    def domain_of(self, shard: int, row: int) -> str:
        """The row's domain: fixed for one domain, else a weighted draw seeded by (seed, shard, row)."""
        if len(self._names) == 1:
            return self._names[0]
        # The 64-bit hash is already uniform: no generator needed for one draw.
        u = derive_seed(self.seed, shard, row, "domain") / 2.0**64 * self._cumulative[-1]
        return self._names[min(bisect.bisect_right(self._cumulative, u), len(self._names) - 1)]

    def plan(self, rid: str, progress: float) -> tuple[float, dict[str, float]]:
        """Noise level and families for a row: the curriculum's at `progress`, or the fixed level."""
        rng = make_rng(derive_seed(self.seed, rid, "plan"))
        if self.noise_level is None:
            return self.curriculum.level(progress), self.curriculum.plan(progress, rng)
        return self.noise_level, choose_families(self.noise_level, self._fixed_mix, rng)

    def row(self, shard: int, row: int) -> dict[str, Any]:
        """One row of the shard contract as plain Python values."""
        name = self.domain_of(shard, row)
        dom = self._domains[name]
        rid = row_id(name, shard, row)
        record = dom.sample(derive_seed(self.seed, rid, "record"))
        problems = dom.check(record)
        if problems:  # sampling is consistent by construction; a violation here is a world-model bug
            raise RuntimeError(f"{rid}: sampled record violates {[v.constraint_id for v in problems]}")
        document = dom.render(record, derive_seed(self.seed, rid, "render"))
        window = None
        if self.max_doc_bytes is not None:  # cut before noise, so every edit is made on the text the row holds
            try:
                window = choose(document, self.max_doc_bytes, make_rng(derive_seed(self.seed, rid, "cut")))
            except CutError as err:
                raise CutError(f"{rid}: {err}") from None
            document = window.apply(document) if window is not None else document
        progress = progress_of(shard, row, self.shards, self.records_per_shard)
        level, families = self.plan(rid, progress)
        if families:
            noised = corrupt(document, record, dom, level, derive_seed(self.seed, rid, "noise"), families, self.noise,
                             window)
            noisy, edits, violations = noised.noisy_text, noised.edits, list(noised.violations)
        else:
            noisy, edits, violations = document.text, (), []
        return {
            "id": rid,
            "domain": name,
            "shard": shard,
            "progress": progress,
            "noise_level": level,
            "record": canonical_json(record),
            "clean_text": document.text,
            "noisy_text": noisy,
            "spans": value_spans(document),
            "edits": [
                {"family": e.family, "op": e.op, "start": e.start, "end": e.end, "original": e.original,
                 "replacement": e.replacement, "constraint": e.constraint}
                for e in edits
            ],
            "violations": violations,
        }

    def rows(self, shard: int) -> Iterator[dict[str, Any]]:
        for r in range(self.records_per_shard):
            yield self.row(shard, r)


def value_spans(document: Document) -> list[dict[str, Any]]:
    """The clean text's field-value spans in text order, as the `spans` column holds them."""
    return [{"key": k, "start": a, "end": b} for k, (a, b) in document.spans.items()]


def tally(rows: list[dict[str, Any]]) -> tuple[dict[str, int], dict[str, int]]:
    """Rows per domain, and rows per noise family (a row counts once per family it holds; `none`: no edit)."""
    domains = Counter(r["domain"] for r in rows)
    families: Counter[str] = Counter({f: 0 for f in FAMILIES})
    families["none"] = 0
    for r in rows:
        present = {e["family"] for e in r["edits"]}
        families.update(present or {"none"})
    return dict(sorted(domains.items())), dict(families)
