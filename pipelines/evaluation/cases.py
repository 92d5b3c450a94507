"""Cases: the sequences to score for each held-out row, in the trainer's layout, and the batched forwards.

Every family is measured on its own: a row's edits never overlap, so applying only one family's edits to
the clean text gives that family's noisy text exactly (the row's full noisy text is the family `all`).
Field spans come from the shard's `spans` column, so no document is re-rendered here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from noise import FAMILIES, Edit, apply
from pipelines.evaluation import metrics as M
from pipelines.training.loading import Specials

ATTACK_OPS = ("misleading_preface", "contradictory_instruction")
ROW_COLUMNS = ("id", "domain", "record", "clean_text", "noisy_text", "edits", "violations", "spans")
EDIT_FIELDS = ("family", "op", "start", "end", "original", "replacement", "constraint")


@dataclass
class Case:
    """One sequence to score, the clean tokens' place in it, and the token ranges whose predictions we keep."""

    ids: list[int]
    offset: int  # index in ids of clean token 0
    ranges: list[tuple[int, int]]  # clean-token index ranges (relative to offset)
    nll: float = 0.0
    count: int = 0
    correct: list[bool] = field(default_factory=list)  # per range: every greedy prediction right
    predicted: list[list[int]] = field(default_factory=list)  # per range: the greedy predictions


@dataclass
class RowCases:
    """Everything measured on one held-out row."""

    level: float
    clean_lm: Case
    denoise: dict[str, Case] = field(default_factory=dict)  # family (or `all`, or `none` at level 0) -> case
    violated_lm: Case | None = None
    identity: Case | None = None  # clean -> clean, the unattacked reference for susceptibility
    attack: Case | None = None  # preface / instruction only -> clean
    attack_targeted: list[bool] = field(default_factory=list)  # per field range: named by an instruction


def spans_of(row: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """The row's field-value spans of clean_text, by key, in text order (the shard's `spans` column)."""
    return {s["key"]: (s["start"], s["end"]) for s in row["spans"]}


class Builder:
    """Turns held-out rows into cases in the trainer's layout (pipelines.training.loading.encode)."""

    def __init__(self, tok: Any) -> None:
        self.backend = tok.backend_tokenizer
        self.sp = Specials.of(tok)
        self._shared: dict[tuple[str, str], tuple[Case, Case]] = {}  # every level holds the same clean rows

    def _encode(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        enc = self.backend.encode(text, add_special_tokens=False)
        return enc.ids, enc.offsets

    def lm(self, clean_ids: list[int], ranges: list[tuple[int, int]]) -> Case:
        return Case([self.sp.bos, *clean_ids, self.sp.eos], 1, ranges)

    def denoise(self, noisy: str, clean_ids: list[int], ranges: list[tuple[int, int]]) -> Case:
        noisy_ids, _ = self._encode(noisy)
        return Case([self.sp.bos, *noisy_ids, self.sp.sep, *clean_ids, self.sp.eos], len(noisy_ids) + 2, ranges)

    def row(self, row: dict[str, Any], level: float) -> RowCases:
        clean = row["clean_text"]
        clean_ids, offsets = self._encode(clean)
        spans = spans_of(row)
        edits = [Edit(**{k: e[k] for k in EDIT_FIELDS}) for e in row["edits"]]

        by_key = dict(zip(spans, M.token_ranges(offsets, spans.values())))

        def ranges_of(keys: list[str]) -> list[tuple[int, int]]:
            return [by_key[k] for k in keys if by_key[k][1] > by_key[k][0]]

        def field_keys() -> list[str]:
            return [k for k in spans if by_key[k][1] > by_key[k][0]]

        key = (row["id"], clean)
        if key not in self._shared:  # clean LM and the copy (clean -> clean) are scored once for all levels
            self._shared[key] = (self.lm(clean_ids, []), self.denoise(clean, clean_ids, ranges_of(field_keys())))
        clean_lm, identity = self._shared[key]
        cases = RowCases(level, clean_lm)
        if not edits:
            if level == 0.0:
                cases.denoise["none"] = identity
            return cases
        for family in FAMILIES:
            mine = [e for e in edits if e.family == family]
            if mine:
                touched = M.touched_spans(spans, [(e.start, e.end) for e in mine])
                cases.denoise[family] = self.denoise(apply(clean, mine), clean_ids, ranges_of(touched))
        if len(cases.denoise) == 1:  # one family: its case is the row's whole noise
            cases.denoise["all"] = next(iter(cases.denoise.values()))
        else:
            touched = M.touched_spans(spans, [(e.start, e.end) for e in edits])
            cases.denoise["all"] = self.denoise(row["noisy_text"], clean_ids, ranges_of(touched))
        logical = [e for e in edits if e.family == "logical"]
        if logical:
            cases.violated_lm = self.lm(self._encode(apply(clean, logical))[0], [])
        attacks = [e for e in edits if e.op in ATTACK_OPS]
        if attacks and spans:
            keys = field_keys()
            cases.identity = identity
            cases.attack = self.denoise(apply(clean, attacks), clean_ids, identity.ranges)
            named = " ".join(e.replacement for e in attacks if e.op == "contradictory_instruction")
            cases.attack_targeted = [len(clean[slice(*spans[k])]) >= 2 and clean[slice(*spans[k])] in named for k in keys]
        return cases


class Runner:
    """Batched no-grad forwards (right-padded; causal attention keeps padding out of earlier positions)."""

    def __init__(self, model: torch.nn.Module, pad: int, device: torch.device, batch_size: int) -> None:
        self.model, self.pad, self.device, self.batch_size = model, pad, device, batch_size
        self.expert_load: torch.Tensor | None = None
        self.tokens = 0

    @torch.inference_mode()
    def run(self, cases: list[Case]) -> None:
        order = sorted(range(len(cases)), key=lambda k: len(cases[k].ids))
        for i in range(0, len(order), self.batch_size):
            batch = [cases[k] for k in order[i : i + self.batch_size]]
            width = max(len(c.ids) for c in batch)
            ids = torch.full((len(batch), width), self.pad, dtype=torch.long)
            labels = torch.full_like(ids, M.IGNORE_INDEX)
            for b, c in enumerate(batch):
                ids[b, : len(c.ids)] = torch.tensor(c.ids)
                labels[b, c.offset : len(c.ids)] = ids[b, c.offset : len(c.ids)]
            out = self.model(ids.to(self.device))
            sums, counts = M.target_nll(out.logits, labels.to(self.device))
            preds = M.greedy_predictions(out.logits).cpu()
            for b, c in enumerate(batch):
                c.nll, c.count = float(sums[b]), int(counts[b])
                for lo, hi in c.ranges:
                    p = preds[b, c.offset + lo : c.offset + hi].tolist()
                    c.predicted.append(p)
                    c.correct.append(p == c.ids[c.offset + lo : c.offset + hi])
            if out.expert_load is not None and out.expert_load.numel():
                load = out.expert_load.cpu().double()
                self.expert_load = load if self.expert_load is None else self.expert_load + load
            self.tokens += sum(len(c.ids) for c in batch)


def all_cases(rows: list[RowCases]) -> list[Case]:
    """Every distinct case of the rows (a case shared by two families, or by two levels, runs once)."""
    out: dict[int, Case] = {}
    for r in rows:
        for c in (r.clean_lm, *r.denoise.values(), r.violated_lm, r.identity, r.attack):
            if c is not None:
                out[id(c)] = c
    return list(out.values())
