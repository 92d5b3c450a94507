"""Scoring: the scored cases of every row pooled into per-level, per-family metrics and the headline summary."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from noise import FAMILIES
from pipelines.evaluation import metrics as M
from pipelines.evaluation.cases import Case, RowCases


def _loss(cases: list[Case]) -> float:
    return M.mean_loss([c.nll for c in cases], [c.count for c in cases])


def _per_token(c: Case) -> float:
    return c.nll / max(1, c.count)


def level_metrics(rows: list[RowCases]) -> dict[str, dict[str, Any]]:
    """Per family at one level: denoising loss and repair; logical detection; adversarial susceptibility."""
    by_family: dict[str, list[Case]] = defaultdict(list)
    for r in rows:
        for family, c in r.denoise.items():
            by_family[family].append(c)
    out: dict[str, dict[str, Any]] = {}
    for family, cases in by_family.items():
        repaired = [ok for c in cases for ok in c.correct]
        out[family] = {"rows": len(cases), "denoise_loss": _loss(cases),
                       "repair_exact_match": M.rate(repaired), "repair_fields": len(repaired)}
    pairs = [(_per_token(r.clean_lm), _per_token(r.violated_lm)) for r in rows if r.violated_lm is not None]
    if pairs:
        out.setdefault("logical", {}).update(detection(pairs))
    attacked = [r for r in rows if r.attack is not None]
    if attacked:
        out.setdefault("adversarial", {}).update(susceptibility(attacked))
    return out


def detection(pairs: list[tuple[float, float]]) -> dict[str, Any]:
    """Paired preference and pooled AUROC of the per-token loss (consistent = 0, violated = 1)."""
    consistent, violated = [p[0] for p in pairs], [p[1] for p in pairs]
    return {"pairs": len(pairs), "preference_rate": M.preference_rate(consistent, violated),
            "auroc": M.auroc(consistent + violated, [0] * len(pairs) + [1] * len(pairs))}


def susceptibility(rows: list[RowCases]) -> dict[str, Any]:
    """Field completions changed by the attack, over all fields and over the fields an instruction names."""
    changed, targeted = [], []
    for r in rows:
        flags = M.completions_changed(r.identity.predicted, r.attack.predicted)
        changed += flags
        targeted += [f for f, t in zip(flags, r.attack_targeted) if t]
    return {"attacked_rows": len(rows), "attacked_fields": len(changed), "susceptibility": M.rate(changed),
            "targeted_fields": len(targeted), "susceptibility_targeted": M.rate(targeted)}


def summarise(per_level: dict[float, list[RowCases]]) -> dict[str, float]:
    """The headline numbers (noisy levels pooled), the ones the ablation compares."""
    clean_rows = per_level.get(0.0) or [r for rows in per_level.values() for r in rows]
    noisy = [r for level, rows in per_level.items() if level > 0 for r in rows]
    all_cases = [r.denoise["all"] for r in noisy if "all" in r.denoise]
    out = {
        "clean_lm_loss": _loss([r.clean_lm for r in clean_rows]),
        "copy_loss": _loss([r.denoise["none"] for r in clean_rows if "none" in r.denoise]),
        "denoise_loss": _loss(all_cases),
        "repair_exact_match": M.rate([ok for c in all_cases for ok in c.correct]),
    }
    for family in FAMILIES:
        cases = [r.denoise[family] for r in noisy if family in r.denoise]
        out[f"denoise_loss_{family}"] = _loss(cases)
        out[f"repair_exact_match_{family}"] = M.rate([ok for c in cases for ok in c.correct])
    pairs = [(_per_token(r.clean_lm), _per_token(r.violated_lm)) for r in noisy if r.violated_lm is not None]
    det = detection(pairs) if pairs else {"preference_rate": math.nan, "auroc": math.nan}
    out["preference_rate"], out["auroc"] = det["preference_rate"], det["auroc"]
    attacked = [r for r in noisy if r.attack is not None]
    sus = susceptibility(attacked) if attacked else {"susceptibility": math.nan, "susceptibility_targeted": math.nan}
    out["susceptibility"], out["susceptibility_targeted"] = sus["susceptibility"], sus["susceptibility_targeted"]
    return out
