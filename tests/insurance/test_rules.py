"""The pure contribution rules: base clamp, monthly amounts, late surcharge, yearly account interest."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from renshe.core.errors import DomainError
from renshe.insurance import rules

WAGES = st.integers(min_value=100_000, max_value=5_000_000)  # average monthly wage in fen: 1,000 to 50,000 yuan
FEN = st.integers(min_value=0, max_value=200_000_000)


def test_clamp_examples_show_the_clamp() -> None:
    low = rules.clamp_base(declared_fen=300_000, average_wage_fen=800_000)
    assert (low.floor_fen, low.cap_fen, low.base_fen, low.clamp) == (480_000, 2_400_000, 480_000, "floor")
    assert low.clamp_label == "低于下限，按下限核定"
    high = rules.clamp_base(declared_fen=3_000_000, average_wage_fen=800_000)
    assert (high.base_fen, high.clamp) == (2_400_000, "cap")
    inside = rules.clamp_base(declared_fen=650_000, average_wage_fen=800_000)
    assert (inside.base_fen, inside.clamp) == (650_000, None)
    assert [s.name for s in inside.trace] == ["floor", "cap", "base"]
    odd = rules.clamp_base(declared_fen=0, average_wage_fen=733_341)  # 60 % = 440,004.6 fen → half-up
    assert odd.floor_fen == 440_005
    with pytest.raises(rules.InsuranceRuleError) as negative:
        rules.clamp_base(declared_fen=-1, average_wage_fen=800_000)
    assert negative.value.code == "renshe:insurance/declared-base"


@given(FEN, WAGES)
def test_clamped_base_is_within_floor_and_cap(declared: int, wage: int) -> None:
    found = rules.clamp_base(declared_fen=declared, average_wage_fen=wage)
    assert found.floor_fen <= found.base_fen <= found.cap_fen
    assert (found.base_fen == declared) == (found.clamp is None)
    again = rules.clamp_base(declared_fen=found.base_fen, average_wage_fen=wage)
    assert again.base_fen == found.base_fen
    assert again.clamp is None


def test_monthly_amounts_per_side() -> None:
    found = rules.contribution_amounts(base_fen=650_003)
    assert (found.employer_fen, found.individual_fen) == (104_000, 52_000)  # 104,000.48 and 52,000.24 fen
    assert found.account_fen == found.individual_fen
    assert found.pooled_fen == found.employer_fen
    half = rules.contribution_amounts(base_fen=650_025)  # 8 % = 52,002.0; 16 % = 104,004.0
    assert (half.employer_fen, half.individual_fen) == (104_004, 52_002)
    up = rules.contribution_amounts(base_fen=6_250_031, rates=rules.Rates(Decimal("0.16"), Decimal("0.08"),
                                                                          Decimal("0.08")))
    assert up.individual_fen == 500_002  # 500,002.48 → 500,002
    flexible = rules.contribution_amounts(base_fen=480_000, rates=rules.FLEXIBLE_PENSION)
    assert (flexible.employer_fen, flexible.individual_fen, flexible.account_fen, flexible.pooled_fen) == \
        (0, 96_000, 38_400, 57_600)
    assert rules.contribution_amounts(base_fen=12_5).individual_fen == 10  # 10.0
    assert rules.contribution_amounts(base_fen=3_1).individual_fen == 2  # 2.48
    assert rules.contribution_amounts(base_fen=3_2).individual_fen == 3  # 2.56
    assert rules.round_fen(Decimal("2.5")) == 3  # half-up, not half-even


@given(FEN, st.sampled_from([rules.EMPLOYEE_PENSION, rules.FLEXIBLE_PENSION]))
def test_amounts_add_up(base: int, rates: rules.Rates) -> None:
    found = rules.contribution_amounts(base_fen=base, rates=rates)
    assert found.account_fen + found.pooled_fen == found.employer_fen + found.individual_fen == found.total_fen
    assert abs(found.individual_fen - base * rates.individual) <= Decimal("0.5")
    assert min(found.employer_fen, found.individual_fen, found.account_fen, found.pooled_fen) >= 0


def test_surcharge_of_the_issue_example() -> None:
    found = rules.late_surcharge(amount_fen=1_000_000, days=30)
    assert found.surcharge_fen == 15_000
    assert rules.yuan(found.surcharge_fen) == "150.00"
    assert found.trace[0].source.startswith("《中华人民共和国社会保险法》第八十六条")
    assert rules.late_surcharge(amount_fen=1_000_000, days=0).surcharge_fen == 0
    assert rules.late_surcharge(amount_fen=10_001, days=1).surcharge_fen == 5  # 5.0005
    assert rules.late_surcharge(amount_fen=1_000, days=1).surcharge_fen == 1  # 0.5 → 1, half-up
    with pytest.raises(rules.InsuranceRuleError):
        rules.late_surcharge(amount_fen=100, days=-1)


def test_overdue_days_count_from_the_day_after_the_deadline() -> None:
    assert rules.overdue_days(due=date(2026, 1, 15), paid=date(2026, 1, 15)) == 0
    assert rules.overdue_days(due=date(2026, 1, 15), paid=date(2026, 1, 16)) == 1
    assert rules.overdue_days(due=date(2026, 1, 15), paid=date(2026, 2, 14)) == 30
    assert rules.overdue_days(due=date(2026, 1, 15), paid=date(2026, 1, 1)) == 0


@given(st.integers(min_value=0, max_value=10_000_000), st.integers(min_value=0, max_value=3650),
       st.integers(min_value=0, max_value=3650))
def test_surcharge_is_linear_in_days(amount_units: int, d1: int, d2: int) -> None:
    exact = amount_units * 2000  # a multiple of 20 yuan: 0.05 % a day is a whole fen, no rounding at all
    one = rules.late_surcharge(amount_fen=exact, days=d1).surcharge_fen
    two = rules.late_surcharge(amount_fen=exact, days=d2).surcharge_fen
    assert rules.late_surcharge(amount_fen=exact, days=d1 + d2).surcharge_fen == one + two
    assert one == amount_units * d1
    any_amount = amount_units + 7  # any amount: linear up to the rounding of each, one fen at most
    total = rules.late_surcharge(amount_fen=any_amount, days=d1 + d2).surcharge_fen
    parts = (rules.late_surcharge(amount_fen=any_amount, days=d1).surcharge_fen
             + rules.late_surcharge(amount_fen=any_amount, days=d2).surcharge_fen)
    assert abs(total - parts) <= 1


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1)), st.integers(min_value=0, max_value=400))
def test_surcharge_from_dates_grows_a_day_at_a_time(due: date, late: int) -> None:
    days = rules.overdue_days(due=due, paid=due + timedelta(days=late))
    assert days == late
    assert rules.late_surcharge(amount_fen=200_000, days=days).surcharge_fen == 100 * late


def test_surcharge_from_text_names_every_bad_field() -> None:
    assert rules.surcharge_from_text(amount="10,000", days="30").surcharge_fen == 15_000
    with pytest.raises(DomainError) as bad:
        rules.surcharge_from_text(amount="10000.001", days="-3")
    assert [e.field for e in bad.value.errors] == ["amount", "days"]
    assert bad.value.code == "renshe:insurance/amount"
    assert all(e.code.startswith("renshe:insurance/") for e in bad.value.errors)


def test_interest_of_a_year() -> None:
    postings = [rules.Posting(month, 80_000) for month in range(1, 13)]  # 800 yuan a month
    annual = rules.credit_interest(opening_fen=10_000_000, rate=Decimal("0.0262"), postings=postings)
    assert annual.interest_on_balance_fen == 262_000
    assert annual.interest_on_postings_fen == 13_620  # 960,000 × 2.62 % × 1.083 / 2 = 13,619.8
    assert annual.closing_fen == 10_000_000 + 960_000 + 262_000 + 13_620
    monthly = rules.credit_interest(opening_fen=10_000_000, rate=Decimal("0.0262"), postings=postings,
                                    convention="monthly")
    assert monthly.interest_on_postings_fen == 11_528  # 80,000 × 2.62 % × (11+10+...+0) / 12 = 11,528
    none = rules.credit_interest(opening_fen=10_000_000, rate=Decimal("0.0262"), postings=postings, convention="none")
    assert none.interest_on_postings_fen == 0
    assert [s.name for s in annual.trace] == ["interest_on_balance", "interest_on_postings", "closing"]
    with pytest.raises(rules.InsuranceRuleError) as bad:
        rules.credit_interest(opening_fen=0, rate=Decimal("0.02"), convention="daily")
    assert bad.value.code == "renshe:insurance/interest-convention"


@given(st.integers(min_value=0, max_value=1_000_000_000), st.integers(min_value=0, max_value=1_000_000),
       st.decimals(min_value=Decimal("0"), max_value=Decimal("0.1"), places=4),
       st.sampled_from(sorted(rules.CONVENTIONS)))
def test_interest_adds_up_and_grows_with_the_balance(opening: int, extra: int, rate: Decimal, convention: str) -> None:
    postings = [rules.Posting(3, 50_000), rules.Posting(9, 50_000)]
    found = rules.credit_interest(opening_fen=opening, rate=rate, postings=postings, convention=convention)
    assert found.closing_fen == opening + found.postings_fen + found.interest_fen
    assert found.interest_fen >= 0
    richer = rules.credit_interest(opening_fen=opening + extra, rate=rate, postings=postings, convention=convention)
    assert richer.interest_fen >= found.interest_fen
