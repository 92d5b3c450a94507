"""Knowledge tables of the legal domain: courts, hierarchies, reporters, statutes, precedents, contracts."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

FEDERAL = "federal"
NEW_YORK, CALIFORNIA, TEXAS = "New York", "California", "Texas"
SYSTEMS = (FEDERAL, NEW_YORK, CALIFORNIA, TEXAS)
STATES = (NEW_YORK, CALIFORNIA, TEXAS)
SYSTEM_WEIGHTS = (0.55, 0.17, 0.16, 0.12)

# Highest court of each system: petitions for review go there.
SUPREME_COURTS = {
    FEDERAL: "Supreme Court of the United States",
    NEW_YORK: "New York Court of Appeals",
    CALIFORNIA: "Supreme Court of California",
    TEXAS: "Supreme Court of Texas",
}

class AppellateCourt(NamedTuple):
    """An intermediate appellate court: its court system and how citations abbreviate it."""

    system: str
    abbreviation: str


class PrecedentRow(NamedTuple):
    """A binding precedent on the standard of review, cited at its real volume, reporter and page."""

    name: str
    volume: int
    reporter: str
    page: int
    parenthetical: str
    system: str
    dispositions: tuple[str, ...]  # disposition kinds whose review it governs


# Intermediate appellate courts by name.
APPELLATE_COURTS = {
    "U.S. Court of Appeals for the First Circuit": AppellateCourt(FEDERAL, "1st Cir."),
    "U.S. Court of Appeals for the Second Circuit": AppellateCourt(FEDERAL, "2d Cir."),
    "U.S. Court of Appeals for the Third Circuit": AppellateCourt(FEDERAL, "3d Cir."),
    "U.S. Court of Appeals for the Fourth Circuit": AppellateCourt(FEDERAL, "4th Cir."),
    "U.S. Court of Appeals for the Fifth Circuit": AppellateCourt(FEDERAL, "5th Cir."),
    "U.S. Court of Appeals for the Sixth Circuit": AppellateCourt(FEDERAL, "6th Cir."),
    "U.S. Court of Appeals for the Seventh Circuit": AppellateCourt(FEDERAL, "7th Cir."),
    "U.S. Court of Appeals for the Eighth Circuit": AppellateCourt(FEDERAL, "8th Cir."),
    "U.S. Court of Appeals for the Ninth Circuit": AppellateCourt(FEDERAL, "9th Cir."),
    "U.S. Court of Appeals for the Tenth Circuit": AppellateCourt(FEDERAL, "10th Cir."),
    "U.S. Court of Appeals for the Eleventh Circuit": AppellateCourt(FEDERAL, "11th Cir."),
    "U.S. Court of Appeals for the D.C. Circuit": AppellateCourt(FEDERAL, "D.C. Cir."),
    "Appellate Division, First Department": AppellateCourt(NEW_YORK, "N.Y. App. Div."),
    "Appellate Division, Second Department": AppellateCourt(NEW_YORK, "N.Y. App. Div."),
    "Appellate Division, Third Department": AppellateCourt(NEW_YORK, "N.Y. App. Div."),
    "Appellate Division, Fourth Department": AppellateCourt(NEW_YORK, "N.Y. App. Div."),
    "California Court of Appeal, First Appellate District": AppellateCourt(CALIFORNIA, "Cal. Ct. App."),
    "California Court of Appeal, Second Appellate District": AppellateCourt(CALIFORNIA, "Cal. Ct. App."),
    "California Court of Appeal, Third Appellate District": AppellateCourt(CALIFORNIA, "Cal. Ct. App."),
    "California Court of Appeal, Fourth Appellate District": AppellateCourt(CALIFORNIA, "Cal. Ct. App."),
    "Court of Appeals for the First District of Texas": AppellateCourt(TEXAS, "Tex. App."),
    "Court of Appeals for the Third District of Texas": AppellateCourt(TEXAS, "Tex. App."),
    "Court of Appeals for the Fourth District of Texas": AppellateCourt(TEXAS, "Tex. App."),
    "Court of Appeals for the Fifth District of Texas": AppellateCourt(TEXAS, "Tex. App."),
    "Court of Appeals for the Fourteenth District of Texas": AppellateCourt(TEXAS, "Tex. App."),
}

_CIRCUIT = {n.rsplit(" the ", 1)[1].replace(" Circuit", ""): n for n in APPELLATE_COURTS if "Circuit" in n}


class TrialCourt(NamedTuple):
    """A court of first instance: where it sits, where its appeals go, and how it numbers cases."""

    system: str
    abbreviation: str
    state: str
    appeals_to: tuple[str, ...]
    docket_format: str  # takes {yy}, {yyyy} and {seq}
    year_slice: tuple[int, int]  # where the filing year sits in the case number
    municipalities: tuple[str, ...]  # local governments within its territory


def _district(abbr: str, state: str, circuit: str, office: str, towns: tuple[str, ...]) -> TrialCourt:
    return TrialCourt(FEDERAL, abbr, state, (_CIRCUIT[circuit],), office + ":{yy}-cv-{seq:05d}", (2, 4), towns)


TRIAL_COURTS = {
    "U.S. District Court for the District of Massachusetts":
        _district("D. Mass.", "Massachusetts", "First", "1", ("City of Worcester", "City of Springfield")),
    "U.S. District Court for the Southern District of New York":
        _district("S.D.N.Y.", NEW_YORK, "Second", "1", ("City of Yonkers", "City of New Rochelle")),
    "U.S. District Court for the Eastern District of New York":
        _district("E.D.N.Y.", NEW_YORK, "Second", "2", ("County of Suffolk", "Town of Hempstead")),
    "U.S. District Court for the District of Connecticut":
        _district("D. Conn.", "Connecticut", "Second", "3", ("City of Hartford", "City of Stamford")),
    "U.S. District Court for the District of New Jersey":
        _district("D.N.J.", "New Jersey", "Third", "2", ("City of Newark", "City of Jersey City")),
    "U.S. District Court for the Eastern District of Pennsylvania":
        _district("E.D. Pa.", "Pennsylvania", "Third", "2", ("City of Philadelphia", "City of Allentown")),
    "U.S. District Court for the District of Delaware":
        _district("D. Del.", "Delaware", "Third", "1", ("City of Wilmington", "City of Dover")),
    "U.S. District Court for the District of Maryland":
        _district("D. Md.", "Maryland", "Fourth", "1", ("City of Annapolis", "City of Frederick")),
    "U.S. District Court for the Eastern District of Virginia":
        _district("E.D. Va.", "Virginia", "Fourth", "1", ("City of Norfolk", "City of Alexandria")),
    "U.S. District Court for the Southern District of Texas":
        _district("S.D. Tex.", TEXAS, "Fifth", "4", ("City of Houston", "City of Corpus Christi")),
    "U.S. District Court for the Northern District of Texas":
        _district("N.D. Tex.", TEXAS, "Fifth", "3", ("City of Dallas", "City of Fort Worth")),
    "U.S. District Court for the Eastern District of Louisiana":
        _district("E.D. La.", "Louisiana", "Fifth", "2", ("City of New Orleans", "City of Kenner")),
    "U.S. District Court for the Northern District of Ohio":
        _district("N.D. Ohio", "Ohio", "Sixth", "1", ("City of Cleveland", "City of Toledo")),
    "U.S. District Court for the Eastern District of Michigan":
        _district("E.D. Mich.", "Michigan", "Sixth", "2", ("City of Detroit", "City of Flint")),
    "U.S. District Court for the Northern District of Illinois":
        _district("N.D. Ill.", "Illinois", "Seventh", "1", ("City of Chicago", "City of Evanston")),
    "U.S. District Court for the District of Minnesota":
        _district("D. Minn.", "Minnesota", "Eighth", "0", ("City of Minneapolis", "City of Saint Paul")),
    "U.S. District Court for the Northern District of California":
        _district("N.D. Cal.", CALIFORNIA, "Ninth", "3", ("City of Oakland", "City of San Jose")),
    "U.S. District Court for the Central District of California":
        _district("C.D. Cal.", CALIFORNIA, "Ninth", "2", ("City of Los Angeles", "City of Long Beach")),
    "U.S. District Court for the Western District of Washington":
        _district("W.D. Wash.", "Washington", "Ninth", "2", ("City of Seattle", "City of Tacoma")),
    "U.S. District Court for the District of Colorado":
        _district("D. Colo.", "Colorado", "Tenth", "1", ("City of Aurora", "City of Boulder")),
    "U.S. District Court for the Northern District of Georgia":
        _district("N.D. Ga.", "Georgia", "Eleventh", "1", ("City of Atlanta", "City of Marietta")),
    "U.S. District Court for the Southern District of Florida":
        _district("S.D. Fla.", "Florida", "Eleventh", "1", ("City of Miami", "City of Fort Lauderdale")),
    "U.S. District Court for the District of Columbia":
        _district("D.D.C.", "District of Columbia", "D.C.", "1", ("District of Columbia",)),
    "Supreme Court of the State of New York, New York County": TrialCourt(
        NEW_YORK, "N.Y. Sup. Ct.", NEW_YORK, ("Appellate Division, First Department",), "65{seq:04d}/{yyyy}", (7, 11), ()),
    "Supreme Court of the State of New York, Kings County": TrialCourt(
        NEW_YORK, "N.Y. Sup. Ct.", NEW_YORK, ("Appellate Division, Second Department",), "51{seq:04d}/{yyyy}", (7, 11), ()),
    "Supreme Court of the State of New York, Albany County": TrialCourt(
        NEW_YORK, "N.Y. Sup. Ct.", NEW_YORK, ("Appellate Division, Third Department",), "90{seq:04d}/{yyyy}", (7, 11), ()),
    "Supreme Court of the State of New York, Erie County": TrialCourt(
        NEW_YORK, "N.Y. Sup. Ct.", NEW_YORK, ("Appellate Division, Fourth Department",), "80{seq:04d}/{yyyy}", (7, 11), ()),
    "Superior Court of California, County of Los Angeles": TrialCourt(
        CALIFORNIA, "Cal. Super. Ct.", CALIFORNIA, ("California Court of Appeal, Second Appellate District",),
        "{yy}STCV{seq:05d}", (0, 2), ()),
    "Superior Court of California, County of San Francisco": TrialCourt(
        CALIFORNIA, "Cal. Super. Ct.", CALIFORNIA, ("California Court of Appeal, First Appellate District",),
        "CGC-{yy}-5{seq:05d}", (4, 6), ()),
    "Superior Court of California, County of Sacramento": TrialCourt(
        CALIFORNIA, "Cal. Super. Ct.", CALIFORNIA, ("California Court of Appeal, Third Appellate District",),
        "34-{yyyy}-0023{seq:04d}", (3, 7), ()),
    "Superior Court of California, County of San Diego": TrialCourt(
        CALIFORNIA, "Cal. Super. Ct.", CALIFORNIA, ("California Court of Appeal, Fourth Appellate District",),
        "37-{yyyy}-000{seq:05d}", (3, 7), ()),
    "District Court of Harris County, Texas": TrialCourt(
        TEXAS, "Tex. Dist. Ct.", TEXAS,
        ("Court of Appeals for the First District of Texas", "Court of Appeals for the Fourteenth District of Texas"),
        "{yyyy}-{seq:05d}", (0, 4), ()),
    "District Court of Dallas County, Texas": TrialCourt(
        TEXAS, "Tex. Dist. Ct.", TEXAS, ("Court of Appeals for the Fifth District of Texas",),
        "DC-{yy}-{seq:05d}", (3, 5), ()),
    "District Court of Travis County, Texas": TrialCourt(
        TEXAS, "Tex. Dist. Ct.", TEXAS, ("Court of Appeals for the Third District of Texas",),
        "D-1-GN-{yy}-{seq:06d}", (7, 9), ()),
    "District Court of Bexar County, Texas": TrialCourt(
        TEXAS, "Tex. Dist. Ct.", TEXAS, ("Court of Appeals for the Fourth District of Texas",),
        "{yyyy}CI{seq:05d}", (0, 4), ()),
}
TRIAL_COURTS_BY_SYSTEM = {s: tuple(n for n, c in TRIAL_COURTS.items() if c.system == s) for s in SYSTEMS}
APPELLATE_BY_SYSTEM = {s: tuple(n for n, c in APPELLATE_COURTS.items() if c.system == s) for s in SYSTEMS}
MUNICIPALITIES = tuple(t for c in TRIAL_COURTS.values() for t in c.municipalities)

# Days to file a notice of appeal after judgment (FRAP 4(a)(1)(A); CPLR 5513(a); Cal. Rules of Court 8.104(a);
# Tex. R. App. P. 26.1), and the window (first, last day) for a petition for review after the appellate decision
# (Sup. Ct. R. 13.1; CPLR 5513(b); Cal. Rules of Court 8.264(b) and 8.500(e): only once the decision is final,
# 30 days after filing, and within 10 days of that; Tex. R. App. P. 53.7(a)).
APPEAL_DEADLINE_DAYS = {FEDERAL: 30, NEW_YORK: 30, CALIFORNIA: 60, TEXAS: 30}
REVIEW_WINDOW_DAYS = {FEDERAL: (1, 90), NEW_YORK: (1, 30), CALIFORNIA: (30, 40), TEXAS: (1, 45)}


class ReporterEra(NamedTuple):
    """A reporter of a system's intermediate appellate decisions, and the month its first decisions come from."""

    since: date
    reporter: str


