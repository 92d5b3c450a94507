"""Legal rules of the courts, the appellate citation, the precedent and the procedural history; all rules in order.

Each check sits beside the breaker that makes the smallest edit it flags. The rules of the dispute itself
(contract, claims, judgment, appeal) live in `dispute_rules`; CONSTRAINTS joins the two lists.
"""

from __future__ import annotations

import random
from datetime import date

from world_model.core import Constraint, copy_record
from world_model.legal.dispute_rules import DISPUTE_RULES
from world_model.legal.law import (
    Result,
    docket_year,
    expected_reporter,
    expected_volume,
    other,
    precedent_dict,
    rule,
    system_of,
)
from world_model.legal.record import LegalRecord, Precedent
from world_model.legal.tables import (
    ALL_REPORTERS,
    APPEAL_DEADLINE_DAYS,
    APPELLATE_BY_SYSTEM,
    APPELLATE_COURTS,
    DISPOSITION_KIND,
    PRECEDENTS,
    PRECEDENT_BY_NAME,
    REPORTER_VOLUMES,
    REVIEW_WINDOW_DAYS,
    SUPREME_COURTS,
    SYSTEMS,
    TRIAL_COURTS,
)


# -- courts -----------------------------------------------------------------------------------------------------

def _c_trial_court_in_jurisdiction(r: LegalRecord) -> Result:
    court = TRIAL_COURTS.get(r.trial_court)
    if court is None:
        return f"unknown trial court {r.trial_court!r}", ("trial_court",)
    if court.system != r.jurisdiction:
        return f"{r.trial_court} is a {court.system} court, not {r.jurisdiction}", ("jurisdiction", "trial_court")
    return None


