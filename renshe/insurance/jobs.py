"""The yearly interest batch (个人账户记账利息): resumable, each account credited once a year.

Each chunk of accounts is one unit of work that writes the chunk's interest entries and moves the run's
checkpoint (`last_person_id`) in the same commit. Killed between chunks, a restart continues after the
checkpoint; killed inside a chunk, the chunk rolls back whole. The entries' unique `source`
(`interest:<year>:<person>`) is the last guard: an account is never credited twice for a year.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Insert,
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    extract,
    func,
    insert,
    literal,
    literal_column,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from renshe.core import audit, db
from renshe.core.auth import Principal
from renshe.core.db import UTCDateTime, utcnow
from renshe.core.errors import Forbidden
from renshe.core.events import record_event
from renshe.insurance import parameters, policy, rules
from renshe.insurance.models import AccountEntry, InsuranceRelation, InterestRun

CHUNK = 50_000
PPM = 1_000_000
Progress = Callable[[int], None]


class SimulatedCrash(RuntimeError):
    """Raised by `run_interest(crash_after_chunks=n)` after n committed chunks (tests of the resume)."""


@dataclass(frozen=True)
class InterestSummary:
    province: str
    year: int
    status: str
    accounts: int
    interest_fen: int
    rate: str


def _start(session: Session, *, actor: Principal, province: str, year: int) -> InterestRun:
    run = session.scalar(select(InterestRun).where(InterestRun.province == province, InterestRun.year == year))
    if run is not None:
        return run
    rate = parameters.lookup(session, province=province, key="interest_rate", on=date(year, 1, 1))
    run = InterestRun(province=province, year=year, status="running", last_person_id=0, accounts=0, interest_fen=0,
                      rate=str(rate.value), rate_parameter_id=rate.id, started_by=actor.subject)
    session.add(run)
    session.flush()
    audit.record(session, actor=actor, action="insurance.interest.start", entity_type="interest_run",
                 entity_id=f"{province}:{year}", after={"rate": rate.value, "parameter": rate.id})
    return run


def half_up(numerator: ColumnElement[Any], denominator: int) -> ColumnElement[Any]:
    """numerator / denominator rounded half away from zero, in integer SQL arithmetic (as `rules.round_fen`)."""
    return case((numerator >= 0, (numerator * 2 + denominator) // (2 * denominator)),
                else_=-((-numerator * 2 + denominator) // (2 * denominator)))


def rate_ppm(rate: Decimal) -> int:
    """The rate in millionths, refused when it has more than six decimals (the batch computes in integers)."""
    scaled = rate * PPM
    if scaled != scaled.to_integral_value():
        raise ValueError(f"记账利率 {rate} 超过六位小数，批量计息无法按整数精确计算")
    return int(scaled)


def _credit_statement(session: Session, run: InterestRun, *, hi: int, ppm: int, convention: str,
                      now: datetime) -> Insert:
    """One INSERT … SELECT that credits every account of persons (last, hi] of the run's province, with the
    formulas of `rules.interest_from_sums` in integer arithmetic; accounts already credited are skipped."""
    e = AccountEntry.__table__.alias("e")
    start, end = date(run.year, 1, 1), date(run.year, 12, 31)
    in_year = and_(e.c.entry_date >= start, e.c.entry_date <= end, e.c.kind == "contribution")
    month = cast(extract("month", e.c.entry_date), Integer)
    # PostgreSQL sums bigints as numeric: cast back, so that `//` below divides integers on both databases
    opening = cast(func.sum(case((e.c.entry_date < start, e.c.amount_fen), else_=0)), BigInteger)
    insured = exists().where(InsuranceRelation.person_id == e.c.person_id,
                             InsuranceRelation.province == run.province, InsuranceRelation.insurance_type == "110")
    sums = (select(e.c.person_id,
                   case((opening > 0, opening), else_=0).label("opening"),
                   cast(func.sum(case((in_year, e.c.amount_fen), else_=0)), BigInteger).label("posted"),
                   cast(func.sum(case((in_year, e.c.amount_fen * (12 - month)), else_=0)), BigInteger)
                   .label("weighted"))
            .where(e.c.person_id > run.last_person_id, e.c.person_id <= hi, insured)
            .group_by(e.c.person_id)
            .having(func.sum(case((and_(e.c.kind == "interest", e.c.year == run.year), 1), else_=0)) == 0)
            .subquery("s"))
    on_balance = half_up(sums.c.opening * ppm, PPM)
    if convention == "annual":  # × 1.083 × ½
        on_postings: ColumnElement[Any] = half_up(sums.c.posted * ppm * 1083, PPM * 2000)
    elif convention == "monthly":  # Σ amount × (12 − month) × rate ÷ 12
        on_postings = half_up(sums.c.weighted * ppm, PPM * 12)
    else:
        on_postings = literal(0, BigInteger)
    amounts = select(sums.c.person_id, sums.c.opening, sums.c.posted, sums.c.weighted,
                     (on_balance + on_postings).label("interest")).subquery("t")
    json_object = func.json_build_object if session.get_bind().dialect.name == "postgresql" else func.json_object
    detail = json_object("rate", run.rate, "convention", convention, "parameter", run.rate_parameter_id,
                         "opening_fen", amounts.c.opening, "posted_fen", amounts.c.posted,
                         "weighted_fen", amounts.c.weighted)
    source = literal(f"interest:{run.year}:") + cast(amounts.c.person_id, String)
    rows = select(amounts.c.person_id, literal("interest"), literal(end, Date), literal(run.year),
                  amounts.c.interest, source, detail, literal(now, UTCDateTime)).where(amounts.c.interest != 0)
    return insert(AccountEntry).from_select(
        ["person_id", "kind", "entry_date", "year", "amount_fen", "source", "detail", "posted_at"], rows)


def _chunk(session: Session, run: InterestRun, chunk_size: int) -> int:
    """Credit the next chunk of accounts set-based; returns how many persons it looked at (0: none left)."""
    hi = session.scalar(select(func.max(literal_column("person_id"))).select_from(
        select(InsuranceRelation.person_id).where(InsuranceRelation.province == run.province,
                                                  InsuranceRelation.insurance_type == "110",
                                                  InsuranceRelation.person_id > run.last_person_id)
        .distinct().order_by(InsuranceRelation.person_id).limit(chunk_size).subquery()))
    if hi is None:
        return 0
    start = date(run.year, 1, 1)
    convention = str(parameters.lookup(session, province=run.province, key="interest_convention", on=start).value)
    now = utcnow()
    session.execute(_credit_statement(session, run, hi=hi, ppm=rate_ppm(Decimal(run.rate)), convention=convention,
                                      now=now))
    credited = session.execute(
        select(func.count(), func.coalesce(func.sum(AccountEntry.amount_fen), 0))
        .where(AccountEntry.person_id > run.last_person_id, AccountEntry.person_id <= hi,
               AccountEntry.kind == "interest", AccountEntry.year == run.year,
               AccountEntry.posted_at == now)).one()
    looked_at = int(session.scalar(select(func.count(func.distinct(InsuranceRelation.person_id))).where(
        InsuranceRelation.province == run.province, InsuranceRelation.insurance_type == "110",
        InsuranceRelation.person_id > run.last_person_id, InsuranceRelation.person_id <= hi)) or 0)
    run.last_person_id = hi
    run.accounts += int(credited[0])
    run.interest_fen += int(credited[1])
    session.flush()
    return max(looked_at, 1)


def interest_of(entry: AccountEntry) -> rules.Interest:
    """The computation behind a year's interest entry, with its trace, from the sums the batch kept."""
    detail = entry.detail or {}
    return rules.interest_from_sums(opening_fen=int(detail["opening_fen"]), rate=Decimal(str(detail["rate"])),
                                    posted_fen=int(detail["posted_fen"]),
                                    month_weighted_fen=int(detail["weighted_fen"]),
                                    convention=str(detail["convention"]))


