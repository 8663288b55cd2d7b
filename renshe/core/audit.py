"""The audit log: every write, sign-in, denial and unmasking, hash-chained with SM3."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from renshe.core import crypto, db
from renshe.core.auth import Principal
from renshe.core.context import current
from renshe.core.db import utcnow
from renshe.core.models import AuditEntry

GENESIS = "0" * 64
_MASKERS = {
    "id_number": crypto.mask_id_number,
    "phone": crypto.mask_phone,
    "bank_account": crypto.mask_bank_account,
}
_CHAINED = (
    "at", "actor", "actor_kind", "role", "division_code", "action", "entity_type", "entity_id",
    "before", "after", "outcome", "request_id", "client_addr",
)


def mask_pii(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """Mask known PII keys wherever they appear, so no audit row holds them in plain text."""
    if values is None:
        return None
    masked: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            masked[key] = mask_pii(value)
        elif isinstance(value, str) and key in _MASKERS:
            masked[key] = _MASKERS[key](value)
        else:
            masked[key] = value
    return masked


def _canonical_values(values: Mapping[str, Any]) -> bytes:
    data = {name: values[name] for name in _CHAINED}
    data["at"] = values["at"].isoformat(timespec="microseconds")
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def _canonical(entry: AuditEntry) -> bytes:
    return _canonical_values({name: getattr(entry, name) for name in _CHAINED})


def link_hash(prev_hash: str, entry: AuditEntry) -> str:
    return crypto.sm3_hex(prev_hash.encode() + _canonical(entry))


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # One writer at a time extends the chain; released at commit or rollback.
        session.execute(text("SELECT pg_advisory_xact_lock(7130001)"))


def _last_hash(session: Session) -> str:
    return session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)) or GENESIS


def record(
    session: Session,
    *,
    actor: Principal,
    action: str,
    entity_type: str,
    entity_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    outcome: str = "ok",
) -> AuditEntry | None:
    """Append one link to the chain inside the caller's transaction.

    On a reading session (a GET request's) the link is written right after the request, in a unit of
    work that takes the writer's turn (`db.defer_write`), and None is returned."""
    if db.is_reading(session):
        ctx = current.get()

        def later(write: Session) -> None:
            token = current.set(ctx)
            try:
                record(write, actor=actor, action=action, entity_type=entity_type, entity_id=entity_id,
                       before=before, after=after, outcome=outcome)
            finally:
                current.reset(token)

        db.defer_write(session, later)
        return None
    _lock_chain(session)
    prev = _last_hash(session)
    ctx = current.get()
    entry = AuditEntry(
        at=utcnow(), actor=actor.subject, actor_kind=actor.kind, role=actor.role_label,
        division_code=actor.division_code, action=action, entity_type=entity_type, entity_id=entity_id,
        before=mask_pii(before), after=mask_pii(after), outcome=outcome,
        request_id=ctx.request_id, client_addr=ctx.client_addr, prev_hash=prev,
    )
    entry.hash = link_hash(prev, entry)
    session.add(entry)
    session.flush()
    return entry


def record_many(
    session: Session,
    *,
    actor: Principal,
    action: str,
    entity_type: str,
    items: Iterable[tuple[str, dict[str, Any] | None]],
    outcome: str = "ok",
) -> int:
    """Append one link per `(entity_id, after)` item in a single bulk insert; returns how many.

    The chain is read once under the same lock as `record`, linked in memory and written in order,
    so a bulk import leaves exactly the chain that one `record` call per item would have left.
    """
    _lock_chain(session)
    prev = _last_hash(session)
    ctx = current.get()
    rows: list[dict[str, Any]] = []
    for entity_id, after in items:
        values: dict[str, Any] = {
            "at": utcnow(), "actor": actor.subject, "actor_kind": actor.kind, "role": actor.role_label,
            "division_code": actor.division_code, "action": action, "entity_type": entity_type,
            "entity_id": entity_id, "before": None, "after": mask_pii(after), "outcome": outcome,
            "request_id": ctx.request_id, "client_addr": ctx.client_addr, "prev_hash": prev,
        }
        values["hash"] = prev = crypto.sm3_hex(prev.encode() + _canonical_values(values))
        rows.append(values)
    if rows:
        session.execute(insert(AuditEntry), rows)
    return len(rows)


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def _entries(session: Session) -> Iterator[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=2000)
    yield from session.scalars(stmt)


def verify(session: Session) -> ChainReport:
    """Walk the chain from the start; report the first row whose link or content does not match."""
    prev = GENESIS
    checked = 0
    for entry in _entries(session):
        if entry.prev_hash != prev:
            return ChainReport(checked, entry.id, "prev_hash does not match the previous row's hash")
        if link_hash(prev, entry) != entry.hash:
            return ChainReport(checked, entry.id, "row content does not match its hash")
        prev = entry.hash
        checked += 1
        session.expunge(entry)
    return ChainReport(checked, None, None)


def history(session: Session, *, entity_type: str, entity_id: str, limit: int = 100) -> list[AuditEntry]:
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
