"""The gateway's request path: who the consumer is, what it may use, within which limits, and the answer.

A consumer's limits and grants are read once (one Core statement) and kept for a second; any change
to a consumer or a grant in this process drops the cache at once (an ORM event), and with Redis the
other workers drop theirs on their next call (the shared generation comes back with the limit
decision). The per-minute rate and the daily quota are decided by `renshe.core.limits`: in Redis when
it is configured, else in this process against the day counter that the call-log writer keeps.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, event, select
from sqlalchemy.orm import Session

from renshe.core import crypto, ids, limits
from renshe.core.auth import Principal
from renshe.core.errors import Forbidden, NotFound, TooManyRequests, Unauthorized, ValidationFailed
from renshe.core.reads import read, read_async
from renshe.registry import service as registry
from renshe.sharing import policy
from renshe.sharing.catalog import SHANGHAI
from renshe.sharing.models import CallCount, Consumer, Grant, ShareResource
from renshe.sharing.recorder import ledger

CACHE_SECONDS = 1.0


@dataclass(frozen=True)
class ConsumerState:
    """An active consumer's limits and grants (resource short name -> stated purpose)."""

    client_id: str
    name: str
    rate_per_minute: int
    daily_quota: int
    grants: dict[str, str]


@dataclass(frozen=True)
class Authorised:
    resource: str
    purpose: str


_STATE = (select(Consumer.client_id, Consumer.name, Consumer.rate_per_minute, Consumer.daily_quota,
                 ShareResource.short_name, Grant.purpose)
          .outerjoin(Grant, Grant.consumer_id == Consumer.id)
          .outerjoin(ShareResource, ShareResource.id == Grant.resource_id)
          .where(Consumer.client_id == bindparam("client"), Consumer.active.is_(True)))
_COUNT = select(CallCount.calls).where(CallCount.consumer == bindparam("client"), CallCount.day == bindparam("day"))


def load_state(session: Session | Connection, client_id: str) -> ConsumerState | None:
    rows = session.execute(_STATE, {"client": client_id}).all()
    if not rows:
        return None
    first = rows[0]
    return ConsumerState(first[0], first[1], first[2], first[3], {r[4]: r[5] for r in rows if r[4] is not None})


class StateCache:
    """Consumer states by client id, each kept `CACHE_SECONDS`; dropped whole on any change."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, ConsumerState | None]] = {}
        self._lock = threading.Lock()
        self.shared_generation = 0

    def get(self, client_id: str, load: Callable[[], ConsumerState | None]) -> ConsumerState | None:
        now = time.monotonic()
        entry = self._entries.get(client_id)
        if entry is not None and now - entry[0] < CACHE_SECONDS:
            return entry[1]
        state = load()
        with self._lock:
            self._entries[client_id] = (now, state)
        return state

    def invalidate(self) -> None:
        with self._lock:
            self._entries.clear()

    def seen_generation(self, generation: int) -> None:
        """The shared generation that came back from Redis: another worker changed a consumer."""
        if generation != self.shared_generation:
            self.shared_generation = generation
            self.invalidate()


states = StateCache()


def _changed(session: Session) -> bool:
    return any(isinstance(o, Consumer | Grant) for o in (*session.new, *session.dirty, *session.deleted))


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, _context: Any, _instances: Any) -> None:
    if _changed(session):
        session.info["renshe_sharing_changed"] = True
        states.invalidate()


@event.listens_for(Session, "after_commit")
def _publish_changes(session: Session) -> None:
    if session.info.pop("renshe_sharing_changed", False):
        states.invalidate()
        shared = limits.shared()
        if shared is not None:
            shared.bump_generation()


def reset() -> None:
    """Forget cached consumers and this process's limit windows (tests, and after editing limits by hand)."""
    states.invalidate()
    _window.clear()
    ledger.clear()


def consumer_state(client_id: str, session: Session | None = None) -> ConsumerState:
    """The consumer behind a token (401 if it is unknown or disabled), from the cache when fresh."""
    state = states.get(client_id, lambda: load_state(session, client_id) if session is not None
                       else read(lambda c: load_state(c, client_id)))
    if state is None:
        raise Unauthorized("调用方应用不存在或已停用", code="renshe:sharing/inactive")
    return state


# ---------------------------------------------------------------- limits

_window = limits.MemoryWindow()


@dataclass(frozen=True)
class _Day:
    day: Any
    seconds_left: int
    midnight: datetime


_day_cache: list[Any] = [0, None]


def _today() -> _Day:
    """Today in Beijing time (recomputed at most once a second)."""
    second = int(time.time())
    if _day_cache[0] == second:
        cached: _Day = _day_cache[1]
        return cached
    local = datetime.now(SHANGHAI)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    day = _Day(local.date(), max(1, int((midnight + timedelta(days=1) - local).total_seconds()) + 1), midnight)
    _day_cache[:] = [second, day]
    return day


def _known_today(client_id: str, today: _Day, session: Session | None) -> int:
    """Today's calls as far as this process knows; one caller at a time re-reads the day counter."""
    now = time.monotonic()
    used, recount = ledger.used(client_id, today.day, now)
    if not recount:
        return used
    count: int | None = None
    try:
        def counted(s: Session | Connection) -> int:
            return int(s.scalar(_COUNT, {"client": client_id, "day": today.day}) or 0)

        count = counted(session) if session is not None else read(counted)
    finally:
        ledger.recounted(client_id, today.day, count, now)
    return ledger.used(client_id, today.day, now)[0]


