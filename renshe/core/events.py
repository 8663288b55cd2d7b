"""Domain events: written to the outbox in the writing transaction, dispatched after commit.

The embedded default delivers to in-process subscribers. A relay to NATS JetStream (data sharing)
reads the same outbox, so nothing here changes when it lands.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core import db
from renshe.core.models import OutboxEvent

Handler = Callable[[Session, OutboxEvent], None]
_subscribers: dict[str, list[Handler]] = defaultdict(list)
log = structlog.get_logger("renshe.events")


def record_event(session: Session, topic: str, payload: dict[str, Any]) -> OutboxEvent:
    """Add an event (`<domain>.<event>`) to the outbox; it leaves only if the transaction commits."""
    event = OutboxEvent(topic=topic, payload=payload)
    session.add(event)
    session.flush()
    session.info["has_events"] = True
    return event


def subscribe(topic: str, handler: Handler) -> None:
    """Register an in-process handler; `*` receives every topic."""
    _subscribers[topic].append(handler)


def subscribers_of(topic: str) -> list[Handler]:
    """The handlers an event of `topic` is delivered to (its own, then the `*` ones)."""
    return [*_subscribers.get(topic, []), *_subscribers.get("*", [])]


def unsubscribe(topic: str, handler: Handler) -> None:
    _subscribers[topic].remove(handler)


def dispatch_pending(limit: int = 500) -> int:
    """Deliver undispatched events to in-process subscribers, each in a unit of work of its own.

    Events a subscriber records are delivered by the next round, not from inside this one."""
    with db.unit_of_work(write=False) as session:
        pending = list(session.scalars(
            select(OutboxEvent.id).where(OutboxEvent.dispatched_at.is_(None)).order_by(OutboxEvent.id).limit(limit)))
    delivered = 0
    for event_id in pending:
        try:
            with db.unit_of_work() as session:
                current = session.get(OutboxEvent, event_id)
                if current is None or current.dispatched_at is not None:
                    continue
                for handler in subscribers_of(current.topic):
                    handler(session, current)
                current.dispatched_at = db.utcnow()
                current.attempts += 1
                session.info.pop("has_events", None)
            delivered += 1
        except Exception as exc:  # a failing subscriber must not lose the event: record and retry later
            log.exception("event dispatch failed", event_id=event_id)
            with db.unit_of_work() as retry:
                failed = retry.get(OutboxEvent, event_id)
                if failed is not None:
                    failed.attempts += 1
                    failed.last_error = repr(exc)[:2000]
    return delivered


db.deliver_events_with(dispatch_pending)
