"""Medical domain: an inpatient admission whose labs, vitals, drugs and dates follow from the diagnoses."""

from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Callable, Literal, Mapping

from pydantic import BaseModel, ConfigDict

from world_model.core import Constraint, Domain, TextBuilder, Variable, copy_record
from world_model.medical_data import (
    BASELINE_LABS,
    DRUGS,
    EGFR,
    EGFR_STAGES,
    FACILITIES,
    FIRST_NAMES,
    HEIGHT_CM,
    LABS,
    LAST_NAMES,
    PHYSICIAN_FIRST,
    PROBLEMS,
    ROUTES,
    UNRELATED_PROCEDURES,
    UNRELATED_SERVICES,
    UNRELATED_SYMPTOMS,
    VITAL_STATES,
    VITALS,
)
from world_model.registry import register

Values = Mapping[str, Any]

MIN_AGE, MAX_AGE = 20, 95
FIRST_ADMISSION, LAST_ADMISSION = date(2018, 1, 1).toordinal(), date(2024, 12, 31).toordinal()
ACUTE_ONSET_DAYS = 14  # an admitting diagnosis is made at most this long before admission
CHRONIC_HISTORY_DAYS = 25 * 365  # chronic diagnoses are drawn from this window before admission
FLAGS = ("low", "normal", "high")
_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# --------------------------------------------------------------------------------------------
# Knowledge tables, indexed once at import
# --------------------------------------------------------------------------------------------


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


def _range_text(bounds: tuple[float, float | None], decimals: int) -> str:
    """A reference range as a lab report prints it: `12.0-15.5`, or `≥60` when there is no upper limit."""
    low, high = bounds
    return f"≥{low:.{decimals}f}" if high is None else f"{low:.{decimals}f}-{high:.{decimals}f}"


def _lab_def(name: str, row: tuple) -> LabDef:
    loinc, unit, female, male, decimals, low_band, high_band, normal, wrong_unit = row
    ranges = {"female": female, "male": male}
    normals = {sex: _normal_band(r, normal) if r[1] is not None else (r[0], r[0]) for sex, r in ranges.items()}
    texts = {sex: _range_text(r, decimals) for sex, r in ranges.items()}
    return LabDef(name, loinc, unit, ranges, decimals, {"low": low_band, "high": high_band}, normals, wrong_unit,
                  texts)


def _problem(name: str, row: tuple) -> Problem:
    code, roles, sex, min_age, group, weight = row[:6]
    if len(row) == 6:
        return Problem(name, code, roles, sex, min_age, group, weight, {}, (), (), (), (), (), (0, 0))
    labs, vitals, symptoms, drugs, procedures, services, stay = row[6:]
    return Problem(name, code, roles, sex, min_age, group, weight, labs, vitals, symptoms, drugs, procedures,
                   services, stay)


LAB = {name: _lab_def(name, row) for name, row in LABS.items()}
PROBLEM = {name: _problem(name, row) for name, row in PROBLEMS.items()}


def _drug(name: str, row: tuple) -> Drug:
    doses, unit, routes, frequencies, contra, lab_rules, vital_rules = row
    indications = frozenset(p.name for p in PROBLEM.values() if name in p.drugs)
    history_contra = tuple(sorted(
        c for c in contra if "H" in PROBLEM[c].roles and PROBLEM[c].sex is None and PROBLEM[c].min_age <= MIN_AGE))
    return Drug(name, tuple(float(d) for d in doses), unit, routes, frequencies, frozenset(contra), lab_rules,
                vital_rules, indications, history_contra, bool(lab_rules or vital_rules))


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
_SAFE_HISTORY = ("Obstructive sleep apnea (adult) (pediatric)", "Unspecified age-related cataract",
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

# --------------------------------------------------------------------------------------------
# Clinical arithmetic
# --------------------------------------------------------------------------------------------


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


def _crosses(value: float, op: str, threshold: float) -> bool:
    return value < threshold if op == "<" else value > threshold


def _choice(rng: random.Random, options: tuple | list) -> Any:
    """One C-level draw instead of random.choice's rejection loop; its bias (n / 2**53) is negligible."""
    return options[int(rng.random() * len(options))]


def _randint(rng: random.Random, low: int, high: int) -> int:
    return low + int(rng.random() * (high - low + 1))


def _pick(rng: random.Random, table: tuple[tuple[Problem, ...], list[float]]) -> Problem:
    items, cum = table
    return items[bisect_right(cum, rng.random() * cum[-1])]


def _treatable(problems: list[Problem], names: set[str]) -> bool:
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
            and _treatable([a, b], {a.name, b.name}))


COMPATIBLE = frozenset((a.name, b.name) for a in PRIMARY + COMORBID for b in COMORBID if _pair_ok(a, b))
# The stated problems that rule out some drug of each active problem; only these can make it untreatable.
RISKY = {p.name: frozenset(c for d in p.drugs for c in DRUG[d].contra) for p in PRIMARY + COMORBID}


# --------------------------------------------------------------------------------------------
# Record
# --------------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Patient(_Model):
    name: str
    sex: Literal["female", "male"]
    date_of_birth: date
    age: int
    mrn: str


class Encounter(_Model):
    facility: str
    service: str
    attending: str
    referring: str
    admission_date: date
    discharge_date: date
    length_of_stay: int
    follow_up_date: date


class Condition(_Model):
    name: str
    code: str
    diagnosed: date


class HistoryItem(_Model):
    name: str
    code: str


class Vitals(_Model):
    temperature_c: float
    heart_rate: int
    systolic_bp: int
    diastolic_bp: int
    respiratory_rate: int
    spo2: int
    weight_kg: float
    height_cm: int
    bmi: float


class Lab(_Model):
    name: str
    loinc: str
    value: float
    unit: str
    reference_range: str
    flag: Literal["low", "normal", "high"]


class Medication(_Model):
    name: str
    dose: float
    dose_unit: str
    route: str
    frequency: str
    indication: str


class Procedure(_Model):
    name: str
    date: date
    indication: str


class MedicalRecord(_Model):
    """One inpatient admission: who, when, what was found, what was done and given."""

    patient: Patient
    encounter: Encounter
    conditions: list[Condition]
    history: list[HistoryItem]
    symptoms: list[str]
    vitals: Vitals
    labs: list[Lab]
    medications: list[Medication]
    procedures: list[Procedure]


# --------------------------------------------------------------------------------------------
# Samplers: each sees only its parents' values
# --------------------------------------------------------------------------------------------


def _s_sex(rng: random.Random, v: Values) -> str:
    return "female" if rng.random() < 0.52 else "male"


def _s_age(rng: random.Random, v: Values) -> int:
    return min(MAX_AGE, int(rng.triangular(MIN_AGE, MAX_AGE + 1, 70)))


def _s_admission_date(rng: random.Random, v: Values) -> date:
    return date.fromordinal(_randint(rng, FIRST_ADMISSION, LAST_ADMISSION))


def _s_date_of_birth(rng: random.Random, v: Values) -> date:
    """A birthday that makes the patient exactly `age` on admission (never 29 February)."""
    admitted, age = v["admission_date"], v["age"]
    month = _randint(rng, 1, 12)
    day = _randint(rng, 1, _DAYS_IN_MONTH[month])
    year = admitted.year - age - ((admitted.month, admitted.day) < (month, day))
    return date(year, month, day)


def _s_patient_name(rng: random.Random, v: Values) -> str:
    return f"{_choice(rng, FIRST_NAMES[v['sex']])} {_choice(rng, LAST_NAMES)}"


def _s_mrn(rng: random.Random, v: Values) -> str:
    return str(_randint(rng, 10_000_000, 99_999_999))


def _s_facility(rng: random.Random, v: Values) -> str:
    return _choice(rng, FACILITIES)


def _physician(rng: random.Random) -> str:
    return f"Dr. {_choice(rng, PHYSICIAN_FIRST)} {_choice(rng, LAST_NAMES)}"


def _s_referring(rng: random.Random, v: Values) -> str:
    return _physician(rng)


