"""Each robustness metric on hand-made cases whose answers are known."""

from __future__ import annotations

import math
import random

import pytest
import torch
import torch.nn.functional as F

import world_model
from noise import apply, corrupt
from pipelines.evaluation import metrics as M


# ---- losses and masking ----------------------------------------------------------------------------


def test_target_nll_counts_only_unmasked_targets():
    torch.manual_seed(0)
    logits = torch.randn(2, 6, 11)
    ids = torch.randint(0, 11, (2, 6))
    labels = ids.clone()
    labels[0, :3] = M.IGNORE_INDEX  # context of a denoising example: no loss there
    labels[1, 5] = M.IGNORE_INDEX
    sums, counts = M.target_nll(logits, labels)
    assert counts.tolist() == [3, 4]
    for b in range(2):
        want = sum(F.cross_entropy(logits[b, t - 1 : t], ids[b, t : t + 1]).item()
                   for t in range(1, 6) if labels[b, t] != M.IGNORE_INDEX)
        assert sums[b].item() == pytest.approx(want, rel=1e-5)
    # predictions made from masked positions' logits onto masked targets do not enter the sum
    logits2 = logits.clone()
    logits2[0, :2] = 100 * torch.randn(2, 11)
    assert M.target_nll(logits2, labels)[0][0].item() == pytest.approx(sums[0].item(), rel=1e-6)


def test_perfect_logits_give_zero_loss_and_mean_is_token_weighted():
    ids = torch.tensor([[3, 1, 4, 1, 5]])
    logits = torch.full((1, 5, 8), -1e4)
    for t in range(4):
        logits[0, t, ids[0, t + 1]] = 1e4
    sums, counts = M.target_nll(logits, ids)
    assert sums.item() == pytest.approx(0.0, abs=1e-3) and counts.item() == 4
    assert M.mean_loss([3.0, 3.0], [1, 3]) == 1.5  # 6 nats / 4 tokens, not the mean of per-row means (2.0)
    assert math.isnan(M.mean_loss([], []))


# ---- exact-match repair ----------------------------------------------------------------------------


def test_token_range_covers_overlapping_tokens():
    offsets = [(0, 3), (3, 4), (4, 9), (9, 10), (10, 10)]
    assert M.token_range(offsets, 4, 9) == (2, 3)
    assert M.token_range(offsets, 2, 5) == (0, 3)  # straddling tokens are part of the value
    assert M.token_range(offsets, 10, 12) == (0, 0)  # no token: an empty range
    rng = random.Random(0)
    cuts = sorted({0, 60, *rng.sample(range(1, 60), 20)})
    toks = list(zip(cuts, cuts[1:]))
    for _ in range(200):  # the bisect version agrees with the definition
        a = rng.randrange(0, 60)
        b = rng.randrange(a, 61)
        hit = [k for k, (s, e) in enumerate(toks) if s < b and e > a]
        assert M.token_range(toks, a, b) == ((hit[0], hit[-1] + 1) if hit else (0, 0))


def test_greedy_predictions_align_with_input_positions():
    logits = torch.zeros(1, 3, 5)
    logits[0, 0, 4] = logits[0, 1, 2] = logits[0, 2, 0] = 1.0
    assert M.greedy_predictions(logits).tolist() == [[-1, 4, 2]]


def test_span_exact_match_needs_every_token_of_the_value():
    truth = [7, 1, 2, 3, 4, 5]
    pred = [-1, 1, 2, 9, 4, 5]
    assert M.span_exact_match(pred, truth, [(1, 3), (2, 4), (4, 6), (3, 3)]) == [True, False, True]
    assert M.rate([True, False, True]) == pytest.approx(2 / 3)
    assert math.isnan(M.rate([]))


def test_touched_spans_by_overlap_or_inner_insertion():
    spans = {"a": (0, 5), "b": (10, 14), "c": (20, 25)}
    assert M.touched_spans(spans, [(3, 4)]) == ["a"]
    assert M.touched_spans(spans, [(12, 12)]) == ["b"]  # insertion inside a value changes it
    assert M.touched_spans(spans, [(10, 10), (14, 14), (5, 10)]) == []  # at the edges or between: untouched
    assert M.touched_spans(spans, [(4, 21)]) == ["a", "b", "c"]


