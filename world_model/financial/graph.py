"""The causal graph: one sampler per variable (money in integer cents, ratios in hundredths)."""

from __future__ import annotations

import math
import random
from bisect import bisect
from datetime import date, timedelta
from typing import Any, Callable, Mapping

from world_model.core import Variable
from world_model.financial.accounting import (
    CASH_THRESHOLDS,
    CENT,
    COUNTRY_CODES,
    TAX_RATES,
    cents,
    expected_fiscal_year,
    expected_period_start,
    expected_tax,
    filing_deadline,
    loguniform,
    month_end,
    ratio_value,
    to_money,
)
from world_model.financial.identifiers import (
    LEI_CHARS,
    NSIN_BUILDERS,
    isin_check_digit,
    lei_check_digits,
    make_iban,
    pick,
    random_chars,
    random_digits,
)
from world_model.financial.record import FinancialRecord
from world_model.financial.tables import (
    APPROVAL_LIMITS,
    AUDITORS,
    BANKS,
    CASH_METHOD,
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
    NAME_STEMS,
    PERIOD_END_YEARS,
    PRIVATE_FORMS,
    REPORT_KINDS,
    REPORT_KIND_WEIGHTS,
    SECTORS,
    SECTOR_WORDS,
    SHARE_CAPITAL_SHARE,
    TRANSFER_METHODS,
    YEAR_END_MONTHS,
)


_COUNTRY_WEIGHTS = tuple(COUNTRIES[c].weight for c in COUNTRY_CODES)
_SECTOR_NAMES = tuple(SECTORS)
_KIND_NAMES = tuple(REPORT_KINDS)


_SECTOR_LOG_REVENUE = {s: (math.log(p.revenue_m[0] * 1e8), math.log(p.revenue_m[1] * 1e8))
                       for s, p in SECTORS.items()}
Values = Mapping[str, Any]


def _between(rng: random.Random, bounds: tuple[float, float]) -> float:
    return bounds[0] + (bounds[1] - bounds[0]) * rng.random()


def _weighted(options: tuple, weights: tuple[int, ...]) -> Callable[[random.Random], Any]:
    """A fast weighted draw (one random() call) over a fixed table."""
    cumulative, total = [], 0
    for w in weights:
        total += w
        cumulative.append(total)

    def draw(rng: random.Random) -> Any:
        return options[bisect(cumulative, rng.random() * total)]

    return draw


_draw_country = _weighted(COUNTRY_CODES, _COUNTRY_WEIGHTS)
_draw_kind = _weighted(_KIND_NAMES, REPORT_KIND_WEIGHTS)


def _year_end_draw(country: str) -> Callable[[random.Random], int]:
    ends = YEAR_END_MONTHS.get(country, DEFAULT_YEAR_END_MONTHS)
    return _weighted(ends.months, ends.weights)


_draw_year_end = {cc: _year_end_draw(cc) for cc in COUNTRIES}


def _s_country(rng: random.Random, v: Values) -> str:
    return _draw_country(rng)


def _s_period_end(rng: random.Random, v: Values) -> date:
    fye = _draw_year_end[v["country"]](rng)
    year = pick(rng, PERIOD_END_YEARS)
    months = REPORT_KINDS[v["report_kind"]].months
    return month_end(year, (fye + months - 13) % 12 + 1)


def _s_filing_date(rng: random.Random, v: Values) -> date:
    end = v["period_end"]
    latest = (filing_deadline(end, v["report_kind"]) - end).days
    return end + timedelta(days=20 + int(rng.random() * (latest - 19)))


def _s_company_name(rng: random.Random, v: Values) -> str:
    c = v["country"]
    return f"{pick(rng, NAME_STEMS[c])} {pick(rng, SECTOR_WORDS[v['sector']][c])} {pick(rng, LISTED_FORMS[c])}"


def _s_isin(rng: random.Random, v: Values) -> str:
    body = v["country"] + NSIN_BUILDERS[v["country"]](rng)
    return body + isin_check_digit(body)


def _s_lei(rng: random.Random, v: Values) -> str:
    body = COUNTRIES[v["country"]].lou + random_chars(rng, LEI_CHARS, 12)
    return body + lei_check_digits(body)


