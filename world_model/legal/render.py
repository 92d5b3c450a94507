"""Renderers: random draws never depend on field values."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from world_model.core import TextBuilder
from world_model.legal.record import LegalRecord


_MONTHS = ("", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_BLUEBOOK_MONTHS = ("", "Jan.", "Feb.", "Mar.", "Apr.", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.")


def _long(d: date) -> str:
    return f"{_MONTHS[d.month]} {d.day}, {d.year}"


def _short(d: date) -> str:
    return f"{_BLUEBOOK_MONTHS[d.month]} {d.day}, {d.year}"


_TWO_DIGITS = tuple(f"{n:02d}" for n in range(32))


def _slash(d: date) -> str:
    return f"{_TWO_DIGITS[d.month]}/{_TWO_DIGITS[d.day]}/{d.year}"


def _money(x: float) -> str:
    return f"${x:,.2f}"


def _citation(r: LegalRecord, b: TextBuilder) -> None:
    c = r.appeal.citation
    b.value("appeal.citation.volume", str(c.volume))
    b.text(" ")
    b.value("appeal.citation.reporter", c.reporter)
    b.text(" ")
    b.value("appeal.citation.page", str(c.page))
    b.text(" (")
    b.value("appeal.citation.court", c.court)
    b.text(" ")
    b.value("appeal.citation.year", str(c.year))
    b.text(")")


def _precedent(r: LegalRecord, b: TextBuilder) -> None:
    p = r.appeal.precedent
    b.value("appeal.precedent.name", p.name)
    b.text(", ")
    b.value("appeal.precedent.volume", str(p.volume))
    b.text(" ")
    b.value("appeal.precedent.reporter", p.reporter)
    b.text(" ")
    b.value("appeal.precedent.page", str(p.page))
    b.text(" (")
    b.value("appeal.precedent.parenthetical", p.parenthetical)
    b.text(")")


def _claim_paths(i: int) -> tuple[str, ...]:
    return f"({i + 1}) ", f"claims[{i}].title", f"claims[{i}].statute", f"claims[{i}].finding", f"claims[{i}].damages"


def _obligation_paths(i: int) -> tuple[str, ...]:
    return f"contract.obligations[{i}].obligor", f"contract.obligations[{i}].duty", f"contract.obligations[{i}].due_date"


_CLAIM_PATHS = tuple(_claim_paths(i) for i in range(4))
_OBLIGATION_PATHS = tuple(_obligation_paths(i) for i in range(4))


def _claims(r: LegalRecord, b: TextBuilder, sep: str, between: str) -> None:
    t, v = b.text, b.value
    for i, c in enumerate(r.claims):
        number, title, statute, finding, damages = _CLAIM_PATHS[i] if i < 4 else _claim_paths(i)
        t(between + number if i else number)
        v(title, c.title)
        t(", ")
        v(statute, c.statute)
        t(sep)
        v(finding, c.finding)
        t(", damages ")
        v(damages, f"${c.damages:,.2f}")


def _obligations(r: LegalRecord, b: TextBuilder, lead: tuple[str, str], verb: str, by: str, fmt: Any) -> None:
    t, v = b.text, b.value
    for i, ob in enumerate(r.contract.obligations):
        obligor, duty, due = _OBLIGATION_PATHS[i] if i < 4 else _obligation_paths(i)
        t(lead[min(i, 1)])
        v(obligor, ob.obligor)
        t(verb)
        v(duty, ob.duty)
        t(by)
        v(due, fmt(ob.due_date))


def _price(r: LegalRecord, b: TextBuilder) -> None:
    k = r.contract
    b.value("contract.value_words", k.value_words)
    b.text(" (")
    b.value("contract.total_value", _money(k.total_value))
    b.text("), payable in ")
    b.value("contract.installments", str(k.installments))
    b.text(" equal installments of ")
    b.value("contract.installment_amount", _money(k.installment_amount))


def _judgment_excerpt(r: LegalRecord, rng: random.Random, b: TextBuilder) -> None:
    """An appellate opinion's head and background, citing the controlling precedent."""
    t, v, d, a, k = b.text, b.value, r.dates, r.appeal, r.contract
    fmt = _short if rng.random() < 0.5 else _long
    opening = rng.choice(("This appeal arises from ", "The appeal before us arises from "))
    v("case_name", r.case_name)
    t(", ")
    _citation(r, b)
    t("\n")
    v("appellate_court", r.appellate_court)
    t(". Argued ")
    v("dates.argued", fmt(d.argued))
    t("; decided ")
    v("dates.decided", fmt(d.decided))
    t(".\n\n")
    t(opening)
    t("the ")
    v("trial_court", r.trial_court)
    t(" (")
    v("jurisdiction", r.jurisdiction)
    t(" system), No. ")
    v("docket_number", r.docket_number)
    t(" (nature of suit: ")
    v("case_type", r.case_type)
    t("). ")
    v("plaintiff.name", r.plaintiff.name)
    t(" filed suit on ")
    v("dates.filed", fmt(d.filed))
    t(" against ")
    v("defendant.name", r.defendant.name)
    t(", alleging breach on ")
    v("dates.breach", fmt(d.breach))
    t(" of the ")
    v("contract.title", k.title)
    t(". Claims: ")
    _claims(r, b, " \u2014 ", "; ")
    t(". The case was resolved by ")
    v("disposition", r.disposition)
    t(" (heard ")
    v("dates.hearing", fmt(d.hearing))
    t("); judgment was entered on ")
    v("dates.judgment", fmt(d.judgment))
    t(" for ")
    v("prevailing_party", r.prevailing_party)
    t(", awarding ")
    v("judgment_amount", _money(r.judgment_amount))
    t(" (")
    v("remedy", r.remedy)
    t("). ")
    v("appeal.appellant", a.appellant)
    t(" noticed this appeal on ")
    v("dates.notice_of_appeal", fmt(d.notice_of_appeal))
    t(".\n\nThe agreement, effective ")
    v("contract.effective_date", fmt(k.effective_date))
    t(", bound ")
    v("contract.party_a", k.party_a)
    t(" as ")
    v("contract.role_a", k.role_a)
    t(" and ")
    v("contract.party_b", k.party_b)
    t(" as ")
    v("contract.role_b", k.role_b)
    t(" for ")
    v("contract.term_months", str(k.term_months))
    t(" months, to ")
    v("contract.expiration_date", fmt(k.expiration_date))
    t(", under ")
    v("contract.governing_law", k.governing_law)
    t(" law, at ")
    _price(r, b)
    t(".")
    _obligations(r, b, (" The ", "; the "), " was to ", " by ", fmt)
    t(".\n\nThe standard of review is ")
    v("appeal.standard_of_review", a.standard_of_review)
    t(". See ")
    _precedent(r, b)
    t(". ")
    v("appeal.disposition", a.disposition)
    t(", leaving ")
    v("appeal.prevailing_party", a.prevailing_party)
    t(" the prevailing party. Petition for review to the ")
    v("supreme_court", r.supreme_court)
    t(" filed ")
    v("dates.petition", fmt(d.petition))
    t(".")


