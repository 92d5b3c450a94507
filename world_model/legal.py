"""Legal domain: a case in a real court hierarchy, its history, appeal and precedent, and the contract in dispute."""

from __future__ import annotations

import random
from calendar import monthrange
from datetime import date
from functools import lru_cache
from typing import Any, Literal, Mapping

from pydantic import BaseModel

from world_model.core import Constraint, Domain, TextBuilder, Variable, copy_record
from world_model.legal_data import (
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
    CONTRACT_CLAIM,
    CONTRACTS,
    DEFENSE_REMEDIES,
    DEFENSE_REMEDY_SET,
    DISPOSITION_KIND,
    DISPOSITION_KINDS,
    DISPOSITION_WEIGHTS,
    DISPOSITIONS,
    DUTY_ROLE,
    FIRST_NAMES,
    INDUSTRY,
    LAST_NAMES,
    MIDDLE_INITIALS,
    MUNICIPALITIES,
    PRECEDENT_BY_NAME,
    PRECEDENTS,
    PRECEDENTS_FOR,
    REPORTER_VOLUMES,
    REVIEW_WINDOW_DAYS,
    STANDARDS_OF_REVIEW,
    STATES,
    STATUTE_SYSTEM,
    SUPREME_COURTS,
    SYSTEM_WEIGHTS,
    SYSTEMS,
    TRIAL_COURTS,
    TRIAL_COURTS_BY_SYSTEM,
)
from world_model.registry import register

# ---------------------------------------------------------------------------------------------------------------
# Record
# ---------------------------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------------------------
# Shared helpers (pure functions of values, used by samplers, checks and breakers alike)
# ---------------------------------------------------------------------------------------------------------------

_SYSTEM_CUM = tuple(sum(SYSTEM_WEIGHTS[: i + 1]) for i in range(len(SYSTEM_WEIGHTS)))
_DISPOSITION_CUM = tuple(sum(DISPOSITION_WEIGHTS[: i + 1]) for i in range(len(DISPOSITION_WEIGHTS)))
# Contracts take effect on days 1-28 of a month from January 2013 to December 2018.
_EFFECTIVE_DATES = tuple(date(y, m, day) for y in range(2013, 2019) for m in range(1, 13) for day in range(1, 29))
_DAYS_PER_YEAR = 365.25


def _ordinal(year_month: tuple[int, int]) -> int:
    return date(year_month[0], year_month[1], 1).toordinal()


_REPORTER_ERAS = {s: tuple((_ordinal(start), name) for start, name in eras) for s, eras in APPELLATE_REPORTERS.items()}
_VOLUME_MODEL = {name: (_ordinal(start), per_year, last) for name, (start, per_year, last) in REPORTER_VOLUMES.items()}


def _pick(rng: random.Random, options: Any) -> Any:
    """One uniform draw from a sequence; much cheaper than Random.choice on the sampling hot path."""
    return options[int(rng.random() * len(options))]


def _between(rng: random.Random, lo: int, hi: int) -> int:
    """A uniform integer in [lo, hi] from a single draw."""
    return lo + int(rng.random() * (hi - lo + 1))


def _weighted(rng: random.Random, options: Any, cumulative: Any) -> Any:
    x = rng.random() * cumulative[-1]
    for option, edge in zip(options, cumulative):
        if x < edge:
            return option
    return options[-1]


_SMALL = ("", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Eleven", "Twelve",
          "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen")
