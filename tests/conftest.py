"""Test fixtures: one migrated database per run (SQLite by default, PostgreSQL by URL), each test in a
transaction that is rolled back, and factories for the kernel's data.

Set RENSHE_TEST_DATABASE_URL=postgresql+psycopg://... to run the same suite on PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

TEST_URL = os.environ.get("RENSHE_TEST_DATABASE_URL", "")


def _configure_environment(tmp: Path) -> str:
    url = TEST_URL or f"sqlite:///{tmp / 'test.db'}"
    os.environ["RENSHE_DATABASE_URL"] = url
    os.environ["RENSHE_KEY_FILE"] = str(tmp / "keys.json")
    os.environ["RENSHE_DEMO_MODE"] = "1"
    os.environ["RENSHE_LOG_JSON"] = "1"
    os.environ["RENSHE_LOG_LEVEL"] = "WARNING"
    os.environ["RENSHE_BATCH_WORKER"] = "0"  # tests run batch chunks themselves, on the test connection
    os.environ["RENSHE_BATCH_DIR"] = str(tmp / "batch")
    os.environ["RENSHE_SEARCH_COUNTS_SECONDS"] = "0"  # each test's rolled-back data: no counts kept between
    for name in ("RENSHE_DATA_KEY", "RENSHE_INDEX_KEY", "RENSHE_TOKEN_KEY", "RENSHE_SMS_SENDER"):
        os.environ.pop(name, None)
    return url


def reset_caches() -> None:
    from renshe.core import crypto, db, settings

    settings.get_settings.cache_clear()
    db.get_engine.cache_clear()
    crypto.cipher.cache_clear()


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = _configure_environment(tmp_path_factory.mktemp("renshe"))
    reset_caches()
    from renshe.core import db, migrate

    eng = db.get_engine()
    if eng.dialect.name == "postgresql":
        with eng.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    with eng.begin() as conn:
        migrate.upgrade(conn)
    assert url
    yield eng
    eng.dispose()


@contextmanager
def strict_session_guard() -> Iterator[Any]:
    """Fails (pytest.fail) when a session closed inside the block had unflushed or uncommitted changes;
    restores the guard's previous state, so it nests inside the autouse fixture."""
    from renshe.core import db

    saved_strict, saved = db.guard.strict, list(db.guard.violations)
    db.guard.strict = True
    db.guard.violations.clear()
    try:
        yield db.guard
    finally:
        found = list(db.guard.violations)
        db.guard.strict = saved_strict
        db.guard.violations[:] = saved
    if found:
        pytest.fail("session guard: " + "; ".join(found), pytrace=False)


@pytest.fixture(autouse=True)
def session_guard() -> Iterator[Any]:
    """Fails any test during which a session was closed with unflushed or uncommitted changes (a lost
    write: a forgotten commit, a write on a reading session). Autouse, so torn down after `session`."""
    with strict_session_guard() as guard:
        yield guard


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test; the app shares it."""
    from renshe.core import db, staff

    staff.forget_principal()
    connection = engine.connect()
    outer = connection.begin()
    factory = db.make_factory(connection, join_transaction_mode="create_savepoint")
    db.sessions.factory = factory
    own = factory()
    try:
        yield own
    finally:
        own.rollback()  # the test's own changes are thrown away by design, not lost: the guard ignores them
        own.close()
        db.sessions.factory = None
        outer.rollback()
        connection.close()


@pytest.fixture
def app(session: Session):  # type: ignore[no-untyped-def]
    from renshe.web.app import create_app

    return create_app()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    # What a browser sends on this site's own requests: cookie-signed writes without it are refused (CSRF).
    with TestClient(app, headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One Chromium for every browser test of the session, wherever the test lives (Playwright's sync API
    cannot run two at once)."""
    from tests.browser.conftest import launch_chromium

    yield from launch_chromium()


@pytest.fixture
def call_log_inline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The app shares the test's one connection: the gateway's call log must be written in each call's own
    short transaction (RENSHE_CALL_LOG_FLUSH_MS=0), not by the background writer thread, which would use that
    connection at the same moment as a request (a savepoint lost under the request: flaky failures)."""
    from renshe.core import settings
    from renshe.sharing import fastpath, gateway

    monkeypatch.setenv("RENSHE_CALL_LOG_FLUSH_MS", "0")
    settings.get_settings.cache_clear()
    gateway.reset()
    fastpath.tokens.clear()
    yield
    monkeypatch.delenv("RENSHE_CALL_LOG_FLUSH_MS")
    settings.get_settings.cache_clear()
    gateway.reset()
