"""The applicant is told when their application is accepted, asked for more (补正) or decided: a notice in the
message centre and a text message in the outbox, written with the step itself."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core.auth import Principal, issue_token
from renshe.core.models import OutgoingMessage
from renshe.hall.applications import materials as hall_materials
from renshe.hall.applications import service
from renshe.hall.models import Application
from renshe.registry.models import Notice, Person
from tests.hall.conftest import PDF


def test_the_citizen_sees_accepted_supplement_and_decided_in_the_message_centre(
        client: TestClient, session: Session, submitted: Application, applicant: Person, citizen: Principal,
        clerk: Principal, reviewer: Principal) -> None:
    assert session.scalar(select(Notice.id)) is None  # their own filing: no notice
    service.act(session, actor=clerk, application=submitted, action="accept")
    service.act(session, actor=clerk, application=submitted, action="request_supplement",
                supplement=["解除劳动合同证明缺少单位盖章"])
    service.act(session, actor=citizen, application=submitted, action="resubmit",
                uploads=[hall_materials.Upload("separation_proof", "盖章证明.pdf", PDF + b"stamped")])
    service.act(session, actor=reviewer, application=submitted, action="review", reason="材料齐全")
    service.act(session, actor=reviewer, application=submitted, action="refuse", reason="领取期限已满")
    notices = session.scalars(select(Notice).where(Notice.person_id == applicant.id).order_by(Notice.id)).all()
    assert [n.kind for n in notices] == ["hall.accepted", "hall.supplement_requested", "hall.refused"]
    assert all(n.link == f"/citizen/applications/{submitted.public_id}" for n in notices)
    texts = [m.body for m in session.scalars(select(OutgoingMessage).where(OutgoingMessage.purpose.like("notice:%"))
                                             .order_by(OutgoingMessage.id))]
    assert len(texts) == 3
    assert "已受理" in texts[0]
    assert submitted.number in texts[0]
    assert "解除劳动合同证明缺少单位盖章" in texts[1]
    assert "不予办理（理由：领取期限已满）" in texts[2]

    client.cookies.set("renshe_token", issue_token(citizen, minutes=10))
    page = client.get("/citizen/notices")
    assert page.status_code == 200
    titles = [t for t in ("已办结", "需要补正", "已受理") if f"您的“失业保险金申领”申请{t}" in page.text]
    assert titles == ["已办结", "需要补正", "已受理"]
    order = [page.text.index(f"申请{t}") for t in titles]
    assert order == sorted(order)  # newest first
    assert page.text.count(">未读</span>") == 3
    assert "3</strong>条未读" in client.get("/citizen").text
