"""The transfer cases of 转移接续, one row per node and case: `in` at the new place, `out` at the old place.

Both rows carry the same `ref` (the new place's public id of the case), so every message between the two
nodes names the case, and each side applies a message once: the step already taken is not taken again."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from renshe.core.db import Base, UTCDateTime, utcnow
from renshe.core.models import new_public_id


class PensionTransfer(Base):
    __tablename__ = "pt_transfers"
    __table_args__ = (UniqueConstraint("role", "peer_province", "ref", name="uq_pt_transfers_case"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    ref: Mapped[str] = mapped_column(String(32), index=True)  # the new place's public id of the case
    role: Mapped[str] = mapped_column(String(4))  # in (new place) | out (old place)
    peer_province: Mapped[str] = mapped_column(String(6))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    person_public_id: Mapped[str] = mapped_column(String(32))
    person_name: Mapped[str] = mapped_column(String(64))
    id_number_masked: Mapped[str] = mapped_column(String(18))
    application_public_id: Mapped[str | None] = mapped_column(String(32))  # the hall application (new place)
    kind: Mapped[str] = mapped_column(String(12))  # transfer | temporary (第五条)
    state: Mapped[str] = mapped_column(String(16))  # requested | transferred | completed | temporary
    decision: Mapped[Any] = mapped_column(JSON)  # the move decision with its reason and source
    requested_on: Mapped[date] = mapped_column(Date)
    deadlines: Mapped[Any] = mapped_column(JSON)  # step -> {due, workdays, source, done_on}
    months: Mapped[int] = mapped_column(Integer, default=0)
    bases_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    account_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    pooled_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    certificate: Mapped[Any | None] = mapped_column(JSON)  # 参保缴费凭证: months with bases, balance, trace
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
