"""The monthly benefit run pays each recipient once a month, set-based: interrupted after some chunks and
resumed, every recipient is paid exactly once (payment row, card payment, medical contribution), a repeated
run adds nothing, and the benefit whose last month was paid ends."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.card import service as card
from renshe.core.auth import SYSTEM
from renshe.core.errors import DomainError
from renshe.unemployment import jobs
from renshe.unemployment.models import (
    BenefitPaymentRow,
    BenefitRun,
    MedicalContribution,
    UnemploymentBenefit,
    UnemploymentRegistration,
)
from tests import factories

PROVINCE = "110000"


def _recipients(session: Session, count: int) -> list[UnemploymentBenefit]:
    """COUNT benefits in payment from 2026-10 to 2026-12 (test data: the run reads benefits, not how they came)."""
    made = []
    for i in range(count):
        person = factories.person(session, name="领取" + "甲乙丙丁戊己庚辛"[i], birth=date(1980 + i, 1, 5))
        registration = UnemploymentRegistration(
            person_id=person.id, person_public_id=person.public_id, person_name=person.name,
            id_number_masked=person.id_number_masked, division_code="110105", place="residence", channel="window",
            registered_on=date(2026, 10, 1), job_intention="仓储管理", status="open", open_key=person.id,
            registered_by="test")
        session.add(registration)
        session.flush()
        benefit = UnemploymentBenefit(
            person_id=person.id, person_public_id=person.public_id, person_name=person.name,
            id_number_masked=person.id_number_masked, division_code="110105", province=PROVINCE,
            registration_id=registration.id, separation_date=date(2026, 9, 30), separation_reason="contract_expired",
            contribution_months=30, carried_months=0, months=3, monthly_fen=180000 + i, medical_fen=30000,
            start_month=date(2026, 10, 1), end_month=date(2026, 12, 1), first_payment_on=date(2026, 10, 8),
            trace=[], parameters=[], status="in_payment", open_key=person.id, granted_by="test")
        session.add(benefit)
        made.append(benefit)
    session.flush()
    return made


def _paid(session: Session, month: date) -> dict[int, int]:
    return {int(b): int(n) for b, n in session.execute(
        select(BenefitPaymentRow.benefit_id, func.count()).where(BenefitPaymentRow.month == month)
        .group_by(BenefitPaymentRow.benefit_id)).all()}


def test_interrupted_run_resumes_and_pays_every_recipient_once(session: Session) -> None:
    benefits = _recipients(session, 7)
    session.commit()
    with pytest.raises(jobs.SimulatedCrash):
        jobs.run_payments(actor=SYSTEM, province=PROVINCE, month="2026-11", chunk_size=2, crash_after_chunks=2)
    run = session.scalar(select(BenefitRun).where(BenefitRun.period == "2026-11"))
    assert run is not None
    session.refresh(run)
    assert (run.status, run.total, run.done, run.paid) == ("running", 7, 4, 4)
    assert _paid(session, date(2026, 11, 1)) == {b.id: 1 for b in benefits[:4]}
    summary = jobs.run_payments(actor=SYSTEM, province=PROVINCE, month="2026-11", chunk_size=2)
    assert (summary.status, summary.done, summary.paid) == ("done", 7, 7)
    assert summary.amount_fen == sum(180000 + i for i in range(7))
    assert _paid(session, date(2026, 11, 1)) == {b.id: 1 for b in benefits}
    references = list(session.scalars(select(BenefitPaymentRow.reference).where(
        BenefitPaymentRow.month == date(2026, 11, 1))))
    assert len(card.payment_statuses(session, references=references)) == 7  # one card payment each (held: no card)
    medical = session.execute(select(MedicalContribution.benefit_id, func.count(), func.sum(
        MedicalContribution.amount_fen)).where(MedicalContribution.month == date(2026, 11, 1))
        .group_by(MedicalContribution.benefit_id)).all()
    assert sorted((int(b), int(n), int(s)) for b, n, s in medical) == [(b.id, 1, 30000) for b in benefits]
    # a repeated run is done already; another run of the same month cannot pay twice either
    again = jobs.run_payments(actor=SYSTEM, province=PROVINCE, month="2026-11")
    assert again.paid == 7
    assert _paid(session, date(2026, 11, 1)) == {b.id: 1 for b in benefits}
    # the last month: paid, and each benefit ends (期满)
    last = jobs.run_payments(actor=SYSTEM, province=PROVINCE, month="2026-12", chunk_size=3)
    assert (last.status, last.paid) == ("done", 7)
    for benefit in benefits:
        session.refresh(benefit)
    assert {(b.status, b.open_key) for b in benefits} == {("ended", None)}
    after = jobs.run_payments(actor=SYSTEM, province=PROVINCE, month="2027-01")
    assert (after.total, after.paid) == (0, 0)


def test_a_bad_month_is_refused_naming_the_field(session: Session) -> None:
    with pytest.raises(DomainError) as bad:
        jobs.run_payments(actor=SYSTEM, province=PROVINCE, month="2026-13")
    assert bad.value.code == "renshe:unemployment/month"
    assert bad.value.errors[0].field == "month"
