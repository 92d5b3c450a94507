"""Medical domain: real code systems, clinically sensible mechanisms, every rule breakable, bad input refused."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pydantic
import pytest
import simple_icd_10_cm as icd
from stdnum import luhn

import world_model
from world_model import field_value
from world_model.medical import DRUG, EGFR, LAB, PROBLEM, MedicalRecord, ckd_epi_2021

DOM = world_model.domain("medical")
RECORDS = [DOM.sample(seed) for seed in range(600)]


def _with(predicate):
    """The first sampled record that satisfies a predicate (sampling is deterministic, so always the same one)."""
    found = next((r for r in RECORDS if predicate(r)), None)
    return found or next(r for r in map(DOM.sample, range(len(RECORDS), 20_000)) if predicate(r))


def _has(r: MedicalRecord, code: str) -> bool:
    return any(c.code == code for c in r.conditions)


def _lab(r: MedicalRecord, name: str):
    return next(lab for lab in r.labs if lab.name == name)


def _med_for(r: MedicalRecord, code: str):
    return next(m for m in r.medications if m.indication == code)


# -- real code systems, checked by independent libraries ---------------------------------------


@pytest.mark.parametrize("name", sorted(PROBLEM))
def test_every_table_code_is_a_billable_icd10cm_code_with_its_official_title(name):
    code = PROBLEM[name].code
    assert icd.is_valid_item(code), code
    assert icd.is_leaf(code), f"{code} is a category, not a billable code"
    official = icd.get_description(code)
    if name.startswith("Allergy to"):
        assert official.startswith("Allergy status to"), (code, official)
    else:
        assert official == name, (code, official)


def test_sampled_codes_are_billable_and_the_table_is_broad():
    codes = {c.code for r in RECORDS for c in r.conditions} | {h.code for r in RECORDS for h in r.history}
    assert all(icd.is_valid_item(c) and icd.is_leaf(c) for c in codes)
    active = {c.code for r in RECORDS for c in r.conditions}
    assert len(active) >= 30, sorted(active)


@pytest.mark.parametrize("name", sorted(LAB))
def test_loinc_codes_carry_a_valid_mod10_check_digit(name):
    """LOINC's check digit is the Luhn mod-10 digit; stdnum verifies it independently of our tables."""
    body, check = LAB[name].loinc.split("-")
    assert body.isdigit() and check.isdigit() and len(check) == 1
    assert luhn.is_valid(body + check), LAB[name].loinc


# -- tables are coherent enough for every rule to apply to every record ----------------------------


def test_drug_table_supports_every_mechanism():
    for problem in PROBLEM.values():
        assert all(d in DRUG for d in problem.drugs), problem.name
    for drug in DRUG.values():
        assert drug.indications, f"{drug.name} treats nothing"
        assert drug.history_contra, f"{drug.name} has no history entry that rules it out"
        assert drug.doses[-1] < 10 * drug.doses[0], f"{drug.name}: a tenfold dose slip must leave the range"
        assert all(c in PROBLEM for c in drug.contra), drug.name


def test_normal_labs_never_cross_a_contraindication_threshold():
    """Lab contraindications fire only through abnormal values, which only diagnoses produce."""
    for drug in DRUG.values():
        for lab, op, threshold in drug.lab_rules:
            if lab == EGFR:
                assert threshold <= 60, drug.name
                continue
            for sex, (low, high) in LAB[lab].normal.items():
                assert (low >= threshold) if op == "<" else (high <= threshold), (drug.name, lab, sex)


# -- realistic content: known clinical cases -------------------------------------------------------


def test_type_2_diabetes_raises_hba1c_and_fasting_glucose():
    r = _with(lambda r: _has(r, "E11.65"))
    hba1c, fasting = _lab(r, "Hemoglobin A1c"), _lab(r, "Glucose, fasting")
    assert hba1c.value >= 6.5 and hba1c.flag == "high" and hba1c.unit == "%"
    assert fasting.value >= 126 and fasting.flag == "high" and fasting.unit == "mg/dL"


