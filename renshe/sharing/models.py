"""Tables of data sharing: catalog resources, consumer applications, grants and the call log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from renshe.core.db import Base, UTCDateTime, utcnow


class ShareResource(Base):
    """A resource of the data-sharing catalog (政务信息资源目录, GB/T 21063 fields)."""

    __tablename__ = "share_resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    short_name: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(200))
    provider_code: Mapped[str] = mapped_column(String(18))
    summary: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(32))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    sharing_type: Mapped[str] = mapped_column(String(16))  # unconditional / conditional / none
    condition: Mapped[str] = mapped_column(String(500))
    method: Mapped[str] = mapped_column(String(32))
    update_cycle: Mapped[str] = mapped_column(String(32))
    publish_date: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    local: Mapped[bool] = mapped_column(Boolean, default=False)  # a province's own addition


class Consumer(Base):
    """A department's application that calls the gateway (OAuth2 client credentials)."""

    __tablename__ = "share_consumers"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(40), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    rate_per_minute: Mapped[int] = mapped_column(Integer, default=600, server_default="600")
    daily_quota: Mapped[int] = mapped_column(Integer, default=100_000, server_default="100000")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Grant(Base):
    """Permission for one consumer to use one resource, for a stated purpose and legal basis."""

    __tablename__ = "share_grants"
    __table_args__ = (UniqueConstraint("consumer_id", "resource_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consumer_id: Mapped[int] = mapped_column(ForeignKey("share_consumers.id", ondelete="CASCADE"))
    resource_id: Mapped[int] = mapped_column(ForeignKey("share_resources.id"))
    purpose: Mapped[str] = mapped_column(String(200))
    legal_basis: Mapped[str] = mapped_column(String(200))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CallLogEntry(Base):
    """One call through the gateway: who, which resource, about whom (masked), outcome and timings."""

    __tablename__ = "share_call_log"
    __table_args__ = (Index("ix_share_call_log_consumer_at", "consumer", "requested_at"),
                      Index("ix_share_call_log_requested_at", "requested_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    consumer: Mapped[str] = mapped_column(String(40))
    resource: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(200))
    subject_masked: Mapped[str] = mapped_column(String(40))
    # The person's blind index, so they can see who looked them up (no number is stored).
    subject_index: Mapped[bytes | None] = mapped_column(LargeBinary(20), index=True)
    result: Mapped[str] = mapped_column(String(32))
    status: Mapped[int] = mapped_column(Integer)
    success: Mapped[bool] = mapped_column(Boolean)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    request_bytes: Mapped[int] = mapped_column(Integer)
    response_bytes: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[str] = mapped_column(String(64))
    duration_ms: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class BatchJob(Base):
    """A batch verification job (批量核验): an uploaded file of (name, id_number) rows answered row by row.

    `processed_rows` and `output_bytes` are the checkpoint, committed only after the result file was
    flushed to disk: a restarted worker truncates the result file back to `output_bytes` and goes on
    from `processed_rows`, so every row is answered exactly once.
    """

    __tablename__ = "share_batch_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    consumer: Mapped[str] = mapped_column(String(40), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued, running, done, failed
    total_rows: Mapped[int] = mapped_column(Integer)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    output_bytes: Mapped[int] = mapped_column(Integer, default=0)
    input_bytes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # where the next chunk starts
    matched: Mapped[int] = mapped_column(Integer, default=0)
    mismatched: Mapped[int] = mapped_column(Integer, default=0)
    not_found: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the result file is deleted then


class ShareResourceVersion(Base):
    """A past version of a catalog resource, kept when the resource is edited (版本记录)."""

    __tablename__ = "share_resource_versions"
    __table_args__ = (UniqueConstraint("resource_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("share_resources.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    replaced_by: Mapped[str] = mapped_column(String(64))


class CallCount(Base):
    """Successful gateway calls per consumer per day (Beijing time), kept by the call-log writer in the
    transaction that writes the calls: the daily quota reads one row instead of counting the log."""

    __tablename__ = "share_call_counts"

    consumer: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, default=0)