def _refusal(verdict: limits.Verdict, state: ConsumerState) -> TooManyRequests:
    if verdict.reason == "rate":
        return TooManyRequests(f"超过每分钟{state.rate_per_minute}次的调用频率限制", retry_after=verdict.retry_after,
                               code="renshe:sharing/rate-limited")
    return TooManyRequests(f"今日调用已达配额{state.daily_quota}次，请明日再试", retry_after=verdict.retry_after,
                           code="renshe:sharing/quota-exceeded")


def _memory_verdict(state: ConsumerState, known: int, today: _Day) -> limits.Verdict:
    if known >= state.daily_quota:
        return limits.Verdict(False, "quota", today.seconds_left)
    return _window.hit(state.client_id, per_minute=state.rate_per_minute)


def admit(consumer: Principal, session: Session | None = None) -> ConsumerState:
    """Check that the caller is an active consumer within its rate and quota, and count the call."""
    state = _consumer(consumer, session)
    today = _today()
    known = _known_today(state.client_id, today, session)
    shared = limits.shared()
    if shared is None:
        verdict = _memory_verdict(state, known, today)
    else:
        verdict = shared.admit(state.client_id, per_minute=state.rate_per_minute, quota=state.daily_quota,
                               day=today.day.isoformat(), known=known, seconds_left=today.seconds_left)
        states.seen_generation(verdict.generation)
    if not verdict.allowed:
        raise _refusal(verdict, state)
    ledger.admitted(state.client_id)
    return state


async def admit_async(consumer: Principal) -> ConsumerState:
    """`admit` for the event loop: Redis through its asyncio client. The cache miss and the counter
    re-read are short indexed reads, at most once a second per consumer."""
    state = _consumer(consumer, None)
    today = _today()
    known = _known_today(state.client_id, today, None)
    shared = limits.shared()
    if shared is None:
        verdict = _memory_verdict(state, known, today)
    else:
        verdict = await shared.admit_async(state.client_id, per_minute=state.rate_per_minute,
                                           quota=state.daily_quota, day=today.day.isoformat(), known=known,
                                           seconds_left=today.seconds_left)
        states.seen_generation(verdict.generation)
    if not verdict.allowed:
        raise _refusal(verdict, state)
    ledger.admitted(state.client_id)
    return state


def _consumer(consumer: Principal, session: Session | None) -> ConsumerState:
    if not policy.can(consumer, "call"):
        raise Unauthorized("请使用数据共享应用凭证（client credentials）", code="renshe:sharing/not-a-consumer")
    return consumer_state(consumer.subject, session)


def grant_for(state: ConsumerState, consumer: Principal, short_name: str,
              session: Session | None = None) -> Authorised:
    """Deny by default: the consumer needs a grant for exactly this resource."""
    purpose = state.grants.get(short_name)
    if purpose is not None and policy.can(consumer, "call", short_name, granted=state.grants):
        return Authorised(short_name, purpose)
    known = ((session.scalar(select(ShareResource.id).where(ShareResource.short_name == short_name)))
             if session is not None else
             read(lambda c: c.scalar(select(ShareResource.id).where(ShareResource.short_name == short_name))))
    if known is None:
        raise NotFound("该共享资源", code="renshe:sharing/unknown-resource")
    error = Forbidden(f"本应用未获授权使用资源 {short_name}", code="renshe:sharing/no-grant")
    error.audit = {"actor": consumer, "action": "sharing.call", "entity_type": "resource", "entity_id": short_name}
    raise error


def authorise(session: Session, *, consumer: Principal, short_name: str) -> Authorised:
    """Limits, then the grant (synchronous callers)."""
    state = admit(consumer, session)
    return grant_for(state, consumer, short_name, session)


# ---------------------------------------------------------------- the subject of a call and identity


@dataclass(frozen=True)
class Subject:
    """A call's resident ID number, normalised and blind-indexed once."""

    raw: str
    number: str | None
    masked: str
    index: bytes
    errors: ValidationFailed | None


def subject_of(raw: str, *, field: str = "id_number") -> Subject:
    try:
        number = ids.parse_resident_id(raw, field=field).number
    except ids.IdentifierError as exc:
        clean = raw.strip().upper()
        return Subject(raw, None, crypto.mask_id_number(clean), registry.id_index(clean),
                       ValidationFailed(exc.errors))
    return Subject(raw, number, crypto.mask_id_number(number), registry.id_index(number), None)


def identity_result(session: Session | Connection | None, *, subject: Subject, name: str) -> str:
    """match, mismatch or not_found: compares the name with the person base, never revealing it
    (on `session` when given, else on this thread's reading connection)."""
    if subject.errors is not None:
        raise subject.errors
    if session is None:
        facts = read(lambda c: registry.identity_facts(c, index=subject.index))
    else:
        facts = registry.identity_facts(session, index=subject.index)
    if facts is None or facts[1] == "merged":
        return "not_found"
    return "match" if facts[0] == name else "mismatch"


async def identity_result_async(*, subject: Subject, name: str) -> str:
    """`identity_result` from the event loop (`read_async`: inline on SQLite, on a read thread otherwise)."""
    if subject.errors is not None:
        raise subject.errors
    facts = await read_async(lambda c: registry.identity_facts(c, index=subject.index))
    if facts is None or facts[1] == "merged":
        return "not_found"
    return "match" if facts[0] == name else "mismatch"
