"""Tables of the person base, the employer base and employment relations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from renshe.core.db import Base, UTCDateTime, utcnow
from renshe.core.models import new_public_id


class Person(Base):
    """One natural person per resident ID number (人员基础库); the ID number is stored encrypted."""

    __tablename__ = "persons"
    __table_args__ = (
        Index("ix_persons_name_birth", "name", "birth_date"),
        # identity lookups (batch verification, the gateway) read only these: a covering index
        Index("ix_persons_identity", "id_number_index", "status", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    id_number_index: Mapped[bytes] = mapped_column(LargeBinary(20), unique=True)
    id_number_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_masked: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(64), index=True)
    sex: Mapped[str] = mapped_column(String(1))  # GB/T 2261.1
    birth_date: Mapped[date] = mapped_column(Date)
    phone_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_index: Mapped[bytes | None] = mapped_column(LargeBinary(20), index=True)
    residence_division: Mapped[str] = mapped_column(String(6), index=True)
    hukou_division: Mapped[str | None] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(16), default="normal")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    real_name_state: Mapped[str] = mapped_column(String(16), default="unverified")
    real_name_source: Mapped[str | None] = mapped_column(String(32))
    real_name_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Employer(Base):
    """An employer (用人单位), keyed by its unified social credit code."""

    __tablename__ = "employers"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    entity_type: Mapped[str] = mapped_column(String(2))
    division_code: Mapped[str] = mapped_column(String(6), index=True)
    legal_representative: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="active")
    agent_password_hash: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class EmploymentRelation(Base):
    """A person employed by an employer from `start_date` until `end_date` (reported by the employer)."""

    __tablename__ = "employment_relations"
    __table_args__ = (
        UniqueConstraint("person_id", "employer_id", "start_date"),
        Index("ix_employment_relations_employer", "employer_id", "end_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    job_title: Mapped[str | None] = mapped_column(String(100))
    reported_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship()
    employer: Mapped[Employer] = relationship()


class Notice(Base):
    """A notice to a person (消息中心): what happened to them, with a link; sent as a text message too."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_person_unread", "person_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    kind: Mapped[str] = mapped_column(String(48))  # `<domain>.<event>`, e.g. hall.accepted
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(1000))
    link: Mapped[str | None] = mapped_column(String(300))
    texted: Mapped[bool] = mapped_column(Boolean, default=False)  # a text message went to the phone on record
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