def test_iron_deficiency_lowers_hemoglobin_ferritin_and_mcv():
    r = _with(lambda r: _has(r, "D50.0") or _has(r, "D50.9"))
    for name in ("Hemoglobin", "Ferritin", "Mean corpuscular volume"):
        lab = _lab(r, name)
        assert lab.value < LAB[name].ranges[r.patient.sex][0] and lab.flag == "low", name


def test_reference_ranges_are_sex_specific():
    woman = _with(lambda r: r.patient.sex == "female")
    man = _with(lambda r: r.patient.sex == "male")
    assert _lab(woman, "Hemoglobin").reference_range == "12.0-15.5"
    assert _lab(man, "Hemoglobin").reference_range == "13.5-17.5"
    assert _lab(woman, "Creatinine").reference_range == "0.59-1.04"
    assert _lab(man, "Creatinine").reference_range == "0.74-1.35"
    assert _lab(man, EGFR).reference_range == "≥60"


def test_egfr_is_ckd_epi_2021_and_matches_ckd_stage():
    assert round(ckd_epi_2021(1.0, 60, "female")) == 64
    assert round(ckd_epi_2021(1.0, 50, "male")) == 92
    stage4 = _with(lambda r: _has(r, "N18.4"))
    assert 15 <= _lab(stage4, EGFR).value <= 29
    assert _lab(stage4, "Creatinine").flag == "high"


def test_no_metformin_in_severe_renal_impairment():
    for r in RECORDS:
        if _lab(r, EGFR).value < 30 or _has(r, "N18.4"):
            assert all(m.name != "metformin" for m in r.medications)
    both = _with(lambda r: _has(r, "N18.4") and _has(r, "E11.65"))
    assert _med_for(both, "E11.65").name in {"insulin glargine", "linagliptin"}


def test_allergies_steer_prescribing():
    for r in RECORDS:
        if any(h.name == "Allergy to penicillin" for h in r.history):
            assert all(m.name != "piperacillin-tazobactam" for m in r.medications)


def test_infections_bring_fever_and_leukocytosis():
    r = _with(lambda r: _has(r, "J18.9"))
    assert r.vitals.temperature_c >= 38.0 and r.vitals.respiratory_rate > 20
    assert _lab(r, "Leukocytes").flag == "high" and _lab(r, "C-reactive protein").flag == "high"


def test_sex_and_age_specific_conditions_are_respected():
    for r in RECORDS:
        names = [c.name for c in r.conditions] + [h.name for h in r.history]
        for name in names:
            p = PROBLEM[name]
            assert p.sex in (None, r.patient.sex), (name, r.patient.sex)
            assert r.patient.age >= p.min_age, (name, r.patient.age)
    assert any(_has(r, "N40.1") for r in RECORDS) and any(_has(r, "N95.1") for r in RECORDS)


def test_encounter_dates_are_in_order_and_plausible():
    for r in RECORDS:
        e = r.encounter
        assert date(2018, 1, 1) <= e.admission_date < e.discharge_date < e.follow_up_date
        assert all(e.admission_date <= p.date <= e.discharge_date for p in r.procedures)
        assert 20 <= r.patient.age <= 95 and 1 <= e.length_of_stay <= 12
        assert all(c.diagnosed <= e.admission_date for c in r.conditions)


def test_vitals_and_bmi_are_plausible():
    for r in RECORDS:
        v = r.vitals
        assert 35.5 <= v.temperature_c <= 40.5 and 80 <= v.spo2 <= 100 and v.systolic_bp - v.diastolic_bp >= 25
        assert 15 <= v.bmi <= 45 and abs(v.bmi - v.weight_kg / (v.height_cm / 100) ** 2) <= 0.05


# -- every rule: a hand-made change breaks it and check names it -----------------------------------


def _set(path: str, value):
    def change(r: MedicalRecord) -> None:
        *head, last = path.split(".")
        obj = field_value(r, ".".join(head)) if head else r
        setattr(obj, last, value)
    return change


def _other_sex_history(r: MedicalRecord) -> None:
    female = r.patient.sex == "female"
    r.history[0].name = "Hydrocele, unspecified" if female else "Polycystic ovarian syndrome"
    r.history[0].code = "N43.3" if female else "E28.2"


def _swap_hemoglobin_range(r: MedicalRecord) -> None:
    _lab(r, "Hemoglobin").reference_range = "13.5-17.5" if r.patient.sex == "female" else "12.0-15.5"


