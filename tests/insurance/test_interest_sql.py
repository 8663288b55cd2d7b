"""The yearly interest batch computes in SQL what `rules.interest_from_sums` computes in Decimal: a property
test over random accounts (opening balance, postings by month, rate, convention) on the suite's database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from renshe.core.db import utcnow
from renshe.insurance import enrolment, jobs, rules
from renshe.insurance.models import AccountEntry, InterestRun
from tests.insurance import kit

PERSONS = 6
account = st.tuples(
    st.integers(min_value=-5_000, max_value=50_000_000),  # entries before the year (a negative one is clamped)
    st.dictionaries(st.integers(min_value=1, max_value=12), st.integers(min_value=-20_000, max_value=400_000),
                    max_size=12))


@pytest.fixture
def insured(session: Session) -> list[int]:
    kit.average_wage(session)
    staffed = kit.employer_with_staff(session, people=PERSONS)
    for number in staffed.id_numbers:
        enrolment.enrol_employee(session, actor=staffed.agent, unit=staffed.unit, id_number=number,
                                 start_date=date(2023, 1, 1))
    return sorted(r.person_id for r in enrolment.relations_of_unit(session, unit=staffed.unit))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(accounts=st.lists(account, min_size=PERSONS, max_size=PERSONS),
       rate=st.decimals(min_value=Decimal("-0.05"), max_value=Decimal("0.09"), places=4),
       convention=st.sampled_from(sorted(rules.CONVENTIONS)))
def test_the_batch_credits_what_the_rules_compute(session: Session, insured: list[int],
                                                  accounts: list[tuple[int, dict[int, int]]], rate: Decimal,
                                                  convention: str) -> None:
    session.execute(delete(AccountEntry))
    rows = []
    for person_id, (opening, postings) in zip(insured, accounts, strict=True):
        rows.append({"person_id": person_id, "kind": "opening", "entry_date": date(2022, 6, 30), "year": 2022,
                     "amount_fen": opening, "source": f"o:{person_id}", "posted_at": utcnow()})
        rows += [{"person_id": person_id, "kind": "contribution", "entry_date": date(2023, m, 1), "year": 2023,
                  "amount_fen": amount, "source": f"c:{person_id}:{m}", "posted_at": utcnow()}
                 for m, amount in postings.items()]
    session.execute(AccountEntry.__table__.insert(), rows)
    run = InterestRun(province=kit.BEIJING, year=2023, status="running", last_person_id=0, accounts=0,
                      interest_fen=0, rate=str(rate), rate_parameter_id=1, started_by="test")
    session.execute(jobs._credit_statement(session, run, hi=insured[-1], ppm=jobs.rate_ppm(rate),
                                           convention=convention, now=utcnow()))
    credited = {e.person_id: e for e in session.scalars(select(AccountEntry).where(AccountEntry.kind == "interest"))}
    for person_id, (opening, postings) in zip(insured, accounts, strict=True):
        expected = rules.credit_interest(opening_fen=max(0, opening), rate=rate, convention=convention,
                                         postings=[rules.Posting(m, a) for m, a in postings.items()])
        interest = expected.interest_on_balance_fen + expected.interest_on_postings_fen
        if interest == 0:
            assert person_id not in credited
            continue
        entry = credited[person_id]
        assert entry.amount_fen == interest
        assert jobs.interest_of(entry).trace == expected.trace  # the trace is rebuilt from what the batch kept


def test_a_rate_with_more_than_six_decimals_is_refused() -> None:
    with pytest.raises(ValueError, match="六位小数"):
        jobs.rate_ppm(Decimal("0.0262001"))