def _s_attending(rng: random.Random, v: Values) -> str:
    name = _physician(rng)
    return name if name != v["referring"] else f"Dr. {_choice(rng, PHYSICIAN_FIRST)} Alvarez"


def _s_primary_condition(rng: random.Random, v: Values) -> Problem:
    age = v["age"]
    while True:
        p = _pick(rng, PRIMARY_BY_SEX[v["sex"]])
        if p.min_age <= age:
            return p


def _s_comorbidities(rng: random.Random, v: Values) -> list[Problem]:
    """One or two treated comorbidities compatible with the admission: same-group, lab or drug clashes excluded."""
    primary, age = v["primary_condition"], v["age"]
    chosen: list[Problem] = []
    wanted = 1 if rng.random() < 0.45 else 2
    for _ in range(12 * wanted):
        if len(chosen) == wanted:
            break
        c = _pick(rng, COMORBID_BY_SEX[v["sex"]])
        current = [primary, *chosen]
        if c.min_age > age or not all((p.name, c.name) in COMPATIBLE for p in current):
            continue
        if not chosen or _treatable(current + [c], {p.name for p in current} | {c.name}):
            chosen.append(c)
    return chosen


def _diagnosed(rng: random.Random, p: Problem, born: date, admitted: date) -> date:
    """Admitting diagnoses date from the admission, chronic ones from the last 25 adult years; never too young."""
    earliest = add_years(born, p.min_age).toordinal()
    day = admitted.toordinal()
    if "P" in p.roles:
        return date.fromordinal(max(day - _randint(rng, 0, 2), earliest))
    low = max(add_years(born, max(p.min_age, 18)).toordinal(), day - CHRONIC_HISTORY_DAYS)
    high = day - 30
    if low > high:
        low, high = earliest, day
    return date.fromordinal(_randint(rng, low, high))


def _s_conditions(rng: random.Random, v: Values) -> list[dict]:
    born, admitted = v["date_of_birth"], v["admission_date"]
    problems = [v["primary_condition"], *v["comorbidities"]]
    return [{"name": p.name, "code": p.code, "diagnosed": _diagnosed(rng, p, born, admitted)} for p in problems]


def _s_service(rng: random.Random, v: Values) -> str:
    return _choice(rng, v["primary_condition"].services)


def _s_length_of_stay(rng: random.Random, v: Values) -> int:
    return _randint(rng, *v["primary_condition"].stay)


def _s_discharge_date(rng: random.Random, v: Values) -> date:
    return v["admission_date"] + timedelta(days=v["length_of_stay"])


def _s_follow_up_date(rng: random.Random, v: Values) -> date:
    return v["discharge_date"] + timedelta(days=_randint(rng, 7, 42))


def _s_history(rng: random.Random, v: Values) -> list[dict]:
    """Past history that fits the patient and leaves every active problem a usable drug."""
    problems = [v["primary_condition"], *v["comorbidities"]]
    names = {p.name for p in problems}
    groups = {p.group for p in problems if p.group}
    risky = frozenset().union(*(RISKY[p.name] for p in problems))
    age, chosen = v["age"], []
    wanted = 1 if rng.random() < 0.5 else 2
    for _ in range(20 * wanted):
        if len(chosen) == wanted:
            break
        h = _pick(rng, HISTORY_BY_SEX[v["sex"]])
        if h.min_age > age or h.name in names or (h.group and h.group in groups):
            continue
        if h.name not in risky or _treatable(problems, names | {h.name}):
            chosen.append(h)
            names.add(h.name)
    if not chosen:
        fallback = next(PROBLEM[n] for n in _SAFE_HISTORY if n not in names and PROBLEM[n].min_age <= age)
        chosen.append(fallback)
    return [{"name": h.name, "code": h.code} for h in chosen]


def _s_symptoms(rng: random.Random, v: Values) -> list[str]:
    options = v["primary_condition"].symptoms
    i, j = _randint(rng, 0, len(options) - 1), _randint(rng, 0, len(options) - 2)
    symptoms = [options[i], options[j + (j >= i)]]
    extra = [s for p in v["comorbidities"] for s in p.symptoms if s not in symptoms]
    if extra and rng.random() < 0.6:
        symptoms.append(_choice(rng, extra))
    return symptoms


def _s_lab_states(rng: random.Random, v: Values) -> dict[str, str]:
    states: dict[str, str] = {}
    for p in (v["primary_condition"], *v["comorbidities"]):
        states.update(p.labs)
    return states


def _normal_egfr_band(age: int, sex: str) -> tuple[int, int]:
    """eGFR values a creatinine inside the normal range gives at this age and sex (never below 61)."""
    cr_low, cr_high = LAB["Creatinine"].ranges[sex]
    low = max(61, int(ckd_epi_2021(cr_high, age, sex)) + 1)
    return low, max(low, min(125, int(ckd_epi_2021(cr_low, age, sex))))


_NORMAL_EGFR = {sex: {age: _normal_egfr_band(age, sex) for age in range(MAX_AGE + 1)} for sex in ("female", "male")}


def _s_kidney_function(rng: random.Random, v: Values) -> int:
    """Target eGFR: in the CKD stage's band, else in the band a normal creatinine gives at this age and sex."""
    age, sex = v["age"], v["sex"]
    state = v["lab_states"].get(EGFR, "normal")
    if state != "normal":
        low, high = EGFR_STAGES[state]
        return _randint(rng, low + 1, high - 1)
    low, high = _NORMAL_EGFR[sex][age]
    return _randint(rng, low, high)


def _s_creatinine(rng: random.Random, v: Values) -> float:
    return round(creatinine_for(v["kidney_function"], v["age"], v["sex"]), 2)


# The fixed part of each result row (name, code, unit, range) per sex; a row adds value and flag.
_LAB_ROW = {sex: {d.name: {"name": d.name, "loinc": d.loinc, "unit": d.unit, "reference_range": d.range_text[sex]}
                  for d in LAB.values()} for sex in ("female", "male")}


def _lab_row(d: LabDef, value: float, sex: str) -> dict:
    row = _LAB_ROW[sex][d.name].copy()
    row["value"] = value
    row["flag"] = d.flag(value, sex)
    return row


def _s_labs(rng: random.Random, v: Values) -> list[dict]:
    """Baseline chemistry then each condition's tests; values drawn in the band its diagnosis implies."""
    sex, states = v["sex"], v["lab_states"]
    creatinine = v["creatinine"]
    names = list(BASELINE_LABS)
    names += [n for n in states if n not in names]
    rows = []
    for name in names:
        d = LAB[name]
        if name == "Creatinine":
            value = creatinine
        elif name == EGFR:
            value = float(round(ckd_epi_2021(creatinine, v["age"], sex)))
        else:
            state = states.get(name, "normal")
            low, high = d.normal[sex] if state == "normal" else d.bands[state]
            value = round(low + (high - low) * rng.random(), d.decimals)
        rows.append(_lab_row(d, value, sex))
    return rows


def _s_vital_states(rng: random.Random, v: Values) -> frozenset[str]:
    return frozenset(s for p in (v["primary_condition"], *v["comorbidities"]) for s in p.vitals)


def _vital(rng: random.Random, states: frozenset[str], name: str) -> float:
    normal, state, abnormal, _, decimals = VITALS[name]
    low, high = abnormal if state in states else normal
    return _randint(rng, low, high) if decimals == 0 else round(low + (high - low) * rng.random(), decimals)


def _s_temperature(rng: random.Random, v: Values) -> float:
    return _vital(rng, v["vital_states"], "temperature_c")


def _s_heart_rate(rng: random.Random, v: Values) -> int:
    return _vital(rng, v["vital_states"], "heart_rate")


def _s_blood_pressure(rng: random.Random, v: Values) -> tuple[int, int]:
    systolic = _vital(rng, v["vital_states"], "systolic_bp")
    diastolic = _vital(rng, v["vital_states"], "diastolic_bp")
    return systolic, min(diastolic, systolic - 25)


def _s_respiratory_rate(rng: random.Random, v: Values) -> int:
    return _vital(rng, v["vital_states"], "respiratory_rate")


