"""Federation against the real NATS server (JetStream) at 127.0.0.1:4222: two provinces and the ministry.

These tests fail, never skip, when NATS cannot be reached: CI must provide it (see .ci/run)."""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import nats
import pytest
from nats.js.client import JetStreamContext
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from renshe import demo
from renshe.core import db, migrate
from renshe.core.auth import SYSTEM
from renshe.federation import service
from renshe.federation.models import HubEvent
from renshe.registry import schemas
from renshe.registry import service as registry

pytestmark = pytest.mark.own_database  # SQLite files of its own, whatever the suite's database

NATS_URL = os.environ.get("RENSHE_TEST_NATS_URL", "nats://127.0.0.1:4222")


def _node(tmp: Path, name: str) -> tuple[Engine, sessionmaker[Session]]:
    engine = db.make_engine(f"sqlite:///{tmp / name}.db")
    with engine.begin() as conn:
        migrate.upgrade(conn)
    return engine, sessionmaker(bind=engine, expire_on_commit=False)


@pytest.fixture
def nodes(tmp_path: Path, session: Session) -> Iterator[dict[str, sessionmaker[Session]]]:
    # `session` keeps the main fixtures (keys, settings) in place; the nodes have databases of their own.
    made = {name: _node(tmp_path, name) for name in ("p110000", "p330000", "ministry")}
    yield {name: factory for name, (_engine, factory) in made.items()}
    for engine, _factory in made.values():
        engine.dispose()


def run_in_own_loop(scenario: Callable[[JetStreamContext, str], Awaitable[None]]) -> None:
    """Run an async scenario in a thread with its own event loop (the browser tests' Playwright keeps a
    loop on the main thread), against a namespace of streams made for this run and deleted after."""

    async def main() -> None:
        try:
            nc = await nats.connect(NATS_URL, connect_timeout=3, max_reconnect_attempts=0)
        except Exception as exc:
            raise AssertionError(f"NATS with JetStream must be running at {NATS_URL}: {exc!r}") from exc
        prefix = f"rt{secrets.token_hex(3)}"
        jetstream = nc.jetstream()
        try:
            await scenario(jetstream, prefix)
        finally:
            for stream in await jetstream.streams_info():
                if stream.config.name and stream.config.name.startswith(prefix.upper()):
                    await jetstream.delete_stream(stream.config.name)
            await nc.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, main()).result()


def _register(factory: sessionmaker[Session], county: str, n: int) -> None:
    with factory() as session:
        for i in range(n):
            number = demo.resident_id(county, date(1980, 1, 1 + i % 28), 2 * i + 1)
            registry.register_person(session, actor=SYSTEM, data=schemas.PersonIn(
                id_number=number, name="测试", residence_division=county))
        session.commit()


def _hub_count(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count(HubEvent.id))) or 0)


def test_an_event_reaches_the_ministry_within_two_seconds(nodes: dict[str, sessionmaker[Session]]) -> None:
    run_in_own_loop(lambda jetstream, prefix: _reaches_within_two_seconds(nodes, jetstream, prefix))


async def _reaches_within_two_seconds(nodes: dict[str, sessionmaker[Session]], jetstream: JetStreamContext,
                                      prefix: str) -> None:
    for province in ("110000", "330000"):
        await service.ensure_stream(jetstream, prefix, province)
    _register(nodes["p110000"], "110105", 1)
    started = time.monotonic()
    assert await service.publish_pending(jetstream, nodes["p110000"], prefix=prefix, province="110000") == 1
    while _hub_count(nodes["ministry"]) < 1 and time.monotonic() - started < 2:
        await service.consume_once(jetstream, nodes["ministry"], prefix=prefix, province="110000", timeout=0.2)
    assert _hub_count(nodes["ministry"]) == 1
    assert time.monotonic() - started < 2
    with nodes["ministry"]() as session:
        event = session.scalars(select(HubEvent)).one()
        assert event.province == "110000"
        assert event.topic == "registry.person_registered"
    assert await service.provinces_on_server(jetstream, prefix) == ["110000", "330000"]


def test_stopping_the_consumer_mid_stream_loses_and_doubles_nothing(nodes: dict[str, sessionmaker[Session]]) -> None:
    run_in_own_loop(lambda jetstream, prefix: _stop_and_resume(nodes, jetstream, prefix))


