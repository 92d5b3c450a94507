"""Medical knowledge indexed for lookup, and the clinical arithmetic samplers, checks and renderers share."""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

from world_model.medical.tables import (
    DRUGS,
    LABS,
    PROBLEMS,
    UNRELATED_PROCEDURES,
    UNRELATED_SYMPTOMS,
    DrugRow,
    LabRow,
    ProblemRow,
)


MIN_AGE, MAX_AGE = 20, 95
FIRST_ADMISSION, LAST_ADMISSION = date(2018, 1, 1).toordinal(), date(2024, 12, 31).toordinal()
ACUTE_ONSET_DAYS = 14  # an admitting diagnosis is made at most this long before admission
CHRONIC_HISTORY_DAYS = 25 * 365  # chronic diagnoses are drawn from this window before admission
FLAGS = ("low", "normal", "high")
DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass(frozen=True, slots=True)
class LabDef:
    """A laboratory test: its code, unit, sex-specific range and the bands abnormal values are drawn from."""

    name: str
    loinc: str
    unit: str
    ranges: dict[str, tuple[float, float | None]]
    decimals: int
    bands: dict[str, tuple[float, float]]
    normal: dict[str, tuple[float, float]]
    wrong_unit: str
    range_text: dict[str, str]

    def flag(self, value: float, sex: str) -> str:
        """Low, normal or high against this sex's reference range."""
        low, high = self.ranges[sex]
        if value < low:
            return "low"
        if high is not None and value > high:
            return "high"
        return "normal"


@dataclass(frozen=True, slots=True)
class Problem:
    """A coded diagnosis and what it implies: lab and vital findings, symptoms, treatments, work-up."""

    name: str
    code: str
    roles: str
    sex: str | None
    min_age: int
    group: str | None
    weight: float
    labs: dict[str, str]
    vitals: tuple[str, ...]
    symptoms: tuple[str, ...]
    drugs: tuple[str, ...]
    procedures: tuple[str, ...]
    services: tuple[str, ...]
    stay: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Drug:
    """A drug's usual regimen, what it treats and what rules it out."""

    name: str
    doses: tuple[float, ...]
    unit: str
    routes: tuple[str, ...]
    frequencies: tuple[str, ...]
    contra: frozenset[str]
    lab_rules: tuple[tuple[str, str, float], ...]
    vital_rules: tuple[tuple[str, str, float], ...]
    indications: frozenset[str]
    history_contra: tuple[str, ...]
    has_rules: bool


def _normal_band(bounds: tuple[float, float | None], explicit: tuple[float, float] | None) -> tuple[float, float]:
    """Draw normal values well inside the range, so rounding never lands on a boundary."""
    if explicit is not None:
        return explicit
    low, high = bounds
    assert high is not None
    inset = 0.12 * (high - low)
    return (low + inset, high - inset)


def range_text(bounds: tuple[float, float | None], decimals: int) -> str:
    """A reference range as a lab report prints it: `12.0-15.5`, or `≥60` when there is no upper limit."""
    low, high = bounds
    return f"≥{low:.{decimals}f}" if high is None else f"{low:.{decimals}f}-{high:.{decimals}f}"


def _lab_def(name: str, row: LabRow) -> LabDef:
    ranges = {"female": row.female, "male": row.male}
    normals = {sex: _normal_band(r, row.normal) if r[1] is not None else (r[0], r[0]) for sex, r in ranges.items()}
    texts = {sex: range_text(r, row.decimals) for sex, r in ranges.items()}
    return LabDef(name, row.loinc, row.unit, ranges, row.decimals, {"low": row.low, "high": row.high}, normals,
                  row.wrong_unit, texts)


def _problem(name: str, row: ProblemRow) -> Problem:
    return Problem(name, **row._asdict())


LAB = {name: _lab_def(name, row) for name, row in LABS.items()}
PROBLEM = {name: _problem(name, row) for name, row in PROBLEMS.items()}


def _drug(name: str, row: DrugRow) -> Drug:
    contra, lab_rules, vital_rules = row.contra, row.lab_rules, row.vital_rules
    indications = frozenset(p.name for p in PROBLEM.values() if name in p.drugs)
    history_contra = tuple(sorted(
        c for c in contra if "H" in PROBLEM[c].roles and PROBLEM[c].sex is None and PROBLEM[c].min_age <= MIN_AGE))
    return Drug(name, tuple(float(d) for d in row.doses), row.unit, row.routes, row.frequencies, frozenset(contra),
                lab_rules, vital_rules, indications, history_contra, bool(lab_rules or vital_rules))


DRUG = {name: _drug(name, row) for name, row in DRUGS.items()}
PRIMARY = tuple(p for p in PROBLEM.values() if "P" in p.roles)
COMORBID = tuple(p for p in PROBLEM.values() if "C" in p.roles)
HISTORY = tuple(p for p in PROBLEM.values() if "H" in p.roles)
PROBLEM_DRUGS = {p.name: tuple(DRUG[d] for d in p.drugs) for p in PRIMARY + COMORBID}
ACTIVE_CODES = tuple(sorted({p.code for p in PRIMARY + COMORBID}))
ALL_CODES = tuple(sorted({p.code for p in PROBLEM.values()}))
ALL_PROCEDURES = tuple(sorted({x for p in PROBLEM.values() for x in p.procedures} | set(UNRELATED_PROCEDURES)))
ALL_SYMPTOMS = tuple(sorted({s for p in PROBLEM.values() for s in p.symptoms} | set(UNRELATED_SYMPTOMS)))
LOINCS = tuple(sorted(d.loinc for d in LAB.values()))
LAB_DECIMALS = {name: d.decimals for name, d in LAB.items()}
# Past-history entries whose replacement of another one flips sex appropriateness and nothing else.
SEX_ONLY = {
    sex: tuple(h for h in HISTORY if h.sex == sex and not any(h.name in d.contra for d in DRUG.values()))
    for sex in ("female", "male")
}
SAFE_HISTORY = ("Obstructive sleep apnea (adult) (pediatric)", "Unspecified age-related cataract",
                 "Nicotine dependence, cigarettes, uncomplicated")


