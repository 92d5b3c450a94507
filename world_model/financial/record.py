"""The filing record: pydantic models the graph fills and the checks read."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


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
