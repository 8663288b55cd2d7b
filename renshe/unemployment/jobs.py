"""The monthly unemployment benefit payment run (失业保险金按月发放): resumable, each recipient paid once a
month, set-based.

As the pension run (`renshe/pension/jobs.py`), each chunk of benefits is one unit of work that moves the run's
checkpoint (`last_benefit_id`) in the same commit as what it wrote. A chunk is three INSERT … SELECT
statements over the benefits (last, hi] in payment for the month: the payment rows (unique per benefit and
month: a month already paid is skipped), the medical contributions due from the fund for those months, and
the card payments (through the card's bulk credit, idempotent by reference); then one UPDATE ends the benefits
whose last month this was. Killed between chunks, a restart continues after the checkpoint; killed inside a
chunk, the chunk rolls back whole.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Integer, Select, String, and_, cast, exists, func, insert, literal, select, update
from sqlalchemy.orm import Session

from renshe.card import service as card
from renshe.core import audit, db
from renshe.core.auth import Principal
from renshe.core.db import UTCDateTime, utcnow
from renshe.core.errors import Forbidden
from renshe.core.events import record_event
from renshe.unemployment import benefit, policy, rules, schemas
from renshe.unemployment.models import BenefitPaymentRow, BenefitRun, MedicalContribution, UnemploymentBenefit

CHUNK = 2000
Progress = Callable[[int, int], None]
STATUS_LABELS = {"running": "进行中（可续跑）", "done": "已完成"}


class SimulatedCrash(RuntimeError):
    """Raised by a run with `crash_after_chunks=n` after n committed chunks (tests of the resume)."""


@dataclass(frozen=True)
class RunSummary:
    province: str
    period: str
    status: str
    total: int
    done: int
    paid: int
    amount_fen: int


def parse_month(text: str) -> date:
    value = (text or "").strip()
    try:
        if len(value) != 7 or value[4] != "-":
            raise ValueError(value)
        return date(int(value[:4]), int(value[5:]), 1)
    except ValueError:
        raise rules.UnemploymentRuleError("month", "month", "发放月份格式应为YYYY-MM，如2026-12") from None


def _due(province: str, month: date, after: int, hi: int | None = None):  # type: ignore[no-untyped-def]
    b = UnemploymentBenefit
    where = [b.province == province, b.status == "in_payment", b.start_month <= month, b.end_month >= month,
             b.id > after]
    if hi is not None:
        where.append(b.id <= hi)
    return and_(*where)


def _start(session: Session, *, actor: Principal, province: str, period: str) -> BenefitRun:
    run = session.scalar(select(BenefitRun).where(BenefitRun.province == province, BenefitRun.period == period))
    if run is not None:
        return run
    month = parse_month(period)
    total = session.scalar(select(func.count()).select_from(UnemploymentBenefit).where(_due(province, month, 0))) or 0
    run = BenefitRun(province=province, period=period, status="running", total=int(total), last_benefit_id=0, done=0,
                     paid=0, amount_fen=0, started_by=actor.subject)
    session.add(run)
    session.flush()
    audit.record(session, actor=actor, action="unemployment.pay.start", entity_type="unemployment_run",
                 entity_id=f"{province}:{period}", after={"total": run.total})
    return run


def _pay_chunk(session: Session, run: BenefitRun, chunk_size: int, actor: Principal) -> int:
    month = parse_month(run.period)
    b = UnemploymentBenefit.__table__.alias("b")
    ids = (select(b.c.id).where(b.c.province == run.province, b.c.status == "in_payment", b.c.start_month <= month,
                                b.c.end_month >= month, b.c.id > run.last_benefit_id)
           .order_by(b.c.id).limit(chunk_size).subquery("ids"))
    seen, hi = session.execute(select(func.count(), func.max(ids.c.id))).one()
    if not seen:
        return 0
    in_chunk = and_(_due(run.province, month, run.last_benefit_id, int(hi)))
    now = utcnow()
    p = BenefitPaymentRow.__table__.alias("p")
    unpaid = ~exists().where(p.c.benefit_id == UnemploymentBenefit.id, p.c.month == month)
    reference = literal("unemployment:") + UnemploymentBenefit.public_id + literal(f":{run.period}")
    session.execute(insert(BenefitPaymentRow).from_select(
        ["benefit_id", "person_id", "month", "amount_fen", "reference", "run_id", "paid_by", "paid_at"],
        select(UnemploymentBenefit.id, UnemploymentBenefit.person_id, literal(month), UnemploymentBenefit.monthly_fen,
               cast(reference, String(64)), literal(run.id, Integer), literal(actor.subject),
               literal(now, UTCDateTime)).where(in_chunk, unpaid)))
    m = MedicalContribution.__table__.alias("m")
    json_object = func.json_build_object if session.get_bind().dialect.name == "postgresql" else func.json_object
    trace = (func.json_build_array if session.get_bind().dialect.name == "postgresql" else func.json_array)(
        json_object("name", "medical", "label", "代缴职工基本医疗保险费", "formula", "核定时确定的月代缴额",
                    "inputs", json_object("benefit", UnemploymentBenefit.public_id, "month", run.period),
                    "value", cast(UnemploymentBenefit.medical_fen, String), "source", benefit.MEDICAL_SOURCE))
    session.execute(insert(MedicalContribution).from_select(
        ["benefit_id", "person_id", "month", "amount_fen", "payer", "trace", "created_at"],
        select(UnemploymentBenefit.id, UnemploymentBenefit.person_id, literal(month), UnemploymentBenefit.medical_fen,
               literal("unemployment_fund"), trace, literal(now, UTCDateTime))
        .where(in_chunk, UnemploymentBenefit.medical_fen > 0,
               ~exists().where(m.c.benefit_id == UnemploymentBenefit.id, m.c.month == month))))
    this_run: Select[Any] = select(  # type: ignore[assignment]
        BenefitPaymentRow.reference, BenefitPaymentRow.person_id, BenefitPaymentRow.amount_fen,
        literal(run.period).label("period"), literal(f"失业保险金（{month:%Y年%m月}）").label("description")).where(
        BenefitPaymentRow.month == month, BenefitPaymentRow.benefit_id > run.last_benefit_id,
        BenefitPaymentRow.benefit_id <= int(hi))
    card.credit_benefits_from(session, actor=actor, programme="unemployment", rows=this_run,
                              batch=f"unemployment:{run.province}:{run.period}:{run.last_benefit_id}")
    # what this run wrote in the chunk, counted (a driver's rowcount for INSERT … SELECT is not relied on)
    paid_now, added = session.execute(select(func.count(), cast(func.coalesce(func.sum(
        BenefitPaymentRow.amount_fen), 0), BigInteger)).where(
        BenefitPaymentRow.run_id == run.id, BenefitPaymentRow.benefit_id > run.last_benefit_id,
        BenefitPaymentRow.benefit_id <= int(hi))).one()
    session.execute(update(UnemploymentBenefit).where(in_chunk, UnemploymentBenefit.end_month == month)
                    .values(status="ended", open_key=None).execution_options(synchronize_session=False))
    for held in list(session.identity_map.values()):
        if isinstance(held, UnemploymentBenefit):
            session.expire(held, ["status", "open_key"])
    run.paid += int(paid_now)
    run.amount_fen += int(added)
    run.done += int(seen)
    run.last_benefit_id = int(hi)
    session.flush()
    return int(seen)


def run_payments(*, actor: Principal, province: str, month: str, chunk_size: int = CHUNK,
                 crash_after_chunks: int | None = None, progress: Progress | None = None) -> RunSummary:
    """Pay `month` (YYYY-MM) to every benefit in payment in the province, resuming where a run stopped."""
    if not policy.can(actor, "run.pay", division_code=province):
        raise Forbidden("无权执行失业保险金发放", code="renshe:unemployment/run-permission")
    period = f"{parse_month(month):%Y-%m}"
    with db.unit_of_work() as session:
        _start(session, actor=actor, province=province, period=period)
    chunks = 0
    while True:
        with db.unit_of_work() as session:
            run = session.scalar(select(BenefitRun).where(BenefitRun.province == province,
                                                          BenefitRun.period == period).with_for_update())
            if run is None:
                raise RuntimeError("unemployment run vanished")
            if run.status == "done":
                return summary(run)
            if _pay_chunk(session, run, chunk_size, actor) == 0:
                _finish(session, run, actor)
                return summary(run)
            done, total = run.done, run.total
        chunks += 1
        if progress is not None:
            progress(done, total)
        if crash_after_chunks is not None and chunks >= crash_after_chunks:
            raise SimulatedCrash(f"stopped after {chunks} chunks")


def _finish(session: Session, run: BenefitRun, actor: Principal) -> None:
    run.status = "done"
    run.finished_at = utcnow()
    audit.record(session, actor=actor, action="unemployment.pay.finish", entity_type="unemployment_run",
                 entity_id=f"{run.province}:{run.period}", after={"paid": run.paid, "amount_fen": run.amount_fen})
    record_event(session, "unemployment.pay_run_finished", {"province": run.province, "period": run.period,
                                                            "paid": run.paid})
    session.flush()


def run_in(session: Session, *, actor: Principal, province: str, month: str, chunk_size: int = CHUNK) -> RunSummary:
    """The same run inside the caller's transaction (the demo seed, which commits once at its end)."""
    if not policy.can(actor, "run.pay", division_code=province):
        raise Forbidden("无权执行失业保险金发放", code="renshe:unemployment/run-permission")
    run = _start(session, actor=actor, province=province, period=f"{parse_month(month):%Y-%m}")
    while run.status != "done":
        if _pay_chunk(session, run, chunk_size, actor) == 0:
            _finish(session, run, actor)
    return summary(run)


def summary(run: BenefitRun) -> RunSummary:
    return RunSummary(run.province, run.period, run.status, run.total, run.done, run.paid, run.amount_fen)


def runs(session: Session, *, actor: Principal, limit: int = 20) -> list[BenefitRun]:
    """The latest runs (the clerk's progress view)."""
    if actor.kind not in ("staff", "system") or not actor.has("person.read"):
        raise Forbidden("无权查看失业保险金发放批次", code="renshe:unemployment/run-permission")
    return list(session.scalars(select(BenefitRun).order_by(BenefitRun.id.desc()).limit(limit)))


def run_out(run: BenefitRun | RunSummary) -> schemas.RunOut:
    return schemas.RunOut(province=run.province, period=run.period, status=run.status,
                          status_label=STATUS_LABELS.get(run.status, run.status), total=run.total, done=run.done,
                          paid=run.paid, amount=rules._yuan(run.amount_fen))
