"""The relay (province → JetStream) and the hub (JetStream → national store).

At-least-once delivery, exactly-once effect: the relay marks an event published only after JetStream
acknowledged it, and sends the event id as `Nats-Msg-Id` (JetStream drops a repeat inside its
duplicate window); the hub acknowledges a message only after its transaction stored the event, and
stores each event id once, so a redelivery changes nothing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from nats.js.api import ConsumerConfig, StreamConfig
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from renshe.core import db
from renshe.core.db import utcnow
from renshe.core.models import OutboxEvent
from renshe.federation.models import HubEvent, HubProvince

SessionFactory = Callable[[], Session]
log = structlog.get_logger("renshe.federation")
DURABLE = "ministry"
CLOUDEVENTS_JSON = "application/cloudevents+json"
SOURCE_PREFIX = "urn:renshe:province:"
TYPE_PREFIX = "cn.renshe."


def stream_name(prefix: str, province: str) -> str:
    return f"{prefix.upper().replace('-', '_').replace('.', '_')}_{province}"


def subject(prefix: str, province: str, topic: str) -> str:
    """`renshe.<province>.<domain>.<event>`."""
    return f"{prefix}.{province}.{topic}"


async def ensure_stream(js: JetStreamContext, prefix: str, province: str) -> None:
    name = stream_name(prefix, province)
    try:
        await js.stream_info(name)
    except NotFoundError:
        await js.add_stream(StreamConfig(name=name, subjects=[f"{prefix}.{province}.>"], duplicate_window=600.0))


def _unpublished(factory: SessionFactory, limit: int) -> list[tuple[int, str, str, dict[str, Any], datetime]]:
    with factory() as session:
        rows = session.execute(
            select(OutboxEvent.id, OutboxEvent.event_id, OutboxEvent.topic, OutboxEvent.payload, OutboxEvent.created_at)
            .where(OutboxEvent.published_at.is_(None)).order_by(OutboxEvent.id).limit(limit)).all()
        return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def _mark_published(factory: SessionFactory, ids: list[int]) -> None:
    with db.unit_of_work(factory=factory) as session:
        session.execute(update(OutboxEvent).where(OutboxEvent.id.in_(ids)).values(published_at=utcnow()))


async def publish_pending(js: JetStreamContext, factory: SessionFactory, *, prefix: str, province: str,
                          limit: int = 500) -> int:
    """Send unpublished outbox events to the province's stream; returns how many were acknowledged."""
    rows = await asyncio.to_thread(_unpublished, factory, limit)

    async def send(event_id: str, topic: str, payload: dict[str, Any], created_at: datetime) -> None:
        body = envelope(event_id=event_id, province=province, topic=topic, payload=payload,
                        occurred_at=created_at)
        await js.publish(subject(prefix, province, topic), body,
                         headers={"Nats-Msg-Id": event_id, "Content-Type": CLOUDEVENTS_JSON})

    # Published in outbox order on the one connection; the acknowledgements are awaited together. A
    # failure leaves the whole round unmarked, so it is sent again (JetStream drops the duplicates).
    await asyncio.gather(*(send(event_id, topic, payload, created_at)
                           for _row_id, event_id, topic, payload, created_at in rows))
    done = [row[0] for row in rows]
    if done:
        await asyncio.to_thread(_mark_published, factory, done)
    return len(done)


@dataclass(frozen=True)
class Incoming:
    event_id: str
    province: str
    topic: str
    payload: dict[str, Any]
    occurred_at: datetime


def envelope(*, event_id: str, province: str, topic: str, payload: dict[str, Any],
             occurred_at: datetime) -> bytes:
    """A CloudEvents 1.0 event in structured JSON mode: the outbox event id, the province as `source`, the
    topic in `type`, and the payload as `data`. The NATS subject stays `<prefix>.<province>.<topic>`."""
    when = occurred_at if occurred_at.tzinfo else occurred_at.replace(tzinfo=UTC)
    return json.dumps({
        "specversion": "1.0",
        "id": event_id,
        "source": f"{SOURCE_PREFIX}{province}",
        "type": f"{TYPE_PREFIX}{topic}",
        "time": when.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "data": payload,
    }, ensure_ascii=False).encode()


class MalformedEvent(ValueError):
    """A message that is neither a CloudEvent of ours nor the earlier envelope."""


def parse(data: bytes) -> Incoming:
    """Read a CloudEvents 1.0 structured event, or the envelope used before it (accepted during the change)."""
    try:
        body = json.loads(data)
        if "specversion" not in body:  # the earlier shape: event_id, province, topic, payload, occurred_at
            return Incoming(body["event_id"], body["province"], body["topic"], body["payload"],
                            datetime.fromisoformat(body["occurred_at"]))
        if body["specversion"] != "1.0":
            raise MalformedEvent(f"specversion {body['specversion']!r} is not 1.0")
        source, kind = str(body["source"]), str(body["type"])
        if not source.startswith(SOURCE_PREFIX) or not kind.startswith(TYPE_PREFIX):
            raise MalformedEvent(f"source {source!r} or type {kind!r} is not a renshe province's")
        occurred = datetime.fromisoformat(str(body["time"]).replace("Z", "+00:00"))
        data_field = body.get("data", {})
        if not isinstance(data_field, dict):
            raise MalformedEvent("data is not a JSON object")
        return Incoming(str(body["id"]), source.removeprefix(SOURCE_PREFIX), kind.removeprefix(TYPE_PREFIX),
                        data_field, occurred.astimezone(UTC))
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, MalformedEvent):
            raise
        raise MalformedEvent(str(exc)) from exc