_TENS = ("", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety")


def _below_thousand(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    words = [f"{_SMALL[hundreds]} Hundred"] if hundreds else []
    if rest >= 20:
        words.append(_TENS[rest // 10] + (f"-{_SMALL[rest % 10]}" if rest % 10 else ""))
    elif rest:
        words.append(_SMALL[rest])
    return " ".join(words)


_WORDS_BELOW_THOUSAND = tuple(_below_thousand(n) for n in range(1000))
_SCALES = ((1_000_000_000, " Billion"), (1_000_000, " Million"), (1_000, " Thousand"), (1, ""))


@lru_cache(maxsize=8192)
def amount_in_words(amount: float) -> str:
    """Spell a dollar amount the way contracts state the price next to its figures."""
    cents = round(amount * 100)
    dollars, cents = divmod(cents, 100)
    parts = []
    for scale, name in _SCALES:
        chunk, dollars = divmod(dollars, scale)
        if chunk:
            parts.append(_WORDS_BELOW_THOUSAND[chunk] + name)
    words = (" ".join(parts) or "Zero") + " Dollars"
    return f"{words} and {cents:02d}/100" if cents else words


def add_months(day: date, months: int) -> date:
    """Calendar month arithmetic for contract terms, ending on the month's last day when it is shorter."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    if day.day <= 28:
        return date(year, month + 1, day.day)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def citation_name(name: str, kind: str) -> str:
    """The name a case caption uses: surname for people, full name for organisations."""
    return name.rsplit(" ", 1)[-1] if kind == "individual" else name


def expected_reporter(system: str, decided: date) -> str:
    """The reporter that publishes a decision of this system's intermediate court on that date."""
    when = decided.toordinal()
    eras = _REPORTER_ERAS[system]
    reporter = eras[0][1]
    for start, name in eras:
        if when >= start:
            reporter = name
    return reporter


def expected_volume(reporter: str, decided: date) -> float:
    """Where the reporter's volume count stood when the decision came down."""
    start, per_year, _ = _VOLUME_MODEL[reporter]
    return 1 + (decided.toordinal() - start) / _DAYS_PER_YEAR * per_year


def _system_of(record: LegalRecord) -> str | None:
    court = TRIAL_COURTS.get(record.trial_court)
    return court.system if court else None


def _plaintiff_won(record: LegalRecord) -> bool:
    for c in record.claims:
        if c.finding == "sustained":
            return True
    return False


def _winner_loser(record: LegalRecord) -> tuple[str, str]:
    p, d = record.plaintiff.name, record.defendant.name
    return (p, d) if _plaintiff_won(record) else (d, p)


def _docket_year(docket: str, court: str) -> int | None:
    start, end = TRIAL_COURTS[court].year_slice
    digits = docket[start:end]
    if not digits.isdigit():
        return None
    return int(digits) + (2000 if len(digits) == 2 else 0)


def _company(rng: random.Random, contract: str, role: str, avoid: str = "") -> str:
    words = INDUSTRY[contract, role]
    while True:
        stem = _pick(rng, COMPANY_STEMS)
        if not avoid.startswith(stem):
            return f"{stem} {_pick(rng, words)}{_pick(rng, COMPANY_SUFFIXES)}"


def _person(rng: random.Random) -> str:
    return f"{_pick(rng, FIRST_NAMES)} {_pick(rng, MIDDLE_INITIALS)} {_pick(rng, LAST_NAMES)}"


# ---------------------------------------------------------------------------------------------------------------
# Samplers: each sees only its parents' values
# ---------------------------------------------------------------------------------------------------------------

V = Mapping[str, Any]


def _s_jurisdiction(rng: random.Random, v: V) -> str:
    return _weighted(rng, SYSTEMS, _SYSTEM_CUM)


def _s_trial_court(rng: random.Random, v: V) -> str:
    return _pick(rng, TRIAL_COURTS_BY_SYSTEM[v["jurisdiction"]])


def _s_appellate_court(rng: random.Random, v: V) -> str:
    return _pick(rng, TRIAL_COURTS[v["trial_court"]].appeals_to)


def _s_supreme_court(rng: random.Random, v: V) -> str:
    return SUPREME_COURTS[APPELLATE_COURTS[v["appellate_court"]][0]]


def _s_case_type(rng: random.Random, v: V) -> str:
    return _pick(rng, CASE_TYPES_BY_COURT[v["trial_court"]])


def _s_contract_type(rng: random.Random, v: V) -> tuple[str, str, str]:
    """(contract title, plaintiff's role, defendant's role) for the kind of case."""
    title, plaintiff_role = CASE_TYPES[v["case_type"]]["contract"]
    roles = CONTRACTS[title]["roles"]
    return title, plaintiff_role, roles[1] if roles[0] == plaintiff_role else roles[0]


def _s_plaintiff(rng: random.Random, v: V) -> dict:
    kind = CASE_TYPES[v["case_type"]]["kinds"][0]
    title, role, _ = v["contract_type"]
    return {"name": _person(rng) if kind == "individual" else _company(rng, title, role), "kind": kind}


def _s_defendant(rng: random.Random, v: V) -> dict:
    kind = CASE_TYPES[v["case_type"]]["kinds"][1]
    title, _, role = v["contract_type"]
    if kind == "municipality":
        name = _pick(rng, TRIAL_COURTS[v["trial_court"]].municipalities)
    else:
        name = _company(rng, title, role, avoid=v["plaintiff"]["name"])
    return {"name": name, "kind": kind}


def _s_case_name(rng: random.Random, v: V) -> str:
    p, d = v["plaintiff"], v["defendant"]
    return f"{citation_name(p['name'], p['kind'])} v. {citation_name(d['name'], d['kind'])}"


def _s_governing_law(rng: random.Random, v: V) -> str:
    """Home-state law where the court sits in a modelled state, else a choice-of-law clause (New York favoured)."""
    state = TRIAL_COURTS[v["trial_court"]].state
    return state if state in STATES else _pick(rng, (STATES[0], STATES[0], STATES[1], STATES[2]))


def _s_effective_date(rng: random.Random, v: V) -> date:
    return _pick(rng, _EFFECTIVE_DATES)


def _s_term_months(rng: random.Random, v: V) -> int:
    return _pick(rng, CONTRACTS[v["contract_type"][0]]["terms"])


def _s_expiration_date(rng: random.Random, v: V) -> date:
    return add_months(v["effective_date"], v["term_months"])


def _s_installments(rng: random.Random, v: V) -> int:
    return v["term_months"] // CONTRACTS[v["contract_type"][0]]["period"]


def _s_installment_amount(rng: random.Random, v: V) -> float:
    lo, hi = CONTRACTS[v["contract_type"][0]]["installment"]
    step = 500 if hi >= 200_000 else 100 if hi >= 5_000 else 10
    return float(_between(rng, lo // step, hi // step) * step)


def _s_total_value(rng: random.Random, v: V) -> float:
    return v["installments"] * v["installment_amount"]


def _s_value_words(rng: random.Random, v: V) -> str:
    return amount_in_words(v["total_value"])


def _s_obligations(rng: random.Random, v: V) -> list[dict]:
    """One duty per role, each a first performance falling due in the opening months of the term."""
    title = v["contract_type"][0]
    spec = CONTRACTS[title]
    start = v["effective_date"].toordinal()
    span = v["expiration_date"].toordinal() - start
    first, second = spec["roles"] if rng.random() < 0.5 else spec["roles"][::-1]
    duties, latest = spec["duties"], min(200, span - 20) - 19
    return [{"obligor": role, "duty": _pick(rng, duties[role]),
             "due_date": date.fromordinal(start + 20 + int(rng.random() * latest))} for role in (first, second)]


def _s_contract(rng: random.Random, v: V) -> dict:
    title, plaintiff_role, _ = v["contract_type"]
    role_a, role_b = CONTRACTS[title]["roles"]
    p, d = v["plaintiff"]["name"], v["defendant"]["name"]
    a, b = (p, d) if role_a == plaintiff_role else (d, p)
    return {"title": title, "party_a": a, "role_a": role_a, "party_b": b, "role_b": role_b,
            "effective_date": v["effective_date"], "term_months": v["term_months"],
            "expiration_date": v["expiration_date"], "total_value": v["total_value"],
            "value_words": v["value_words"], "installments": v["installments"],
            "installment_amount": v["installment_amount"], "governing_law": v["governing_law"],
            "obligations": v["obligations"]}


def _s_breach_date(rng: random.Random, v: V) -> date:
    span = (v["expiration_date"].toordinal() - v["effective_date"].toordinal()) // 2
    return date.fromordinal(v["effective_date"].toordinal() + _between(rng, 30, span))


def _s_filed_date(rng: random.Random, v: V) -> date:
    return date.fromordinal(v["breach_date"].toordinal() + _between(rng, 30, 300))


_DOCKET_FORMATS = {court: spec.docket_format.replace("{yy}", "{0:02d}").replace("{yyyy}", "{1}").replace("{seq", "{2")
                   for court, spec in TRIAL_COURTS.items()}


def _s_docket_number(rng: random.Random, v: V) -> str:
    year = v["filed_date"].year
    return _DOCKET_FORMATS[v["trial_court"]].format(year % 100, year, _between(rng, 100, 9999))


def _s_disposition_kind(rng: random.Random, v: V) -> str:
    return _weighted(rng, DISPOSITION_KINDS, _DISPOSITION_CUM)


def _s_disposition(rng: random.Random, v: V) -> str:
    return DISPOSITIONS[v["jurisdiction"]][v["disposition_kind"]]


def _s_trial_winner(rng: random.Random, v: V) -> str:
    if v["disposition_kind"] == "mtd":
        return "defendant"
    return "plaintiff" if rng.random() < 0.55 else "defendant"


def _s_claim_specs(rng: random.Random, v: V) -> tuple[tuple[str, str], tuple[str, str]]:
    """The primary claim the case type brings, under the forum's law or else the contract's, plus breach of contract."""
    system, law = v["jurisdiction"], v["governing_law"]
    title = _pick(rng, CASE_TYPES[v["case_type"]]["claims"])
    statutes = CLAIM_STATUTES[title]
    return (title, statutes.get(system) or statutes[law]), (CONTRACT_CLAIM, CLAIM_STATUTES[CONTRACT_CLAIM][law])


def _s_findings(rng: random.Random, v: V) -> list[str]:
    n = len(v["claim_specs"])
    if v["trial_winner"] == "plaintiff":
        won = int(rng.random() * n)
        return ["sustained" if i == won else "rejected" for i in range(n)]
    return ["dismissed" if v["disposition_kind"] == "mtd" else "rejected"] * n


def _s_claim_damages(rng: random.Random, v: V) -> list[float]:
    total = v["total_value"]
    return [round(total * (0.08 + 0.87 * rng.random()), 2) if f == "sustained" else 0.0 for f in v["findings"]]


def _s_claims(rng: random.Random, v: V) -> list[dict]:
    return [{"title": t, "statute": s, "finding": f, "damages": d}
            for (t, s), f, d in zip(v["claim_specs"], v["findings"], v["claim_damages"])]


def _s_judgment_amount(rng: random.Random, v: V) -> float:
    return round(sum(c["damages"] for c in v["claims"] if c["finding"] == "sustained"), 2)


def _s_prevailing_party(rng: random.Random, v: V) -> str:
    return "Plaintiff" if v["trial_winner"] == "plaintiff" else "Defendant"


def _s_remedy(rng: random.Random, v: V) -> str:
    """Relief on the claim the plaintiff won, else the defence judgment the system enters."""
    for (title, _), finding in zip(v["claim_specs"], v["findings"]):
        if finding == "sustained":
            return _pick(rng, CLAIM_REMEDIES[title])
    if v["disposition_kind"] == "mtd":
        return DEFENSE_REMEDIES["mtd"]
    return DEFENSE_REMEDIES.get(v["jurisdiction"], DEFENSE_REMEDIES["other"])


_HEARING_DELAY = {"mtd": (90, 240), "sj": (200, 420), "bench": (300, 520), "jury": (330, 560)}


def _after(key: str, lo: int, hi: int) -> Any:
    def sample(rng: random.Random, v: V) -> date:
        return date.fromordinal(v[key].toordinal() + _between(rng, lo, hi))
    return sample


def _s_hearing_date(rng: random.Random, v: V) -> date:
    lo, hi = _HEARING_DELAY[v["disposition_kind"]]
    return date.fromordinal(v["filed_date"].toordinal() + _between(rng, lo, hi))


def _s_notice_date(rng: random.Random, v: V) -> date:
    return date.fromordinal(v["judgment_date"].toordinal() + _between(rng, 3, APPEAL_DEADLINE_DAYS[v["jurisdiction"]]))


def _s_petition_date(rng: random.Random, v: V) -> date:
    first, last = REVIEW_WINDOW_DAYS[v["jurisdiction"]]
    return date.fromordinal(v["decided_date"].toordinal() + _between(rng, max(first, 5), last))


def _s_dates(rng: random.Random, v: V) -> dict:
    return {"breach": v["breach_date"], "filed": v["filed_date"], "hearing": v["hearing_date"],
            "judgment": v["judgment_date"], "notice_of_appeal": v["notice_date"], "argued": v["argued_date"],
            "decided": v["decided_date"], "petition": v["petition_date"]}


def _s_appellant(rng: random.Random, v: V) -> str:
    return v["defendant"]["name"] if v["trial_winner"] == "plaintiff" else v["plaintiff"]["name"]


def _s_appeal_disposition(rng: random.Random, v: V) -> str:
    return "Affirmed" if rng.random() < 0.72 else "Reversed and remanded"


def _s_appeal_winner(rng: random.Random, v: V) -> str:
    plaintiff_won = v["trial_winner"] == "plaintiff"
    if v["appeal_disposition"] != "Affirmed":
        plaintiff_won = not plaintiff_won
    return v["plaintiff"]["name"] if plaintiff_won else v["defendant"]["name"]


def _s_standard_of_review(rng: random.Random, v: V) -> str:
    return STANDARDS_OF_REVIEW[v["jurisdiction"]][v["disposition_kind"]]


def _precedent_dict(p: tuple) -> dict:
    return {"name": p[0], "volume": p[1], "reporter": p[2], "page": p[3], "parenthetical": p[4]}


def _s_precedent(rng: random.Random, v: V) -> dict:
    return _precedent_dict(_pick(rng, PRECEDENTS_FOR[v["jurisdiction"], v["disposition_kind"]]))


def _s_citation(rng: random.Random, v: V) -> dict:
    decided = v["decided_date"]
    reporter = expected_reporter(APPELLATE_COURTS[v["appellate_court"]][0], decided)
    _, per_year, last = _VOLUME_MODEL[reporter]
    volume = round(expected_volume(reporter, decided) + (0.8 * rng.random() - 0.4) * per_year)
    return {"volume": min(max(volume, 1), last), "reporter": reporter, "page": _between(rng, 1, 1450),
            "court": APPELLATE_COURTS[v["appellate_court"]][1], "year": decided.year}


def _s_appeal(rng: random.Random, v: V) -> dict:
    return {"appellant": v["appellant"], "standard_of_review": v["standard_of_review"],
            "disposition": v["appeal_disposition"], "prevailing_party": v["appeal_winner"],
            "citation": v["citation"], "precedent": v["precedent"]}


def _var(name: str, type_: str, description: str, sample: Any, parents: tuple[str, ...] = (),
         mechanism: str = "") -> Variable:
    return Variable(name, type_, description, sample, parents, mechanism)


VARIABLES = (
    _var("jurisdiction", "category", "court system hearing the case", _s_jurisdiction),
    _var("trial_court", "str", "court of first instance", _s_trial_court, ("jurisdiction",),
         "a system's trial courts sit in it"),
    _var("appellate_court", "str", "intermediate court hearing the appeal", _s_appellate_court, ("trial_court",),
         "appeals go to the court above the trial court"),
    _var("supreme_court", "str", "highest court of the system", _s_supreme_court, ("appellate_court",),
         "review petitions go to the apex of the hierarchy"),
    _var("case_type", "category", "nature of suit", _s_case_type, ("trial_court",),
         "some claims are heard only in federal court; municipal suits where the city's law is modelled"),
    _var("contract_type", "latent", "contract in dispute and the parties' roles in it", _s_contract_type,
         ("case_type",), "each kind of case arises from its kind of contract"),
    _var("plaintiff", "Party", "who sued", _s_plaintiff, ("case_type", "contract_type")),
    _var("defendant", "Party", "who was sued", _s_defendant, ("case_type", "contract_type", "trial_court", "plaintiff"),
         "municipal defendants lie within the district"),
    _var("case_name", "str", "caption", _s_case_name, ("plaintiff", "defendant"), "plaintiff v. defendant"),
    _var("governing_law", "category", "law chosen by the contract", _s_governing_law, ("trial_court",),
         "contracts follow the law where the court sits, else their choice-of-law clause"),
    _var("effective_date", "date", "contract effective date", _s_effective_date),
    _var("term_months", "int", "contract term", _s_term_months, ("contract_type",)),
    _var("expiration_date", "date", "contract end", _s_expiration_date, ("effective_date", "term_months"),
         "end = start + term"),
    _var("installments", "int", "number of payments", _s_installments, ("contract_type", "term_months"),
         "one payment per billing period over the term"),
    _var("installment_amount", "money", "amount per payment", _s_installment_amount, ("contract_type",)),
    _var("total_value", "money", "contract price", _s_total_value, ("installments", "installment_amount"),
         "price = installments x amount"),
    _var("value_words", "str", "contract price in words", _s_value_words, ("total_value",)),
    _var("obligations", "list", "each party's duties with due dates", _s_obligations,
         ("contract_type", "effective_date", "expiration_date"), "duties follow the roles; due within the term"),
    _var("contract", "Contract", "the contract in dispute", _s_contract,
         ("contract_type", "plaintiff", "defendant", "effective_date", "term_months", "expiration_date",
          "installments", "installment_amount", "total_value", "value_words", "governing_law", "obligations"),
         "the litigants are the contracting parties"),
    _var("breach_date", "date", "alleged breach", _s_breach_date, ("effective_date", "expiration_date"),
         "a breach happens during the term"),
    _var("filed_date", "date", "complaint filed", _s_filed_date, ("breach_date",), "suit follows the breach"),
    _var("docket_number", "str", "trial court case number", _s_docket_number, ("trial_court", "filed_date"),
         "case numbers carry the filing year in the court's format"),
    _var("disposition_kind", "latent", "how the trial court resolved the case", _s_disposition_kind),
    _var("disposition", "str", "disposition as the system names it", _s_disposition,
         ("disposition_kind", "jurisdiction")),
    _var("trial_winner", "latent", "side that won below", _s_trial_winner, ("disposition_kind",),
         "a granted motion to dismiss ends the case for the defendant"),
    _var("claim_specs", "latent", "claims and statutes pleaded", _s_claim_specs,
         ("case_type", "jurisdiction", "governing_law"), "claims arise under the forum's or the chosen law"),
    _var("findings", "latent", "outcome per claim", _s_findings, ("claim_specs", "trial_winner", "disposition_kind")),
    _var("claim_damages", "latent", "damages per claim", _s_claim_damages, ("findings", "total_value"),
         "only sustained claims carry damages, scaled to the contract"),
    _var("claims", "list", "claims with findings and damages", _s_claims,
         ("claim_specs", "findings", "claim_damages")),
    _var("judgment_amount", "money", "total awarded", _s_judgment_amount, ("claims",), "sum of sustained damages"),
    _var("prevailing_party", "category", "side the judgment favours", _s_prevailing_party, ("trial_winner",)),
    _var("remedy", "str", "relief granted", _s_remedy, ("claim_specs", "findings", "disposition_kind", "jurisdiction"),
         "relief follows the winner and the kind of case"),
    _var("hearing_date", "date", "hearing or trial", _s_hearing_date, ("filed_date", "disposition_kind"),
         "trials take longer to reach than motions"),
    _var("judgment_date", "date", "judgment entered", _after("hearing_date", 7, 75), ("hearing_date",)),
    _var("notice_date", "date", "notice of appeal", _s_notice_date, ("judgment_date", "jurisdiction"),
         "filed within the system's appeal deadline"),
    _var("argued_date", "date", "oral argument", _after("notice_date", 120, 270), ("notice_date",)),
    _var("decided_date", "date", "appellate decision", _after("argued_date", 20, 180), ("argued_date",)),
    _var("petition_date", "date", "petition for review", _s_petition_date, ("decided_date", "jurisdiction"),
         "filed within the system's review deadline"),
    _var("dates", "Dates", "procedural history", _s_dates,
         ("breach_date", "filed_date", "hearing_date", "judgment_date", "notice_date", "argued_date",
          "decided_date", "petition_date")),
    _var("appellant", "str", "party appealing", _s_appellant, ("trial_winner", "plaintiff", "defendant"),
         "the losing party appeals"),
    _var("appeal_disposition", "category", "appellate ruling", _s_appeal_disposition),
    _var("appeal_winner", "str", "party prevailing after appeal", _s_appeal_winner,
         ("appeal_disposition", "trial_winner", "plaintiff", "defendant"), "affirmance keeps the winner; reversal flips"),
    _var("standard_of_review", "str", "deference owed to the trial court", _s_standard_of_review,
         ("disposition_kind", "jurisdiction")),
    _var("precedent", "Precedent", "binding authority on the standard", _s_precedent,
         ("disposition_kind", "jurisdiction"), "cite the system's apex court on that disposition"),
    _var("citation", "Citation", "where the appellate opinion is reported", _s_citation,
         ("appellate_court", "decided_date"), "reporter and volume follow the court and the date"),
    _var("appeal", "Appeal", "the appeal", _s_appeal,
         ("appellant", "standard_of_review", "appeal_disposition", "appeal_winner", "citation", "precedent")),
)

# ---------------------------------------------------------------------------------------------------------------
# Constraints: a check (None when the rule holds) and a breaker (smallest change that breaks it)
# ---------------------------------------------------------------------------------------------------------------

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
    if known is not None and known[1] != r.appeal.citation.court:
        return f"{r.appellate_court} is cited as {known[1]!r}", ("appeal.citation.court",)
    return None


def _b_appellate_court_above_trial(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    court = TRIAL_COURTS[r.trial_court]
    name = rng.choice([n for n in APPELLATE_BY_SYSTEM[court.system] if n not in court.appeals_to])
    r.appellate_court, r.appeal.citation.court = name, APPELLATE_COURTS[name][1]
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
    if p is not None and kind is not None and kind not in p[6]:
        return f"{p[0]} sets no standard for review of a {r.disposition}", ("appeal.precedent.name",)
    return None


def _b_precedent_matches_disposition(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    system, kind = _system_of(r), DISPOSITION_KIND[r.disposition]
    options = [p for p in PRECEDENTS if p[5] == system and kind not in p[6]]
    r.appeal.precedent = Precedent(**_precedent_dict(rng.choice(options)))
    return r


def _c_precedent_binds_court(r: LegalRecord) -> Result:
    p = PRECEDENT_BY_NAME.get(r.appeal.precedent.name)
    system = _system_of(r)
    if p is not None and system is not None and p[5] != system:
        return f"{p[0]} is {p[5]} authority, not binding in the {system} system", ("appeal.precedent.name",)
    return None


def _b_precedent_binds_court(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = _copy(r)
    system, kind = _system_of(r), DISPOSITION_KIND[r.disposition]
    options = [p for p in PRECEDENTS if p[5] != system and kind in p[6]]
    r.appeal.precedent = Precedent(**_precedent_dict(rng.choice(options)))
    return r


_PRECEDENT_CITE_FIELDS = ("appeal.precedent.volume", "appeal.precedent.reporter", "appeal.precedent.page",
                          "appeal.precedent.parenthetical")


def _c_precedent_citation_accurate(r: LegalRecord) -> Result:
    cited = r.appeal.precedent
    p = PRECEDENT_BY_NAME.get(cited.name)
    if p is None:
        return f"{cited.name!r} is not a known precedent", ("appeal.precedent.name",)
    if (cited.volume, cited.reporter, cited.page, cited.parenthetical) != p[1:5]:
        return f"{p[0]} is reported at {p[1]} {p[2]} {p[3]} ({p[4]})", _PRECEDENT_CITE_FIELDS
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


# ---------------------------------------------------------------------------------------------------------------
# Renderers: random draws never depend on field values
# ---------------------------------------------------------------------------------------------------------------

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
