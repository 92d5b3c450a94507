"""Legal rules: each check sits beside the breaker that makes the smallest edit it flags."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from world_model.core import Constraint, copy_record
from world_model.legal.law import (
    _VOLUME_MODEL,
    _company,
    _docket_year,
    _person,
    _plaintiff_won,
    _precedent_dict,
    _system_of,
    _winner_loser,
    add_months,
    amount_in_words,
    citation_name,
    expected_reporter,
    expected_volume,
)
from world_model.legal.record import LegalRecord, Precedent
from world_model.legal.tables import (
    ALL_DUTIES,
    ALL_REPORTERS,
    ALL_STANDARDS,
    APPEAL_DEADLINE_DAYS,
    APPELLATE_BY_SYSTEM,
    APPELLATE_COURTS,
    CASE_TYPES,
    CLAIM_REMEDIES,
    CLAIM_STATUTES,
    CONTRACT_CLAIM,
    DEFENSE_REMEDY_SET,
    DISPOSITION_KIND,
    DUTY_ROLE,
    MUNICIPALITIES,
    PRECEDENTS,
    PRECEDENT_BY_NAME,
    REVIEW_WINDOW_DAYS,
    STANDARDS_OF_REVIEW,
    STATES,
    STATUTE_SYSTEM,
    SUPREME_COURTS,
    SYSTEMS,
    TRIAL_COURTS,
)


Result = str | tuple[str, tuple[str, ...]] | None


def _copy(record: LegalRecord) -> LegalRecord:
    return copy_record(record)


def _other(rng: random.Random, options: Any, current: Any) -> Any:
    return rng.choice([o for o in options if o != current])


# -- courts -----------------------------------------------------------------------------------------------------

def _c_trial_court_in_jurisdiction(r: LegalRecord) -> Result:
    court = TRIAL_COURTS.get(r.trial_court)
    if court is None:
        return f"unknown trial court {r.trial_court!r}", ("trial_court",)
    if court.system != r.jurisdiction:
        return f"{r.trial_court} is a {court.system} court, not {r.jurisdiction}", ("jurisdiction", "trial_court")
    return None


def _b_trial_court_in_jurisdiction(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    r.jurisdiction = _other(rng, SYSTEMS, r.jurisdiction)
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
    r = _copy(r)
    court = TRIAL_COURTS[r.trial_court]
    name = rng.choice([n for n in APPELLATE_BY_SYSTEM[court.system] if n not in court.appeals_to])
    r.appellate_court, r.appeal.citation.court = name, APPELLATE_COURTS[name].abbreviation
    return r


def _c_review_in_highest_court(r: LegalRecord) -> Result:
    system = _system_of(r)
    if system is not None and r.supreme_court != SUPREME_COURTS[system]:
        return f"the highest court of the {system} system is the {SUPREME_COURTS[system]}", ("supreme_court",)
    return None


def _b_review_in_highest_court(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    r.supreme_court = _other(rng, tuple(SUPREME_COURTS.values()), r.supreme_court)
    return r


# -- the appellate citation -------------------------------------------------------------------------------------

def _c_reporter_matches_court(r: LegalRecord) -> Result:
    system = _system_of(r)
    if system is None:
        return None
    want = expected_reporter(system, r.dates.decided)
    if r.appeal.citation.reporter != want:
        year = r.dates.decided.year
        return f"{system} appellate decisions of {year} are reported in {want}", ("appeal.citation.reporter",)
    return None


def _b_reporter_matches_court(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    r.appeal.citation.reporter = _other(rng, ALL_REPORTERS, r.appeal.citation.reporter)
    return r


def _c_citation_year_matches_decision(r: LegalRecord) -> Result:
    if r.appeal.citation.year != r.dates.decided.year:
        return (f"opinion decided {r.dates.decided} is cited as {r.appeal.citation.year}",
                ("appeal.citation.year", "dates.decided"))
    return None


def _b_citation_year_matches_decision(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    r.appeal.citation.year += rng.choice((-1, 1))
    return r


def _c_citation_volume_plausible(r: LegalRecord) -> Result:
    system = _system_of(r)
    if system is None:
        return None
    reporter = expected_reporter(system, r.dates.decided)
    _, per_year, last = _VOLUME_MODEL[reporter]
    volume = r.appeal.citation.volume
    if volume < 1 or volume > last or abs(volume - expected_volume(reporter, r.dates.decided)) > per_year + 1:
        return f"{reporter} was not at volume {volume} in {r.dates.decided.year}", ("appeal.citation.volume",)
    return None


def _b_citation_volume_plausible(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    reporter = expected_reporter(_system_of(r), r.dates.decided)
    per_year = _VOLUME_MODEL[reporter][1]
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
    r = _copy(r)
    system, kind = _system_of(r), DISPOSITION_KIND[r.disposition]
    options = [p for p in PRECEDENTS if p.system == system and kind not in p.dispositions]
    r.appeal.precedent = Precedent(**_precedent_dict(rng.choice(options)))
    return r


def _c_precedent_binds_court(r: LegalRecord) -> Result:
    p = PRECEDENT_BY_NAME.get(r.appeal.precedent.name)
    system = _system_of(r)
    if p is not None and system is not None and p.system != system:
        return f"{p.name} is {p.system} authority, not binding in the {system} system", ("appeal.precedent.name",)
    return None


def _b_precedent_binds_court(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    system, kind = _system_of(r), DISPOSITION_KIND[r.disposition]
    options = [p for p in PRECEDENTS if p.system != system and kind in p.dispositions]
    r.appeal.precedent = Precedent(**_precedent_dict(rng.choice(options)))
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
    r = _copy(r)
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
        trial = _copy(r)
        first, second = getattr(trial.dates, a), getattr(trial.dates, b)
        setattr(trial.dates, a, second)
        setattr(trial.dates, b, first)
        candidates.append((_broken_ids(trial) == {"legal.procedural_dates_ordered"}, trial))
    clean = [t for ok, t in candidates if ok]
    return rng.choice(clean or [t for _, t in candidates])


def _c_notice_of_appeal_timely(r: LegalRecord) -> Result:
    system = _system_of(r)
    if system is None:
        return None
    days = (r.dates.notice_of_appeal - r.dates.judgment).days
    if days > APPEAL_DEADLINE_DAYS[system]:
        return (f"notice of appeal {days} days after judgment; the {system} limit is {APPEAL_DEADLINE_DAYS[system]}",
                ("dates.notice_of_appeal", "dates.judgment"))
    return None


def _b_notice_of_appeal_timely(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    late = APPEAL_DEADLINE_DAYS[_system_of(r)] + rng.randint(1, 20)
    r.dates.notice_of_appeal = date.fromordinal(r.dates.judgment.toordinal() + late)
    return r


def _c_review_petition_timely(r: LegalRecord) -> Result:
    system = _system_of(r)
    if system is None:
        return None
    days = (r.dates.petition - r.dates.decided).days
    first, last = REVIEW_WINDOW_DAYS[system]
    if days > last or (days < first and r.dates.petition > r.dates.decided):
        return (f"petition for review {days} days after decision; the {system} window is days {first} to {last}",
                ("dates.petition", "dates.decided"))
    return None


def _b_review_petition_timely(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    late = REVIEW_WINDOW_DAYS[_system_of(r)][1] + rng.randint(1, 30)
    r.dates.petition = date.fromordinal(r.dates.decided.toordinal() + late)
    return r


def _c_breach_within_contract_term(r: LegalRecord) -> Result:
    k = r.contract
    if not k.effective_date <= r.dates.breach <= k.expiration_date:
        return (f"breach on {r.dates.breach} falls outside the term {k.effective_date} to {k.expiration_date}",
                ("dates.breach", "contract.effective_date", "contract.expiration_date"))
    return None


def _b_breach_within_contract_term(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    r.dates.breach = date.fromordinal(r.contract.effective_date.toordinal() - rng.randint(1, 90))
    return r


def _c_suit_filed_after_breach(r: LegalRecord) -> Result:
    if r.dates.filed <= r.dates.breach:
        return f"complaint filed {r.dates.filed}, before the breach on {r.dates.breach}", ("dates.filed", "dates.breach")
    return None


def _b_suit_filed_after_breach(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    r.dates.breach = date.fromordinal(r.dates.filed.toordinal() + rng.randint(1, 30))
    return r


def _c_docket_number_matches_filing_year(r: LegalRecord) -> Result:
    if r.trial_court not in TRIAL_COURTS:
        return None
    year = _docket_year(r.docket_number, r.trial_court)
    if year != r.dates.filed.year:
        return f"case number {r.docket_number} does not carry the filing year {r.dates.filed.year}", ("docket_number",)
    return None


def _b_docket_number_matches_filing_year(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    start, end = TRIAL_COURTS[r.trial_court].year_slice
    year = r.dates.filed.year + rng.choice((-1, 1))
    digits = f"{year % 100:02d}" if end - start == 2 else str(year)
    r.docket_number = r.docket_number[:start] + digits + r.docket_number[end:]
    return r


# -- the contract -----------------------------------------------------------------------------------------------

def _c_contract_parties_match_case(r: LegalRecord) -> Result:
    k, p, d = r.contract, r.plaintiff.name, r.defendant.name
    if (k.party_a, k.party_b) != (p, d) and (k.party_a, k.party_b) != (d, p):
        return "the contracting parties are not the litigants", ("contract.party_a", "contract.party_b")
    return None


def _b_contract_parties_match_case(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    k = r.contract
    side = rng.choice(("party_a", "party_b"))
    current = getattr(k, side)
    kind = r.plaintiff.kind if current == r.plaintiff.name else r.defendant.kind
    role = k.role_a if side == "party_a" else k.role_b
    taken = {k.party_a, k.party_b, r.plaintiff.name, r.defendant.name}
    while True:
        if kind == "individual":
            name = _person(rng)
        elif kind == "municipality":
            name = rng.choice(MUNICIPALITIES)
        else:
            name = _company(rng, k.title, role)
        if name not in taken:
            break
    setattr(k, side, name)
    return r


def _c_contract_amount_words_match(r: LegalRecord) -> Result:
    k = r.contract
    if k.value_words != amount_in_words(k.total_value):
        return (f"price in words ({k.value_words}) differs from ${k.total_value:,.2f}",
                ("contract.value_words", "contract.total_value"))
    return None


def _b_contract_amount_words_match(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    k = r.contract
    k.value_words = amount_in_words(k.total_value + rng.choice((-1, 1)) * k.installment_amount)
    return r


def _c_contract_term_matches_dates(r: LegalRecord) -> Result:
    k = r.contract
    if k.term_months < 1 or k.expiration_date != add_months(k.effective_date, k.term_months):
        return (f"a {k.term_months}-month term from {k.effective_date} does not end {k.expiration_date}",
                ("contract.term_months", "contract.expiration_date"))
    return None


def _b_contract_term_matches_dates(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    r.contract.term_months += 12 if r.contract.term_months <= 24 or rng.random() < 0.5 else -12
    return r


def _c_obligations_within_term(r: LegalRecord) -> Result:
    k = r.contract
    for i, ob in enumerate(k.obligations):
        if not k.effective_date <= ob.due_date <= k.expiration_date:
            return f"obligation {i + 1} is due {ob.due_date}, outside the term", (f"contract.obligations[{i}].due_date",)
    return None


def _b_obligations_within_term(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    ob = rng.choice(r.contract.obligations)
    ob.due_date = date.fromordinal(r.contract.expiration_date.toordinal() + rng.randint(1, 120))
    return r


def _c_obligation_owed_by_role(r: LegalRecord) -> Result:
    k = r.contract
    for i, ob in enumerate(k.obligations):
        role = DUTY_ROLE.get((k.title, ob.duty))
        if ob.obligor not in (k.role_a, k.role_b) or (role is not None and role != ob.obligor):
            return f"a {k.title} puts the duty to {ob.duty} on another role", (f"contract.obligations[{i}].obligor",)
    return None


def _b_obligation_owed_by_role(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    first, second = r.contract.obligations[0], r.contract.obligations[1]
    first.obligor, second.obligor = second.obligor, first.obligor
    return r


def _c_obligations_fit_contract(r: LegalRecord) -> Result:
    k = r.contract
    for i, ob in enumerate(k.obligations):
        if (k.title, ob.duty) not in DUTY_ROLE:
            return f"a {k.title} imposes no duty to {ob.duty}", (f"contract.obligations[{i}].duty",)
    return None


def _b_obligations_fit_contract(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    ob = rng.choice(r.contract.obligations)
    ob.duty = rng.choice([d for d in ALL_DUTIES if (r.contract.title, d) not in DUTY_ROLE])
    return r


def _c_installments_sum_to_price(r: LegalRecord) -> Result:
    k = r.contract
    if abs(k.installments * k.installment_amount - k.total_value) >= 0.005:
        return (f"{k.installments} x ${k.installment_amount:,.2f} is not the price ${k.total_value:,.2f}",
                ("contract.installment_amount", "contract.total_value"))
    return None


def _b_installments_sum_to_price(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    k = r.contract
    delta = (100 if k.installment_amount >= 2_000 else 10) * rng.randint(1, 9)
    k.installment_amount += delta if delta >= k.installment_amount or rng.random() < 0.5 else -delta
    return r


# -- claims and judgment ----------------------------------------------------------------------------------------

def _allowed_systems(r: LegalRecord) -> tuple[str | None, str]:
    return _system_of(r), r.contract.governing_law


_STATUTES_OF_CLAIM = {title: frozenset(table.values()) for title, table in CLAIM_STATUTES.items()}


def _c_claim_statute_matches_claim(r: LegalRecord) -> Result:
    for i, c in enumerate(r.claims):
        statutes = _STATUTES_OF_CLAIM.get(c.title)
        if statutes is not None and c.statute not in statutes:
            return f"a claim for {c.title.lower()} does not arise under {c.statute}", (f"claims[{i}].statute",)
    return None


def _b_claim_statute_matches_claim(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    i = rng.randrange(len(r.claims))
    claim, allowed = r.claims[i], _allowed_systems(r)
    own = CLAIM_STATUTES[claim.title].values()
    claim.statute = rng.choice(sorted(s for s, system in STATUTE_SYSTEM.items() if system in allowed and s not in own))
    return r


def _c_claims_fit_case_type(r: LegalRecord) -> Result:
    spec = CASE_TYPES.get(r.case_type)
    if spec is None:
        return f"unknown case type {r.case_type!r}", ("case_type",)
    for i, c in enumerate(r.claims):
        if c.title != CONTRACT_CLAIM and c.title not in spec["claims"]:
            return f"{c.title} is not a claim of a {r.case_type.lower()} case", (f"claims[{i}].title",)
    return None


def _b_claims_fit_case_type(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    system, law = _allowed_systems(r)
    own = CASE_TYPES[r.case_type]["claims"]
    options = sorted({(t, CLAIM_STATUTES[t].get(system) or CLAIM_STATUTES[t].get(law))
                      for spec in CASE_TYPES.values() for t in spec["claims"]
                      if t not in own and (system in CLAIM_STATUTES[t] or law in CLAIM_STATUTES[t])})
    claim = rng.choice([c for c in r.claims if c.finding != "sustained"])
    claim.title, claim.statute = rng.choice(options)
    return r


def _c_statutes_match_forum(r: LegalRecord) -> Result:
    allowed = _allowed_systems(r)
    for i, c in enumerate(r.claims):
        system = STATUTE_SYSTEM.get(c.statute)
        if system is not None and system not in allowed:
            return (f"{c.statute} is {system} law, neither the forum's nor the contract's ({r.contract.governing_law})",
                    (f"claims[{i}].statute",))
    return None


def _b_statutes_match_forum(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    allowed = _allowed_systems(r)
    i = next(i for i, c in enumerate(r.claims) if c.title == CONTRACT_CLAIM)
    state = rng.choice([s for s in STATES if s not in allowed])
    r.claims[i].statute = CLAIM_STATUTES[CONTRACT_CLAIM][state]
    return r


def _c_damages_follow_findings(r: LegalRecord) -> Result:
    for i, c in enumerate(r.claims):
        if c.damages < 0 or (c.finding != "sustained" and c.damages != 0):
            return f"claim {i + 1} was {c.finding} yet carries ${c.damages:,.2f} in damages", (f"claims[{i}].damages",)
    return None


def _b_damages_follow_findings(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    claim = rng.choice([c for c in r.claims if c.finding != "sustained"])
    claim.damages = round(r.contract.total_value * rng.uniform(0.1, 0.6), 2)
    return r


def _c_judgment_equals_damages(r: LegalRecord) -> Result:
    total = sum(c.damages for c in r.claims if c.finding == "sustained")
    if abs(total - r.judgment_amount) >= 0.005:
        return f"judgment ${r.judgment_amount:,.2f} differs from sustained damages ${total:,.2f}", ("judgment_amount",)
    return None


def _b_judgment_equals_damages(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    r.judgment_amount = round(r.judgment_amount + 1000 * rng.randint(1, 90) + rng.randint(0, 99) / 100, 2)
    return r


def _c_prevailing_party_matches_findings(r: LegalRecord) -> Result:
    want = "Plaintiff" if _plaintiff_won(r) else "Defendant"
    if r.prevailing_party != want:
        return f"judgment for {r.prevailing_party} although the findings favour the {want.lower()}", ("prevailing_party",)
    return None


def _b_prevailing_party_matches_findings(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    r.prevailing_party = "Defendant" if r.prevailing_party == "Plaintiff" else "Plaintiff"
    return r


def _c_findings_fit_disposition(r: LegalRecord) -> Result:
    dismissal = DISPOSITION_KIND.get(r.disposition) == "mtd"
    for i, c in enumerate(r.claims):
        if (c.finding != "dismissed") if dismissal else (c.finding == "dismissed"):
            return f"a claim cannot be {c.finding} on {r.disposition}", (f"claims[{i}].finding",)
    return None


def _b_findings_fit_disposition(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    claim = rng.choice([c for c in r.claims if c.finding != "sustained"])
    claim.finding = "rejected" if claim.finding == "dismissed" else "dismissed"
    return r


def _c_remedy_matches_outcome(r: LegalRecord) -> Result:
    won = [c.title for c in r.claims if c.finding == "sustained"]
    if won:
        if not any(r.remedy in CLAIM_REMEDIES.get(title, ()) for title in won):
            return f"{r.remedy!r} is not relief on the sustained claim ({', '.join(won)})", ("remedy",)
    elif r.remedy not in DEFENSE_REMEDY_SET:
        return f"{r.remedy!r} is relief for a plaintiff, but every claim failed", ("remedy",)
    return None


def _b_remedy_matches_outcome(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    side = sorted(DEFENSE_REMEDY_SET) if _plaintiff_won(r) else CLAIM_REMEDIES[rng.choice(r.claims).title]
    r.remedy = rng.choice(side)
    return r


# -- the appeal -------------------------------------------------------------------------------------------------

def _c_appellant_lost_below(r: LegalRecord) -> Result:
    winner, loser = _winner_loser(r)
    if r.appeal.appellant != loser:
        return f"{r.appeal.appellant} appeals a judgment that favoured it", ("appeal.appellant",)
    return None


def _b_appellant_lost_below(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    r.appeal.appellant = _winner_loser(r)[0]
    return r


def _c_outcome_matches_ruling(r: LegalRecord) -> Result:
    winner, loser = _winner_loser(r)
    want = winner if r.appeal.disposition == "Affirmed" else loser
    if r.appeal.prevailing_party != want:
        return f"{r.appeal.disposition} should leave judgment for {want}", ("appeal.prevailing_party", "appeal.disposition")
    return None


def _b_outcome_matches_ruling(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    p, d = r.plaintiff.name, r.defendant.name
    r.appeal.prevailing_party = d if r.appeal.prevailing_party == p else p
    return r


def _c_standard_of_review_fits(r: LegalRecord) -> Result:
    system, kind = _system_of(r), DISPOSITION_KIND.get(r.disposition)
    if system is None or kind is None:
        return None
    want = STANDARDS_OF_REVIEW[system][kind]
    if r.appeal.standard_of_review != want:
        return f"a {r.disposition} is reviewed for {want}", ("appeal.standard_of_review",)
    return None


def _b_standard_of_review_fits(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    want = STANDARDS_OF_REVIEW[_system_of(r)][DISPOSITION_KIND[r.disposition]]
    r.appeal.standard_of_review = _other(rng, ALL_STANDARDS, want)
    return r


def _c_case_name_matches_parties(r: LegalRecord) -> Result:
    p, d = r.plaintiff, r.defendant
    want = f"{citation_name(p.name, p.kind)} v. {citation_name(d.name, d.kind)}"
    if r.case_name != want:
        return f"caption should read {want!r}", ("case_name",)
    return None


def _b_case_name_matches_parties(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    first, second = r.case_name.split(" v. ", 1)
    r.case_name = f"{second} v. {first}"
    return r


def _rule(id_: str, description: str, nodes: tuple[str, ...], test: Any, breaker: Any) -> Constraint:
    return Constraint(f"legal.{id_}", description, nodes, test, breaker)


CONSTRAINTS = (
    _rule("trial_court_in_jurisdiction", "the trial court belongs to the stated court system",
          ("jurisdiction", "trial_court"), _c_trial_court_in_jurisdiction, _b_trial_court_in_jurisdiction),
    _rule("appellate_court_above_trial", "the appeal lies to the court directly above the trial court, cited as such",
          ("trial_court", "appellate_court", "citation"), _c_appellate_court_above_trial,
          _b_appellate_court_above_trial),
    _rule("review_in_highest_court", "review is sought in the highest court of the system",
          ("appellate_court", "supreme_court"), _c_review_in_highest_court, _b_review_in_highest_court),
    _rule("reporter_matches_court", "the opinion is reported where that court's decisions of that date are",
          ("appellate_court", "decided_date", "citation"), _c_reporter_matches_court, _b_reporter_matches_court),
    _rule("citation_year_matches_decision", "the citation's year is the year of decision",
          ("decided_date", "citation"), _c_citation_year_matches_decision, _b_citation_year_matches_decision),
    _rule("citation_volume_plausible", "the reporter volume fits the date of decision",
          ("decided_date", "citation"), _c_citation_volume_plausible, _b_citation_volume_plausible),
    _rule("precedent_matches_disposition", "the cited precedent governs review of that disposition",
          ("disposition_kind", "precedent"), _c_precedent_matches_disposition, _b_precedent_matches_disposition),
    _rule("precedent_binds_court", "the cited precedent is binding authority in the system",
          ("jurisdiction", "precedent"), _c_precedent_binds_court, _b_precedent_binds_court),
    _rule("precedent_citation_accurate", "the precedent is cited at its real volume, reporter and page",
          ("precedent",), _c_precedent_citation_accurate, _b_precedent_citation_accurate),
    _rule("procedural_dates_ordered", "filing < hearing < judgment < notice of appeal < argument < decision < petition",
          ("filed_date", "hearing_date", "judgment_date", "notice_date", "argued_date", "decided_date", "petition_date"),
          _c_procedural_dates_ordered, _b_procedural_dates_ordered),
    _rule("notice_of_appeal_timely", "the notice of appeal meets the system's deadline",
          ("judgment_date", "notice_date"), _c_notice_of_appeal_timely, _b_notice_of_appeal_timely),
    _rule("review_petition_timely", "the petition for review meets the system's deadline",
          ("decided_date", "petition_date"), _c_review_petition_timely, _b_review_petition_timely),
    _rule("breach_within_contract_term", "the alleged breach happens while the contract is in force",
          ("breach_date", "effective_date", "expiration_date"), _c_breach_within_contract_term,
          _b_breach_within_contract_term),
    _rule("suit_filed_after_breach", "the complaint follows the breach it alleges",
          ("breach_date", "filed_date"), _c_suit_filed_after_breach, _b_suit_filed_after_breach),
    _rule("docket_number_matches_filing_year", "the case number carries the filing year in the court's format",
          ("docket_number", "filed_date"), _c_docket_number_matches_filing_year, _b_docket_number_matches_filing_year),
    _rule("contract_parties_match_case", "the contracting parties are the plaintiff and the defendant",
          ("contract", "plaintiff", "defendant"), _c_contract_parties_match_case, _b_contract_parties_match_case),
    _rule("contract_amount_words_match", "the price in words states the price in figures",
          ("total_value", "value_words"), _c_contract_amount_words_match, _b_contract_amount_words_match),
    _rule("contract_term_matches_dates", "the expiration date is the effective date plus the term",
          ("effective_date", "term_months", "expiration_date"), _c_contract_term_matches_dates,
          _b_contract_term_matches_dates),
    _rule("obligations_within_term", "every obligation falls due within the contract term",
          ("obligations", "effective_date", "expiration_date"), _c_obligations_within_term, _b_obligations_within_term),
    _rule("obligation_owed_by_role", "each duty is owed by the party whose role carries it",
          ("obligations", "contract_type"), _c_obligation_owed_by_role, _b_obligation_owed_by_role),
    _rule("obligations_fit_contract", "every duty belongs to that kind of contract",
          ("obligations", "contract_type"), _c_obligations_fit_contract, _b_obligations_fit_contract),
    _rule("installments_sum_to_price", "installments x installment amount = contract price",
          ("installments", "installment_amount", "total_value"), _c_installments_sum_to_price,
          _b_installments_sum_to_price),
    _rule("claim_statute_matches_claim", "each claim cites the statute it arises under",
          ("claim_specs", "claims"), _c_claim_statute_matches_claim, _b_claim_statute_matches_claim),
    _rule("claims_fit_case_type", "the claims are those the kind of case brings",
          ("case_type", "claims"), _c_claims_fit_case_type, _b_claims_fit_case_type),
    _rule("statutes_match_forum", "statutes cited are the forum's law or the contract's chosen law",
          ("jurisdiction", "governing_law", "claims"), _c_statutes_match_forum, _b_statutes_match_forum),
    _rule("damages_follow_findings", "only sustained claims carry damages",
          ("findings", "claim_damages"), _c_damages_follow_findings, _b_damages_follow_findings),
    _rule("judgment_equals_damages", "the judgment amount is the sum of damages on sustained claims",
          ("claims", "judgment_amount"), _c_judgment_equals_damages, _b_judgment_equals_damages),
    _rule("prevailing_party_matches_findings", "judgment is for the plaintiff exactly when a claim is sustained",
          ("findings", "prevailing_party"), _c_prevailing_party_matches_findings, _b_prevailing_party_matches_findings),
    _rule("findings_fit_disposition", "a motion to dismiss dismisses claims; trials and summary judgment decide them",
          ("disposition_kind", "findings"), _c_findings_fit_disposition, _b_findings_fit_disposition),
    _rule("remedy_matches_outcome", "the relief granted is relief on a sustained claim, or a defence judgment",
          ("claim_specs", "findings", "remedy"), _c_remedy_matches_outcome, _b_remedy_matches_outcome),
    _rule("appellant_lost_below", "the appellant is the party that lost in the trial court",
          ("trial_winner", "appellant"), _c_appellant_lost_below, _b_appellant_lost_below),
    _rule("outcome_matches_ruling", "affirmance leaves the trial winner prevailing; reversal the appellant",
          ("appeal_disposition", "trial_winner", "appeal_winner"), _c_outcome_matches_ruling, _b_outcome_matches_ruling),
    _rule("standard_of_review_fits", "the standard of review is the one the system applies to that disposition",
          ("disposition_kind", "jurisdiction", "standard_of_review"), _c_standard_of_review_fits,
          _b_standard_of_review_fits),
    _rule("case_name_matches_parties", "the caption names the plaintiff first, then the defendant",
          ("case_name", "plaintiff", "defendant"), _c_case_name_matches_parties, _b_case_name_matches_parties),
)


def _broken_ids(record: LegalRecord) -> set[str]:
    return {c.id for c in CONSTRAINTS if c.test(record) is not None}