def _s_spo2(rng: random.Random, v: Values) -> int:
    return _vital(rng, v["vital_states"], "spo2")


def _s_height(rng: random.Random, v: Values) -> int:
    return _randint(rng, *HEIGHT_CM[v["sex"]])


def _s_weight(rng: random.Random, v: Values) -> float:
    target_bmi = _vital(rng, v["vital_states"], "bmi")
    return round(target_bmi * (v["height"] / 100) ** 2, 1)


def _s_bmi(rng: random.Random, v: Values) -> float:
    return round(v["weight"] / (v["height"] / 100) ** 2, 1)


def _s_medications(rng: random.Random, v: Values) -> list[dict]:
    """One drug per problem: indicated for it and ruled out by no stated problem, lab value or vital sign."""
    problems = [v["primary_condition"], *v["comorbidities"]]
    names = {p.name for p in problems}
    names.update(h["name"] for h in v["history"])
    lab_values = {row["name"]: row["value"] for row in v["labs"]}.get
    vital_values = {"heart_rate": v["heart_rate"], "systolic_bp": v["blood_pressure"][0]}.__getitem__
    used: set[str] = set()
    meds = []
    for p in problems:
        usable = [d for d in PROBLEM_DRUGS[p.name] if d.contra.isdisjoint(names)
                  and not (d.has_rules and _ruled_out(d, names, lab_values, vital_values))]
        fresh = [d for d in usable if d.name not in used] or usable
        drug = _choice(rng, fresh)
        used.add(drug.name)
        meds.append({"name": drug.name, "dose": _choice(rng, drug.doses), "dose_unit": drug.unit,
                     "route": _choice(rng, drug.routes), "frequency": _choice(rng, drug.frequencies),
                     "indication": p.code})
    return meds


def _ruled_out(drug: Drug, names: set[str], lab_value: Callable[[str], float | None],
               vital_value: Callable[[str], float]) -> str | None:
    """Why a drug is contraindicated here (a stated problem, a lab value, a vital sign), or None."""
    if not drug.contra.isdisjoint(names):
        return f"{drug.name} is contraindicated by {min(drug.contra & names)}"
    for lab, op, threshold in drug.lab_rules:
        value = lab_value(lab)
        if value is not None and _crosses(value, op, threshold):
            return f"{drug.name} is contraindicated with {lab} {op} {threshold:g} ({value:g})"
    for vital, op, threshold in drug.vital_rules:
        value = vital_value(vital)
        if _crosses(value, op, threshold):
            return f"{drug.name} is contraindicated with {vital} {op} {threshold:g} ({value:g})"
    return None


def _s_procedures(rng: random.Random, v: Values) -> list[dict]:
    """The admitting problem's work-up, sometimes one for a comorbidity, all during the stay."""
    admitted, stay = v["admission_date"], v["length_of_stay"]
    primary = v["primary_condition"]
    name = _choice(rng, primary.procedures)
    out = [{"name": name, "date": admitted + timedelta(days=_randint(rng, 0, stay)), "indication": primary.code}]
    options = [p for p in v["comorbidities"] if p.procedures]
    if options and rng.random() < 0.5:
        p = _choice(rng, options)
        extra = _choice(rng, p.procedures)
        if extra != name:
            out.append({"name": extra, "date": admitted + timedelta(days=_randint(rng, 0, stay)), "indication": p.code})
    return out


VARIABLES = (
    Variable("sex", "category", "patient sex", _s_sex),
    Variable("age", "int", "age in completed years at admission", _s_age),
    Variable("admission_date", "date", "admission date", _s_admission_date),
    Variable("date_of_birth", "date", "birth date", _s_date_of_birth, ("admission_date", "age"),
             "age at admission fixes the birth year"),
    Variable("patient_name", "str", "patient name", _s_patient_name, ("sex",), "first names follow sex"),
    Variable("mrn", "str", "medical record number", _s_mrn),
    Variable("facility", "str", "hospital", _s_facility),
    Variable("referring", "str", "referring physician", _s_referring),
    Variable("attending", "str", "attending physician", _s_attending, ("referring",),
             "the attending is not the referrer"),
    Variable("primary_condition", "problem", "reason for admission", _s_primary_condition, ("age", "sex"),
             "age- and sex-specific prevalence"),
    Variable("comorbidities", "problems", "treated comorbidities", _s_comorbidities,
             ("primary_condition", "age", "sex"), "compatible groups, labs and treatments"),
    Variable("conditions", "list", "coded diagnoses with diagnosis dates", _s_conditions,
             ("primary_condition", "comorbidities", "date_of_birth", "admission_date"),
             "ICD-10-CM code per diagnosis; onset after the minimum age"),
    Variable("service", "str", "admitting service", _s_service, ("primary_condition",),
             "the admitting problem decides the service"),
    Variable("length_of_stay", "int", "days in hospital", _s_length_of_stay, ("primary_condition",),
             "typical stay for the admitting problem"),
    Variable("discharge_date", "date", "discharge date", _s_discharge_date, ("admission_date", "length_of_stay"),
             "admission plus length of stay"),
    Variable("follow_up_date", "date", "clinic follow-up", _s_follow_up_date, ("discharge_date",),
             "one to six weeks after discharge"),
    Variable("history", "list", "past medical history and allergy status", _s_history,
             ("primary_condition", "comorbidities", "age", "sex"), "fits age and sex; leaves each problem treatable"),
    Variable("symptoms", "list", "presenting symptoms", _s_symptoms, ("primary_condition", "comorbidities"),
             "diagnoses explain symptoms"),
    Variable("lab_states", "dict", "expected lab abnormalities", _s_lab_states,
             ("primary_condition", "comorbidities"), "diagnosis -> expected lab abnormality"),
    Variable("kidney_function", "int", "target eGFR", _s_kidney_function, ("lab_states", "age", "sex"),
             "CKD stage -> eGFR band"),
    Variable("creatinine", "float", "serum creatinine", _s_creatinine, ("kidney_function", "age", "sex"),
             "CKD-EPI 2021 inverted"),
    Variable("labs", "list", "laboratory results", _s_labs, ("lab_states", "creatinine", "age", "sex"),
             "values in the band the diagnoses imply; sex-specific ranges; eGFR from creatinine"),
    Variable("vital_states", "set", "expected vital-sign abnormalities", _s_vital_states,
             ("primary_condition", "comorbidities"), "diagnosis -> expected vital-sign abnormality"),
    Variable("temperature", "float", "temperature (C)", _s_temperature, ("vital_states",), "infection -> fever"),
    Variable("heart_rate", "int", "heart rate", _s_heart_rate, ("vital_states",), "tachycardia"),
    Variable("blood_pressure", "pair", "systolic/diastolic", _s_blood_pressure, ("vital_states",), "hypertension"),
    Variable("respiratory_rate", "int", "respiratory rate", _s_respiratory_rate, ("vital_states",), "tachypnea"),
    Variable("spo2", "int", "oxygen saturation", _s_spo2, ("vital_states",), "hypoxemia"),
    Variable("height", "int", "height (cm)", _s_height, ("sex",), "sex-specific stature"),
    Variable("weight", "float", "weight (kg)", _s_weight, ("height", "vital_states"), "obesity -> BMI of 30 or more"),
    Variable("bmi", "float", "body-mass index", _s_bmi, ("weight", "height"), "weight / height squared"),
    Variable("medications", "list", "medications", _s_medications,
             ("primary_condition", "comorbidities", "history", "labs", "heart_rate", "blood_pressure"),
             "indicated for a diagnosis; not contraindicated by problems, labs or vitals"),
    Variable("procedures", "list", "procedures", _s_procedures,
             ("primary_condition", "comorbidities", "admission_date", "length_of_stay"),
             "indicated work-up, dated during the stay"),
)

# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------


def _true_age(r: MedicalRecord) -> int:
    return age_at(r.patient.date_of_birth, r.encounter.admission_date)


