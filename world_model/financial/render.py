"""Renderers: every random draw happens up front, the same number of times whatever the values."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Callable

from pydantic import BaseModel

from world_model.core import TextBuilder
from world_model.financial.identifiers import pick
from world_model.financial.record import FinancialRecord, Transaction
from world_model.financial.tables import MONTH_ABBREVIATIONS


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
    revenue_label = pick(rng, ("Revenue", "Net sales", "Turnover"))
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
    verb = pick(rng, ("publishes", "released", "reports"))
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
    audience = pick(rng, ("Audit Committee", "Group Treasury", "MLRO", "Compliance"))
    revenue_label = pick(rng, ("revenue", "net sales", "turnover"))
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


STYLES = {"earnings_summary": _earnings_summary, "filing_excerpt": _filing_excerpt, "transaction_memo": _transaction_memo}
