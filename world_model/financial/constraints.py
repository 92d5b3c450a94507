"""Reporting rules: each check sits beside the breaker that makes the smallest edit it flags."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any, Callable

from world_model.core import Constraint, copy_record
from world_model.financial.accounting import (
    CASH_THRESHOLDS,
    COUNTRY_CODES,
    TAX_RATES,
    cents,
    expected_fiscal_year,
    expected_period_start,
    expected_tax,
    filing_deadline,
    month_start,
    ratio_value,
    to_money,
)
from world_model.financial.identifiers import (
    iban_check_digits,
    iban_report,
    isin_check_digit,
    isin_is_valid,
    lei_is_valid,
    pick,
)
from world_model.financial.record import Account, FinancialRecord, Transaction
from world_model.financial.tables import AUDITORS, BANKS, CASH_METHOD, COUNTRIES, REPORT_KINDS


Result = "str | tuple[str, tuple[str, ...]] | None"
_AUDITOR_SETS = {cc: frozenset(names) for cc, names in AUDITORS.items()}
_OTHER_CURRENCIES = ("USD", "CHF", "EUR", "GBP")
_FEES = ("0.35", "1.50", "7.50", "12.00", "15.00", "25.00", "35.00")


def _mismatch(label: str, stated: Any, expected: Any, *paths: str) -> tuple[str, tuple[str, ...]] | None:
    return None if stated == expected else (f"{label}: stated {stated}, expected {expected}", paths)


def _months(r: FinancialRecord) -> int:
    return REPORT_KINDS[r.report.kind].months


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
    other = pick(rng, tuple(c for c in COUNTRY_CODES if c != out.company.country))
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
    other = pick(rng, tuple(c for c in COUNTRY_CODES if c != out.company.country))
    out.company.auditor = pick(rng, AUDITORS[other])
    return out


def _t_currency(r: FinancialRecord) -> Any:
    country = COUNTRIES.get(r.company.country)
    expected = country.currency if country is not None else None
    return _mismatch("reporting currency vs domicile", r.report.currency, expected, "report.currency", "company.country")


def _b_currency(r: FinancialRecord, rng: random.Random) -> FinancialRecord:
    out = _copy(r)
    out.report.currency = pick(rng, tuple(c for c in _OTHER_CURRENCIES if c != out.report.currency))
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
    leg.bic = pick(rng, tuple(b.bic for b in BANKS[leg.iban[:2]] if b.bic != leg.bic))
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
    t.amount_credited = t.amount_debited - Decimal(pick(rng, _FEES))
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