class ReporterVolumes(NamedTuple):
    """How a reporter's volumes run, for plausible volume numbers: when volume 1 appeared, how fast, how far."""

    volume_one: date
    per_year: float
    last: int


# Reporters of each system's intermediate appellate decisions, in the order they took over.
APPELLATE_REPORTERS = {
    FEDERAL: (ReporterEra(date(1993, 1, 1), "F.3d"), ReporterEra(date(2021, 7, 1), "F.4th")),
    NEW_YORK: (ReporterEra(date(2003, 7, 1), "A.D.3d"),),
    CALIFORNIA: (ReporterEra(date(1991, 7, 1), "Cal. App. 4th"), ReporterEra(date(2016, 7, 1), "Cal. App. 5th")),
    TEXAS: (ReporterEra(date(1999, 7, 1), "S.W.3d"),),
}
REPORTER_VOLUMES = {
    "F.3d": ReporterVolumes(date(1993, 1, 1), 35.1, 999),
    "F.4th": ReporterVolumes(date(2021, 7, 1), 34.0, 10_000),
    "A.D.3d": ReporterVolumes(date(2003, 7, 1), 11.0, 10_000),
    "Cal. App. 4th": ReporterVolumes(date(1991, 7, 1), 9.9, 248),
    "Cal. App. 5th": ReporterVolumes(date(2016, 7, 1), 12.5, 10_000),
    "S.W.3d": ReporterVolumes(date(1999, 7, 1), 28.0, 10_000),
}
ALL_REPORTERS = ("F.3d", "F.4th", "F. Supp. 3d", "A.D.3d", "Misc. 3d", "Cal. App. 4th", "Cal. App. 5th", "S.W.3d", "U.S.")

