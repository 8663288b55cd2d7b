"""The monthly pension payment run (养老金按月发放) and the yearly adjustment run (养老金调整): resumable,
each award paid once a month and adjusted once a year.

As the ledger's interest batch (`renshe/insurance/jobs.py`): each chunk of awards is one unit of work
that writes the chunk's payments (or adjustments) and moves the run's checkpoint (`last_award_id`) in the
same commit. Killed between chunks, a restart continues after the checkpoint; killed inside a chunk, the
chunk rolls back whole. The unique (award, month, kind) payment and (award, year) adjustment, and the
card payment's unique reference, are the last guards.

An adjustment takes effect from its scheme's date: months from then that were already paid at the old
amount are never rewritten, the difference is paid once as arrears (调整补发).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from renshe.card import service as card
from renshe.core import audit, db
from renshe.core.auth import SYSTEM, Principal
from renshe.core.db import UTCDateTime, utcnow
from renshe.core.errors import Conflict, FieldError, Forbidden, ValidationFailed
from renshe.core.events import record_event
from renshe.insurance import jobs as insurance_jobs
from renshe.insurance import parameters
from renshe.pension import policy, rules, schemas, service
from renshe.pension.models import PensionAdjustment, PensionAward, PensionPayment, PensionRun

CHUNK = 20_000  # awards per set-based chunk of a payment or adjustment run
Progress = Callable[[int, int], None]
KIND_LABELS = {"pay": "按月发放", "adjust": "待遇调整"}
STATUS_LABELS = {"running": "进行中（可续跑）", "done": "已完成"}


class SimulatedCrash(RuntimeError):
    """Raised by a run with `crash_after_chunks=n` after n committed chunks (tests of the resume)."""


@dataclass(frozen=True)
class RunSummary:
    kind: str
    province: str
    period: str
    status: str
    total: int
    done: int
    amount_fen: int


def parse_month(text: str) -> date:
    month = rules.parse_month(text, field_name="month")
    return date(month.year, month.month, 1)


def scheme_of(session: Session, *, province: str, year: int) -> tuple[parameters.Value, rules.AdjustmentScheme]:
    """The adjustment scheme (调整方案) of `year` in force in the province: the dated parameter
    `pension_adjustment` whose date of effect falls in the year."""
    found = parameters.find(session, province=province, key="pension_adjustment", on=date(year, 12, 31))
    if found is None or found.effective_from.year != year:
        raise Conflict(f"{parameters.province_name(province)}尚未发布{year}年基本养老金调整方案，请先在参数管理中设置"
                       "“基本养老金调整方案”", code="renshe:pension/no-adjustment-scheme")
    return found, service.scheme_from(found)


def _in_scope(province: str, after: int) -> ColumnElement[bool]:
    return and_(PensionAward.province == province, PensionAward.status == "in_payment", PensionAward.id > after)


def _start(session: Session, *, actor: Principal, kind: str, province: str, period: str,
           detail: dict[str, object] | None, eligible: ColumnElement[bool]) -> PensionRun:
    run = session.scalar(select(PensionRun).where(PensionRun.kind == kind, PensionRun.province == province,
                                                  PensionRun.period == period))
    if run is not None:
        return run
    total = session.scalar(select(func.count()).select_from(PensionAward).where(eligible)) or 0
    run = PensionRun(kind=kind, province=province, period=period, status="running", total=int(total),
                     last_award_id=0, done=0, amount_fen=0, detail=detail, started_by=actor.subject)
    session.add(run)
    session.flush()
    audit.record(session, actor=actor, action=f"pension.{kind}.start", entity_type="pension_run",
                 entity_id=f"{province}:{period}", after={"total": run.total, **(detail or {})})
    return run


def _bounds(session: Session, run: PensionRun, chunk_size: int, *more: ColumnElement[bool]) -> tuple[int, int]:
    """How many awards in scope the next chunk holds, and the last id in it (0, 0 when none is left)."""
    ids = (select(PensionAward.id).where(_in_scope(run.province, run.last_award_id), *more)
           .order_by(PensionAward.id).limit(chunk_size).subquery("ids"))
    seen, hi = session.execute(select(func.count(), func.max(ids.c.id))).one()
    return int(seen or 0), int(hi or 0)


def _in_force(award: Any, on: date) -> ColumnElement[Any]:
    """The monthly amount in force on `on` as SQL over the awards table `award`: the award plus every adjustment
    effective by then (what `service.amount_for` computes for one award)."""
    adj = PensionAdjustment.__table__.alias("adj_in_force")
    increases = (select(func.coalesce(func.sum(adj.c.increase_fen), 0))
                 .where(adj.c.award_id == award.c.id, adj.c.effective_from <= on).scalar_subquery())
    return cast(award.c.awarded_fen + increases, BigInteger)


def _pay_chunk(session: Session, run: PensionRun, chunk_size: int) -> int:
    """Pay the month to the next chunk of awards set-based: the amount in force (award + adjustments effective
    by the month), one card payment per award in one INSERT … SELECT (`card.credit_benefits_from`, idempotent
    by the reference `pension-monthly:<award>:<month>`, held without a usable card account), then the award's
    payment row with what the card did. Awards already paid for the month are skipped."""
    month = parse_month(run.period)
    seen, hi = _bounds(session, run, chunk_size, PensionAward.start_month <= month)
    if not seen:
        return 0
    a = PensionAward.__table__.alias("a")
    paid = PensionPayment.__table__.alias("paid")
    due = (select(a.c.id.label("award_id"), a.c.person_id, _in_force(a, month).label("amount_fen"),
                  cast(literal("pension-monthly:") + a.c.public_id + literal(f":{run.period}"), String(64))
                  .label("reference"))
           .where(a.c.province == run.province, a.c.status == "in_payment", a.c.start_month <= month,
                  a.c.id > run.last_award_id, a.c.id <= hi,
                  ~exists().where(paid.c.award_id == a.c.id, paid.c.month == month, paid.c.kind == "monthly"))
           .subquery("due"))
    payable = due.c.amount_fen > 0
    added = session.scalar(select(cast(func.coalesce(func.sum(due.c.amount_fen), 0), BigInteger)).where(payable))
    card.credit_benefits_from(
        session, actor=SYSTEM, programme="pension", batch=f"pension:{run.province}:{run.period}:{run.last_award_id}",
        rows=select(due.c.reference, due.c.person_id, due.c.amount_fen, literal(run.period).label("period"),
                    literal(f"基本养老金（{month:%Y年%m月}）").label("description")).where(payable))
    made = card.payments_by_reference(select(due.c.reference).where(payable))
    session.execute(insert(PensionPayment).from_select(
        ["award_id", "month", "kind", "amount_fen", "reference", "card_status", "card_payment", "paid_by", "paid_at"],
        select(due.c.award_id, literal(month, Date), literal("monthly"), due.c.amount_fen, due.c.reference,
               made.c.status, made.c.public_id, literal(SYSTEM.subject), literal(utcnow(), UTCDateTime))
        .select_from(due.join(made, made.c.reference == due.c.reference)).where(payable)))
    run.amount_fen += int(added or 0)
    run.done += seen
    run.last_award_id = hi
    session.flush()
    return seen


def _scaled(value: Decimal) -> tuple[int, int]:
    """`value` as numerator / 10**k in integers, exactly (the batch computes in integer SQL)."""
    exponent = int(value.normalize().as_tuple().exponent)
    scale = 10 ** max(0, -exponent)
    return int(value * scale), scale


def _fen(value: Decimal) -> int:
    return int(rules.money(value) * 100)


def adjust_statement(session: Session, run: PensionRun, *, hi: int, value: parameters.Value,
                     scheme: rules.AdjustmentScheme, now: datetime) -> Insert:
    """One INSERT … SELECT adjusting every award (last, hi] of the run's province in payment and retired by the
    scheme's cutoff, with the integer formulas of `rules.adjust` (each amount half-up to the fen); awards
    already adjusted this year are skipped. The row keeps what the trace is rebuilt from (`service.adjustment_of`)."""
    a = PensionAward.__table__.alias("a")
    adj = PensionAdjustment.__table__.alias("adj")
    eff = scheme.effective_from
    done = exists().where(adj.c.award_id == a.c.id, adj.c.year == int(run.period))
    cutoff = date(scheme.retired_by.year, scheme.retired_by.month, 1)
    base = (select(a.c.id.label("award_id"), _in_force(a, eff).label("before"),
                   (a.c.months // 12).label("years"),
                   (literal(eff.year) - cast(func.substr(a.c.birth_month, 1, 4), Integer)).label("age"))
            .where(a.c.province == run.province, a.c.status == "in_payment", a.c.id > run.last_award_id,
                   a.c.id <= hi, a.c.retirement_month <= cutoff, ~done)
            .subquery("b"))
    per_year, per_year_scale = _scaled(scheme.per_contribution_year * 100)
    share, share_scale = _scaled(scheme.proportional)
    tilts = sorted(scheme.age_tilts, key=lambda t: t.from_age, reverse=True)
    tilt: ColumnElement[Any] = (case(*[(base.c.age >= t.from_age, literal(_fen(t.amount))) for t in tilts],
                                     else_=literal(0)) if tilts else literal(0))
    parts = select(base.c.award_id, base.c.before, base.c.years, base.c.age,
                   insurance_jobs.half_up(base.c.years * per_year, per_year_scale).label("linked_years"),
                   insurance_jobs.half_up(base.c.before * share, share_scale).label("linked_share"),
                   tilt.label("tilt")).subquery("p")
    increase = literal(_fen(scheme.fixed)) + parts.c.linked_years + parts.c.linked_share + parts.c.tilt
    json_object = func.json_build_object if session.get_bind().dialect.name == "postgresql" else func.json_object
    detail = json_object("parameter", value.id, "years", parts.c.years, "age", parts.c.age)
    rows = select(parts.c.award_id, literal(int(run.period)), literal(eff, Date), parts.c.before, increase,
                  parts.c.before + increase, literal(value.id), detail, literal(now, UTCDateTime))
    return insert(PensionAdjustment).from_select(
        ["award_id", "year", "effective_from", "before_fen", "increase_fen", "after_fen", "scheme_parameter_id",
         "trace", "created_at"], rows)


def _adjust_chunk(session: Session, run: PensionRun, chunk_size: int) -> int:
    """Adjust the next chunk of awards set-based; the months already paid from the date of effect are paid
    once as arrears (调整补发) through the card, award by award (only those awards)."""
    year = int(run.period)
    value, scheme = scheme_of(session, province=run.province, year=year)
    seen, hi = _bounds(session, run, chunk_size)
    if not seen:
        return 0
    session.execute(adjust_statement(session, run, hi=hi, value=value, scheme=scheme, now=utcnow()))
    in_chunk = and_(PensionAdjustment.year == year, PensionAdjustment.award_id > run.last_award_id,
                    PensionAdjustment.award_id <= hi)
    added = session.scalar(select(cast(func.coalesce(func.sum(PensionAdjustment.increase_fen), 0), BigInteger))
                           .where(in_chunk)) or 0
    session.execute(update(PensionAward).where(PensionAward.id.in_(select(PensionAdjustment.award_id).where(in_chunk)))
                    .values(monthly_fen=_in_force(PensionAward.__table__, date.max))
                    .execution_options(synchronize_session=False))
    for held in list(session.identity_map.values()):  # the caller's session may hold some of these awards
        if isinstance(held, PensionAward):
            session.expire(held, ["monthly_fen"])
    paid = (select(PensionAdjustment.award_id, PensionAdjustment.increase_fen, func.count(PensionPayment.id))
            .join(PensionPayment, and_(PensionPayment.award_id == PensionAdjustment.award_id,
                                       PensionPayment.kind == "monthly",
                                       PensionPayment.month >= PensionAdjustment.effective_from))
            .where(in_chunk, PensionAdjustment.increase_fen != 0)
            .group_by(PensionAdjustment.award_id, PensionAdjustment.increase_fen))
    for award_id, increase, months in session.execute(paid).all():
        award = session.get(PensionAward, award_id)
        if award is None:
            raise RuntimeError("pension award vanished")
        service.pay_month(session, award=award, month=date(year, 1, 1), actor=SYSTEM, kind="arrears",
                          amount_fen=int(increase) * int(months), label=f"{year}年基本养老金调整补发（{months}个月）")
    run.amount_fen += int(added)
    run.done += seen
    run.last_award_id = hi
    session.flush()
    return seen


CHUNKS = {"pay": _pay_chunk, "adjust": _adjust_chunk}


def _run(*, actor: Principal, kind: str, province: str, period: str, chunk_size: int,
         crash_after_chunks: int | None, progress: Progress | None) -> RunSummary:
    if not policy.can(actor, f"run.{kind}", division_code=province):
        raise Forbidden("无权执行养老金发放或调整", code="renshe:pension/run-permission")
    with db.unit_of_work() as session:
        if kind == "pay":
            month = parse_month(period)
            eligible = and_(_in_scope(province, 0), PensionAward.start_month <= month)
            _start(session, actor=actor, kind=kind, province=province, period=period, detail=None, eligible=eligible)
        else:
            value, scheme = scheme_of(session, province=province, year=int(period))
            _start(session, actor=actor, kind=kind, province=province, period=period, eligible=_in_scope(province, 0),
                   detail={"scheme": value.value, "parameter_id": value.id, "source": scheme.source,
                           "effective_from": scheme.effective_from.isoformat()})
    chunks = 0
    while True:
        with db.unit_of_work() as session:
            run = session.scalar(select(PensionRun).where(PensionRun.kind == kind, PensionRun.province == province,
                                                          PensionRun.period == period).with_for_update())
            if run is None:
                raise RuntimeError("pension run vanished")
            if run.status == "done":
                return summary(run)
            if CHUNKS[kind](session, run, chunk_size) == 0:
                run.status = "done"
                run.finished_at = utcnow()
                audit.record(session, actor=actor, action=f"pension.{kind}.finish", entity_type="pension_run",
                             entity_id=f"{province}:{period}", after={"done": run.done, "amount_fen": run.amount_fen})
                record_event(session, f"pension.{kind}_run_finished", {"province": province, "period": period,
                                                                         "awards": run.done})
                session.flush()
                return summary(run)
            done, total = run.done, run.total
        chunks += 1
        if progress is not None:
            progress(done, total)
        if crash_after_chunks is not None and chunks >= crash_after_chunks:
            raise SimulatedCrash(f"stopped after {chunks} chunks")


def run_payments(*, actor: Principal, province: str, month: str, chunk_size: int = CHUNK,
                 crash_after_chunks: int | None = None, progress: Progress | None = None) -> RunSummary:
    """Pay `month` (YYYY-MM) to every award in payment in the province, resuming where a run stopped."""
    period = service.month_text(parse_month(month))
    return _run(actor=actor, kind="pay", province=province, period=period, chunk_size=chunk_size,
                crash_after_chunks=crash_after_chunks, progress=progress)


def run_adjustment(*, actor: Principal, province: str, year: int, chunk_size: int = CHUNK,
                   crash_after_chunks: int | None = None, progress: Progress | None = None) -> RunSummary:
    """Apply `year`'s adjustment scheme to every award in payment in the province, once a year."""
    if not 1990 <= year <= 2100:
        raise ValidationFailed([FieldError("year", "renshe:pension/year", "年度应为1990至2100之间的四位数字")])
    return _run(actor=actor, kind="adjust", province=province, period=str(year), chunk_size=chunk_size,
                crash_after_chunks=crash_after_chunks, progress=progress)


