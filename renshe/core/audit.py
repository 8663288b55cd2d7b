"""The audit log: every write, sign-in, denial and unmasking, chained with HMAC-SM3 under a key held
outside the database, and checked against signed checkpoints kept outside the audit table."""

from __future__ import annotations

import asyncio
import fcntl
import hmac
import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from renshe.core import crypto, db
from renshe.core.auth import Principal
from renshe.core.context import current
from renshe.core.db import utcnow
from renshe.core.models import AuditEntry
from renshe.core.settings import get_settings

logger = logging.getLogger(__name__)
GENESIS = "0" * 64
PLAIN, KEYED = 1, 2  # AuditEntry.chain: plain SM3 (rows before the key), HMAC-SM3 with the audit key
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
    """The plain SM3 link of a chain-1 row (written before the chain was keyed)."""
    return crypto.sm3_hex(prev_hash.encode() + _canonical(entry))


def keyed_link(key: bytes, prev_hash: str, entry: AuditEntry) -> str:
    """The HMAC-SM3 link of a chain-2 row: without the key nobody can recompute it."""
    return crypto.hmac_sm3_hex(key, prev_hash.encode() + _canonical(entry))


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
        request_id=ctx.request_id, client_addr=ctx.client_addr, prev_hash=prev, chain=KEYED,
    )
    entry.hash = keyed_link(crypto.audit_key(), prev, entry)
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
    key = crypto.audit_key()
    rows: list[dict[str, Any]] = []
    for entity_id, after in items:
        values: dict[str, Any] = {
            "at": utcnow(), "actor": actor.subject, "actor_kind": actor.kind, "role": actor.role_label,
            "division_code": actor.division_code, "action": action, "entity_type": entity_type,
            "entity_id": entity_id, "before": None, "after": mask_pii(after), "outcome": outcome,
            "request_id": ctx.request_id, "client_addr": ctx.client_addr, "prev_hash": prev, "chain": KEYED,
        }
        values["hash"] = prev = crypto.hmac_sm3_hex(key, prev.encode() + _canonical_values(values))
        rows.append(values)
    if rows:
        session.execute(insert(AuditEntry), rows)
    return len(rows)


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None
    reason: str | None
    checkpoints: int = 0  # signed checkpoints the chain was checked against
    uncovered: int = 0  # rows after the newest checkpoint (a deletion among them cannot be told)

    @property
    def ok(self) -> bool:
        return self.broken_at is None and self.reason is None


def _entries(session: Session) -> Iterator[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=2000)
    yield from session.scalars(stmt)


def verify(session: Session, *, checkpoint_dir: Path | None = None) -> ChainReport:
    """Walk the chain from the start and check it against the signed checkpoints kept outside the
    database; report the first row whose link, keyed hash or checkpoint does not match, by name.

    Rows of chain 1 (written before the chain was keyed) are checked with plain SM3; once a keyed row
    has appeared (or a checkpoint says the chain was keyed from row K on), every row must be keyed, so
    a forger without the key can neither recompute a tail nor fall back to the plain hash."""
    checkpoints, bad = read_checkpoints(checkpoint_dir)
    if bad:
        return ChainReport(0, None, bad[0], len(checkpoints))
    at_row = {cp.last_id: cp for cp in checkpoints}
    keyed_from = min((cp.first_keyed_id for cp in checkpoints if cp.first_keyed_id is not None), default=None)
    key = crypto.audit_key()
    prev = GENESIS
    checked = 0
    keyed = False
    last_id = 0
    matched: set[int] = set()
    for entry in _entries(session):
        if entry.prev_hash != prev:
            return ChainReport(checked, entry.id, f"row {entry.id}: prev_hash does not match the previous row's "
                               "hash (a row before it was deleted or changed)", len(checkpoints))
        if entry.chain == KEYED or keyed or (keyed_from is not None and entry.id >= keyed_from):
            keyed = True
            if entry.chain != KEYED or keyed_link(key, prev, entry) != entry.hash:
                return ChainReport(checked, entry.id, f"row {entry.id} changed: keyed hash does not match (its "
                                   "content or hash was altered)", len(checkpoints))
        elif link_hash(prev, entry) != entry.hash:
            return ChainReport(checked, entry.id, f"row {entry.id} changed: row content does not match its hash",
                               len(checkpoints))
        checked += 1
        cp = at_row.get(entry.id)
        if cp is not None:
            if cp.rows != checked or cp.last_hash != entry.hash:
                return ChainReport(checked - 1, entry.id, f"row {entry.id} does not match checkpoint {cp.seq} "
                                   f"({cp.rows} rows up to it at {cp.at}; now {checked}): rows were deleted or "
                                   "rewritten", len(checkpoints))
            matched.add(cp.seq)
        prev = entry.hash
        last_id = entry.id
        session.expunge(entry)
    for cp in sorted(checkpoints, key=lambda c: c.seq):
        if cp.seq not in matched:
            return ChainReport(checked, cp.last_id, f"rows deleted after checkpoint {cp.seq}: it covered "
                               f"{cp.rows} rows up to row {cp.last_id} at {cp.at}; the table now has {checked} "
                               f"rows, up to row {last_id or '-'}", len(checkpoints))
    newest = max(checkpoints, key=lambda c: c.rows, default=None)
    return ChainReport(checked, None, None, len(checkpoints), checked - (newest.rows if newest else 0))


