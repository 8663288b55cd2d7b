"""Writing the gateway's call log: rows queued in this process and written in groups by one thread.

Delivery is at least once: a group that fails to commit goes back to the head of the queue and is
tried again; a clean shutdown (the app's lifespan, `CallLogWriter.stop`) writes what is queued. A crash
loses at most the calls of the last flush interval (`RENSHE_CALL_LOG_FLUSH_MS`, 200 ms by default).
With an interval of 0, or while no writer runs (the CLI, tests), each call is written in a short
transaction of its own. The same transaction adds the successful calls to the per-consumer per-day
counter (`share_call_counts`) that the daily quota reads.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from datetime import date, datetime
from typing import Any

import structlog
from sqlalchemy import insert
from sqlalchemy.orm import Session

from renshe.core import crypto, db
from renshe.core.context import current
from renshe.core.db import utcnow
from renshe.core.settings import get_settings
from renshe.sharing.catalog import SHANGHAI
from renshe.sharing.models import CallCount, CallLogEntry

_LOG = CallLogEntry.__table__
_COUNTS = CallCount.__table__

log = structlog.get_logger("renshe.sharing.calls")
Row = dict[str, Any]


def call_row(*, consumer: str, resource: str, purpose: str, subject_masked: str, subject_index: bytes | None,
             result: str, status: int, requested_at: datetime, request_bytes: int, response_bytes: int) -> Row:
    """One call-log row (the subject already masked and blind-indexed by the caller, once)."""
    responded = utcnow()
    return {
        "consumer": consumer[:40], "resource": resource[:64], "purpose": purpose[:200],
        "subject_masked": subject_masked[:40], "subject_index": subject_index, "result": result[:32],
        "status": status, "success": status < 400, "requested_at": requested_at, "responded_at": responded,
        "request_bytes": request_bytes, "response_bytes": response_bytes, "request_id": current.get().request_id,
        "duration_ms": min(max(0, round((responded - requested_at).total_seconds() * 1000)), 2**31 - 1),
    }


def subject_fields(subject: str | None, *, number: str | None = None, index: bytes | None = None,
                   ) -> tuple[str, bytes | None]:
    """(masked subject, blind index) of a call's subject; pass the parsed number and its index when
    the caller computed them already (one normalisation, one HMAC a call)."""
    if not subject:
        return "-", None
    from renshe.registry import service as registry

    clean = number or subject.strip().upper()
    return crypto.mask_id_number(clean), index if index is not None else registry.id_index(clean)


def day_of(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def write_calls(session: Session, rows: list[Row]) -> None:
    """Insert the rows and add their successful calls to the day counters (flushes, never commits)."""
    if not rows:
        return
    session.execute(insert(_LOG), rows)  # type: ignore[arg-type]
    per_day = Counter((r["consumer"], day_of(r["requested_at"])) for r in rows if r["success"])
    if not per_day:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    stmt = upsert(_COUNTS)  # type: ignore[arg-type]
    stmt = stmt.on_conflict_do_update(index_elements=["consumer", "day"],
                                      set_={"calls": _COUNTS.c.calls + stmt.excluded.calls})
    session.execute(stmt, [{"consumer": c, "day": d, "calls": n} for (c, d), n in sorted(per_day.items())])
    session.flush()


class QuotaLedger:
    """This process's view of each consumer's calls today: the day counter as last read from the database
    (plus the successes this process wrote since), and the calls let through that are not written yet."""

    RECOUNT_SECONDS = 2.0

    def __init__(self) -> None:
        self._pending: Counter[str] = Counter()
        self._base: dict[str, tuple[date, int, float]] = {}
        self._lock = threading.Lock()
        self._recounting: set[str] = set()

    def admitted(self, consumer: str) -> None:
        with self._lock:
            self._pending[consumer] += 1

    def used(self, consumer: str, day: date, now: float) -> tuple[int, bool]:
        """(calls today as far as this process knows, whether this caller should recount now). Only one
        caller at a time is told to recount a consumer; the others go on with the figure they have."""
        with self._lock:
            base = self._base.get(consumer)
            pending = self._pending.get(consumer, 0)
            stale = base is None or base[0] != day or now - base[2] >= self.RECOUNT_SECONDS
            if stale and consumer not in self._recounting:
                self._recounting.add(consumer)
                return (base[1] if base and base[0] == day else 0) + pending, True
            return (base[1] if base and base[0] == day else 0) + pending, False

    def recounted(self, consumer: str, day: date, count: int | None, now: float) -> None:
        with self._lock:
            self._recounting.discard(consumer)
            if count is not None:
                self._base[consumer] = (day, count, now)

    def written(self, admitted: Counter[str], successes: Counter[tuple[str, date]]) -> None:
        with self._lock:
            for consumer, count in admitted.items():
                left = self._pending[consumer] - count
                if left > 0:
                    self._pending[consumer] = left
                else:
                    self._pending.pop(consumer, None)
            for (consumer, day), count in successes.items():
                base = self._base.get(consumer)
                if base is not None and base[0] == day:
                    self._base[consumer] = (day, base[1] + count, base[2])

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()
            self._base.clear()
            self._recounting.clear()


def _written(rows: list[tuple[Row, bool]]) -> None:
    ledger.written(Counter(row["consumer"] for row, admitted in rows if admitted),
                   Counter((row["consumer"], day_of(row["requested_at"])) for row, _a in rows if row["success"]))


ledger = QuotaLedger()


class CallLogWriter:
    """A bounded queue of call-log rows and the thread that writes them in groups."""

    def __init__(self, *, capacity: int = 50_000, group: int = 5_000) -> None:
        self.capacity = capacity
        self.group = group
        self._queue: deque[tuple[Row, bool]] = deque()
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.interval = 0.2

    @property
    def running(self) -> bool:
        return self._thread is not None

    def offer(self, row: Row, *, admitted: bool) -> bool:
        """Queue a row; False when no writer runs or the queue is full (then the caller writes it)."""
        if self._thread is None:
            return False
        with self._lock:
            if len(self._queue) >= self.capacity:
                return False
            self._queue.append((row, admitted))
        return True

    def queued(self) -> int:
        return len(self._queue)

    def flush(self) -> int:
        """Write everything queued now, in groups, each group in one transaction; returns rows written."""
        written = 0
        with self._flushing:
            while True:
                with self._lock:
                    batch = [self._queue.popleft() for _ in range(min(self.group, len(self._queue)))]
                if not batch:
                    return written
                try:
                    with db.unit_of_work() as session:
                        write_calls(session, [row for row, _admitted in batch])
                except BaseException:
                    with self._lock:  # at least once: back to the head of the queue, tried again
                        self._queue.extendleft(reversed(batch))
                    raise
                _written(batch)
                written += len(batch)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # the database is away: keep the rows, try again next interval
                log.exception("call log flush failed; rows kept", queued=self.queued())

    def start(self, *, interval: float | None = None) -> None:
        if self._thread is not None:
            return
        self.interval = get_settings().call_log_flush_ms / 1000 if interval is None else interval
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="renshe-call-log", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and write what is still queued (a clean shutdown loses nothing)."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        self._wake.set()
        thread.join(timeout=30)
        self.flush()


writer = CallLogWriter()


def record(row: Row, *, admitted: bool) -> None:
    """Log a call from synchronous code: queued when the writer runs, else written now."""
    if writer.offer(row, admitted=admitted):
        return
    with db.unit_of_work() as session:
        write_calls(session, [row])
    _written([(row, admitted)])


async def record_async(row: Row, *, admitted: bool) -> None:
    """Log a call from the event loop: queued when the writer runs, else written in a unit of work that
    waits for the writer's turn off the loop."""
    if writer.offer(row, admitted=admitted):
        return
    from renshe.core import http

    await http.run_write(lambda session: write_calls(session, [row]))
    _written([(row, admitted)])


def log_call(session: Session, *, consumer: str, resource: str, purpose: str, subject: str | None, result: str,
             status: int, requested_at: datetime, request_bytes: int, response_bytes: int) -> None:
    """Write one call on the caller's session (imports, tests, tools); the gateway queues through `record`."""
    masked, index = subject_fields(subject)
    write_calls(session, [call_row(consumer=consumer, resource=resource, purpose=purpose, subject_masked=masked,
                                   subject_index=index, result=result, status=status, requested_at=requested_at,
                                   request_bytes=request_bytes, response_bytes=response_bytes)])