# How the trial court disposed of the case, as each system names it.
DISPOSITION_KINDS = ("mtd", "sj", "bench", "jury")
DISPOSITION_WEIGHTS = (0.22, 0.36, 0.18, 0.24)
DISPOSITIONS = {
    FEDERAL: {"mtd": "motion to dismiss under Rule 12(b)(6)", "sj": "summary judgment", "bench": "bench trial",
              "jury": "jury trial"},
    NEW_YORK: {"mtd": "motion to dismiss under CPLR 3211", "sj": "summary judgment", "bench": "nonjury trial",
               "jury": "jury trial"},
    CALIFORNIA: {"mtd": "demurrer", "sj": "summary judgment", "bench": "bench trial", "jury": "jury trial"},
    TEXAS: {"mtd": "Rule 91a motion to dismiss", "sj": "summary judgment", "bench": "bench trial", "jury": "jury trial"},
}
DISPOSITION_KIND = {label: kind for table in DISPOSITIONS.values() for kind, label in table.items()}

STANDARDS_OF_REVIEW = {
    FEDERAL: {"mtd": "de novo", "sj": "de novo", "bench": "clear error", "jury": "sufficiency of the evidence"},
    NEW_YORK: {"mtd": "de novo", "sj": "de novo", "bench": "weight of the evidence", "jury": "legal sufficiency"},
    CALIFORNIA: {"mtd": "de novo", "sj": "de novo", "bench": "substantial evidence", "jury": "substantial evidence"},
    TEXAS: {"mtd": "de novo", "sj": "de novo", "bench": "legal and factual sufficiency",
            "jury": "legal and factual sufficiency"},
}
ALL_STANDARDS = ("de novo", "clear error", "abuse of discretion", "substantial evidence", "weight of the evidence",
                 "legal sufficiency", "sufficiency of the evidence", "legal and factual sufficiency")

