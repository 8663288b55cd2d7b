"""Tables of the pension in payment: the award frozen at the approval of a retirement (基本养老金核定),
its yearly adjustments, the monthly payments into the social security card and the checkpoints of the
payment and adjustment batches.

Amounts are integer fen. Awards keep what the decision was made on (components, trace, parameter
versions) and are never recomputed; an adjustment is a new row from its date of effect; a payment is
one row per award, month and kind, so a month is paid once and a past payment is never rewritten.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from renshe.core.db import Base, UTCDateTime, utcnow
from renshe.core.models import new_public_id


class PensionAward(Base):
    """The pension awarded to one person (养老金核定), from the month after the retirement month."""

    __tablename__ = "pension_awards"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), unique=True)
    person_public_id: Mapped[str] = mapped_column(String(32), index=True)
    person_name: Mapped[str] = mapped_column(String(64))
    id_number_masked: Mapped[str] = mapped_column(String(18))
    division_code: Mapped[str] = mapped_column(String(6), index=True)
    province: Mapped[str] = mapped_column(String(6))
    application_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    birth_month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    retirement_month: Mapped[date] = mapped_column(Date)  # first day
    start_month: Mapped[date] = mapped_column(Date)  # first day of the first month paid
    kind: Mapped[str] = mapped_column(String(16))  # statutory | early | late
    age: Mapped[str] = mapped_column(String(8))  # 60y1m
    months: Mapped[int] = mapped_column(Integer)  # contribution months incl. deemed
    deemed_months: Mapped[int] = mapped_column(Integer)
    basic_fen: Mapped[int] = mapped_column(BigInteger)
    account_fen: Mapped[int] = mapped_column(BigInteger)
    transitional_fen: Mapped[int] = mapped_column(BigInteger)
    awarded_fen: Mapped[int] = mapped_column(BigInteger)  # the total at the award
    monthly_fen: Mapped[int] = mapped_column(BigInteger)  # the total now, adjustments included
    trace: Mapped[Any] = mapped_column(JSON)
    parameters: Mapped[Any] = mapped_column(JSON)  # each parameter used: value, source, version
    status: Mapped[str] = mapped_column(String(16), default="in_payment")  # in_payment | suspended | ended
    granted_by: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PensionAdjustment(Base):
    """One yearly adjustment (养老金调整) of one award, from the scheme's date of effect."""

    __tablename__ = "pension_adjustments"
    __table_args__ = (UniqueConstraint("award_id", "year", name="uq_pension_adjustments_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("pension_awards.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    before_fen: Mapped[int] = mapped_column(BigInteger)
    increase_fen: Mapped[int] = mapped_column(BigInteger)
    after_fen: Mapped[int] = mapped_column(BigInteger)
    scheme_parameter_id: Mapped[int] = mapped_column(Integer)
    trace: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PensionPayment(Base):
    """A month's pension paid into the card (养老金发放), or the arrears of an adjustment (调整补发)."""

    __tablename__ = "pension_payments"
    __table_args__ = (UniqueConstraint("award_id", "month", "kind", name="uq_pension_payments_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("pension_awards.id"), index=True)
    month: Mapped[date] = mapped_column(Date)  # first day of the month paid for
    kind: Mapped[str] = mapped_column(String(16))  # monthly | arrears
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str] = mapped_column(String(64), unique=True)  # the card payment's reference
    card_status: Mapped[str] = mapped_column(String(16))  # credited | held
    card_payment: Mapped[str] = mapped_column(String(32))  # the card payment's public id
    paid_by: Mapped[str] = mapped_column(String(64))
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PensionRun(Base):
    """One payment run (`pay`, period YYYY-MM) or adjustment run (`adjust`, period YYYY) of a province:
    its checkpoint (`last_award_id`) survives a kill."""

    __tablename__ = "pension_runs"
    __table_args__ = (UniqueConstraint("kind", "province", "period", name="uq_pension_runs_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # pay | adjust
    province: Mapped[str] = mapped_column(String(6))
    period: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(16))  # running | done
    total: Mapped[int] = mapped_column(Integer, default=0)  # awards in scope at the start
    last_award_id: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    detail: Mapped[Any | None] = mapped_column(JSON)  # the scheme of an adjustment run
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
