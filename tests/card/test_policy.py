"""The card's authorisation rules, decided in one place (renshe.card.policy)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from renshe.card import policy, rules
from renshe.core.auth import Principal
from renshe.core.errors import DomainError
from renshe.registry.models import Person
from tests import factories
from tests.card import kit


def _refusal_code(actor: Principal, action: str, target: policy.Target = None) -> str | None:
    try:
        policy.require(actor, action, target)
    except DomainError as exc:
        return exc.code
    return None


def test_window_work_needs_the_permission_and_the_jurisdiction(session: Session) -> None:
    person = factories.person(session, county="110105", name="刘德华")
    clerk = kit.clerk(session)
    assert policy.can(clerk, "card.apply", person)
    assert policy.can(clerk, "card.report_loss", person)
    far = kit.clerk(session, username="far-clerk", division="110108")
    with pytest.raises(DomainError) as caught:
        policy.require(far, "card.apply", person)
    assert caught.value.code == "renshe:auth/out-of-jurisdiction"
    assert caught.value.audit is not None  # the denial is written to the audit log by the web layer
    assert caught.value.audit["entity_id"] == person.public_id
    reviewer = factories.staff_user(session, username="card-reviewer", roles=("reviewer",), division="110105")
    assert _refusal_code(reviewer, "card.apply", person) == "renshe:auth/permission"
    assert _refusal_code(reviewer, "card.payment", person) == "renshe:auth/permission"


def test_citizens_act_for_themselves_and_only_online(session: Session) -> None:
    me = factories.person(session, county="110105", name="张学友")
    other = factories.person(session, county="110105", name="黎明")
    citizen = kit.citizen(me)
    assert policy.can(citizen, "card.apply", me)
    assert _refusal_code(citizen, "card.apply", other) == "renshe:card/not-own"
    assert policy.can(citizen, "card.report_loss", me)
    assert _refusal_code(citizen, "card.cancel", me) == "renshe:card/window-only"
    assert _refusal_code(citizen, "card.payment", me) == "renshe:card/staff-only"
    assert _refusal_code(citizen, "card.read", policy.CardOf("c1", other)) == "renshe:card/not-found"
    assert policy.can(citizen, "card.read", policy.CardOf("c1", me))


def test_configuration_is_for_administrators_of_the_province(session: Session) -> None:
    province_admin = kit.admin(session)
    city_admin = kit.admin(session, username="city-admin", division="110100")
    clerk = kit.clerk(session)
    assert policy.can(province_admin, "card.scenario_set")
    assert _refusal_code(city_admin, "card.scenario_set") == "renshe:card/province-only"
    assert _refusal_code(clerk, "card.configure") == "renshe:auth/permission"
    assert policy.can(city_admin, "card.terminal_add", "110105")
    assert _refusal_code(city_admin, "card.terminal_add", "120101") == "renshe:auth/out-of-jurisdiction"
    assert _refusal_code(city_admin, "card.terminal_change", "120101") == "renshe:card/terminal-not-found"
    assert _refusal_code(city_admin, "card.batch_read", "120101") == "renshe:card/batch-not-found"


def test_an_unknown_action_is_a_programming_error(session: Session) -> None:
    with pytest.raises(ValueError, match="unknown card action"):
        policy.can(kit.clerk(session), "card.fly")


# a pure function: the shared machine's load must not fail it on timing alone
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["staff", "citizen", "system", "employer", "terminal"]),
       permissions=st.sets(st.sampled_from(["person.read", "person.write", "user.manage"])),
       division=st.sampled_from(["110000", "110100", "110105", "110108", "120101"]),
       same_person=st.booleans(),
       action=st.sampled_from(["card.apply", "card.payment", "card.list", "card.batch", "card.batch_produce",
                               "card.configure", "card.scenario_set", "card.handle",
                               *[f"card.{name}" for name in rules.TRANSITIONS if name != "batch"]]))
def test_can_is_exactly_require_not_refusing(kind: str, permissions: set[str], division: str, same_person: bool,
                                              action: str) -> None:
    person = Person(public_id="p" * 32, residence_division="110105", name="测试", status="normal")
    actor = Principal(kind=kind, subject=person.public_id if same_person else "someone-else", display_name="",
                      division_code=division, permissions=frozenset(permissions))
    refused = _refusal_code(actor, action, person) is not None
    assert policy.can(actor, action, person) is not refused
    if kind == "citizen" and not same_person and action in {"card.apply", "card.report_loss"}:
        assert refused
    if refused is False and kind in {"staff", "system"} and action not in {"card.list"}:
        # whatever an official may do needs a write or configure permission
        assert permissions & {"person.write", "user.manage"}
