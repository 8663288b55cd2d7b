"""Rate limits and day counts: in this process's memory without Redis, in Redis (127.0.0.1:6379, db 5,
prefix renshe-gw-test:) when RENSHE_REDIS_URL is set; the gateway gives the same answers either way."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from renshe.core import limits
from renshe.core.auth import SYSTEM
from renshe.sharing import gateway, service

REDIS_URL = os.environ.get("RENSHE_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def test_memory_window_slides() -> None:
    window = limits.MemoryWindow()
    assert window.hit("c", per_minute=2, now=100.0).allowed
    assert window.hit("c", per_minute=2, now=110.0).allowed
    refused = window.hit("c", per_minute=2, now=120.0)
    assert (refused.allowed, refused.reason, refused.retry_after) == (False, "rate", 40)
    assert window.hit("c", per_minute=2, now=160.5).allowed  # the call at 100 left the window
    assert window.hit("other", per_minute=2, now=120.0).allowed  # one window per key


@pytest.fixture
def shared() -> Iterator[limits.SharedLimits]:
    import redis

    redis.Redis.from_url(REDIS_URL).ping()  # Redis is part of the test environment (.ci/run starts it)
    made = limits.SharedLimits(REDIS_URL, f"renshe-gw-test:{secrets.token_hex(4)}:")
    yield made
    for key in made._sync.scan_iter(f"{made.prefix}*"):
        made._sync.delete(key)


def test_redis_rate_window_and_day_count(shared: limits.SharedLimits) -> None:
    def admit(key: str, per_minute: int, quota: int, known: int = 0) -> limits.Verdict:
        return shared.admit(key, per_minute=per_minute, quota=quota, day="2026-12-02", known=known,
                            seconds_left=3600)

    assert [admit("r", 2, 100).allowed for _ in range(3)] == [True, True, False]
    refused = admit("r", 2, 100)
    assert refused.reason == "rate"
    assert 1 <= refused.retry_after <= 60
    assert [admit("q", 100, 3).allowed for _ in range(4)] == [True, True, True, False]
    assert admit("q", 100, 3).reason == "quota"
    seeded = admit("s", 100, 10, known=10)  # the database already counts ten calls today
    assert (seeded.allowed, seeded.reason, seeded.retry_after) == (False, "quota", 3600)
    before = admit("g", 100, 100).generation
    shared.bump_generation()
    assert admit("g", 100, 100).generation == before + 1


def test_redis_async_client_counts_in_the_same_window(shared: limits.SharedLimits) -> None:
    async def run() -> list[bool]:
        return [(await shared.admit_async("a", per_minute=3, quota=100, day="d", known=0, seconds_left=10)).allowed
                for _ in range(2)]

    # in a thread of its own: Playwright's sync API keeps an event loop running in the main thread when
    # the browser tests ran earlier in the same session
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(asyncio.run, run()).result() == [True, True]
    assert shared.admit("a", per_minute=3, quota=100, day="d", known=0, seconds_left=10).allowed
    assert not shared.admit("a", per_minute=3, quota=100, day="d", known=0, seconds_left=10).allowed


@pytest.fixture
def with_redis(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from renshe.core import settings

    prefix = f"renshe-gw-test:{secrets.token_hex(4)}:"
    monkeypatch.setenv("RENSHE_REDIS_URL", REDIS_URL)
    monkeypatch.setenv("RENSHE_REDIS_PREFIX", prefix)
    settings.get_settings.cache_clear()
    yield prefix
    shared = limits.shared()
    assert shared is not None
    for key in shared._sync.scan_iter(f"{prefix}*"):
        shared._sync.delete(key)
    monkeypatch.delenv("RENSHE_REDIS_URL")
    settings.get_settings.cache_clear()


def _calls(client: TestClient, session: Session, rate: int, count: int) -> list[int]:
    consumer, secret = service.add_consumer(session, actor=SYSTEM, name="某市医保局", grants=["identity-verification"],
                                            purpose="参保核验", legal_basis="依法履职", rate_per_minute=rate)
    session.commit()
    token = client.post("/share/v1/token", data={"grant_type": "client_credentials", "client_id": consumer.client_id,
                                                 "client_secret": secret}).json()["access_token"]
    return [client.post("/share/v1/verify/identity", headers={"Authorization": f"Bearer {token}"},
                        json={"name": "甲", "id_number": "11010519491231002X"}).status_code for _ in range(count)]


def test_gateway_limits_in_redis(client: TestClient, session: Session, with_redis: str) -> None:
    assert limits.shared() is not None
    assert _calls(client, session, rate=3, count=4) == [200, 200, 200, 429]
    shared = limits.shared()
    assert shared is not None
    assert any(shared._sync.scan_iter(f"{with_redis}rate:*"))


def test_gateway_limits_without_redis(client: TestClient, session: Session) -> None:
    assert limits.shared() is None
    assert _calls(client, session, rate=3, count=4) == [200, 200, 200, 429]


def test_a_change_on_another_worker_reaches_this_one_through_the_generation(with_redis: str) -> None:
    shared = limits.shared()
    assert shared is not None
    verdict = shared.admit("c-generation", per_minute=10, quota=10, day="d", known=0, seconds_left=10)
    gateway.states.seen_generation(verdict.generation)
    gateway.states.get("c-generation", lambda: None)
    loads: list[str] = []
    gateway.states.get("c-generation", lambda: loads.append("first") or None)
    shared.bump_generation()  # what another worker's commit of a consumer change does
    verdict = shared.admit("c-generation", per_minute=10, quota=10, day="d", known=0, seconds_left=10)
    gateway.states.seen_generation(verdict.generation)
    gateway.states.get("c-generation", lambda: loads.append("reloaded") or None)
    assert loads == ["reloaded"]  # the fresh cached entry was dropped, not kept for its second
