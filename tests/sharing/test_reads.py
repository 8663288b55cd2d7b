"""The hot paths' reads (`renshe.core.reads`) on a real engine: each read sees the latest commit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from renshe.core import db, reads


@pytest.fixture
def engine_bound(tmp_path: Path) -> Iterator[object]:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'reads.db'}", pool_size=2)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (v INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    previous = db.sessions._factory
    db.sessions.factory = db.make_factory(engine)
    try:
        yield engine
    finally:
        db.sessions.factory = previous
        reads.readers.discard()
        engine.dispose()


def _value(reader: Connection | Session) -> int:
    return int(reader.execute(text("SELECT v FROM t")).scalar_one())


def test_a_read_sees_what_was_committed_after_the_previous_read(engine_bound: object) -> None:
    assert reads.readers.connection() is not None  # the engine-bound path, not a session
    assert reads.read(_value) == 1
    with db.unit_of_work() as session:
        session.execute(text("UPDATE t SET v = 2"))
    assert reads.read(_value) == 2  # no snapshot kept from the first read


def test_read_async_on_sqlite_runs_inline(engine_bound: object) -> None:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    # in a thread of its own: Playwright's sync API keeps an event loop running in the main thread when
    # the browser tests ran earlier in the same session
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(asyncio.run, reads.read_async(_value)).result() == 1