def _s_annual_revenue(rng: random.Random, v: Values) -> int:
    lo, hi = _SECTOR_LOG_REVENUE[v["sector"]]
    return int(math.exp(lo + (hi - lo) * rng.random()))


def _s_revenue(rng: random.Random, v: Values) -> int:
    months = REPORT_KINDS[v["report_kind"]].months
    seasonal = 1.0 if months == 12 else 0.9 + 0.2 * rng.random()
    return int(v["annual_revenue"] * months / 12 * seasonal)


def _s_inventory(rng: random.Random, v: Values) -> int:
    annual_cost = v["cost_of_sales"] * 12 // REPORT_KINDS[v["report_kind"]].months
    return int(annual_cost * _between(rng, SECTORS[v["sector"]].dio) / 365)


def _s_current_liabilities(rng: random.Random, v: Values) -> int:
    liabilities = v["total_assets"] - v["total_equity"]
    return min(int(v["current_assets"] / _between(rng, CURRENT_RATIO)), int(liabilities * 0.8))


def _s_interest(rng: random.Random, v: Values) -> int:
    months = REPORT_KINDS[v["report_kind"]].months
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
    return {"holder": v["company_name"], "iban": make_iban(rng, v["country"], bank), "bic": bank.bic}


def _counterparty_account(rng: random.Random, country: str) -> dict[str, str]:
    other = country if country == "GB" else pick(rng, EURO_COUNTRIES)
    name = f"{pick(rng, NAME_STEMS[other])} {pick(rng, COUNTERPARTY_WORDS)} {pick(rng, PRIVATE_FORMS[other])}"
    bank = BANKS[other][int(rng.random() * len(BANKS[other]))]
    return {"holder": name, "iban": make_iban(rng, other, bank), "bic": bank.bic}