# Binding precedents on the standard each disposition is reviewed under.
PRECEDENTS = (
    PrecedentRow("Bell Atlantic Corp. v. Twombly", 550, "U.S.", 544, "2007", FEDERAL, ("mtd",)),
    PrecedentRow("Ashcroft v. Iqbal", 556, "U.S.", 662, "2009", FEDERAL, ("mtd",)),
    PrecedentRow("Celotex Corp. v. Catrett", 477, "U.S.", 317, "1986", FEDERAL, ("sj",)),
    PrecedentRow("Anderson v. Liberty Lobby, Inc.", 477, "U.S.", 242, "1986", FEDERAL, ("sj",)),
    PrecedentRow("Anderson v. City of Bessemer City", 470, "U.S.", 564, "1985", FEDERAL, ("bench",)),
    PrecedentRow("Reeves v. Sanderson Plumbing Products, Inc.", 530, "U.S.", 133, "2000", FEDERAL, ("jury",)),
    PrecedentRow("Leon v. Martinez", 84, "N.Y.2d", 83, "1994", NEW_YORK, ("mtd",)),
    PrecedentRow("Alvarez v. Prospect Hospital", 68, "N.Y.2d", 320, "1986", NEW_YORK, ("sj",)),
    PrecedentRow("Zuckerman v. City of New York", 49, "N.Y.2d", 557, "1980", NEW_YORK, ("sj",)),
    PrecedentRow("N. Westchester Prof'l Park Assocs. v. Town of Bedford", 60, "N.Y.2d", 492, "1983", NEW_YORK, ("bench",)),
    PrecedentRow("Cohen v. Hallmark Cards", 45, "N.Y.2d", 493, "1978", NEW_YORK, ("jury",)),
    PrecedentRow("Blank v. Kirwan", 39, "Cal. 3d", 311, "1985", CALIFORNIA, ("mtd",)),
    PrecedentRow("Aguilar v. Atlantic Richfield Co.", 25, "Cal. 4th", 826, "2001", CALIFORNIA, ("sj",)),
    PrecedentRow("Crawford v. Southern Pacific Co.", 3, "Cal. 2d", 427, "1935", CALIFORNIA, ("bench", "jury")),
    PrecedentRow("Hauter v. Zogarts", 14, "Cal. 3d", 104, "1975", CALIFORNIA, ("jury",)),
    PrecedentRow("City of Dallas v. Sanchez", 494, "S.W.3d", 722, "Tex. 2016", TEXAS, ("mtd",)),
    PrecedentRow("Nixon v. Mr. Property Management Co.", 690, "S.W.2d", 546, "Tex. 1985", TEXAS, ("sj",)),
    PrecedentRow("City of Keller v. Wilson", 168, "S.W.3d", 802, "Tex. 2005", TEXAS, ("bench", "jury")),
    PrecedentRow("Anderson v. City of Seven Points", 806, "S.W.2d", 791, "Tex. 1991", TEXAS, ("bench",)),
)
PRECEDENT_BY_NAME = {p.name: p for p in PRECEDENTS}
PRECEDENTS_FOR = {(s, k): tuple(p for p in PRECEDENTS if p.system == s and k in p.dispositions)
                  for s in SYSTEMS for k in DISPOSITION_KINDS}

