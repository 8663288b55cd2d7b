"""问题反馈: tickets raised by staff or citizens, assigned by a supervisor to a division with a deadline in
working days, open → assigned → resolved → closed, visible up the division tree and not to siblings."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from renshe.core import workdays
from renshe.core.auth import Principal
from renshe.core.errors import Conflict, Forbidden, ValidationFailed
from renshe.hall import clock
from renshe.hall.feedback import service as feedback
from tests.factories import bearer
from tests.hall.test_api import citizen_headers


def test_ticket_flow_and_visibility(session: Session, catalog: int, citizen: Principal, clerk: Principal,
                                    other_clerk: Principal, supervisor: Principal,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "today", lambda: date(2026, 11, 2))
    ticket = feedback.raise_ticket(session, actor=citizen, kind="data_conflict", title="缴费记录与单位申报不一致",
                                   description="个人权益记录显示2025年3月未缴费，但单位已申报。",
                                   item_code="rights-record")
    assert (ticket.status, ticket.division_code) == ("open", "110105")
    assert ticket.deadline == workdays.calendar(session).add_workdays(date(2026, 11, 2), 10)
    assert [t.public_id for t in feedback.visible(session, actor=clerk)] == [ticket.public_id]
    assert [t.public_id for t in feedback.visible(session, actor=supervisor)] == [ticket.public_id]
    assert feedback.visible(session, actor=other_clerk) == []
    assert [t.public_id for t in feedback.visible(session, actor=citizen)] == [ticket.public_id]

    with pytest.raises(Forbidden):  # only a supervisor above assigns
        feedback.act(session, actor=clerk, ticket=ticket, action="assign", division_code="110108")
    feedback.act(session, actor=supervisor, ticket=ticket, action="assign", division_code="110108", workdays=5)
    assert ticket.status == "assigned"
    assert ticket.deadline == workdays.calendar(session).add_workdays(date(2026, 11, 2), 5)
    assert [t.public_id for t in feedback.visible(session, actor=other_clerk)] == [ticket.public_id]
    with pytest.raises(Forbidden):  # no longer this county's ticket
        feedback.act(session, actor=clerk, ticket=ticket, action="resolve", note="已核实")
    with pytest.raises(ValidationFailed):
        feedback.act(session, actor=other_clerk, ticket=ticket, action="resolve", note="")
    feedback.act(session, actor=other_clerk, ticket=ticket, action="resolve", note="单位漏报，已补录并通知本人")
    with pytest.raises(Conflict):
        feedback.act(session, actor=other_clerk, ticket=ticket, action="resolve", note="再次答复")
    with pytest.raises(Forbidden):  # not the raiser, not a supervisor
        feedback.act(session, actor=other_clerk, ticket=ticket, action="close")
    feedback.act(session, actor=citizen, ticket=ticket, action="close")
    assert ticket.status == "closed"


def test_rules_on_input(session: Session, clerk: Principal, supervisor: Principal) -> None:
    with pytest.raises(ValidationFailed) as bad:
        feedback.raise_ticket(session, actor=clerk, kind="gossip", title="短", description="太短")
    assert {e.field for e in bad.value.errors} == {"kind", "title", "description"}
    ticket = feedback.raise_ticket(session, actor=clerk, kind="system_fault", title="打印结果通知书空白页",
                                   description="在办件详情打印结果通知书时第二页为空白。")
    with pytest.raises(ValidationFailed):  # outside the supervisor's reach
        feedback.act(session, actor=supervisor, ticket=ticket, action="assign", division_code="330106")
    assert feedback.overdue([ticket]) == set()


def test_feedback_over_http_and_pages(client: TestClient, catalog: int, citizen: Principal, clerk: Principal,
                                      supervisor: Principal) -> None:
    made = client.post("/api/v1/hall/feedback", headers=citizen_headers(citizen), json={
        "kind": "rule_difference", "title": "两区失业金材料要求不同",
        "description": "朝阳区要求提交离职证明原件，海淀区只要复印件，请统一。"})
    assert made.status_code == 201, made.text
    listed = client.get("/api/v1/hall/feedback", headers=bearer(supervisor)).json()
    assert [t["kind_label"] for t in listed] == ["政策规则差异"]
    assigned = client.post(f"/api/v1/hall/feedback/{made.json()['public_id']}", headers=bearer(supervisor),
                           json={"action": "assign", "division_code": "110105", "workdays": 3})
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["status_label"] == "处理中"
    page = client.get("/staff/hall/feedback", headers=bearer(clerk))
    assert page.status_code == 200
    assert "两区失业金材料要求不同" in page.text
    missing = client.post("/citizen/hall/feedback", headers=citizen_headers(citizen), data={"kind": "", "title": ""})
    assert missing.status_code == 422
    assert "请选择问题类型" in missing.text
