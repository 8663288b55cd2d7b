"""Employment Online: institutions and agencies (with their licences), the services they publish, and
ratings. A public institution may be listed before it is onboard (`state` "listed"): it counts in the
coverage measure's denominator. Each institution is a unit of the registry (by credit code)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from renshe.core.db import Base, UTCDateTime, utcnow
from renshe.core.models import new_public_id


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # public_employment | public_talent | licensed
    division_code: Mapped[str] = mapped_column(String(6), index=True)
    licence_number: Mapped[str | None] = mapped_column(String(40))  # 人力资源服务许可证
    licence_scope: Mapped[Any] = mapped_column(JSON)  # service kinds the licence (or the public remit) covers
    dispatch_licence: Mapped[str | None] = mapped_column(String(40))  # 劳务派遣经营许可证
    state: Mapped[str] = mapped_column(String(12))  # listed | pending | onboard | refused | suspended
    note: Mapped[str | None] = mapped_column(String(500))
    ratings: Mapped[int] = mapped_column(Integer, default=0)
    rating_sum: Mapped[int] = mapped_column(Integer, default=0)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    onboarded_on: Mapped[date | None] = mapped_column(Date)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AgencyService(Base):
    __tablename__ = "agency_services"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(2000))
    fee: Mapped[str] = mapped_column(String(100))  # 免费 for public services, or the published price
    state: Mapped[str] = mapped_column(String(12))  # published | withdrawn
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AgencyRating(Base):
    __tablename__ = "agency_ratings"
    __table_args__ = (UniqueConstraint("agency_id", "person_id", name="uq_agency_ratings_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    stars: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
