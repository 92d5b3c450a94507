"""Clinical rules: each check sits beside the breaker that makes the smallest edit it flags."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from world_model.core import Constraint, copy_record
from world_model.medical.clinical import (
    ACTIVE_CODES,
    ACUTE_ONSET_DAYS,
    ALL_CODES,
    ALL_PROCEDURES,
    ALL_SYMPTOMS,
    COMORBID,
    DRUG,
    FLAGS,
    LAB,
    LOINCS,
    PRIMARY,
    PROBLEM,
    SEX_ONLY,
    LabDef,
    Problem,
    add_years,
    age_at,
    ckd_epi_2021,
    crosses,
    range_text,
    ruled_out,
)
from world_model.medical.record import MedicalRecord
from world_model.medical.tables import EGFR, EGFR_STAGES, ROUTES, UNRELATED_SERVICES, VITALS, VITAL_STATES


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


def _copy(r: MedicalRecord) -> MedicalRecord:
    return copy_record(r)


def _other(rng: random.Random, options: tuple[str, ...] | list[str], current: str) -> str:
    return rng.choice([o for o in options if o != current])


def _c_icd_code(r: MedicalRecord) -> Any:
    for kind, items in (("conditions", r.conditions), ("history", r.history)):
        for i, c in enumerate(items):
            p = PROBLEM.get(c.name)
            if p is None:
                return f"{c.name!r} is not a known diagnosis", (f"{kind}[{i}].name",)
            if p.code != c.code:
                return f"{c.name} is coded {c.code}, not {p.code}", (f"{kind}[{i}].code",)
    return None


def _b_icd_code(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    items = [*out.conditions, *out.history]
    item = items[rng.randrange(len(items))]
    item.code = _other(rng, ALL_CODES, PROBLEM[item.name].code)
    return out


def _c_sex(r: MedicalRecord) -> Any:
    sex = r.patient.sex
    for kind, items in (("conditions", r.conditions), ("history", r.history)):
        for i, c in enumerate(items):
            p = PROBLEM.get(c.name)
            if p is not None and p.sex is not None and p.sex != sex:
                return f"{c.name} is a {p.sex}-only diagnosis in a {sex} patient", (f"{kind}[{i}].name", "patient.sex")
    return None


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


def _c_diagnosis_dates(r: MedicalRecord) -> Any:
    admitted, discharged = r.encounter.admission_date, r.encounter.discharge_date
    for i, c in enumerate(r.conditions):
        if c.diagnosed > discharged:
            return f"{c.name} diagnosed {c.diagnosed} after discharge {discharged}", (f"conditions[{i}].diagnosed",)
        p = PROBLEM.get(c.name)
        if p is not None and "P" in p.roles and (admitted - c.diagnosed).days > ACUTE_ONSET_DAYS:
            return f"acute {c.name} dated {c.diagnosed}, long before admission", (f"conditions[{i}].diagnosed",)
    return None


def _b_diagnosis_dates(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    c = out.conditions[rng.randrange(len(out.conditions))]
    c.diagnosed = out.encounter.discharge_date + timedelta(days=rng.randint(1, 90))
    return out


def _explained_symptoms(r: MedicalRecord) -> set[str]:
    return {s for c in r.conditions if c.name in PROBLEM for s in PROBLEM[c.name].symptoms}


def _c_symptoms(r: MedicalRecord) -> Any:
    explained = _explained_symptoms(r)
    for i, s in enumerate(r.symptoms):
        if s not in explained:
            return f"no stated diagnosis explains {s!r}", (f"symptoms[{i}]",)
    return None


def _b_symptoms(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    explained = _explained_symptoms(out)
    i = rng.randrange(len(out.symptoms))
    out.symptoms[i] = rng.choice([s for s in ALL_SYMPTOMS if s not in explained and s not in out.symptoms])
    return out


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
            if not (value >= threshold if op == ">=" else crosses(value, op, threshold)):
                return f"{c.name} implies {state}, but {name} is {value:g}", (f"vitals.{name}",)
    return None


_NORMAL_VITAL = {"temperature_c": (36.4, 37.2), "heart_rate": (70, 90), "systolic_bp": (118, 132),
                 "respiratory_rate": (13, 18), "spo2": (96, 99)}


def _b_vitals_support(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    """Set a vital sign a diagnosis implies (fever, tachycardia, ...) back to normal."""
    out = _copy(r)
    states = sorted({s for c in out.conditions if c.name in PROBLEM for s in PROBLEM[c.name].vitals} - {"obesity"})
    name = VITAL_STATES[rng.choice(states)].vital
    low, high = _NORMAL_VITAL[name]
    setattr(out.vitals, name, round(rng.uniform(low, high), 1) if name == "temperature_c" else rng.randint(low, high))
    return out


def _c_vitals_physiological(r: MedicalRecord) -> Any:
    for name, row in VITALS.items():
        low, high = row.limits
        value = _vital_value(r, name)
        if not low <= value <= high:
            return f"{name} {value:g} is outside physiological limits {low:g}-{high:g}", (f"vitals.{name}",)
    return None


_IMPOSSIBLE_VITAL = {"temperature_c": (44.5, 47.0), "heart_rate": (265, 330), "respiratory_rate": (65, 90)}


def _b_vitals_physiological(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    """An impossible high reading: it keeps every fever/tachycardia/tachypnea finding true."""
    out = _copy(r)
    name = rng.choice(sorted(_IMPOSSIBLE_VITAL))
    low, high = _IMPOSSIBLE_VITAL[name]
    setattr(out.vitals, name, round(rng.uniform(low, high), 1) if name == "temperature_c" else rng.randint(low, high))
    return out


def _c_blood_pressure(r: MedicalRecord) -> Any:
    if r.vitals.systolic_bp <= r.vitals.diastolic_bp:
        return (f"systolic {r.vitals.systolic_bp} is not above diastolic {r.vitals.diastolic_bp}",
                ("vitals.systolic_bp", "vitals.diastolic_bp"))
    return None


def _b_blood_pressure(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    out.vitals.diastolic_bp = out.vitals.systolic_bp + rng.randint(2, 18)
    return out


def _c_bmi(r: MedicalRecord) -> Any:
    v = r.vitals
    if v.height_cm <= 0:
        return "height must be positive", ("vitals.height_cm",)
    expected = v.weight_kg / (v.height_cm / 100) ** 2
    if abs(v.bmi - expected) > 0.1:
        return f"BMI {v.bmi:g} does not match {v.weight_kg:g} kg at {v.height_cm} cm ({expected:.1f})", ("vitals.bmi",)
    return None


def _b_bmi(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    out.vitals.bmi = round(out.vitals.bmi + rng.uniform(1.5, 4.0), 1)
    return out


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


def _c_lab_flag(r: MedicalRecord) -> Any:
    sex = r.patient.sex
    for i, lab in enumerate(r.labs):
        d = LAB.get(lab.name)
        if d is not None and d.flag(lab.value, sex) != lab.flag:
            return f"{lab.name} {lab.value:g} is {d.flag(lab.value, sex)}, flagged {lab.flag}", (f"labs[{i}].flag",)
    return None


def _b_lab_flag(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    lab = out.labs[rng.randrange(len(out.labs))]
    lab.flag = _other(rng, FLAGS, lab.flag)
    return out


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
    lab.reference_range = range_text((low, high), d.decimals)
    return out


def _c_lab_unit(r: MedicalRecord) -> Any:
    for i, lab in enumerate(r.labs):
        d = LAB.get(lab.name)
        if d is not None and lab.unit != d.unit:
            return f"{lab.name} is reported in {d.unit}, not {lab.unit}", (f"labs[{i}].unit",)
    return None


def _b_lab_unit(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    lab = out.labs[rng.randrange(len(out.labs))]
    lab.unit = LAB[lab.name].wrong_unit
    return out


def _c_lab_loinc(r: MedicalRecord) -> Any:
    for i, lab in enumerate(r.labs):
        d = LAB.get(lab.name)
        if d is not None and lab.loinc != d.loinc:
            return f"{lab.name} is LOINC {d.loinc}, not {lab.loinc}", (f"labs[{i}].loinc",)
    return None


def _b_lab_loinc(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    lab = out.labs[rng.randrange(len(out.labs))]
    lab.loinc = _other(rng, LOINCS, lab.loinc)
    return out


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
        reason = ruled_out(drug, names, lab_values, lambda name: getattr(r.vitals, name))
        if reason:
            return reason, (f"medications[{i}].name",)
    return None


def _b_medication_contraindicated(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    """Replace a past-history entry with one that rules out a prescribed drug (an allergy or a disease)."""
    out = _copy(r)
    drug = DRUG[out.medications[rng.randrange(len(out.medications))].name]
    h = PROBLEM[rng.choice(drug.history_contra)]
    item = out.history[rng.randrange(len(out.history))]
    item.name, item.code = h.name, h.code
    return out


def _c_dose(r: MedicalRecord) -> Any:
    for i, m in enumerate(r.medications):
        drug = DRUG.get(m.name)
        if drug is None:
            continue
        if m.dose_unit != drug.unit or not drug.doses[0] <= m.dose <= drug.doses[-1]:
            return (f"{m.name} {m.dose:g} {m.dose_unit} is outside {drug.doses[0]:g}-{drug.doses[-1]:g} {drug.unit}",
                    (f"medications[{i}].dose",))
    return None


def _b_dose(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    m = out.medications[rng.randrange(len(out.medications))]
    m.dose = m.dose * 10
    return out


def _c_route(r: MedicalRecord) -> Any:
    for i, m in enumerate(r.medications):
        drug = DRUG.get(m.name)
        if drug is not None and (m.route not in drug.routes or m.frequency not in drug.frequencies):
            return f"{m.name} is not given {m.route} {m.frequency}", (f"medications[{i}].route",)
    return None


def _b_route(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    m = out.medications[rng.randrange(len(out.medications))]
    m.route = rng.choice([x for x in ROUTES if x not in DRUG[m.name].routes])
    return out


def _c_encounter_dates(r: MedicalRecord) -> Any:
    admitted, discharged = r.encounter.admission_date, r.encounter.discharge_date
    if admitted > discharged:
        return f"admitted {admitted} after discharge {discharged}", ("encounter.admission_date",)
    for i, p in enumerate(r.procedures):
        if not admitted <= p.date <= discharged:
            return f"{p.name} on {p.date} falls outside the stay {admitted} to {discharged}", (f"procedures[{i}].date",)
    return None


def _b_encounter_dates(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    p = out.procedures[rng.randrange(len(out.procedures))]
    if rng.random() < 0.5:
        p.date = out.encounter.admission_date - timedelta(days=rng.randint(1, 10))
    else:
        p.date = out.encounter.discharge_date + timedelta(days=rng.randint(1, 10))
    return out


def _c_length_of_stay(r: MedicalRecord) -> Any:
    days = (r.encounter.discharge_date - r.encounter.admission_date).days
    if r.encounter.length_of_stay != days:
        return f"length of stay {r.encounter.length_of_stay} but the dates span {days} days", (
            "encounter.length_of_stay",)
    return None


def _b_length_of_stay(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    k = rng.randint(1, 3)
    stay = out.encounter.length_of_stay
    out.encounter.length_of_stay = stay - k if stay - k >= 1 and rng.random() < 0.5 else stay + k
    return out


def _c_follow_up(r: MedicalRecord) -> Any:
    if r.encounter.follow_up_date <= r.encounter.discharge_date:
        return f"follow-up {r.encounter.follow_up_date} is not after discharge", ("encounter.follow_up_date",)
    return None


def _b_follow_up(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    out.encounter.follow_up_date = out.encounter.discharge_date - timedelta(days=rng.randint(0, 5))
    return out


def _c_age_matches(r: MedicalRecord) -> Any:
    if r.patient.age != _true_age(r):
        return f"age {r.patient.age} but born {r.patient.date_of_birth} ({_true_age(r)} on admission)", (
            "patient.age",)
    return None


def _b_age_matches(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    out.patient.age += rng.choice((-3, -2, -1, 1, 2, 3, 4, 5))
    return out


def _c_procedure_indicated(r: MedicalRecord) -> Any:
    for i, p in enumerate(r.procedures):
        target = _condition_for_code(r, p.indication)
        if target is None or p.name not in target.procedures:
            return f"{p.name} is not indicated for {p.indication}", (f"procedures[{i}].name",)
    return None


def _b_procedure_indicated(r: MedicalRecord, rng: random.Random) -> MedicalRecord:
    out = _copy(r)
    p = out.procedures[rng.randrange(len(out.procedures))]
    target = _condition_for_code(out, p.indication)
    fitting = target.procedures if target is not None else ()
    p.name = rng.choice([x for x in ALL_PROCEDURES if x not in fitting])
    return out


def _c_service(r: MedicalRecord) -> Any:
    p = PROBLEM.get(r.conditions[0].name) if r.conditions else None
    if p is None or r.encounter.service not in p.services:
        return f"{r.encounter.service} does not admit {r.conditions[0].name if r.conditions else 'nothing'}", (
            "encounter.service",)
    return None


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