# Claim title -> statute it arises under, per system.
CLAIM_STATUTES = {
    "Unreasonable restraint of trade": {FEDERAL: "15 U.S.C. § 1"},
    "Exclusive dealing": {FEDERAL: "15 U.S.C. § 14"},
    "First Amendment retaliation": {FEDERAL: "42 U.S.C. § 1983"},
    "Equal protection violation": {FEDERAL: "42 U.S.C. § 1983"},
    "Employment discrimination": {FEDERAL: "42 U.S.C. § 2000e-2(a)", NEW_YORK: "N.Y. Exec. Law § 296(1)(a)",
                                  CALIFORNIA: "Cal. Gov't Code § 12940(a)", TEXAS: "Tex. Lab. Code Ann. § 21.051"},
    "Retaliation": {FEDERAL: "42 U.S.C. § 2000e-3(a)", NEW_YORK: "N.Y. Exec. Law § 296(7)",
                    CALIFORNIA: "Cal. Gov't Code § 12940(h)", TEXAS: "Tex. Lab. Code Ann. § 21.055"},
    "Securities fraud": {FEDERAL: "15 U.S.C. § 78j(b)"},
    "Control person liability": {FEDERAL: "15 U.S.C. § 78t(a)"},
    "Copyright infringement": {FEDERAL: "17 U.S.C. § 501"},
    "Trademark infringement": {FEDERAL: "15 U.S.C. § 1114(1)"},
    "False designation of origin": {FEDERAL: "15 U.S.C. § 1125(a)"},
    "Breach of implied warranty": {NEW_YORK: "N.Y. U.C.C. Law § 2-314", CALIFORNIA: "Cal. Com. Code § 2314",
                                   TEXAS: "Tex. Bus. & Com. Code Ann. § 2.314"},
    "Prompt payment violation": {NEW_YORK: "N.Y. Gen. Bus. Law § 756-a", CALIFORNIA: "Cal. Civ. Code § 8800",
                                 TEXAS: "Tex. Prop. Code Ann. § 28.002"},
    "Deceptive trade practices": {NEW_YORK: "N.Y. Gen. Bus. Law § 349", CALIFORNIA: "Cal. Bus. & Prof. Code § 17200",
                                  TEXAS: "Tex. Bus. & Com. Code Ann. § 17.50"},
    "Breach of contract": {NEW_YORK: "N.Y. C.P.L.R. § 5001(a)", CALIFORNIA: "Cal. Civ. Code § 3300",
                           TEXAS: "Tex. Civ. Prac. & Rem. Code Ann. § 38.001"},
}
CONTRACT_CLAIM = "Breach of contract"
# Relief a plaintiff gets on each claim it wins.
CLAIM_REMEDIES = {
    "Unreasonable restraint of trade": ("treble damages under 15 U.S.C. § 15(a)",),
    "Exclusive dealing": ("treble damages under 15 U.S.C. § 15(a)",),
    "First Amendment retaliation": ("compensatory damages and fees under 42 U.S.C. § 1988",),
    "Equal protection violation": ("compensatory damages and fees under 42 U.S.C. § 1988",),
    "Employment discrimination": ("back pay and compensatory damages", "back pay and front pay"),
    "Retaliation": ("back pay and compensatory damages", "back pay and front pay"),
    "Securities fraud": ("out-of-pocket damages with interest",),
    "Control person liability": ("out-of-pocket damages with interest",),
    "Copyright infringement": ("actual damages and profits under 17 U.S.C. § 504(b)",),
    "Trademark infringement": ("profits and damages under 15 U.S.C. § 1117(a)",),
    "False designation of origin": ("profits and damages under 15 U.S.C. § 1117(a)",),
    "Breach of implied warranty": ("cover damages and incidental damages",),
    "Prompt payment violation": ("unpaid contract balance with statutory interest",),
    "Deceptive trade practices": ("actual damages and restitution",),
    "Breach of contract": ("expectation damages with prejudgment interest", "contract damages with interest"),
}
STATUTE_SYSTEM = {statute: system for table in CLAIM_STATUTES.values() for system, statute in table.items()}


