"""Idempotency keys: a POST repeated with the same `Idempotency-Key` gets the first answer again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from renshe.core import db
from renshe.core.models import IdempotencyRecord

TTL = timedelta(hours=24)


@dataclass(frozen=True)
class Claim:
    """What to do with a request: run it (`record_id`), replay a stored answer, or refuse."""

    record_id: int | None = None
    replay: IdempotencyRecord | None = None
    refusal: tuple[int, str, str] | None = None  # status, code, Chinese detail


def claim(*, scope: str, key: str, method: str, path: str, fingerprint: str) -> Claim:
    """Reserve the key for this request, or say how an earlier use of it ends this one."""
    with db.unit_of_work() as session:
        session.execute(delete(IdempotencyRecord).where(
            IdempotencyRecord.scope == scope, IdempotencyRecord.key == key,
            IdempotencyRecord.created_at < db.utcnow() - TTL))
        record = IdempotencyRecord(scope=scope, key=key, method=method, path=path, fingerprint=fingerprint)
        try:
            with session.begin_nested():  # a key already taken undoes only this insert
                session.add(record)
        except IntegrityError:
            pass
        else:
            return Claim(record_id=record.id)
        existing = session.scalar(select(IdempotencyRecord).where(
            IdempotencyRecord.scope == scope, IdempotencyRecord.key == key))
        if existing is None:  # expired and removed between the two statements: let the client retry
            return Claim(refusal=(409, "renshe:idempotency/in-progress", "请求正在处理，请稍后重试"))
        if existing.fingerprint != fingerprint or existing.path != path or existing.method != method:
            return Claim(refusal=(422, "renshe:idempotency/mismatch",
                                  "同一个 Idempotency-Key 已用于内容不同的请求，请换一个新的键"))
        if existing.status is None:
            return Claim(refusal=(409, "renshe:idempotency/in-progress", "相同请求正在处理，请稍后重试"))
        session.expunge(existing)
        return Claim(replay=existing)


def settle(record_id: int, *, status: int, content_type: str | None, body: bytes) -> None:
    """Keep the answer for replay; a server error frees the key so the client may try again."""
    with db.unit_of_work() as session:
        record = session.get(IdempotencyRecord, record_id)
        if record is None:
            return
        if status >= 500:
            session.delete(record)
            return
        record.status = status
        record.content_type = content_type
        record.body = body
