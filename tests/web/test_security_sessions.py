"""Server-side sign-in sessions: logout ends the token, staff see and end their sessions, idle and absolute
timeouts (issue 9, item 4)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core import staff
from renshe.core.auth import Principal, read_token
from renshe.core.db import utcnow
from renshe.core.http import TOKEN_COOKIE
from renshe.core.models import OutgoingMessage
from tests import factories


def _page_sign_in(client: TestClient, session: Session, username: str) -> str:
    factories.staff_user(session, username=username, password="pw-pw-pw")
    session.commit()
    signed = client.post("/staff/login", data={"username": username, "password": "pw-pw-pw"},
                         follow_redirects=False)
    assert signed.status_code == 303
    token = client.cookies.get(TOKEN_COOKIE)
    assert token
    return token


def _api_token(client: TestClient, username: str) -> str:
    answer = client.post("/api/v1/auth/token", data={"username": username, "password": "pw-pw-pw"})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def _principal(session: Session, username: str) -> Principal:
    principal = staff.active_principal(session, username)
    assert principal is not None
    return principal


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_after_logout_the_old_token_is_refused_on_pages_and_the_api(client: TestClient, session: Session) -> None:
    token = _page_sign_in(client, session, "sess1")
    assert client.get("/staff", follow_redirects=False).status_code == 200
    assert client.get("/api/v1/persons", headers=_bearer(token)).status_code == 200
    out = client.post("/logout", follow_redirects=False)
    assert out.status_code == 303
    assert client.cookies.get(TOKEN_COOKIE) is None
    client.cookies.set(TOKEN_COOKIE, token)  # the token was copied before logout
    page = client.get("/staff", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/staff/login")
    api = client.get("/api/v1/persons", headers=_bearer(token))
    assert api.status_code == 401
    assert api.json()["type"] == "renshe:auth/session-ended"


def test_api_logout_ends_the_bearer_token(client: TestClient, session: Session) -> None:
    factories.staff_user(session, username="sess2", password="pw-pw-pw")
    session.commit()
    token = _api_token(client, "sess2")
    assert client.get("/api/v1/persons", headers=_bearer(token)).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=_bearer(token)).status_code == 204
    refused = client.get("/api/v1/persons", headers=_bearer(token))
    assert refused.status_code == 401
    assert refused.json()["detail"] == "已退出登录，请重新登录"


def test_idle_timeout_expires_a_session(
        client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    factories.staff_user(session, username="sess3", password="pw-pw-pw")
    session.commit()
    start = utcnow()
    now = [start]
    monkeypatch.setattr(staff, "clock", lambda: now[0])
    token = _api_token(client, "sess3")

    def status_at(minutes: int) -> int:
        now[0] = start + timedelta(minutes=minutes)
        staff.forget_sessions()  # past the few seconds a process may trust its last answer
        return client.get("/api/v1/persons", headers=_bearer(token)).status_code

    assert status_at(20) == 200  # within the idle limit (30 minutes): activity moves the idle clock
    assert status_at(45) == 200  # 25 minutes after the last request
    assert status_at(76) == 401  # 31 minutes idle
    refused = client.get("/api/v1/persons", headers=_bearer(token)).json()
    assert refused["detail"] == "长时间未操作，登录已失效，请重新登录"


def test_absolute_timeout_ends_a_busy_session(
        client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    factories.staff_user(session, username="sess4", password="pw-pw-pw")
    session.commit()
    start = utcnow()
    monkeypatch.setattr(staff, "clock", lambda: start)
    token = _api_token(client, "sess4")
    for minutes in range(25, 480, 25):  # never idle, until the staff token's lifetime is over
        later: datetime = start + timedelta(minutes=minutes)
        monkeypatch.setattr(staff, "clock", lambda when=later: when)
        staff.forget_sessions()
        assert client.get("/api/v1/persons", headers=_bearer(token)).status_code == 200
    monkeypatch.setattr(staff, "clock", lambda: start + timedelta(minutes=481))
    staff.forget_sessions()
    assert client.get("/api/v1/persons", headers=_bearer(token)).status_code == 401


def test_staff_see_their_sessions_and_end_one(client: TestClient, session: Session) -> None:
    _page_sign_in(client, session, "sess5")
    other = _api_token(client, "sess5")  # a second sign-in, e.g. from another computer
    page = client.get("/staff/sessions")
    assert page.status_code == 200
    assert page.text.count("/end\"") == 2
    assert "（当前会话）" in page.text
    other_sid = read_token(other).session_id
    assert other_sid is not None
    assert f"/staff/sessions/{other_sid}/end" in page.text
    ended = client.post(f"/staff/sessions/{other_sid}/end", follow_redirects=False)
    assert ended.status_code == 303
    assert client.get("/api/v1/persons", headers=_bearer(other)).status_code == 401
    assert client.get("/staff/sessions").text.count("/end\"") == 1  # this browser is still signed in


def test_nobody_ends_another_users_session(client: TestClient, session: Session) -> None:
    factories.staff_user(session, username="sess6", password="pw-pw-pw")
    session.commit()
    victim = _api_token(client, "sess6")
    _page_sign_in(client, session, "sess7")
    victim_sid = staff.active_sessions(session, actor=_principal(session, "sess6"))[0].sid
    assert client.post(f"/staff/sessions/{victim_sid}/end").status_code == 404
    staff.forget_sessions()
    assert client.get("/api/v1/persons", headers=_bearer(victim)).status_code == 200


def test_citizen_logout_ends_the_session_too(client: TestClient, session: Session) -> None:
    number = factories.resident_id(male=False)
    factories.person(session, county="110105", phone="13912345678", id_number=number)
    session.commit()
    assert client.post("/api/v1/auth/citizen/code", json={"id_number": number}).status_code == 200
    message = session.scalars(select(OutgoingMessage).order_by(OutgoingMessage.id.desc())).first()
    assert message is not None
    code = re.search(r"\d{6}", message.body)
    assert code is not None
    token = client.post("/api/v1/auth/citizen/token", json={"id_number": number, "code": code.group()})
    assert token.status_code == 200, token.text
    bearer = _bearer(token.json()["access_token"])
    assert client.get(f"/api/v1/persons/{number}", headers=bearer).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=bearer).status_code == 204
    assert client.get(f"/api/v1/persons/{number}", headers=bearer).status_code == 401
