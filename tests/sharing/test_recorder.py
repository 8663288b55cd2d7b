"""The call-log writer: rows queued and written in groups with the day counters, at least once, and
everything queued written on a clean stop; the daily quota reads the counter, not the log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.core.auth import SYSTEM
from renshe.sharing import recorder, service
from renshe.sharing.models import CallCount, CallLogEntry


def _row(consumer: str, status: int = 200) -> recorder.Row:
    masked, index = recorder.subject_fields("11010519491231002X")
    return recorder.call_row(consumer=consumer, resource="identity-verification", purpose="核验", subject_masked=masked,
                             subject_index=index, result="match" if status == 200 else "renshe:x", status=status,
                             requested_at=datetime.now(UTC), request_bytes=10, response_bytes=20)


@pytest.fixture
def writer() -> Iterator[recorder.CallLogWriter]:
    """A writer whose thread never flushes by itself (an hour's interval): the test flushes."""
    made = recorder.CallLogWriter(capacity=5)
    made.start(interval=3600)
    yield made
    made.stop()


def _logged(session: Session, consumer: str) -> int:
    return int(session.scalar(select(func.count()).select_from(CallLogEntry).where(CallLogEntry.consumer == consumer))
               or 0)


def _counted(session: Session, consumer: str) -> int:
    return int(session.scalar(select(func.sum(CallCount.calls)).where(CallCount.consumer == consumer)) or 0)


def test_rows_wait_in_the_queue_and_are_written_in_one_group(session: Session,
                                                             writer: recorder.CallLogWriter) -> None:
    for status in (200, 200, 403):
        recorder.ledger.admitted("c-group")
        assert writer.offer(_row("c-group", status), admitted=True)
    assert writer.queued() == 3
    assert _logged(session, "c-group") == 0
    assert writer.flush() == 3
    assert _logged(session, "c-group") == 3
    assert _counted(session, "c-group") == 2  # the counter holds successful calls only
    assert recorder.ledger.used("c-group", datetime.now(service.SHANGHAI).date(), 0.0)[0] == 0


def test_a_full_queue_refuses_and_the_caller_writes(session: Session, writer: recorder.CallLogWriter) -> None:
    for _ in range(5):
        assert writer.offer(_row("c-full"), admitted=False)
    assert not writer.offer(_row("c-full"), admitted=False)
    writer.flush()
    assert _logged(session, "c-full") == 5


def test_a_failed_group_goes_back_to_the_queue(session: Session, writer: recorder.CallLogWriter,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    writer.offer(_row("c-retry"), admitted=False)
    writer.offer(_row("c-retry"), admitted=False)
    real = recorder.write_calls

    def broken(_session: Session, _rows: list[recorder.Row]) -> None:
        raise RuntimeError("database away")

    monkeypatch.setattr(recorder, "write_calls", broken)
    with pytest.raises(RuntimeError):
        writer.flush()
    assert writer.queued() == 2  # nothing lost: tried again at the next flush
    monkeypatch.setattr(recorder, "write_calls", real)
    assert writer.flush() == 2
    assert _logged(session, "c-retry") == 2


def test_a_clean_stop_writes_what_is_queued(session: Session) -> None:
    made = recorder.CallLogWriter()
    made.start(interval=3600)
    made.offer(_row("c-stop"), admitted=False)
    made.stop()
    assert not made.running
    assert _logged(session, "c-stop") == 1
    assert not made.offer(_row("c-stop"), admitted=False)  # stopped: callers write themselves


def test_the_daily_quota_reads_the_day_counter(client: TestClient, session: Session) -> None:
    consumer, secret = service.add_consumer(session, actor=SYSTEM, name="某区社保中心",
                                            grants=["identity-verification"], purpose="待遇核验",
                                            legal_basis="依法履职", daily_quota=1_000_000)
    session.add(CallCount(consumer=consumer.client_id, day=datetime.now(service.SHANGHAI).date(), calls=1_000_000))
    session.commit()
    token = client.post("/share/v1/token", data={"grant_type": "client_credentials", "client_id": consumer.client_id,
                                                 "client_secret": secret}).json()["access_token"]
    refused = client.post("/share/v1/verify/identity", headers={"Authorization": f"Bearer {token}"},
                          json={"name": "甲", "id_number": "11010519491231002X"})
    assert refused.status_code == 429  # a million calls today by the counter, none in the log
    assert refused.json()["type"] == "renshe:sharing/quota-exceeded"
    service.set_limits(session, actor=SYSTEM, client_id=consumer.client_id, daily_quota=1_000_010)
    session.commit()
    again = client.post("/share/v1/verify/identity", headers={"Authorization": f"Bearer {token}"},
                        json={"name": "甲", "id_number": "11010519491231002X"})
    assert again.status_code == 200, again.text  # the limit change is seen at once (cache dropped on commit)
    assert _counted(session, consumer.client_id) == 1_000_001
