"""The causal graph: one sampler per variable, each seeing only its parents' values."""

from __future__ import annotations

import random
from datetime import date
from typing import Any, Mapping

from world_model.core import Variable
from world_model.legal.law import (
    DISPOSITION_CUM,
    EFFECTIVE_DATES,
    SYSTEM_CUM,
    add_months,
    amount_in_words,
    between,
    citation_name,
    company_name,
    expected_reporter,
    expected_volume,
    person_name,
    pick,
    precedent_dict,
    weighted,
)
from world_model.legal.tables import (
    APPEAL_DEADLINE_DAYS,
    APPELLATE_COURTS,
    CASE_TYPES,
    CASE_TYPES_BY_COURT,
    CLAIM_REMEDIES,
    CLAIM_STATUTES,
    CONTRACTS,
    CONTRACT_CLAIM,
    DEFENSE_REMEDIES,
    DISPOSITIONS,
    DISPOSITION_KINDS,
    PRECEDENTS_FOR,
    REPORTER_VOLUMES,
    REVIEW_WINDOW_DAYS,
    STANDARDS_OF_REVIEW,
    STATES,
    SUPREME_COURTS,
    SYSTEMS,
    TRIAL_COURTS,
    TRIAL_COURTS_BY_SYSTEM,
)


V = Mapping[str, Any]


def _s_jurisdiction(rng: random.Random, v: V) -> str:
    return weighted(rng, SYSTEMS, SYSTEM_CUM)


def _s_trial_court(rng: random.Random, v: V) -> str:
    return pick(rng, TRIAL_COURTS_BY_SYSTEM[v["jurisdiction"]])


def _s_appellate_court(rng: random.Random, v: V) -> str:
    return pick(rng, TRIAL_COURTS[v["trial_court"]].appeals_to)


def _s_supreme_court(rng: random.Random, v: V) -> str:
    return SUPREME_COURTS[APPELLATE_COURTS[v["appellate_court"]].system]


def _s_case_type(rng: random.Random, v: V) -> str:
    return pick(rng, CASE_TYPES_BY_COURT[v["trial_court"]])


def _s_contract_type(rng: random.Random, v: V) -> tuple[str, str, str]:
    """(contract title, plaintiff's role, defendant's role) for the kind of case."""
    case = CASE_TYPES[v["case_type"]]
    roles = CONTRACTS[case.contract].roles
    return case.contract, case.plaintiff_role, roles[1] if roles[0] == case.plaintiff_role else roles[0]


def _s_plaintiff(rng: random.Random, v: V) -> dict:
    kind = CASE_TYPES[v["case_type"]].plaintiff_kind
    title, role, _ = v["contract_type"]
    return {"name": person_name(rng) if kind == "individual" else company_name(rng, title, role), "kind": kind}


def _s_defendant(rng: random.Random, v: V) -> dict:
    kind = CASE_TYPES[v["case_type"]].defendant_kind
    title, _, role = v["contract_type"]
    if kind == "municipality":
        name = pick(rng, TRIAL_COURTS[v["trial_court"]].municipalities)
    else:
        name = company_name(rng, title, role, avoid=v["plaintiff"]["name"])
    return {"name": name, "kind": kind}


def _s_case_name(rng: random.Random, v: V) -> str:
    p, d = v["plaintiff"], v["defendant"]
    return f"{citation_name(p['name'], p['kind'])} v. {citation_name(d['name'], d['kind'])}"


def _s_governing_law(rng: random.Random, v: V) -> str:
    """Home-state law where the court sits in a modelled state, else a choice-of-law clause (New York favoured)."""
    state = TRIAL_COURTS[v["trial_court"]].state
    return state if state in STATES else pick(rng, (STATES[0], STATES[0], STATES[1], STATES[2]))


def _s_effective_date(rng: random.Random, v: V) -> date:
    return pick(rng, EFFECTIVE_DATES)


def _s_term_months(rng: random.Random, v: V) -> int:
    return pick(rng, CONTRACTS[v["contract_type"][0]].terms)


def _s_expiration_date(rng: random.Random, v: V) -> date:
    return add_months(v["effective_date"], v["term_months"])


def _s_installments(rng: random.Random, v: V) -> int:
    return v["term_months"] // CONTRACTS[v["contract_type"][0]].period


