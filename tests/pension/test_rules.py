"""The pure pension rules: the figures of the issue and the 2024 decision, and their properties."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from renshe.pension import rules

COHORTS = st.sampled_from([("male", 60, 63 * 12), ("female", 55, 58 * 12), ("female", 50, 55 * 12)])
BIRTHS = st.integers(min_value=1940 * 12, max_value=2010 * 12 + 11).map(rules.Month.of_index)


@pytest.mark.parametrize(("birth", "sex", "original", "age", "months", "month"), [
    ("1965-01", "male", None, "60y1m", 721, "2025-02"),
    ("1967-05", "male", None, "60y8m", 728, "2028-01"),
    ("1974-10", "female", 55, "56y3m", 675, "2031-01"),
    ("1983-02", "male", None, "63y0m", 756, "2046-02"),
    ("1964-12", "male", None, "60y0m", 720, "2024-12"),  # born before the reform's first cohort
    ("1975-01", "female", 50, "50y1m", 601, "2025-02"),
    ("1975-01", "female", None, "50y1m", 601, "2025-02"),  # women default to the workers' 50
])
def test_statutory_retirement_age_examples(birth: str, sex: str, original: int | None, age: str, months: int,
                                           month: str) -> None:
    found = rules.retirement_age(birth=rules.parse_month(birth), sex=sex, original_age=original)
    assert str(found.age) == age
    assert found.age.months_total == months
    assert str(found.retirement_month) == month
    assert [s.name for s in found.trace][-1] == "minimum_contribution_months"
    assert all(s.source for s in found.trace)


def test_minimum_contribution_months_schedule() -> None:
    assert [rules.minimum_contribution_months(y) for y in (2025, 2029, 2030, 2031, 2038, 2039, 2050)] == \
        [180, 180, 186, 192, 234, 240, 240]
    # the woman cadre born 1974-10 retires in 2031-01: 192 months
    assert rules.retirement_age(birth=rules.Month(1974, 10), sex="female", original_age=55
                                ).minimum_contribution_months == 192


@given(COHORTS, BIRTHS, st.integers(min_value=0, max_value=240))
def test_retirement_age_never_decreases_with_a_later_birth_and_never_exceeds_the_cap(
        cohort: tuple[str, int, int], birth: rules.Month, later: int) -> None:
    sex, original, cap = cohort
    first = rules.retirement_age(birth=birth, sex=sex, original_age=original)
    second = rules.retirement_age(birth=birth.plus(later), sex=sex, original_age=original)
    assert first.age <= second.age
    assert first.retirement_month <= second.retirement_month
    assert original * 12 <= first.age.months_total <= cap
    assert second.age.months_total <= cap


@given(COHORTS, BIRTHS)
def test_retirement_age_rises_one_month_per_step(cohort: tuple[str, int, int], birth: rules.Month) -> None:
    sex, original, cap = cohort
    found = rules.retirement_age(birth=birth, sex=sex, original_age=original)
    step = found.cohort.step_months
    later = rules.retirement_age(birth=birth.plus(step), sex=sex, original_age=original)
    assert later.age.months_total - found.age.months_total in (0, 1)
    if found.age.months_total < cap and found.delay_months > 0:
        assert later.age.months_total == found.age.months_total + 1


def test_refusals_name_the_field_and_rule() -> None:
    with pytest.raises(rules.PensionRuleError) as bad_sex:
        rules.retirement_age(birth=rules.Month(1970, 1), sex="x")
    assert bad_sex.value.code == "renshe:pension/sex"
    with pytest.raises(rules.PensionRuleError) as bad_age:
        rules.retirement_age(birth=rules.Month(1970, 1), sex="male", original_age=55)
    assert bad_age.value.errors[0].field == "original_age"
    with pytest.raises(rules.PensionRuleError) as bad_month:
        rules.parse_month("1965-13")
    assert bad_month.value.code == "renshe:pension/month-format"
    for text in ("60y12m", "abc", "y1m", ""):
        with pytest.raises(rules.PensionRuleError):
            rules.parse_age(text)


# ---------------------------------------------------------------- flexible retirement


def test_flexible_early_within_three_years_and_not_below_the_old_age() -> None:
    birth = rules.Month(1983, 2)  # statutory 63y0m in 2046-02
    ok = rules.flexible_retirement(birth=birth, sex="male", requested=rules.Month(2043, 2), contribution_months=240,
                                   employer_agrees=False)
    assert ok.kind == "early"
    assert str(ok.age) == "60y0m"
    assert str(ok.earliest) == "2043-02"
    with pytest.raises(rules.PensionRuleError) as too_early:
        rules.flexible_retirement(birth=birth, sex="male", requested=rules.Month(2043, 1), contribution_months=240,
                                  employer_agrees=False)
    assert too_early.value.code == "renshe:pension/flexible-below-original-age"
    with pytest.raises(rules.PensionRuleError) as short:
        rules.flexible_retirement(birth=birth, sex="male", requested=rules.Month(2044, 6), contribution_months=239,
                                  employer_agrees=False)
    assert short.value.code == "renshe:pension/flexible-minimum-months"
    assert short.value.errors[0].field == "contribution_months"


def test_flexible_early_limited_to_three_years_for_women_workers() -> None:
    birth = rules.Month(1990, 1)  # woman worker: capped at 55y0m in 2045-01; old age 50 in 2040-01
    statutory = rules.retirement_age(birth=birth, sex="female", original_age=50)
    assert str(statutory.age) == "55y0m"
    with pytest.raises(rules.PensionRuleError) as limit:
        rules.flexible_retirement(birth=birth, sex="female", original_age=50, requested=rules.Month(2041, 12),
                                  contribution_months=300, employer_agrees=False)
    assert limit.value.code == "renshe:pension/flexible-early-limit"
    ok = rules.flexible_retirement(birth=birth, sex="female", original_age=50, requested=rules.Month(2042, 1),
                                   contribution_months=300, employer_agrees=False)
    assert str(ok.age) == "52y0m"


def test_flexible_late_needs_consent_and_at_most_three_years() -> None:
    birth = rules.Month(1965, 1)  # statutory 2025-02
    with pytest.raises(rules.PensionRuleError) as consent:
        rules.flexible_retirement(birth=birth, sex="male", requested=rules.Month(2026, 2), contribution_months=0,
                                  employer_agrees=False)
    assert consent.value.code == "renshe:pension/flexible-late-consent"
    late = rules.flexible_retirement(birth=birth, sex="male", requested=rules.Month(2028, 2), contribution_months=0,
                                     employer_agrees=True)
    assert late.kind == "late"
    with pytest.raises(rules.PensionRuleError) as limit:
        rules.flexible_retirement(birth=birth, sex="male", requested=rules.Month(2028, 3), contribution_months=0,
                                  employer_agrees=True)
    assert limit.value.code == "renshe:pension/flexible-late-limit"
    on_time = rules.flexible_retirement(birth=birth, sex="male", requested=rules.Month(2025, 2),
                                        contribution_months=0, employer_agrees=False)
    assert on_time.kind == "statutory"


# ---------------------------------------------------------------- divisor


@pytest.mark.parametrize(("age", "divisor"), [
    ("60y1m", "138.4"), ("50y1m", "194.6"), ("60y6m", "135.5"), ("60y0m", "139.0"), ("47y0m", "207.0"),
    ("63y0m", "117.0"), ("70y0m", "56.0"), ("40", "233.0"),
])
def test_divisor_examples(age: str, divisor: str) -> None:
    assert str(rules.divisor(rules.parse_age(age))[0]) == divisor


def test_divisor_outside_the_table_is_refused() -> None:
    for age in ("39y11m", "70y1m"):
        with pytest.raises(rules.PensionRuleError) as outside:
            rules.divisor(rules.parse_age(age))
        assert outside.value.code == "renshe:pension/age-range"


AGES = st.integers(min_value=40 * 12, max_value=70 * 12).map(rules.Age)


@given(AGES, AGES)
def test_divisor_decreases_with_age(first: rules.Age, second: rules.Age) -> None:
    a, b = sorted((first, second))
    da, db = rules.divisor(a)[0], rules.divisor(b)[0]
    assert da >= db
    if a < b:
        assert da > db
    assert rules.divisor(rules.Age.of(a.years))[0] >= da  # between its whole-age neighbours
    if a.years < 70:
        assert da >= rules.divisor(rules.Age.of(a.years + 1))[0]


def test_a_province_overrides_the_divisor_table_and_schedule() -> None:
    national = rules.national()
    table = {str(age): str(months) for age, months in national.divisors.items()} | {"47": "208"}
    province = rules.with_overrides(national, divisors=table, minimum_schedule={"2025": 180},
                                    transitional_coefficient="0.014", sources={"divisor": "某省人社厅文件"})
    assert rules.divisor(rules.Age.of(47), params=province)[0] == Decimal("208.0")
    assert rules.divisor(rules.Age.of(47), params=province)[1].source.startswith("某省人社厅文件")
    assert rules.minimum_contribution_months(2040, params=province) == 180
    assert national.divisors[47] == Decimal(207)  # the national default is untouched


# ---------------------------------------------------------------- benefit


def test_benefit_of_the_issue_example() -> None:
    found = rules.benefit(average_wage=Decimal(8000), index=Decimal("1.2"), contribution_months=360,
                          account_balance=Decimal(200000), age=rules.parse_age("60y0m"))
    assert (str(found.basic), str(found.account), str(found.transitional), str(found.total)) == \
        ("2640.00", "1438.85", "0.00", "4078.85")
    names = [s.name for s in found.trace]
    assert names == ["average_wage", "index", "indexed_wage", "contribution_years", "basic", "divisor", "account",
                     "transitional", "total"]
    assert all(s.label and s.formula and s.source for s in found.trace)


def test_transitional_pension_with_deemed_months() -> None:
    found = rules.benefit(average_wage=Decimal(8000), index=Decimal("1.2"), contribution_months=360,
                          account_balance=Decimal(200000), age=rules.parse_age("60y0m"), deemed_months=120)
    assert found.transitional == Decimal("1152.00")  # 8000 × 1.2 × 10 × 1.2 %
    assert found.total == Decimal("5230.85")
    custom = rules.benefit(average_wage=Decimal(8000), index=Decimal("1.2"), contribution_months=360,
                           account_balance=Decimal(200000), age=rules.parse_age("60y0m"), deemed_months=120,
                           transitional_coefficient=Decimal("0.01"))
    assert custom.transitional == Decimal("960.00")
    with pytest.raises(rules.PensionRuleError) as too_many:
        rules.benefit(average_wage=Decimal(8000), index=Decimal(1), contribution_months=100,
                      account_balance=Decimal(0), age=rules.Age.of(60), deemed_months=101)
    assert too_many.value.code == "renshe:pension/deemed-months"


def test_each_amount_is_rounded_half_up_once() -> None:
    # basic = (5000 + 5000 × 1.001) / 2 × (181/12) × 1 % = 754.54375 (N is not rounded first); 1000 / 138.4 = 7.2254
    found = rules.benefit(average_wage=Decimal(5000), index=Decimal("1.001"), contribution_months=181,
                          account_balance=Decimal(1000), age=rules.parse_age("60y1m"))
    assert found.basic == Decimal("754.54")
    assert found.account == Decimal("7.23")
    # exactly half a fen rounds up (half-even would give 1.00 and 0.56)
    half = rules.benefit(average_wage=Decimal(50), index=Decimal("1.01"), contribution_months=24,
                         account_balance=Decimal("31.64"), age=rules.Age.of(70))
    assert half.basic == Decimal("1.01")  # (50 + 50.5) / 2 × 2 × 1 % = 1.005
    assert half.account == Decimal("0.57")  # 31.64 / 56 = 0.565


MONEY = st.decimals(min_value=Decimal("1000"), max_value=Decimal("50000"), places=2)
INDEX = st.decimals(min_value=Decimal("0.6"), max_value=Decimal("3"), places=4)


@given(MONEY, INDEX, st.integers(min_value=0, max_value=600), st.integers(min_value=1, max_value=60),
       st.decimals(min_value=Decimal(0), max_value=Decimal(1_000_000), places=2), AGES)
def test_benefit_grows_with_months_and_adds_up(wage: Decimal, index: Decimal, months: int, more: int,
                                               balance: Decimal, age: rules.Age) -> None:
    found = rules.benefit(average_wage=wage, index=index, contribution_months=months, account_balance=balance,
                          age=age)
    longer = rules.benefit(average_wage=wage, index=index, contribution_months=months + more,
                           account_balance=balance, age=age)
    assert longer.basic >= found.basic
    assert found.total == found.basic + found.account + found.transitional
    assert found.basic == (wage * (1 + index) * months / 2400).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")


# ---------------------------------------------------------------- pooled transfer


def test_pooled_transfer_is_twelve_percent_of_bases_from_1998() -> None:
    assert rules.pooled_transfer([rules.BasePeriod(Decimal(5000), 12)]).amount == Decimal("7200.00")
    found = rules.pooled_transfer([rules.BasePeriod(Decimal(3000), 12, 1997), rules.BasePeriod(Decimal(4000), 7, 1998),
                                   rules.BasePeriod(Decimal("4500.50"), 12, 1999)])
    assert found.counted_bases == Decimal(4000 * 7) + Decimal("4500.50") * 12
    assert found.amount == Decimal("9840.72")  # (28000 + 54006) × 12 %
    assert found.trace[0].value == "0"


# ---------------------------------------------------------------- yearly adjustment


def _scheme(year: int, fixed: str = "30") -> rules.AdjustmentScheme:
    """A scheme of the shape provinces publish (the amounts are this test's, not a province's)."""
    return rules.AdjustmentScheme(
        effective_from=date(year, 1, 1), retired_by=date(year - 1, 12, 31), fixed=Decimal(fixed),
        per_contribution_year=Decimal("1.5"), proportional=Decimal("0.01"),
        age_tilts=(rules.AgeTilt(70, Decimal(25)), rules.AgeTilt(80, Decimal(40))), source="测试方案")


def test_yearly_adjustment_adds_fixed_linked_and_tilt() -> None:
    found = rules.adjust(scheme=_scheme(2024), pension=Decimal("4078.85"), contribution_months=365,
                         birth=rules.Month(1950, 6), retired=rules.Month(2010, 6))
    # 30 + 1.5 × 30 + 40.7885 → 40.79 + 25 (aged 74 in 2024)
    assert found.increase == Decimal("140.79")
    assert found.new_pension == Decimal("4219.64")
    assert [s.name for s in found.trace][-1] == "new_pension"
    older = rules.adjust(scheme=_scheme(2024), pension=Decimal("4078.85"), contribution_months=365,
                         birth=rules.Month(1944, 1), retired=rules.Month(2004, 1))
    assert older.increase == Decimal("155.79")  # the 80+ band replaces the 70+ band


def test_who_retired_after_the_cutoff_is_not_adjusted() -> None:
    found = rules.adjust(scheme=_scheme(2024), pension=Decimal(3000), contribution_months=240,
                         birth=rules.Month(1964, 1), retired=rules.Month(2024, 1))
    assert not found.eligible
    assert found.new_pension == Decimal(3000)


def test_the_scheme_in_force_is_chosen_by_date_of_effect() -> None:
    schemes = [_scheme(2023, "20"), _scheme(2024, "30"), _scheme(2025, "35")]
    chosen = rules.scheme_for(schemes, date(2024, 7, 1))
    assert chosen is not None
    assert chosen.fixed == Decimal(30)
    assert rules.scheme_for(schemes, date(2022, 12, 31)) is None


@given(st.decimals(min_value=Decimal(0), max_value=Decimal(50000), places=2), st.integers(min_value=0, max_value=600),
       st.integers(min_value=1930, max_value=1975))
def test_adjustment_never_lowers_a_pension(pension: Decimal, months: int, born: int) -> None:
    found = rules.adjust(scheme=_scheme(2025), pension=pension, contribution_months=months,
                         birth=rules.Month(born, 1), retired=rules.Month(2000, 1))
    assert found.new_pension >= pension
    assert found.increase >= Decimal(30)
