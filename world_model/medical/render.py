"""Renderers: random draws are fixed in number and order, never steered by field values."""

from __future__ import annotations

import random
from datetime import date
from typing import Callable

from world_model.core import TextBuilder
from world_model.medical.clinical import LAB_DECIMALS
from world_model.medical.record import MedicalRecord


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
