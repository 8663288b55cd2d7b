"""Tables of unemployment registration and the unemployment insurance benefit (失业登记、失业保险金):
registrations with their service records and exit, benefits frozen at approval, monthly payments into
the social security card, the medical insurance contributions the fund pays for each recipient-month,
and the checkpoints of the monthly payment run.

Amounts are integer fen. A benefit keeps what it was decided on (months, amount, trace, parameter versions);
a payment is one row per benefit and month (unique), so a month is paid once and never rewritten; so is the
medical contribution due for that month.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from renshe.core.db import Base, UTCDateTime, utcnow
from renshe.core.models import new_public_id


class UnemploymentRegistration(Base):
    """One spell of unemployment registration (失业登记) of one person, from registration to exit.

    `open_key` is the person's id while the registration is open and null after the exit: its unique
    constraint is the database's guarantee of one open registration per person."""

    __tablename__ = "unemp_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    person_public_id: Mapped[str] = mapped_column(String(32), index=True)
    person_name: Mapped[str] = mapped_column(String(64))
    id_number_masked: Mapped[str] = mapped_column(String(18))
    division_code: Mapped[str] = mapped_column(String(6), index=True)  # where registered
    place: Mapped[str] = mapped_column(String(16))  # residence | workplace
    channel: Mapped[str] = mapped_column(String(16))  # online | window | benefit
    application_number: Mapped[str | None] = mapped_column(String(40))
    registered_on: Mapped[date] = mapped_column(Date)
    separation_date: Mapped[date | None] = mapped_column(Date)
    former_employer: Mapped[str | None] = mapped_column(String(200))
    job_intention: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | exited
    open_key: Mapped[int | None] = mapped_column(Integer, unique=True)
    exit_reason: Mapped[str | None] = mapped_column(String(24))
    exit_note: Mapped[str | None] = mapped_column(String(300))
    exited_on: Mapped[date | None] = mapped_column(Date)
    exited_by: Mapped[str | None] = mapped_column(String(64))
    registered_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ServiceRecord(Base):
    """One employment service given to a registered person (就业服务记录): job recommendation, training
    referral, counselling …, dated, with who served."""

    __tablename__ = "unemp_service_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    registration_id: Mapped[int] = mapped_column(ForeignKey("unemp_registrations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    served_on: Mapped[date] = mapped_column(Date)
    detail: Mapped[str] = mapped_column(String(500))
    outcome: Mapped[str | None] = mapped_column(String(200))
    served_by: Mapped[str] = mapped_column(String(64))
    served_by_name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UnemploymentBenefit(Base):
    """The unemployment benefit awarded for one spell (失业保险金核定): months and monthly amount frozen."""

    __tablename__ = "unemp_benefits"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    person_public_id: Mapped[str] = mapped_column(String(32), index=True)
    person_name: Mapped[str] = mapped_column(String(64))
    id_number_masked: Mapped[str] = mapped_column(String(18))
    division_code: Mapped[str] = mapped_column(String(6), index=True)
    province: Mapped[str] = mapped_column(String(6))
    registration_id: Mapped[int] = mapped_column(ForeignKey("unemp_registrations.id"))
    application_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    separation_date: Mapped[date] = mapped_column(Date)
    separation_reason: Mapped[str] = mapped_column(String(24))
    contribution_months: Mapped[int] = mapped_column(Integer)
    carried_months: Mapped[int] = mapped_column(Integer)  # unused months of the earlier spell added
    months: Mapped[int] = mapped_column(Integer)
    monthly_fen: Mapped[int] = mapped_column(BigInteger)
    medical_fen: Mapped[int] = mapped_column(BigInteger)  # medical insurance the fund pays a month
    start_month: Mapped[date] = mapped_column(Date)  # first day of the first month paid
    end_month: Mapped[date] = mapped_column(Date)  # first day of the last month payable
    first_payment_on: Mapped[date] = mapped_column(Date)
    trace: Mapped[Any] = mapped_column(JSON)
    parameters: Mapped[Any] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="in_payment")  # in_payment | suspended | stopped | ended
    open_key: Mapped[int | None] = mapped_column(Integer, unique=True)  # person id while not stopped/ended
    stop_reason: Mapped[str | None] = mapped_column(String(24))
    stop_note: Mapped[str | None] = mapped_column(String(300))
    stopped_on: Mapped[date | None] = mapped_column(Date)
    stopped_by: Mapped[str | None] = mapped_column(String(64))
    granted_by: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BenefitPaymentRow(Base):
    """One month of unemployment benefit paid into the card (失业保险金发放)."""

    __tablename__ = "unemp_payments"
    __table_args__ = (UniqueConstraint("benefit_id", "month", name="uq_unemp_payments_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    benefit_id: Mapped[int] = mapped_column(ForeignKey("unemp_benefits.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    month: Mapped[date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str] = mapped_column(String(64), unique=True)  # the card payment's reference
    run_id: Mapped[int | None] = mapped_column(Integer)
    paid_by: Mapped[str] = mapped_column(String(64))
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MedicalContribution(Base):
    """The employee medical insurance contribution the unemployment fund owes for a recipient's month
    (失业保险基金代缴职工基本医疗保险费), with what it was computed from."""

    __tablename__ = "unemp_medical_dues"
    __table_args__ = (UniqueConstraint("benefit_id", "month", name="uq_unemp_medical_dues_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    benefit_id: Mapped[int] = mapped_column(ForeignKey("unemp_benefits.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    month: Mapped[date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    payer: Mapped[str] = mapped_column(String(32), default="unemployment_fund")
    trace: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BenefitRun(Base):
    """One monthly payment run of a province (period YYYY-MM): its checkpoint survives a kill."""

    __tablename__ = "unemp_runs"
    __table_args__ = (UniqueConstraint("province", "period", name="uq_unemp_runs_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province: Mapped[str] = mapped_column(String(6))
    period: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(16))  # running | done
    total: Mapped[int] = mapped_column(Integer, default=0)
    last_benefit_id: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    paid: Mapped[int] = mapped_column(Integer, default=0)
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
