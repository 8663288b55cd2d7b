"""Rate limits, daily counters and cache generations shared by the worker processes.

With `RENSHE_REDIS_URL` set, one Lua script in Redis decides a call (sliding one-minute window, the
day's count, the current cache generation) in one round trip, so limits hold across every worker.
Without it each process keeps the window in memory and the caller supplies the day's count it knows
(the database's figure plus what this process let through since): correct for one process, and a
quota holds across processes to within the caller's recount interval.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import case, delete, select, update

from renshe.core.db import utcnow
from renshe.core.models import LimitCounter
from renshe.core.settings import get_settings

DAY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Verdict:
    """The decision about one call: allowed, or refused for `reason` ("rate" or "quota")."""

    allowed: bool
    reason: str = ""
    retry_after: int = 0
    generation: int = 0  # the shared cache generation seen with the decision (0 without Redis)


ALLOWED = Verdict(allowed=True)


class MemoryWindow:
    """Per-key sliding one-minute windows in this process (thread-safe)."""

    def __init__(self) -> None:
        self._windows: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, *, per_minute: int, now: float | None = None) -> Verdict:
        now = time.monotonic() if now is None else now
        with self._lock:
            window = self._windows.get(key)
            if window is None:
                window = self._windows[key] = deque()
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) >= per_minute:
                return Verdict(False, "rate", max(1, math.ceil(60 - (now - window[0]))))
            window.append(now)
        return ALLOWED

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()


# KEYS: rate window, day counter, generation. ARGV: now (ms), per minute, quota, the day's count known to
# the database (seeds the counter when it is new), a unique member, the day's remaining seconds.
_ADMIT = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 60000)
local generation = tonumber(redis.call('GET', KEYS[3]) or '0')
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, math.ceil((tonumber(oldest[2]) + 60000 - now) / 1000), generation}
end
redis.call('SET', KEYS[2], ARGV[4], 'NX', 'EX', 2 * 86400)
if tonumber(redis.call('GET', KEYS[2])) >= tonumber(ARGV[3]) then
  return {-1, tonumber(ARGV[6]), generation}
end
redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], now, ARGV[5])
redis.call('PEXPIRE', KEYS[1], 61000)
return {1, 0, generation}
"""


class SharedLimits:
    """The same decisions in Redis, for every worker process (sync and async clients)."""

    def __init__(self, url: str, prefix: str) -> None:
        # Both clients imported here, at start-up (`shared()` in the app's lifespan): imported on a first
        # request instead, redis.asyncio held a worker's event loop for seconds on a busy machine.
        import redis
        import redis.asyncio

        self.url = url
        self.prefix = prefix
        self._sync = redis.Redis.from_url(url)
        self._script = self._sync.register_script(_ADMIT)
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()
        self._scripts: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()
        self._counter = 0
        self._lock = threading.Lock()

    def _args(self, key: str, per_minute: int, quota: int, day: str, known: int,
              seconds_left: int) -> tuple[list[str], list[Any]]:
        with self._lock:
            self._counter += 1
            member = f"{time.time_ns()}-{threading.get_ident()}-{self._counter}"
        keys = [f"{self.prefix}rate:{key}", f"{self.prefix}day:{key}:{day}", f"{self.prefix}generation"]
        return keys, [int(time.time() * 1000), per_minute, quota, known, member, seconds_left]

    @staticmethod
    def _verdict(raw: list[Any]) -> Verdict:
        state, retry, generation = (int(v) for v in raw)
        if state == 1:
            return Verdict(True, generation=generation)
        return Verdict(False, "rate" if state == 0 else "quota", max(1, retry), generation)

    def admit(self, key: str, *, per_minute: int, quota: int, day: str, known: int, seconds_left: int) -> Verdict:
        keys, args = self._args(key, per_minute, quota, day, known, seconds_left)
        return self._verdict(self._script(keys=keys, args=args))

    async def admit_async(self, key: str, *, per_minute: int, quota: int, day: str, known: int,
                          seconds_left: int) -> Verdict:
        keys, args = self._args(key, per_minute, quota, day, known, seconds_left)
        loop = asyncio.get_running_loop()
        if loop not in self._scripts:
            self._client()
        script = self._scripts[loop]
        return self._verdict(await script(keys=keys, args=args))

    def _client(self) -> Any:
        loop = asyncio.get_running_loop()
        client = self._async.get(loop)
        if client is None:
            import redis.asyncio

            client = self._async[loop] = redis.asyncio.Redis.from_url(self.url)
            self._scripts[loop] = client.register_script(_ADMIT)
        return client

    def bump_generation(self) -> int:
        """Tell every worker that cached state changed (they drop their caches on their next call)."""
        return int(self._sync.incr(f"{self.prefix}generation"))

    def clear(self, key: str) -> None:
        for name in self._sync.scan_iter(f"{self.prefix}*:{key}*"):
            self._sync.delete(name)


