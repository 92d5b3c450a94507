"""Medical domain: an inpatient admission whose labs, vitals, drugs and dates follow from the diagnoses."""

from __future__ import annotations

from typing import Any, Mapping

from pydantic import BaseModel

from world_model.core import Domain
from world_model.registry import register
from world_model.medical.tables import (
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
    VITALS,
    VITAL_STATES,
)
from world_model.medical.clinical import (
    ACTIVE_CODES,
    ACUTE_ONSET_DAYS,
    ALL_CODES,
    ALL_PROCEDURES,
    ALL_SYMPTOMS,
    CHRONIC_HISTORY_DAYS,
    COMORBID,
    COMORBID_BY_SEX,
    COMPATIBLE,
    DRUG,
    FIRST_ADMISSION,
    FLAGS,
    HISTORY,
    HISTORY_BY_SEX,
    LAB,
    LAB_DECIMALS,
    LAST_ADMISSION,
    LOINCS,
    MAX_AGE,
    MIN_AGE,
    PRIMARY,
    PRIMARY_BY_SEX,
    PROBLEM,
    PROBLEM_DRUGS,
    RISKY,
    SEX_ONLY,
    Drug,
    LabDef,
    Problem,
    add_years,
    age_at,
    ckd_epi_2021,
    creatinine_for,
)
from world_model.medical.record import (
    Condition,
    Encounter,
    HistoryItem,
    Lab,
    MedicalRecord,
    Medication,
    Patient,
    Procedure,
    Vitals,
)
from world_model.medical.graph import VARIABLES, Values
from world_model.medical.constraints import CONSTRAINTS
from world_model.medical.render import STYLES, DateFormat

__all__ = [
    "ACTIVE_CODES",
    "ACUTE_ONSET_DAYS",
    "ALL_CODES",
    "ALL_PROCEDURES",
    "ALL_SYMPTOMS",
    "BASELINE_LABS",
    "CHRONIC_HISTORY_DAYS",
    "COMORBID",
    "COMORBID_BY_SEX",
    "COMPATIBLE",
    "CONSTRAINTS",
    "Condition",
    "DRUG",
    "DRUGS",
    "DateFormat",
    "Drug",
    "EGFR",
    "EGFR_STAGES",
    "Encounter",
    "FACILITIES",
    "FIRST_ADMISSION",
    "FIRST_NAMES",
    "FLAGS",
    "HEIGHT_CM",
    "HISTORY",
    "HISTORY_BY_SEX",
    "HistoryItem",
    "LAB",
    "LABS",
    "LAB_DECIMALS",
    "LAST_ADMISSION",
    "LAST_NAMES",
    "LOINCS",
    "Lab",
    "LabDef",
    "MAX_AGE",
    "MIN_AGE",
    "MedicalDomain",
    "MedicalRecord",
    "Medication",
    "PHYSICIAN_FIRST",
    "PRIMARY",
    "PRIMARY_BY_SEX",
    "PROBLEM",
    "PROBLEMS",
    "PROBLEM_DRUGS",
    "Patient",
    "Problem",
    "Procedure",
    "RISKY",
    "ROUTES",
    "SEX_ONLY",
    "STYLES",
    "UNRELATED_PROCEDURES",
    "UNRELATED_SERVICES",
    "UNRELATED_SYMPTOMS",
    "VARIABLES",
    "VITALS",
    "VITAL_STATES",
    "Values",
    "Vitals",
    "add_years",
    "age_at",
    "ckd_epi_2021",
    "creatinine_for",
]


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
