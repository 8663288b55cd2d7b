"""超期督办: near-due and overdue applications for supervisors, supervision notices (督办通知) to the
handling office, escalation (升级督办) to the parent division when still overdue N working days after
a notice, and the on-time statistics per office and item.

Overdue is measured against the promised limit (承诺时限) with 补正 pauses added to the due date (the
workflow moves `due_date` on resume); an application paused for 补正 counts as overdue only if it was
already overdue when the pause began. Everything here is set-based SQL on the indexed columns
(`state`, `due_date`, `division_code`): the scan never walks the applications in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, Integer, String, and_, case, exists, func, insert, literal, select, update
from sqlalchemy.orm import Session, aliased

from renshe.core import audit, divisions, paging
from renshe.core.auth import Principal
from renshe.core.db import UTCDateTime, utcnow
from renshe.core.errors import Conflict, FieldError, ValidationFailed
from renshe.core.events import record_event
from renshe.core.settings import get_settings
from renshe.hall import clock, policy
from renshe.hall.applications import reading
from renshe.hall.models import Application, HallItem, SupervisionNotice

SUPERVISOR_ROLES = ("supervisor", "admin")
AUTO_MESSAGE = "该办件已超过承诺办结时限，请即办理并说明超期原因（系统自动督办）。"
ESCALATE_MESSAGE = "下级督办后仍未办结，现升级督办，请督促办理机构限期办结。"


def escalate_after_workdays() -> int:
    """RENSHE_HALL_ESCALATE_AFTER_DAYS (default 3): still overdue this many working days after a notice."""
    return get_settings().hall_escalate_after_days


def auto_notice() -> bool:
    """RENSHE_HALL_AUTO_NOTICE (default on): the scan issues a notice for each newly overdue application."""
    return get_settings().hall_auto_notice


def is_supervisor(actor: Principal) -> bool:
    """Supervisors and administrators oversee deadlines (督办)."""
    return policy.can(actor, "supervision.oversee")


def require_supervisor(actor: Principal) -> None:
    """Raise the audited 403 unless the caller oversees deadlines."""
    policy.require(actor, "supervision.oversee")


def _scope(actor: Principal) -> Any:
    scope = reading.in_division(Application.division_code, actor.division_code)
    return literal(True) if scope is None else scope


def near_condition(session: Session, day: date) -> Any:
    horizon = clock.calendar(session).add_workdays(day, reading.near_due_workdays())
    return and_(Application.state.in_(reading.RUNNING_STATES), Application.due_date >= day,
                Application.due_date <= horizon)


# ---------------------------------------------------------------- lists


def watch_list(session: Session, *, actor: Principal, kind: str = "overdue", item_code: str | None = None,
               limit: int = 50, cursor: str | None = None) -> tuple[list[Application], str | None]:
    """Overdue (or near-due) applications in the supervisor's division and below, oldest due date first."""
    require_supervisor(actor)
    day = clock.today()
    condition = reading.overdue_condition(day) if kind == "overdue" else near_condition(session, day)
    limit = max(1, min(limit, 200))
    after = paging.decode_cursor(cursor)
    stmt = (select(Application).where(condition, _scope(actor), Application.channel != "xp_collect",
                                      Application.id > after))
    if item_code:
        stmt = stmt.where(Application.item_code == item_code)
    rows = list(session.scalars(stmt.order_by(Application.id).limit(limit + 1)))
    next_cursor = paging.encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def counts(session: Session, *, actor: Principal) -> dict[str, int]:
    day = clock.today()
    base = select(func.count()).select_from(Application).where(_scope(actor), Application.channel != "xp_collect")
    return {"overdue": int(session.scalar(base.where(reading.overdue_condition(day))) or 0),
            "near": int(session.scalar(base.where(near_condition(session, day))) or 0)}


def notices_of(session: Session, application: Application) -> list[SupervisionNotice]:
    return list(session.scalars(select(SupervisionNotice).where(SupervisionNotice.application_id == application.id)
                                .order_by(SupervisionNotice.level)))


def open_notices(session: Session, *, actor: Principal, limit: int = 50) -> list[tuple[SupervisionNotice, Application]]:
    """Open notices addressed to the caller's division or below (the clerk's queue and workbench show them)."""
    policy.require(actor, "notices.read")
    prefix = divisions.scope_prefix(actor.division_code)
    stmt = (select(SupervisionNotice, Application).join(Application, Application.id == SupervisionNotice.application_id)
            .where(SupervisionNotice.status == "open"))
    if prefix:
        stmt = stmt.where(SupervisionNotice.handling_division.startswith(prefix))
    stmt = stmt.order_by(SupervisionNotice.level.desc(), SupervisionNotice.id).limit(limit)
    return [(n, a) for n, a in session.execute(stmt)]


# ---------------------------------------------------------------- notices


