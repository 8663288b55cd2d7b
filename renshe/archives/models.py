"""Personnel files and their transfers. A file is kept by an institution of Employment Online whose scope
includes `personnel_files` (a public talent service institution); `agency_id` is that institution."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from renshe.core.db import Base, UTCDateTime, utcnow
from renshe.core.models import new_public_id


class PersonnelFile(Base):
    __tablename__ = "personnel_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), unique=True)  # one file per person
    person_public_id: Mapped[str] = mapped_column(String(32), index=True)
    person_name: Mapped[str] = mapped_column(String(64))
    id_number_masked: Mapped[str] = mapped_column(String(18))
    file_number: Mapped[str] = mapped_column(String(24), unique=True)  # 档案编号
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(6), index=True)  # the keeping institution's county
    location: Mapped[str] = mapped_column(String(100))  # 存放位置 (room, cabinet, shelf)
    received_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200))  # where it came from (former employer, school, agency)
    state: Mapped[str] = mapped_column(String(12))  # stored | in_transfer
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FileTransfer(Base):
    """One transfer (转递) from an institution to another, sent under a tracking number, due by a working day."""

    __tablename__ = "personnel_file_transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    file_id: Mapped[int] = mapped_column(ForeignKey("personnel_files.id"), index=True)
    from_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    to_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    to_division: Mapped[str] = mapped_column(String(6), index=True)
    reason: Mapped[str] = mapped_column(String(200))
    tracking_number: Mapped[str] = mapped_column(String(40))  # 机要通信 or courier number
    sent_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    received_on: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12))  # sent | received
    sent_by: Mapped[str] = mapped_column(String(64))
    received_by: Mapped[str | None] = mapped_column(String(64))