def _by_sex(problems: tuple[Problem, ...]) -> dict[str, tuple[tuple[Problem, ...], list[float]]]:
    """Candidates a patient of each sex may have, with cumulative weights for one-draw picks."""
    out = {}
    for sex in ("female", "male"):
        items = tuple(p for p in problems if p.sex in (None, sex))
        total, cum = 0.0, []
        for p in items:
            total += p.weight
            cum.append(total)
        out[sex] = (items, cum)
    return out


PRIMARY_BY_SEX = _by_sex(PRIMARY)
COMORBID_BY_SEX = _by_sex(COMORBID)
HISTORY_BY_SEX = _by_sex(HISTORY)


def age_at(born: date, on: date) -> int:
    """Completed years on a date (negative before birth), the way clinical records count age."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def add_years(d: date, years: int) -> date:
    """The same calendar day `years` later; 29 February becomes 1 March in common years."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return date(d.year + years, 3, 1)


_CKD_EPI = {"female": (0.7, -0.241, 1.012), "male": (0.9, -0.302, 1.0)}


def ckd_epi_2021(creatinine: float, age: int, sex: str) -> float:
    """Race-free CKD-EPI 2021 creatinine equation (mL/min/1.73 m2), the eGFR US labs report."""
    kappa, alpha, factor = _CKD_EPI[sex]
    ratio = creatinine / kappa
    return 142.0 * ratio ** (alpha if ratio < 1.0 else -1.2) * 0.9938 ** age * factor


def creatinine_for(egfr: float, age: int, sex: str) -> float:
    """Invert CKD-EPI 2021: the serum creatinine (mg/dL) that gives this eGFR."""
    kappa, alpha, factor = _CKD_EPI[sex]
    relative = egfr / (142.0 * 0.9938 ** age * factor)
    ratio = relative ** (1.0 / alpha) if relative >= 1.0 else relative ** (-1.0 / 1.2)
    return kappa * ratio


def crosses(value: float, op: str, threshold: float) -> bool:
    """Whether a value is past a contraindication threshold in the stated direction."""
    return value < threshold if op == "<" else value > threshold


def choice(rng: random.Random, options: tuple | list) -> Any:
    """One C-level draw instead of random.choice's rejection loop; its bias (n / 2**53) is negligible."""
    return options[int(rng.random() * len(options))]


def randint(rng: random.Random, low: int, high: int) -> int:
    """A uniform integer in [low, high] from a single draw."""
    return low + int(rng.random() * (high - low + 1))


def pick(rng: random.Random, table: tuple[tuple[Problem, ...], list[float]]) -> Problem:
    """A weighted draw of one problem from (problems, cumulative weights)."""
    items, cum = table
    return items[bisect_right(cum, rng.random() * cum[-1])]


def treatable(problems: list[Problem], names: set[str]) -> bool:
    """Every active problem keeps at least one indicated drug that nothing stated rules out."""
    return all(any(DRUG[d].contra.isdisjoint(names) for d in p.drugs) for p in problems)


def _labs_agree(problems: list[Problem], candidate: Problem) -> bool:
    """No test would have to be both high and low (e.g. hypo- and hyperthyroidism)."""
    for p in problems:
        for lab, state in candidate.labs.items():
            other = p.labs.get(lab)
            if other is not None and other != state:
                return False
    return True


def _pair_ok(a: Problem, b: Problem) -> bool:
    """Two active problems can coexist: not the same group, no opposite lab findings, both still treatable."""
    return (a is not b and not (a.group and a.group == b.group) and _labs_agree([a], b)
            and treatable([a, b], {a.name, b.name}))


COMPATIBLE = frozenset((a.name, b.name) for a in PRIMARY + COMORBID for b in COMORBID if _pair_ok(a, b))
# The stated problems that rule out some drug of each active problem; only these can make it untreatable.
RISKY = {p.name: frozenset(c for d in p.drugs for c in DRUG[d].contra) for p in PRIMARY + COMORBID}


def ruled_out(drug: Drug, names: set[str], lab_value: Callable[[str], float | None],
               vital_value: Callable[[str], float]) -> str | None:
    """Why a drug is contraindicated here (a stated problem, a lab value, a vital sign), or None."""
    if not drug.contra.isdisjoint(names):
        return f"{drug.name} is contraindicated by {min(drug.contra & names)}"
    for lab, op, threshold in drug.lab_rules:
        value = lab_value(lab)
        if value is not None and crosses(value, op, threshold):
            return f"{drug.name} is contraindicated with {lab} {op} {threshold:g} ({value:g})"
    for vital, op, threshold in drug.vital_rules:
        value = vital_value(vital)
        if crosses(value, op, threshold):
            return f"{drug.name} is contraindicated with {vital} {op} {threshold:g} ({value:g})"
    return None
