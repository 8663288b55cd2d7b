"""Individual accounts: posting once a month is paid, the yearly interest as a resumable batch (a crash
between chunks, then a restart, credits every account once), and the personal record."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.core.errors import Conflict
from renshe.insurance import accounts, contributions, enrolment, jobs
from renshe.insurance.models import AccountEntry, InterestRun
from renshe.insurance.rules import Posting, credit_interest
from tests.insurance import kit
from tests.insurance.test_contributions import xlsx

HEADER = ["票据号", "缴费人识别号", "险种", "费款所属期", "金额", "入库日期"]


def _paid_year(session: Session, *, people: int, year: int = 2023, months: tuple[int, ...] = (1, 2, 3)
               ) -> kit.Unit:
    """A unit whose staff are enrolled, declared at 8,000 a month, assessed and paid for `months` of `year`."""
    kit.average_wage(session)
    staffed = kit.employer_with_staff(session, people=people, hired=date(year, 1, 1), registered_on=date(year, 1, 1))
    for number in staffed.id_numbers:
        enrolment.enrol_employee(session, actor=staffed.agent, unit=staffed.unit, id_number=number,
                                 start_date=date(year, 1, 1))
    data = xlsx(["身份证号码", "月缴费工资"], [[n, 8000] for n in staffed.id_numbers])
    contributions.declare(session, actor=staffed.agent, unit=staffed.unit, year=year,
                          rows=contributions.read_declaration_xlsx(data), key=contributions.file_key(data))
    receipts = []
    for m in months:
        contributions.assess(session, actor=kit.system(), unit=staffed.unit, month=date(year, m, 1))
        receipts.append([f"R{staffed.unit.id}-{year}-{m}", staffed.credit_code, "110", f"{year}-{m:02d}",
                         f"{1920 * people}.00", f"{year}-{m:02d}-20"])
    contributions.import_receipts(session, actor=kit.system(), rows=contributions.read_receipts_xlsx(
        xlsx(HEADER, receipts)), batch=f"b-{staffed.unit.id}")
    for m in months:
        assert accounts.post_month(session, actor=kit.system(), unit=staffed.unit, month=date(year, m, 1),
                                   on=date(year, 12, 31)) == people
    return staffed


def _person_ids(session: Session, staffed: kit.Unit) -> list[int]:
    return [r.person_id for r in enrolment.relations_of_unit(session, unit=staffed.unit)]


def test_posting_needs_payment_in_full_and_happens_once(session: Session) -> None:
    staffed = _paid_year(session, people=1)
    person = _person_ids(session, staffed)[0]
    assert accounts.balance_fen(session, person_id=person) == 3 * 64000
    assert accounts.post_month(session, actor=kit.system(), unit=staffed.unit, month=date(2023, 1, 1),
                               on=date(2023, 12, 31)) == 0
    contributions.assess(session, actor=kit.system(), unit=staffed.unit, month=date(2023, 4, 1))
    with pytest.raises(Conflict) as unpaid:
        accounts.post_month(session, actor=kit.system(), unit=staffed.unit, month=date(2023, 4, 1),
                            on=date(2023, 12, 31))
    assert unpaid.value.code == "renshe:insurance/not-paid"


def test_interest_is_credited_with_the_rules_and_shows_in_the_record(session: Session) -> None:
    staffed = _paid_year(session, people=1)
    person = _person_ids(session, staffed)[0]
    summary = jobs.run_interest(actor=kit.system(), province=kit.BEIJING, year=2023)
    assert summary.status == "done"
    assert summary.accounts == 1
    expected = credit_interest(opening_fen=0, rate=Decimal("0.0397"),
                               postings=[Posting(1, 64000), Posting(2, 64000), Posting(3, 64000)])
    assert summary.interest_fen == expected.interest_fen > 0
    record = accounts.personal_record(session, person_id=person)
    assert record.months == 3
    assert record.balance_fen == expected.closing_fen
    assert [(y.year, y.months, y.contributions_fen, y.interest_fen) for y in record.years] == [
        (2023, 3, 192000, expected.interest_fen)]
    assert [line.base_fen for line in record.lines] == [800000, 800000, 800000]
    # The same year again changes nothing.
    assert jobs.run_interest(actor=kit.system(), province=kit.BEIJING, year=2023).interest_fen == summary.interest_fen
    assert session.scalar(select(func.count()).select_from(AccountEntry).where(AccountEntry.kind == "interest")) == 1


def test_a_crash_between_chunks_then_a_restart_credits_every_account_once(session: Session) -> None:
    staffed = _paid_year(session, people=5, months=(1,))
    persons = _person_ids(session, staffed)
    with pytest.raises(jobs.SimulatedCrash):
        jobs.run_interest(actor=kit.system(), province=kit.BEIJING, year=2023, chunk_size=2, crash_after_chunks=1)
    run = session.scalar(select(InterestRun).where(InterestRun.year == 2023))
    assert run is not None
    session.refresh(run)
    assert run.status == "running"
    assert run.accounts == 2
    credited = session.scalar(select(func.count()).select_from(AccountEntry).where(AccountEntry.kind == "interest"))
    assert credited == 2
    with pytest.raises(jobs.SimulatedCrash):  # a second crash, one chunk further
        jobs.run_interest(actor=kit.system(), province=kit.BEIJING, year=2023, chunk_size=2, crash_after_chunks=1)
    summary = jobs.run_interest(actor=kit.system(), province=kit.BEIJING, year=2023, chunk_size=2)
    assert summary.status == "done"
    assert summary.accounts == 5
    per_person = dict(session.execute(select(AccountEntry.person_id, func.count()).where(
        AccountEntry.kind == "interest").group_by(AccountEntry.person_id)).all())
    assert per_person == dict.fromkeys(persons, 1)
    one = credit_interest(opening_fen=0, rate=Decimal("0.0397"), postings=[Posting(1, 64000)]).interest_fen
    assert summary.interest_fen == 5 * one
