"""Legal domain: a case in a real court hierarchy, its history, appeal and precedent, and the contract in dispute."""

from __future__ import annotations

from world_model.core import Domain
from world_model.registry import register
from world_model.legal.tables import (
    ALL_DUTIES,
    ALL_REPORTERS,
    ALL_STANDARDS,
    APPEAL_DEADLINE_DAYS,
    APPELLATE_BY_SYSTEM,
    APPELLATE_COURTS,
    APPELLATE_REPORTERS,
    CASE_TYPES,
    CASE_TYPES_BY_COURT,
    CLAIM_REMEDIES,
    CLAIM_STATUTES,
    COMPANY_STEMS,
    COMPANY_SUFFIXES,
    CONTRACTS,
    CONTRACT_CLAIM,
    DEFENSE_REMEDIES,
    DEFENSE_REMEDY_SET,
    DISPOSITIONS,
    DISPOSITION_KIND,
    DISPOSITION_KINDS,
    DISPOSITION_WEIGHTS,
    DUTY_ROLE,
    FIRST_NAMES,
    INDUSTRY,
    LAST_NAMES,
    MIDDLE_INITIALS,
    MUNICIPALITIES,
    PRECEDENTS,
    PRECEDENTS_FOR,
    PRECEDENT_BY_NAME,
    REPORTER_VOLUMES,
    REVIEW_WINDOW_DAYS,
    STANDARDS_OF_REVIEW,
    STATES,
    STATUTE_SYSTEM,
    SUPREME_COURTS,
    SYSTEMS,
    SYSTEM_WEIGHTS,
    TRIAL_COURTS,
    TRIAL_COURTS_BY_SYSTEM,
)
from world_model.legal.record import Appeal, Citation, Claim, Contract, Dates, LegalRecord, Obligation, Party, Precedent
from world_model.legal.law import Result, add_months, amount_in_words, citation_name, expected_reporter, expected_volume
from world_model.legal.graph import VARIABLES, V
from world_model.legal.constraints import CONSTRAINTS
from world_model.legal.render import STYLES

__all__ = [
    "ALL_DUTIES",
    "ALL_REPORTERS",
    "ALL_STANDARDS",
    "APPEAL_DEADLINE_DAYS",
    "APPELLATE_BY_SYSTEM",
    "APPELLATE_COURTS",
    "APPELLATE_REPORTERS",
    "Appeal",
    "CASE_TYPES",
    "CASE_TYPES_BY_COURT",
    "CLAIM_REMEDIES",
    "CLAIM_STATUTES",
    "COMPANY_STEMS",
    "COMPANY_SUFFIXES",
    "CONSTRAINTS",
    "CONTRACTS",
    "CONTRACT_CLAIM",
    "Citation",
    "Claim",
    "Contract",
    "DEFENSE_REMEDIES",
    "DEFENSE_REMEDY_SET",
    "DISPOSITIONS",
    "DISPOSITION_KIND",
    "DISPOSITION_KINDS",
    "DISPOSITION_WEIGHTS",
    "DUTY_ROLE",
    "Dates",
    "FIRST_NAMES",
    "INDUSTRY",
    "LAST_NAMES",
    "LegalDomain",
    "LegalRecord",
    "MIDDLE_INITIALS",
    "MUNICIPALITIES",
    "Obligation",
    "PRECEDENTS",
    "PRECEDENTS_FOR",
    "PRECEDENT_BY_NAME",
    "Party",
    "Precedent",
    "REPORTER_VOLUMES",
    "REVIEW_WINDOW_DAYS",
    "Result",
    "STANDARDS_OF_REVIEW",
    "STATES",
    "STATUTE_SYSTEM",
    "STYLES",
    "SUPREME_COURTS",
    "SYSTEMS",
    "SYSTEM_WEIGHTS",
    "TRIAL_COURTS",
    "TRIAL_COURTS_BY_SYSTEM",
    "V",
    "VARIABLES",
    "add_months",
    "amount_in_words",
    "citation_name",
    "expected_reporter",
    "expected_volume",
]


@register
class LegalDomain(Domain):
    """Civil litigation over a contract, from filing through appeal, in real US court hierarchies."""

    name = "legal"
    Record = LegalRecord
    variables = VARIABLES
    constraints = CONSTRAINTS
    styles = STYLES
    entities = ("plaintiff.name", "defendant.name", "contract.party_a", "contract.party_b",
                "appeal.appellant", "appeal.prevailing_party")
