"""The causal graph: one sampler per variable, each seeing only its parents' values."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any, Mapping

from world_model.core import Variable
from world_model.medical.clinical import (
    CHRONIC_HISTORY_DAYS,
    COMORBID_BY_SEX,
    COMPATIBLE,
    DAYS_IN_MONTH,
    FIRST_ADMISSION,
    HISTORY_BY_SEX,
    LAB,
    LAST_ADMISSION,
    MAX_AGE,
    MIN_AGE,
    PRIMARY_BY_SEX,
    PROBLEM,
    PROBLEM_DRUGS,
    RISKY,
    SAFE_HISTORY,
    LabDef,
    Problem,
    add_years,
    choice,
    ckd_epi_2021,
    creatinine_for,
    pick,
    randint,
    ruled_out,
    treatable,
)
from world_model.medical.tables import (
    BASELINE_LABS,
    EGFR,
    EGFR_STAGES,
    FACILITIES,
    FIRST_NAMES,
    HEIGHT_CM,
    LAST_NAMES,
    PHYSICIAN_FIRST,
    VITALS,
)


Values = Mapping[str, Any]


def _s_sex(rng: random.Random, v: Values) -> str:
    return "female" if rng.random() < 0.52 else "male"


def _s_age(rng: random.Random, v: Values) -> int:
    return min(MAX_AGE, int(rng.triangular(MIN_AGE, MAX_AGE + 1, 70)))


def _s_admission_date(rng: random.Random, v: Values) -> date:
    return date.fromordinal(randint(rng, FIRST_ADMISSION, LAST_ADMISSION))


def _s_date_of_birth(rng: random.Random, v: Values) -> date:
    """A birthday that makes the patient exactly `age` on admission (never 29 February)."""
    admitted, age = v["admission_date"], v["age"]
    month = randint(rng, 1, 12)
    day = randint(rng, 1, DAYS_IN_MONTH[month])
    year = admitted.year - age - ((admitted.month, admitted.day) < (month, day))
    return date(year, month, day)


def _s_patient_name(rng: random.Random, v: Values) -> str:
    return f"{choice(rng, FIRST_NAMES[v['sex']])} {choice(rng, LAST_NAMES)}"


def _s_mrn(rng: random.Random, v: Values) -> str:
    return str(randint(rng, 10_000_000, 99_999_999))


def _s_facility(rng: random.Random, v: Values) -> str:
    return choice(rng, FACILITIES)


def _physician(rng: random.Random) -> str:
    return f"Dr. {choice(rng, PHYSICIAN_FIRST)} {choice(rng, LAST_NAMES)}"


def _s_referring(rng: random.Random, v: Values) -> str:
    return _physician(rng)


def _s_attending(rng: random.Random, v: Values) -> str:
    name = _physician(rng)
    return name if name != v["referring"] else f"Dr. {choice(rng, PHYSICIAN_FIRST)} Alvarez"


def _s_primary_condition(rng: random.Random, v: Values) -> Problem:
    age = v["age"]
    while True:
        p = pick(rng, PRIMARY_BY_SEX[v["sex"]])
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
        c = pick(rng, COMORBID_BY_SEX[v["sex"]])
        current = [primary, *chosen]
        if c.min_age > age or not all((p.name, c.name) in COMPATIBLE for p in current):
            continue
        if not chosen or treatable(current + [c], {p.name for p in current} | {c.name}):
            chosen.append(c)
    return chosen


def _diagnosed(rng: random.Random, p: Problem, born: date, admitted: date) -> date:
    """Admitting diagnoses date from the admission, chronic ones from the last 25 adult years; never too young."""
    earliest = add_years(born, p.min_age).toordinal()
    day = admitted.toordinal()
    if "P" in p.roles:
        return date.fromordinal(max(day - randint(rng, 0, 2), earliest))
    low = max(add_years(born, max(p.min_age, 18)).toordinal(), day - CHRONIC_HISTORY_DAYS)
    high = day - 30
    if low > high:
        low, high = earliest, day
    return date.fromordinal(randint(rng, low, high))


def _s_conditions(rng: random.Random, v: Values) -> list[dict]:
    born, admitted = v["date_of_birth"], v["admission_date"]
    problems = [v["primary_condition"], *v["comorbidities"]]
    return [{"name": p.name, "code": p.code, "diagnosed": _diagnosed(rng, p, born, admitted)} for p in problems]


def _s_service(rng: random.Random, v: Values) -> str:
    return choice(rng, v["primary_condition"].services)


def _s_length_of_stay(rng: random.Random, v: Values) -> int:
    return randint(rng, *v["primary_condition"].stay)


def _s_discharge_date(rng: random.Random, v: Values) -> date:
    return v["admission_date"] + timedelta(days=v["length_of_stay"])


def _s_follow_up_date(rng: random.Random, v: Values) -> date:
    return v["discharge_date"] + timedelta(days=randint(rng, 7, 42))


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
        h = pick(rng, HISTORY_BY_SEX[v["sex"]])
        if h.min_age > age or h.name in names or (h.group and h.group in groups):
            continue
        if h.name not in risky or treatable(problems, names | {h.name}):
            chosen.append(h)
            names.add(h.name)
    if not chosen:
        fallback = next(PROBLEM[n] for n in SAFE_HISTORY if n not in names and PROBLEM[n].min_age <= age)
        chosen.append(fallback)
    return [{"name": h.name, "code": h.code} for h in chosen]


def _s_symptoms(rng: random.Random, v: Values) -> list[str]:
    options = v["primary_condition"].symptoms
    i, j = randint(rng, 0, len(options) - 1), randint(rng, 0, len(options) - 2)
    symptoms = [options[i], options[j + (j >= i)]]
    extra = [s for p in v["comorbidities"] for s in p.symptoms if s not in symptoms]
    if extra and rng.random() < 0.6:
        symptoms.append(choice(rng, extra))
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
        return randint(rng, low + 1, high - 1)
    low, high = _NORMAL_EGFR[sex][age]
    return randint(rng, low, high)


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
    row = VITALS[name]
    low, high = row.abnormal if row.state in states else row.normal
    return randint(rng, low, high) if row.decimals == 0 else round(low + (high - low) * rng.random(), row.decimals)


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
    return randint(rng, *HEIGHT_CM[v["sex"]])


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
                  and not (d.has_rules and ruled_out(d, names, lab_values, vital_values))]
        fresh = [d for d in usable if d.name not in used] or usable
        drug = choice(rng, fresh)
        used.add(drug.name)
        meds.append({"name": drug.name, "dose": choice(rng, drug.doses), "dose_unit": drug.unit,
                     "route": choice(rng, drug.routes), "frequency": choice(rng, drug.frequencies),
                     "indication": p.code})
    return meds


def _s_procedures(rng: random.Random, v: Values) -> list[dict]:
    """The admitting problem's work-up, sometimes one for a comorbidity, all during the stay."""
    admitted, stay = v["admission_date"], v["length_of_stay"]
    primary = v["primary_condition"]
    name = choice(rng, primary.procedures)
    out = [{"name": name, "date": admitted + timedelta(days=randint(rng, 0, stay)), "indication": primary.code}]
    options = [p for p in v["comorbidities"] if p.procedures]
    if options and rng.random() < 0.5:
        p = choice(rng, options)
        extra = choice(rng, p.procedures)
        if extra != name:
            out.append({"name": extra, "date": admitted + timedelta(days=randint(rng, 0, stay)), "indication": p.code})
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
