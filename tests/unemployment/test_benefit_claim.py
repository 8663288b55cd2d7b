"""失业保险金申领 through the hall, the acceptance story: refused with the rule named while the employment relation
is open; after the employer reports the separation, approved with the months and the amount from the person's
own contributions and the first payment in the card; when an employer then reports a hire, the registration
exits and the payments stop, without a clerk."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core.auth import SYSTEM
from renshe.core.errors import DomainError
from renshe.core.models import OutgoingMessage
from renshe.hall.models import Transition
from renshe.registry import schemas as registry_schemas
from renshe.registry import service as registry
from renshe.registry.models import Notice
from renshe.unemployment import jobs, service
from renshe.unemployment.models import (
    BenefitPaymentRow,
    MedicalContribution,
    UnemploymentBenefit,
    UnemploymentRegistration,
)
from tests.factories import bearer
from tests.unemployment import kit


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    from renshe.hall import clock
    monkeypatch.setattr(clock, "today", lambda: kit.TODAY)
    monkeypatch.setattr(service, "today", lambda: kit.TODAY)


def test_refused_while_employed_then_approved_paid_and_stopped_by_a_hire(session: Session, client: Any) -> None:
    kit.load_catalog(session)
    who = kit.unemployed(session)
    clerk, reviewer = kit.staff(session)
    # 1. the employer has not reported the separation: refused, the rule named beside the field
    with pytest.raises(DomainError) as employed:
        kit.apply(session, who)
    assert employed.value.code == "renshe:unemployment/open-employment"
    assert employed.value.errors[0].field == "former_employer"
    assert "失业甲原单位有限公司" in employed.value.detail
    # a separation date in the future is refused too
    kit.end_job(session, who.employer, who.relation)
    with pytest.raises(DomainError) as future:
        kit.apply(session, who, separation_date="2026-12-20")
    assert future.value.code == "renshe:unemployment/separation-in-future"
    assert future.value.errors[0].field == "separation_date"
    # 2. the separation reported: accepted; a second application while it is open is refused
    application = kit.apply(session, who)
    with pytest.raises(DomainError) as second:
        kit.apply(session, who)
    assert second.value.code == "renshe:unemployment/open-application"
    assert application.number in second.value.detail
    decided = kit.decide(session, application, clerk, reviewer)
    assert decided.decision == "approved"
    benefit = session.scalar(select(UnemploymentBenefit))
    assert benefit is not None
    # 72 months of 210 contributions (2019-06 … 2025-05): 5 years and under 10 → 18 months (art. 17)
    assert (benefit.contribution_months, benefit.months, benefit.carried_months) == (72, 18, 0)
    assert benefit.monthly_fen == 180000  # the national default 1,800.00, between 900 and 2,000
    assert benefit.start_month == date(2026, 12, 1)
    assert benefit.end_month == date(2028, 5, 1)
    assert benefit.first_payment_on == kit.TODAY
    assert benefit.application_number == decided.number
    names = [step["name"] for step in benefit.trace]
    assert names[:2] == ["ledger_months", "band"]
    assert {"monthly_amount", "medical"} <= set(names)
    # the claim registered the person (失业登记 together with the claim)
    registration = session.scalar(select(UnemploymentRegistration))
    assert registration is not None
    assert (registration.status, registration.channel) == ("open", "benefit")
    # the first payment reached the card, once; the fund owes the month's medical contribution
    payments = list(session.scalars(select(BenefitPaymentRow)))
    assert [(p.month, p.amount_fen) for p in payments] == [(date(2026, 12, 1), 180000)]
    from renshe.card import service as card
    assert card.payment_statuses(session, references=[payments[0].reference]) == {payments[0].reference: "credited"}
    medical = list(session.scalars(select(MedicalContribution)))
    assert [(m.month, m.amount_fen, m.payer) for m in medical] == [(date(2026, 12, 1), 30000, "unemployment_fund")]
    approval = session.scalar(select(Transition).where(Transition.application_id == decided.id,
                                                       Transition.action == "approve"))
    assert approval is not None
    assert approval.details is not None
    assert (approval.details["months"], approval.details["monthly"], approval.details["first_payment_on"]) == (
        18, "1800.00", "2026-12-02")
    session.commit()
    page = client.get(f"/citizen/applications/{decided.public_id}", headers=bearer(who.citizen))
    assert page.status_code == 200
    assert "已核定失业保险金：共18个月，每月1800.00元，自2026-12起发放，首次发放日期2026-12-02" in page.text
    mine = client.get("/api/v1/unemployment/me", headers=bearer(who.citizen)).json()
    assert mine["benefits"][0]["months"] == 18
    assert mine["payments"][0]["card_status"] == "credited"
    assert mine["registrations"][0]["status_label"] == "已登记（失业）"
    # 3. a new employer reports a hire: the registration exits and the payments stop, without a clerk
    hire = factories_employer(session)
    registry.report_employment(session, actor=SYSTEM, employer=hire, data=registry_schemas.EmploymentIn(
        id_number=who.id_number, start_date=date(2026, 12, 2), job_title="仓管员"))
    assert kit.deliver(session) >= 1
    session.refresh(registration)
    session.refresh(benefit)
    assert (registration.status, registration.exit_reason, registration.exited_on) == ("exited", "employed",
                                                                                      date(2026, 12, 2))
    assert (benefit.status, benefit.stop_reason, benefit.stopped_by) == ("stopped", "reemployed", "system")
    notices = [n.title for n in session.scalars(select(Notice).where(Notice.person_id == who.person.id))]
    assert {"您的失业登记已注销", "您的失业保险金已停止发放"} <= set(notices)
    assert any("被用人单位录用" in m.body for m in session.scalars(select(OutgoingMessage)))
    session.commit()
    summary = jobs.run_payments(actor=SYSTEM, province="110000", month="2027-01")
    assert (summary.status, summary.paid) == ("done", 0)
    assert len(list(session.scalars(select(BenefitPaymentRow)))) == 1


def factories_employer(session: Session) -> Any:
    from tests import factories
    return factories.employer(session, name="新单位物流有限公司")
