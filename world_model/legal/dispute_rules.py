"""Legal rules of the dispute itself: the contract, the claims and judgment, the appeal and the caption.

Each check sits beside the breaker that makes the smallest edit it flags; `constraints` appends DISPUTE_RULES
to the court and procedure rules.
"""

from __future__ import annotations

import random
from datetime import date

from world_model.core import Constraint, copy_record
from world_model.legal.law import (
    Result,
    add_months,
    amount_in_words,
    citation_name,
    company_name,
    other,
    person_name,
    plaintiff_won,
    rule,
    system_of,
    winner_loser,
)
from world_model.legal.record import LegalRecord
from world_model.legal.tables import (
    ALL_DUTIES,
    ALL_STANDARDS,
    CASE_TYPES,
    CLAIM_REMEDIES,
    CLAIM_STATUTES,
    CONTRACT_CLAIM,
    DEFENSE_REMEDY_SET,
    DISPOSITION_KIND,
    DUTY_ROLE,
    MUNICIPALITIES,
    STANDARDS_OF_REVIEW,
    STATES,
    STATUTE_SYSTEM,
)


# -- the contract -----------------------------------------------------------------------------------------------

def _c_contract_parties_match_case(r: LegalRecord) -> Result:
    k, p, d = r.contract, r.plaintiff.name, r.defendant.name
    if (k.party_a, k.party_b) != (p, d) and (k.party_a, k.party_b) != (d, p):
        return "the contracting parties are not the litigants", ("contract.party_a", "contract.party_b")
    return None


