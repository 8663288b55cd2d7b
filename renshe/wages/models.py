"""The tables of wage payment monitoring. Money is integer fen; months are the first day of the month.

A warning's unique key is (rule, project, month, worker_key): the scan inserts only what is not there yet, so
a second scan writes nothing new. `worker_key` is 0 for warnings about a whole project month."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from renshe.core.db import Base, UTCDateTime, utcnow
from renshe.core.models import new_public_id


class WageProject(Base):
    """A construction project (工程建设项目) under monitoring."""

    __tablename__ = "wage_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    name: Mapped[str] = mapped_column(String(200))
    division_code: Mapped[str] = mapped_column(String(6), index=True)  # the county that supervises it
    contractor_credit_code: Mapped[str] = mapped_column(String(18), index=True)  # 施工总承包单位
    contractor_name: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date] = mapped_column(Date)
    pay_day: Mapped[int] = mapped_column(Integer)  # agreed day of the following month, 1-28
    state: Mapped[str] = mapped_column(String(16))  # planned | active | completed
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WageFirm(Base):
    """A firm taking part in a project: the general contractor or a subcontractor (分包单位)."""

    __tablename__ = "wage_firms"
    __table_args__ = (UniqueConstraint("project_id", "credit_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("wage_projects.id"), index=True)
    credit_code: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # general | sub


class WageWorker(Base):
    """A worker registered by real name (实名制登记) on a project, from the person base."""

    __tablename__ = "wage_workers"
    __table_args__ = (UniqueConstraint("project_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    project_id: Mapped[int] = mapped_column(ForeignKey("wage_projects.id"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("wage_firms.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    person_public_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    id_number_masked: Mapped[str] = mapped_column(String(18))
    trade: Mapped[str] = mapped_column(String(64))  # 工种
    entered_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WageAttendance(Base):
    """Days a worker attended a project in a month (实名制考勤)."""

    __tablename__ = "wage_attendance"
    # (project, month, days) covers the scan's reads of a project's months: no lookup of the rows themselves
    __table_args__ = (UniqueConstraint("worker_id", "month"),
                      Index("ix_wage_attendance_project_month", "project_id", "month", "days"))

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("wage_projects.id"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("wage_workers.id"))
    month: Mapped[date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)


class WageAccount(Base):
    """The project's wage special account (农民工工资专用账户), one per project."""

    __tablename__ = "wage_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("wage_projects.id"), unique=True)
    bank: Mapped[str] = mapped_column(String(100))
    opened_on: Mapped[date] = mapped_column(Date)


class WageDeposit(Base):
    """A wage deposit (工资保证金) paid for the project."""

    __tablename__ = "wage_deposits"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("wage_projects.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date] = mapped_column(Date)


class WagePaySheet(Base):
    """A month's pay sheet (工资支付表) of a project; `due_on` is the agreed day it fell due."""

    __tablename__ = "wage_pay_sheets"
    __table_args__ = (UniqueConstraint("project_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    project_id: Mapped[int] = mapped_column(ForeignKey("wage_projects.id"), index=True)
    month: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    paid_on: Mapped[date] = mapped_column(Date)
    via_special_account: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WagePayLine(Base):
    """One worker's pay on a sheet."""

    __tablename__ = "wage_pay_lines"
    # (sheet, amount) covers the scan's sums and counts per sheet
    __table_args__ = (UniqueConstraint("sheet_id", "worker_id"),
                      Index("ix_wage_pay_lines_sheet_amount", "sheet_id", "amount_fen"))

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("wage_pay_sheets.id"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("wage_workers.id"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class WageWarning(Base):
    """A warning raised by the scan, on the county supervisor's worklist until closed with an outcome."""

    __tablename__ = "wage_warnings"
    __table_args__ = (UniqueConstraint("rule", "project_id", "month", "worker_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    rule: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(8))  # red | yellow
    project_id: Mapped[int] = mapped_column(ForeignKey("wage_projects.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(6), index=True)
    month: Mapped[date] = mapped_column(Date)
    worker_key: Mapped[int] = mapped_column(Integer)
    observed: Mapped[int | None] = mapped_column(BigInteger)  # e.g. the average pay in fen, the paid headcount
    expected: Mapped[int | None] = mapped_column(BigInteger)  # e.g. the minimum wage in fen, the attended headcount
    state: Mapped[str] = mapped_column(String(16))  # open | closed
    raised_on: Mapped[date] = mapped_column(Date)  # the scan's date
    outcome: Mapped[str | None] = mapped_column(String(500))
    closed_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WageClue(Base):
    """An arrears clue (拖欠农民工工资线索) reported by a worker, routed to a county with a deadline."""

    __tablename__ = "wage_clues"

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_number: Mapped[str] = mapped_column(String(20), unique=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("wage_projects.id"), index=True)
    project_name: Mapped[str] = mapped_column(String(200))
    employer_name: Mapped[str] = mapped_column(String(200))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    months: Mapped[str] = mapped_column(String(100))  # the months owed, as the worker wrote them
    phone_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    phone_masked: Mapped[str] = mapped_column(String(11))
    reporter_public_id: Mapped[str | None] = mapped_column(String(32))  # a signed-in citizen, else null
    division_code: Mapped[str] = mapped_column(String(6), index=True)
    state: Mapped[str] = mapped_column(String(16))  # received | handling | closed
    received_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(500))
    handled_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