def test_touched_spans_of_real_noise_are_the_fields_the_edits_changed():
    dom = world_model.domain("medical")
    record = dom.sample(5)
    doc = dom.render(record, 6)
    noised = corrupt(doc, record, dom, 1.0, 7, families={"logical": 1.0})
    keys = M.touched_spans(doc.spans, [(e.start, e.end) for e in noised.edits])
    assert keys, "a logical edit re-renders at least one field value"
    noisy = apply(doc.text, noised.edits)
    changed = [k for k, (s, e) in doc.spans.items() if doc.text[s:e] not in noisy]
    assert set(changed) <= set(keys)


# ---- inconsistency detection -----------------------------------------------------------------------


def _pairs(n: int = 200, seed: int = 0) -> tuple[list[float], list[float]]:
    rng = random.Random(seed)
    base = [rng.uniform(1.0, 5.0) for _ in range(n)]
    return base, [b + rng.uniform(0.01, 0.5) for b in base]


def test_scorer_preferring_consistent_records_scores_one():
    dom = world_model.domain("financial")
    records = [dom.sample(i) for i in range(20)]
    violated = [dom.violate(r, 100 + i)[0] for i, r in enumerate(records)]
    oracle = [float(len(dom.check(r))) for r in records + violated]  # violations found: 0 for consistent
    labels = [0] * 20 + [1] * 20
    assert M.auroc(oracle, labels) == 1.0
    assert M.preference_rate(oracle[:20], oracle[20:]) == 1.0


def test_preference_and_auroc_reversed_random_and_ties():
    consistent, violated = _pairs()
    labels = [0] * len(consistent) + [1] * len(violated)
    assert M.preference_rate(consistent, violated) == 1.0
    assert M.preference_rate(violated, consistent) == 0.0
    assert M.preference_rate([1.0, 2.0], [1.0, 3.0]) == 0.75  # a tie counts one half
    separated = [0.1 * k for k in range(10)] + [5 + 0.1 * k for k in range(10)]
    assert M.auroc(separated, [0] * 10 + [1] * 10) == 1.0
    assert M.auroc([-s for s in separated], [0] * 10 + [1] * 10) == 0.0
    rng = random.Random(1)
    noise = [rng.random() for _ in labels]
    assert abs(M.auroc(noise, labels) - 0.5) < 0.07
    assert M.auroc([3.0] * 8, [0, 1] * 4) == 0.5  # a constant scorer knows nothing
    assert math.isnan(M.auroc([1.0, 2.0], [1, 1]))


def test_auroc_matches_the_pairwise_definition():
    rng = random.Random(3)
    scores = [float(rng.randint(0, 5)) for _ in range(40)]  # many ties
    labels = [rng.randint(0, 1) for _ in range(40)]
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    want = sum(1.0 if p > q else 0.5 if p == q else 0.0 for p in pos for q in neg) / (len(pos) * len(neg))
    assert M.auroc(scores, labels) == pytest.approx(want)


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError):
        M.preference_rate([1.0], [1.0, 2.0])
    with pytest.raises(ValueError):
        M.auroc([1.0], [0, 1])


# ---- susceptibility and aggregation ----------------------------------------------------------------


def test_susceptibility_counts_fields_whose_completion_changed():
    before = [[1, 2], [3], [4, 5, 6], [7]]
    after = [[1, 2], [9], [4, 5, 0], [7]]
    flags = M.completions_changed(before, after)
    assert flags == [False, True, True, False]
    assert M.rate(flags) == 0.5
    assert M.rate(M.completions_changed(before, before)) == 0.0


def test_mean_spread_ignores_missing_values():
    s = M.mean_spread([1.0, 3.0, math.nan, None])
    assert s == {"mean": 2.0, "std": pytest.approx(math.sqrt(2)), "min": 1.0, "max": 3.0, "n": 2}
    assert M.mean_spread([math.nan])["n"] == 0