@lru_cache(maxsize=4)
def _shared(url: str, prefix: str) -> SharedLimits:
    return SharedLimits(url, prefix)


def shared() -> SharedLimits | None:
    """The Redis-backed limits when RENSHE_REDIS_URL is set, else None (in-process limits)."""
    settings = get_settings()
    return _shared(settings.redis_url, settings.redis_prefix) if settings.redis_url else None


# ---------------------------------------------------------------------------- sign-in counters
# Counters with a time to live, for the sign-in limits (`renshe.core.throttle`): codes sent per ID number,
# phone and address, wrong codes and wrong passwords per account and address. Shared by every worker:
# in Redis when RENSHE_REDIS_URL is set, otherwise in the database (`limit_counters`), in the caller's
# transaction, so a refused send or a counted failure commits or rolls back with the request.


@dataclass(frozen=True)
class Rule:
    """At most `limit` counts under `key`; the count starts a window of `seconds` when it is first made."""

    key: str
    limit: int
    seconds: int


class Counters:
    """What the sign-in limits need of a shared store (every method takes the caller's session, which
    only the database store uses)."""

    def peek(self, session: Any, rules: list[Rule]) -> Verdict:
        """Refused (reason: the rule's key) when a rule's count has reached its limit; nothing counted."""
        raise NotImplementedError

    def hit(self, session: Any, rules: list[Rule]) -> Verdict:
        """Count one under every rule, or, when one has reached its limit, none (refused)."""
        raise NotImplementedError

    def fail(self, session: Any, rule: Rule, *, lockout_seconds: int) -> int:
        """Count a failure; the one that reaches the limit makes the count last `lockout_seconds` from
        now (a lockout). Returns the count."""
        raise NotImplementedError

    def clear(self, session: Any, key: str) -> None:
        raise NotImplementedError


def _retry(seconds: float) -> int:
    return max(1, math.ceil(seconds))


