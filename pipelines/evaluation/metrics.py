"""Robustness metrics as pure functions of logits, token ids, offsets and scores (no model, no I/O).

The evaluator (pipelines/evaluation/cases.py, scoring.py) feeds them; the tests feed them hand-made cases with known answers.
Conventions: logits[:, i] predicts token i + 1 (transformers' shift); labels are -100 where no loss.
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Iterable, Sequence

import torch
import torch.nn.functional as F

IGNORE_INDEX = -100


# ---- losses ----------------------------------------------------------------------------------------


def target_nll(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-row summed NLL of the target tokens and their count, [B] each; masked positions count for nothing."""
    pred, target = logits[:, :-1].float(), labels[:, 1:]
    nll = F.cross_entropy(pred.transpose(1, 2), target.clamp(min=0), reduction="none")  # [B, T-1]
    mask = target != IGNORE_INDEX
    return (nll * mask).sum(dim=1), mask.sum(dim=1)


def mean_loss(sums: Sequence[float], counts: Sequence[int]) -> float:
    """Token-weighted mean loss over rows (each target token counts once); nan when there is none."""
    n = sum(counts)
    return sum(sums) / n if n else math.nan


# ---- exact-match repair ----------------------------------------------------------------------------


def token_ranges(offsets: Sequence[tuple[int, int]], spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Per character span [start, end): indices [i, j) of the tokens overlapping it ((0, 0) when none do)."""
    starts, ends = [s for s, _ in offsets], [e for _, e in offsets]
    out = []
    for start, end in spans:
        i, j = bisect.bisect_right(ends, start), bisect.bisect_left(starts, end)  # offsets are sorted
        while i < j and offsets[i][0] == offsets[i][1]:  # zero-width tokens overlap nothing
            i += 1
        while j > i and offsets[j - 1][0] == offsets[j - 1][1]:
            j -= 1
        out.append((i, j) if i < j else (0, 0))
    return out


def token_range(offsets: Sequence[tuple[int, int]], start: int, end: int) -> tuple[int, int]:
    """Indices [i, j) of the tokens that overlap characters [start, end) (empty when none do)."""
    return token_ranges(offsets, [(start, end)])[0]


def greedy_predictions(logits: torch.Tensor) -> torch.Tensor:
    """argmax token predicted for each position i >= 1 from tokens < i, aligned with input_ids ([B, T], -1 at 0)."""
    pred = logits.argmax(dim=-1)
    return torch.cat([torch.full_like(pred[:, :1], -1), pred[:, :-1]], dim=1)


def span_exact_match(predicted: Sequence[int], truth: Sequence[int], ranges: Iterable[tuple[int, int]]) -> list[bool]:
    """Per token range: did the greedy prediction get every token of it right (given the true prefix)?

    With teacher forcing, all tokens right <=> greedy decoding from the value's start reproduces it exactly.
    """
    out = []
    for i, j in ranges:
        if j <= i:
            continue
        out.append(all(int(predicted[k]) == int(truth[k]) for k in range(i, j)))
    return out


def touched_spans(spans: dict[str, tuple[int, int]], edits: Iterable[tuple[int, int]]) -> list[str]:
    """Field span keys an edit [start, end) changes: overlap, or an insertion strictly inside the value."""
    keys = []
    edits = list(edits)
    for key, (s, e) in spans.items():
        for a, b in edits:
            if (a < e and b > s) if b > a else (s < a < e):
                keys.append(key)
                break
    return keys


def rate(flags: Sequence[bool]) -> float:
    """Fraction of True; nan for an empty list (no case is not a score of 0)."""
    return sum(map(bool, flags)) / len(flags) if flags else math.nan


# ---- inconsistency detection -----------------------------------------------------------------------


def preference_rate(consistent: Sequence[float], violated: Sequence[float]) -> float:
    """Fraction of pairs where the consistent document has the lower loss (a tie counts one half)."""
    if len(consistent) != len(violated):
        raise ValueError(f"{len(consistent)} consistent scores but {len(violated)} violated ones")
    if not consistent:
        return math.nan
    wins = sum(1.0 if c < v else 0.5 if c == v else 0.0 for c, v in zip(consistent, violated))
    return wins / len(consistent)


def auroc(scores: Sequence[float], labels: Sequence[int]) -> float:
    """Area under the ROC curve of `scores` (higher = more likely label 1), by the Mann-Whitney rank sum.

    Ties get average ranks, so a constant scorer gives exactly 0.5; nan when one class is absent.
    """
    if len(scores) != len(labels):
        raise ValueError(f"{len(scores)} scores but {len(labels)} labels")
    n_pos = sum(1 for y in labels if y)
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    order = sorted(range(len(scores)), key=lambda k: scores[k])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1  # 1-based average rank of the tie block
        i = j + 1
    pos_rank_sum = sum(r for r, y in zip(ranks, labels) if y)
    return (pos_rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


# ---- adversarial susceptibility --------------------------------------------------------------------


def completions_changed(before: Sequence[Sequence[int]], after: Sequence[Sequence[int]]) -> list[bool]:
    """Per field: do the model's predicted value tokens differ between the plain and the attacked input?"""
    if len(before) != len(after):
        raise ValueError(f"{len(before)} plain completions but {len(after)} attacked ones")
    return [list(map(int, a)) != list(map(int, b)) for a, b in zip(before, after)]


# ---- aggregation -----------------------------------------------------------------------------------


def mean_spread(values: Sequence[float]) -> dict[str, float]:
    """Mean, sample standard deviation, min and max over seeds, ignoring nans (n says how many were kept)."""
    kept = [v for v in values if v is not None and not math.isnan(v)]
    if not kept:
        return {"mean": math.nan, "std": math.nan, "min": math.nan, "max": math.nan, "n": 0}
    return {
        "mean": statistics.fmean(kept),
        "std": statistics.stdev(kept) if len(kept) > 1 else 0.0,
        "min": min(kept),
        "max": max(kept),
        "n": len(kept),
    }