def _contract_clause(r: LegalRecord, rng: random.Random, b: TextBuilder) -> None:
    """The contract's operative clauses, annotated with the litigation it produced."""
    t, v, d, a, k = b.text, b.value, r.dates, r.appeal, r.contract
    fmt = _long if rng.random() < 0.5 else _short
    heading = rng.choice(("Litigation history: ", "Annotation \u2014 litigation: "))
    v("contract.title", k.title)
    t(" \u00a7\u00a7 1\u20134 (excerpt). Effective ")
    v("contract.effective_date", fmt(k.effective_date))
    t(", between ")
    v("contract.party_a", k.party_a)
    t(" (the \u201c")
    v("contract.role_a", k.role_a)
    t("\u201d) and ")
    v("contract.party_b", k.party_b)
    t(" (the \u201c")
    v("contract.role_b", k.role_b)
    t("\u201d).\n1. Term: ")
    v("contract.term_months", str(k.term_months))
    t(" months, expiring ")
    v("contract.expiration_date", fmt(k.expiration_date))
    t(".\n2. Price: ")
    _price(r, b)
    t(".\n3. Covenants:")
    _obligations(r, b, (" (a) The ", "; (b) the "), " shall ", " no later than ", fmt)
    t(".\n4. Governing law: the laws of the State of ")
    v("contract.governing_law", k.governing_law)
    t(".\n\n")
    t(heading)
    v("case_name", r.case_name)
    t(", No. ")
    v("docket_number", r.docket_number)
    t(" (")
    v("trial_court", r.trial_court)
    t("; ")
    v("jurisdiction", r.jurisdiction)
    t("), ")
    v("case_type", r.case_type)
    t(", brought by ")
    v("plaintiff.name", r.plaintiff.name)
    t(" against ")
    v("defendant.name", r.defendant.name)
    t(", filed ")
    v("dates.filed", fmt(d.filed))
    t(" over a breach on ")
    v("dates.breach", fmt(d.breach))
    t(". ")
    _claims(r, b, ": ", "; ")
    t(". Resolved by ")
    v("disposition", r.disposition)
    t(", heard ")
    v("dates.hearing", fmt(d.hearing))
    t("; judgment ")
    v("dates.judgment", fmt(d.judgment))
    t(" for ")
    v("prevailing_party", r.prevailing_party)
    t(", ")
    v("judgment_amount", _money(r.judgment_amount))
    t(", ")
    v("remedy", r.remedy)
    t(". Appeal by ")
    v("appeal.appellant", a.appellant)
    t(" noticed ")
    v("dates.notice_of_appeal", fmt(d.notice_of_appeal))
    t(" to the ")
    v("appellate_court", r.appellate_court)
    t(", argued ")
    v("dates.argued", fmt(d.argued))
    t("; applying the ")
    v("appeal.standard_of_review", a.standard_of_review)
    t(" standard under ")
    _precedent(r, b)
    t(", the court ruled on ")
    v("dates.decided", fmt(d.decided))
    t(": ")
    v("appeal.disposition", a.disposition)
    t(", leaving ")
    v("appeal.prevailing_party", a.prevailing_party)
    t(" the prevailing party, ")
    _citation(r, b)
    t(". Petition to the ")
    v("supreme_court", r.supreme_court)
    t(" filed ")
    v("dates.petition", fmt(d.petition))
    t(".")


