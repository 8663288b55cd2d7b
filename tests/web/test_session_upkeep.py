"""Session leftovers of issue 9: revocable client-credential tokens, idle sessions marked ended, old
sessions purged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from renshe.core import crypto, staff
from renshe.core.auth import SYSTEM, read_token
from renshe.core.db import utcnow
from renshe.core.models import AuditEntry, LimitCounter, SignInSession
from renshe.registry import service as registry
from renshe.sharing import fastpath, service
from tests import factories

pytestmark = pytest.mark.usefixtures("call_log_inline")  # the app shares the test connection


def _consumer(session: Session) -> tuple[str, str]:
    consumer, secret = service.add_consumer(session, actor=SYSTEM, name="某市市场监管局",
                                            grants=["identity-verification"], purpose="核验", legal_basis="依法履职")
    session.commit()
    return consumer.client_id, secret


def _token(client: TestClient, client_id: str, secret: str) -> str:
    answer = client.post("/share/v1/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                                  "client_secret": secret})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def _verify(client: TestClient, token: str, number: str) -> int:
    return client.post("/share/v1/verify/identity", headers={"Authorization": f"Bearer {token}"},
                       json={"name": "王秀英", "id_number": number}).status_code


@pytest.fixture
def number(session: Session) -> str:
    person = factories.person(session, name="王秀英")
    session.commit()
    return crypto.cipher().decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE)


def test_a_consumer_token_has_a_server_side_session_and_can_be_revoked(
        client: TestClient, session: Session, number: str) -> None:
    client_id, secret = _consumer(session)
    first, second = _token(client, client_id, secret), _token(client, client_id, secret)
    sid = read_token(first).session_id
    assert sid is not None
    row = session.scalar(select(SignInSession).where(SignInSession.sid == sid))
    assert row is not None
    assert (row.kind, row.subject) == ("consumer", client_id)
    assert _verify(client, first, number) == 200  # the fast path
    assert client.get("/share/v1/catalog/allowed", headers={"Authorization": f"Bearer {first}"}).status_code == 200
    revoked = client.post("/share/v1/revoke", data={"token": first, "client_id": client_id, "client_secret": secret})
    assert revoked.status_code == 200
    assert _verify(client, first, number) == 401  # at once in this process, though the fast path cached it
    refused = client.get("/share/v1/catalog/allowed", headers={"Authorization": f"Bearer {first}"})
    assert refused.status_code == 401
    assert refused.json()["type"] == "renshe:auth/session-ended"
    assert _verify(client, second, number) == 200  # the other token is untouched
    # RFC 7009: an unknown or foreign token is answered 200 too, and changes nothing
    other_id, other_secret = _consumer(session)
    assert client.post("/share/v1/revoke", data={"token": second, "client_id": other_id,
                                                 "client_secret": other_secret}).status_code == 200
    assert client.post("/share/v1/revoke", data={"token": "garbage", "client_id": other_id,
                                                 "client_secret": other_secret}).status_code == 200
    assert _verify(client, second, number) == 200


def test_revocation_reaches_another_worker_through_the_session_row(
        client: TestClient, session: Session, number: str) -> None:
    """Another worker ended the session (only the row changed here): refused once this process's few
    seconds of trust are over, the same way as staff sessions."""
    client_id, secret = _consumer(session)
    token = _token(client, client_id, secret)
    assert _verify(client, token, number) == 200
    session.execute(update(SignInSession).where(SignInSession.sid == read_token(token).session_id)
                    .values(ended_at=utcnow(), ended_reason="revoked"))
    session.commit()
    assert _verify(client, token, number) == 200  # still trusted for up to SESSION_TTL (5 s) in this process
    staff.forget_sessions()  # the 5 s are over
    assert _verify(client, token, number) == 401
    assert fastpath.tokens.principal(token) is not None  # the signature cache alone no longer decides


def test_staff_revoke_every_token_of_a_consumer(client: TestClient, session: Session, number: str) -> None:
    from renshe.cli import app

    client_id, secret = _consumer(session)
    tokens = [_token(client, client_id, secret) for _ in range(3)]
    result = CliRunner().invoke(app, ["sharing", "revoke-tokens", "--client-id", client_id])
    assert result.exit_code == 0, result.output
    assert "3 tokens" in result.output
    assert [_verify(client, t, number) for t in tokens] == [401, 401, 401]
    assert _verify(client, _token(client, client_id, secret), number) == 200  # a new token works
    row = session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.session_end",
                                                   AuditEntry.entity_id == client_id)).one()
    assert row.after == {"reason": "revoked", "sessions": 3}


def test_an_idle_session_is_marked_ended_when_refused(
        client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    factories.staff_user(session, username="idler", password="pw-pw-pw")
    session.commit()
    token = client.post("/api/v1/auth/token", data={"username": "idler", "password": "pw-pw-pw"}).json()["access_token"]
    sid = read_token(token).session_id
    later = utcnow() + timedelta(minutes=31)
    monkeypatch.setattr(staff, "clock", lambda: later)
    staff.forget_sessions()
    assert client.get("/api/v1/persons", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    row = session.scalar(select(SignInSession).where(SignInSession.sid == sid))
    assert row is not None
    session.refresh(row)
    assert row.ended_reason == "idle"
    assert row.ended_at == later


def test_purge_sessions_marks_and_deletes(client: TestClient, session: Session) -> None:
    from renshe.cli import app

    now = utcnow()

    def add(name: str, *, age_days: float, ended: bool, lifetime_minutes: int = 30) -> None:
        start = now - timedelta(days=age_days)
        session.add(SignInSession(sid=name, kind="staff", subject="purge-me", created_at=start, last_seen_at=start,
                                  expires_at=start + timedelta(minutes=lifetime_minutes),
                                  ended_at=start + timedelta(minutes=5) if ended else None,
                                  ended_reason="logout" if ended else None, client_addr="-", user_agent=""))

    add("old-ended", age_days=40, ended=True)
    add("old-forgotten", age_days=40, ended=False)  # never came back: expired long ago, never marked
    add("recent-idle", age_days=0.1, ended=False, lifetime_minutes=480)  # idle for 2.4 h, lifetime not over
    add("recent-ended", age_days=1, ended=True)
    add("alive", age_days=0, ended=False)
    session.add(LimitCounter(key="gone", count=3, expires_at=now - timedelta(seconds=1)))
    session.add(LimitCounter(key="kept", count=3, expires_at=now + timedelta(minutes=5)))
    session.commit()
    result = CliRunner().invoke(app, ["auth", "purge-sessions", "--older-than-days", "30"])
    assert result.exit_code == 0, result.output
    left = {row.sid: row.ended_reason for row in session.scalars(
        select(SignInSession).where(SignInSession.subject == "purge-me")).all()}
    assert left == {"recent-idle": "idle", "recent-ended": "logout", "alive": None}
    assert set(session.scalars(select(LimitCounter.key))) == {"kept"}
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.purge_sessions")).one()
    assert audit.after is not None
    assert audit.after["deleted"] == 2
    assert audit.after["marked_ended"] >= 2
    again = CliRunner().invoke(app, ["auth", "purge-sessions", "--older-than-days", "30"])
    assert again.exit_code == 0
    assert session.scalar(select(func.count()).select_from(SignInSession)
                          .where(SignInSession.subject == "purge-me")) == 3