def _b_trial_court_in_jurisdiction(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = copy_record(r)
    r.jurisdiction = other(rng, SYSTEMS, r.jurisdiction)
    return r


def _c_appellate_court_above_trial(r: LegalRecord) -> Result:
    court = TRIAL_COURTS.get(r.trial_court)
    if court is not None and r.appellate_court not in court.appeals_to:
        above = " or ".join(court.appeals_to)
        return f"appeals from the {r.trial_court} go to {above}, not {r.appellate_court}", ("appellate_court",)
    known = APPELLATE_COURTS.get(r.appellate_court)
    if known is not None and known.abbreviation != r.appeal.citation.court:
        return f"{r.appellate_court} is cited as {known.abbreviation!r}", ("appeal.citation.court",)
    return None


def _b_appellate_court_above_trial(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = copy_record(r)
    court = TRIAL_COURTS[r.trial_court]
    name = rng.choice([n for n in APPELLATE_BY_SYSTEM[court.system] if n not in court.appeals_to])
    r.appellate_court, r.appeal.citation.court = name, APPELLATE_COURTS[name].abbreviation
    return r


def _c_review_in_highest_court(r: LegalRecord) -> Result:
    system = system_of(r)
    if system is not None and r.supreme_court != SUPREME_COURTS[system]:
        return f"the highest court of the {system} system is the {SUPREME_COURTS[system]}", ("supreme_court",)
    return None


def _b_review_in_highest_court(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = copy_record(r)
    r.supreme_court = other(rng, tuple(SUPREME_COURTS.values()), r.supreme_court)
    return r


# -- the appellate citation -------------------------------------------------------------------------------------

def _c_reporter_matches_court(r: LegalRecord) -> Result:
    system = system_of(r)
    if system is None:
        return None
    want = expected_reporter(system, r.dates.decided)
    if r.appeal.citation.reporter != want:
        year = r.dates.decided.year
        return f"{system} appellate decisions of {year} are reported in {want}", ("appeal.citation.reporter",)
    return None


def _b_reporter_matches_court(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = copy_record(r)
    r.appeal.citation.reporter = other(rng, ALL_REPORTERS, r.appeal.citation.reporter)
    return r


def _c_citation_year_matches_decision(r: LegalRecord) -> Result:
    if r.appeal.citation.year != r.dates.decided.year:
        return (f"opinion decided {r.dates.decided} is cited as {r.appeal.citation.year}",
                ("appeal.citation.year", "dates.decided"))
    return None


def _b_citation_year_matches_decision(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = copy_record(r)
    r.appeal.citation.year += rng.choice((-1, 1))
    return r


def _c_citation_volume_plausible(r: LegalRecord) -> Result:
    system = system_of(r)
    if system is None:
        return None
    reporter = expected_reporter(system, r.dates.decided)
    volumes, volume = REPORTER_VOLUMES[reporter], r.appeal.citation.volume
    off = abs(volume - expected_volume(reporter, r.dates.decided))
    if volume < 1 or volume > volumes.last or off > volumes.per_year + 1:
        return f"{reporter} was not at volume {volume} in {r.dates.decided.year}", ("appeal.citation.volume",)
    return None


def _b_citation_volume_plausible(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = copy_record(r)
    reporter = expected_reporter(system_of(r), r.dates.decided)
    per_year = REPORTER_VOLUMES[reporter].per_year
    r.appeal.citation.volume = round(expected_volume(reporter, r.dates.decided) + (3 + rng.random()) * per_year)
    return r


# -- the precedent ----------------------------------------------------------------------------------------------

def _c_precedent_matches_disposition(r: LegalRecord) -> Result:
    p = PRECEDENT_BY_NAME.get(r.appeal.precedent.name)
    kind = DISPOSITION_KIND.get(r.disposition)
    if p is not None and kind is not None and kind not in p.dispositions:
        return f"{p.name} sets no standard for review of a {r.disposition}", ("appeal.precedent.name",)
    return None


def _b_precedent_matches_disposition(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = copy_record(r)
    system, kind = system_of(r), DISPOSITION_KIND[r.disposition]
    options = [p for p in PRECEDENTS if p.system == system and kind not in p.dispositions]
    r.appeal.precedent = Precedent(**precedent_dict(rng.choice(options)))
    return r


def _c_precedent_binds_court(r: LegalRecord) -> Result:
    p = PRECEDENT_BY_NAME.get(r.appeal.precedent.name)
    system = system_of(r)
    if p is not None and system is not None and p.system != system:
        return f"{p.name} is {p.system} authority, not binding in the {system} system", ("appeal.precedent.name",)
    return None


def _b_precedent_binds_court(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = copy_record(r)
    system, kind = system_of(r), DISPOSITION_KIND[r.disposition]
    options = [p for p in PRECEDENTS if p.system != system and kind in p.dispositions]
    r.appeal.precedent = Precedent(**precedent_dict(rng.choice(options)))
    return r


_PRECEDENT_CITE_FIELDS = ("appeal.precedent.volume", "appeal.precedent.reporter", "appeal.precedent.page",
                          "appeal.precedent.parenthetical")


def _c_precedent_citation_accurate(r: LegalRecord) -> Result:
    cited = r.appeal.precedent
    p = PRECEDENT_BY_NAME.get(cited.name)
    if p is None:
        return f"{cited.name!r} is not a known precedent", ("appeal.precedent.name",)
    if (cited.volume, cited.reporter, cited.page, cited.parenthetical) != (p.volume, p.reporter, p.page, p.parenthetical):
        cite = f"{p.volume} {p.reporter} {p.page} ({p.parenthetical})"
        return f"{p.name} is reported at {cite}", _PRECEDENT_CITE_FIELDS
    return None


def _b_precedent_citation_accurate(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = copy_record(r)
    page = r.appeal.precedent.page
    r.appeal.precedent.page = page + rng.randint(1, 40) * (1 if page < 60 or rng.random() < 0.5 else -1)
    return r


# -- procedural history -----------------------------------------------------------------------------------------

_ORDER = ("filed", "hearing", "judgment", "notice_of_appeal", "argued", "decided", "petition")


def _c_procedural_dates_ordered(r: LegalRecord) -> Result:
    d = r.dates
    if d.filed < d.hearing < d.judgment < d.notice_of_appeal < d.argued < d.decided < d.petition:
        return None
    seq = (d.filed, d.hearing, d.judgment, d.notice_of_appeal, d.argued, d.decided, d.petition)
    for i in range(len(seq) - 1):
        if seq[i] >= seq[i + 1]:
            a, b = _ORDER[i], _ORDER[i + 1]
            return f"{a} ({seq[i]}) is not before {b} ({seq[i + 1]})", (f"dates.{a}", f"dates.{b}")
    return None


def _b_procedural_dates_ordered(r: LegalRecord, rng: random.Random) -> LegalRecord:
    """Swap two adjacent steps, preferring a pair whose swap breaks no other rule."""
    candidates = []
    for a, b in zip(_ORDER, _ORDER[1:]):
        trial = copy_record(r)
        first, second = getattr(trial.dates, a), getattr(trial.dates, b)
        setattr(trial.dates, a, second)
        setattr(trial.dates, b, first)
        candidates.append((_broken_ids(trial) == {"legal.procedural_dates_ordered"}, trial))
    clean = [t for ok, t in candidates if ok]
    return rng.choice(clean or [t for _, t in candidates])


def _c_notice_of_appeal_timely(r: LegalRecord) -> Result:
    system = system_of(r)
    if system is None:
        return None
    days = (r.dates.notice_of_appeal - r.dates.judgment).days
    if days > APPEAL_DEADLINE_DAYS[system]:
        return (f"notice of appeal {days} days after judgment; the {system} limit is {APPEAL_DEADLINE_DAYS[system]}",
                ("dates.notice_of_appeal", "dates.judgment"))
    return None


def _b_notice_of_appeal_timely(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = copy_record(r)
    late = APPEAL_DEADLINE_DAYS[system_of(r)] + rng.randint(1, 20)
    r.dates.notice_of_appeal = date.fromordinal(r.dates.judgment.toordinal() + late)
    return r


def _c_review_petition_timely(r: LegalRecord) -> Result:
    system = system_of(r)
    if system is None:
        return None
    days = (r.dates.petition - r.dates.decided).days
    first, last = REVIEW_WINDOW_DAYS[system]
    if days > last or (days < first and r.dates.petition > r.dates.decided):
        return (f"petition for review {days} days after decision; the {system} window is days {first} to {last}",
                ("dates.petition", "dates.decided"))
    return None


def _b_review_petition_timely(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = copy_record(r)
    late = REVIEW_WINDOW_DAYS[system_of(r)][1] + rng.randint(1, 30)
    r.dates.petition = date.fromordinal(r.dates.decided.toordinal() + late)
    return r


def _c_breach_within_contract_term(r: LegalRecord) -> Result:
    k = r.contract
    if not k.effective_date <= r.dates.breach <= k.expiration_date:
        return (f"breach on {r.dates.breach} falls outside the term {k.effective_date} to {k.expiration_date}",
                ("dates.breach", "contract.effective_date", "contract.expiration_date"))
    return None


def _b_breach_within_contract_term(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = copy_record(r)
    r.dates.breach = date.fromordinal(r.contract.effective_date.toordinal() - rng.randint(1, 90))
    return r


def _c_suit_filed_after_breach(r: LegalRecord) -> Result:
    if r.dates.filed <= r.dates.breach:
        return f"complaint filed {r.dates.filed}, before the breach on {r.dates.breach}", ("dates.filed", "dates.breach")
    return None


def _b_suit_filed_after_breach(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = copy_record(r)
    r.dates.breach = date.fromordinal(r.dates.filed.toordinal() + rng.randint(1, 30))
    return r


def _c_docket_number_matches_filing_year(r: LegalRecord) -> Result:
    if r.trial_court not in TRIAL_COURTS:
        return None
    year = docket_year(r.docket_number, r.trial_court)
    if year != r.dates.filed.year:
        return f"case number {r.docket_number} does not carry the filing year {r.dates.filed.year}", ("docket_number",)
    return None


def _b_docket_number_matches_filing_year(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = copy_record(r)
    start, end = TRIAL_COURTS[r.trial_court].year_slice
    year = r.dates.filed.year + rng.choice((-1, 1))
    digits = f"{year % 100:02d}" if end - start == 2 else str(year)
    r.docket_number = r.docket_number[:start] + digits + r.docket_number[end:]
    return r


COURT_RULES: tuple[Constraint, ...] = (
    rule("trial_court_in_jurisdiction", "the trial court belongs to the stated court system",
         ("jurisdiction", "trial_court"), _c_trial_court_in_jurisdiction, _b_trial_court_in_jurisdiction),
    rule("appellate_court_above_trial", "the appeal lies to the court directly above the trial court, cited as such",
         ("trial_court", "appellate_court", "citation"), _c_appellate_court_above_trial,
         _b_appellate_court_above_trial),
    rule("review_in_highest_court", "review is sought in the highest court of the system",
         ("appellate_court", "supreme_court"), _c_review_in_highest_court, _b_review_in_highest_court),
    rule("reporter_matches_court", "the opinion is reported where that court's decisions of that date are",
         ("appellate_court", "decided_date", "citation"), _c_reporter_matches_court, _b_reporter_matches_court),
    rule("citation_year_matches_decision", "the citation's year is the year of decision",
         ("decided_date", "citation"), _c_citation_year_matches_decision, _b_citation_year_matches_decision),
    rule("citation_volume_plausible", "the reporter volume fits the date of decision",
         ("decided_date", "citation"), _c_citation_volume_plausible, _b_citation_volume_plausible),
    rule("precedent_matches_disposition", "the cited precedent governs review of that disposition",
         ("disposition_kind", "precedent"), _c_precedent_matches_disposition, _b_precedent_matches_disposition),
    rule("precedent_binds_court", "the cited precedent is binding authority in the system",
         ("jurisdiction", "precedent"), _c_precedent_binds_court, _b_precedent_binds_court),
    rule("precedent_citation_accurate", "the precedent is cited at its real volume, reporter and page",
         ("precedent",), _c_precedent_citation_accurate, _b_precedent_citation_accurate),
    rule("procedural_dates_ordered", "filing < hearing < judgment < notice of appeal < argument < decision < petition",
         ("filed_date", "hearing_date", "judgment_date", "notice_date", "argued_date", "decided_date", "petition_date"),
         _c_procedural_dates_ordered, _b_procedural_dates_ordered),
    rule("notice_of_appeal_timely", "the notice of appeal meets the system's deadline",
         ("judgment_date", "notice_date"), _c_notice_of_appeal_timely, _b_notice_of_appeal_timely),
    rule("review_petition_timely", "the petition for review meets the system's deadline",
         ("decided_date", "petition_date"), _c_review_petition_timely, _b_review_petition_timely),
    rule("breach_within_contract_term", "the alleged breach happens while the contract is in force",
         ("breach_date", "effective_date", "expiration_date"), _c_breach_within_contract_term,
         _b_breach_within_contract_term),
    rule("suit_filed_after_breach", "the complaint follows the breach it alleges",
         ("breach_date", "filed_date"), _c_suit_filed_after_breach, _b_suit_filed_after_breach),
    rule("docket_number_matches_filing_year", "the case number carries the filing year in the court's format",
         ("docket_number", "filed_date"), _c_docket_number_matches_filing_year, _b_docket_number_matches_filing_year),
)

# Every legal rule: the court and procedure rules first, then the dispute's; ids are listed in this order.
CONSTRAINTS: tuple[Constraint, ...] = COURT_RULES + DISPUTE_RULES


def _broken_ids(record: LegalRecord) -> set[str]:
    """Ids of every rule the record breaks: the date-order breaker keeps swaps that break only its own rule."""
    return {c.id for c in CONSTRAINTS if c.test(record) is not None}