class CaseType(NamedTuple):
    """A kind of case: the court systems that hear it, the contract in dispute, the parties and the claims it brings."""

    systems: tuple[str, ...]
    contract: str  # title of the contract in dispute
    plaintiff_role: str  # the plaintiff's role in that contract
    plaintiff_kind: str  # individual, corporation or municipality
    defendant_kind: str
    claims: tuple[str, ...]  # the primary claims it brings


CASE_TYPES = {
    "antitrust": CaseType(
        systems=(FEDERAL,), contract="Distribution Agreement", plaintiff_role="Distributor",
        plaintiff_kind="corporation", defendant_kind="corporation",
        claims=("Unreasonable restraint of trade", "Exclusive dealing")),
    "civil rights": CaseType(
        systems=(FEDERAL,), contract="Municipal Services Agreement", plaintiff_role="Contractor",
        plaintiff_kind="corporation", defendant_kind="municipality",
        claims=("First Amendment retaliation", "Equal protection violation")),
    "employment discrimination": CaseType(
        systems=SYSTEMS, contract="Employment Agreement", plaintiff_role="Employee",
        plaintiff_kind="individual", defendant_kind="corporation",
        claims=("Employment discrimination", "Retaliation")),
    "securities fraud": CaseType(
        systems=(FEDERAL,), contract="Stock Purchase Agreement", plaintiff_role="Purchaser",
        plaintiff_kind="corporation", defendant_kind="corporation",
        claims=("Securities fraud", "Control person liability")),
    "copyright infringement": CaseType(
        systems=(FEDERAL,), contract="Software License Agreement", plaintiff_role="Licensor",
        plaintiff_kind="corporation", defendant_kind="corporation",
        claims=("Copyright infringement",)),
    "trademark infringement": CaseType(
        systems=(FEDERAL,), contract="Trademark License Agreement", plaintiff_role="Licensor",
        plaintiff_kind="corporation", defendant_kind="corporation",
        claims=("Trademark infringement", "False designation of origin")),
    "breach of contract": CaseType(
        systems=SYSTEMS, contract="Supply Agreement", plaintiff_role="Buyer",
        plaintiff_kind="corporation", defendant_kind="corporation",
        claims=("Breach of implied warranty",)),
    "construction payment": CaseType(
        systems=SYSTEMS, contract="Construction Contract", plaintiff_role="Contractor",
        plaintiff_kind="corporation", defendant_kind="corporation",
        claims=("Prompt payment violation",)),
    "deceptive trade practices": CaseType(
        systems=STATES, contract="Residential Solar Agreement", plaintiff_role="Homeowner",
        plaintiff_kind="individual", defendant_kind="corporation",
        claims=("Deceptive trade practices",)),
}
# Municipal-contract suits only where the city's own state law is modelled (NY, CA, TX districts).
CASE_TYPES_BY_COURT = {
    court: tuple(n for n, c in CASE_TYPES.items()
                 if spec.system in c.systems and (c.defendant_kind != "municipality" or spec.state in STATES))
    for court, spec in TRIAL_COURTS.items()
}
DEFENSE_REMEDIES = {
    "mtd": "dismissal of all claims with prejudice",
    "other": "judgment for defendant with costs",
    "Texas": "take-nothing judgment with costs",
}
DEFENSE_REMEDY_SET = frozenset(DEFENSE_REMEDIES.values())


