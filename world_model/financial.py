"""Financial domain: an issuer's filing (identifiers, statements, ratios) and its treasury transfers."""

from __future__ import annotations

import math
import re
import random
import string
from bisect import bisect
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal
from functools import lru_cache
from operator import mul
from typing import Any, Callable, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field

from world_model.core import Constraint, Domain, TextBuilder, Variable, copy_record
from world_model.financial_data import (
    APPROVAL_LIMITS,
    AUDITORS,
    BANKS,
    CASH_METHOD,
    CASH_REPORT_THRESHOLD,
    CITIES,
    COUNTERPARTY_WORDS,
    COUNTRIES,
    CURRENT_RATIO,
    DEFAULT_YEAR_END_MONTHS,
    DIVIDEND_PAYOUT,
    EQUITY_RATIO,
    EURO_COUNTRIES,
    INTEREST_RATE,
    LISTED_FORMS,
    MONTH_ABBREVIATIONS,
    NAME_STEMS,
    PERIOD_END_YEARS,
    PRIVATE_FORMS,
    REPORT_KIND_WEIGHTS,
    REPORT_KINDS,
    SECTOR_WORDS,
    SECTORS,
    SHARE_CAPITAL_SHARE,
    TAX_RATE_BP,
    TRANSFER_METHODS,
    YEAR_END_MONTHS,
)
from world_model.registry import register

# --------------------------------------------------------------------------------------------
# Identifier arithmetic (ISO 6166 ISIN, ISO 17442 LEI, ISO 13616 IBAN and national BBAN checks)
# --------------------------------------------------------------------------------------------