def _misflag_hemoglobin(r: MedicalRecord) -> None:
    lab = _lab(r, "Hemoglobin")
    lab.flag = "high" if lab.flag != "high" else "low"


def _tenfold_dose(r: MedicalRecord) -> None:
    r.medications[0].dose *= 10


def _reverse_stay(r: MedicalRecord) -> None:
    e = r.encounter
    e.admission_date, e.discharge_date = e.discharge_date, e.admission_date


def _normal_hba1c(r: MedicalRecord) -> None:
    lab = _lab(r, "Hemoglobin A1c")
    lab.value, lab.flag = 5.1, "normal"


def _metformin_with_low_egfr(r: MedicalRecord) -> None:
    _med_for(r, "E11.65").name = "metformin"
    _lab(r, "Creatinine").value = 2.4
    _lab(r, "Creatinine").flag = "high"
    _lab(r, EGFR).value = round(ckd_epi_2021(2.4, r.patient.age, r.patient.sex))
    _lab(r, EGFR).flag = "low"


HAND_BREAKS = {
    "medical.icd_code_matches_condition": (None, _set("conditions[0].code", "J45.909")),
    "medical.condition_sex_appropriate": (None, _other_sex_history),
    "medical.condition_age_appropriate": (
        None, lambda r: setattr(r.conditions[-1], "diagnosed", r.patient.date_of_birth - timedelta(days=40))),
    "medical.diagnosis_dates_consistent": (
        None, lambda r: setattr(r.conditions[0], "diagnosed", r.encounter.discharge_date + timedelta(days=30))),
    "medical.symptom_explained_by_condition": (None, lambda r: r.symptoms.__setitem__(0, "tinnitus")),
    "medical.vitals_support_diagnosis": ("J18.9", _set("vitals.temperature_c", 36.7)),
    "medical.vital_signs_physiological": (None, _set("vitals.spo2", 104)),
    "medical.blood_pressure_systolic_above_diastolic": (
        None, lambda r: (setattr(r.vitals, "systolic_bp", 80), setattr(r.vitals, "diastolic_bp", 120))),
    "medical.bmi_matches_weight_height": (None, lambda r: setattr(r.vitals, "bmi", r.vitals.bmi + 5)),
    "medical.lab_supports_diagnosis": ("E11.65", _normal_hba1c),
    "medical.lab_flag_matches_value": (None, _misflag_hemoglobin),
    "medical.lab_reference_range_standard": (None, _swap_hemoglobin_range),
    "medical.lab_unit_standard": (None, lambda r: setattr(_lab(r, "Hemoglobin"), "unit", "g/L")),
    "medical.lab_loinc_matches_name": (None, lambda r: setattr(_lab(r, "Hemoglobin"), "loinc", "2345-7")),
    "medical.egfr_matches_creatinine": (None, lambda r: setattr(_lab(r, EGFR), "value", _lab(r, EGFR).value + 20)),
    "medical.medication_indicated": (None, _set("medications[0].indication", "Z88.0")),
    "medical.medication_not_contraindicated": ("E11.65", _metformin_with_low_egfr),
    "medical.medication_dose_in_range": (None, _tenfold_dose),
    "medical.medication_route_valid": (None, _set("medications[0].route", "rectal")),
    "medical.encounter_dates_ordered": (None, _reverse_stay),
    "medical.length_of_stay_matches_dates": (
        None, lambda r: setattr(r.encounter, "length_of_stay", r.encounter.length_of_stay + 1)),
    "medical.follow_up_after_discharge": (
        None, lambda r: setattr(r.encounter, "follow_up_date", r.encounter.admission_date)),
    "medical.age_matches_birth_date": (None, lambda r: setattr(r.patient, "age", r.patient.age + 10)),
    "medical.procedure_indicated": (None, _set("procedures[0].name", "Carpal tunnel release")),
    "medical.service_matches_primary_diagnosis": (None, _set("encounter.service", "Obstetrics")),
}


def test_hand_breaks_cover_every_constraint():
    assert set(HAND_BREAKS) == {c.id for c in DOM.constraints}
    assert len(DOM.constraints) >= 20


