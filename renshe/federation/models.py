"""The ministry hub's national store: every province's events, applied once each."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from renshe.core.db import Base, UTCDateTime


class HubEvent(Base):
    __tablename__ = "hub_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(32), unique=True)  # idempotency: applied once
    province: Mapped[str] = mapped_column(String(6), index=True)
    topic: Mapped[str] = mapped_column(String(100), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HubProvince(Base):
    """Per province: how many events arrived, the newest, and how late it was."""

    __tablename__ = "hub_provinces"

    province: Mapped[str] = mapped_column(String(6), primary_key=True)
    events: Mapped[int] = mapped_column(Integer, default=0)
    last_occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_delay_ms: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[int] = mapped_column(Integer, default=0)