def _condition_for_code(r: MedicalRecord, code: str) -> Problem | None:
    """The stated condition (by name, its true code) that an indication code points to."""
    for c in r.conditions:
        p = PROBLEM.get(c.name)
        if p is not None and p.code == code:
            return p
    return None


def _lab_index(r: MedicalRecord) -> dict[str, int]:
    return {lab.name: i for i, lab in enumerate(r.labs)}


def _holds(d: LabDef, state: str, value: float, sex: str) -> bool:
    if d.name == EGFR and state in EGFR_STAGES:
        low, high = EGFR_STAGES[state]
        return low <= value <= high
    return d.flag(value, sex) == state


def _c_icd_code(r: MedicalRecord) -> Any:
    for kind, items in (("conditions", r.conditions), ("history", r.history)):
        for i, c in enumerate(items):
            p = PROBLEM.get(c.name)
            if p is None:
                return f"{c.name!r} is not a known diagnosis", (f"{kind}[{i}].name",)
            if p.code != c.code:
                return f"{c.name} is coded {c.code}, not {p.code}", (f"{kind}[{i}].code",)
    return None


def _c_sex(r: MedicalRecord) -> Any:
    sex = r.patient.sex
    for kind, items in (("conditions", r.conditions), ("history", r.history)):
        for i, c in enumerate(items):
            p = PROBLEM.get(c.name)
            if p is not None and p.sex is not None and p.sex != sex:
                return f"{c.name} is a {p.sex}-only diagnosis in a {sex} patient", (f"{kind}[{i}].name", "patient.sex")
    return None


def _c_age(r: MedicalRecord) -> Any:
    born = r.patient.date_of_birth
    for i, c in enumerate(r.conditions):
        p = PROBLEM.get(c.name)
        if p is not None and age_at(born, c.diagnosed) < p.min_age:
            return (f"{c.name} diagnosed at age {age_at(born, c.diagnosed)}, below {p.min_age}",
                    (f"conditions[{i}].diagnosed", "patient.date_of_birth"))
    age = _true_age(r)
    for i, h in enumerate(r.history):
        p = PROBLEM.get(h.name)
        if p is not None and age < p.min_age:
            return f"{h.name} at age {age}, below {p.min_age}", (f"history[{i}].name", "patient.date_of_birth")
    return None


def _c_diagnosis_dates(r: MedicalRecord) -> Any:
    admitted, discharged = r.encounter.admission_date, r.encounter.discharge_date
    for i, c in enumerate(r.conditions):
        if c.diagnosed > discharged:
            return f"{c.name} diagnosed {c.diagnosed} after discharge {discharged}", (f"conditions[{i}].diagnosed",)
        p = PROBLEM.get(c.name)
        if p is not None and "P" in p.roles and (admitted - c.diagnosed).days > ACUTE_ONSET_DAYS:
            return f"acute {c.name} dated {c.diagnosed}, long before admission", (f"conditions[{i}].diagnosed",)
    return None


def _explained_symptoms(r: MedicalRecord) -> set[str]:
    return {s for c in r.conditions if c.name in PROBLEM for s in PROBLEM[c.name].symptoms}


def _c_symptoms(r: MedicalRecord) -> Any:
    explained = _explained_symptoms(r)
    for i, s in enumerate(r.symptoms):
        if s not in explained:
            return f"no stated diagnosis explains {s!r}", (f"symptoms[{i}]",)
    return None


def _vital_value(r: MedicalRecord, name: str) -> float:
    return getattr(r.vitals, name)


def _c_vitals_support(r: MedicalRecord) -> Any:
    for c in r.conditions:
        p = PROBLEM.get(c.name)
        if p is None:
            continue
        for state in p.vitals:
            name, op, threshold = VITAL_STATES[state]
            value = _vital_value(r, name)
            if not (value >= threshold if op == ">=" else _crosses(value, op, threshold)):
                return f"{c.name} implies {state}, but {name} is {value:g}", (f"vitals.{name}",)
    return None


def _c_vitals_physiological(r: MedicalRecord) -> Any:
    for name, row in VITALS.items():
        low, high = row[3]
        value = _vital_value(r, name)
        if not low <= value <= high:
            return f"{name} {value:g} is outside physiological limits {low:g}-{high:g}", (f"vitals.{name}",)
    return None


def _c_blood_pressure(r: MedicalRecord) -> Any:
    if r.vitals.systolic_bp <= r.vitals.diastolic_bp:
        return (f"systolic {r.vitals.systolic_bp} is not above diastolic {r.vitals.diastolic_bp}",
                ("vitals.systolic_bp", "vitals.diastolic_bp"))
    return None


def _c_bmi(r: MedicalRecord) -> Any:
    v = r.vitals
    if v.height_cm <= 0:
        return "height must be positive", ("vitals.height_cm",)
    expected = v.weight_kg / (v.height_cm / 100) ** 2
    if abs(v.bmi - expected) > 0.1:
        return f"BMI {v.bmi:g} does not match {v.weight_kg:g} kg at {v.height_cm} cm ({expected:.1f})", ("vitals.bmi",)
    return None


def _c_lab_supports(r: MedicalRecord) -> Any:
    index, sex = _lab_index(r), r.patient.sex
    for c in r.conditions:
        p = PROBLEM.get(c.name)
        if p is None:
            continue
        for name, state in p.labs.items():
            i = index.get(name)
            if i is None:
                return f"{c.name} calls for {name}, which is missing", ("labs",)
            value = r.labs[i].value
            if not _holds(LAB[name], state, value, sex):
                return f"{c.name} implies {name} {state}, but it is {value:g}", (f"labs[{i}].value",)
    return None


def _c_lab_flag(r: MedicalRecord) -> Any:
    sex = r.patient.sex
    for i, lab in enumerate(r.labs):
        d = LAB.get(lab.name)
        if d is not None and d.flag(lab.value, sex) != lab.flag:
            return f"{lab.name} {lab.value:g} is {d.flag(lab.value, sex)}, flagged {lab.flag}", (f"labs[{i}].flag",)
    return None


def _c_lab_range(r: MedicalRecord) -> Any:
    sex = r.patient.sex
    for i, lab in enumerate(r.labs):
        d = LAB.get(lab.name)
        if d is None:
            return f"{lab.name!r} is not a known test", (f"labs[{i}].name",)
        if lab.reference_range != d.range_text[sex]:
            return (f"{lab.name} reference range for a {sex} patient is {d.range_text[sex]}, not {lab.reference_range}",
                    (f"labs[{i}].reference_range",))
    return None


def _c_lab_unit(r: MedicalRecord) -> Any:
    for i, lab in enumerate(r.labs):
        d = LAB.get(lab.name)
        if d is not None and lab.unit != d.unit:
            return f"{lab.name} is reported in {d.unit}, not {lab.unit}", (f"labs[{i}].unit",)
    return None


def _c_lab_loinc(r: MedicalRecord) -> Any:
    for i, lab in enumerate(r.labs):
        d = LAB.get(lab.name)
        if d is not None and lab.loinc != d.loinc:
            return f"{lab.name} is LOINC {d.loinc}, not {lab.loinc}", (f"labs[{i}].loinc",)
    return None


def _c_egfr(r: MedicalRecord) -> Any:
    i = j = None
    for k, lab in enumerate(r.labs):
        if lab.name == "Creatinine":
            i = k
        elif lab.name == EGFR:
            j = k
    if i is None or j is None:
        return "creatinine and eGFR must both be reported", ("labs",)
    creatinine = r.labs[i].value
    if creatinine <= 0:
        return "creatinine must be positive", (f"labs[{i}].value",)
    expected = round(ckd_epi_2021(creatinine, _true_age(r), r.patient.sex))
    if abs(r.labs[j].value - expected) > 1:
        return (f"eGFR {r.labs[j].value:g} does not follow from creatinine {creatinine:g} (CKD-EPI 2021: {expected})",
                (f"labs[{j}].value", f"labs[{i}].value"))
    return None


