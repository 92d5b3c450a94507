"""The case record: pydantic models the graph fills and the checks read."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel


class Party(BaseModel):
    name: str
    kind: Literal["individual", "corporation", "municipality"]


class Claim(BaseModel):
    title: str
    statute: str
    finding: Literal["sustained", "rejected", "dismissed"]
    damages: float


class Citation(BaseModel):
    volume: int
    reporter: str
    page: int
    court: str
    year: int


class Precedent(BaseModel):
    name: str
    volume: int
    reporter: str
    page: int
    parenthetical: str


class Appeal(BaseModel):
    appellant: str
    standard_of_review: str
    disposition: Literal["Affirmed", "Reversed and remanded"]
    prevailing_party: str
    citation: Citation
    precedent: Precedent


class Dates(BaseModel):
    breach: date
    filed: date
    hearing: date
    judgment: date
    notice_of_appeal: date
    argued: date
    decided: date
    petition: date


class Obligation(BaseModel):
    obligor: str
    duty: str
    due_date: date


class Contract(BaseModel):
    title: str
    party_a: str
    role_a: str
    party_b: str
    role_b: str
    effective_date: date
    term_months: int
    expiration_date: date
    total_value: float
    value_words: str
    installments: int
    installment_amount: float
    governing_law: str
    obligations: list[Obligation]


class LegalRecord(BaseModel):
    """A civil case from complaint to petition for review, and the contract the parties fought over."""

    case_name: str
    docket_number: str
    jurisdiction: str
    case_type: str
    trial_court: str
    appellate_court: str
    supreme_court: str
    plaintiff: Party
    defendant: Party
    claims: list[Claim]
    disposition: str
    prevailing_party: Literal["Plaintiff", "Defendant"]
    judgment_amount: float
    remedy: str
    dates: Dates
    appeal: Appeal
    contract: Contract