class ContractType(NamedTuple):
    """A kind of contract: its two roles, the duties each owes, its possible terms and how it is paid."""

    roles: tuple[str, str]  # (party A, party B)
    terms: tuple[int, ...]  # possible terms in months, all >= 24
    period: int  # months between installments
    installment: tuple[int, int]  # range of one installment ($)
    duties: dict[str, tuple[str, ...]]  # role -> the first performances it owes


CONTRACTS = {
    "Distribution Agreement": ContractType(
        roles=("Manufacturer", "Distributor"), terms=(36, 48, 60), period=3, installment=(60_000, 900_000),
        duties={"Manufacturer": ("ship the first allocation of products at list price",
                                 "deliver the annual marketing plan for the territory"),
                "Distributor": ("purchase the first quarterly minimum volume",
                                "submit the first quarterly sell-through report")}),
    "Municipal Services Agreement": ContractType(
        roles=("City", "Contractor"), terms=(36, 48, 60), period=1, installment=(40_000, 400_000),
        duties={"City": ("pay the first approved monthly invoice", "issue the notice to proceed"),
                "Contractor": ("begin collection service on all routes", "deliver the first quarterly service report")}),
    "Employment Agreement": ContractType(
        roles=("Employer", "Employee"), terms=(24, 36), period=1, installment=(6_000, 30_000),
        duties={"Employer": ("pay the signing bonus", "grant the initial equity award"),
                "Employee": ("complete onboarding and compliance training", "relocate to the assigned office")}),
    "Stock Purchase Agreement": ContractType(
        roles=("Seller", "Purchaser"), terms=(24, 36), period=3, installment=(250_000, 5_000_000),
        duties={"Seller": ("deliver audited financial statements", "transfer the shares free of all liens"),
                "Purchaser": ("pay the first deferred purchase installment", "deposit the escrow amount")}),
    "Software License Agreement": ContractType(
        roles=("Licensor", "Licensee"), terms=(36, 48, 60), period=3, installment=(25_000, 600_000),
        duties={"Licensor": ("deliver the licensed software and keys", "release the first major update"),
                "Licensee": ("pay the first quarterly license fee", "certify the number of deployed seats")}),
    "Trademark License Agreement": ContractType(
        roles=("Licensor", "Licensee"), terms=(36, 48, 60), period=3, installment=(20_000, 400_000),
        duties={"Licensor": ("approve the first product samples", "record the license with the USPTO"),
                "Licensee": ("pay the first quarterly royalty", "launch the licensed product line")}),
    "Supply Agreement": ContractType(
        roles=("Supplier", "Buyer"), terms=(24, 36, 48), period=1, installment=(15_000, 500_000),
        duties={"Supplier": ("deliver the first lot of conforming goods", "provide the certificate of conformity"),
                "Buyer": ("pay the first monthly invoice", "issue the first binding purchase order")}),
    "Construction Contract": ContractType(
        roles=("Owner", "Contractor"), terms=(24, 36), period=1, installment=(50_000, 1_200_000),
        duties={"Owner": ("pay the first approved progress payment", "deliver the site free of obstructions"),
                "Contractor": ("achieve substantial completion of phase one", "furnish the payment and performance bonds")}),
    "Residential Solar Agreement": ContractType(
        roles=("Homeowner", "Installer"), terms=(24, 36, 48, 60), period=1, installment=(120, 480),
        duties={"Homeowner": ("pay the first monthly installment", "provide roof access for the site survey"),
                "Installer": ("obtain the utility interconnection approval", "complete installation of the solar array")}),
}
DUTY_ROLE = {(c, duty): role for c, spec in CONTRACTS.items() for role, duties in spec.duties.items() for duty in duties}
ALL_DUTIES = tuple(sorted({duty for (_, duty) in DUTY_ROLE}))

