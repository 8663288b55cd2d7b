"""退休申请 through the hall: refused before the statutory month and when the minimum months are not met
(with the options), otherwise approved with the amount from the person's own ledger, the trace and the
parameter versions frozen in the award, the pension insurance relation closed (退休) and the first
month paid into the social security card."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core.errors import DomainError
from renshe.core.models import OutgoingMessage
from renshe.hall.applications import service as hall
from renshe.insurance import enrolment
from renshe.pension import rules, service
from renshe.pension.models import PensionAward, PensionPayment
from tests.factories import bearer
from tests.pension import kit


@pytest.fixture(autouse=True)
def _hall_today(monkeypatch: pytest.MonkeyPatch) -> None:
    from renshe.hall import clock
    monkeypatch.setattr(clock, "today", lambda: kit.TODAY)


def test_refused_before_the_statutory_month_naming_the_rule_and_the_month(session: Session) -> None:
    kit.load_catalog(session)
    who = kit.retiree(session)
    with pytest.raises(DomainError) as early:
        kit.apply(session, who, retirement_date="2025-01-20")
    assert early.value.code == "renshe:pension/before-statutory-month"
    assert "2025-02" in early.value.detail
    assert "60岁1个月" in early.value.detail
    assert early.value.errors[0].field == "retirement_date"
    assert session.scalar(select(PensionAward)) is None


def test_refused_when_the_minimum_months_are_not_met_with_the_options(session: Session) -> None:
    kit.load_catalog(session)
    who = kit.retiree(session, first=date(2020, 1, 1))
    with pytest.raises(DomainError) as short:
        kit.apply(session, who)
    assert short.value.code == "renshe:pension/minimum-months"
    detail = short.value.detail
    assert "累计缴费60个月" in detail
    assert "须满180个月" in detail
    assert "还差120个月" in detail
    assert "继续缴费" in detail
    assert "城乡居民基本养老保险" in detail
    assert "一次性缴费补足" not in detail  # insured only from 2020: the lump-sum rule does not apply


def test_the_lump_sum_is_offered_to_those_insured_before_july_2011(session: Session) -> None:
    kit.load_catalog(session)
    who = kit.retiree(session, first=date(2011, 1, 1), last=date(2011, 12, 1))
    with pytest.raises(DomainError) as short:
        kit.apply(session, who)
    assert "一次性缴费补足" in short.value.detail


def test_approved_with_the_amount_the_trace_and_a_first_payment_into_the_card(session: Session,
                                                                              client: Any) -> None:
    kit.load_catalog(session)
    who = kit.retiree(session)
    clerk, reviewer = kit.staff(session)
    application = kit.apply(session, who)
    submitted = hall.form_data(application)
    assert submitted["retirement_mode"] == "statutory"
    decided = kit.decide(session, application, clerk, reviewer)
    assert decided.decision == "approved"
    award = session.scalar(select(PensionAward))
    assert award is not None
    assert (award.application_number, award.kind, award.age, award.months) == (decided.number, "statutory", "60y1m",
                                                                                192)
    assert award.retirement_month == date(2025, 2, 1)
    assert award.start_month == date(2025, 3, 1)
    # From the ledger: index 8,000 / 10,000, 192 months, balance 192 × 640 yuan, divisor at 60y1m.
    expected = rules.benefit(average_wage=Decimal(10000), index=Decimal("0.8"), contribution_months=192,
                             account_balance=Decimal(192 * 640), age=rules.Age(721))
    assert award.basic_fen == 144000 == int(expected.basic * 100)
    assert award.account_fen == int(expected.account * 100)
    assert award.monthly_fen == award.awarded_fen == int(expected.total * 100)
    names = {step["name"] for step in award.trace}
    assert {"statutory_age", "ledger_months", "ledger_index", "ledger_balance", "basic", "divisor", "account",
            "total"} <= names or {"ledger_months", "basic", "total"} <= names
    used = {p["parameter"]: p for p in award.parameters}
    assert used["average_wage"]["parameter_id"]
    assert used["average_wage"]["effective_from"] == "2005-01-01"
    assert "national.retirement" in used
    assert used["national.retirement"]["source"]
    # the pension insurance relation is closed: 减员 for 退休
    relations = enrolment.relations_of_person(session, person_id=who.person.id)
    assert [(r.end_reason, r.end_date) for r in relations] == [("23", date(2025, 2, 28))]
    # the first month paid into the card, once
    payments = list(session.scalars(select(PensionPayment)))
    assert [(p.month, p.amount_fen, p.card_status) for p in payments] == [
        (date(2025, 3, 1), award.monthly_fen, "credited")]
    assert service.pay_month(session, award=award, month=date(2025, 3, 1), actor=reviewer).id == payments[0].id
    # the fund report counts it as benefit expenditure (养老金支出) of its month, and of no other
    assert service.pensions_paid(session, province=award.province, since=date(2025, 3, 1),
                                 end=date(2025, 3, 31)) == award.monthly_fen
    assert service.pensions_paid(session, province=award.province, since=date(2025, 4, 1),
                                 end=date(2025, 4, 30)) == 0
    assert service.pensions_paid(session, province="440000", since=None, end=date(2025, 12, 31)) == 0
    assert any("基本养老金已核定" in m.body for m in session.scalars(select(OutgoingMessage)))
    with pytest.raises(DomainError) as again:
        kit.decide(session, kit.apply(session, who), clerk, reviewer)
    assert again.value.code == "renshe:pension/already-awarded"
    session.commit()
    # the citizen and the clerk see the check and the award on the application
    mine = client.get(f"/citizen/applications/{decided.public_id}", headers=bearer(who.citizen))
    assert mine.status_code == 200
    assert f"每月{award.monthly_fen / 100:.2f}元，自2025-03起" in mine.text
    assert "退休条件核验（按个人权益记录）：退休月份2025-02" in mine.text
    desk = client.get(f"/staff/hall/applications/{decided.public_id}", headers=bearer(reviewer))
    assert desk.status_code == 200
    assert f"/staff/pension/awards/{award.public_id}" in desk.text


def test_flexible_retirement_within_the_rules(session: Session) -> None:
    kit.load_catalog(session)
    who = kit.retiree(session)
    with pytest.raises(DomainError) as below:  # early, but before the old statutory age of 60
        kit.apply(session, who, retirement_mode="early", retirement_date="2024-12-01")
    assert below.value.code == "renshe:pension/flexible-below-original-age"
    with pytest.raises(DomainError) as consent:
        kit.apply(session, who, retirement_mode="late", retirement_date="2025-08-01")
    assert consent.value.code == "renshe:pension/flexible-late-consent"
    assert consent.value.errors[0].field == "employer_agrees"
    with pytest.raises(DomainError) as beyond:
        kit.apply(session, who, retirement_mode="late", retirement_date="2028-03-01", employer_agrees=True)
    assert beyond.value.code == "renshe:pension/flexible-late-limit"
    clerk, reviewer = kit.staff(session)
    kit.decide(session, kit.apply(session, who, retirement_mode="late", retirement_date="2025-08-01",
                                  employer_agrees=True), clerk, reviewer)
    award = session.scalar(select(PensionAward))
    assert award is not None
    assert (award.kind, award.age, award.start_month) == ("late", "60y7m", date(2025, 9, 1))