def _b_contract_parties_match_case(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = copy_record(r)
    k = r.contract
    side = rng.choice(("party_a", "party_b"))
    current = getattr(k, side)
    kind = r.plaintiff.kind if current == r.plaintiff.name else r.defendant.kind
    role = k.role_a if side == "party_a" else k.role_b
    taken = {k.party_a, k.party_b, r.plaintiff.name, r.defendant.name}
    while True:
        if kind == "individual":
            name = person_name(rng)
        elif kind == "municipality":
            name = rng.choice(MUNICIPALITIES)
        else:
            name = company_name(rng, k.title, role)
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
    r = copy_record(r)
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
    r = copy_record(r)
    r.contract.term_months += 12 if r.contract.term_months <= 24 or rng.random() < 0.5 else -12
    return r


def _c_obligations_within_term(r: LegalRecord) -> Result:
    k = r.contract
    for i, ob in enumerate(k.obligations):
        if not k.effective_date <= ob.due_date <= k.expiration_date:
            return f"obligation {i + 1} is due {ob.due_date}, outside the term", (f"contract.obligations[{i}].due_date",)
    return None


def _b_obligations_within_term(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = copy_record(r)
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
    r = copy_record(r)
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
    r = copy_record(r)
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
    r = copy_record(r)
    k = r.contract
    delta = (100 if k.installment_amount >= 2_000 else 10) * rng.randint(1, 9)
    k.installment_amount += delta if delta >= k.installment_amount or rng.random() < 0.5 else -delta
    return r


# -- claims and judgment ----------------------------------------------------------------------------------------

def _allowed_systems(r: LegalRecord) -> tuple[str | None, str]:
    return system_of(r), r.contract.governing_law


_STATUTES_OF_CLAIM = {title: frozenset(table.values()) for title, table in CLAIM_STATUTES.items()}


def _c_claim_statute_matches_claim(r: LegalRecord) -> Result:
    for i, c in enumerate(r.claims):
        statutes = _STATUTES_OF_CLAIM.get(c.title)
        if statutes is not None and c.statute not in statutes:
            return f"a claim for {c.title.lower()} does not arise under {c.statute}", (f"claims[{i}].statute",)
    return None


def _b_claim_statute_matches_claim(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = copy_record(r)
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
        if c.title != CONTRACT_CLAIM and c.title not in spec.claims:
            return f"{c.title} is not a claim of a {r.case_type.lower()} case", (f"claims[{i}].title",)
    return None


def _b_claims_fit_case_type(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = copy_record(r)
    system, law = _allowed_systems(r)
    own = CASE_TYPES[r.case_type].claims
    options = sorted({(t, CLAIM_STATUTES[t].get(system) or CLAIM_STATUTES[t].get(law))
                      for spec in CASE_TYPES.values() for t in spec.claims
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
    r = copy_record(r)
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
    r = copy_record(r)
    claim = rng.choice([c for c in r.claims if c.finding != "sustained"])
    claim.damages = round(r.contract.total_value * rng.uniform(0.1, 0.6), 2)
    return r


def _c_judgment_equals_damages(r: LegalRecord) -> Result:
    total = sum(c.damages for c in r.claims if c.finding == "sustained")
    if abs(total - r.judgment_amount) >= 0.005:
        return f"judgment ${r.judgment_amount:,.2f} differs from sustained damages ${total:,.2f}", ("judgment_amount",)
    return None


def _b_judgment_equals_damages(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = copy_record(r)
    r.judgment_amount = round(r.judgment_amount + 1000 * rng.randint(1, 90) + rng.randint(0, 99) / 100, 2)
    return r


def _c_prevailing_party_matches_findings(r: LegalRecord) -> Result:
    want = "Plaintiff" if plaintiff_won(r) else "Defendant"
    if r.prevailing_party != want:
        return f"judgment for {r.prevailing_party} although the findings favour the {want.lower()}", ("prevailing_party",)
    return None


def _b_prevailing_party_matches_findings(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = copy_record(r)
    r.prevailing_party = "Defendant" if r.prevailing_party == "Plaintiff" else "Plaintiff"
    return r


def _c_findings_fit_disposition(r: LegalRecord) -> Result:
    dismissal = DISPOSITION_KIND.get(r.disposition) == "mtd"
    for i, c in enumerate(r.claims):
        if (c.finding != "dismissed") if dismissal else (c.finding == "dismissed"):
            return f"a claim cannot be {c.finding} on {r.disposition}", (f"claims[{i}].finding",)
    return None


def _b_findings_fit_disposition(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = copy_record(r)
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
    r = copy_record(r)
    side = sorted(DEFENSE_REMEDY_SET) if plaintiff_won(r) else CLAIM_REMEDIES[rng.choice(r.claims).title]
    r.remedy = rng.choice(side)
    return r


# -- the appeal -------------------------------------------------------------------------------------------------

def _c_appellant_lost_below(r: LegalRecord) -> Result:
    winner, loser = winner_loser(r)
    if r.appeal.appellant != loser:
        return f"{r.appeal.appellant} appeals a judgment that favoured it", ("appeal.appellant",)
    return None


def _b_appellant_lost_below(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = copy_record(r)
    r.appeal.appellant = winner_loser(r)[0]
    return r


def _c_outcome_matches_ruling(r: LegalRecord) -> Result:
    winner, loser = winner_loser(r)
    want = winner if r.appeal.disposition == "Affirmed" else loser
    if r.appeal.prevailing_party != want:
        return f"{r.appeal.disposition} should leave judgment for {want}", ("appeal.prevailing_party", "appeal.disposition")
    return None


def _b_outcome_matches_ruling(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = copy_record(r)
    p, d = r.plaintiff.name, r.defendant.name
    r.appeal.prevailing_party = d if r.appeal.prevailing_party == p else p
    return r


def _c_standard_of_review_fits(r: LegalRecord) -> Result:
    system, kind = system_of(r), DISPOSITION_KIND.get(r.disposition)
    if system is None or kind is None:
        return None
    want = STANDARDS_OF_REVIEW[system][kind]
    if r.appeal.standard_of_review != want:
        return f"a {r.disposition} is reviewed for {want}", ("appeal.standard_of_review",)
    return None


def _b_standard_of_review_fits(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = copy_record(r)
    want = STANDARDS_OF_REVIEW[system_of(r)][DISPOSITION_KIND[r.disposition]]
    r.appeal.standard_of_review = other(rng, ALL_STANDARDS, want)
    return r


def _c_case_name_matches_parties(r: LegalRecord) -> Result:
    p, d = r.plaintiff, r.defendant
    want = f"{citation_name(p.name, p.kind)} v. {citation_name(d.name, d.kind)}"
    if r.case_name != want:
        return f"caption should read {want!r}", ("case_name",)
    return None


def _b_case_name_matches_parties(r: LegalRecord, rng: random.Random) -> LegalRecord:
    r = copy_record(r)
    first, second = r.case_name.split(" v. ", 1)
    r.case_name = f"{second} v. {first}"
    return r


DISPUTE_RULES: tuple[Constraint, ...] = (
    rule("contract_parties_match_case", "the contracting parties are the plaintiff and the defendant",
         ("contract", "plaintiff", "defendant"), _c_contract_parties_match_case, _b_contract_parties_match_case),
    rule("contract_amount_words_match", "the price in words states the price in figures",
         ("total_value", "value_words"), _c_contract_amount_words_match, _b_contract_amount_words_match),
    rule("contract_term_matches_dates", "the expiration date is the effective date plus the term",
         ("effective_date", "term_months", "expiration_date"), _c_contract_term_matches_dates,
         _b_contract_term_matches_dates),
    rule("obligations_within_term", "every obligation falls due within the contract term",
         ("obligations", "effective_date", "expiration_date"), _c_obligations_within_term, _b_obligations_within_term),
    rule("obligation_owed_by_role", "each duty is owed by the party whose role carries it",
         ("obligations", "contract_type"), _c_obligation_owed_by_role, _b_obligation_owed_by_role),
    rule("obligations_fit_contract", "every duty belongs to that kind of contract",
         ("obligations", "contract_type"), _c_obligations_fit_contract, _b_obligations_fit_contract),
    rule("installments_sum_to_price", "installments x installment amount = contract price",
         ("installments", "installment_amount", "total_value"), _c_installments_sum_to_price,
         _b_installments_sum_to_price),
    rule("claim_statute_matches_claim", "each claim cites the statute it arises under",
         ("claim_specs", "claims"), _c_claim_statute_matches_claim, _b_claim_statute_matches_claim),
    rule("claims_fit_case_type", "the claims are those the kind of case brings",
         ("case_type", "claims"), _c_claims_fit_case_type, _b_claims_fit_case_type),
    rule("statutes_match_forum", "statutes cited are the forum's law or the contract's chosen law",
         ("jurisdiction", "governing_law", "claims"), _c_statutes_match_forum, _b_statutes_match_forum),
    rule("damages_follow_findings", "only sustained claims carry damages",
         ("findings", "claim_damages"), _c_damages_follow_findings, _b_damages_follow_findings),
    rule("judgment_equals_damages", "the judgment amount is the sum of damages on sustained claims",
         ("claims", "judgment_amount"), _c_judgment_equals_damages, _b_judgment_equals_damages),
    rule("prevailing_party_matches_findings", "judgment is for the plaintiff exactly when a claim is sustained",
         ("findings", "prevailing_party"), _c_prevailing_party_matches_findings, _b_prevailing_party_matches_findings),
    rule("findings_fit_disposition", "a motion to dismiss dismisses claims; trials and summary judgment decide them",
         ("disposition_kind", "findings"), _c_findings_fit_disposition, _b_findings_fit_disposition),
    rule("remedy_matches_outcome", "the relief granted is relief on a sustained claim, or a defence judgment",
         ("claim_specs", "findings", "remedy"), _c_remedy_matches_outcome, _b_remedy_matches_outcome),
    rule("appellant_lost_below", "the appellant is the party that lost in the trial court",
         ("trial_winner", "appellant"), _c_appellant_lost_below, _b_appellant_lost_below),
    rule("outcome_matches_ruling", "affirmance leaves the trial winner prevailing; reversal the appellant",
         ("appeal_disposition", "trial_winner", "appeal_winner"), _c_outcome_matches_ruling, _b_outcome_matches_ruling),
    rule("standard_of_review_fits", "the standard of review is the one the system applies to that disposition",
         ("disposition_kind", "jurisdiction", "standard_of_review"), _c_standard_of_review_fits,
         _b_standard_of_review_fits),
    rule("case_name_matches_parties", "the caption names the plaintiff first, then the defendant",
         ("case_name", "plaintiff", "defendant"), _c_case_name_matches_parties, _b_case_name_matches_parties),
)
