"""Tables of the social insurance ledger: dated parameters, insured units, insurance relations,
base declarations, assessed amounts due, tax-bureau receipts, individual account entries and the
checkpoints of the yearly interest batch.

Amounts are integer fen. Rows of dues and account entries are append-only: a correction is a new row
(a delta from a new declaration), never an edit.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from renshe.core.db import Base, UTCDateTime, utcnow
from renshe.core.models import new_public_id

NATIONAL = "000000"  # the province code of national default values


class InsuranceParameter(Base):
    """One value of one parameter for one province (or the national default), from a date of effect.

    The value in force on a day is the row with the latest `effective_from` on or before it, the
    province's own before the national default. Rows are never edited: a change is a new row."""

    __tablename__ = "ins_parameters"
    __table_args__ = (UniqueConstraint("province", "key", "effective_from", name="uq_ins_parameters_when"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province: Mapped[str] = mapped_column(String(6), index=True)
    key: Mapped[str] = mapped_column(String(48), index=True)
    effective_from: Mapped[date] = mapped_column(Date)
    value: Mapped[Any] = mapped_column(JSON)  # a decimal string, or a table (divisors, schedules)
    source: Mapped[str] = mapped_column(String(300))
    entered_by: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InsuredUnit(Base):
    """An employer registered as an insured unit (参保单位) for one insurance type."""

    __tablename__ = "ins_units"
    __table_args__ = (UniqueConstraint("employer_id", "insurance_type", name="uq_ins_units_employer_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    employer_public_id: Mapped[str] = mapped_column(String(32), index=True)
    employer_name: Mapped[str] = mapped_column(String(200))  # as registered; the registry keeps the current one
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    insurance_type: Mapped[str] = mapped_column(String(3))
    division_code: Mapped[str] = mapped_column(String(6), index=True)
    province: Mapped[str] = mapped_column(String(6))
    registered_on: Mapped[date] = mapped_column(Date)
    registered_by: Mapped[str] = mapped_column(String(64))


class InsuranceRelation(Base):
    """One insurance relation (参保关系) of a person for one type, with a unit (employee) or without
    (flexible worker, 灵活就业).

    `open_key` is set while the relation is open and cleared when it ends: its unique constraint is
    the database's guarantee of one open relation per person, type and unit."""

    __tablename__ = "ins_relations"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    person_public_id: Mapped[str] = mapped_column(String(32), index=True)
    person_name: Mapped[str] = mapped_column(String(64))  # as at enrolment (frozen with the decision)
    id_number_masked: Mapped[str] = mapped_column(String(18))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("ins_units.id"), index=True)
    insurance_type: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(16))  # employee | flexible
    province: Mapped[str] = mapped_column(String(6))
    start_date: Mapped[date] = mapped_column(Date)
    start_reason: Mapped[str] = mapped_column(String(4))
    end_date: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(4))
    open_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Declaration(Base):
    """One base declaration (缴费基数申报) of a unit (or a flexible worker) for a year.

    `key` makes it idempotent: the same file (its digest) or the same client id posts once."""

    __tablename__ = "ins_declarations"
    __table_args__ = (UniqueConstraint("owner", "key", name="uq_ins_declarations_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    owner: Mapped[str] = mapped_column(String(40))  # unit:<id> | person:<id>
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("ins_units.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))  # annual | supplementary
    rows: Mapped[int] = mapped_column(Integer)
    submitted_by: Mapped[str] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeclaredBase(Base):
    """One person's declared base in a declaration, and the base used after the floor/cap clamp.

    The base of a month is the line of the latest declaration for the relation and year whose
    `from_month` is on or before it."""

    __tablename__ = "ins_declared_bases"
    __table_args__ = (Index("ix_ins_declared_bases_relation_year", "relation_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("ins_declarations.id"), index=True)
    relation_id: Mapped[int] = mapped_column(ForeignKey("ins_relations.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    from_month: Mapped[int] = mapped_column(Integer)
    declared_fen: Mapped[int] = mapped_column(BigInteger)
    base_fen: Mapped[int] = mapped_column(BigInteger)
    clamp: Mapped[str | None] = mapped_column(String(8))  # floor | cap
    floor_fen: Mapped[int] = mapped_column(BigInteger)
    cap_fen: Mapped[int] = mapped_column(BigInteger)
    wage_parameter_id: Mapped[int] = mapped_column(ForeignKey("ins_parameters.id"))


class Assessment(Base):
    """One monthly assessment (核定) of a unit, or of a flexible worker. Idempotent: the same owner,
    month and latest declaration considered (`basis`) assess once."""

    __tablename__ = "ins_assessments"
    __table_args__ = (UniqueConstraint("owner", "month", "basis", name="uq_ins_assessments_basis"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    owner: Mapped[str] = mapped_column(String(40))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("ins_units.id"), index=True)
    month: Mapped[date] = mapped_column(Date)  # first day of the month
    basis: Mapped[int] = mapped_column(Integer)  # id of the latest declaration considered
    rows: Mapped[int] = mapped_column(Integer)
    parameters: Mapped[Any] = mapped_column(JSON)  # the rates used, with their parameter ids (frozen)
    assessed_by: Mapped[str] = mapped_column(String(64))
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Due(Base):
    """An amount due for one relation, month and side (单位/个人). Append-only: what is due is the sum
    of the rows; a new declaration adds a delta row."""

    __tablename__ = "ins_dues"
    __table_args__ = (Index("ix_ins_dues_unit_month", "unit_id", "month"),
                      Index("ix_ins_dues_relation_month", "relation_id", "month"))

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("ins_assessments.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("ins_units.id"))
    relation_id: Mapped[int] = mapped_column(ForeignKey("ins_relations.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    insurance_type: Mapped[str] = mapped_column(String(3))
    month: Mapped[date] = mapped_column(Date)
    side: Mapped[str] = mapped_column(String(16))  # employer | individual
    base_fen: Mapped[int] = mapped_column(BigInteger)
    rate_ppm: Mapped[int] = mapped_column(Integer)  # rate in millionths
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    account_fen: Mapped[int] = mapped_column(BigInteger)  # the part that goes to the individual account


class Receipt(Base):
    """A payment received by the tax bureau (税务征收) for a unit (or a flexible worker), month and type."""

    __tablename__ = "ins_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_no: Mapped[str] = mapped_column(String(40), unique=True)
    batch: Mapped[str] = mapped_column(String(64), index=True)
    payer_code: Mapped[str] = mapped_column(String(18))  # credit code, or a resident ID for a flexible worker
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("ins_units.id"), index=True)
    relation_id: Mapped[int | None] = mapped_column(ForeignKey("ins_relations.id"))
    insurance_type: Mapped[str] = mapped_column(String(3))
    month: Mapped[date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date] = mapped_column(Date)
    matched: Mapped[bool] = mapped_column(default=False)
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccountEntry(Base):
    """One entry of a person's individual pension account (个人账户): a month's individual part, or a
    year's interest. `source` is unique, so a posting or an interest credit happens once."""

    __tablename__ = "ins_account_entries"
    __table_args__ = (Index("ix_ins_account_entries_person_on", "person_id", "entry_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    kind: Mapped[str] = mapped_column(String(16))  # contribution | interest | opening
    entry_date: Mapped[date] = mapped_column(Date)
    year: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    # due:<assessment>:<relation> | interest:<year>:<person>
    source: Mapped[str] = mapped_column(String(64), unique=True)
    detail: Mapped[Any | None] = mapped_column(JSON)  # the interest trace
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InterestRun(Base):
    """The yearly interest batch (记账利息) of one province: its checkpoint survives a kill."""

    __tablename__ = "ins_interest_runs"
    __table_args__ = (UniqueConstraint("province", "year", name="uq_ins_interest_runs_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province: Mapped[str] = mapped_column(String(6))
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # running | done
    last_person_id: Mapped[int] = mapped_column(Integer, default=0)
    accounts: Mapped[int] = mapped_column(Integer, default=0)
    interest_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    rate: Mapped[str] = mapped_column(String(16))
    rate_parameter_id: Mapped[int] = mapped_column(ForeignKey("ins_parameters.id"))
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Statement(Base):
    """A statement certificate (权益记录单) issued for a person and the ledger state it shows: a download while
    the state is unchanged hands out the same certificate; a changed state supersedes it (换发)."""

    __tablename__ = "ins_statements"
    __table_args__ = (Index("ix_ins_statements_person", "person_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    state_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the record the statement shows
    certificate: Mapped[str] = mapped_column(String(100))  # the certificate identifier
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HistoryImport(Base):
    """One historical data file (历史数据入库): contribution months, opening account balances and deemed
    periods from before this ledger, with its reconciliation report. `key` (the file's digest) makes it
    idempotent: the same file twice posts once."""

    __tablename__ = "ins_history_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    province: Mapped[str] = mapped_column(String(6))
    filename: Mapped[str] = mapped_column(String(200))
    persons: Mapped[int] = mapped_column(Integer)
    months: Mapped[int] = mapped_column(Integer)  # contribution months posted
    base_fen: Mapped[int] = mapped_column(BigInteger)
    individual_fen: Mapped[int] = mapped_column(BigInteger)
    employer_fen: Mapped[int] = mapped_column(BigInteger)
    balances: Mapped[int] = mapped_column(Integer)
    balance_fen: Mapped[int] = mapped_column(BigInteger)
    deemed_months: Mapped[int] = mapped_column(Integer)
    conflicts: Mapped[int] = mapped_column(Integer)
    report: Mapped[Any] = mapped_column(JSON)  # file, control and posted totals; the conflicts listed
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HistoryMonth(Base):
    """A contribution month from before this ledger (历史缴费记录). One per person, type and month: the unique
    key is the database's guarantee that no month is counted twice."""

    __tablename__ = "ins_history_months"
    __table_args__ = (UniqueConstraint("person_id", "insurance_type", "month", name="uq_ins_history_months_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("ins_history_imports.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    insurance_type: Mapped[str] = mapped_column(String(3))
    month: Mapped[date] = mapped_column(Date)
    base_fen: Mapped[int] = mapped_column(BigInteger)
    individual_fen: Mapped[int] = mapped_column(BigInteger)  # the individual part, recorded in the account then
    employer_fen: Mapped[int] = mapped_column(BigInteger)
    unit_name: Mapped[str] = mapped_column(String(200))


class DeemedPeriod(Base):
    """A deemed contribution period (视同缴费年限) before the individual account system, with the document or
    approval number it was recognised by."""

    __tablename__ = "ins_deemed_periods"
    __table_args__ = (Index("ix_ins_deemed_periods_person", "person_id", "start_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("ins_history_imports.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    start_month: Mapped[date] = mapped_column(Date)
    end_month: Mapped[date] = mapped_column(Date)
    months: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
