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
from functools import lru_cache
from typing import Any

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
