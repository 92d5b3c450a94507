"""The admission record: pydantic models the graph fills and the checks read."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict


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