# Names: company stems, industry words per (contract, role), suffixes; people.
COMPANY_STEMS = (
    "Northwind", "Bluestone", "Harborview", "Redwood", "Summit", "Granite", "Cedar", "Ironbridge", "Lakeshore",
    "Pinnacle", "Meridian", "Silverline", "Keystone", "Crescent", "Oakridge", "Brightwater", "Highland",
    "Sterling", "Evergreen", "Clearwater", "Falcon", "Beacon", "Atlas", "Horizon", "Coastal", "Prairie",
    "Juniper", "Copperfield", "Westgate", "Riverbend", "Blackhawk", "Stonegate", "Tidewater", "Maplewood",
)
INDUSTRY = {
    ("Distribution Agreement", "Manufacturer"): ("Manufacturing", "Industries", "Instruments"),
    ("Distribution Agreement", "Distributor"): ("Distribution", "Wholesale", "Trading"),
    ("Municipal Services Agreement", "Contractor"): ("Waste Services", "Environmental Services", "Sanitation"),
    ("Employment Agreement", "Employer"): ("Technologies", "Health Systems", "Financial"),
    ("Stock Purchase Agreement", "Seller"): ("Holdings", "Capital Partners", "Group"),
    ("Stock Purchase Agreement", "Purchaser"): ("Ventures", "Acquisition", "Equity Partners"),
    ("Software License Agreement", "Licensor"): ("Software", "Labs", "Systems"),
    ("Software License Agreement", "Licensee"): ("Analytics", "Logistics", "Health"),
    ("Trademark License Agreement", "Licensor"): ("Brands", "Apparel", "Beverages"),
    ("Trademark License Agreement", "Licensee"): ("Retail", "Outfitters", "Consumer Products"),
    ("Supply Agreement", "Supplier"): ("Components", "Materials", "Foods"),
    ("Supply Agreement", "Buyer"): ("Grocers", "Manufacturing", "Industries"),
    ("Construction Contract", "Owner"): ("Properties", "Realty", "Development"),
    ("Construction Contract", "Contractor"): ("Builders", "Construction", "Contracting"),
    ("Residential Solar Agreement", "Installer"): ("Solar", "Energy", "Power"),
}
COMPANY_SUFFIXES = (", Inc.", " LLC", " Corp.")
FIRST_NAMES = (
    "Maria", "James", "Aisha", "Robert", "Mei", "David", "Sofia", "Michael", "Priya", "William", "Elena", "Daniel",
    "Fatima", "Thomas", "Grace", "Carlos", "Hannah", "Kevin", "Laura", "Andre", "Nicole", "Samuel", "Olivia", "Raj",
)
LAST_NAMES = (
    "Garcia", "Johnson", "Okafor", "Nguyen", "Patel", "Kowalski", "Rossi", "Chen", "Murphy", "Haddad", "Schmidt",
    "Alvarez", "Thompson", "Kim", "Novak", "Bennett", "Ramirez", "Fischer", "Walsh", "Delgado", "Hughes", "Sato",
)
MIDDLE_INITIALS = ("A.", "B.", "C.", "D.", "E.", "J.", "K.", "L.", "M.", "R.", "S.", "T.")