def issue_notice(session: Session, *, actor: Principal, application: Application, message: str) -> SupervisionNotice:
    """A supervisor sends a 督办通知 to the handling office of an overdue or near-due application."""
    require_supervisor(actor)
    policy.require(actor, "supervision.notify", application)
    message = message.strip()
    if len(message) < 4:
        raise ValidationFailed([FieldError("message", "renshe:hall/notice-message", "请填写督办意见（至少4个字）")])
    day = clock.today()
    out = reading.deadline(session, application)
    if not (out.overdue or out.near_due) or application.decided_at is not None:
        raise Conflict("只能对临近到期或已超期、尚未办结的办件发出督办", code="renshe:hall/not-overdue")
    level = 1 + int(session.scalar(select(func.max(SupervisionNotice.level))
                                   .where(SupervisionNotice.application_id == application.id)) or 0)
    if level > 1:
        open_one = session.scalar(select(SupervisionNotice).where(
            SupervisionNotice.application_id == application.id, SupervisionNotice.status == "open"))
        if open_one is not None and open_one.issued_on == day:
            raise Conflict("今天已对该办件发出督办", code="renshe:hall/notice-duplicate")
    escalate_on = clock.calendar(session).add_workdays(day, escalate_after_workdays())
    target = application.division_code if level == 1 else (
        divisions.parent_of(_last_target(session, application)) or application.division_code)
    notice = SupervisionNotice(application_id=application.id, level=level, handling_division=target,
                               supervising_division=actor.division_code, issued_by=actor.subject, issued_on=day,
                               escalate_on=escalate_on, message=message, status="open")
    session.add(notice)
    session.flush()
    audit.record(session, actor=actor, action="hall.supervision_notice", entity_type="hall_application",
                 entity_id=application.public_id, after={"level": level, "to": target, "message": message,
                                                         "escalate_on": escalate_on.isoformat()})
    record_event(session, "hall.supervision_notice_issued", {
        "application": application.public_id, "number": application.number, "level": level, "to": target,
        "by": actor.division_code, "escalate_on": escalate_on.isoformat()})
    return notice


def _last_target(session: Session, application: Application) -> str:
    found = session.scalar(select(SupervisionNotice.handling_division).where(
        SupervisionNotice.application_id == application.id).order_by(SupervisionNotice.level.desc()).limit(1))
    return found or application.division_code


# ---------------------------------------------------------------- the periodic scan


@dataclass
class ScanResult:
    day: date
    overdue: int = 0
    near_due: int = 0
    issued: int = 0
    escalated: int = 0
    closed: int = 0
    by_division: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "overdue": self.overdue, "near_due": self.near_due,
                "issued": self.issued, "escalated": self.escalated, "closed": self.closed,
                "by_division": self.by_division}


def scan(session: Session, *, actor: Principal, day: date | None = None) -> ScanResult:
    """Close notices whose application is no longer overdue, issue a notice for each newly overdue one,
    escalate open notices still overdue after the grace period. Idempotent: a second run the same day
    changes nothing. Each step is one statement (one per distinct division for escalation)."""
    require_supervisor(actor)
    day = day or clock.today()
    now = utcnow()
    result = ScanResult(day=day)
    overdue = reading.overdue_condition(day)
    still_overdue = exists().where(Application.id == SupervisionNotice.application_id, overdue)
    closed = session.execute(update(SupervisionNotice).where(SupervisionNotice.status == "open", ~still_overdue)
                             .values(status="closed").execution_options(synchronize_session=False))
    result.closed = int(getattr(closed, "rowcount", 0) or 0)
    escalate_on = clock.calendar(session).add_workdays(day, escalate_after_workdays())
    columns = ["application_id", "level", "handling_division", "supervising_division", "issued_by", "issued_on",
               "escalate_on", "message", "status", "created_at"]
    if auto_notice():
        has_notice = exists().where(SupervisionNotice.application_id == Application.id)
        source = select(Application.id, literal(1, Integer), Application.division_code, Application.division_code,
                        literal("system", String), literal(day, Date), literal(escalate_on, Date),
                        literal(AUTO_MESSAGE, String), literal("open", String), literal(now, UTCDateTime)
                        ).where(overdue, Application.channel != "xp_collect", ~has_notice)
        issued = session.execute(insert(SupervisionNotice).from_select(columns, source)
                                 .returning(SupervisionNotice.id))
        result.issued = len(issued.all())  # RETURNING: rowcount of INSERT … SELECT is not portable
        if result.issued:
            # who follows a level-1 notice up: the parent division (one update per distinct division)
            fresh = session.execute(select(SupervisionNotice.handling_division, func.count()).where(
                SupervisionNotice.created_at == now, SupervisionNotice.level == 1)
                .group_by(SupervisionNotice.handling_division)).all()
            for division, count in fresh:
                result.by_division[division] = int(count)
                session.execute(update(SupervisionNotice).where(
                    SupervisionNotice.created_at == now, SupervisionNotice.handling_division == division,
                    SupervisionNotice.level == 1).values(supervising_division=divisions.parent_of(division) or division)
                    .execution_options(synchronize_session=False))
    result.escalated = _escalate(session, day=day, now=now, escalate_on=escalate_on, columns=columns)
    result.overdue = int(session.scalar(select(func.count()).select_from(Application).where(overdue)) or 0)
    result.near_due = int(session.scalar(select(func.count()).select_from(Application)
                                         .where(near_condition(session, day))) or 0)
    session.flush()
    for loaded in list(session.identity_map.values()):  # bulk statements bypassed the loaded notices
        if isinstance(loaded, SupervisionNotice):
            session.expire(loaded)
    if result.issued or result.escalated or result.closed:
        audit.record(session, actor=actor, action="hall.supervision_scan", entity_type="hall_supervision",
                     entity_id=day.isoformat(), after=result.as_dict())
        record_event(session, "hall.supervision_scanned", result.as_dict())
    return result