async def _stop_and_resume(nodes: dict[str, sessionmaker[Session]], jetstream: JetStreamContext, prefix: str) -> None:
    for province in ("110000", "330000"):
        await service.ensure_stream(jetstream, prefix, province)
    _register(nodes["p110000"], "110105", 120)
    _register(nodes["p330000"], "330106", 80)
    assert await service.publish_pending(jetstream, nodes["p110000"], prefix=prefix, province="110000") == 120
    assert await service.publish_pending(jetstream, nodes["p330000"], prefix=prefix, province="330000") == 80
    # the consumer takes one small batch, then "crashes" before acknowledging a second one
    await service.consume_once(jetstream, nodes["ministry"], prefix=prefix, province="110000", batch=50)
    sub = await jetstream.pull_subscribe(f"{prefix}.110000.>", durable=service.DURABLE,
                                         stream=service.stream_name(prefix, "110000"))
    unacked = await sub.fetch(30, timeout=1)
    assert len(unacked) == 30  # fetched, never acknowledged: redelivered after ack_wait or to the next fetch
    # the relay also repeats itself (as after a crash before marking events published): JetStream dedups
    with nodes["p110000"]() as session:
        from sqlalchemy import update

        from renshe.core.models import OutboxEvent

        session.execute(update(OutboxEvent).values(published_at=None))
        session.commit()
    assert await service.publish_pending(jetstream, nodes["p110000"], prefix=prefix, province="110000") == 120
    # a new consumer process: same durable, resumes where the acknowledged part ended
    for message in unacked:
        await message.nak()
    deadline = time.monotonic() + 20
    while _hub_count(nodes["ministry"]) < 200 and time.monotonic() < deadline:
        for province in ("110000", "330000"):
            await service.consume_once(jetstream, nodes["ministry"], prefix=prefix, province=province, timeout=0.3)
    with nodes["ministry"]() as session:
        per_province = dict(session.execute(select(HubEvent.province, func.count(HubEvent.id))
                                            .group_by(HubEvent.province)).all())
        distinct = session.scalar(select(func.count(func.distinct(HubEvent.event_id))))
    assert per_province == {"110000": 120, "330000": 80}
    assert distinct == 200


def test_events_travel_as_cloudevents_and_a_bad_message_does_not_block_the_stream(
        nodes: dict[str, sessionmaker[Session]]) -> None:
    run_in_own_loop(lambda jetstream, prefix: _cloudevents_on_the_wire(nodes, jetstream, prefix))


async def _cloudevents_on_the_wire(nodes: dict[str, sessionmaker[Session]], jetstream: JetStreamContext,
                                   prefix: str) -> None:
    import json

    await service.ensure_stream(jetstream, prefix, "110000")
    # a message that is not an event, and one that claims another province's source, come first
    await jetstream.publish(service.subject(prefix, "110000", "junk"), b"{not json")
    await jetstream.publish(service.subject(prefix, "110000", "spoof"), service.envelope(
        event_id="d" * 32, province="330000", topic="spoof", payload={}, occurred_at=service.utcnow()))
    _register(nodes["p110000"], "110105", 2)
    assert await service.publish_pending(jetstream, nodes["p110000"], prefix=prefix, province="110000") == 2
    peek = await jetstream.pull_subscribe(f"{prefix}.110000.registry.>", durable="peek",
                                          stream=service.stream_name(prefix, "110000"))
    sent = (await peek.fetch(1, timeout=2))[0]
    assert sent.headers is not None
    assert sent.headers["Content-Type"] == "application/cloudevents+json"
    body = json.loads(sent.data)
    assert body["specversion"] == "1.0"
    assert body["source"] == "urn:renshe:province:110000"
    assert body["type"] == "cn.renshe.registry.person_registered"
    assert body["time"].endswith("Z")
    started = time.monotonic()
    while _hub_count(nodes["ministry"]) < 2 and time.monotonic() - started < 5:
        await service.consume_once(jetstream, nodes["ministry"], prefix=prefix, province="110000", timeout=0.3)
    assert _hub_count(nodes["ministry"]) == 2  # the two real events; the junk and the spoof are dropped
    with nodes["ministry"]() as session:
        assert {e.topic for e in session.scalars(select(HubEvent))} == {"registry.person_registered"}