def _s_installment_amount(rng: random.Random, v: V) -> float:
    lo, hi = CONTRACTS[v["contract_type"][0]].installment
    step = 500 if hi >= 200_000 else 100 if hi >= 5_000 else 10
    return float(between(rng, lo // step, hi // step) * step)


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
    first, second = spec.roles if rng.random() < 0.5 else spec.roles[::-1]
    duties, latest = spec.duties, min(200, span - 20) - 19
    return [{"obligor": role, "duty": pick(rng, duties[role]),
             "due_date": date.fromordinal(start + 20 + int(rng.random() * latest))} for role in (first, second)]


def _s_contract(rng: random.Random, v: V) -> dict:
    title, plaintiff_role, _ = v["contract_type"]
    role_a, role_b = CONTRACTS[title].roles
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
    return date.fromordinal(v["effective_date"].toordinal() + between(rng, 30, span))


def _s_filed_date(rng: random.Random, v: V) -> date:
    return date.fromordinal(v["breach_date"].toordinal() + between(rng, 30, 300))


_DOCKET_FORMATS = {court: spec.docket_format.replace("{yy}", "{0:02d}").replace("{yyyy}", "{1}").replace("{seq", "{2")
                   for court, spec in TRIAL_COURTS.items()}


def _s_docket_number(rng: random.Random, v: V) -> str:
    year = v["filed_date"].year
    return _DOCKET_FORMATS[v["trial_court"]].format(year % 100, year, between(rng, 100, 9999))


def _s_disposition_kind(rng: random.Random, v: V) -> str:
    return weighted(rng, DISPOSITION_KINDS, DISPOSITION_CUM)


def _s_disposition(rng: random.Random, v: V) -> str:
    return DISPOSITIONS[v["jurisdiction"]][v["disposition_kind"]]


def _s_trial_winner(rng: random.Random, v: V) -> str:
    if v["disposition_kind"] == "mtd":
        return "defendant"
    return "plaintiff" if rng.random() < 0.55 else "defendant"


def _s_claim_specs(rng: random.Random, v: V) -> tuple[tuple[str, str], tuple[str, str]]:
    """The primary claim the case type brings, under the forum's law or else the contract's, plus breach of contract."""
    system, law = v["jurisdiction"], v["governing_law"]
    title = pick(rng, CASE_TYPES[v["case_type"]].claims)
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
            return pick(rng, CLAIM_REMEDIES[title])
    if v["disposition_kind"] == "mtd":
        return DEFENSE_REMEDIES["mtd"]
    return DEFENSE_REMEDIES.get(v["jurisdiction"], DEFENSE_REMEDIES["other"])


_HEARING_DELAY = {"mtd": (90, 240), "sj": (200, 420), "bench": (300, 520), "jury": (330, 560)}


def _after(key: str, lo: int, hi: int) -> Any:
    def sample(rng: random.Random, v: V) -> date:
        return date.fromordinal(v[key].toordinal() + between(rng, lo, hi))
    return sample


def _s_hearing_date(rng: random.Random, v: V) -> date:
    lo, hi = _HEARING_DELAY[v["disposition_kind"]]
    return date.fromordinal(v["filed_date"].toordinal() + between(rng, lo, hi))


def _s_notice_date(rng: random.Random, v: V) -> date:
    return date.fromordinal(v["judgment_date"].toordinal() + between(rng, 3, APPEAL_DEADLINE_DAYS[v["jurisdiction"]]))


def _s_petition_date(rng: random.Random, v: V) -> date:
    first, last = REVIEW_WINDOW_DAYS[v["jurisdiction"]]
    return date.fromordinal(v["decided_date"].toordinal() + between(rng, max(first, 5), last))


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


def _s_precedent(rng: random.Random, v: V) -> dict:
    return precedent_dict(pick(rng, PRECEDENTS_FOR[v["jurisdiction"], v["disposition_kind"]]))


def _s_citation(rng: random.Random, v: V) -> dict:
    decided = v["decided_date"]
    reporter = expected_reporter(APPELLATE_COURTS[v["appellate_court"]].system, decided)
    volumes = REPORTER_VOLUMES[reporter]
    volume = round(expected_volume(reporter, decided) + (0.8 * rng.random() - 0.4) * volumes.per_year)
    return {"volume": min(max(volume, 1), volumes.last), "reporter": reporter, "page": between(rng, 1, 1450),
            "court": APPELLATE_COURTS[v["appellate_court"]].abbreviation, "year": decided.year}


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