def _c_medication_indicated(r: MedicalRecord) -> Any:
    for i, m in enumerate(r.medications):
        drug = DRUG.get(m.name)
        target = _condition_for_code(r, m.indication)
        if drug is None:
            return f"{m.name!r} is not a known drug", (f"medications[{i}].name",)
        if target is None:
            return f"{m.name} is given for {m.indication}, which is not a stated diagnosis", (
                f"medications[{i}].indication",)
        if target.name not in drug.indications:
            return f"{m.name} is not indicated for {target.name}", (f"medications[{i}].indication",)
    return None


def _c_medication_contraindicated(r: MedicalRecord) -> Any:
    names = {c.name for c in r.conditions}
    names.update(h.name for h in r.history)
    lab_values = None
    for i, m in enumerate(r.medications):
        drug = DRUG.get(m.name)
        if drug is None or (drug.contra.isdisjoint(names) and not drug.has_rules):
            continue
        if lab_values is None:
            lab_values = {lab.name: lab.value for lab in r.labs}.get
        reason = _ruled_out(drug, names, lab_values, lambda name: getattr(r.vitals, name))
        if reason:
            return reason, (f"medications[{i}].name",)
    return None


def _c_dose(r: MedicalRecord) -> Any:
    for i, m in enumerate(r.medications):
        drug = DRUG.get(m.name)
        if drug is None:
            continue
        if m.dose_unit != drug.unit or not drug.doses[0] <= m.dose <= drug.doses[-1]:
            return (f"{m.name} {m.dose:g} {m.dose_unit} is outside {drug.doses[0]:g}-{drug.doses[-1]:g} {drug.unit}",
                    (f"medications[{i}].dose",))
    return None


def _c_route(r: MedicalRecord) -> Any:
    for i, m in enumerate(r.medications):
        drug = DRUG.get(m.name)
        if drug is not None and (m.route not in drug.routes or m.frequency not in drug.frequencies):
            return f"{m.name} is not given {m.route} {m.frequency}", (f"medications[{i}].route",)
    return None


def _c_encounter_dates(r: MedicalRecord) -> Any:
    admitted, discharged = r.encounter.admission_date, r.encounter.discharge_date
    if admitted > discharged:
        return f"admitted {admitted} after discharge {discharged}", ("encounter.admission_date",)
    for i, p in enumerate(r.procedures):
        if not admitted <= p.date <= discharged:
            return f"{p.name} on {p.date} falls outside the stay {admitted} to {discharged}", (f"procedures[{i}].date",)
    return None


def _c_length_of_stay(r: MedicalRecord) -> Any:
    days = (r.encounter.discharge_date - r.encounter.admission_date).days
    if r.encounter.length_of_stay != days:
        return f"length of stay {r.encounter.length_of_stay} but the dates span {days} days", (
            "encounter.length_of_stay",)
    return None


def _c_follow_up(r: MedicalRecord) -> Any:
    if r.encounter.follow_up_date <= r.encounter.discharge_date:
        return f"follow-up {r.encounter.follow_up_date} is not after discharge", ("encounter.follow_up_date",)
    return None


def _c_age_matches(r: MedicalRecord) -> Any:
    if r.patient.age != _true_age(r):
        return f"age {r.patient.age} but born {r.patient.date_of_birth} ({_true_age(r)} on admission)", (
            "patient.age",)
    return None


def _c_procedure_indicated(r: MedicalRecord) -> Any:
    for i, p in enumerate(r.procedures):
        target = _condition_for_code(r, p.indication)
        if target is None or p.name not in target.procedures:
            return f"{p.name} is not indicated for {p.indication}", (f"procedures[{i}].name",)
    return None


def _c_service(r: MedicalRecord) -> Any:
    p = PROBLEM.get(r.conditions[0].name) if r.conditions else None
    if p is None or r.encounter.service not in p.services:
        return f"{r.encounter.service} does not admit {r.conditions[0].name if r.conditions else 'nothing'}", (
            "encounter.service",)
    return None


# --------------------------------------------------------------------------------------------
# Breakers: a deep copy with the smallest change that breaks exactly one rule
# --------------------------------------------------------------------------------------------


def _copy(r: MedicalRecord) -> MedicalRecord:
    return copy_record(r)


def _other(rng: random.Random, options: tuple[str, ...] | list[str], current: str) -> str:
    return rng.choice([o for o in options if o != current])


