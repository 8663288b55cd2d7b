from __future__ import annotations

import itertools

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from renshe.core import audit
from renshe.core.auth import SYSTEM
from renshe.core.models import AuditEntry


def _entries(session: Session) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_chain_links_and_verifies(session: Session) -> None:
    for i in range(3):
        audit.record(session, actor=SYSTEM, action="test.write", entity_type="thing", entity_id=str(i),
                     after={"n": i})
    rows = _entries(session)
    assert rows[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    assert audit.verify(session).ok


def test_verify_reports_the_altered_row(session: Session) -> None:
    for i in range(4):
        audit.record(session, actor=SYSTEM, action="test.write", entity_type="thing", entity_id=str(i))
    target = _entries(session)[2]
    session.execute(update(AuditEntry).where(AuditEntry.id == target.id).values(entity_id="forged"))
    session.expire_all()
    report = audit.verify(session)
    assert not report.ok
    assert report.broken_at == target.id
    assert report.checked == 2
    assert "content" in (report.reason or "")


def test_verify_reports_a_deleted_row(session: Session) -> None:
    for i in range(4):
        audit.record(session, actor=SYSTEM, action="test.write", entity_type="thing", entity_id=str(i))
    rows = _entries(session)
    session.delete(rows[1])
    session.flush()
    session.expire_all()
    report = audit.verify(session)
    assert report.broken_at == rows[2].id
    assert "prev_hash" in (report.reason or "")


def test_pii_is_masked_before_it_is_stored(session: Session) -> None:
    entry = audit.record(session, actor=SYSTEM, action="test.write", entity_type="person", entity_id="x",
                         before={"id_number": "11010519491231002X", "nested": {"phone": "13812345678"}},
                         after={"bank_account": "6222020200112233445"})
    assert entry.before == {"id_number": "110105********002X", "nested": {"phone": "138****5678"}}
    assert entry.after == {"bank_account": "6222***********3445"}