def _docket_entry(r: LegalRecord, rng: random.Random, b: TextBuilder) -> None:
    """A civil docket sheet: caption, dated entries, and the contract filed as an exhibit."""
    t, v, d, a, k = b.text, b.value, r.dates, r.appeal, r.contract
    sep = rng.choice((" | ", "  "))
    t("CIVIL DOCKET FOR CASE #: ")
    v("docket_number", r.docket_number)
    t("\n")
    v("case_name", r.case_name)
    t("\nCourt: ")
    v("trial_court", r.trial_court)
    t(" (")
    v("jurisdiction", r.jurisdiction)
    t(")\nNature of suit: ")
    v("case_type", r.case_type)
    t("\nPlaintiff: ")
    v("plaintiff.name", r.plaintiff.name)
    t("\nDefendant: ")
    v("defendant.name", r.defendant.name)
    t("\n\n")
    v("dates.filed", _slash(d.filed))
    t(sep + "COMPLAINT alleging breach on ")
    v("dates.breach", _slash(d.breach))
    t(". ")
    _claims(r, b, ". Finding: ", "; ")
    t(".\n")
    v("dates.hearing", _slash(d.hearing))
    t(sep + "HEARING held; case resolved by ")
    v("disposition", r.disposition)
    t(".\n")
    v("dates.judgment", _slash(d.judgment))
    t(sep + "JUDGMENT for ")
    v("prevailing_party", r.prevailing_party)
    t(": ")
    v("judgment_amount", _money(r.judgment_amount))
    t("; ")
    v("remedy", r.remedy)
    t(".\n")
    v("dates.notice_of_appeal", _slash(d.notice_of_appeal))
    t(sep + "NOTICE OF APPEAL by ")
    v("appeal.appellant", a.appellant)
    t(" to the ")
    v("appellate_court", r.appellate_court)
    t(".\n")
    v("dates.argued", _slash(d.argued))
    t(sep + "ARGUED; standard: ")
    v("appeal.standard_of_review", a.standard_of_review)
    t(", citing ")
    _precedent(r, b)
    t(".\n")
    v("dates.decided", _slash(d.decided))
    t(sep + "OPINION: ")
    v("appeal.disposition", a.disposition)
    t("; judgment for ")
    v("appeal.prevailing_party", a.prevailing_party)
    t("; ")
    _citation(r, b)
    t(".\n")
    v("dates.petition", _slash(d.petition))
    t(sep + "PETITION FOR REVIEW filed in the ")
    v("supreme_court", r.supreme_court)
    t(".\n\nExhibit A: ")
    v("contract.title", k.title)
    t(" between ")
    v("contract.party_a", k.party_a)
    t(" (")
    v("contract.role_a", k.role_a)
    t(") and ")
    v("contract.party_b", k.party_b)
    t(" (")
    v("contract.role_b", k.role_b)
    t("), effective ")
    v("contract.effective_date", _slash(k.effective_date))
    t(", ")
    v("contract.term_months", str(k.term_months))
    t(" months to ")
    v("contract.expiration_date", _slash(k.expiration_date))
    t(", ")
    v("contract.governing_law", k.governing_law)
    t(" law; price ")
    _price(r, b)
    t(".")
    _obligations(r, b, (" The ", "; the "), " to ", " by ", _slash)
    t(".")


STYLES = {"judgment_excerpt": _judgment_excerpt, "contract_clause": _contract_clause, "docket_entry": _docket_entry}
