"""Single-statement reads on the hot paths, on one autocommit connection per thread.

Profiles of the gateway and the person lookup put a session's begin, rollback and bookkeeping at ten
times the indexed SELECT itself. One SELECT needs no transaction (it sees the latest commit), so these
reads run on a connection in autocommit mode kept by each thread. When sessions are bound to a
connection instead of an engine (the tests' rolled-back transaction), a reading session on that
connection is used, so the reads see the test's data.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from renshe.core import db

T = TypeVar("T")


class Readers:
    def __init__(self) -> None:
        self._local = threading.local()

    def connection(self) -> Connection | None:
        bind = getattr(db.sessions.factory, "kw", {}).get("bind")
        if not isinstance(bind, Engine):
            return None
        held = getattr(self._local, "held", None)
        if held is None or held[0] is not bind or held[1].closed:
            held = (bind, bind.connect().execution_options(isolation_level="AUTOCOMMIT"))
            self._local.held = held
        connection: Connection = held[1]
        return connection

    def discard(self) -> None:
        held = getattr(self._local, "held", None)
        self._local.held = None
        if held is not None:
            held[1].invalidate()


readers = Readers()


def read(work: Callable[[Connection | Session], T]) -> T:
    """Run a single-statement read on this thread's autocommit connection (or a reading session)."""
    connection = readers.connection()
    if connection is None:
        session = db.sessions.factory()
        db.mark_reading(session)
        try:
            return work(session)
        finally:
            session.rollback()
            session.close()
    try:
        return work(connection)
    except DBAPIError:
        readers.discard()  # a broken connection (the database restarted): the next call opens another
        raise
    finally:
        if connection.in_transaction():
            # SQLite's engine opens a transaction on every begin (BEGIN DEFERRED, core.db); ended here,
            # or the connection would go on reading its first snapshot. On PostgreSQL this is a no-op.
            connection.rollback()


_POOL: ThreadPoolExecutor | None = None
READ_THREADS = 8


def _inline(bind: object) -> bool:
    return not isinstance(bind, Engine) or bind.dialect.name == "sqlite"


async def read_async(work: Callable[[Connection | Session], T]) -> T:
    """`read` from the event loop. SQLite answers an indexed read in microseconds, so it runs inline;
    a database across a socket (PostgreSQL) would hold the loop for a round trip, which profiles under
    load showed to cap a worker near 100 requests a second on a busy machine, so its reads run on a few
    threads of their own (each with its own autocommit connection), and the loop goes on meanwhile."""
    global _POOL
    if _inline(getattr(db.sessions.factory, "kw", {}).get("bind")):
        return read(work)
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="renshe-read")
    return await asyncio.get_running_loop().run_in_executor(_POOL, read, work)
