"""The clerk's suspension, resume and stop with a reason (API and pages), the checks that name the field and
rule, and the carry-over of an earlier spell's unused months (《失业保险条例》第十七条: contribution time counts
anew after re-employment; the months not drawn are added, at most 24)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core.auth import SYSTEM
from renshe.unemployment import jobs, service
from renshe.unemployment.models import BenefitPaymentRow, UnemploymentBenefit
from tests.factories import bearer
from tests.unemployment import kit


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    from renshe.hall import clock
    monkeypatch.setattr(clock, "today", lambda: kit.TODAY)
    monkeypatch.setattr(service, "today", lambda: kit.TODAY)


def _granted(session: Session, who: kit.Unemployed, *, on: date, separated: date) -> UnemploymentBenefit:
    decision = service.check_claim(session, person=who.person, separation_date=separated,
                                   separation_reason="employer_terminated", today=on)
    return service.grant(session, actor=SYSTEM, person=who.person, decision=decision, separation_date=separated,
                         separation_reason="employer_terminated", former_employer=who.employer.name,
                         application_number=None, today=on)


def test_suspend_resume_and_stop_with_reasons_over_the_api(session: Session, client: Any) -> None:
    who = kit.unemployed(session, ended=True)
    clerk, _ = kit.staff(session)
    benefit = _granted(session, who, on=date(2026, 10, 9), separated=date(2025, 5, 31))
    session.commit()
    path = f"/api/v1/unemployment/benefits/{benefit.public_id}"
    bad = client.post(f"{path}/suspend", json={"reason": "holiday", "on": "2026-11-01"}, headers=bearer(clerk))
    assert (bad.status_code, bad.json()["type"], bad.json()["errors"][0]["field"]) == (
        422, "renshe:unemployment/suspend-reason", "reason")
    suspended = client.post(f"{path}/suspend", json={"reason": "imprisoned", "on": "2026-11-01"}, headers=bearer(clerk))
    assert suspended.status_code == 200, suspended.text
    assert (suspended.json()["status_label"], suspended.json()["stop_reason_label"]) == (
        "暂停发放", "被判刑收监执行（暂停）")
    assert jobs.run_payments(actor=SYSTEM, province="110000", month="2026-11").paid == 0  # not paid while suspended
    resumed = client.post(f"{path}/resume", json={"on": "2026-12-02"}, headers=bearer(clerk))
    assert resumed.status_code == 200, resumed.text
    assert (resumed.json()["status"], resumed.json()["months_paid"], resumed.json()["end_month"]) == (
        "in_payment", 1, "2028-04")  # 17 months left from 2026-12
    assert jobs.run_payments(actor=SYSTEM, province="110000", month="2026-12").paid == 1
    stop_other = client.post(f"{path}/stop", json={"reason": "other", "on": "2026-12-02"}, headers=bearer(clerk))
    assert (stop_other.status_code, stop_other.json()["type"]) == (422, "renshe:unemployment/stop-note")
    stopped = client.post(f"{path}/stop", json={"reason": "refused_work", "on": "2026-12-02",
                                                "note": "两次无正当理由拒绝推荐的适当工作"}, headers=bearer(clerk))
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["status_label"] == "已停发"
    again = client.post(f"{path}/stop", json={"reason": "army", "on": "2026-12-02"}, headers=bearer(clerk))
    assert (again.status_code, again.json()["type"]) == (409, "renshe:unemployment/benefit-closed")
    page = client.get(f"/staff/unemployment/benefits/{benefit.public_id}", headers=bearer(clerk))
    assert page.status_code == 200
    assert "无正当理由，拒不接受" in page.text
    worklist = client.get("/staff/unemployment", headers=bearer(clerk))
    assert worklist.status_code == 200
    assert who.person.name in worklist.text
    listed = client.get("/api/v1/unemployment/benefits?status=stopped", headers=bearer(clerk)).json()
    assert [b["public_id"] for b in listed["items"]] == [benefit.public_id]
    # a citizen cannot use the clerk's routes
    assert client.get("/api/v1/unemployment/benefits", headers=bearer(who.citizen)).status_code in (401, 403)


def test_unused_months_carry_over_to_the_next_spell_within_24(session: Session) -> None:
    # 2019-06 … 2025-05: 72 months → 18 months; two paid, then re-employed (the hire stops the benefit)
    who = kit.unemployed(session, ended=True)
    first = _granted(session, who, on=date(2025, 7, 3), separated=date(2025, 5, 31))
    assert first.months == 18
    service.pay_month(session, benefit=first, month=date(2025, 8, 1), actor=SYSTEM)
    service.stop(session, actor=SYSTEM, benefit=first, reason="reemployed", on=date(2025, 8, 20))
    # a new job with 13 months of contributions, then a new separation
    _, relation, _ = kit.insure(session, who.person, first=date(2025, 9, 1), last=date(2026, 9, 1),
                                ended=True, separated=date(2026, 9, 30))
    assert relation.end_date == date(2026, 9, 30)
    second = service.check_claim(session, person=who.person, separation_date=date(2026, 9, 30),
                                 separation_reason="contract_expired", today=kit.TODAY)
    # contribution time counts anew (13 months: 12), plus the 16 months not drawn, capped at 24
    assert (second.contribution_months, second.carried_months, second.months) == (13, 12, 24)
    steps = {step.name: step for step in second.trace}
    assert steps["carry_over"].inputs == {"entitled": "12", "unused_months": "16", "cap": "24"}
    paid = session.scalars(select(BenefitPaymentRow.month).where(BenefitPaymentRow.benefit_id == first.id)).all()
    assert sorted(paid) == [date(2025, 7, 1), date(2025, 8, 1)]
