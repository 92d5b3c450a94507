"""Pure functions of values that samplers, checks and renderers share: reporters, volumes, amounts, dates, rules."""

from __future__ import annotations

import random
from calendar import monthrange
from datetime import date
from functools import lru_cache
from typing import Any

from world_model.core import Constraint
from world_model.legal.record import LegalRecord
from world_model.legal.tables import (
    APPELLATE_REPORTERS,
    COMPANY_STEMS,
    COMPANY_SUFFIXES,
    DISPOSITION_WEIGHTS,
    FIRST_NAMES,
    INDUSTRY,
    LAST_NAMES,
    MIDDLE_INITIALS,
    REPORTER_VOLUMES,
    SYSTEM_WEIGHTS,
    TRIAL_COURTS,
    PrecedentRow,
)


# A check returns None when its rule holds, else a message or (message, field paths).
Result = str | tuple[str, tuple[str, ...]] | None


SYSTEM_CUM = tuple(sum(SYSTEM_WEIGHTS[: i + 1]) for i in range(len(SYSTEM_WEIGHTS)))
DISPOSITION_CUM = tuple(sum(DISPOSITION_WEIGHTS[: i + 1]) for i in range(len(DISPOSITION_WEIGHTS)))
# Contracts take effect on days 1-28 of a month from January 2013 to December 2018.
EFFECTIVE_DATES = tuple(date(y, m, day) for y in range(2013, 2019) for m in range(1, 13) for day in range(1, 29))
_DAYS_PER_YEAR = 365.25


# Day numbers of each system's reporter changes, and of each reporter's volume 1: expected_* run per record.
_REPORTER_ERAS = {system: tuple((era.since.toordinal(), era.reporter) for era in eras)
                  for system, eras in APPELLATE_REPORTERS.items()}
_VOLUME_ONE = {name: volumes.volume_one.toordinal() for name, volumes in REPORTER_VOLUMES.items()}


def pick(rng: random.Random, options: Any) -> Any:
    """One uniform draw from a sequence; much cheaper than Random.choice on the sampling hot path."""
    return options[int(rng.random() * len(options))]


def between(rng: random.Random, lo: int, hi: int) -> int:
    """A uniform integer in [lo, hi] from a single draw."""
    return lo + int(rng.random() * (hi - lo + 1))


def weighted(rng: random.Random, options: Any, cumulative: Any) -> Any:
    """A weighted draw over options given their cumulative weights, in one random() call."""
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
    return 1 + (decided.toordinal() - _VOLUME_ONE[reporter]) / _DAYS_PER_YEAR * REPORTER_VOLUMES[reporter].per_year


def system_of(record: LegalRecord) -> str | None:
    """The court system of the record's trial court, or None for an unknown court."""
    court = TRIAL_COURTS.get(record.trial_court)
    return court.system if court else None


def plaintiff_won(record: LegalRecord) -> bool:
    """Whether any claim was sustained: judgment then goes to the plaintiff."""
    for c in record.claims:
        if c.finding == "sustained":
            return True
    return False


def winner_loser(record: LegalRecord) -> tuple[str, str]:
    """(winner, loser) of the trial court's judgment."""
    p, d = record.plaintiff.name, record.defendant.name
    return (p, d) if plaintiff_won(record) else (d, p)


def docket_year(docket: str, court: str) -> int | None:
    """The filing year a case number carries in its court's format, or None if unreadable."""
    start, end = TRIAL_COURTS[court].year_slice
    digits = docket[start:end]
    if not digits.isdigit():
        return None
    return int(digits) + (2000 if len(digits) == 2 else 0)


def company_name(rng: random.Random, contract: str, role: str, avoid: str = "") -> str:
    """A company name fitting its role in the contract, not sharing a stem with `avoid`."""
    words = INDUSTRY[contract, role]
    while True:
        stem = pick(rng, COMPANY_STEMS)
        if not avoid.startswith(stem):
            return f"{stem} {pick(rng, words)}{pick(rng, COMPANY_SUFFIXES)}"


def person_name(rng: random.Random) -> str:
    """A full name with middle initial."""
    return f"{pick(rng, FIRST_NAMES)} {pick(rng, MIDDLE_INITIALS)} {pick(rng, LAST_NAMES)}"


def precedent_dict(p: PrecedentRow) -> dict:
    """The citation fields of a precedent row, as the record stores them."""
    return {"name": p.name, "volume": p.volume, "reporter": p.reporter, "page": p.page,
            "parenthetical": p.parenthetical}


def other(rng: random.Random, options: Any, current: Any) -> Any:
    """Any option but the current one: the value a breaker swaps in."""
    return rng.choice([o for o in options if o != current])


def rule(id_: str, description: str, nodes: tuple[str, ...], test: Any, breaker: Any) -> Constraint:
    """A legal constraint, its id namespaced to the domain."""
    return Constraint(f"legal.{id_}", description, nodes, test, breaker)
