"""The key-group records (重点群体劳动者信息), their group memberships and the services received.

One record per person (`person_id` unique), checked against the person base by resident ID number and name.
`state` is what was last recorded; `state_source` says by whom: `clerk` (or an import) or `registry` (the
set-based refresh from employment relations). What a page shows is derived again at read from the registry
(`rules.effective_state`), so a stored state is never trusted blindly."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from renshe.core.db import Base, UTCDateTime, utcnow
from renshe.core.models import new_public_id


class KeyGroupRecord(Base):
    """A person in the key-group labour database, the county responsible and the employment state."""

    __tablename__ = "keygroup_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), unique=True)
    person_public_id: Mapped[str] = mapped_column(String(32), index=True)
    person_name: Mapped[str] = mapped_column(String(64))
    id_number_masked: Mapped[str] = mapped_column(String(18))
    division_code: Mapped[str] = mapped_column(String(6), index=True)  # the county responsible
    state: Mapped[str] = mapped_column(String(16))  # unemployed | employed | flexible | study | military | other
    state_source: Mapped[str] = mapped_column(String(16))  # clerk | registry
    state_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class KeyGroupMembership(Base):
    """The record's membership of one group with that group's attributes (graduation year, school ...)."""

    __tablename__ = "keygroup_memberships"
    __table_args__ = (UniqueConstraint("record_id", "group_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("keygroup_records.id"), index=True)
    group_code: Mapped[str] = mapped_column(String(32), index=True)
    attributes: Mapped[Any] = mapped_column(JSON)
    since: Mapped[date] = mapped_column(Date)


class KeyGroupService(Base):
    """One service the person received (服务记录): when, by whom, what kind, and a note."""

    __tablename__ = "keygroup_services"
    __table_args__ = (Index("ix_keygroup_services_record_served", "record_id", "served_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    record_id: Mapped[int] = mapped_column(ForeignKey("keygroup_records.id"))
    served_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(String(500))
    served_by: Mapped[str] = mapped_column(String(64))
    served_by_name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
