"""Financial domain: identifiers checked by independent libraries, statements that add up, every rule, bad input."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pydantic
import pytest
import schwifty
from stdnum import iban as std_iban
from stdnum import isin as std_isin
from stdnum import lei as std_lei

import world_model
from world_model.financial import FinancialRecord
from world_model.financial.tables import AUDITORS, CASH_METHOD, COUNTRIES, SECTORS

FINANCIAL = world_model.domain("financial")
RECORDS = [FINANCIAL.sample(seed) for seed in range(400)]
CENT = Decimal("0.01")
DAY = timedelta(days=1)


def _accounts(rec: FinancialRecord):
    for t in rec.transactions:
        yield t.payer
        yield t.payee


# -- identifiers, verified by python-stdnum and schwifty (not by our own arithmetic) ---------------------------

def test_isins_and_leis_pass_python_stdnum():
    for rec in RECORDS:
        assert std_isin.validate(rec.company.isin) == rec.company.isin
        assert std_lei.validate(rec.company.lei) == rec.company.lei
        assert rec.company.isin[:2] == rec.company.country
        assert rec.company.lei.startswith(COUNTRIES[rec.company.country].lou)


def test_ibans_pass_python_stdnum_and_schwifty_with_national_checks():
    countries = Counter()
    for rec in RECORDS:
        for account in _accounts(rec):
            assert std_iban.validate(account.iban) == account.iban
            parsed = schwifty.IBAN(account.iban, validate_bban=True)  # national BBAN check digits too
            countries[parsed.country_code] += 1
            assert len(account.iban) == COUNTRIES[parsed.country_code].iban_length
    assert set(countries) == set(COUNTRIES)


def test_bics_are_real_and_belong_to_the_iban_bank():
    for rec in RECORDS[:150]:
        for account in _accounts(rec):
            bic = schwifty.BIC(account.bic)  # raises on a malformed BIC or unknown country
            registered = schwifty.IBAN(account.iban).bic  # schwifty's own bank registry
            assert registered is not None, account.iban
            assert str(registered)[:6] == str(bic)[:6] and bic.country_code == account.iban[:2]


# -- realistic content -----------------------------------------------------------------------------------------

def test_amounts_are_exact_cents():
    for rec in RECORDS:
        for section in (rec.income, rec.balance, rec.cash_flow, rec.compliance):
            for name, amount in section:
                assert isinstance(amount, Decimal) and amount.as_tuple().exponent == -2, (name, amount)


def test_statements_satisfy_the_accounting_identities_to_the_cent():
    for rec in RECORDS:
        i, b, f = rec.income, rec.balance, rec.cash_flow
        assert i.gross_profit == i.revenue - i.cost_of_sales
        assert i.net_income == i.revenue - i.total_expenses
        assert i.total_expenses == i.cost_of_sales + i.operating_expenses + i.interest_expense + i.income_tax
        assert b.total_assets == b.total_liabilities + b.total_equity
        assert b.total_assets == b.cash + b.receivables + b.inventory + b.non_current_assets
        assert b.retained_earnings == b.retained_earnings_opening + i.net_income - f.dividends_paid
        assert f.closing_cash == f.opening_cash + f.operating + f.investing + f.financing == b.cash


def test_ratios_are_derived_from_the_statements():
    def r2(x: Decimal) -> Decimal:
        return x.quantize(CENT, ROUND_HALF_UP)

    for rec in RECORDS:
        i, b, q = rec.income, rec.balance, rec.ratios
        assert q.gross_margin_pct == r2(100 * i.gross_profit / i.revenue)
        assert q.net_margin_pct == r2(100 * i.net_income / i.revenue)
        assert q.current_ratio == r2(b.current_assets / b.current_liabilities)
        assert q.debt_to_equity == r2(b.long_term_debt / b.total_equity)
        assert q.return_on_equity_pct == r2(100 * i.net_income / b.total_equity)


def test_values_are_plausible_for_a_listed_company():
    for rec in RECORDS:
        i, b = rec.income, rec.balance
        assert Decimal("1e5") < i.revenue < Decimal("1e12")
        assert 0 < rec.ratios.gross_margin_pct < 100
        assert 0 < b.total_equity < b.total_assets and b.current_liabilities > 0
        assert Decimal(5) <= i.tax_rate_pct <= Decimal(40)
        assert 0 <= rec.cash_flow.dividends_paid and rec.cash_flow.investing <= 0
        assert rec.company.auditor in AUDITORS[rec.company.country]
        assert rec.company.sector in SECTORS


def test_dates_follow_the_reporting_calendar():
    for rec in RECORDS:
        rep = rec.report
        months = 12 if rep.kind == "Annual Financial Report" else 6
        assert (rep.period_end + DAY).day == 1 and rep.period_start.day == 1
        assert (rep.period_end.year - rep.period_start.year) * 12 + rep.period_end.month - rep.period_start.month + 1 == months
        assert rep.period_end < rep.filing_date <= rep.period_end + timedelta(days=31 * (4 if months == 12 else 3))
        year_end = rep.period_end + timedelta(days=183 if months == 6 else 0)  # a half-year's fiscal year ends later
        assert rep.fiscal_year == year_end.year
        assert date(2018, 1, 1) <= rep.period_start and rep.period_end <= date(2026, 1, 1)
        for t in rec.transactions:
            assert rep.period_start <= t.booking_date <= rep.period_end


def test_transfers_conserve_and_follow_the_compliance_rules():
    flags = Counter()
    for rec in RECORDS:
        assert rec.compliance.transactions_total == sum(t.amount_debited for t in rec.transactions)
        for t in rec.transactions:
            ours = t.payee if t.direction == "incoming" else t.payer
            assert ours.holder == rec.company.name and t.payer.iban != t.payee.iban
            assert t.amount_debited == t.amount_credited > 0
            assert t.cash_report_filed == (t.method == CASH_METHOD and t.amount_debited >= rec.compliance.cash_report_threshold)
            assert t.dual_approval == (t.direction == "outgoing" and t.amount_debited >= rec.compliance.dual_approval_limit)
            flags[("cash", t.cash_report_filed)] += 1
            flags[("dual", t.dual_approval)] += 1
    assert all(flags[(k, v)] > 5 for k in ("cash", "dual") for v in (True, False)), flags


def test_every_country_sector_and_report_kind_is_sampled():
    assert {r.company.country for r in RECORDS} == set(COUNTRIES)
    assert {r.company.sector for r in RECORDS} == set(SECTORS)
    assert {r.report.kind for r in RECORDS} == {"Annual Financial Report", "Half-Yearly Financial Report"}
    assert all(r.report.currency == ("GBP" if r.company.country == "GB" else "EUR") for r in RECORDS)


# -- every constraint: a hand-made change breaks it and check names it ----------------------------------------

def _reseal_isin(r: FinancialRecord) -> None:
    body = ("FR" if r.company.country != "FR" else "DE") + r.company.isin[2:11]
    r.company.isin = body + std_isin.calc_check_digit(body)


def _drop_account_digit(r: FinancialRecord) -> None:
    a = r.transactions[0].payer
    bban = a.iban[4:-2] + a.iban[-1]
    a.iban = a.iban[:2] + std_iban.calc_check_digits(a.iban[:2] + "00" + bban) + bban


def _shift_iban_check(r: FinancialRecord) -> None:
    a = r.transactions[0].payer
    cd = int(a.iban[2:4])
    a.iban = f"{a.iban[:2]}{cd + 1 if cd < 97 else cd - 1:02d}{a.iban[4:]}"


def _bump(section: str, name: str, by: str = "0.01"):
    def change(r: FinancialRecord) -> None:
        part = getattr(r, section)
        setattr(part, name, getattr(part, name) + Decimal(by))
    return change, f"{section}.{name}"


def _company_leg(r: FinancialRecord):
    t = r.transactions[0]
    return t.payee if t.direction == "incoming" else t.payer


def _flip(name: str):
    def change(r: FinancialRecord) -> None:
        setattr(r.transactions[0], name, not getattr(r.transactions[0], name))
    return change, f"transactions[0].{name}"


def _set(target, name: str, value):
    return lambda r: setattr(target(r), name, value(r))


HAND_MADE = {
    "financial.isin_check_digit": (
        _set(lambda r: r.company, "isin", lambda r: r.company.isin[:11] + str((int(r.company.isin[11]) + 1) % 10)),
        "company.isin"),
    "financial.isin_country_matches_domicile": (_reseal_isin, "company.isin"),
    "financial.lei_check_digits": (
        _set(lambda r: r.company, "lei", lambda r: r.company.lei[:18] + f"{(int(r.company.lei[18:]) + 1) % 100:02d}"),
        "company.lei"),
    "financial.auditor_registered_in_domicile": (_set(lambda r: r.company, "auditor", lambda r: "Arthur Andersen LLP"),
                                                 "company.auditor"),
    "financial.reporting_currency_matches_domicile": (_set(lambda r: r.report, "currency", lambda r: "USD"),
                                                      "report.currency"),
    "financial.iban_check_digits": (_shift_iban_check, "transactions[0].payer.iban"),
    "financial.iban_national_format": (_drop_account_digit, "transactions[0].payer.iban"),
    "financial.bic_matches_iban_bank": (
        _set(lambda r: r.transactions[0].payer, "bic",
             lambda r: "DEUTDEFFXXX" if r.transactions[0].payer.bic != "DEUTDEFFXXX" else "COBADEFFXXX"),
        "transactions[0].payer.bic"),
    "financial.fiscal_year_matches_period_end": (_set(lambda r: r.report, "fiscal_year", lambda r: r.report.fiscal_year + 1),
                                                 "report.fiscal_year"),
    "financial.period_length_matches_report_kind": (
        _set(lambda r: r.report, "period_start", lambda r: r.report.period_start - 31 * DAY), "report.period_start"),
    "financial.filing_after_period_end": (_set(lambda r: r.report, "filing_date", lambda r: r.report.period_end),
                                          "report.filing_date"),
    "financial.filing_within_deadline": (
        _set(lambda r: r.report, "filing_date", lambda r: r.report.period_end + 200 * DAY), "report.filing_date"),
    "financial.transactions_within_period": (
        _set(lambda r: r.transactions[0], "booking_date", lambda r: r.report.period_end + DAY),
        "transactions[0].booking_date"),
    "financial.gross_profit_identity": _bump("income", "gross_profit"),
    "financial.operating_income_identity": _bump("income", "operating_income"),
    "financial.pre_tax_income_identity": _bump("income", "pre_tax_income"),
    "financial.net_income_identity": _bump("income", "net_income"),
    "financial.net_income_equals_revenue_less_expenses": _bump("income", "total_expenses"),
    "financial.income_tax_at_statutory_rate": _bump("income", "tax_rate_pct", "1.00"),
    "financial.current_assets_sum": _bump("balance", "current_assets"),
    "financial.total_assets_sum": _bump("balance", "total_assets"),
    "financial.total_liabilities_sum": _bump("balance", "total_liabilities"),
    "financial.equity_sum": _bump("balance", "total_equity"),
    "financial.balance_sheet_identity": _bump("balance", "total_liabilities"),
    "financial.retained_earnings_rollforward": _bump("balance", "retained_earnings_opening"),
    "financial.cash_flow_reconciles": _bump("cash_flow", "operating"),
    "financial.cash_matches_balance_sheet": _bump("cash_flow", "closing_cash"),
    "financial.gross_margin_ratio": _bump("ratios", "gross_margin_pct"),
    "financial.net_margin_ratio": _bump("ratios", "net_margin_pct"),
    "financial.current_ratio": _bump("ratios", "current_ratio"),
    "financial.debt_to_equity_ratio": _bump("ratios", "debt_to_equity"),
    "financial.return_on_equity_ratio": _bump("ratios", "return_on_equity_pct"),
    "financial.transfer_amounts_conserve": (
        _set(lambda r: r.transactions[0], "amount_credited", lambda r: r.transactions[0].amount_debited - Decimal("0.35")),
        "transactions[0].amount_credited"),
    "financial.transaction_total_matches_summary": _bump("compliance", "transactions_total"),
    "financial.cash_reporting_flag": _flip("cash_report_filed"),
    "financial.dual_approval_flag": _flip("dual_approval"),
    "financial.distinct_transfer_accounts": (
        _set(lambda r: r.transactions[0].payee, "iban", lambda r: r.transactions[0].payer.iban),
        "transactions[0].payee.iban"),
    "financial.company_is_party": (_set(_company_leg, "holder", lambda r: "Someone Else Ltd"), "transactions[0]."),
}


def test_every_constraint_has_a_hand_made_break():
    assert set(HAND_MADE) == {c.id for c in FINANCIAL.constraints}
    assert len(FINANCIAL.constraints) >= 20


@pytest.mark.parametrize("cid", sorted(HAND_MADE))
def test_hand_made_change_is_seen_by_check_naming_the_field(cid):
    change, field = HAND_MADE[cid]
    for rec in RECORDS[:30]:
        changed = rec.model_copy(deep=True)
        change(changed)
        found = {v.constraint_id: v for v in FINANCIAL.check(changed)}
        assert cid in found, (cid, sorted(found))
        assert any(f.startswith(field) for f in found[cid].fields), (cid, found[cid].fields)
        assert FINANCIAL.check(rec) == []


@pytest.mark.parametrize("cid", sorted(HAND_MADE))
def test_violate_breaks_the_named_rule_and_shows_in_the_text(cid):
    for seed, rec in enumerate(RECORDS[:40]):
        broken, got = FINANCIAL.violate(rec, seed, constraint=cid)
        assert got == cid and cid in {v.constraint_id for v in FINANCIAL.check(broken)}
        assert FINANCIAL.render(broken, seed).text != FINANCIAL.render(rec, seed).text, (cid, seed)


# -- bad input -------------------------------------------------------------------------------------------------

def _data() -> dict:
    return json.loads(RECORDS[0].model_dump_json())


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d["company"].__setitem__("isin", 123), "company.isin"),
    (lambda d: d["income"].__setitem__("revenue", "lots"), "income.revenue"),
    (lambda d: d["report"].__setitem__("kind", "Quarterly Report"), "report.kind"),
    (lambda d: d["report"].__setitem__("filing_date", "soon"), "report.filing_date"),
    (lambda d: d["transactions"][0].__setitem__("direction", "sideways"), "transactions.0.direction"),
    (lambda d: d["transactions"][0]["payer"].pop("iban"), "transactions.0.payer.iban"),
    (lambda d: d.__setitem__("transactions", []), "transactions"),
    (lambda d: d["balance"].__setitem__("goodwill", "1.00"), "balance.goodwill"),
])
def test_malformed_record_names_the_field(mutate, field):
    data = _data()
    mutate(data)
    with pytest.raises(pydantic.ValidationError) as info:
        FinancialRecord.model_validate(data)
    assert field in str(info.value)


def test_check_refuses_a_foreign_record():
    with pytest.raises(TypeError, match="financial"):
        FINANCIAL.check(world_model.domain("medical").sample(0))
