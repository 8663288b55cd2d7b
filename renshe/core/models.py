"""Kernel tables: staff users and their grants, the audit chain, the event outbox, outgoing messages."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from renshe.core.db import Base, UTCDateTime, utcnow


def new_public_id() -> str:
    return uuid.uuid4().hex


class StaffUser(Base):
    """A member of staff (经办人员) at one division: county, city, province or ministry."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    roles: Mapped[str] = mapped_column(String(200))  # comma-separated role codes
    division_code: Mapped[str] = mapped_column(String(6), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Demo accounts share the password "demo" and can sign in only while RENSHE_DEMO_MODE is on.
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffGrant(Base):
    """A permission granted to one named user (e.g. `pii.unmask`), never implied by a role."""

    __tablename__ = "staff_grants"
    __table_args__ = (UniqueConstraint("user_id", "permission"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    permission: Mapped[str] = mapped_column(String(64))
    granted_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(200))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """One link of the SM3 hash chain: who did what to which entity, from where, when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    actor_kind: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(200))
    division_code: Mapped[str] = mapped_column(String(6))
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str] = mapped_column(String(64))
    client_addr: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # 1: plain SM3 link (rows written before the chain was keyed); 2: HMAC-SM3 with the audit key.
    chain: Mapped[int] = mapped_column(Integer, server_default="1")


class SignInSession(Base):
    """One sign-in (staff, citizen or employer): its id travels in the token; logout or revocation ends it."""

    __tablename__ = "auth_sessions"
    __table_args__ = (Index("ix_auth_sessions_subject", "kind", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str | None] = mapped_column(String(16))  # logout | revoked
    client_addr: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(200))


class OutboxEvent(Base):
    """A domain event written in the same transaction as the change it reports."""

    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    topic: Mapped[str] = mapped_column(String(100), index=True)  # <domain>.<event>
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Set by the NATS relay once JetStream acknowledged the event (federation); NULL: not yet sent.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class OutgoingMessage(Base):
    """A text message to a phone. The embedded sender keeps them here for the demo to show."""

    __tablename__ = "outgoing_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    phone_masked: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(String(500))
    purpose: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class OneTimeCode(Base):
    """A sign-in code sent to a citizen's phone on record; stored as a keyed hash only."""

    __tablename__ = "one_time_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), index=True)  # blind index of the ID number, hex
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdempotencyRecord(Base):
    """The stored outcome of a POST sent with an `Idempotency-Key`, replayed when the key comes again."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(80))  # who sent it: principal kind and subject
    key: Mapped[str] = mapped_column(String(128))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(300))
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of the request body
    status: Mapped[int | None] = mapped_column(Integer)  # None while the first request is running
    content_type: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class WorkingDaySchedule(Base):
    """One year's holiday schedule (节假日安排) loaded by an administrator from the State Council's notice.

    A loaded year wins over every other source of working days (see `renshe.core.workdays`).
    """

    __tablename__ = "working_day_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    holidays: Mapped[list[dict[str, str]]] = mapped_column(JSON)  # [{"date": "YYYY-MM-DD", "name": "春节"}]
    workdays: Mapped[list[str]] = mapped_column(JSON)  # adjusted weekend workdays (调休上班), "YYYY-MM-DD"
    source_note: Mapped[str] = mapped_column(String(500))  # e.g. the notice's document number
    loaded_by: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LimitCounter(Base):
    """A counter of the sign-in limits (codes sent, failures) shared by every worker process through the
    database when Redis is not configured; a row past `expires_at` counts as absent."""

    __tablename__ = "limit_counters"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
