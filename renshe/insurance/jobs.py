"""The yearly interest batch (个人账户记账利息): resumable, each account credited once a year.

Each chunk of accounts is one unit of work that writes the chunk's interest entries and moves the run's
checkpoint (`last_person_id`) in the same commit. Killed between chunks, a restart continues after the
checkpoint; killed inside a chunk, the chunk rolls back whole. The entries' unique `source`
(`interest:<year>:<person>`) is the last guard: an account is never credited twice for a year.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import extract, func, insert, select
from sqlalchemy.orm import Session

from renshe.core import audit, db
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import Forbidden
from renshe.core.events import record_event
from renshe.insurance import parameters, policy, rules
from renshe.insurance.models import AccountEntry, InsuranceRelation, InterestRun

CHUNK = 500
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


def _chunk(session: Session, run: InterestRun, chunk_size: int) -> int:
    """Credit the next chunk of accounts; returns how many accounts it looked at (0: none left)."""
    persons = list(session.scalars(
        select(InsuranceRelation.person_id).where(InsuranceRelation.province == run.province,
                                                  InsuranceRelation.insurance_type == "110",
                                                  InsuranceRelation.person_id > run.last_person_id)
        .distinct().order_by(InsuranceRelation.person_id).limit(chunk_size)))
    if not persons:
        return 0
    start = date(run.year, 1, 1)
    end = date(run.year, 12, 31)
    opening: dict[int, int] = {}
    for person_id, amount in session.execute(
            select(AccountEntry.person_id, func.sum(AccountEntry.amount_fen))
            .where(AccountEntry.person_id.in_(persons), AccountEntry.entry_date < start)
            .group_by(AccountEntry.person_id)):
        opening[person_id] = int(amount)
    postings: dict[int, list[rules.Posting]] = defaultdict(list)
    month = extract("month", AccountEntry.entry_date)
    for person_id, month_no, amount in session.execute(
            select(AccountEntry.person_id, month, func.sum(AccountEntry.amount_fen))
            .where(AccountEntry.person_id.in_(persons), AccountEntry.entry_date >= start,
                   AccountEntry.entry_date <= end, AccountEntry.kind == "contribution")
            .group_by(AccountEntry.person_id, month)):
        postings[person_id].append(rules.Posting(int(month_no), int(amount)))
    done = set(session.scalars(select(AccountEntry.person_id).where(
        AccountEntry.person_id.in_(persons), AccountEntry.source.in_([f"interest:{run.year}:{p}" for p in persons]))))
    province = run.province
    convention = parameters.lookup(session, province=province, key="interest_convention", on=start).value
    rate = parameters.get(session, parameter_id=run.rate_parameter_id)
    rows = []
    total = 0
    for person_id in persons:
        if person_id in done:
            continue
        base = int(opening.get(person_id) or 0)
        if base <= 0 and not postings.get(person_id):
            continue
        credit = rules.credit_interest(opening_fen=max(0, base), rate=Decimal(str(rate.value)),
                                       postings=postings.get(person_id, ()), convention=str(convention),
                                       rate_source=rate.source)
        if credit.interest_fen == 0:
            continue
        total += credit.interest_fen
        rows.append({"person_id": person_id, "kind": "interest", "entry_date": end, "year": run.year,
                     "amount_fen": credit.interest_fen, "source": f"interest:{run.year}:{person_id}",
                     "detail": {"rate": str(rate.value), "convention": str(convention),
                                "opening": rules.yuan(credit.opening_fen), "posted": rules.yuan(credit.postings_fen),
                                "trace": [s.as_dict() for s in credit.trace]},
                     "posted_at": utcnow()})
    if rows:
        session.execute(insert(AccountEntry), rows)
    run.last_person_id = persons[-1]
    run.accounts += len(rows)
    run.interest_fen += total
    session.flush()
    return len(persons)


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
