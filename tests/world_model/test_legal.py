"""Legal domain: real courts, reporters and statutes (checked with eyecite), mechanisms, every rule, bad input."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pydantic
import pytest
from eyecite import get_citations
from eyecite.models import FullCaseCitation, FullLawCitation

import world_model
from world_model.legal import LegalRecord, amount_in_words, citation_name, expected_reporter
from world_model.legal.tables import (
    APPELLATE_COURTS,
    CASE_TYPES,
    CLAIM_REMEDIES,
    CLAIM_STATUTES,
    DISPOSITION_KIND,
    DISPOSITIONS,
    PRECEDENTS,
    STATUTE_SYSTEM,
    SUPREME_COURTS,
    SYSTEMS,
    TRIAL_COURTS,
)

LEGAL = world_model.domain("legal")
RECORDS = [LEGAL.sample(seed) for seed in range(400)]

# eyecite's court ids for the appellate citation parentheticals ("3d Cir." is Bluebook; courts-db keys "3rd Cir.").
EYECITE_COURT = {"1st Cir.": "ca1", "2d Cir.": "ca2", "3d Cir.": None, "4th Cir.": "ca4", "5th Cir.": "ca5",
                 "6th Cir.": "ca6", "7th Cir.": "ca7", "8th Cir.": "ca8", "9th Cir.": "ca9", "10th Cir.": "ca10",
                 "11th Cir.": "ca11", "D.C. Cir.": "cadc", "N.Y. App. Div.": "nyappdiv", "Cal. Ct. App.": "calctapp",
                 "Tex. App.": "texapp"}
# U.S.C. sections with a letter suffix that eyecite's law-citation patterns do not cover.
EYECITE_UNPARSED_STATUTES = {"42 U.S.C. § 2000e-2(a)", "42 U.S.C. § 2000e-3(a)", "15 U.S.C. § 78j(b)",
                             "15 U.S.C. § 78t(a)"}


def _full_case_citations(text: str) -> list[FullCaseCitation]:
    return [c for c in get_citations(text) if isinstance(c, FullCaseCitation)]


# -- independent validation with eyecite ------------------------------------------------------------------------

def _one_record_per_court_and_reporter() -> list[tuple[int, LegalRecord]]:
    """Cover every citation shape with few documents: eyecite takes ~50 ms a document."""
    picked: dict[tuple[str, str], tuple[int, LegalRecord]] = {}
    for seed, rec in enumerate(RECORDS):
        picked.setdefault((rec.appeal.citation.court, rec.appeal.citation.reporter), (seed, rec))
    return list(picked.values())


def test_every_rendered_case_citation_is_a_full_citation_for_eyecite():
    styles = sorted(LEGAL.styles)
    for i, (seed, rec) in enumerate(_one_record_per_court_and_reporter()):
        style = styles[i % len(styles)]
        doc = LEGAL.render(rec, seed, style=style)
        found = {(c.groups["volume"], c.groups["reporter"], c.groups["page"]): c for c in _full_case_citations(doc.text)}
        cite, prec = rec.appeal.citation, rec.appeal.precedent
        appeal = found.get((str(cite.volume), cite.reporter, str(cite.page)))
        assert appeal is not None, (style, doc.text)
        assert appeal.year == cite.year == rec.dates.decided.year
        assert appeal.metadata.court == EYECITE_COURT[rec.appeal.citation.court]
        assert (str(prec.volume), prec.reporter, str(prec.page)) in found, (style, doc.text)


def test_precedent_table_citations_parse_and_name_both_parties():
    for name, volume, reporter, page, parenthetical, system, _ in PRECEDENTS:
        (c,) = _full_case_citations(f"See {name}, {volume} {reporter} {page} ({parenthetical}).")
        assert (c.groups["volume"], c.groups["reporter"], c.groups["page"]) == (str(volume), reporter, str(page))
        assert c.year == int(parenthetical[-4:])
        assert c.metadata.plaintiff and c.metadata.defendant


def test_statutes_are_recognised_law_citations():
    for table in CLAIM_STATUTES.values():
        for statute in table.values():
            if statute in EYECITE_UNPARSED_STATUTES:
                assert re.fullmatch(r"\d+ U\.S\.C\. § \d+[a-z](-\d+)?\([a-z]\)", statute)
                continue
            laws = [c for c in get_citations(f"The claim arises under {statute}.") if isinstance(c, FullLawCitation)]
            assert len(laws) == 1, statute
            assert statute.split("§")[-1].strip().startswith(laws[0].groups["section"]), statute


# -- realistic mechanisms: known cases --------------------------------------------------------------------------

def test_court_hierarchies_follow_the_real_ones():
    assert TRIAL_COURTS["U.S. District Court for the Southern District of New York"].appeals_to == (
        "U.S. Court of Appeals for the Second Circuit",)
    assert TRIAL_COURTS["U.S. District Court for the Northern District of California"].appeals_to == (
        "U.S. Court of Appeals for the Ninth Circuit",)
    assert TRIAL_COURTS["U.S. District Court for the District of Columbia"].appeals_to == (
        "U.S. Court of Appeals for the D.C. Circuit",)
    assert TRIAL_COURTS["Supreme Court of the State of New York, New York County"].appeals_to == (
        "Appellate Division, First Department",)
    assert set(TRIAL_COURTS["District Court of Harris County, Texas"].appeals_to) == {
        "Court of Appeals for the First District of Texas", "Court of Appeals for the Fourteenth District of Texas"}
    assert SUPREME_COURTS["New York"] == "New York Court of Appeals"
    miscited = next(r for r in RECORDS if r.appeal.citation.court == "2d Cir.").model_copy(deep=True)
    miscited.appeal.citation.court = "9th Cir."
    assert [v.constraint_id for v in LEGAL.check(miscited)] == ["legal.appellate_court_above_trial"]
    for rec in RECORDS:
        system = TRIAL_COURTS[rec.trial_court].system
        assert APPELLATE_COURTS[rec.appellate_court][0] == system == rec.jurisdiction
        assert rec.supreme_court == SUPREME_COURTS[system]


def test_reporters_follow_court_and_date():
    assert expected_reporter("federal", date(2020, 11, 2)) == "F.3d"
    assert expected_reporter("federal", date(2022, 3, 1)) == "F.4th"
    assert expected_reporter("California", date(2015, 5, 1)) == "Cal. App. 4th"
    assert expected_reporter("California", date(2019, 5, 1)) == "Cal. App. 5th"
    assert expected_reporter("New York", date(2019, 5, 1)) == "A.D.3d"
    for rec in RECORDS:
        cite = rec.appeal.citation
        if cite.reporter == "F.4th":
            assert rec.dates.decided >= date(2021, 7, 1) and cite.volume <= 200
        if cite.reporter == "F.3d":
            assert cite.volume <= 999


def test_amounts_in_words():
    assert amount_in_words(1_250_000) == "One Million Two Hundred Fifty Thousand Dollars"
    assert amount_in_words(24_408_000) == "Twenty-Four Million Four Hundred Eight Thousand Dollars"
    assert amount_in_words(90_015) == "Ninety Thousand Fifteen Dollars"
    assert amount_in_words(1_000_000_000) == "One Billion Dollars"
    assert amount_in_words(12.5) == "Twelve Dollars and 50/100"


def test_captions_cite_surnames_of_people_and_full_names_of_organisations():
    assert citation_name("Maria L. Garcia", "individual") == "Garcia"
    assert citation_name("City of Oakland", "municipality") == "City of Oakland"
    for rec in RECORDS:
        first, second = rec.case_name.split(" v. ")
        assert rec.plaintiff.name.endswith(first) and rec.defendant.name.endswith(second)


def test_parties_fit_the_kind_of_case():
    for rec in RECORDS:
        case = CASE_TYPES[rec.case_type]
        assert (rec.plaintiff.kind, rec.defendant.kind) == (case.plaintiff_kind, case.defendant_kind)
        if rec.case_type == "civil rights":
            court = TRIAL_COURTS[rec.trial_court]
            assert rec.defendant.name in court.municipalities and rec.contract.governing_law == court.state
        assert {rec.contract.party_a, rec.contract.party_b} == {rec.plaintiff.name, rec.defendant.name}


def test_exclusively_federal_claims_stay_in_federal_court():
    exclusive = {"15 U.S.C. § 1", "15 U.S.C. § 14", "15 U.S.C. § 78j(b)", "15 U.S.C. § 78t(a)", "17 U.S.C. § 501"}
    for rec in RECORDS:
        if rec.jurisdiction != "federal":
            assert not exclusive & {c.statute for c in rec.claims}
        assert all(STATUTE_SYSTEM[c.statute] in (rec.jurisdiction, rec.contract.governing_law) for c in rec.claims)


def test_outcome_follows_findings_and_appeal():
    for rec in RECORDS:
        won = any(c.finding == "sustained" for c in rec.claims)
        winner, loser = (rec.plaintiff.name, rec.defendant.name) if won else (rec.defendant.name, rec.plaintiff.name)
        assert rec.appeal.appellant == loser
        assert rec.appeal.prevailing_party == (winner if rec.appeal.disposition == "Affirmed" else loser)
        assert rec.judgment_amount == pytest.approx(sum(c.damages for c in rec.claims if c.finding == "sustained"))
        if DISPOSITION_KIND[rec.disposition] == "mtd":
            assert not won and rec.remedy == "dismissal of all claims with prejudice"
        if won:
            (title,) = [c.title for c in rec.claims if c.finding == "sustained"]
            assert rec.remedy in CLAIM_REMEDIES[title]


def test_docket_numbers_use_each_courts_format_and_filing_year():
    formats = {
        "U.S. District": r"\d:(\d\d)-cv-\d{5}",
        "Supreme Court of the State of New York": r"\d{6}/(\d{4})",
        "County of Los Angeles": r"(\d\d)STCV\d{5}",
        "County of San Francisco": r"CGC-(\d\d)-\d{6}",
        "County of Sacramento": r"34-(\d{4})-\d{8}",
        "County of San Diego": r"37-(\d{4})-\d{8}",
        "Harris County": r"(\d{4})-\d{5}",
        "Dallas County": r"DC-(\d\d)-\d{5}",
        "Travis County": r"D-1-GN-(\d\d)-\d{6}",
        "Bexar County": r"(\d{4})CI\d{5}",
    }
    for rec in RECORDS:
        (pattern,) = [p for key, p in formats.items() if key in rec.trial_court]
        m = re.fullmatch(pattern, rec.docket_number)
        assert m, (rec.trial_court, rec.docket_number)
        assert int(m.group(1)) % 100 == rec.dates.filed.year % 100


def test_deadlines_and_dates_are_plausible():
    for rec in RECORDS:
        d, k = rec.dates, rec.contract
        assert k.effective_date <= d.breach < d.filed < d.hearing < d.judgment < d.notice_of_appeal
        assert d.notice_of_appeal < d.argued < d.decided < d.petition <= date(2026, 6, 30)
        limit = 60 if rec.jurisdiction == "California" else 30
        assert (d.notice_of_appeal - d.judgment).days <= limit


def test_california_petition_for_review_waits_for_finality():
    rec = next(r for r in RECORDS if r.jurisdiction == "California").model_copy(deep=True)
    assert 30 <= (rec.dates.petition - rec.dates.decided).days <= 40
    rec.dates.petition = rec.dates.decided + timedelta(days=10)
    assert [v.constraint_id for v in LEGAL.check(rec)] == ["legal.review_petition_timely"]


def test_every_system_case_type_and_disposition_is_sampled():
    assert {r.jurisdiction for r in RECORDS} == set(SYSTEMS)
    assert {r.case_type for r in RECORDS} == set(CASE_TYPES)
    assert {DISPOSITION_KIND[r.disposition] for r in RECORDS} == {"mtd", "sj", "bench", "jury"}
    assert {r.appeal.disposition for r in RECORDS} == {"Affirmed", "Reversed and remanded"}


def test_documents_name_at_least_two_entities():
    for seed, rec in enumerate(RECORDS[:60]):
        doc = LEGAL.render(rec, seed)
        assert sum(key in doc.spans for key in LEGAL.entities) >= 2


# -- every constraint: a hand-made change breaks it and check sees it -------------------------------------------

def _other_state(rec: LegalRecord) -> str:
    return next(s for s in ("New York", "California", "Texas") if s not in (rec.jurisdiction, rec.contract.governing_law))


def _flip_disposition_kind(rec: LegalRecord) -> None:
    table = DISPOSITIONS[rec.jurisdiction]
    rec.disposition = table["sj"] if DISPOSITION_KIND[rec.disposition] == "mtd" else table["mtd"]


DAY = timedelta(days=1)
ERIE = "Supreme Court of the State of New York, Erie County"

HAND_MADE = {
    "legal.trial_court_in_jurisdiction": lambda r: setattr(
        r, "jurisdiction", "Texas" if r.jurisdiction != "Texas" else "federal"),
    "legal.appellate_court_above_trial": lambda r: setattr(
        r, "appellate_court", "Appellate Division, First Department" if r.trial_court == ERIE
        else "Appellate Division, Fourth Department"),
    "legal.review_in_highest_court": lambda r: setattr(
        r, "supreme_court", "Supreme Court of Texas" if r.jurisdiction != "Texas" else "Supreme Court of California"),
    "legal.reporter_matches_court": lambda r: setattr(r.appeal.citation, "reporter", "F. Supp. 3d"),
    "legal.citation_year_matches_decision": lambda r: setattr(r.appeal.citation, "year", r.appeal.citation.year + 2),
    "legal.citation_volume_plausible": lambda r: setattr(r.appeal.citation, "volume", 5000),
    "legal.precedent_matches_disposition": lambda r: setattr(
        r.appeal.precedent, "name",
        "Celotex Corp. v. Catrett" if DISPOSITION_KIND[r.disposition] != "sj" else "Ashcroft v. Iqbal"),
    "legal.precedent_binds_court": lambda r: setattr(
        r.appeal.precedent, "name", "Leon v. Martinez" if r.jurisdiction != "New York" else "Blank v. Kirwan"),
    "legal.precedent_citation_accurate": lambda r: setattr(r.appeal.precedent, "page", r.appeal.precedent.page + 1),
    "legal.procedural_dates_ordered": lambda r: setattr(r.dates, "hearing", r.dates.filed - DAY),
    "legal.notice_of_appeal_timely": lambda r: setattr(r.dates, "notice_of_appeal", r.dates.judgment + 61 * DAY),
    "legal.review_petition_timely": lambda r: setattr(r.dates, "petition", r.dates.decided + 91 * DAY),
    "legal.breach_within_contract_term": lambda r: setattr(r.dates, "breach", r.contract.expiration_date + DAY),
    "legal.suit_filed_after_breach": lambda r: setattr(r.dates, "filed", r.dates.breach),
    "legal.docket_number_matches_filing_year": lambda r: setattr(r.dates, "filed", r.dates.filed - 800 * DAY),
    "legal.contract_parties_match_case": lambda r: setattr(r.contract, "party_b", "Unrelated Holdings LLC"),
    "legal.contract_amount_words_match": lambda r: setattr(r.contract, "value_words", "Seven Dollars"),
    "legal.contract_term_matches_dates": lambda r: setattr(r.contract, "expiration_date", r.contract.expiration_date + DAY),
    "legal.obligations_within_term": lambda r: setattr(
        r.contract.obligations[0], "due_date", r.contract.effective_date - DAY),
    "legal.obligation_owed_by_role": lambda r: setattr(r.contract.obligations[0], "obligor", "Guarantor"),
    "legal.obligations_fit_contract": lambda r: setattr(r.contract.obligations[1], "duty", "paint the lighthouse"),
    "legal.installments_sum_to_price": lambda r: setattr(r.contract, "installments", r.contract.installments + 1),
    "legal.claim_statute_matches_claim": lambda r: setattr(r.claims[0], "statute", "26 U.S.C. § 501(c)(3)"),
    "legal.claims_fit_case_type": lambda r: setattr(r.claims[0], "title", "Patent infringement"),
    "legal.statutes_match_forum": lambda r: setattr(
        r.claims[1], "statute", CLAIM_STATUTES["Breach of contract"][_other_state(r)]),
    "legal.damages_follow_findings": lambda r: setattr(r.claims[1], "damages", -5.0),
    "legal.judgment_equals_damages": lambda r: setattr(r, "judgment_amount", r.judgment_amount + 0.01),
    "legal.prevailing_party_matches_findings": lambda r: setattr(
        r, "prevailing_party", "Plaintiff" if r.prevailing_party == "Defendant" else "Defendant"),
    "legal.findings_fit_disposition": _flip_disposition_kind,
    "legal.remedy_matches_outcome": lambda r: setattr(r, "remedy", "a pony"),
    "legal.appellant_lost_below": lambda r: setattr(r.appeal, "appellant", "Someone Else"),
    "legal.outcome_matches_ruling": lambda r: setattr(
        r.appeal, "disposition", "Reversed and remanded" if r.appeal.disposition == "Affirmed" else "Affirmed"),
    "legal.standard_of_review_fits": lambda r: setattr(r.appeal, "standard_of_review", "abuse of discretion"),
    "legal.case_name_matches_parties": lambda r: setattr(r, "case_name", r.case_name + " et al."),
}


def test_every_constraint_has_a_hand_made_break():
    assert set(HAND_MADE) == {c.id for c in LEGAL.constraints}
    assert len(LEGAL.constraints) >= 20


@pytest.mark.parametrize("cid", sorted(HAND_MADE))
def test_hand_made_change_is_seen_by_check(cid):
    for rec in RECORDS[:25]:
        changed = rec.model_copy(deep=True)
        HAND_MADE[cid](changed)
        assert cid in {v.constraint_id for v in LEGAL.check(changed)}, (cid, rec.case_name)


@pytest.mark.parametrize("cid", sorted(HAND_MADE))
def test_violate_breaks_exactly_the_named_rule(cid):
    for seed, rec in enumerate(RECORDS[:60]):
        broken, got = LEGAL.violate(rec, seed, constraint=cid)
        assert got == cid
        assert {v.constraint_id for v in LEGAL.check(broken)} == {cid}
        assert LEGAL.render(broken, seed).text != LEGAL.render(rec, seed).text, (cid, seed)


def test_violations_name_the_fields_they_concern():
    rec = RECORDS[0].model_copy(deep=True)
    rec.contract.value_words = "Seven Dollars"
    (violation,) = LEGAL.check(rec)
    assert violation.constraint_id == "legal.contract_amount_words_match"
    assert "contract.value_words" in violation.fields


# -- bad input --------------------------------------------------------------------------------------------------

def _data() -> dict:
    return json.loads(RECORDS[0].model_dump_json())


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d["claims"][0].__setitem__("finding", "won"), "claims.0.finding"),
    (lambda d: d["dates"].__setitem__("filed", "last spring"), "dates.filed"),
    (lambda d: d["appeal"]["citation"].__setitem__("volume", "ninety"), "appeal.citation.volume"),
    (lambda d: d.__setitem__("prevailing_party", "Judge"), "prevailing_party"),
    (lambda d: d["contract"].pop("total_value"), "contract.total_value"),
    (lambda d: d["plaintiff"].__setitem__("kind", "robot"), "plaintiff.kind"),
])
def test_malformed_record_names_the_field(mutate, field):
    data = _data()
    mutate(data)
    with pytest.raises(pydantic.ValidationError) as info:
        LegalRecord.model_validate(data)
    assert field in str(info.value)


def test_check_refuses_a_foreign_record():
    class NotLegal(pydantic.BaseModel):
        case_name: str = "x"

    with pytest.raises(TypeError, match="legal"):
        LEGAL.check(NotLegal())
