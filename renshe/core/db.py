"""Engine, sessions and the unit of work. The caller owns the transaction; services only flush."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from renshe.core.settings import get_settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        return value if value.tzinfo else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class WriterLock:
    """One writer at a time per process on SQLite, handed over in arrival order.

    SQLite's own busy handler polls with growing sleeps (up to 100 ms), so under many concurrent
    writers a released lock sits idle while the waiters sleep, and latency explodes. Writers of this
    process queue on this lock instead and take SQLite's lock (BEGIN IMMEDIATE) only when it is their
    turn; other processes (a second worker, the CLI) still meet the busy timeout. A plain Lock, not an
    RLock: the transaction may end on another thread than the one that began it.
    """

    TIMEOUT = 30.0  # seconds, like the busy timeout

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def acquire(self, timeout: float = TIMEOUT) -> None:
        if not self._lock.acquire(timeout=timeout):
            raise TimeoutError(f"no SQLite write turn within {timeout:g} s (is a writer stuck?)")

    def release(self) -> None:
        self._lock.release()


_LOCK_HELD = "renshe_writer_lock"
_WRITER_LOCKS: weakref.WeakKeyDictionary[Engine, WriterLock] = weakref.WeakKeyDictionary()


def make_engine(url: str, *, pool_size: int | None = None) -> Engine:
    """Create an engine; SQLite files get WAL, foreign keys and a busy timeout.

    The pool keeps as many connections as the web server runs request threads (40 by default in
    Starlette's thread pool), so a busy server reuses connections instead of opening and closing
    overflow ones on every request. A request can hold its connection across two thread-pool hops
    (route, then response serialisation), so a pool that cannot grow would deadlock under load:
    SQLite connections are cheap and may overflow without limit; PostgreSQL may overflow by as many
    again (mind `max_connections` when running several workers).
    """
    size = pool_size or get_settings().db_pool_size
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, pool_size=size,
                               max_overflow=-1)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy issue BEGIN itself so SAVEPOINTs and rollbacks behave.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            # Reads through a memory map of the file: the request threads' connections share the OS page
            # cache instead of each copying pages into its own 2 MB cache (the 1,000,000-posting job search).
            cur.execute(f"PRAGMA mmap_size={int(get_settings().sqlite_mmap_mb) * 1024 * 1024}")
            cur.close()

        writers = _WRITER_LOCKS[engine] = WriterLock()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # A writing transaction takes the write lock up front: a deferred one that reads and then
            # writes fails at once (SQLITE_BUSY_SNAPSHOT) when another writer went first.
            options = conn.get_execution_options()
            mode = options.get("sqlite_begin", "DEFERRED")
            acquired = mode == "IMMEDIATE" and not options.get("writer_lock_held")
            if acquired:
                writers.acquire()
            try:
                conn.exec_driver_sql(f"BEGIN {mode}")
            except BaseException:
                if acquired:  # a handed-over turn stays with the caller until BEGIN succeeded
                    writers.release()
                raise
            if mode == "IMMEDIATE":
                conn.info[_LOCK_HELD] = writers

        def _release(conn: Any) -> None:
            held = conn.info.pop(_LOCK_HELD, None)
            if held is not None:
                held.release()

        @event.listens_for(engine, "commit")
        def _commit(conn: Any) -> None:
            # End the transaction here, then hand the turn on; SQLAlchemy's own COMMIT finds none open.
            try:
                if _LOCK_HELD in conn.info:
                    conn.connection.dbapi_connection.commit()
            finally:
                _release(conn)

        @event.listens_for(engine, "rollback")
        def _rollback(conn: Any) -> None:
            try:
                if _LOCK_HELD in conn.info:
                    conn.connection.dbapi_connection.rollback()
            finally:
                _release(conn)

        @event.listens_for(engine, "checkin")
        def _checkin(_dbapi_conn: Any, record: Any) -> None:
            # a connection returned without commit or rollback (closed, invalidated) gives up its turn too
            held = record.info.pop(_LOCK_HELD, None)
            if held is not None:
                held.release()

        return engine
    return create_engine(url, pool_size=size, max_overflow=size, pool_timeout=10, pool_pre_ping=True)


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


class SessionGuard:
    """Catches lost writes: a session closed with changes never flushed, or flushed and never committed.

    In production a violation is logged; the test suite turns `strict` on and fails any test that left
    one (see tests/conftest.py), so a forgotten commit or a write on a reading session cannot hide.
    """

    def __init__(self) -> None:
        self.strict = False
        self.violations: list[str] = []

    def check(self, session: Session) -> None:
        pending = [*session.new, *session.deleted, *(o for o in session.dirty if session.is_modified(o))]
        problems = []
        if pending:
            names = sorted({type(o).__name__ for o in pending})
            problems.append(f"closed with unflushed changes to {', '.join(names)}")
        if session.info.get(_UNCOMMITTED):
            problems.append("closed with flushed changes that were never committed")
        for problem in problems:
            self.report(problem)

    def report(self, problem: str) -> None:
        if self.strict:
            self.violations.append(problem)
        else:
            import structlog

            structlog.get_logger("renshe.db").error("session misuse", problem=problem)


_UNCOMMITTED = "renshe_uncommitted"
guard = SessionGuard()


def has_uncommitted(session: Session) -> bool:
    """Whether the session flushed changes that no commit has ended yet."""
    return bool(session.info.get(_UNCOMMITTED))


class RensheSession(Session):
    """The platform's session: checked by `guard` when closed."""

    def close(self) -> None:
        guard.check(self)
        self.info.pop(_UNCOMMITTED, None)
        super().close()


@event.listens_for(RensheSession, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    session.info[_UNCOMMITTED] = True


@event.listens_for(RensheSession, "after_commit")
@event.listens_for(RensheSession, "after_rollback")
def _ended(session: Session) -> None:
    session.info.pop(_UNCOMMITTED, None)


def make_factory(bind: Any, **options: Any) -> Callable[[], Session]:
    """A session factory for `bind` with the platform's session class (tests bind a connection)."""
    return sessionmaker(bind=bind, class_=RensheSession, expire_on_commit=False, **options)


class SessionProvider:
    """Hands out sessions; tests swap `factory` to bind sessions to a rolled-back connection."""

    def __init__(self) -> None:
        self._factory: Callable[[], Session] | None = None

    @property
    def factory(self) -> Callable[[], Session]:
        if self._factory is None:
            self._factory = make_factory(get_engine())
        return self._factory

    @factory.setter
    def factory(self, value: Callable[[], Session] | None) -> None:
        self._factory = value


sessions = SessionProvider()


def writer_lock(session: Session) -> WriterLock | None:
    """The process's SQLite writer lock behind this session, or None (PostgreSQL, or a test connection)."""
    bind = session.get_bind()
    return _WRITER_LOCKS.get(bind) if isinstance(bind, Engine) else None


def open_session(*, write: bool = False, lock_held: bool = False,
                 factory: Callable[[], Session] | None = None) -> Session:
    """A new session; `write=True` takes SQLite's write lock at BEGIN (PostgreSQL needs nothing).

    `lock_held=True`: the caller already waited for this process's writer lock (see `WriterLock`) and
    hands it to the session, which releases it when its transaction ends. `factory`: another database's
    sessions (the federation hub's store) instead of the platform's own.
    """
    session = (factory or sessions.factory)()
    if write and session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE", "writer_lock_held": lock_held})
    return session


# Who delivers recorded events after a commit. `renshe.core.events` registers itself when it is
# imported (recording an event imports it), so the kernel's session code needs no import of it.
_event_deliverers: list[Callable[[], object]] = []


def deliver_events_with(deliver: Callable[[], object]) -> None:
    """Register what runs after a commit that recorded outbox events (the in-process dispatcher)."""
    if deliver not in _event_deliverers:
        _event_deliverers.append(deliver)


def _deliver_events() -> None:
    for deliver in _event_deliverers:
        deliver()


def commit(session: Session) -> None:
    """Commit the caller's transaction, then deliver the events it recorded (for the unit of work and
    long jobs that commit per chunk; request handlers never call it: the request commits for them)."""
    session.commit()
    if session.info.pop("has_events", False):
        _deliver_events()


def end_transaction(session: Session, *, success: bool) -> None:
    """Commit on success (then deliver the events it recorded), roll back otherwise; the session stays
    open (a request's answer may still read loaded rows)."""
    try:
        if success:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        session.info.pop("has_events", None)
        raise
    if session.info.pop("has_events", False) and success:
        _deliver_events()


def end_read(session: Session) -> None:
    """End a transaction that only read, early (before a long step, or a write in a unit of work of its
    own), so that it holds no snapshot or lock meanwhile. Refuses a session that holds changes: those
    are committed or rolled back by the unit of work that opened it, never dropped here."""
    if session.new or session.dirty or session.deleted or has_uncommitted(session):
        raise RuntimeError("end_read on a session with changes: the unit of work ends it")
    session.rollback()


def finish(session: Session, *, success: bool) -> None:
    """End a unit of work (`end_transaction`) and close its session."""
    try:
        end_transaction(session, success=success)
    finally:
        session.close()


_DEFERRED = "renshe_deferred_writes"
_READING = "renshe_reading"


def mark_reading(session: Session) -> None:
    """This session only reads (a GET request's): records written through `defer_write` are kept aside
    and written afterwards in a unit of work of their own that takes the writer's turn properly."""
    session.info[_READING] = True


def is_reading(session: Session) -> bool:
    return bool(session.info.get(_READING))


def defer_write(session: Session, write: Callable[[Session], object]) -> None:
    session.info.setdefault(_DEFERRED, []).append(write)


def take_deferred(session: Session) -> list[Callable[[Session], object]]:
    taken: list[Callable[[Session], object]] = session.info.pop(_DEFERRED, [])
    return taken


@contextmanager
def unit_of_work(*, write: bool = True, factory: Callable[[], Session] | None = None) -> Iterator[Session]:
    """Open a session, commit if the block succeeds, roll back otherwise, then dispatch events.

    The one way CLIs, background jobs and the web layer's own short writes end a transaction.
    `factory`: sessions of another database than the platform's own (see `open_session`)."""
    session = open_session(write=write, factory=factory)
    try:
        yield session
    except BaseException:
        finish(session, success=False)
        raise
    finish(session, success=True)