def _escalate(session: Session, *, day: date, now: datetime, escalate_on: date, columns: Sequence[str]) -> int:
    due = select(SupervisionNotice.handling_division).where(
        SupervisionNotice.status == "open", SupervisionNotice.escalate_on <= day).distinct()
    total = 0
    higher = aliased(SupervisionNotice)
    for (division,) in session.execute(due).all():
        parent = divisions.parent_of(division)
        if parent is None or parent == divisions.MINISTRY:
            continue  # a provincial office is the top of a province node
        grand = divisions.parent_of(parent) or parent
        no_higher = ~exists().where(higher.application_id == SupervisionNotice.application_id,
                                    higher.level == SupervisionNotice.level + 1)
        source = select(SupervisionNotice.application_id, SupervisionNotice.level + 1, literal(parent, String),
                        literal(grand, String), literal("system", String), literal(day, Date),
                        literal(escalate_on, Date), literal(ESCALATE_MESSAGE, String), literal("open", String),
                        literal(now, UTCDateTime)).where(
            SupervisionNotice.status == "open", SupervisionNotice.escalate_on <= day,
            SupervisionNotice.handling_division == division, no_higher)
        made = session.execute(insert(SupervisionNotice).from_select(list(columns), source)
                               .returning(SupervisionNotice.id))
        total += len(made.all())
        session.execute(update(SupervisionNotice).where(
            SupervisionNotice.status == "open", SupervisionNotice.escalate_on <= day,
            SupervisionNotice.handling_division == division, SupervisionNotice.created_at != now)
            .values(status="escalated").execution_options(synchronize_session=False))
    return total


# ---------------------------------------------------------------- statistics


@dataclass(frozen=True)
class StatRow:
    division_code: str
    division_name: str
    item_code: str | None
    item_name: str | None
    decided: int
    on_time: int
    average_workdays: float

    @property
    def on_time_rate(self) -> float:
        return round(100.0 * self.on_time / self.decided, 1) if self.decided else 0.0


def statistics(session: Session, *, actor: Principal, since: date | None = None,
               until: date | None = None) -> tuple[list[StatRow], list[StatRow]]:
    """On-time rate (decided within the promised limit / decided) and average working days, per office
    and per office × item, over decisions in [since, until] (default: the last 365 days)."""
    require_supervisor(actor)
    until = until or clock.today()
    since = since or until - timedelta(days=365)
    start = datetime.combine(since, datetime.min.time(), clock.SHANGHAI)
    end = datetime.combine(until + timedelta(days=1), datetime.min.time(), clock.SHANGHAI)
    base = [Application.on_time.is_not(None), Application.decided_at >= start, Application.decided_at < end,
            _scope(actor)]
    on_time = func.sum(case((Application.on_time.is_(True), 1), else_=0))
    names = dict(session.execute(select(HallItem.code, HallItem.name)).all())
    offices = [StatRow(d, divisions.full_name(d), None, None, int(n), int(ok or 0), round(float(avg or 0), 1))
               for d, n, ok, avg in session.execute(
                   select(Application.division_code, func.count(), on_time, func.avg(Application.elapsed_workdays))
                   .where(*base).group_by(Application.division_code).order_by(Application.division_code))]
    items = [StatRow(d, divisions.full_name(d), i, names.get(i, i), int(n), int(ok or 0), round(float(avg or 0), 1))
             for d, i, n, ok, avg in session.execute(
                 select(Application.division_code, Application.item_code, func.count(), on_time,
                        func.avg(Application.elapsed_workdays))
                 .where(*base).group_by(Application.division_code, Application.item_code)
                 .order_by(Application.division_code, Application.item_code))]
    return offices, items
