from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core import db, events
from renshe.core.models import OutboxEvent


@pytest.fixture
def received() -> Iterator[list[str]]:
    got: list[str] = []

    def handler(_session: Session, event: OutboxEvent) -> None:
        got.append(event.payload["n"])

    events.subscribe("test.happened", handler)
    yield got
    events.unsubscribe("test.happened", handler)


def test_event_is_delivered_after_commit(session: Session, received: list[str]) -> None:
    with db.unit_of_work() as uow:
        events.record_event(uow, "test.happened", {"n": "one"})
        assert received == []  # not before commit
    assert received == ["one"]
    row = session.scalar(select(OutboxEvent).where(OutboxEvent.topic == "test.happened"))
    assert row is not None
    assert row.dispatched_at is not None


def test_rolled_back_write_leaves_no_event(session: Session, received: list[str]) -> None:
    def failing_write() -> None:
        with db.unit_of_work() as uow:
            events.record_event(uow, "test.happened", {"n": "two"})
            raise RuntimeError("the write failed")

    with pytest.raises(RuntimeError):
        failing_write()
    assert received == []
    assert session.scalar(select(OutboxEvent).where(OutboxEvent.topic == "test.happened")) is None


def test_failing_subscriber_keeps_the_event_for_retry(session: Session) -> None:
    calls: list[int] = []

    def flaky(_session: Session, _event: OutboxEvent) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("downstream unavailable")

    events.subscribe("test.flaky", flaky)
    try:
        with db.unit_of_work() as uow:
            events.record_event(uow, "test.flaky", {"n": "x"})
        row = session.scalar(select(OutboxEvent).where(OutboxEvent.topic == "test.flaky"))
        assert row is not None
        session.refresh(row)
        assert row.dispatched_at is None
        assert row.attempts == 1
        assert "downstream unavailable" in (row.last_error or "")
        assert events.dispatch_pending() == 1
        session.refresh(row)
        assert row.dispatched_at is not None
    finally:
        events.unsubscribe("test.flaky", flaky)