class DatabaseCounters(Counters):
    """Counters in `limit_counters`: an upsert per rule, in the caller's transaction (the row lock
    serialises concurrent requests on PostgreSQL, the writer's turn on SQLite)."""

    def peek(self, session: Any, rules: list[Rule]) -> Verdict:
        now = utcnow()
        rows = {key: (count, expires) for key, count, expires in session.execute(
            select(LimitCounter.key, LimitCounter.count, LimitCounter.expires_at)
            .where(LimitCounter.key.in_([r.key for r in rules]), LimitCounter.expires_at > now))}
        for rule in rules:
            row = rows.get(rule.key)
            if row is not None and row[0] >= rule.limit:
                return Verdict(False, rule.key, _retry((row[1] - now).total_seconds()))
        return ALLOWED

    @staticmethod
    def _bump(session: Any, key: str, seconds: int) -> tuple[int, Any]:
        if session.get_bind().dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        now = utcnow()
        row = insert(LimitCounter).values(key=key, count=1, expires_at=now + timedelta(seconds=seconds))
        expired = LimitCounter.expires_at <= now
        stmt = row.on_conflict_do_update(index_elements=[LimitCounter.key], set_={
            "count": case((expired, 1), else_=LimitCounter.count + 1),
            "expires_at": case((expired, row.excluded.expires_at), else_=LimitCounter.expires_at),
        }).returning(LimitCounter.count, LimitCounter.expires_at)
        count, expires = session.execute(stmt).one()
        return int(count), expires

    def hit(self, session: Any, rules: list[Rule]) -> Verdict:
        counted: list[str] = []
        for rule in rules:
            count, expires = self._bump(session, rule.key, rule.seconds)
            counted.append(rule.key)
            if count > rule.limit:  # over: take back what this call counted (row locks are still held)
                session.execute(update(LimitCounter).where(LimitCounter.key.in_(counted))
                                .values(count=LimitCounter.count - 1))
                return Verdict(False, rule.key, _retry((expires - utcnow()).total_seconds()))
        return ALLOWED

    def fail(self, session: Any, rule: Rule, *, lockout_seconds: int) -> int:
        count, _expires = self._bump(session, rule.key, rule.seconds)
        if count == rule.limit:
            session.execute(update(LimitCounter).where(LimitCounter.key == rule.key)
                            .values(expires_at=utcnow() + timedelta(seconds=lockout_seconds)))
        return count

    def clear(self, session: Any, key: str) -> None:
        session.execute(delete(LimitCounter).where(LimitCounter.key == key))


# KEYS: the rules' keys. ARGV: their limits, then their windows (ms), then 1 to count or 0 to peek.
_HIT = """
local n = #KEYS
for i = 1, n do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[i]) then
    return {i, redis.call('PTTL', KEYS[i])}
  end
end
if ARGV[2 * n + 1] == '1' then
  for i = 1, n do
    if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[n + i]) end
  end
end
return {0, 0}
"""
# KEYS: the failure counter. ARGV: limit, window (ms), lockout (ms).
_FAIL = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if count == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return count
"""


class RedisCounters(Counters):
    """The same counters in Redis (one Lua script a decision), under RENSHE_REDIS_PREFIX + `signin:`."""

    def __init__(self, limits: SharedLimits) -> None:
        self._redis = limits._sync
        self._prefix = f"{limits.prefix}signin:"
        self._hit = self._redis.register_script(_HIT)
        self._fail = self._redis.register_script(_FAIL)

    def _decide(self, rules: list[Rule], count: bool) -> Verdict:
        args: list[Any] = [r.limit for r in rules] + [r.seconds * 1000 for r in rules] + [1 if count else 0]
        which, ttl_ms = (int(v) for v in self._hit(keys=[self._prefix + r.key for r in rules], args=args))
        if which == 0:
            return ALLOWED
        return Verdict(False, rules[which - 1].key, _retry(ttl_ms / 1000))

    def peek(self, session: Any, rules: list[Rule]) -> Verdict:  # noqa: ARG002 - the database store's
        return self._decide(rules, count=False)

    def hit(self, session: Any, rules: list[Rule]) -> Verdict:  # noqa: ARG002
        return self._decide(rules, count=True)

    def fail(self, session: Any, rule: Rule, *, lockout_seconds: int) -> int:  # noqa: ARG002
        return int(self._fail(keys=[self._prefix + rule.key],
                              args=[rule.limit, rule.seconds * 1000, lockout_seconds * 1000]))

    def clear(self, session: Any, key: str) -> None:  # noqa: ARG002
        self._redis.delete(self._prefix + key)


_database_counters = DatabaseCounters()


@lru_cache(maxsize=4)
def _redis_counters(url: str, prefix: str) -> RedisCounters:
    return RedisCounters(_shared(url, prefix))


def counters() -> Counters:
    """The sign-in counters: in Redis when RENSHE_REDIS_URL is set, else in the database."""
    settings = get_settings()
    return _redis_counters(settings.redis_url, settings.redis_prefix) if settings.redis_url else _database_counters


def purge_counters(session: Any) -> int:
    """Delete the database's expired counters (housekeeping); returns how many."""
    return int(session.execute(delete(LimitCounter).where(LimitCounter.expires_at <= utcnow())).rowcount or 0)
