"""Financial domain: an issuer's filing (identifiers, statements, ratios) and its treasury transfers."""

from __future__ import annotations

from typing import Any, Mapping

from pydantic import BaseModel

from world_model.core import Domain
from world_model.registry import register
from world_model.financial.tables import (
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
    REPORT_KINDS,
    REPORT_KIND_WEIGHTS,
    SECTORS,
    SECTOR_WORDS,
    SHARE_CAPITAL_SHARE,
    TAX_RATE_BP,
    TRANSFER_METHODS,
    YEAR_END_MONTHS,
)
from world_model.financial.identifiers import (
    BBAN_BUILDERS,
    NATIONAL_CHECKS,
    NSIN_BUILDERS,
    iban_bank_bic,
    iban_check_digits,
    iban_checksum_ok,
    iban_format_problem,
    iban_report,
    isin_check_digit,
    isin_is_valid,
    lei_check_digits,
    lei_is_valid,
    make_iban,
)
from world_model.financial.accounting import (
    CASH_THRESHOLDS,
    TAX_RATES,
    cents,
    expected_fiscal_year,
    expected_period_start,
    expected_tax,
    filing_deadline,
    month_end,
    month_start,
    ratio_value,
    to_money,
)
from world_model.financial.record import (
    Account,
    BalanceSheet,
    CashFlow,
    Company,
    Compliance,
    FinancialRecord,
    IncomeStatement,
    Money,
    Ratio,
    Ratios,
    Report,
    ReportKind,
    Transaction,
)
from world_model.financial.graph import VARIABLES, Values, assemble_record
from world_model.financial.constraints import CONSTRAINTS, Result, nudged
from world_model.financial.render import STYLES, DateFormat, MoneyFormat, Spec

__all__ = [
    "APPROVAL_LIMITS",
    "AUDITORS",
    "Account",
    "BANKS",
    "BBAN_BUILDERS",
    "BalanceSheet",
    "CASH_METHOD",
    "CASH_REPORT_THRESHOLD",
    "CASH_THRESHOLDS",
    "CITIES",
    "CONSTRAINTS",
    "COUNTERPARTY_WORDS",
    "COUNTRIES",
    "CURRENT_RATIO",
    "CashFlow",
    "Company",
    "Compliance",
    "DEFAULT_YEAR_END_MONTHS",
    "DIVIDEND_PAYOUT",
    "DateFormat",
    "EQUITY_RATIO",
    "EURO_COUNTRIES",
    "FinancialDomain",
    "FinancialRecord",
    "INTEREST_RATE",
    "IncomeStatement",
    "LISTED_FORMS",
    "MONTH_ABBREVIATIONS",
    "Money",
    "MoneyFormat",
    "NAME_STEMS",
    "NATIONAL_CHECKS",
    "NSIN_BUILDERS",
    "PERIOD_END_YEARS",
    "PRIVATE_FORMS",
    "REPORT_KINDS",
    "REPORT_KIND_WEIGHTS",
    "Ratio",
    "Ratios",
    "Report",
    "ReportKind",
    "Result",
    "SECTORS",
    "SECTOR_WORDS",
    "SHARE_CAPITAL_SHARE",
    "STYLES",
    "Spec",
    "TAX_RATES",
    "TAX_RATE_BP",
    "TRANSFER_METHODS",
    "Transaction",
    "VARIABLES",
    "Values",
    "YEAR_END_MONTHS",
    "assemble_record",
    "cents",
    "expected_fiscal_year",
    "expected_period_start",
    "expected_tax",
    "filing_deadline",
    "iban_bank_bic",
    "iban_check_digits",
    "iban_checksum_ok",
    "iban_format_problem",
    "iban_report",
    "isin_check_digit",
    "isin_is_valid",
    "lei_check_digits",
    "lei_is_valid",
    "make_iban",
    "month_end",
    "month_start",
    "nudged",
    "ratio_value",
    "to_money",
]


@register
class FinancialDomain(Domain):
    """Issuer filings whose statements, identifiers, dates and transfers agree by construction."""

    name = "financial"
    Record = FinancialRecord
    variables = VARIABLES
    constraints = CONSTRAINTS
    styles = STYLES
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