def _one_transaction(rng: random.Random, v: Values, day: date) -> dict[str, Any]:
    incoming = rng.random() < 0.5
    cash = incoming and rng.random() < 0.35
    method = CASH_METHOD if cash else pick(rng, TRANSFER_METHODS[v["currency"]])
    limit = v["approval_limit"]
    amount = int(loguniform(rng, 1_500, 30_000) * 100) if cash else int(loguniform(rng, limit / 8, limit * 6))
    other = _counterparty_account(rng, v["country"])
    ours = v["company_account"]
    return {
        "reference": f"TRX-{day.year}-{random_digits(rng, 6)}",
        "booking_date": day,
        "method": method,
        "direction": "incoming" if incoming else "outgoing",
        "payer": other if incoming else ours,
        "payee": ours if incoming else other,
        "amount_debited": amount,
        "amount_credited": amount,
        "cash_report_filed": cash and CENT * amount >= v["cash_threshold"],
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
         lambda rng, v: pick(rng, _SECTOR_NAMES)),
    _var("report_kind", "category", "annual or half-yearly financial report", (),
         lambda rng, v: _draw_kind(rng)),
    _var("currency", "category", "reporting currency", ("country",),
         lambda rng, v: COUNTRIES[v["country"]].currency, "domicile sets the functional currency"),
    _var("company_name", "str", "issuer name with its listed legal form", ("country", "sector"), _s_company_name,
         "legal form and naming follow the country"),
    _var("city", "str", "registered office", ("country",), lambda rng, v: pick(rng, CITIES[v["country"]])),
    _var("isin", "code", "share ISIN with Luhn check digit", ("country",), _s_isin,
         "ISIN prefix is the issuer's country"),
    _var("lei", "code", "ISO 17442 legal entity identifier", ("country",), _s_lei, "issued by a local LOU"),
    _var("auditor", "str", "statutory auditor approved in the domicile", ("country",),
         lambda rng, v: pick(rng, AUDITORS[v["country"]])),
    _var("period_end", "date", "last day of the reporting period", ("country", "report_kind"), _s_period_end,
         "fiscal year-end month depends on the country; half-year ends six months earlier"),
    _var("period_start", "date", "first day of the reporting period", ("period_end", "report_kind"),
         lambda rng, v: expected_period_start(v["period_end"], REPORT_KINDS[v["report_kind"]].months),
         "period length equals the report kind's months"),
    _var("fiscal_year", "int", "fiscal year label", ("period_end", "report_kind"),
         lambda rng, v: expected_fiscal_year(v["period_end"], REPORT_KINDS[v["report_kind"]].months)),
    _var("filing_date", "date", "date the report was filed", ("period_end", "report_kind"), _s_filing_date,
         "filed after period end and within the transparency deadline"),
    _var("tax_rate", "ratio", "statutory tax rate (%)", ("country", "period_end"),
         lambda rng, v: TAX_RATES[v["country"]][v["period_end"].year], "country and year set the rate"),
    _var("annual_revenue", "latent money", "annualised revenue (latent size)", ("sector",), _s_annual_revenue),
    _var("revenue", _MONEY, "revenue of the period", ("annual_revenue", "report_kind"), _s_revenue),
    _var("cost_of_sales", _MONEY, "cost of sales", ("revenue", "sector"),
         lambda rng, v: v["revenue"] - int(v["revenue"] * _between(rng, SECTORS[v["sector"]].gross_margin)),
         "sector gross margin"),
    _var("gross_profit", _MONEY, "revenue less cost of sales", ("revenue", "cost_of_sales"),
         lambda rng, v: v["revenue"] - v["cost_of_sales"]),
    _var("operating_expenses", _MONEY, "selling, general, administrative and R&D expenses", ("revenue", "sector"),
         lambda rng, v: int(v["revenue"] * _between(rng, SECTORS[v["sector"]].opex))),
    _var("operating_income", _MONEY, "gross profit less operating expenses", ("gross_profit", "operating_expenses"),
         lambda rng, v: v["gross_profit"] - v["operating_expenses"]),
    _var("receivables", _MONEY, "trade receivables", ("annual_revenue", "sector"),
         lambda rng, v: int(v["annual_revenue"] * _between(rng, SECTORS[v["sector"]].dso) / 365),
         "days sales outstanding"),
    _var("inventory", _MONEY, "inventories", ("cost_of_sales", "report_kind", "sector"), _s_inventory,
         "days inventory outstanding on annualised cost of sales"),
    _var("cash", _MONEY, "cash and equivalents at period end", ("annual_revenue", "sector"),
         lambda rng, v: int(v["annual_revenue"] * _between(rng, SECTORS[v["sector"]].cash))),
    _var("current_assets", _MONEY, "cash + receivables + inventories", ("cash", "receivables", "inventory"),
         lambda rng, v: v["cash"] + v["receivables"] + v["inventory"]),
    _var("non_current_assets", _MONEY, "property, plant, equipment and intangibles", ("annual_revenue", "sector"),
         lambda rng, v: int(v["annual_revenue"] * _between(rng, SECTORS[v["sector"]].nca)), "sector asset intensity"),
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
         lambda rng, v: -int(v["revenue"] * _between(rng, SECTORS[v["sector"]].capex))),
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
    return {**t, "amount_debited": CENT * t["amount_debited"], "amount_credited": CENT * t["amount_credited"]}


def assemble_record(v: Values) -> FinancialRecord:
    """Shape the flat node values (money in cents) into the nested record, validated once."""
    income = {field: CENT * v[node] for field, node in _INCOME_NODES}
    income["tax_rate_pct"] = v["tax_rate"]
    return FinancialRecord.model_validate({
        "company": {"name": v["company_name"], "country": v["country"], "city": v["city"], "sector": v["sector"],
                    "isin": v["isin"], "lei": v["lei"], "auditor": v["auditor"]},
        "report": {"kind": v["report_kind"], "fiscal_year": v["fiscal_year"], "period_start": v["period_start"],
                   "period_end": v["period_end"], "filing_date": v["filing_date"], "currency": v["currency"]},
        "income": income,
        "balance": {field: CENT * v[node] for field, node in _BALANCE_NODES},
        "cash_flow": {field: CENT * v[node] for field, node in _CASH_FLOW_NODES},
        "ratios": {field: v[node] for field, node in _RATIO_NODES},
        "transactions": [_transaction_out(t) for t in v["transactions"]],
        "compliance": {"cash_report_threshold": v["cash_threshold"], "dual_approval_limit": CENT * v["approval_limit"],
                       "transactions_total": CENT * v["transactions_total"]},
    })
