"""A person's pension from the insurance ledger: months, index and balance from the posted contributions,
the province's parameters in force on the retirement month, and the flexible-retirement rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from renshe.core.auth import SYSTEM, issue_token
from renshe.core.errors import DomainError
from renshe.insurance import parameters
from renshe.pension import rules, service
from renshe.registry import service as registry
from tests.insurance import kit
from tests.insurance.test_accounts import _paid_year, _person_ids


def _worker(session: Session):  # type: ignore[no-untyped-def]
    """The first employee of a unit paid for 2023-01..03 at 8,000 a month, the average wage 10,000."""
    staffed = _paid_year(session, people=1)
    person_id = _person_ids(session, staffed)[0]
    return registry.find_person(session, actor=SYSTEM, id_number=staffed.id_numbers[0]), person_id


def test_estimate_from_the_ledger(session: Session) -> None:
    person, person_id = _worker(session)
    assert person.id == person_id
    assert (person.birth_date, person.sex) == (date(1980, 3, 9), "1")
    found = service.estimate(session, person=person, province=kit.BEIJING)
    assert str(found.statutory.age) == "63y0m"  # capped: born 1980-03
    assert str(found.retirement_month) == "2043-03"
    assert (found.months, found.index, found.balance) == (3, Decimal("0.8"), Decimal("1920"))
    assert found.benefit.basic == Decimal("22.50")  # (10000 + 8000) / 2 × 3/12 × 1 %
    assert found.benefit.account == Decimal("16.41")  # 1920 / 117
    assert found.benefit.total == Decimal("38.91")
    assert found.minimum_months == 240
    assert not found.minimum_met
    names = [s.name for s in found.trace]
    assert {"ledger_months", "ledger_index", "ledger_balance", "average_wage_parameter", "basic", "total"} <= set(names)
    wage_step = next(s for s in found.trace if s.name == "average_wage_parameter")
    assert "测试：演示月平均工资" in wage_step.source


def test_deemed_months_count_and_earn_the_transitional_pension(session: Session) -> None:
    person, _ = _worker(session)
    found = service.estimate(session, person=person, province=kit.BEIJING, deemed_months=120)
    assert found.months == 123
    assert found.benefit.basic == Decimal("922.50")
    assert found.benefit.transitional == Decimal("960.00")  # 10000 × 0.8 × 10 × 1.2 %


def test_the_province_parameters_in_force_on_the_retirement_month_apply(session: Session) -> None:
    person, _ = _worker(session)
    table = {str(age): str(months) for age, months in rules.national().divisors.items()} | {"63": "118"}
    parameters.set_value(session, actor=SYSTEM, province=kit.BEIJING, key="divisor_table",
                         effective_from=date(2040, 1, 1), value=table, source="测试：某省计发月数调整")
    found = service.estimate(session, person=person, province=kit.BEIJING)
    assert found.benefit.divisor == Decimal("118.0")
    assert found.benefit.account == Decimal("16.27")  # 1920 / 118
    divisor_step = next(s for s in found.trace if s.name == "divisor")
    assert "测试：某省计发月数调整" in divisor_step.source
    early = service.parameters_for(session, province=kit.BEIJING, on=date(2039, 12, 1))
    assert early.divisors[63] == Decimal(117)


def test_flexible_early_retirement_needs_the_minimum_months(session: Session) -> None:
    person, _ = _worker(session)
    with pytest.raises(DomainError) as short:
        service.estimate(session, person=person, province=kit.BEIJING, requested_month=rules.Month(2041, 3))
    assert short.value.code == "renshe:pension/flexible-minimum-months"
    found = service.estimate(session, person=person, province=kit.BEIJING, requested_month=rules.Month(2041, 3),
                             deemed_months=240)
    assert found.kind == "early"
    assert str(found.age) == "61y0m"


def test_no_contributions_is_a_clear_refusal(session: Session) -> None:
    kit.average_wage(session)
    staffed = kit.employer_with_staff(session, people=1)
    person = registry.find_person(session, actor=SYSTEM, id_number=staffed.id_numbers[0])
    with pytest.raises(DomainError) as none:
        service.estimate(session, person=person, province=kit.BEIJING)
    assert none.value.code == "renshe:pension/no-contributions"


def test_citizen_sees_their_own_estimate_on_the_api_and_the_page(client: Any, session: Session) -> None:
    person, _ = _worker(session)
    session.commit()
    anonymous = client.get("/api/v1/pension/me/estimate")
    assert anonymous.status_code == 401
    client.cookies.set("renshe_token", issue_token(kit.citizen_of(person.public_id, person.name), minutes=10))
    answer = client.get("/api/v1/pension/me/estimate", params={"deemed_months": "120"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["retirement_month"], body["months"], body["index"], body["account_balance"]) == \
        ("2043-03", 123, "0.8", "1920.00")
    assert (body["basic"], body["transitional"], body["total"]) == ("922.50", "960.00", "1898.91")
    assert body["minimum_met"] is False
    bad = client.get("/api/v1/pension/me/estimate", params={"deemed_months": "-1"})
    assert bad.status_code == 422
    assert bad.json()["type"] == "renshe:pension/deemed-months"
    page = client.get("/citizen/pension/calculator", params={"form": "mine"})
    assert page.status_code == 200
    assert "38.91 元/月" in page.text
    assert "个人权益记录" in page.text
    assert "尚未达到" in page.text


def test_the_page_invites_a_visitor_to_sign_in(client: Any) -> None:
    page = client.get("/citizen/pension/calculator", params={"form": "mine"})
    assert page.status_code == 200
    assert "/citizen/login?next=/citizen/pension/calculator" in page.text


def test_a_retirement_claim_is_checked_against_the_month_and_the_minimum(session: Session) -> None:
    person, _ = _worker(session)
    with pytest.raises(DomainError) as too_early:
        service.check_retirement(session, person=person, province=kit.BEIJING, month=rules.Month(2040, 2),
                                 deemed_months=300)
    assert too_early.value.code == "renshe:pension/flexible-below-original-age"
    with pytest.raises(DomainError) as short:
        service.check_retirement(session, person=person, province=kit.BEIJING, month=rules.Month(2043, 3))
    assert short.value.code == "renshe:pension/minimum-months"
    assert "还差237个月" in short.value.detail
    approved = service.check_retirement(session, person=person, province=kit.BEIJING, month=rules.Month(2043, 3),
                                        deemed_months=237)
    assert approved.kind == "statutory"
    assert approved.minimum_met
    assert approved.benefit.total > 0
