"""Employment-support subsidies: an ineligible person is refused with the rule named, an eligible one is paid
once into the card however many times they apply, and the clerk's approval checks every rule again."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.core.auth import SYSTEM
from renshe.core.errors import DomainError
from renshe.subsidies import rules, service
from renshe.subsidies.models import SubsidyApplication
from renshe.unemployment import schemas as unemployment_schemas
from renshe.unemployment import service as unemployment
from tests import factories
from tests.factories import bearer
from tests.insurance.kit import citizen_of


def _register_unemployed(session: Session, id_number: str) -> None:
    unemployment.window_registration(session, actor=SYSTEM, on=date.today(), data=unemployment_schemas.RegistrationIn(
        id_number=id_number, job_intention="仓储管理"))


def _card_payments(session: Session, reference: str) -> int:
    from renshe.card.models import BenefitPayment
    return int(session.scalar(select(func.count()).select_from(BenefitPayment)
                              .where(BenefitPayment.reference == reference)) or 0)


def test_an_ineligible_person_is_refused_with_the_rule_named_and_an_eligible_one_is_paid_once(
        session: Session, client: Any) -> None:
    number = factories.resident_id("110105", date(1985, 3, 2))
    person = factories.person(session, name="王创业", birth=date(1985, 3, 2), id_number=number)
    citizen = citizen_of(person.public_id, person.name)
    clerk = factories.staff_user(session, username="subsidy-clerk", roles=("clerk",), division="110105")
    session.commit()

    # Not registered as unemployed: the startup subsidy is refused, naming the rule (API and service alike).
    refused = client.post("/api/v1/subsidies/applications", json={"policy": "startup"}, headers=bearer(citizen))
    assert refused.status_code == 422, refused.text
    assert refused.json()["type"].endswith("renshe:subsidies/registered_unemployed")
    assert "已办理失业登记" in refused.text
    shown = {p["code"]: p for p in client.get("/api/v1/subsidies/eligibility", headers=bearer(citizen)).json()}
    assert shown["startup"]["eligible"] is False
    assert [r["met"] for r in shown["startup"]["rules"]] == [True, True, False, True]

    _register_unemployed(session, number)
    session.commit()
    made = client.post("/api/v1/subsidies/applications", json={"policy": "startup"}, headers=bearer(citizen))
    assert made.status_code == 201, made.text
    again = client.post("/api/v1/subsidies/applications", json={"policy": "startup"}, headers=bearer(citizen))
    assert again.status_code == 422
    assert again.json()["type"].endswith("renshe:subsidies/once")

    public_id = made.json()["public_id"]
    paid = client.post(f"/api/v1/subsidies/applications/{public_id}/approve", headers=bearer(clerk))
    assert paid.status_code == 200, paid.text
    assert (paid.json()["state"], paid.json()["amount"]) == ("paid", "5000.00")
    twice = client.post(f"/api/v1/subsidies/applications/{public_id}/approve", headers=bearer(clerk))
    assert twice.status_code == 409
    reference = f"subsidy:startup:{person.public_id}"
    assert _card_payments(session, reference) == 1
    # A new application after payment is refused too: the policy is paid once per person.
    with pytest.raises(DomainError) as once:
        service.apply(session, actor=citizen, policy_code="startup")
    assert once.value.code == "renshe:subsidies/once"
    mine = client.get("/api/v1/subsidies/applications", headers=bearer(citizen)).json()["items"]
    assert [(a["policy"], a["state"]) for a in mine] == [("startup", "paid")]
    page = client.get("/citizen/subsidies", headers=bearer(citizen))
    assert page.status_code == 200
    assert "一次性创业补贴" in page.text
    assert "已发放" in page.text


def test_the_approval_checks_again_and_refuses_a_person_who_died_since(session: Session) -> None:
    number = factories.resident_id("110105", date(1983, 7, 9))
    person = factories.person(session, name="李复核", birth=date(1983, 7, 9), id_number=number)
    _register_unemployed(session, number)
    citizen = citizen_of(person.public_id, person.name)
    clerk = factories.staff_user(session, username="subsidy-clerk2", roles=("clerk",), division="110105")
    row = service.apply(session, actor=citizen, policy_code="startup")
    person.status = "deceased"
    session.flush()
    decided = service.approve(session, actor=clerk, public_id=row.public_id)
    assert decided.state == "refused"
    assert decided.grant_key is None
    assert decided.reason is not None
    assert "人员状态正常" in decided.reason
    assert _card_payments(session, f"subsidy:startup:{person.public_id}") == 0
    assert session.scalar(select(func.count()).select_from(SubsidyApplication)) == 1


def test_a_clerk_outside_the_jurisdiction_cannot_decide(session: Session) -> None:
    number = factories.resident_id("110105", date(1984, 1, 5))
    person = factories.person(session, name="赵辖区", birth=date(1984, 1, 5), id_number=number)
    _register_unemployed(session, number)
    row = service.apply(session, actor=citizen_of(person.public_id, person.name), policy_code="startup")
    elsewhere = factories.staff_user(session, username="subsidy-other", roles=("clerk",), division="110108")
    with pytest.raises(DomainError) as hidden:
        service.approve(session, actor=elsewhere, public_id=row.public_id)
    assert hidden.value.status == 404
    assert service.worklist(session, actor=elsewhere)[0] == []  # nor listed outside the jurisdiction
    here = factories.staff_user(session, username="subsidy-here", roles=("clerk",), division="110105")
    assert [r.public_id for r in service.worklist(session, actor=here)[0]] == [row.public_id]


def _facts(**changes: Any) -> rules.Facts:
    base: dict[str, Any] = {"status": "normal", "birth_date": date(1974, 6, 1), "male": False,
                            "registered_unemployed": False, "employed": False, "paid_months": (), "claimed": False}
    return rules.Facts(**{**base, **changes})


def test_the_hard_to_employ_rules_follow_sex_age_employment_and_recent_contributions() -> None:
    policy = service.policies()["flexible-insurance"]
    on = date(2026, 12, 2)
    paid = (date(2026, 10, 1),)

    def met(**changes: Any) -> dict[str, bool]:
        return {r.rule: r.met for r in rules.check(policy, _facts(**changes), on)}

    assert all(met(paid_months=paid).values())  # a woman of 52 with a recent month paid
    assert met(paid_months=paid, male=True)["age_by_sex"] is True  # a man of 52 is a "4050" person too
    assert met(paid_months=paid, male=True, birth_date=date(1981, 6, 1))["age_by_sex"] is False  # a man of 45
    assert met(paid_months=paid, birth_date=date(1987, 1, 1))["age_by_sex"] is False  # a woman of 39
    assert met(paid_months=(date(2025, 11, 1),))["contributed"] is False  # over twelve months ago
    assert met(paid_months=paid, employed=True)["not_employed"] is False
    assert met(paid_months=paid, claimed=True)["once"] is False


def test_the_graduate_and_training_policies_read_the_key_groups_and_the_certificates(
        session: Session, client: Any) -> None:
    from renshe.certs import service as certs
    from renshe.keygroups import schemas as keygroup_schemas
    from renshe.keygroups import service as keygroups

    number = factories.resident_id("110105", date(2003, 6, 1))
    person = factories.person(session, name="吴毕业", birth=date(2003, 6, 1), id_number=number)
    citizen = citizen_of(person.public_id, person.name)
    shown = {p.code: p for p, _results in service.eligibility(session, actor=citizen)}
    assert set(shown) == {"startup", "flexible-insurance", "job-seeking", "training"}
    seeking_rules = next(r for p, r in service.eligibility(session, actor=citizen) if p.code == "job-seeking")
    assert [r.met for r in seeking_rules] == [True, False, False, True]
    with pytest.raises(DomainError) as refused:
        service.apply(session, actor=citizen, policy_code="training")
    assert refused.value.code == "renshe:subsidies/certificate"

    keygroups.create_record(session, actor=SYSTEM, data=keygroup_schemas.RecordIn(
        id_number=number, name="吴毕业", division_code="110105", groups=[
            keygroup_schemas.MembershipIn(group="graduate", attributes={
                "graduation_year": str(service.today().year), "school": "某大学", "major": "会计学",
                "education": "bachelor"}),
            keygroup_schemas.MembershipIn(group="hard_to_employ", attributes={"category": "urban_minimum_living"})]))
    made = service.apply(session, actor=citizen, policy_code="job-seeking")
    assert made.state == "submitted"
    certs.issue(session, actor=SYSTEM, person_public_id=person.public_id, type_key="vocational-skill-level",
                fields={"occupation": "电工", "level": "四级/中级工", "evaluator": "某评价机构", "score": "合格"})
    assert service.apply(session, actor=citizen, policy_code="training").state == "submitted"


def test_the_certificate_rule_counts_months_back() -> None:
    rule = {"rule": "certificate", "types": ["vocational-skill-level"], "within_months": 12}
    on = date(2026, 3, 15)
    held = _facts(certificates=(("vocational-skill-level", date(2025, 3, 1)),))
    assert rules.CHECKS["certificate"](held, rule, on).met
    old = _facts(certificates=(("vocational-skill-level", date(2025, 2, 28)),))
    assert not rules.CHECKS["certificate"](old, rule, on).met
    other = _facts(certificates=(("social-security-card", date(2026, 3, 1)),))
    assert not rules.CHECKS["certificate"](other, rule, on).met
