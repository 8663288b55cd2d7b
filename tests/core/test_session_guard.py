"""The session guard: a session closed with changes never flushed, or flushed and never committed, is a
lost write; the suite's autouse fixture (tests/conftest.py) fails the test that left one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from renshe.core import db
from renshe.core.http import DbSession
from renshe.core.models import StaffUser
from tests.conftest import strict_session_guard


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            yield conn
        finally:
            outer.rollback()


def _user(name: str) -> StaffUser:
    return StaffUser(username=name, display_name="守卫测试", password_hash="x", roles="clerk",
                     division_code="110105")


def _session(connection: Connection) -> Session:
    return db.make_factory(connection, join_transaction_mode="create_savepoint")()


def _leak(connection: Connection, *, flush: bool) -> None:
    """Close a session that added a row, flushed or not, without ending its transaction, under the guard."""
    with strict_session_guard():
        leaky = _session(connection)
        leaky.add(_user(f"guard-leak-{flush}"))
        if flush:
            leaky.flush()
        leaky.close()


def test_the_fixture_fails_a_test_whose_session_closes_with_unflushed_changes(connection: Connection) -> None:
    with pytest.raises(pytest.fail.Exception, match="closed with unflushed changes to StaffUser"):
        _leak(connection, flush=False)


def test_the_fixture_fails_a_test_whose_session_closes_with_uncommitted_changes(connection: Connection) -> None:
    with pytest.raises(pytest.fail.Exception, match="flushed changes that were never committed"):
        _leak(connection, flush=True)


def _get_that_writes(client: TestClient) -> None:
    with strict_session_guard():
        assert client.get("/writes-on-a-get").status_code == 200


def test_a_reading_request_that_writes_is_reported(session: Session) -> None:
    """A GET route on the request's reading session that flushes a write: the request's unit of work
    keeps the row but reports the route, and the guard fails the test."""
    app = FastAPI()

    @app.get("/writes-on-a-get")
    def writes(request_session: DbSession) -> dict[str, bool]:
        request_session.add(_user("guard-reading"))
        request_session.flush()
        return {"ok": True}

    with TestClient(app) as client, pytest.raises(
            pytest.fail.Exception, match=r"a reading request \(GET /writes-on-a-get\) flushed writes"):
        _get_that_writes(client)
    assert session.scalar(select(StaffUser.id).where(StaffUser.username == "guard-reading")) is not None


def test_the_fixture_passes_sessions_that_end_their_transactions(connection: Connection) -> None:
    with strict_session_guard() as guard:
        committed = _session(connection)
        committed.add(_user("guard-committed"))
        db.finish(committed, success=True)
        rolled_back = _session(connection)
        rolled_back.add(_user("guard-rolled-back"))
        rolled_back.flush()
        db.finish(rolled_back, success=False)
        untouched = _session(connection)
        untouched.get(StaffUser, -1)
        untouched.close()
        assert guard.violations == []