@pytest.mark.parametrize("cid", sorted(HAND_BREAKS))
def test_a_hand_made_change_breaks_the_rule_and_check_names_it(cid):
    needs, change = HAND_BREAKS[cid]
    record = _with(lambda r: needs is None or _has(r, needs))
    assert DOM.check(record) == []
    broken = record.model_copy(deep=True)
    change(broken)
    assert cid in {v.constraint_id for v in DOM.check(broken)}


@pytest.mark.parametrize("cid", sorted(HAND_BREAKS))
def test_violate_breaks_exactly_the_named_rule(cid):
    for seed, record in enumerate(RECORDS[:40]):
        before = record.model_dump_json()
        broken, got = DOM.violate(record, seed, constraint=cid)
        assert got == cid
        assert {v.constraint_id for v in DOM.check(broken)} == {cid}, seed
        assert record.model_dump_json() == before, "violate must not mutate its input"
        assert len(broken.labs) == len(record.labs) and len(broken.medications) == len(record.medications)


def test_violations_name_the_offending_fields():
    record = _with(lambda r: _has(r, "E11.65"))
    broken = record.model_copy(deep=True)
    _normal_hba1c(broken)
    (violation,) = DOM.check(broken)
    index = next(i for i, lab in enumerate(broken.labs) if lab.name == "Hemoglobin A1c")
    assert violation.fields == (f"labs[{index}].value",)
    assert "Hemoglobin A1c" in violation.message


# -- rendering --------------------------------------------------------------------------------------


def test_every_style_states_every_rule_field_and_two_entities():
    record = RECORDS[0]
    for style in DOM.styles:
        doc = DOM.render(record, 0, style=style)
        keys = {k.split("#")[0] for k in doc.spans}
        for i in range(len(record.labs)):
            assert {f"labs[{i}].value", f"labs[{i}].unit", f"labs[{i}].flag", f"labs[{i}].loinc"} <= keys
        for path in ("encounter.admission_date", "encounter.discharge_date", "encounter.length_of_stay",
                     "encounter.follow_up_date", "patient.age", "patient.date_of_birth", "vitals.bmi"):
            assert path in keys, (style, path)
        assert sum(e in keys for e in DOM.entities) >= 2
        for key, (start, end) in doc.spans.items():
            value = field_value(record, key)
            if isinstance(value, str):
                assert doc.text[start:end] == value


# -- bad input --------------------------------------------------------------------------------------


def _data() -> dict:
    return json.loads(RECORDS[0].model_dump_json())


@pytest.mark.parametrize("path, bad, field", [
    (("labs", 0, "value"), "very high", "labs.0.value"),
    (("patient", "sex"), "unknown", "patient.sex"),
    (("encounter", "admission_date"), "2023-02-30", "encounter.admission_date"),
    (("labs", 0, "flag"), "critical", "labs.0.flag"),
])
def test_malformed_record_is_refused_naming_the_field(path, bad, field):
    data = _data()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = bad
    with pytest.raises(pydantic.ValidationError, match=field.replace(".", r"\.")):
        MedicalRecord.model_validate(data)


def test_missing_and_unknown_fields_are_refused():
    data = _data()
    del data["vitals"]["bmi"]
    with pytest.raises(pydantic.ValidationError, match=r"vitals\.bmi"):
        MedicalRecord.model_validate(data)
    data = _data()
    data["patient"]["blood_type"] = "O+"
    with pytest.raises(pydantic.ValidationError, match=r"patient\.blood_type"):
        MedicalRecord.model_validate(data)


def test_check_refuses_a_foreign_record():
    class Other(pydantic.BaseModel):
        x: int = 1

    with pytest.raises(TypeError, match="medical"):
        DOM.check(Other())


def test_unknown_names_are_reported_not_crashed_on():
    broken = RECORDS[0].model_copy(deep=True)
    broken.conditions[0].name = "Dragon pox"
    broken.medications[0].name = "unobtainium"
    broken.labs[0].name = "Serum mana"
    ids = {v.constraint_id for v in DOM.check(broken)}
    assert {"medical.icd_code_matches_condition", "medical.medication_indicated",
            "medical.lab_reference_range_standard"} <= ids