# --------------------------------------------------------------------------- signed checkpoints

CHECKPOINT_FILE = "audit-checkpoints.jsonl"
_CHECKPOINT_PURPOSE = b"renshe-audit-checkpoint\x00"


@dataclass(frozen=True)
class Checkpoint:
    """What the chain looked like at one moment, signed with the audit key and kept outside the
    database: a later truncation or rewrite cannot bring the table back to agree with it."""

    seq: int
    rows: int
    last_id: int
    last_hash: str
    first_keyed_id: int | None
    at: str

    def body(self) -> bytes:
        data = {"seq": self.seq, "rows": self.rows, "last_id": self.last_id, "last_hash": self.last_hash,
                "first_keyed_id": self.first_keyed_id, "at": self.at}
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()

    def mac(self, key: bytes) -> str:
        return crypto.hmac_sm3_hex(key, _CHECKPOINT_PURPOSE + self.body())


def _checkpoint_path(directory: Path | None) -> Path:
    return (directory or get_settings().checkpoint_dir) / CHECKPOINT_FILE


def read_checkpoints(directory: Path | None = None) -> tuple[list[Checkpoint], list[str]]:
    """The checkpoints whose signature holds, and a message for each line that does not."""
    path = _checkpoint_path(directory)
    if not path.exists():
        return [], []
    key = crypto.audit_key()
    good: list[Checkpoint] = []
    bad: list[str] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            mac = data.pop("mac")
            cp = Checkpoint(**data)
        except (ValueError, TypeError, KeyError):
            bad.append(f"checkpoint line {number} of {path} is unreadable")
            continue
        if not hmac.compare_digest(cp.mac(key), str(mac)):
            bad.append(f"checkpoint {cp.seq} signature does not match (the checkpoint file was altered)")
            continue
        good.append(cp)
    return good, bad


def write_checkpoint(session: Session, *, directory: Path | None = None) -> Checkpoint | None:
    """Append a signed checkpoint of the chain as it stands (None for an empty chain); a chain that has not
    grown since the newest checkpoint gets no new line."""
    last = session.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    if last is None:
        return None
    rows = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    path = _checkpoint_path(directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = crypto.audit_key()
    with path.open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # the web processes and the command append to one file
        handle.seek(0)
        lines = [line for line in handle.read().splitlines() if line.strip()]
        previous = json.loads(lines[-1]) if lines else None
        if previous is not None and previous.get("last_id") == last.id and previous.get("rows") == rows:
            previous.pop("mac", None)
            return Checkpoint(**previous)
        first_keyed = previous.get("first_keyed_id") if previous else None
        if first_keyed is None:
            first_keyed = session.scalar(select(func.min(AuditEntry.id)).where(AuditEntry.chain == KEYED))
        cp = Checkpoint(seq=len(lines) + 1, rows=rows, last_id=last.id, last_hash=last.hash,
                        first_keyed_id=first_keyed, at=utcnow().isoformat(timespec="seconds"))
        handle.write(json.dumps({**json.loads(cp.body()), "mac": cp.mac(key)}, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return cp


async def run_checkpoints(stop: asyncio.Event, *, minutes: int) -> None:
    """Write a checkpoint every `minutes` until `stop` is set (the web process's background task)."""
    while True:
        try:
            await asyncio.wait_for(stop.wait(), timeout=minutes * 60)
            return
        except TimeoutError:
            pass
        try:
            await asyncio.to_thread(_checkpoint_now)
        except Exception:  # keep the loop alive; the next round tries again
            logger.exception("audit checkpoint failed")


def _checkpoint_now() -> None:
    with db.unit_of_work(write=False) as session:
        write_checkpoint(session)


def history(session: Session, *, entity_type: str, entity_id: str, limit: int = 100) -> list[AuditEntry]:
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
