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


def unsubscribe(topic: str, handler: Handler) -> None:
    _subscribers[topic].remove(handler)


def dispatch_pending(limit: int = 500) -> int:
    """Deliver undispatched events to in-process subscribers, each in its own transaction."""
    delivered = 0
    with db.open_session() as session:
        pending = list(session.scalars(
            select(OutboxEvent.id).where(OutboxEvent.dispatched_at.is_(None)).order_by(OutboxEvent.id).limit(limit)))
        session.rollback()
    for event_id in pending:
        with db.open_session(write=True) as session:
            current = session.get(OutboxEvent, event_id)
            if current is None or current.dispatched_at is not None:
                session.rollback()
                continue
            try:
                for handler in [*_subscribers.get(current.topic, []), *_subscribers.get("*", [])]:
                    handler(session, current)
                current.dispatched_at = db.utcnow()
                current.attempts += 1
                session.commit()
                delivered += 1
            except Exception as exc:  # a failing subscriber must not lose the event: record and retry later
                session.rollback()
                log.exception("event dispatch failed", event_id=event_id)
                with db.open_session(write=True) as retry:
                    failed = retry.get(OutboxEvent, event_id)
                    if failed is not None:
                        failed.attempts += 1
                        failed.last_error = repr(exc)[:2000]
                        retry.commit()
    return delivered