_LETTER_VALUES = str.maketrans({c: str(i) for i, c in enumerate(string.ascii_uppercase, start=10)})
# Each digit to the digit sum of its double (Luhn), as a one-character translation table.
_DOUBLED = str.maketrans({str(d): str((2 * d) // 10 + (2 * d) % 10) for d in range(10)})
_WKN_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_SEDOL_CHARS = "0123456789BCDFGHJKLMNPQRSTVWXYZ"
_LEI_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_IT_ODD = (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23)
_IT_EVEN_VALUE = {**{str(d): d for d in range(10)}, **{c: i for i, c in enumerate(string.ascii_uppercase)}}
_IT_ODD_VALUE = {c: _IT_ODD[v] for c, v in _IT_EVEN_VALUE.items()}


def _is_code(s: str) -> bool:
    """Upper-case ASCII letters and digits only, so the check-digit arithmetic cannot fail."""
    return s.isascii() and s.isalnum() and s == s.upper()


def _luhn_digit(digits: str) -> str:
    """Luhn check digit of a digit string; digit sums via bytes, so the loop runs in C."""
    doubled, kept = digits[::-2].translate(_DOUBLED), digits[-2::-2]
    return str((48 * len(digits) - sum(doubled.encode()) - sum(kept.encode())) % 10)


def _mod97(s: str) -> int:
    return int(s.translate(_LETTER_VALUES)) % 97


def isin_check_digit(body: str) -> str:
    """Luhn check digit over the 11 leading characters, letters expanded to two digits (ISO 6166)."""
    return _luhn_digit(body.translate(_LETTER_VALUES))


def isin_is_valid(isin: str) -> bool:
    return (len(isin) == 12 and isin.isascii() and isin.isalnum() and isin.isupper() and isin[:2].isalpha()
            and isin[11] == isin_check_digit(isin[:11]))


def lei_check_digits(body: str) -> str:
    """ISO 17442 check digits: the 20 characters read as a number are 1 modulo 97."""
    return f"{98 - _mod97(body + '00'):02d}"


def lei_is_valid(lei: str) -> bool:
    return len(lei) == 20 and _is_code(lei) and lei[18:].isdigit() and _mod97(lei) == 1


def iban_check_digits(country: str, bban: str) -> str:
    return f"{98 - _mod97(bban + country + '00'):02d}"


def iban_checksum_ok(iban: str) -> bool:
    """ISO 13616 mod-97 over BBAN + country + check digits; 00, 01 and 99 are never issued."""
    return (len(iban) > 4 and _is_code(iban) and iban[2:4].isdigit() and iban[2:4] not in ("00", "01", "99")
            and _mod97(iban[4:] + iban[:4]) == 1)


_POW10 = tuple(10**n for n in range(16))


def _digits(rng: random.Random, n: int) -> str:
    """n random digits (n <= 15, within a double's exact integers)."""
    return str(int(rng.random() * _POW10[n])).zfill(n)


def _chars(rng: random.Random, alphabet: str, n: int) -> str:
    r, k = rng.random, len(alphabet)
    return "".join([alphabet[int(r() * k)] for _ in range(n)])


def _de_method00(body: str) -> str:
    """Bundesbank check method 00: weights 2,1 from the right, digit sums, 10-complement."""
    return _luhn_digit(body)


def _fr_rib_key(bank: str, branch: str, account: str) -> str:
    """Clé RIB: 97 minus (89 bank + 15 branch + 3 account) mod 97."""
    return f"{97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97:02d}"


def _es_keys(bank_branch: str, account: str) -> str:
    """Spanish CCC control digits (mod 11 with weights 1,2,4,8,5,10,9,7,3,6)."""
    weights = (1, 2, 4, 8, 5, 10, 9, 7, 3, 6)

    def one(value: str, w: tuple[int, ...]) -> str:
        d = 11 - sum(map(mul, map(int, value), w)) % 11
        return str({11: 0, 10: 1}.get(d, d))

    return one(bank_branch, weights[2:]) + one(account, weights)


def _it_cin(value: str) -> str:
    """Italian CIN letter over ABI + CAB + account: odd positions through the official table."""
    total = sum(map(_IT_ODD_VALUE.__getitem__, value[0::2])) + sum(map(_IT_EVEN_VALUE.__getitem__, value[1::2]))
    return string.ascii_uppercase[total % 26]


def _bban_de(rng: random.Random, bank: tuple[str, str, str]) -> str:
    body = _digits(rng, 9)
    return bank[0] + body + _de_method00(body)


def _bban_fr(rng: random.Random, bank: tuple[str, str, str]) -> str:
    branch, account = _digits(rng, 5), _digits(rng, 11)
    return bank[0] + branch + account + _fr_rib_key(bank[0], branch, account)


def _bban_gb(rng: random.Random, bank: tuple[str, str, str]) -> str:
    return bank[0] + bank[2] + _digits(rng, 4) + _digits(rng, 8)


def _bban_nl(rng: random.Random, bank: tuple[str, str, str]) -> str:
    return bank[0] + _digits(rng, 10)


def _bban_es(rng: random.Random, bank: tuple[str, str, str]) -> str:
    branch, account = _digits(rng, 4), _digits(rng, 10)
    return bank[0] + branch + _es_keys(bank[0] + branch, account) + account


def _bban_it(rng: random.Random, bank: tuple[str, str, str]) -> str:
    rest = bank[0] + _digits(rng, 5) + _digits(rng, 12)
    return _it_cin(rest) + rest


BBAN_BUILDERS: dict[str, Callable[[random.Random, tuple[str, str, str]], str]] = {
    "DE": _bban_de, "FR": _bban_fr, "GB": _bban_gb, "NL": _bban_nl, "ES": _bban_es, "IT": _bban_it,
}


def _national_ok_de(bban: str) -> bool:
    return _de_method00(bban[8:17]) == bban[17]


def _national_ok_fr(bban: str) -> bool:
    return bban[5:21].isdigit() and _fr_rib_key(bban[:5], bban[5:10], bban[10:21]) == bban[21:]


def _national_ok_es(bban: str) -> bool:
    return _es_keys(bban[:8], bban[10:]) == bban[8:10]


def _national_ok_it(bban: str) -> bool:
    return _it_cin(bban[1:]) == bban[0]


NATIONAL_CHECKS: dict[str, Callable[[str], bool]] = {
    "DE": _national_ok_de, "FR": _national_ok_fr, "ES": _national_ok_es, "IT": _national_ok_it,
}
_CLASS_PATTERNS = {"n": "[0-9]", "a": "[A-Z]", "c": "[A-Z0-9]"}
# Per country: the whole IBAN's registered layout as one compiled pattern, built from the table.
_IBAN_PATTERNS: dict[str, re.Pattern[str]] = {
    cc: re.compile(cc + "[0-9]{2}" + "".join(f"{_CLASS_PATTERNS[cls]}{{{n}}}" for _, n, cls in spec["bban"]))
    for cc, spec in COUNTRIES.items()
}
_BIC_BY_BANK: dict[tuple[str, str], str] = {(cc, b[0]): b[1] for cc, banks in BANKS.items() for b in banks}
_BANK_CODE_END: dict[str, int] = {"DE": 12, "FR": 9, "GB": 8, "NL": 8, "ES": 8, "IT": 10}
_BANK_CODE_START: dict[str, int] = {"IT": 5}


def iban_format_problem(iban: str) -> str | None:
    """Why an IBAN breaks its country's registered layout or national check digits, else None."""
    cc = iban[:2]
    pattern = _IBAN_PATTERNS.get(cc)
    if pattern is None:
        return f"IBAN {iban}: country {cc!r} is not a supported IBAN country"
    length = COUNTRIES[cc]["iban_length"]
    if len(iban) != length:
        return f"IBAN {iban}: {cc} IBANs have {length} characters, not {len(iban)}"
    if pattern.fullmatch(iban) is None:
        return f"IBAN {iban}: BBAN does not follow the {cc} structure"
    national = NATIONAL_CHECKS.get(cc)
    if national is not None and not national(iban[4:]):
        return f"IBAN {iban}: national check digits of the {cc} BBAN are wrong"
    return None


@lru_cache(maxsize=8192)
def iban_report(iban: str) -> tuple[bool, str | None, str | None]:
    """(mod-97 ok, layout problem, BIC of its bank): three rules read one IBAN, so work it out once."""
    return iban_checksum_ok(iban), iban_format_problem(iban), iban_bank_bic(iban)


def make_iban(rng: random.Random, country: str, bank: tuple[str, str, str]) -> str:
    bban = BBAN_BUILDERS[country](rng, bank)
    return country + iban_check_digits(country, bban) + bban


def iban_bank_bic(iban: str) -> str | None:
    """The BIC of the bank an IBAN's bank code names, from the bank table."""
    cc = iban[:2]
    return _BIC_BY_BANK.get((cc, iban[_BANK_CODE_START.get(cc, 4) : _BANK_CODE_END.get(cc, 8)]))


def _isin_nsin_de(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return "000A" + _chars(rng, _WKN_CHARS, 5)
    return "000" + _digits(rng, 6)


def _isin_nsin_gb(rng: random.Random) -> str:
    body = "B" + _chars(rng, _SEDOL_CHARS, 5)
    weights = (1, 3, 1, 7, 3, 9)
    total = sum(int(c, 36) * w for c, w in zip(body, weights))
    return "00" + body + str(-total % 10)


def _isin_nsin_es(rng: random.Random) -> str:
    return "01" + _digits(rng, 5) + _chars(rng, _WKN_CHARS, 1) + _digits(rng, 1)


NSIN_BUILDERS: dict[str, Callable[[random.Random], str]] = {
    "DE": _isin_nsin_de,
    "FR": lambda rng: _pick(rng, ("0000", "0010", "0013")) + _digits(rng, 5),
    "GB": _isin_nsin_gb,
    "NL": lambda rng: _pick(rng, ("0000", "0010", "0015")) + _digits(rng, 5),
    "ES": _isin_nsin_es,
    "IT": lambda rng: _pick(rng, ("000", "000", "004")) + _digits(rng, 6),
}

# --------------------------------------------------------------------------------------------
# Money, ratios and calendar arithmetic
# --------------------------------------------------------------------------------------------


_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)
_EXACT = Context(prec=40, rounding=ROUND_HALF_UP)


def to_money(cents: int) -> Decimal:
    """Exact amount with two decimal places (Decimal('1.00'), never Decimal('1'))."""
    return _CENT * cents


def cents(amount: Decimal) -> int:
    return int(amount * 100)


def ratio_value(num: Decimal, den: Decimal, percent: bool) -> Decimal:
    """num / den (times 100 for a percentage) rounded half away from zero to two decimals."""
    return _EXACT.divide(num * 100 if percent else num, den).quantize(_CENT, ROUND_HALF_UP)


def expected_tax(pre_tax: Decimal, rate_pct: Decimal) -> Decimal:
    """Tax at the statutory rate on a profit, none on a loss (no deferred tax in this model)."""
    if pre_tax <= 0:
        return _CENT * 0
    return _EXACT.divide(pre_tax * rate_pct, _HUNDRED).quantize(_CENT, ROUND_HALF_UP)


def month_end(year: int, month: int) -> date:
    """Last day of (year, month); month may run past 12 or below 1."""
    y, m = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(y + m // 12, m % 12 + 1, 1) - timedelta(days=1)


def month_start(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def expected_period_start(period_end: date, months: int) -> date:
    return month_start(period_end.year, period_end.month - months + 1)


def expected_fiscal_year(period_end: date, months: int) -> int:
    """The fiscal year is named after the calendar year in which it ends."""
    return month_end(period_end.year, period_end.month + 12 - months).year


def filing_deadline(period_end: date, kind: str) -> date:
    return month_end(period_end.year, period_end.month + REPORT_KINDS[kind][1])


def _loguniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


# --------------------------------------------------------------------------------------------
# Record
# --------------------------------------------------------------------------------------------

# Plain Decimal fields: amounts are built with two decimals by construction, and constrained Decimal
# validation costs twenty times more per field.
Money = Decimal
Ratio = Decimal
ReportKind = Literal["Annual Financial Report", "Half-Yearly Financial Report"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Company(_Model):
    name: str
    country: str
    city: str
    sector: str
    isin: str
    lei: str
    auditor: str


class Report(_Model):
    kind: ReportKind
    fiscal_year: int
    period_start: date
    period_end: date
    filing_date: date
    currency: str


class IncomeStatement(_Model):
    revenue: Money
    cost_of_sales: Money
    gross_profit: Money
    operating_expenses: Money
    operating_income: Money
    interest_expense: Money
    pre_tax_income: Money
    tax_rate_pct: Ratio
    income_tax: Money
    net_income: Money
    total_expenses: Money


class BalanceSheet(_Model):
    cash: Money
    receivables: Money
    inventory: Money
    current_assets: Money
    non_current_assets: Money
    total_assets: Money
    current_liabilities: Money
    long_term_debt: Money
    total_liabilities: Money
    share_capital: Money
    retained_earnings_opening: Money
    retained_earnings: Money
    total_equity: Money


class CashFlow(_Model):
    opening_cash: Money
    operating: Money
    investing: Money
    financing: Money
    dividends_paid: Money
    closing_cash: Money


class Ratios(_Model):
    gross_margin_pct: Ratio
    net_margin_pct: Ratio
    current_ratio: Ratio
    debt_to_equity: Ratio
    return_on_equity_pct: Ratio


class Account(_Model):
    holder: str
    iban: str
    bic: str


class Transaction(_Model):
    reference: str
    booking_date: date
    method: str
    direction: Literal["incoming", "outgoing"]
    payer: Account
    payee: Account
    amount_debited: Money
    amount_credited: Money
    cash_report_filed: bool
    dual_approval: bool


class Compliance(_Model):
    cash_report_threshold: Money
    dual_approval_limit: Money
    transactions_total: Money


class FinancialRecord(_Model):
    """One issuer's periodic report plus the treasury transfers booked in the period."""

    company: Company
    report: Report
    income: IncomeStatement
    balance: BalanceSheet
    cash_flow: CashFlow
    ratios: Ratios
    transactions: list[Transaction] = Field(min_length=1)
    compliance: Compliance


# --------------------------------------------------------------------------------------------
# Samplers: each sees only its parents' values (money in integer cents, ratios in hundredths)
# --------------------------------------------------------------------------------------------

_COUNTRY_CODES = tuple(COUNTRIES)
_COUNTRY_WEIGHTS = tuple(COUNTRIES[c]["weight"] for c in _COUNTRY_CODES)
_SECTOR_NAMES = tuple(SECTORS)
_KIND_NAMES = tuple(REPORT_KINDS)
TAX_RATES: dict[str, dict[int, Decimal]] = {cc: {y: to_money(bp) for y, bp in years.items()}
                                           for cc, years in TAX_RATE_BP.items()}
CASH_THRESHOLDS: dict[str, Decimal] = {cc: Decimal(units).quantize(_CENT) for cc, units in CASH_REPORT_THRESHOLD.items()}
_SECTOR_LOG_REVENUE = {s: (math.log(p["revenue_m"][0] * 1e8), math.log(p["revenue_m"][1] * 1e8))
                       for s, p in SECTORS.items()}
Values = Mapping[str, Any]


def _pick(rng: random.Random, options: tuple[str, ...]) -> str:
    return options[int(rng.random() * len(options))]


def _between(rng: random.Random, bounds: tuple[float, float]) -> float:
    return bounds[0] + (bounds[1] - bounds[0]) * rng.random()


def _share(rng: random.Random, sector: str, key: str) -> float:
    return _between(rng, SECTORS[sector][key])


def _weighted(options: tuple, weights: tuple[int, ...]) -> Callable[[random.Random], Any]:
    """A fast weighted draw (one random() call) over a fixed table."""
    cumulative, total = [], 0
    for w in weights:
        total += w
        cumulative.append(total)

    def draw(rng: random.Random) -> Any:
        return options[bisect(cumulative, rng.random() * total)]

    return draw


_draw_country = _weighted(_COUNTRY_CODES, _COUNTRY_WEIGHTS)
_draw_kind = _weighted(_KIND_NAMES, REPORT_KIND_WEIGHTS)
_draw_year_end = {cc: _weighted(*YEAR_END_MONTHS.get(cc, DEFAULT_YEAR_END_MONTHS)) for cc in COUNTRIES}


def _s_country(rng: random.Random, v: Values) -> str:
    return _draw_country(rng)


def _s_period_end(rng: random.Random, v: Values) -> date:
    fye = _draw_year_end[v["country"]](rng)
    year = _pick(rng, PERIOD_END_YEARS)
    months = REPORT_KINDS[v["report_kind"]][0]
    return month_end(year, (fye + months - 13) % 12 + 1)


def _s_filing_date(rng: random.Random, v: Values) -> date:
    end = v["period_end"]
    latest = (filing_deadline(end, v["report_kind"]) - end).days
    return end + timedelta(days=20 + int(rng.random() * (latest - 19)))


def _s_company_name(rng: random.Random, v: Values) -> str:
    c = v["country"]
    return f"{_pick(rng, NAME_STEMS[c])} {_pick(rng, SECTOR_WORDS[v['sector']][c])} {_pick(rng, LISTED_FORMS[c])}"


def _s_isin(rng: random.Random, v: Values) -> str:
    body = v["country"] + NSIN_BUILDERS[v["country"]](rng)
    return body + isin_check_digit(body)


def _s_lei(rng: random.Random, v: Values) -> str:
    body = COUNTRIES[v["country"]]["lou"] + _chars(rng, _LEI_CHARS, 12)
    return body + lei_check_digits(body)


def _s_annual_revenue(rng: random.Random, v: Values) -> int:
    lo, hi = _SECTOR_LOG_REVENUE[v["sector"]]
    return int(math.exp(lo + (hi - lo) * rng.random()))


def _s_revenue(rng: random.Random, v: Values) -> int:
    months = REPORT_KINDS[v["report_kind"]][0]
    seasonal = 1.0 if months == 12 else 0.9 + 0.2 * rng.random()
    return int(v["annual_revenue"] * months / 12 * seasonal)


def _s_inventory(rng: random.Random, v: Values) -> int:
    annual_cost = v["cost_of_sales"] * 12 // REPORT_KINDS[v["report_kind"]][0]
    return int(annual_cost * _share(rng, v["sector"], "dio") / 365)


def _s_current_liabilities(rng: random.Random, v: Values) -> int:
    liabilities = v["total_assets"] - v["total_equity"]
    return min(int(v["current_assets"] / _between(rng, CURRENT_RATIO)), int(liabilities * 0.8))


def _s_interest(rng: random.Random, v: Values) -> int:
    months = REPORT_KINDS[v["report_kind"]][0]
    return int(v["long_term_debt"] * _between(rng, INTEREST_RATE) * months / 12)


def _s_income_tax(rng: random.Random, v: Values) -> int:
    return cents(expected_tax(to_money(v["pre_tax_income"]), v["tax_rate"]))


def _s_dividends(rng: random.Random, v: Values) -> int:
    return int(v["net_income"] * _between(rng, DIVIDEND_PAYOUT)) if v["net_income"] > 0 else 0


def _s_operating_cash(rng: random.Random, v: Values) -> int:
    depreciation = v["revenue"] * (0.02 + 0.07 * rng.random())
    working_capital = v["revenue"] * (-0.03 + 0.07 * rng.random())
    return v["net_income"] + int(depreciation) - int(working_capital)


def _s_approval_limit(rng: random.Random, v: Values) -> int:
    target = v["annual_revenue"] * 0.0005 / 100
    fitting = [lim for lim in APPROVAL_LIMITS if lim <= target]
    return (fitting[-1] if fitting else APPROVAL_LIMITS[0]) * 100


def _s_company_account(rng: random.Random, v: Values) -> dict[str, str]:
    bank = BANKS[v["country"]][int(rng.random() * len(BANKS[v["country"]]))]
    return {"holder": v["company_name"], "iban": make_iban(rng, v["country"], bank), "bic": bank[1]}


def _counterparty_account(rng: random.Random, country: str) -> dict[str, str]:
    other = country if country == "GB" else _pick(rng, EURO_COUNTRIES)
    name = f"{_pick(rng, NAME_STEMS[other])} {_pick(rng, COUNTERPARTY_WORDS)} {_pick(rng, PRIVATE_FORMS[other])}"
    bank = BANKS[other][int(rng.random() * len(BANKS[other]))]
    return {"holder": name, "iban": make_iban(rng, other, bank), "bic": bank[1]}


def _one_transaction(rng: random.Random, v: Values, day: date) -> dict[str, Any]:
    incoming = rng.random() < 0.5
    cash = incoming and rng.random() < 0.35
    method = CASH_METHOD if cash else _pick(rng, TRANSFER_METHODS[v["currency"]])
    limit = v["approval_limit"]
    amount = int(_loguniform(rng, 1_500, 30_000) * 100) if cash else int(_loguniform(rng, limit / 8, limit * 6))
    other = _counterparty_account(rng, v["country"])
    ours = v["company_account"]
    return {
        "reference": f"TRX-{day.year}-{_digits(rng, 6)}",
        "booking_date": day,
        "method": method,
        "direction": "incoming" if incoming else "outgoing",
        "payer": other if incoming else ours,
        "payee": ours if incoming else other,
        "amount_debited": amount,
        "amount_credited": amount,
        "cash_report_filed": cash and _CENT * amount >= v["cash_threshold"],
        "dual_approval": not incoming and amount >= limit,
    }


def _s_transactions(rng: random.Random, v: Values) -> list[dict[str, Any]]:
    start, end = v["period_start"], v["period_end"]
    span = (end - start).days + 1
    days = sorted(start + timedelta(days=int(rng.random() * span)) for _ in range(1 if rng.random() < 0.5 else 2))
    return [_one_transaction(rng, v, day) for day in days]


def _var(name: str, type_: str, description: str, parents: tuple[str, ...],
         sample: Callable[[random.Random, Values], Any], mechanism: str = "") -> Variable:
    return Variable(name, type_, description, sample, parents, mechanism)


_MONEY = "money (cents)"
VARIABLES: tuple[Variable, ...] = (
    _var("country", "category", "issuer's country of domicile (ISO 3166)", (), _s_country),
    _var("sector", "category", "industry sector, drives margins and balance-sheet structure", (),
         lambda rng, v: _pick(rng, _SECTOR_NAMES)),
    _var("report_kind", "category", "annual or half-yearly financial report", (),
         lambda rng, v: _draw_kind(rng)),
    _var("currency", "category", "reporting currency", ("country",),
         lambda rng, v: COUNTRIES[v["country"]]["currency"], "domicile sets the functional currency"),
    _var("company_name", "str", "issuer name with its listed legal form", ("country", "sector"), _s_company_name,
         "legal form and naming follow the country"),
    _var("city", "str", "registered office", ("country",), lambda rng, v: _pick(rng, CITIES[v["country"]])),
    _var("isin", "code", "share ISIN with Luhn check digit", ("country",), _s_isin,
         "ISIN prefix is the issuer's country"),
    _var("lei", "code", "ISO 17442 legal entity identifier", ("country",), _s_lei, "issued by a local LOU"),
    _var("auditor", "str", "statutory auditor approved in the domicile", ("country",),
         lambda rng, v: _pick(rng, AUDITORS[v["country"]])),
    _var("period_end", "date", "last day of the reporting period", ("country", "report_kind"), _s_period_end,
         "fiscal year-end month depends on the country; half-year ends six months earlier"),
    _var("period_start", "date", "first day of the reporting period", ("period_end", "report_kind"),
         lambda rng, v: expected_period_start(v["period_end"], REPORT_KINDS[v["report_kind"]][0]),
         "period length equals the report kind's months"),
    _var("fiscal_year", "int", "fiscal year label", ("period_end", "report_kind"),
         lambda rng, v: expected_fiscal_year(v["period_end"], REPORT_KINDS[v["report_kind"]][0])),
    _var("filing_date", "date", "date the report was filed", ("period_end", "report_kind"), _s_filing_date,
         "filed after period end and within the transparency deadline"),
    _var("tax_rate", "ratio", "statutory tax rate (%)", ("country", "period_end"),
         lambda rng, v: TAX_RATES[v["country"]][v["period_end"].year], "country and year set the rate"),
    _var("annual_revenue", "latent money", "annualised revenue (latent size)", ("sector",), _s_annual_revenue),
    _var("revenue", _MONEY, "revenue of the period", ("annual_revenue", "report_kind"), _s_revenue),
    _var("cost_of_sales", _MONEY, "cost of sales", ("revenue", "sector"),
         lambda rng, v: v["revenue"] - int(v["revenue"] * _share(rng, v["sector"], "gross_margin")),
         "sector gross margin"),
    _var("gross_profit", _MONEY, "revenue less cost of sales", ("revenue", "cost_of_sales"),
         lambda rng, v: v["revenue"] - v["cost_of_sales"]),
    _var("operating_expenses", _MONEY, "selling, general, administrative and R&D expenses", ("revenue", "sector"),
         lambda rng, v: int(v["revenue"] * _share(rng, v["sector"], "opex"))),
    _var("operating_income", _MONEY, "gross profit less operating expenses", ("gross_profit", "operating_expenses"),
         lambda rng, v: v["gross_profit"] - v["operating_expenses"]),
    _var("receivables", _MONEY, "trade receivables", ("annual_revenue", "sector"),
         lambda rng, v: int(v["annual_revenue"] * _share(rng, v["sector"], "dso") / 365), "days sales outstanding"),
    _var("inventory", _MONEY, "inventories", ("cost_of_sales", "report_kind", "sector"), _s_inventory,
         "days inventory outstanding on annualised cost of sales"),
    _var("cash", _MONEY, "cash and equivalents at period end", ("annual_revenue", "sector"),
         lambda rng, v: int(v["annual_revenue"] * _share(rng, v["sector"], "cash"))),
    _var("current_assets", _MONEY, "cash + receivables + inventories", ("cash", "receivables", "inventory"),
         lambda rng, v: v["cash"] + v["receivables"] + v["inventory"]),
    _var("non_current_assets", _MONEY, "property, plant, equipment and intangibles", ("annual_revenue", "sector"),
         lambda rng, v: int(v["annual_revenue"] * _share(rng, v["sector"], "nca")), "sector asset intensity"),
    _var("total_assets", _MONEY, "current + non-current assets", ("current_assets", "non_current_assets"),
         lambda rng, v: v["current_assets"] + v["non_current_assets"]),
    _var("total_equity", _MONEY, "equity", ("total_assets",),
         lambda rng, v: int(v["total_assets"] * _between(rng, EQUITY_RATIO)),
         "equity ratio"),
    _var("share_capital", _MONEY, "subscribed capital (whole thousands)", ("total_equity",),
         lambda rng, v: int(v["total_equity"] * _between(rng, SHARE_CAPITAL_SHARE)) // 100_000 * 100_000),
    _var("retained_earnings", _MONEY, "closing retained earnings", ("total_equity", "share_capital"),
         lambda rng, v: v["total_equity"] - v["share_capital"]),
    _var("total_liabilities", _MONEY, "assets not financed by equity", ("total_assets", "total_equity"),
         lambda rng, v: v["total_assets"] - v["total_equity"], "assets = liabilities + equity"),
    _var("current_liabilities", _MONEY, "liabilities due within a year",
         ("current_assets", "total_assets", "total_equity"), _s_current_liabilities, "target current ratio"),
    _var("long_term_debt", _MONEY, "non-current liabilities", ("total_liabilities", "current_liabilities"),
         lambda rng, v: v["total_liabilities"] - v["current_liabilities"]),
    _var("interest_expense", _MONEY, "interest on long-term debt", ("long_term_debt", "report_kind"), _s_interest),
    _var("pre_tax_income", _MONEY, "operating income less interest", ("operating_income", "interest_expense"),
         lambda rng, v: v["operating_income"] - v["interest_expense"]),
    _var("income_tax", _MONEY, "income tax at the statutory rate", ("pre_tax_income", "tax_rate"), _s_income_tax),
    _var("net_income", _MONEY, "profit after tax", ("pre_tax_income", "income_tax"),
         lambda rng, v: v["pre_tax_income"] - v["income_tax"]),
    _var("total_expenses", _MONEY, "all expenses of the period",
         ("cost_of_sales", "operating_expenses", "interest_expense", "income_tax"),
         lambda rng, v: v["cost_of_sales"] + v["operating_expenses"] + v["interest_expense"] + v["income_tax"]),
    _var("dividends_paid", _MONEY, "dividends paid in the period", ("net_income",), _s_dividends, "payout ratio"),
    _var("retained_earnings_opening", _MONEY, "retained earnings at period start",
         ("retained_earnings", "net_income", "dividends_paid"),
         lambda rng, v: v["retained_earnings"] - v["net_income"] + v["dividends_paid"], "retained-earnings roll-forward"),
    _var("closing_cash", _MONEY, "cash at the end per cash-flow statement", ("cash",), lambda rng, v: v["cash"]),
    _var("opening_cash", _MONEY, "cash at period start", ("closing_cash",),
         lambda rng, v: int(v["closing_cash"] * (0.6 + 0.9 * rng.random()))),
    _var("operating_cash_flow", _MONEY, "cash from operations", ("net_income", "revenue"), _s_operating_cash,
         "net income plus depreciation less working-capital build-up"),
    _var("investing_cash_flow", _MONEY, "capital expenditure (negative)", ("revenue", "sector"),
         lambda rng, v: -int(v["revenue"] * _share(rng, v["sector"], "capex"))),
    _var("financing_cash_flow", _MONEY, "borrowing, repayments and dividends",
         ("opening_cash", "closing_cash", "operating_cash_flow", "investing_cash_flow"),
         lambda rng, v: v["closing_cash"] - v["opening_cash"] - v["operating_cash_flow"] - v["investing_cash_flow"],
         "opening cash + flows = closing cash"),
    _var("gross_margin", "ratio", "gross profit / revenue (%)", ("gross_profit", "revenue"),
         lambda rng, v: ratio_value(to_money(v["gross_profit"]), to_money(v["revenue"]), True)),
    _var("net_margin", "ratio", "net income / revenue (%)", ("net_income", "revenue"),
         lambda rng, v: ratio_value(to_money(v["net_income"]), to_money(v["revenue"]), True)),
    _var("current_ratio", "ratio", "current assets / current liabilities", ("current_assets", "current_liabilities"),
         lambda rng, v: ratio_value(to_money(v["current_assets"]), to_money(v["current_liabilities"]), False)),
    _var("debt_to_equity", "ratio", "long-term debt / equity", ("long_term_debt", "total_equity"),
         lambda rng, v: ratio_value(to_money(v["long_term_debt"]), to_money(v["total_equity"]), False)),
    _var("return_on_equity", "ratio", "net income / closing equity (%)", ("net_income", "total_equity"),
         lambda rng, v: ratio_value(to_money(v["net_income"]), to_money(v["total_equity"]), True)),
    _var("cash_threshold", _MONEY, "cash-transaction reporting threshold", ("country",),
         lambda rng, v: CASH_THRESHOLDS[v["country"]], "AML law of the domicile"),
    _var("approval_limit", _MONEY, "payments at or above need two approvers", ("annual_revenue",), _s_approval_limit,
         "internal-control limit scales with size"),
    _var("company_account", "account", "issuer's operating bank account", ("country", "company_name"),
         _s_company_account, "a domestic bank"),
    _var("transactions", "list", "treasury transfers booked in the period",
         ("company_account", "country", "currency", "period_start", "period_end", "cash_threshold",
          "approval_limit"), _s_transactions,
         "booked within the period, both legs carry the same amount, flags follow the thresholds"),
    _var("transactions_total", _MONEY, "sum of the transfers", ("transactions",),
         lambda rng, v: sum(t["amount_debited"] for t in v["transactions"])),
)


_INCOME_NODES = (("revenue", "revenue"), ("cost_of_sales", "cost_of_sales"), ("gross_profit", "gross_profit"),
                 ("operating_expenses", "operating_expenses"), ("operating_income", "operating_income"),
                 ("interest_expense", "interest_expense"), ("pre_tax_income", "pre_tax_income"),
                 ("income_tax", "income_tax"), ("net_income", "net_income"), ("total_expenses", "total_expenses"))
_BALANCE_NODES = (("cash", "cash"), ("receivables", "receivables"), ("inventory", "inventory"),
                  ("current_assets", "current_assets"), ("non_current_assets", "non_current_assets"),
                  ("total_assets", "total_assets"), ("current_liabilities", "current_liabilities"),
                  ("long_term_debt", "long_term_debt"), ("total_liabilities", "total_liabilities"),
                  ("share_capital", "share_capital"), ("retained_earnings_opening", "retained_earnings_opening"),
                  ("retained_earnings", "retained_earnings"), ("total_equity", "total_equity"))
_CASH_FLOW_NODES = (("opening_cash", "opening_cash"), ("operating", "operating_cash_flow"),
                    ("investing", "investing_cash_flow"), ("financing", "financing_cash_flow"),
                    ("dividends_paid", "dividends_paid"), ("closing_cash", "closing_cash"))
_RATIO_NODES = (("gross_margin_pct", "gross_margin"), ("net_margin_pct", "net_margin"),
                ("current_ratio", "current_ratio"), ("debt_to_equity", "debt_to_equity"),
                ("return_on_equity_pct", "return_on_equity"))


def _transaction_out(t: dict[str, Any]) -> dict[str, Any]:
    return {**t, "amount_debited": _CENT * t["amount_debited"], "amount_credited": _CENT * t["amount_credited"]}


def assemble_record(v: Values) -> FinancialRecord:
    """Shape the flat node values (money in cents) into the nested record, validated once."""
    income = {field: _CENT * v[node] for field, node in _INCOME_NODES}
    income["tax_rate_pct"] = v["tax_rate"]
    return FinancialRecord.model_validate({
        "company": {"name": v["company_name"], "country": v["country"], "city": v["city"], "sector": v["sector"],
                    "isin": v["isin"], "lei": v["lei"], "auditor": v["auditor"]},
        "report": {"kind": v["report_kind"], "fiscal_year": v["fiscal_year"], "period_start": v["period_start"],
                   "period_end": v["period_end"], "filing_date": v["filing_date"], "currency": v["currency"]},
        "income": income,
        "balance": {field: _CENT * v[node] for field, node in _BALANCE_NODES},
        "cash_flow": {field: _CENT * v[node] for field, node in _CASH_FLOW_NODES},
        "ratios": {field: v[node] for field, node in _RATIO_NODES},
        "transactions": [_transaction_out(t) for t in v["transactions"]],
        "compliance": {"cash_report_threshold": v["cash_threshold"], "dual_approval_limit": _CENT * v["approval_limit"],
                       "transactions_total": _CENT * v["transactions_total"]},
    })


# --------------------------------------------------------------------------------------------
# Constraints: checks read the record; breakers return a deep copy with one value made wrong
# --------------------------------------------------------------------------------------------

Result = "str | tuple[str, tuple[str, ...]] | None"
_AUDITOR_SETS = {cc: frozenset(names) for cc, names in AUDITORS.items()}
_OTHER_CURRENCIES = ("USD", "CHF", "EUR", "GBP")
_FEES = ("0.35", "1.50", "7.50", "12.00", "15.00", "25.00", "35.00")


def _mismatch(label: str, stated: Any, expected: Any, *paths: str) -> tuple[str, tuple[str, ...]] | None:
    return None if stated == expected else (f"{label}: stated {stated}, expected {expected}", paths)


def _months(r: FinancialRecord) -> int:
    return REPORT_KINDS[r.report.kind][0]


def _bad_legs(r: FinancialRecord, is_bad: Callable[[Account], bool]) -> list[tuple[str, Account]]:
    """(path, account) of every transfer leg the predicate rejects; paths are built only for those."""
    found = []
    for i, t in enumerate(r.transactions):
        if is_bad(t.payer):
            found.append((f"transactions[{i}].payer", t.payer))
        if is_bad(t.payee):
            found.append((f"transactions[{i}].payee", t.payee))
    return found


def _first_problem(found: list[tuple[str, str]]) -> tuple[str, tuple[str, ...]] | None:
    if not found:
        return None
    return "; ".join(msg for msg, _ in found), tuple(path for _, path in found)


def _pick_index(rng: random.Random, r: FinancialRecord) -> int:
    return rng.randrange(len(r.transactions))


def _pick_leg(rng: random.Random, r: FinancialRecord) -> Account:
    t = r.transactions[_pick_index(rng, r)]
    return t.payer if rng.random() < 0.5 else t.payee


def nudged(amount: Decimal, rng: random.Random, floor: int = 10_000) -> Decimal:
    """A plausible wrong amount: off by 1-12 % (at least `floor` cents), never the original, never below 0 from >= 0."""
    c = cents(amount)
    delta = max(floor, int(abs(c) * (0.01 + 0.11 * rng.random())))
    up = rng.random() < 0.5 or c - delta < 0 <= c
    return to_money(c + delta if up else c - delta)


def _copy(r: FinancialRecord) -> FinancialRecord:
    return copy_record(r)


def _nudge_field(section: str, field: str, floor: int = 10_000) -> Callable[[FinancialRecord, random.Random], FinancialRecord]:
    """Breaker that misstates one amount of one statement."""

    def breaker(r: FinancialRecord, rng: random.Random) -> FinancialRecord:
        out = _copy(r)
        part = getattr(out, section)
        setattr(part, field, nudged(getattr(part, field), rng, floor))
        return out

    return breaker


# -- identifiers ------------------------------------------------------------------------------

def _t_isin(r: FinancialRecord) -> Any:
    return None if isin_is_valid(r.company.isin) else (f"ISIN {r.company.isin} fails its Luhn check digit", ("company.isin",))


def _b_isin(r: FinancialRecord, rng: random.Random) -> FinancialRecord:
    out = _copy(r)
    isin = out.company.isin
    out.company.isin = isin[:11] + str((int(isin[11]) + rng.randint(1, 9)) % 10)
    return out


def _t_isin_country(r: FinancialRecord) -> Any:
    return _mismatch("ISIN country prefix vs domicile", r.company.isin[:2], r.company.country, "company.isin", "company.country")


def _b_isin_country(r: FinancialRecord, rng: random.Random) -> FinancialRecord:
    out = _copy(r)
    other = _pick(rng, tuple(c for c in _COUNTRY_CODES if c != out.company.country))
    body = other + out.company.isin[2:11]
    out.company.isin = body + isin_check_digit(body)
    return out


def _t_lei(r: FinancialRecord) -> Any:
    return None if lei_is_valid(r.company.lei) else (f"LEI {r.company.lei} fails its ISO 17442 mod-97 check", ("company.lei",))


def _shift_check_digits(cd: str, rng: random.Random) -> str:
    """Two check digits moved by 1-9, which a mod-97 check always notices."""
    n, k = int(cd), rng.randint(1, 9)
    return f"{n + k if n + k <= 99 else n - k:02d}"


def _b_lei(r: FinancialRecord, rng: random.Random) -> FinancialRecord:
    out = _copy(r)
    out.company.lei = out.company.lei[:18] + _shift_check_digits(out.company.lei[18:], rng)
    return out


def _t_auditor(r: FinancialRecord) -> Any:
    if r.company.auditor in _AUDITOR_SETS.get(r.company.country, ()):
        return None
    return (f"auditor {r.company.auditor!r} is not approved in {r.company.country}", ("company.auditor", "company.country"))


def _b_auditor(r: FinancialRecord, rng: random.Random) -> FinancialRecord:
    out = _copy(r)
    other = _pick(rng, tuple(c for c in _COUNTRY_CODES if c != out.company.country))
    out.company.auditor = _pick(rng, AUDITORS[other])
    return out


def _t_currency(r: FinancialRecord) -> Any:
    expected = COUNTRIES.get(r.company.country, {}).get("currency")
    return _mismatch("reporting currency vs domicile", r.report.currency, expected, "report.currency", "company.country")


def _b_currency(r: FinancialRecord, rng: random.Random) -> FinancialRecord:
    out = _copy(r)
    out.report.currency = _pick(rng, tuple(c for c in _OTHER_CURRENCIES if c != out.report.currency))
    return out


def _t_iban_checksum(r: FinancialRecord) -> Any:
    return _first_problem([(f"IBAN {a.iban} fails its mod-97 check digits", f"{p}.iban")
                           for p, a in _bad_legs(r, lambda a: not iban_report(a.iban)[0])])


def _b_iban_checksum(r: FinancialRecord, rng: random.Random) -> FinancialRecord:
    out = _copy(r)
    leg = _pick_leg(rng, out)
    leg.iban = leg.iban[:2] + _shift_check_digits(leg.iban[2:4], rng) + leg.iban[4:]
    return out


def _t_iban_format(r: FinancialRecord) -> Any:
    return _first_problem([(iban_report(a.iban)[1], f"{p}.iban") for p, a in _bad_legs(r, lambda a: iban_report(a.iban)[1])])


def _b_iban_format(r: FinancialRecord, rng: random.Random) -> FinancialRecord:
    """Drop one account digit (a classic keying slip) and re-seal the IBAN so only its layout is wrong."""
    out = _copy(r)
    leg = _pick_leg(rng, out)
    bban = leg.iban[4:]
    cut = len(bban) - rng.randint(1, 6)
    bban = bban[:cut] + bban[cut + 1 :]
    leg.iban = leg.iban[:2] + iban_check_digits(leg.iban[:2], bban) + bban
    return out


def _t_bic(r: FinancialRecord) -> Any:
    return _first_problem([(f"BIC {a.bic} is not the BIC of the bank in IBAN {a.iban}", f"{p}.bic")
                           for p, a in _bad_legs(r, lambda a: iban_report(a.iban)[2] != a.bic)])


def _b_bic(r: FinancialRecord, rng: random.Random) -> FinancialRecord:
    out = _copy(r)
    leg = _pick_leg(rng, out)
    leg.bic = _pick(rng, tuple(b[1] for b in BANKS[leg.iban[:2]] if b[1] != leg.bic))
    return out


# -- calendar -------------------------------------------------------------------------------

def _t_fiscal_year(r: FinancialRecord) -> Any:
    return _mismatch("fiscal year vs period end", r.report.fiscal_year,
                     expected_fiscal_year(r.report.period_end, _months(r)), "report.fiscal_year", "report.period_end")


def _b_fiscal_year(r: FinancialRecord, rng: random.Random) -> FinancialRecord:
    out = _copy(r)
    out.report.fiscal_year += rng.choice((-1, 1))
    return out


def _t_period_length(r: FinancialRecord) -> Any:
    end = r.report.period_end
    if (end + timedelta(days=1)).day != 1:
        return (f"period end {end} is not a month end", ("report.period_end",))
    return _mismatch(f"period start of a {_months(r)}-month report", r.report.period_start,
                     expected_period_start(end, _months(r)), "report.period_start", "report.period_end")


def _b_period_length(r: FinancialRecord, rng: random.Random) -> FinancialRecord:
    out = _copy(r)
    start = out.report.period_start
    out.report.period_start = month_start(start.year, start.month - rng.randint(1, 3))
    return out


def _t_filing_after(r: FinancialRecord) -> Any:
    if r.report.filing_date > r.report.period_end:
        return None
    return (f"filed {r.report.filing_date}, not after period end {r.report.period_end}",
            ("report.filing_date", "report.period_end"))


def _b_filing_after(r: FinancialRecord, rng: random.Random) -> FinancialRecord:
    """Mirror the filing date to before the period end (dates read in the wrong order)."""
    out = _copy(r)
    rep = out.report
    rep.filing_date = rep.period_end - (rep.filing_date - rep.period_end)
    return out


def _t_deadline(r: FinancialRecord) -> Any:
    deadline = filing_deadline(r.report.period_end, r.report.kind)
    if r.report.filing_date <= deadline:
        return None
    return (f"filed {r.report.filing_date}, after the {deadline} deadline", ("report.filing_date", "report.kind"))


def _b_deadline(r: FinancialRecord, rng: random.Random) -> FinancialRecord:
    out = _copy(r)
    out.report.filing_date = filing_deadline(out.report.period_end, out.report.kind) + timedelta(days=rng.randint(1, 60))
    return out


def _t_in_period(r: FinancialRecord) -> Any:
    start, end = r.report.period_start, r.report.period_end
    return _first_problem([(f"transfer booked {t.booking_date}, outside {start}..{end}", f"transactions[{i}].booking_date")
                           for i, t in enumerate(r.transactions) if not start <= t.booking_date <= end])


def _b_in_period(r: FinancialRecord, rng: random.Random) -> FinancialRecord:
    out = _copy(r)
    t = out.transactions[_pick_index(rng, out)]
    days = timedelta(days=rng.randint(1, 45))
    t.booking_date = out.report.period_end + days if rng.random() < 0.5 else out.report.period_start - days
    return out


# -- statements -----------------------------------------------------------------------------

def _t_gross(r: FinancialRecord) -> Any:
    i = r.income
    return _mismatch("gross profit = revenue - cost of sales", i.gross_profit, i.revenue - i.cost_of_sales,
                     "income.gross_profit", "income.revenue", "income.cost_of_sales")


def _t_operating(r: FinancialRecord) -> Any:
    i = r.income
    return _mismatch("operating income = gross profit - operating expenses", i.operating_income,
                     i.gross_profit - i.operating_expenses,
                     "income.operating_income", "income.gross_profit", "income.operating_expenses")


def _t_pre_tax(r: FinancialRecord) -> Any:
    i = r.income
    return _mismatch("pre-tax income = operating income - interest", i.pre_tax_income,
                     i.operating_income - i.interest_expense,
                     "income.pre_tax_income", "income.operating_income", "income.interest_expense")


def _t_net(r: FinancialRecord) -> Any:
    i = r.income
    return _mismatch("net income = pre-tax income - income tax", i.net_income, i.pre_tax_income - i.income_tax,
                     "income.net_income", "income.pre_tax_income", "income.income_tax")


def _t_expenses(r: FinancialRecord) -> Any:
    i = r.income
    total = i.cost_of_sales + i.operating_expenses + i.interest_expense + i.income_tax
    return (_mismatch("total expenses = cost of sales + opex + interest + tax", i.total_expenses, total,
                      "income.total_expenses", "income.cost_of_sales", "income.operating_expenses",
                      "income.interest_expense", "income.income_tax")
            or _mismatch("net income = revenue - total expenses", i.net_income, i.revenue - i.total_expenses,
                         "income.net_income", "income.revenue", "income.total_expenses"))


def _t_tax(r: FinancialRecord) -> Any:
    i = r.income
    statutory = TAX_RATES.get(r.company.country, {}).get(r.report.period_end.year)
    if i.tax_rate_pct != statutory:
        return (f"tax rate {i.tax_rate_pct}% is not the {r.company.country} statutory rate for "
                f"{r.report.period_end.year}", ("income.tax_rate_pct", "company.country"))
    return _mismatch("income tax at the statutory rate", i.income_tax, expected_tax(i.pre_tax_income, statutory),
                     "income.income_tax", "income.pre_tax_income", "income.tax_rate_pct")


def _b_tax_rate(r: FinancialRecord, rng: random.Random) -> FinancialRecord:
    out = _copy(r)
    out.income.tax_rate_pct = nudged(out.income.tax_rate_pct, rng, floor=50)
    return out


def _t_current_assets(r: FinancialRecord) -> Any:
    b = r.balance
    return _mismatch("current assets = cash + receivables + inventories", b.current_assets,
                     b.cash + b.receivables + b.inventory,
                     "balance.current_assets", "balance.cash", "balance.receivables", "balance.inventory")


def _t_total_assets(r: FinancialRecord) -> Any:
    b = r.balance
    return _mismatch("total assets = current + non-current assets", b.total_assets,
                     b.current_assets + b.non_current_assets,
                     "balance.total_assets", "balance.current_assets", "balance.non_current_assets")


def _t_total_liabilities(r: FinancialRecord) -> Any:
    b = r.balance
    return _mismatch("total liabilities = current liabilities + long-term debt", b.total_liabilities,
                     b.current_liabilities + b.long_term_debt,
                     "balance.total_liabilities", "balance.current_liabilities", "balance.long_term_debt")


def _t_equity(r: FinancialRecord) -> Any:
    b = r.balance
    return _mismatch("total equity = share capital + retained earnings", b.total_equity,
                     b.share_capital + b.retained_earnings,
                     "balance.total_equity", "balance.share_capital", "balance.retained_earnings")


def _t_balance(r: FinancialRecord) -> Any:
    b = r.balance
    return _mismatch("total assets = total liabilities + total equity", b.total_assets,
                     b.total_liabilities + b.total_equity,
                     "balance.total_assets", "balance.total_liabilities", "balance.total_equity")


def _t_rollforward(r: FinancialRecord) -> Any:
    b = r.balance
    return _mismatch("closing retained earnings = opening + net income - dividends", b.retained_earnings,
                     b.retained_earnings_opening + r.income.net_income - r.cash_flow.dividends_paid,
                     "balance.retained_earnings", "balance.retained_earnings_opening", "income.net_income",
                     "cash_flow.dividends_paid")


def _t_cash_flow(r: FinancialRecord) -> Any:
    f = r.cash_flow
    return _mismatch("closing cash = opening cash + operating + investing + financing", f.closing_cash,
                     f.opening_cash + f.operating + f.investing + f.financing,
                     "cash_flow.closing_cash", "cash_flow.opening_cash", "cash_flow.operating",
                     "cash_flow.investing", "cash_flow.financing")


def _t_cash_match(r: FinancialRecord) -> Any:
    return _mismatch("balance-sheet cash vs cash-flow closing cash", r.balance.cash, r.cash_flow.closing_cash,
                     "balance.cash", "cash_flow.closing_cash")


def _ratio_check(label: str, field: str, num: Callable[[FinancialRecord], Decimal],
                 den: Callable[[FinancialRecord], Decimal], percent: bool, *paths: str) -> Callable[[FinancialRecord], Any]:
    """Check that a stated ratio equals its definition, rounded to two decimals."""

    def test(r: FinancialRecord) -> Any:
        d = den(r)
        if not d:
            return (f"{label}: denominator is zero", (f"ratios.{field}", *paths))
        return _mismatch(label, getattr(r.ratios, field), ratio_value(num(r), d, percent), f"ratios.{field}", *paths)

    return test


def _ratio_breaker(field: str) -> Callable[[FinancialRecord, random.Random], FinancialRecord]:
    def breaker(r: FinancialRecord, rng: random.Random) -> FinancialRecord:
        out = _copy(r)
        setattr(out.ratios, field, nudged(getattr(out.ratios, field), rng, floor=5))
        return out

    return breaker


# -- transfers ------------------------------------------------------------------------------

def _t_conserve(r: FinancialRecord) -> Any:
    return _first_problem([(f"transfer {t.reference}: debited {t.amount_debited} but credited {t.amount_credited}",
                            f"transactions[{i}].amount_credited")
                           for i, t in enumerate(r.transactions) if t.amount_debited != t.amount_credited])


def _b_conserve(r: FinancialRecord, rng: random.Random) -> FinancialRecord:
    out = _copy(r)
    t = out.transactions[_pick_index(rng, out)]
    t.amount_credited = t.amount_debited - Decimal(_pick(rng, _FEES))
    return out


def _t_total(r: FinancialRecord) -> Any:
    return _mismatch("transfers total vs the listed transfers", r.compliance.transactions_total,
                     sum((t.amount_debited for t in r.transactions), Decimal("0.00")),
                     "compliance.transactions_total")


def _b_total(r: FinancialRecord, rng: random.Random) -> FinancialRecord:
    out = _copy(r)
    out.compliance.transactions_total = nudged(out.compliance.transactions_total, rng)
    return out


def _t_cash_flag(r: FinancialRecord) -> Any:
    limit = r.compliance.cash_report_threshold
    if limit != CASH_THRESHOLDS.get(r.company.country):
        return (f"cash reporting threshold {limit} is not the {r.company.country} threshold",
                ("compliance.cash_report_threshold",))
    return _first_problem([
        (f"transfer {t.reference}: cash report filed = {t.cash_report_filed}, rule says {not t.cash_report_filed}",
         f"transactions[{i}].cash_report_filed")
        for i, t in enumerate(r.transactions)
        if t.cash_report_filed != (t.method == CASH_METHOD and t.amount_debited >= limit)])


def _t_dual(r: FinancialRecord) -> Any:
    limit = r.compliance.dual_approval_limit
    return _first_problem([
        (f"transfer {t.reference}: dual approval = {t.dual_approval}, limit {limit} says {not t.dual_approval}",
         f"transactions[{i}].dual_approval")
        for i, t in enumerate(r.transactions)
        if t.dual_approval != (t.direction == "outgoing" and t.amount_debited >= limit)])


def _flag_breaker(field: str) -> Callable[[FinancialRecord, random.Random], FinancialRecord]:
    def breaker(r: FinancialRecord, rng: random.Random) -> FinancialRecord:
        out = _copy(r)
        t = out.transactions[_pick_index(rng, out)]
        setattr(t, field, not getattr(t, field))
        return out

    return breaker


def _t_distinct(r: FinancialRecord) -> Any:
    return _first_problem([(f"transfer {t.reference} pays IBAN {t.payer.iban} into itself", f"transactions[{i}].payee.iban")
                           for i, t in enumerate(r.transactions) if t.payer.iban == t.payee.iban])


def _b_distinct(r: FinancialRecord, rng: random.Random) -> FinancialRecord:
    """The payee's bank details copied from the payer's (a copy-paste slip)."""
    out = _copy(r)
    t = out.transactions[_pick_index(rng, out)]
    t.payee.iban, t.payee.bic = t.payer.iban, t.payer.bic
    return out


def _company_leg(t: Transaction) -> tuple[str, Account]:
    return ("payee", t.payee) if t.direction == "incoming" else ("payer", t.payer)


def _t_party(r: FinancialRecord) -> Any:
    found = []
    for i, t in enumerate(r.transactions):
        leg, account = _company_leg(t)
        if account.holder != r.company.name:
            found.append((f"{t.direction} transfer {t.reference}: {leg} is {account.holder!r}, not the company",
                          f"transactions[{i}].{leg}.holder"))
    return _first_problem(found)


def _b_party(r: FinancialRecord, rng: random.Random) -> FinancialRecord:
    out = _copy(r)
    t = out.transactions[_pick_index(rng, out)]
    leg, account = _company_leg(t)
    account.holder = (t.payer if leg == "payee" else t.payee).holder
    return out


def _rule(name: str, description: str, nodes: tuple[str, ...], test: Callable[[FinancialRecord], Any],
          breaker: Callable[[FinancialRecord, random.Random], FinancialRecord]) -> Constraint:
    return Constraint(f"financial.{name}", description, nodes, test, breaker)


CONSTRAINTS: tuple[Constraint, ...] = (
    _rule("isin_check_digit", "the ISIN's last digit is its Luhn check digit (ISO 6166)", ("isin",), _t_isin, _b_isin),
    _rule("isin_country_matches_domicile", "the ISIN prefix is the issuer's country of domicile",
          ("isin", "country"), _t_isin_country, _b_isin_country),
    _rule("lei_check_digits", "the LEI's last two digits make it 1 modulo 97 (ISO 17442)", ("lei",), _t_lei, _b_lei),
    _rule("auditor_registered_in_domicile", "the statutory auditor is a firm approved in the issuer's country",
          ("auditor", "country"), _t_auditor, _b_auditor),
    _rule("reporting_currency_matches_domicile", "the report is presented in the domicile's currency",
          ("currency", "country"), _t_currency, _b_currency),
    _rule("iban_check_digits", "every IBAN passes the ISO 13616 mod-97 check", ("company_account", "transactions"),
          _t_iban_checksum, _b_iban_checksum),
    _rule("iban_national_format", "every IBAN has its country's length, BBAN structure and national check digits",
          ("company_account", "transactions"), _t_iban_format, _b_iban_format),
    _rule("bic_matches_iban_bank", "each account's BIC belongs to the bank named by its IBAN's bank code",
          ("company_account", "transactions"), _t_bic, _b_bic),
    _rule("fiscal_year_matches_period_end", "the fiscal year is named after the year in which it ends",
          ("fiscal_year", "period_end", "report_kind"), _t_fiscal_year, _b_fiscal_year),
    _rule("period_length_matches_report_kind", "the period runs whole months, 12 for annual and 6 for half-year reports",
          ("period_start", "period_end", "report_kind"), _t_period_length, _b_period_length),
    _rule("filing_after_period_end", "a report is filed after the period it covers has ended",
          ("filing_date", "period_end"), _t_filing_after, _b_filing_after),
    _rule("filing_within_deadline", "annual reports are filed within 4 months, half-year reports within 3",
          ("filing_date", "period_end", "report_kind"), _t_deadline, _b_deadline),
    _rule("transactions_within_period", "every transfer is booked inside the reporting period",
          ("transactions", "period_start", "period_end"), _t_in_period, _b_in_period),
    _rule("gross_profit_identity", "gross profit = revenue - cost of sales", ("gross_profit", "revenue", "cost_of_sales"),
          _t_gross, _nudge_field("income", "cost_of_sales")),
    _rule("operating_income_identity", "operating income = gross profit - operating expenses",
          ("operating_income", "gross_profit", "operating_expenses"), _t_operating,
          _nudge_field("income", "operating_expenses")),
    _rule("pre_tax_income_identity", "pre-tax income = operating income - interest expense",
          ("pre_tax_income", "operating_income", "interest_expense"), _t_pre_tax,
          _nudge_field("income", "interest_expense")),
    _rule("net_income_identity", "net income = pre-tax income - income tax", ("net_income", "pre_tax_income", "income_tax"),
          _t_net, _nudge_field("income", "income_tax")),
    _rule("net_income_equals_revenue_less_expenses",
          "total expenses sum the expense lines and net income = revenue - total expenses",
          ("net_income", "revenue", "total_expenses"), _t_expenses, _nudge_field("income", "total_expenses")),
    _rule("income_tax_at_statutory_rate", "the stated rate is the domicile's statutory rate and tax = rate x profit",
          ("income_tax", "tax_rate", "pre_tax_income"), _t_tax, _b_tax_rate),
    _rule("current_assets_sum", "current assets = cash + receivables + inventories",
          ("current_assets", "cash", "receivables", "inventory"), _t_current_assets,
          _nudge_field("balance", "receivables")),
    _rule("total_assets_sum", "total assets = current assets + non-current assets",
          ("total_assets", "current_assets", "non_current_assets"), _t_total_assets,
          _nudge_field("balance", "non_current_assets")),
    _rule("total_liabilities_sum", "total liabilities = current liabilities + long-term debt",
          ("total_liabilities", "current_liabilities", "long_term_debt"), _t_total_liabilities,
          _nudge_field("balance", "long_term_debt")),
    _rule("equity_sum", "total equity = share capital + retained earnings",
          ("total_equity", "share_capital", "retained_earnings"), _t_equity, _nudge_field("balance", "share_capital")),
    _rule("balance_sheet_identity", "assets = liabilities + equity, to the cent",
          ("total_assets", "total_liabilities", "total_equity"), _t_balance,
          _nudge_field("balance", "total_liabilities")),
    _rule("retained_earnings_rollforward", "closing retained earnings = opening + net income - dividends paid",
          ("retained_earnings", "retained_earnings_opening", "net_income", "dividends_paid"), _t_rollforward,
          _nudge_field("cash_flow", "dividends_paid")),
    _rule("cash_flow_reconciles", "opening cash + operating + investing + financing = closing cash",
          ("closing_cash", "opening_cash", "operating_cash_flow", "investing_cash_flow", "financing_cash_flow"),
          _t_cash_flow, _nudge_field("cash_flow", "operating")),
    _rule("cash_matches_balance_sheet", "the cash-flow statement's closing cash is the balance sheet's cash",
          ("cash", "closing_cash"), _t_cash_match, _nudge_field("cash_flow", "closing_cash")),
    _rule("gross_margin_ratio", "gross margin % = gross profit / revenue", ("gross_margin", "gross_profit", "revenue"),
          _ratio_check("gross margin %", "gross_margin_pct", lambda r: r.income.gross_profit, lambda r: r.income.revenue,
                       True, "income.gross_profit", "income.revenue"), _ratio_breaker("gross_margin_pct")),
    _rule("net_margin_ratio", "net margin % = net income / revenue", ("net_margin", "net_income", "revenue"),
          _ratio_check("net margin %", "net_margin_pct", lambda r: r.income.net_income, lambda r: r.income.revenue,
                       True, "income.net_income", "income.revenue"), _ratio_breaker("net_margin_pct")),
    _rule("current_ratio", "current ratio = current assets / current liabilities",
          ("current_ratio", "current_assets", "current_liabilities"),
          _ratio_check("current ratio", "current_ratio", lambda r: r.balance.current_assets,
                       lambda r: r.balance.current_liabilities, False, "balance.current_assets",
                       "balance.current_liabilities"), _ratio_breaker("current_ratio")),
    _rule("debt_to_equity_ratio", "debt-to-equity = long-term debt / total equity",
          ("debt_to_equity", "long_term_debt", "total_equity"),
          _ratio_check("debt-to-equity", "debt_to_equity", lambda r: r.balance.long_term_debt,
                       lambda r: r.balance.total_equity, False, "balance.long_term_debt", "balance.total_equity"),
          _ratio_breaker("debt_to_equity")),
    _rule("return_on_equity_ratio", "return on equity % = net income / closing equity",
          ("return_on_equity", "net_income", "total_equity"),
          _ratio_check("return on equity %", "return_on_equity_pct", lambda r: r.income.net_income,
                       lambda r: r.balance.total_equity, True, "income.net_income", "balance.total_equity"),
          _ratio_breaker("return_on_equity_pct")),
    _rule("transfer_amounts_conserve", "the amount debited from the payer is the amount credited to the payee",
          ("transactions",), _t_conserve, _b_conserve),
    _rule("transaction_total_matches_summary", "the stated transfers total is the sum of the listed transfers",
          ("transactions_total", "transactions"), _t_total, _b_total),
    _rule("cash_reporting_flag", "a cash report is filed exactly for cash deposits at or above the domicile threshold",
          ("transactions", "cash_threshold", "country"), _t_cash_flag, _flag_breaker("cash_report_filed")),
    _rule("dual_approval_flag", "outgoing payments at or above the approval limit, and only those, have dual approval",
          ("transactions", "approval_limit"), _t_dual, _flag_breaker("dual_approval")),
    _rule("distinct_transfer_accounts", "a transfer moves money between two different accounts", ("transactions",),
          _t_distinct, _b_distinct),
    _rule("company_is_party", "the company is the payee of incoming and the payer of outgoing transfers",
          ("transactions", "company_name", "company_account"), _t_party, _b_party),
)


# --------------------------------------------------------------------------------------------
# Renderers: every random draw happens up front, the same number of times whatever the values
# --------------------------------------------------------------------------------------------

_CONTINENTAL = str.maketrans({",": ".", ".": ","})
DateFormat = Callable[[date], str]
MoneyFormat = Callable[[Decimal], str]
_DATE_FORMATS: tuple[DateFormat, ...] = (
    date.isoformat,
    lambda d: f"{d.day} {MONTH_ABBREVIATIONS[d.month - 1]} {d.year}",
    lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
    lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",
)


def _english(x: Decimal) -> str:
    return f"{x:,.2f}"


def _continental(x: Decimal) -> str:
    return f"{x:,.2f}".translate(_CONTINENTAL)


def _formats(rng: random.Random) -> tuple[DateFormat, MoneyFormat]:
    """One date and one number convention per document."""
    dates = _DATE_FORMATS[int(rng.random() * len(_DATE_FORMATS))]
    return dates, (_continental if rng.random() < 0.25 else _english)


# Statement lines as (text before the value, field path, attribute); labels carry their separators.
Spec = tuple[tuple[str, str, str], ...]
_INCOME_LINES: Spec = (
    ("; cost of sales ", "income.cost_of_sales", "cost_of_sales"),
    ("; gross profit ", "income.gross_profit", "gross_profit"),
    ("; operating expenses ", "income.operating_expenses", "operating_expenses"),
    ("; operating income ", "income.operating_income", "operating_income"),
    ("; interest expense ", "income.interest_expense", "interest_expense"),
    ("; profit before tax ", "income.pre_tax_income", "pre_tax_income"),
)
_BALANCE_LINES: Spec = (
    ("cash ", "balance.cash", "cash"), ("; receivables ", "balance.receivables", "receivables"),
    ("; inventories ", "balance.inventory", "inventory"),
    ("; current assets ", "balance.current_assets", "current_assets"),
    ("; non-current assets ", "balance.non_current_assets", "non_current_assets"),
    ("; total assets ", "balance.total_assets", "total_assets"),
    ("; current liabilities ", "balance.current_liabilities", "current_liabilities"),
    ("; long-term debt ", "balance.long_term_debt", "long_term_debt"),
    ("; total liabilities ", "balance.total_liabilities", "total_liabilities"),
    ("; share capital ", "balance.share_capital", "share_capital"),
    ("; retained earnings ", "balance.retained_earnings", "retained_earnings"),
)
_CASH_FLOW_LINES: Spec = (
    ("opening cash ", "cash_flow.opening_cash", "opening_cash"), ("; operating ", "cash_flow.operating", "operating"),
    ("; investing ", "cash_flow.investing", "investing"), ("; financing ", "cash_flow.financing", "financing"),
    ("; dividends paid ", "cash_flow.dividends_paid", "dividends_paid"),
    ("; closing cash ", "cash_flow.closing_cash", "closing_cash"),
)
_RATIO_LINES: Spec = (
    ("gross margin ", "ratios.gross_margin_pct", "gross_margin_pct"),
    ("% · net margin ", "ratios.net_margin_pct", "net_margin_pct"),
    ("% · current ratio ", "ratios.current_ratio", "current_ratio"),
    (" · debt/equity ", "ratios.debt_to_equity", "debt_to_equity"),
    (" · ROE ", "ratios.return_on_equity_pct", "return_on_equity_pct"),
)
_THRESHOLD_LINES: Spec = (
    ("Transfers total ", "compliance.transactions_total", "transactions_total"),
    ("; cash reporting threshold ", "compliance.cash_report_threshold", "cash_report_threshold"),
    ("; dual-approval limit ", "compliance.dual_approval_limit", "dual_approval_limit"),
)
_PAYER_WORDS = (("): from ", ") to "), ("): paid by ", ") to "), ("): payer ", ") to payee "))
_YES_NO = {True: "yes", False: "no"}


def _lines(b: TextBuilder, obj: BaseModel, spec: Spec, fmt: Callable[[Decimal], str]) -> None:
    text, value = b.text, b.value
    for label, path, attr in spec:
        text(label)
        value(path, fmt(getattr(obj, attr)))


@lru_cache(maxsize=64)
def _transfer_paths(i: int) -> dict[str, str]:
    p = f"transactions[{i}]"
    leaves = ("reference", "booking_date", "method", "direction", "payer.holder", "payer.iban", "payer.bic",
              "payee.holder", "payee.iban", "payee.bic", "amount_debited", "amount_credited", "cash_report_filed",
              "dual_approval")
    return {leaf: f"{p}.{leaf}" for leaf in leaves}


def _transfer(b: TextBuilder, t: Transaction, i: int, d: DateFormat, m: MoneyFormat, words: tuple[str, str]) -> None:
    """One transfer line: who paid whom, both legs' amounts and the compliance flags."""
    text, value, p = b.text, b.value, _transfer_paths(i)
    value(p["reference"], t.reference)
    text(" (")
    value(p["booking_date"], d(t.booking_date))
    text(", ")
    value(p["method"], t.method)
    text(", ")
    value(p["direction"], t.direction)
    text(words[0])
    value(p["payer.holder"], t.payer.holder)
    text(" (")
    value(p["payer.iban"], t.payer.iban)
    text(", ")
    value(p["payer.bic"], t.payer.bic)
    text(words[1])
    value(p["payee.holder"], t.payee.holder)
    text(" (")
    value(p["payee.iban"], t.payee.iban)
    text(", ")
    value(p["payee.bic"], t.payee.bic)
    text("); debited ")
    value(p["amount_debited"], m(t.amount_debited))
    text(", credited ")
    value(p["amount_credited"], m(t.amount_credited))
    text("; cash report: ")
    value(p["cash_report_filed"], _YES_NO[t.cash_report_filed])
    text("; dual approval: ")
    value(p["dual_approval"], _YES_NO[t.dual_approval])
    text(".\n")


def _transfers(b: TextBuilder, r: FinancialRecord, d: DateFormat, m: MoneyFormat, words: tuple[str, str],
               numbered: bool) -> None:
    for i, t in enumerate(r.transactions):
        if numbered:
            b.text(f"{i + 1}. ")
        _transfer(b, t, i, d, m, words)
    _lines(b, r.compliance, _THRESHOLD_LINES, m)
    b.text(".\n")


def _filing_excerpt(r: FinancialRecord, rng: random.Random, b: TextBuilder) -> None:
    """Regulatory filing: cover data, the three statements, ratios and a treasury note."""
    d, m = _formats(rng)
    revenue_label = _pick(rng, ("Revenue", "Net sales", "Turnover"))
    note = rng.randint(18, 36)
    words = _PAYER_WORDS[int(rng.random() * len(_PAYER_WORDS))]
    c, rep, i, bal = r.company, r.report, r.income, r.balance
    text, value = b.text, b.value
    value("report.kind", rep.kind)
    text(" — ")
    value("company.name", c.name)
    text(", ")
    value("company.city", c.city)
    text(" (")
    value("company.country", c.country)
    text(")\nISIN ")
    value("company.isin", c.isin)
    text(" | LEI ")
    value("company.lei", c.lei)
    text("\nPeriod ")
    value("report.period_start", d(rep.period_start))
    text(" to ")
    value("report.period_end", d(rep.period_end))
    text(" (FY")
    value("report.fiscal_year", str(rep.fiscal_year))
    text("), filed ")
    value("report.filing_date", d(rep.filing_date))
    text("; auditor ")
    value("company.auditor", c.auditor)
    text("; amounts in ")
    value("report.currency", rep.currency)
    text(f".\n\nIncome statement: {revenue_label} ")
    value("income.revenue", m(i.revenue))
    _lines(b, i, _INCOME_LINES, m)
    text("; income tax at ")
    value("income.tax_rate_pct", str(i.tax_rate_pct))
    text("% ")
    value("income.income_tax", m(i.income_tax))
    text("; net income ")
    value("income.net_income", m(i.net_income))
    text(" (total expenses ")
    value("income.total_expenses", m(i.total_expenses))
    text(").\nBalance sheet: ")
    _lines(b, bal, _BALANCE_LINES, m)
    text(" (opening ")
    value("balance.retained_earnings_opening", m(bal.retained_earnings_opening))
    text("); total equity ")
    value("balance.total_equity", m(bal.total_equity))
    text(".\nCash flows: ")
    _lines(b, r.cash_flow, _CASH_FLOW_LINES, m)
    text(".\nRatios: ")
    _lines(b, r.ratios, _RATIO_LINES, str)
    text(f"%.\n\nNote {note} (treasury): ")
    _transfers(b, r, d, m, words, numbered=False)


def _earnings_summary(r: FinancialRecord, rng: random.Random, b: TextBuilder) -> None:
    """Press release: headline results in prose, then the balance sheet, cash and treasury."""
    d, m = _formats(rng)
    verb = _pick(rng, ("publishes", "released", "reports"))
    words = _PAYER_WORDS[int(rng.random() * len(_PAYER_WORDS))]
    c, rep, i, bal, f, q = r.company, r.report, r.income, r.balance, r.cash_flow, r.ratios
    text, value = b.text, b.value
    value("company.city", c.city)
    text(", ")
    value("report.filing_date", d(rep.filing_date))
    text(" — ")
    value("company.name", c.name)
    text(" (ISIN ")
    value("company.isin", c.isin)
    text(", LEI ")
    value("company.lei", c.lei)
    text(f") {verb} its ")
    value("report.kind", rep.kind)
    text(" for ")
    value("report.period_start", d(rep.period_start))
    text(" – ")
    value("report.period_end", d(rep.period_end))
    text(" (fiscal ")
    value("report.fiscal_year", str(rep.fiscal_year))
    text("); auditor ")
    value("company.auditor", c.auditor)
    text("; figures in ")
    value("report.currency", rep.currency)
    text(".\nRevenue reached ")
    value("income.revenue", m(i.revenue))
    text("; cost of sales ")
    value("income.cost_of_sales", m(i.cost_of_sales))
    text(" left gross profit of ")
    value("income.gross_profit", m(i.gross_profit))
    text(" (margin ")
    value("ratios.gross_margin_pct", str(q.gross_margin_pct))
    text("%). Operating expenses of ")
    value("income.operating_expenses", m(i.operating_expenses))
    text(" gave operating income of ")
    value("income.operating_income", m(i.operating_income))
    text("; after interest of ")
    value("income.interest_expense", m(i.interest_expense))
    text(", profit before tax was ")
    value("income.pre_tax_income", m(i.pre_tax_income))
    text(". Tax at ")
    value("income.tax_rate_pct", str(i.tax_rate_pct))
    text("% came to ")
    value("income.income_tax", m(i.income_tax))
    text(", so net income was ")
    value("income.net_income", m(i.net_income))
    text(" (net margin ")
    value("ratios.net_margin_pct", str(q.net_margin_pct))
    text("%, ROE ")
    value("ratios.return_on_equity_pct", str(q.return_on_equity_pct))
    text("%); total expenses ")
    value("income.total_expenses", m(i.total_expenses))
    text(".\nAt period end: ")
    _lines(b, bal, _BALANCE_LINES, m)
    text(" (from ")
    value("balance.retained_earnings_opening", m(bal.retained_earnings_opening))
    text("); equity ")
    value("balance.total_equity", m(bal.total_equity))
    text(". Current ratio ")
    value("ratios.current_ratio", str(q.current_ratio))
    text(", debt/equity ")
    value("ratios.debt_to_equity", str(q.debt_to_equity))
    text(".\nCash went from ")
    value("cash_flow.opening_cash", m(f.opening_cash))
    text(" to ")
    value("cash_flow.closing_cash", m(f.closing_cash))
    text(" (operating ")
    value("cash_flow.operating", m(f.operating))
    text(", investing ")
    value("cash_flow.investing", m(f.investing))
    text(", financing ")
    value("cash_flow.financing", m(f.financing))
    text(" incl. dividends ")
    value("cash_flow.dividends_paid", m(f.dividends_paid))
    text(").\nTreasury: ")
    _transfers(b, r, d, m, words, numbered=False)


def _transaction_memo(r: FinancialRecord, rng: random.Random, b: TextBuilder) -> None:
    """Compliance memo: the transfers first, then the issuer's figures they are read against."""
    d, m = _formats(rng)
    audience = _pick(rng, ("Audit Committee", "Group Treasury", "MLRO", "Compliance"))
    revenue_label = _pick(rng, ("revenue", "net sales", "turnover"))
    words = _PAYER_WORDS[int(rng.random() * len(_PAYER_WORDS))]
    c, rep, i, bal = r.company, r.report, r.income, r.balance
    text, value = b.text, b.value
    text(f"MEMO to {audience}, ")
    value("company.name", c.name)
    text(" (")
    value("company.country", c.country)
    text("; ISIN ")
    value("company.isin", c.isin)
    text("; LEI ")
    value("company.lei", c.lei)
    text(")\nRe: transfers in the ")
    value("report.kind", rep.kind)
    text(" period ")
    value("report.period_start", d(rep.period_start))
    text(" to ")
    value("report.period_end", d(rep.period_end))
    text(", FY")
    value("report.fiscal_year", str(rep.fiscal_year))
    text(", currency ")
    value("report.currency", rep.currency)
    text(".\n")
    _transfers(b, r, d, m, words, numbered=True)
    text("Per the report filed ")
    value("report.filing_date", d(rep.filing_date))
    text(" (auditor ")
    value("company.auditor", c.auditor)
    text(f"): {revenue_label} ")
    value("income.revenue", m(i.revenue))
    _lines(b, i, _INCOME_LINES, m)
    text("; tax ")
    value("income.income_tax", m(i.income_tax))
    text(" at ")
    value("income.tax_rate_pct", str(i.tax_rate_pct))
    text("%; net income ")
    value("income.net_income", m(i.net_income))
    text("; total expenses ")
    value("income.total_expenses", m(i.total_expenses))
    text(". Balance sheet: ")
    _lines(b, bal, _BALANCE_LINES, m)
    text(" (opening ")
    value("balance.retained_earnings_opening", m(bal.retained_earnings_opening))
    text("); equity ")
    value("balance.total_equity", m(bal.total_equity))
    text(". Cash flow: ")
    _lines(b, r.cash_flow, _CASH_FLOW_LINES, m)
    text(". Ratios: ")
    _lines(b, r.ratios, _RATIO_LINES, str)
    text("%.")


# --------------------------------------------------------------------------------------------
# The domain
# --------------------------------------------------------------------------------------------


@register
class FinancialDomain(Domain):
    """Issuer filings whose statements, identifiers, dates and transfers agree by construction."""

    name = "financial"
    Record = FinancialRecord
    variables = VARIABLES
    constraints = CONSTRAINTS
    styles = {
        "earnings_summary": _earnings_summary,
        "filing_excerpt": _filing_excerpt,
        "transaction_memo": _transaction_memo,
    }
    entities = (
        "company.name",
        "company.auditor",
        "transactions[0].payer.holder",
        "transactions[0].payee.holder",
        "transactions[1].payer.holder",
        "transactions[1].payee.holder",
    )

    def assemble(self, values: Mapping[str, Any]) -> BaseModel:
        return assemble_record(values)