def apply_events(session: Session, events: list[Incoming]) -> int:
    """Store events not seen before (by event id); the caller commits. Returns how many were new."""
    if not events:
        return 0
    known = set(session.scalars(select(HubEvent.event_id).where(HubEvent.event_id.in_([e.event_id for e in events]))))
    now = utcnow()
    fresh: dict[str, Incoming] = {}
    for event in events:
        if event.event_id not in known:
            fresh.setdefault(event.event_id, event)
    for event in fresh.values():
        session.add(HubEvent(event_id=event.event_id, province=event.province, topic=event.topic,
                             payload=event.payload, occurred_at=event.occurred_at, received_at=now))
        province = session.get(HubProvince, event.province) or HubProvince(province=event.province, events=0)
        session.add(province)
        province.events = (province.events or 0) + 1
        if province.last_occurred_at is None or event.occurred_at >= province.last_occurred_at:
            province.last_occurred_at = event.occurred_at
            province.last_delay_ms = int((now - event.occurred_at).total_seconds() * 1000)
        province.last_received_at = now
    session.flush()
    return len(fresh)


def _apply(factory: SessionFactory, events: list[Incoming]) -> int:
    with db.unit_of_work(factory=factory) as session:
        return apply_events(session, events)


def _set_pending(factory: SessionFactory, province: str, pending: int) -> None:
    with db.unit_of_work(factory=factory) as session:
        row = session.get(HubProvince, province) or HubProvince(province=province, events=0)
        row.pending = pending
        session.add(row)


async def provinces_on_server(js: JetStreamContext, prefix: str) -> list[str]:
    head = stream_name(prefix, "")
    return sorted(s.config.name[len(head):] for s in await js.streams_info()
                  if s.config.name and s.config.name.startswith(head) and s.config.name[len(head):].isdigit())


_subscriptions: dict[tuple[int, str, str], JetStreamContext.PullSubscription] = {}


def forget_subscriptions(js: JetStreamContext) -> None:
    """Drop the cached subscriptions of a connection that is closing."""
    for key in [k for k in _subscriptions if k[0] == id(js)]:
        del _subscriptions[key]


async def consume_once(js: JetStreamContext, factory: SessionFactory, *, prefix: str, province: str,
                       batch: int = 500, timeout: float = 0.5) -> int:
    """Fetch one batch from a province's stream, store it, then acknowledge it. Returns events applied."""
    key = (id(js), prefix, province)
    sub = _subscriptions.get(key)
    if sub is None:
        # One subscription per stream for the life of the connection: a pull request's messages that
        # arrive after a fetch timed out wait in its inbox for the next fetch, instead of being dropped
        # and redelivered only after ack_wait.
        sub = _subscriptions[key] = await js.pull_subscribe(
            f"{prefix}.{province}.>", durable=DURABLE, stream=stream_name(prefix, province),
            config=ConsumerConfig(ack_wait=30, max_ack_pending=20_000))
    try:
        messages = await sub.fetch(batch, timeout=timeout)
    except TimeoutError:
        messages = []
    good, bad = [], []
    for message in messages:
        try:
            event = parse(message.data)
        except MalformedEvent as exc:
            log.warning("federation.malformed", province=province, error=str(exc))
            bad.append(message)
            continue
        if event.province != province:  # a node speaks only for its own province, on its own stream
            log.warning("federation.wrong_source", stream_province=province, source_province=event.province)
            bad.append(message)
            continue
        good.append((message, event))
    applied = await asyncio.to_thread(_apply, factory, [event for _m, event in good])
    for message, _event in good:
        await message.ack()
    for message in bad:
        await message.term()  # never redelivered: it would fail the same way every time
    info = await sub.consumer_info()
    await asyncio.to_thread(_set_pending, factory, province, int(info.num_pending or 0))
    return applied


def national_counts(session: Session) -> list[tuple[str, str, int]]:
    rows = session.execute(select(HubEvent.province, HubEvent.topic, func.count(HubEvent.id))
                           .group_by(HubEvent.province, HubEvent.topic).order_by(HubEvent.province, HubEvent.topic))
    return [(p, t, int(n)) for p, t, n in rows]


def province_status(session: Session) -> list[HubProvince]:
    return list(session.scalars(select(HubProvince).order_by(HubProvince.province)))


def latest_payloads(session: Session, *, topic: str) -> list[tuple[str, dict[str, Any], datetime]]:
    """Per province, the newest event of TOPIC in the national store: (province, payload, occurred_at)."""
    newest = (select(HubEvent.province, func.max(HubEvent.id).label("id")).where(HubEvent.topic == topic)
              .group_by(HubEvent.province).subquery())
    rows = session.execute(select(HubEvent.province, HubEvent.payload, HubEvent.occurred_at)
                           .join(newest, newest.c.id == HubEvent.id).order_by(HubEvent.province)).all()
    return [(r[0], dict(r[1]), r[2]) for r in rows]


def events_after(session: Session, *, topics: tuple[str, ...], after_id: int, limit: int = 1000
                 ) -> list[tuple[int, str, str, dict[str, Any]]]:
    """Events of TOPICS in the national store after AFTER_ID, oldest first: (id, province, topic, payload).
    Domains that keep a national view (the hub's job search) read it this way and remember the last id."""
    rows = session.execute(select(HubEvent.id, HubEvent.province, HubEvent.topic, HubEvent.payload)
                           .where(HubEvent.id > after_id, HubEvent.topic.in_(topics))
                           .order_by(HubEvent.id).limit(limit)).all()
    return [(int(r[0]), str(r[1]), str(r[2]), dict(r[3])) for r in rows]
