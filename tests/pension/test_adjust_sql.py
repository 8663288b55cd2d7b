"""The yearly adjustment batch computes in SQL what `rules.adjust` computes in Decimal: a property test over
random awards (amount before, contribution months, birth and retirement month, an earlier adjustment) and
random schemes (fixed amount, per-year and proportional links, age tilts, cutoff), on the suite's database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from renshe.core.db import utcnow
from renshe.insurance import parameters
from renshe.pension import jobs, rules
from renshe.pension.models import PensionAdjustment, PensionAward, PensionRun
from tests import factories

AWARDS = 6
PROVINCE = "110000"
YEAR = 2026

award = st.tuples(
    st.integers(min_value=0, max_value=3_000_000),  # awarded, fen
    st.integers(min_value=0, max_value=600),  # contribution months
    st.integers(min_value=1930, max_value=1975),  # birth year
    st.dates(min_value=date(1990, 1, 1), max_value=date(2026, 12, 1)).map(lambda d: d.replace(day=1)),  # retired
    st.one_of(st.none(), st.integers(min_value=0, max_value=50_000)),  # an earlier year's increase, fen
)
money = st.decimals(min_value=Decimal("0"), max_value=Decimal("200"), places=2)
scheme = st.builds(
    lambda fixed, per_year, share, tilts, retired_by: rules.AdjustmentScheme(
        effective_from=date(YEAR, 1, 1), retired_by=retired_by, fixed=fixed, per_contribution_year=per_year,
        proportional=share, age_tilts=tuple(rules.AgeTilt(age, amount) for age, amount in sorted(tilts.items())),
        source="测试方案"),
    money, st.decimals(min_value=Decimal("0"), max_value=Decimal("5"), places=3),
    st.decimals(min_value=Decimal("0"), max_value=Decimal("0.05"), places=4),
    st.dictionaries(st.integers(min_value=60, max_value=95), money, max_size=4),
    st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 12, 31)))


@pytest.fixture
def awards(session: Session) -> list[PensionAward]:
    made = []
    for n in range(AWARDS):
        person = factories.person(session, name="退休" + "甲乙丙丁戊己"[n], birth=date(1960, 1, n + 1))
        row = PensionAward(person_id=person.id, person_public_id=person.public_id, person_name=person.name,
                           id_number_masked="1101**********0000", division_code="110105", province=PROVINCE,
                           birth_month="1960-01", retirement_month=date(2020, 2, 1), start_month=date(2020, 3, 1),
                           kind="statutory", age="60y0m", months=180, deemed_months=0, basic_fen=0, account_fen=0,
                           transitional_fen=0, awarded_fen=0, monthly_fen=0, trace=[], parameters=[],
                           granted_by="test")
        session.add(row)
        made.append(row)
    session.flush()
    return made


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(award, min_size=AWARDS, max_size=AWARDS), scheme=scheme)
def test_the_batch_adjusts_what_the_rules_compute(session: Session, awards: list[PensionAward],
                                                  rows: list[tuple[int, int, int, date, int | None]],
                                                  scheme: rules.AdjustmentScheme) -> None:
    session.execute(delete(PensionAdjustment))
    for row, (awarded, months, birth_year, retired, earlier) in zip(awards, rows, strict=True):
        row.awarded_fen, row.months, row.retirement_month = awarded, months, retired
        row.birth_month = f"{birth_year}-03"
        if earlier is not None:
            session.add(PensionAdjustment(award_id=row.id, year=YEAR - 1, effective_from=date(YEAR - 1, 1, 1),
                                          before_fen=awarded, increase_fen=earlier, after_fen=awarded + earlier,
                                          scheme_parameter_id=0, trace={}))
    session.flush()
    value = parameters.Value(id=1, province=PROVINCE, key="pension_adjustment", effective_from=date(YEAR, 1, 1),
                             value={}, source="测试方案")
    run = PensionRun(kind="adjust", province=PROVINCE, period=str(YEAR), status="running", total=AWARDS,
                     last_award_id=0, done=0, amount_fen=0, started_by="test")
    session.execute(jobs.adjust_statement(session, run, hi=awards[-1].id, value=value, scheme=scheme, now=utcnow()))
    made = {a.award_id: a for a in session.scalars(select(PensionAdjustment).where(PensionAdjustment.year == YEAR))}
    for row, (awarded, months, birth_year, retired, earlier) in zip(awards, rows, strict=True):
        before = awarded + (earlier or 0)
        expected = rules.adjust(scheme=scheme, pension=Decimal(before) / 100, contribution_months=months,
                                birth=rules.Month(birth_year, 3), retired=rules.Month(retired.year, retired.month))
        if not expected.eligible:
            assert row.id not in made
            continue
        got = made[row.id]
        assert (got.before_fen, got.increase_fen, got.after_fen) == (
            before, int(expected.increase * 100), before + int(expected.increase * 100))
    # An award already adjusted this year is skipped: the same statement again adds nothing.
    session.execute(jobs.adjust_statement(session, run, hi=awards[-1].id, value=value, scheme=scheme, now=utcnow()))
    again = session.scalars(select(PensionAdjustment).where(PensionAdjustment.year == YEAR)).all()
    assert len(again) == len(made)
