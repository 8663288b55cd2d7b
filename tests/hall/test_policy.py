"""The hall's policy: one place decides who may do what; a refusal is a 403 with the rule's code that the
web layer audits."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core.auth import SYSTEM, Principal
from renshe.core.errors import Forbidden
from renshe.core.models import AuditEntry
from renshe.hall import policy
from renshe.hall.applications import reading
from renshe.hall.models import Application
from tests.factories import bearer
from tests.hall.conftest import COUNTY, OTHER_COUNTY

CITY = "110100"


def staff(roles: tuple[str, ...], division: str = COUNTY) -> Principal:
    return Principal(kind="staff", subject=f"s-{'-'.join(roles)}-{division}", display_name="工作人员",
                     division_code=division, roles=roles)


CITIZEN = Principal(kind="citizen", subject="c1", display_name="王秀英", division_code=COUNTY)


@pytest.mark.parametrize(("actor", "action", "target", "allowed"), [
    (staff(("admin",)), "catalog.manage", None, True),
    (staff(("clerk",)), "catalog.manage", None, False),
    (SYSTEM, "catalog.manage", None, True),
    (staff(("reviewer",)), "catalog.export", None, True),
    (CITIZEN, "catalog.export", None, False),
    (CITIZEN, "application.apply", None, True),
    (staff(("clerk",)), "application.apply", None, False),
    (staff(("clerk",)), "queue.read", None, True),
    (staff(()), "queue.read", None, False),
    (CITIZEN, "queue.read", None, False),
    (staff(("clerk",)), "window.file", None, True),
    (staff(("reviewer",)), "window.file", None, False),
    (staff(("clerk",)), "division.reach", COUNTY, True),
    (staff(("clerk",)), "division.reach", OTHER_COUNTY, False),
    (staff(("supervisor",), CITY), "division.reach", OTHER_COUNTY, True),
    (CITIZEN, "division.reach", COUNTY, False),
    (staff(("supervisor",), CITY), "supervision.oversee", None, True),
    (staff(("clerk",)), "supervision.oversee", None, False),
    (staff(("supervisor",), CITY), "feedback.assign", COUNTY, True),
    (staff(("supervisor",), OTHER_COUNTY), "feedback.assign", COUNTY, False),
    (staff(("clerk",)), "feedback.resolve", COUNTY, True),
    (CITIZEN, "feedback.resolve", COUNTY, False),
    (staff(("admin",)), "peer.manage", None, True),
    (staff(("clerk",)), "peer.manage", None, False),
])
def test_can(actor: Principal, action: str, target: str | None, allowed: bool) -> None:
    assert policy.can(actor, action, target) is allowed


def test_require_raises_the_rules_audited_403() -> None:
    with pytest.raises(Forbidden) as caught:
        policy.require(CITIZEN, "queue.read")
    assert caught.value.code == "renshe:hall/staff-only"
    assert caught.value.audit is not None
    assert caught.value.audit["action"] == "hall.queue.read"
    policy.require(staff(("clerk",)), "queue.read")  # allowed: no error


def test_default_states_follow_the_roles() -> None:
    assert policy.default_states(staff(("supervisor",), CITY)) is None
    assert policy.default_states(staff(("clerk",))) == ("submitted", "approved", "refused")
    assert policy.default_states(staff(("reviewer",))) == ("accepted", "reviewed")


def test_workflow_roles_and_sight(session: Session, submitted: Application, citizen: Principal,
                                  clerk: Principal, other_clerk: Principal) -> None:
    assert policy.workflow_roles(session, citizen, submitted) == {"applicant"}
    assert policy.workflow_roles(session, clerk, submitted) == {"clerk"}
    assert policy.workflow_roles(session, other_clerk, submitted) == set()
    assert policy.can_see(session, citizen, submitted)
    assert policy.can_see(session, clerk, submitted)
    assert not policy.can_see(session, other_clerk, submitted)
    stranger = Principal(kind="citizen", subject="nobody", display_name="路人", division_code=COUNTY)
    assert not policy.can_see(session, stranger, submitted)


def test_a_refusal_is_audited_through_the_api(session: Session, client: TestClient, catalog: int,
                                              citizen: Principal, reviewer: Principal) -> None:
    """The service refuses (not the route); the web layer writes the denial to the audit log."""
    with pytest.raises(Forbidden):
        reading.queue(session, actor=citizen)
    response = client.get("/api/v1/hall/applications?near_due=true", headers=bearer(citizen))
    assert response.status_code == 200  # a citizen's list is their own applications
    assert response.json()["next_cursor"] is None
    response = client.get("/api/v1/hall/applications", headers=bearer(citizen), params={"item": "x"})
    assert response.status_code == 200
    response = client.post("/api/v1/hall/window/code", headers=bearer(reviewer),
                           json={"item_code": "unemployment-benefit", "id_number": "110105198005170011"})
    assert response.status_code == 403
    assert response.json()["type"] == "renshe:hall/clerk-only"
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "hall.window.file",
                                                   AuditEntry.actor == reviewer.subject)) is not None
