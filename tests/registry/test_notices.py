"""Notices (消息中心): `registry.notify` stores a notice and texts it; the citizen reads their own, newest first,
a page at a time, unread marked and counted, and marks them read; nobody else reads them."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core import crypto
from renshe.core.auth import Principal, issue_token
from renshe.core.models import OutgoingMessage
from renshe.registry import service as registry
from renshe.registry.models import Notice, Person
from tests import factories


def _citizen(person: Person) -> Principal:
    return Principal(kind="citizen", subject=person.public_id, display_name=person.name,
                     division_code=person.residence_division)


def test_notify_stores_the_notice_and_texts_the_phone_on_record(session: Session) -> None:
    person = factories.person(session, name="孙丽", phone="13600001234")
    public_id = registry.notify(session, person_pk=person.id, kind="pension.decided", title="您的退休申请已办结",
                                body="经审核，准予退休，自2027年1月起按月领取基本养老金。", link="/citizen/pension")
    notice = session.scalars(select(Notice).where(Notice.public_id == public_id)).one()
    assert (notice.person_id, notice.kind, notice.texted, notice.read_at) == (person.id, "pension.decided", True, None)
    [text] = session.scalars(select(OutgoingMessage).where(OutgoingMessage.purpose == "notice:pension.decided")).all()
    assert crypto.cipher().decrypt(text.phone_encrypted, purpose="message.phone") == "13600001234"
    assert text.body.startswith("【人社服务】您的退休申请已办结。经审核，准予退休")
    assert "/citizen/pension" not in text.body  # links stay in the message centre

    silent = factories.person(session, name="周明", phone=None)
    registry.notify(session, person_pk=silent.id, kind="hall.accepted", title="t", body="b")
    assert session.scalars(select(Notice).where(Notice.person_id == silent.id)).one().texted is False
    assert len(session.scalars(select(OutgoingMessage)).all()) == 1


def test_the_message_centre_pages_newest_first_marks_unread_and_reads(
        client: TestClient, session: Session) -> None:
    person = factories.person(session, name="孙丽", phone="13600001234")
    for n in range(1, 26):
        registry.notify(session, person_pk=person.id, kind="test.n", title=f"第{n}条消息", body=f"内容{n}",
                        link=f"/citizen/applications/x{n}")
    client.cookies.set("renshe_token", issue_token(_citizen(person), minutes=10))
    home = client.get("/citizen")
    assert re.search(r'id="notices-link">消息中心（<strong>25</strong>条未读）', home.text)
    first = client.get("/citizen/notices")
    titles = re.findall(r"</span>(第\d+条消息)</h2>", first.text)
    assert titles == [f"第{n}条消息" for n in range(25, 5, -1)]  # newest first, 20 a page, all unread
    more = re.search(r'href="/citizen/notices\?cursor=([^"]+)"', first.text)
    assert more
    second = client.get(f"/citizen/notices?cursor={more.group(1)}")
    assert re.findall(r"(第\d+条消息)</h2>", second.text) == [f"第{n}条消息" for n in range(5, 0, -1)]
    assert "cursor=" not in second.text

    newest = session.scalars(select(Notice).order_by(Notice.id.desc())).first()
    assert newest is not None
    followed = client.post(f"/citizen/notices/{newest.public_id}/read", data={"follow": "1"}, follow_redirects=False)
    assert followed.status_code == 303
    assert followed.headers["location"] == "/citizen/applications/x25"
    page = client.get("/citizen/notices")
    assert "24</strong> 条未读" in page.text
    assert re.search(r'data-notice="[0-9a-f]+">\s*<h2>第25条消息</h2>', page.text)  # read: no 未读 tag
    api = client.get("/api/v1/me/notices?limit=2", headers=factories.bearer(_citizen(person))).json()
    assert [n["title"] for n in api["items"]] == ["第25条消息", "第24条消息"]
    assert [n["read"] for n in api["items"]] == [True, False]
    assert api["unread"] == 24
    assert api["next_cursor"]
    assert client.post("/citizen/notices/read-all", follow_redirects=False).status_code == 303
    assert "没有未读消息" in client.get("/citizen/notices").text


def test_nobody_reads_or_marks_another_persons_notices(client: TestClient, session: Session) -> None:
    owner = factories.person(session, name="孙丽", phone="13600001234")
    other = factories.person(session, name="周明", phone="13600005678")
    public_id = registry.notify(session, person_pk=owner.id, kind="test.n", title="私人消息", body="内容")
    marked = client.post(f"/api/v1/me/notices/{public_id}/read", headers=factories.bearer(_citizen(other)))
    assert marked.status_code == 404
    assert client.get("/api/v1/me/notices", headers=factories.bearer(_citizen(other))).json()["items"] == []
    clerk = factories.staff_user(session, username="notice-clerk")
    assert client.get("/api/v1/me/notices", headers=factories.bearer(clerk)).status_code == 403
    assert session.scalars(select(Notice)).one().read_at is None