def _b_icd_code(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    items = [*out.conditions, *out.history]
    item = items[rng.randrange(len(items))]
    item.code = _other(rng, ALL_CODES, PROBLEM[item.name].code)
    return out


def _b_sex(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    other = "male" if out.patient.sex == "female" else "female"
    taken = {c.name for c in out.conditions} | {h.name for h in out.history}
    age = _true_age(out)
    options = [h for h in SEX_ONLY[other] if h.min_age <= age and h.name not in taken]
    h = rng.choice(options)
    item = out.history[rng.randrange(len(out.history))]
    item.name, item.code = h.name, h.code
    return out


def _b_age(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    """Move a chronic diagnosis to before the age it can start (before birth when it has no minimum)."""
    out = _copy(r)
    chronic = [c for c in out.conditions[1:] if c.name in PROBLEM] or out.conditions[:1]
    top = max(PROBLEM[c.name].min_age for c in chronic)
    c = rng.choice([c for c in chronic if PROBLEM[c.name].min_age == top])
    born = out.patient.date_of_birth
    if top == 0:
        c.diagnosed = born - timedelta(days=rng.randint(30, 900))
    else:
        limit = add_years(born, top).toordinal() - 1
        c.diagnosed = date.fromordinal(rng.randint(max(born.toordinal(), limit - 5 * 365), limit))
    return out


def _b_diagnosis_dates(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    c = out.conditions[rng.randrange(len(out.conditions))]
    c.diagnosed = out.encounter.discharge_date + timedelta(days=rng.randint(1, 90))
    return out


def _b_symptoms(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    explained = _explained_symptoms(out)
    i = rng.randrange(len(out.symptoms))
    out.symptoms[i] = rng.choice([s for s in ALL_SYMPTOMS if s not in explained and s not in out.symptoms])
    return out


_NORMAL_VITAL = {"temperature_c": (36.4, 37.2), "heart_rate": (70, 90), "systolic_bp": (118, 132),
                 "respiratory_rate": (13, 18), "spo2": (96, 99)}


def _b_vitals_support(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    """Set a vital sign a diagnosis implies (fever, tachycardia, ...) back to normal."""
    out = _copy(r)
    states = sorted({s for c in out.conditions if c.name in PROBLEM for s in PROBLEM[c.name].vitals} - {"obesity"})
    name = VITAL_STATES[rng.choice(states)][0]
    low, high = _NORMAL_VITAL[name]
    setattr(out.vitals, name, round(rng.uniform(low, high), 1) if name == "temperature_c" else rng.randint(low, high))
    return out


_IMPOSSIBLE_VITAL = {"temperature_c": (44.5, 47.0), "heart_rate": (265, 330), "respiratory_rate": (65, 90)}


def _b_vitals_physiological(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    """An impossible high reading: it keeps every fever/tachycardia/tachypnea finding true."""
    out = _copy(r)
    name = rng.choice(sorted(_IMPOSSIBLE_VITAL))
    low, high = _IMPOSSIBLE_VITAL[name]
    setattr(out.vitals, name, round(rng.uniform(low, high), 1) if name == "temperature_c" else rng.randint(low, high))
    return out


def _b_blood_pressure(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    out.vitals.diastolic_bp = out.vitals.systolic_bp + rng.randint(2, 18)
    return out


def _b_bmi(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    out.vitals.bmi = round(out.vitals.bmi + rng.uniform(1.5, 4.0), 1)
    return out


def _b_lab_supports(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    """Report a normal value (and flag) for a test the diagnosis says is abnormal."""
    out = _copy(r)
    index, sex = _lab_index(out), out.patient.sex
    pairs = sorted({name for c in out.conditions if c.name in PROBLEM for name in PROBLEM[c.name].labs}
                   - {EGFR, "Creatinine"})
    lab = out.labs[index[rng.choice(pairs)]]
    d = LAB[lab.name]
    lab.value = round(rng.uniform(*d.normal[sex]), d.decimals)
    lab.flag = "normal"
    return out


def _b_lab_flag(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    lab = out.labs[rng.randrange(len(out.labs))]
    lab.flag = _other(rng, FLAGS, lab.flag)
    return out


def _b_lab_range(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    lab = out.labs[rng.randrange(len(out.labs))]
    d = LAB[lab.name]
    other = d.range_text["male" if out.patient.sex == "female" else "female"]
    if other != lab.reference_range and rng.random() < 0.5:
        lab.reference_range = other
        return out
    low, high = d.ranges[out.patient.sex]
    step = 10 ** -d.decimals
    if high is None:
        low = round(max(low * rng.uniform(1.25, 1.6), low + step), d.decimals)
    else:
        high = round(max(high * rng.uniform(1.3, 1.8), high + step), d.decimals)
    lab.reference_range = _range_text((low, high), d.decimals)
    return out


def _b_lab_unit(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    lab = out.labs[rng.randrange(len(out.labs))]
    lab.unit = LAB[lab.name].wrong_unit
    return out


def _b_lab_loinc(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    lab = out.labs[rng.randrange(len(out.labs))]
    lab.loinc = _other(rng, LOINCS, lab.loinc)
    return out


_EGFR_BANDS = ((0, 14), (15, 29), (30, 44), (45, 59), (60, 140))


def _b_egfr(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    """Misstate eGFR within its CKD band and flag, so only the creatinine equation disagrees."""
    out = _copy(r)
    index = _lab_index(out)
    creatinine, egfr = out.labs[index["Creatinine"]], out.labs[index[EGFR]]
    expected = round(ckd_epi_2021(creatinine.value, _true_age(out), out.patient.sex))
    low, high = next(b for b in _EGFR_BANDS if b[0] <= egfr.value <= b[1])
    egfr.value = float(rng.choice([x for x in range(low, high + 1) if abs(x - expected) >= 3]))
    return out


def _b_medication_indicated(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    """Give a drug for a diagnosis it does not treat (another stated one when possible)."""
    out = _copy(r)
    m = out.medications[rng.randrange(len(out.medications))]
    drug = DRUG[m.name]
    stated = [PROBLEM[c.name].code for c in out.conditions
              if c.name in PROBLEM and c.name not in drug.indications]
    pool = stated or [code for code in ACTIVE_CODES if not any(
        p.code == code and p.name in drug.indications for p in PRIMARY + COMORBID)]
    m.indication = rng.choice(pool)
    return out


def _b_medication_contraindicated(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    """Replace a past-history entry with one that rules out a prescribed drug (an allergy or a disease)."""
    out = _copy(r)
    drug = DRUG[out.medications[rng.randrange(len(out.medications))].name]
    h = PROBLEM[rng.choice(drug.history_contra)]
    item = out.history[rng.randrange(len(out.history))]
    item.name, item.code = h.name, h.code
    return out


def _b_dose(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    m = out.medications[rng.randrange(len(out.medications))]
    m.dose = m.dose * 10
    return out


def _b_route(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    m = out.medications[rng.randrange(len(out.medications))]
    m.route = rng.choice([x for x in ROUTES if x not in DRUG[m.name].routes])
    return out


def _b_encounter_dates(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    p = out.procedures[rng.randrange(len(out.procedures))]
    if rng.random() < 0.5:
        p.date = out.encounter.admission_date - timedelta(days=rng.randint(1, 10))
    else:
        p.date = out.encounter.discharge_date + timedelta(days=rng.randint(1, 10))
    return out


def _b_length_of_stay(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    k = rng.randint(1, 3)
    stay = out.encounter.length_of_stay
    out.encounter.length_of_stay = stay - k if stay - k >= 1 and rng.random() < 0.5 else stay + k
    return out


def _b_follow_up(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    out.encounter.follow_up_date = out.encounter.discharge_date - timedelta(days=rng.randint(0, 5))
    return out


def _b_age_matches(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    out.patient.age += rng.choice((-3, -2, -1, 1, 2, 3, 4, 5))
    return out


def _b_procedure_indicated(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    p = out.procedures[rng.randrange(len(out.procedures))]
    target = _condition_for_code(out, p.indication)
    fitting = target.procedures if target is not None else ()
    p.name = rng.choice([x for x in ALL_PROCEDURES if x not in fitting])
    return out


def _b_service(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    out.encounter.service = rng.choice(UNRELATED_SERVICES)
    return out


_VITAL_NODES = ("temperature", "heart_rate", "blood_pressure", "respiratory_rate", "spo2", "bmi")

CONSTRAINTS = (
    Constraint("medical.icd_code_matches_condition", "each diagnosis carries its own ICD-10-CM code",
               ("conditions", "history"), _c_icd_code, _b_icd_code),
    Constraint("medical.condition_sex_appropriate", "sex-specific diagnoses match the patient's sex",
               ("sex", "conditions", "history"), _c_sex, _b_sex),
    Constraint("medical.condition_age_appropriate",
               "a diagnosis is made no younger than its minimum age (and never before birth)",
               ("date_of_birth", "conditions", "history"), _c_age, _b_age),
    Constraint("medical.diagnosis_dates_consistent",
               "no diagnosis after discharge; admitting diagnoses dated around the admission",
               ("conditions", "admission_date", "discharge_date"), _c_diagnosis_dates, _b_diagnosis_dates),
    Constraint("medical.symptom_explained_by_condition", "every presenting symptom follows from a stated diagnosis",
               ("symptoms", "conditions"), _c_symptoms, _b_symptoms),
    Constraint("medical.vitals_support_diagnosis",
               "vital signs show what the diagnoses imply (fever, tachycardia, tachypnea, hypoxemia, hypertension)",
               ("conditions", "vital_states", *_VITAL_NODES), _c_vitals_support, _b_vitals_support),
    Constraint("medical.vital_signs_physiological", "every vital sign lies within physiological limits",
               _VITAL_NODES + ("weight", "height"), _c_vitals_physiological, _b_vitals_physiological),
    Constraint("medical.blood_pressure_systolic_above_diastolic", "systolic pressure exceeds diastolic pressure",
               ("blood_pressure",), _c_blood_pressure, _b_blood_pressure),
    Constraint("medical.bmi_matches_weight_height", "BMI equals weight / height squared",
               ("bmi", "weight", "height"), _c_bmi, _b_bmi),
    Constraint("medical.lab_supports_diagnosis",
               "each diagnosis's expected lab abnormalities are present (e.g. HbA1c raised in diabetes)",
               ("conditions", "lab_states", "labs", "kidney_function"), _c_lab_supports, _b_lab_supports),
    Constraint("medical.lab_flag_matches_value", "the low/normal/high flag agrees with the value and range",
               ("labs", "sex"), _c_lab_flag, _b_lab_flag),
    Constraint("medical.lab_reference_range_standard", "each test states its standard (sex-specific) reference range",
               ("labs", "sex"), _c_lab_range, _b_lab_range),
    Constraint("medical.lab_unit_standard", "each test is reported in its standard unit",
               ("labs",), _c_lab_unit, _b_lab_unit),
    Constraint("medical.lab_loinc_matches_name", "each test carries its own LOINC code",
               ("labs",), _c_lab_loinc, _b_lab_loinc),
    Constraint("medical.egfr_matches_creatinine", "eGFR follows from creatinine, age and sex by CKD-EPI 2021",
               ("kidney_function", "creatinine", "labs", "age", "sex"), _c_egfr, _b_egfr),
    Constraint("medical.medication_indicated", "each drug treats the stated diagnosis it is given for",
               ("medications", "conditions"), _c_medication_indicated, _b_medication_indicated),
    Constraint("medical.medication_not_contraindicated",
               "no drug is ruled out by a stated condition, allergy, lab value or vital sign",
               ("medications", "conditions", "history", "labs", "heart_rate", "blood_pressure"),
               _c_medication_contraindicated, _b_medication_contraindicated),
    Constraint("medical.medication_dose_in_range", "each dose lies in the drug's usual adult range and unit",
               ("medications",), _c_dose, _b_dose),
    Constraint("medical.medication_route_valid", "each drug is given by a route and schedule it exists for",
               ("medications",), _c_route, _b_route),
    Constraint("medical.encounter_dates_ordered", "admission <= every procedure <= discharge",
               ("admission_date", "discharge_date", "procedures"), _c_encounter_dates, _b_encounter_dates),
    Constraint("medical.length_of_stay_matches_dates", "length of stay equals discharge minus admission",
               ("length_of_stay", "admission_date", "discharge_date"), _c_length_of_stay, _b_length_of_stay),
    Constraint("medical.follow_up_after_discharge", "the follow-up visit comes after discharge",
               ("follow_up_date", "discharge_date"), _c_follow_up, _b_follow_up),
    Constraint("medical.age_matches_birth_date", "stated age equals completed years from birth to admission",
               ("age", "date_of_birth", "admission_date"), _c_age_matches, _b_age_matches),
    Constraint("medical.procedure_indicated", "each procedure is work-up for the stated diagnosis it cites",
               ("procedures", "conditions"), _c_procedure_indicated, _b_procedure_indicated),
    Constraint("medical.service_matches_primary_diagnosis", "the admitting service treats the admitting diagnosis",
               ("service", "primary_condition"), _c_service, _b_service),
)

# --------------------------------------------------------------------------------------------
# Renderers: random draws are fixed in number and order, never steered by field values
# --------------------------------------------------------------------------------------------
# Each list writer ends with `after`, the text that follows the list, so separators cost one call.

_MONTHS = ("", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_LAB_FORMAT = {name: f"{{:.{d}f}}".format for name, d in LAB_DECIMALS.items()}
_DEFAULT_FORMAT = "{:.2f}".format
DateFormat = Callable[[date], str]


def _key_table(prefix: str, fields: tuple[str, ...]) -> Callable[[int], tuple[str, ...]]:
    """Span keys of list item i (`labs[3].value`, ...), prebuilt for the lengths records have."""
    def build(i: int) -> tuple[str, ...]:
        return tuple(f"{prefix}[{i}]" + (f".{f}" if f else "") for f in fields)
    table = tuple(build(i) for i in range(48))
    return lambda i: table[i] if i < 48 else build(i)


_LAB_KEYS = _key_table("labs", ("name", "value", "unit", "reference_range", "flag", "loinc"))
_CONDITION_KEYS = _key_table("conditions", ("name", "code", "diagnosed"))
_HISTORY_KEYS = _key_table("history", ("name", "code"))
_MEDICATION_KEYS = _key_table("medications", ("name", "dose", "dose_unit", "route", "frequency", "indication"))
_PROCEDURE_KEYS = _key_table("procedures", ("name", "date", "indication"))
_SYMPTOM_KEYS = _key_table("symptoms", ("",))


def _iso(d: date) -> str:
    return d.isoformat()


def _dmy(d: date) -> str:
    return f"{d.day:02d} {_MONTHS[d.month][:3]} {d.year}"


def _long(d: date) -> str:
    return f"{d.day} {_MONTHS[d.month]} {d.year}"


def _symptoms(r: MedicalRecord, b: TextBuilder, after: str) -> None:
    last = len(r.symptoms) - 1
    for i, s in enumerate(r.symptoms):
        if i:
            b.text(" and " if i == last else ", ")
        b.value(_SYMPTOM_KEYS(i)[0], s)
    b.text(after)


def _history(r: MedicalRecord, b: TextBuilder, after: str) -> None:
    value, text = b.value, b.text
    for i, h in enumerate(r.history):
        k_name, k_code = _HISTORY_KEYS(i)
        if i:
            text("); ")
        value(k_name, h.name)
        text(" (")
        value(k_code, h.code)
    text(")" + after)


def _vital_labels(t: str, hr: str, bp: str, rr: str, sat: str, wt: str, ht: str, bmi: str) -> tuple[str, ...]:
    """The text between vital-sign values: each label joined to the previous value's unit."""
    return (t, f" °C{hr}", f"/min{bp}", f" mmHg{rr}", f"/min{sat}", f"%{wt}", f" kg{ht}", f" cm{bmi}")


_NOTE_VITALS = _vital_labels("T ", ", HR ", ", BP ", ", RR ", ", SpO2 ", ", wt ", ", ht ", ", BMI ")
_SUMMARY_VITALS = _vital_labels("Temp ", ", pulse ", ", BP ", ", RR ", ", SpO2 ", ", weight ", ", height ", ", BMI ")
_LETTER_VITALS = _vital_labels("temperature ", ", heart rate ", ", blood pressure ", ", respiratory rate ",
                               ", saturation ", ", weight ", ", height ", ", BMI ")


def _vitals(r: MedicalRecord, b: TextBuilder, labels: tuple[str, ...], after: str) -> None:
    v, value, text = r.vitals, b.value, b.text
    t, hr, bp, rr, sat, wt, ht, bmi = labels
    text(t)
    value("vitals.temperature_c", f"{v.temperature_c:.1f}")
    text(hr)
    value("vitals.heart_rate", str(v.heart_rate))
    text(bp)
    value("vitals.systolic_bp", str(v.systolic_bp))
    text("/")
    value("vitals.diastolic_bp", str(v.diastolic_bp))
    text(rr)
    value("vitals.respiratory_rate", str(v.respiratory_rate))
    text(sat)
    value("vitals.spo2", str(v.spo2))
    text(wt)
    value("vitals.weight_kg", f"{v.weight_kg:.1f}")
    text(ht)
    value("vitals.height_cm", str(v.height_cm))
    text(bmi)
    value("vitals.bmi", f"{v.bmi:.1f}")
    text(after)


def _labs(r: MedicalRecord, b: TextBuilder, after: str) -> None:
    """Name, value, unit, reference range, flag and LOINC code of every test, in one run-on list."""
    value, text = b.value, b.text
    for i, lab in enumerate(r.labs):
        k_name, k_value, k_unit, k_range, k_flag, k_loinc = _LAB_KEYS(i)
        if i:
            text("); ")
        value(k_name, lab.name)
        text(" ")
        value(k_value, _LAB_FORMAT.get(lab.name, _DEFAULT_FORMAT)(lab.value))
        text(" ")
        value(k_unit, lab.unit)
        text(" (")
        value(k_range, lab.reference_range)
        text(", ")
        value(k_flag, lab.flag)
        text("; LOINC ")
        value(k_loinc, lab.loinc)
    text(")" + after)


def _conditions(r: MedicalRecord, b: TextBuilder, dated: str, fmt: DateFormat, seps: tuple[str, str],
                after: str) -> None:
    """Diagnoses as `name (code, <dated> date)`; seps are the separator and the one before the last item."""
    value, text = b.value, b.text
    end = len(r.conditions) - 1
    for i, c in enumerate(r.conditions):
        k_name, k_code, k_date = _CONDITION_KEYS(i)
        if i:
            text(")" + (seps[1] if i == end else seps[0]))
        value(k_name, c.name)
        text(" (")
        value(k_code, c.code)
        text(dated)
        value(k_date, fmt(c.diagnosed))
    text(")" + after)


def _medications(r: MedicalRecord, b: TextBuilder, for_: str, close: str, seps: tuple[str, str],
                 after: str) -> None:
    value, text = b.value, b.text
    end = len(r.medications) - 1
    for i, m in enumerate(r.medications):
        k_name, k_dose, k_unit, k_route, k_frequency, k_indication = _MEDICATION_KEYS(i)
        if i:
            text(close + (seps[1] if i == end else seps[0]))
        value(k_name, m.name)
        text(" ")
        value(k_dose, f"{m.dose:g}")
        text(" ")
        value(k_unit, m.dose_unit)
        text(" ")
        value(k_route, m.route)
        text(" ")
        value(k_frequency, m.frequency)
        text(for_)
        value(k_indication, m.indication)
    text(close + after)


def _procedures(r: MedicalRecord, b: TextBuilder, fmt: DateFormat, on: str, for_: str, close: str,
                after: str) -> None:
    value, text = b.value, b.text
    for i, p in enumerate(r.procedures):
        k_name, k_date, k_indication = _PROCEDURE_KEYS(i)
        if i:
            text(close + "; ")
        value(k_name, p.name)
        text(on)
        value(k_date, fmt(p.date))
        text(for_)
        value(k_indication, p.indication)
    text(close + after)


def _clinical_note(r: MedicalRecord, rng: random.Random, b: TextBuilder) -> None:
    """A terse SOAP note in the attending's shorthand, ISO dates."""
    pt, enc, value, text = r.patient, r.encounter, b.value, b.text
    title = rng.choice(("PROGRESS NOTE", "CLINICAL NOTE", "INPATIENT NOTE"))
    complaint = rng.choice(("Presents with", "Reports", "Complains of"))
    text(f"{title} - ")
    value("encounter.facility", enc.facility)
    text(", ")
    value("encounter.service", enc.service)
    text("\nPt: ")
    value("patient.name", pt.name)
    text(", ")
    value("patient.age", str(pt.age))
    text(" y, ")
    value("patient.sex", pt.sex)
    text(", DOB ")
    value("patient.date_of_birth", _iso(pt.date_of_birth))
    text(", MRN ")
    value("patient.mrn", pt.mrn)
    text("\nAdm ")
    value("encounter.admission_date", _iso(enc.admission_date))
    text(", d/c ")
    value("encounter.discharge_date", _iso(enc.discharge_date))
    text(" (LOS ")
    value("encounter.length_of_stay", str(enc.length_of_stay))
    text(" d), f/u ")
    value("encounter.follow_up_date", _iso(enc.follow_up_date))
    text(". Attending ")
    value("encounter.attending", enc.attending)
    text(", ref. ")
    value("encounter.referring", enc.referring)
    text(f".\nS: {complaint} ")
    _symptoms(r, b, ". PMH: ")
    _history(r, b, ".\nO: ")
    _vitals(r, b, _NOTE_VITALS, ".\nLabs: ")
    _labs(r, b, ".\nA: ")
    _conditions(r, b, ", dx ", _iso, ("; ", "; "), ".\nP: ")
    _medications(r, b, " [", "]", ("; ", "; "), ". Done: ")
    _procedures(r, b, _iso, " ", " [", "]", ".")


def _discharge_summary(r: MedicalRecord, rng: random.Random, b: TextBuilder) -> None:
    """A structured discharge summary with labelled sections and day-month-year dates."""
    pt, enc, value, text = r.patient, r.encounter, b.value, b.text
    heading = rng.choice(("DISCHARGE SUMMARY", "Discharge Summary", "HOSPITAL DISCHARGE SUMMARY"))
    course = rng.choice(("Hospital course", "Course in hospital", "Inpatient course"))
    text(f"{heading}\n")
    value("encounter.facility", enc.facility)
    text(" | ")
    value("encounter.service", enc.service)
    text("\nPatient: ")
    value("patient.name", pt.name)
    text(" | MRN ")
    value("patient.mrn", pt.mrn)
    text(" | DOB ")
    value("patient.date_of_birth", _dmy(pt.date_of_birth))
    text(" | Age ")
    value("patient.age", str(pt.age))
    text(" | Sex ")
    value("patient.sex", pt.sex)
    text("\nAdmitted ")
    value("encounter.admission_date", _dmy(enc.admission_date))
    text("; discharged ")
    value("encounter.discharge_date", _dmy(enc.discharge_date))
    text(" after ")
    value("encounter.length_of_stay", str(enc.length_of_stay))
    text(" days. Attending: ")
    value("encounter.attending", enc.attending)
    text("; referred by ")
    value("encounter.referring", enc.referring)
    text(".\nDiagnoses: ")
    _conditions(r, b, ", diagnosed ", _dmy, ("; ", "; "), ".\nHistory: ")
    _history(r, b, ".\nPresentation: ")
    _symptoms(r, b, ". ")
    _vitals(r, b, _SUMMARY_VITALS, f".\n{course}: ")
    _procedures(r, b, _dmy, " on ", " for ", "", ".\nResults: ")
    _labs(r, b, ".\nDischarge medications: ")
    _medications(r, b, " for ", "", ("; ", "; "), ".\nFollow-up: clinic on ")
    value("encounter.follow_up_date", _dmy(enc.follow_up_date))
    text(".")


def _referral_letter(r: MedicalRecord, rng: random.Random, b: TextBuilder) -> None:
    """A letter back to the referring physician, in prose, with long-form dates."""
    pt, enc, value, text = r.patient, r.encounter, b.value, b.text
    opening = rng.choice(("Thank you for referring", "Many thanks for referring", "Further to your referral of"))
    closing = rng.choice(("Kind regards", "Yours sincerely", "With best wishes"))
    text("Dear ")
    value("encounter.referring", enc.referring)
    text(f",\n{opening} ")
    value("patient.name", pt.name)
    text(" (")
    value("patient.age", str(pt.age))
    text(", ")
    value("patient.sex", pt.sex)
    text(", born ")
    value("patient.date_of_birth", _long(pt.date_of_birth))
    text(", MRN ")
    value("patient.mrn", pt.mrn)
    text("), admitted under ")
    value("encounter.service", enc.service)
    text(" at ")
    value("encounter.facility", enc.facility)
    text(" on ")
    value("encounter.admission_date", _long(enc.admission_date))
    text(" and discharged on ")
    value("encounter.discharge_date", _long(enc.discharge_date))
    text(" (")
    value("encounter.length_of_stay", str(enc.length_of_stay))
    text(" days). The presenting complaints were ")
    _symptoms(r, b, ". Background: ")
    _history(r, b, ".\nOn arrival: ")
    _vitals(r, b, _LETTER_VITALS, ". Investigations: ")
    _labs(r, b, ". ")
    _procedures(r, b, _long, " was performed on ", " for ", "", ".\nDiagnoses: ")
    _conditions(r, b, ", since ", _long, ("; ", "; and "), ".\nMedications on discharge: ")
    _medications(r, b, " for ", "", ("; ", "; and "), ". Please review the patient in clinic on ")
    value("encounter.follow_up_date", _long(enc.follow_up_date))
    text(f".\n{closing},\n")
    value("encounter.attending", enc.attending)

STYLES = {"clinical_note": _clinical_note, "discharge_summary": _discharge_summary, "referral_letter": _referral_letter}


@register
class MedicalDomain(Domain):
    """Inpatient admissions: diagnoses drive labs, vitals, symptoms, drugs and procedures."""

    name = "medical"
    Record = MedicalRecord
    variables = VARIABLES
    constraints = CONSTRAINTS
    styles = STYLES
    entities = ("patient.name", "encounter.attending", "encounter.referring")

    def assemble(self, values: Mapping[str, Any]) -> BaseModel:
        """Shape the node values into the nested record; latent nodes (states, targets) are dropped."""
        systolic, diastolic = values["blood_pressure"]
        return MedicalRecord.model_validate({
            "patient": {"name": values["patient_name"], "sex": values["sex"], "date_of_birth": values["date_of_birth"],
                        "age": values["age"], "mrn": values["mrn"]},
            "encounter": {"facility": values["facility"], "service": values["service"],
                          "attending": values["attending"], "referring": values["referring"],
                          "admission_date": values["admission_date"], "discharge_date": values["discharge_date"],
                          "length_of_stay": values["length_of_stay"], "follow_up_date": values["follow_up_date"]},
            "conditions": values["conditions"],
            "history": values["history"],
            "symptoms": values["symptoms"],
            "vitals": {"temperature_c": values["temperature"], "heart_rate": values["heart_rate"],
                       "systolic_bp": systolic, "diastolic_bp": diastolic,
                       "respiratory_rate": values["respiratory_rate"], "spo2": values["spo2"],
                       "weight_kg": values["weight"], "height_cm": values["height"], "bmi": values["bmi"]},
            "labs": values["labs"],
            "medications": values["medications"],
            "procedures": values["procedures"],
        })
