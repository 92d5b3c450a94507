"""Money, ratios and calendar arithmetic the samplers and checks share."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal

from world_model.financial.tables import CASH_REPORT_THRESHOLD, COUNTRIES, REPORT_KINDS, TAX_RATE_BP


CENT = Decimal("0.01")
_HUNDRED = Decimal(100)
_EXACT = Context(prec=40, rounding=ROUND_HALF_UP)


def to_money(cents: int) -> Decimal:
    """Exact amount with two decimal places (Decimal('1.00'), never Decimal('1'))."""
    return CENT * cents


def cents(amount: Decimal) -> int:
    return int(amount * 100)


def ratio_value(num: Decimal, den: Decimal, percent: bool) -> Decimal:
    """num / den (times 100 for a percentage) rounded half away from zero to two decimals."""
    return _EXACT.divide(num * 100 if percent else num, den).quantize(CENT, ROUND_HALF_UP)


def expected_tax(pre_tax: Decimal, rate_pct: Decimal) -> Decimal:
    """Tax at the statutory rate on a profit, none on a loss (no deferred tax in this model)."""
    if pre_tax <= 0:
        return CENT * 0
    return _EXACT.divide(pre_tax * rate_pct, _HUNDRED).quantize(CENT, ROUND_HALF_UP)


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
    return month_end(period_end.year, period_end.month + REPORT_KINDS[kind].filing_months)


def loguniform(rng: random.Random, lo: float, hi: float) -> float:
    """A draw spread evenly over orders of magnitude, as company sizes are."""
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


COUNTRY_CODES = tuple(COUNTRIES)


TAX_RATES: dict[str, dict[int, Decimal]] = {cc: {y: to_money(bp) for y, bp in years.items()}
                                           for cc, years in TAX_RATE_BP.items()}
CASH_THRESHOLDS: dict[str, Decimal] = {cc: Decimal(units).quantize(CENT) for cc, units in CASH_REPORT_THRESHOLD.items()}