def run_interest(*, actor: Principal, province: str, year: int, chunk_size: int = CHUNK,
                 crash_after_chunks: int | None = None, progress: Progress | None = None) -> InterestSummary:
    """Credit the year's interest to every pension account of the province, resuming where a run stopped."""
    if not policy.can(actor, "interest.run", division_code=province):
        raise Forbidden("无权执行个人账户计息", code="renshe:insurance/interest-permission")
    with db.unit_of_work() as session:
        parameters.load_defaults(session)
        _start(session, actor=actor, province=province, year=year)
    chunks = 0
    while True:
        with db.unit_of_work() as session:
            run = session.scalar(select(InterestRun).where(InterestRun.province == province,
                                                           InterestRun.year == year).with_for_update())
            if run is None:  # created above
                raise RuntimeError("interest run vanished")
            if run.status == "done":
                return _summary(run)
            seen = _chunk(session, run, chunk_size)
            if seen == 0:
                run.status = "done"
                run.finished_at = utcnow()
                audit.record(session, actor=actor, action="insurance.interest.finish", entity_type="interest_run",
                             entity_id=f"{province}:{year}",
                             after={"accounts": run.accounts, "interest": rules.yuan(run.interest_fen)})
                record_event(session, "insurance.interest_credited", {"province": province, "year": year,
                                                                      "accounts": run.accounts})
                session.flush()
                return _summary(run)
            accounts = run.accounts
        chunks += 1
        if progress is not None:
            progress(accounts)
        if crash_after_chunks is not None and chunks >= crash_after_chunks:
            raise SimulatedCrash(f"stopped after {chunks} chunks")


def _summary(run: InterestRun) -> InterestSummary:
    return InterestSummary(run.province, run.year, run.status, run.accounts, run.interest_fen, run.rate)


def interest_runs(session: Session) -> list[InterestRun]:
    return list(session.scalars(select(InterestRun).order_by(InterestRun.year.desc(), InterestRun.province)))


def credit_year_in(session: Session, *, actor: Principal, province: str, year: int,
                   chunk_size: int = CHUNK) -> InterestSummary:
    """The same crediting inside the caller's transaction (the demo seed, which commits once at its end)."""
    if not policy.can(actor, "interest.run", division_code=province):
        raise Forbidden("无权执行个人账户计息", code="renshe:insurance/interest-permission")
    run = _start(session, actor=actor, province=province, year=year)
    while run.status != "done":
        if _chunk(session, run, chunk_size) == 0:
            run.status = "done"
            run.finished_at = utcnow()
    session.flush()
    return _summary(run)