def run_in(session: Session, *, actor: Principal, kind: str, province: str, period: str,
           chunk_size: int = CHUNK) -> RunSummary:
    """The same run inside the caller's transaction (the demo seed, which commits once at its end)."""
    if not policy.can(actor, f"run.{kind}", division_code=province):
        raise Forbidden("无权执行养老金发放或调整", code="renshe:pension/run-permission")
    if kind == "pay":
        eligible = and_(_in_scope(province, 0), PensionAward.start_month <= parse_month(period))
        run = _start(session, actor=actor, kind=kind, province=province, period=period, detail=None, eligible=eligible)
    else:
        value, _ = scheme_of(session, province=province, year=int(period))
        run = _start(session, actor=actor, kind=kind, province=province, period=period,
                     detail={"scheme": value.value, "parameter_id": value.id}, eligible=_in_scope(province, 0))
    while run.status != "done":
        if CHUNKS[kind](session, run, chunk_size) == 0:
            run.status = "done"
            run.finished_at = utcnow()
    session.flush()
    return summary(run)


def summary(run: PensionRun) -> RunSummary:
    return RunSummary(run.kind, run.province, run.period, run.status, run.total, run.done, run.amount_fen)


def runs(session: Session, *, actor: Principal, limit: int = 20) -> list[PensionRun]:
    """The latest runs (the clerk's progress view)."""
    if actor.kind not in ("staff", "system") or not actor.has("person.read"):
        raise Forbidden("无权查看养老金发放批次", code="renshe:pension/run-permission")
    return list(session.scalars(select(PensionRun).order_by(PensionRun.id.desc()).limit(limit)))


def run_out(run: PensionRun | RunSummary) -> schemas.RunOut:
    return schemas.RunOut(kind=run.kind, kind_label=KIND_LABELS[run.kind], province=run.province, period=run.period,
                          status=run.status, status_label=STATUS_LABELS.get(run.status, run.status), total=run.total,
                          done=run.done, amount=f"{Decimal(run.amount_fen) / 100:.2f}")


def start(*, actor: Principal, data: schemas.RunIn, province: str) -> RunSummary:
    """Run (or resume) a batch as the API and the page ask for it."""
    if data.kind == "pay":
        return run_payments(actor=actor, province=province, month=data.period)
    if data.kind == "adjust":
        if not data.period.isdigit() or len(data.period) != 4:
            raise ValidationFailed([FieldError("period", "renshe:pension/year", "调整年度应为四位数字，如2026")])
        return run_adjustment(actor=actor, province=province, year=int(data.period))
    raise ValidationFailed([FieldError("kind", "renshe:pension/run-kind",
                                       "批次类型应为 pay（按月发放）或 adjust（待遇调整）")])
