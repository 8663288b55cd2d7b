"""问题反馈: tickets about rule differences between places (政策规则差异), contradictory data (数据矛盾)
and system faults (系统故障), raised by staff or citizens, assigned to a division with a deadline in
working days, open → assigned → resolved → closed, and visible up the division tree (a parent division
sees its children's tickets)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from renshe.core import audit, divisions
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from renshe.core.events import record_event
from renshe.core.settings import get_settings
from renshe.hall import clock, policy
from renshe.hall.catalog import service as catalog
from renshe.hall.models import FeedbackTicket

KINDS = {"rule_difference": "政策规则差异", "data_conflict": "数据矛盾", "system_fault": "系统故障"}
STATUSES = {"open": "待分派", "assigned": "处理中", "resolved": "已解决", "closed": "已关闭"}
TRANSITIONS = {"assign": ({"open", "assigned"}, "assigned"), "resolve": ({"open", "assigned"}, "resolved"),
               "close": ({"resolved", "open", "assigned"}, "closed")}


def default_workdays() -> int:
    """RENSHE_HALL_FEEDBACK_DAYS (default 10): working days a division has to answer a ticket."""
    return get_settings().hall_feedback_days


def handles_tickets(actor: Principal) -> bool:
    """Staff answer tickets (the staff page); citizens only raise and follow their own."""
    return policy.can(actor, "staff.member")


def can_assign(actor: Principal) -> bool:
    """Staff supervisors and administrators assign tickets to divisions."""
    return policy.can(actor, "feedback.supervise")


def raise_ticket(session: Session, *, actor: Principal, kind: str, title: str, description: str,
                 item_code: str | None = None, division_code: str | None = None) -> FeedbackTicket:
    """Anyone signed in (staff or citizen) raises a ticket; it starts with their own division."""
    policy.require(actor, "feedback.raise")
    errors = []
    if kind not in KINDS:
        errors.append(FieldError("kind", "renshe:hall/feedback-kind", "请选择问题类型"))
    if not 4 <= len(title.strip()) <= 200:
        errors.append(FieldError("title", "renshe:hall/feedback-title", "标题应为4至200个字"))
    if not 10 <= len(description.strip()) <= 4000:
        errors.append(FieldError("description", "renshe:hall/feedback-description", "请具体描述问题（10至4000字）"))
    origin = actor.division_code
    target = (division_code or "").strip() or origin
    if divisions.get(target) is None and target != divisions.MINISTRY:
        errors.append(FieldError("division_code", "renshe:hall/feedback-division", "行政区划代码无效"))
    if item_code:
        catalog.get_item(session, item_code)
    if errors:
        raise ValidationFailed(errors, detail="反馈未提交，请按提示修改")
    ticket = FeedbackTicket(kind=kind, title=title.strip(), description=description.strip(),
                            item_code=item_code or None, raised_by=actor.subject,
                            raised_by_name=actor.display_name or actor.subject,
                            raised_kind="staff" if policy.can(actor, "staff.view") else "citizen",
                            origin_division=origin,
                            division_code=target, status="open",
                            deadline=clock.calendar(session).add_workdays(clock.today(), default_workdays()))
    session.add(ticket)
    session.flush()
    audit.record(session, actor=actor, action="hall.feedback_raise", entity_type="hall_feedback",
                 entity_id=ticket.public_id, after={"kind": kind, "division": target, "title": ticket.title})
    record_event(session, "hall.feedback_raised", {"ticket": ticket.public_id, "kind": kind, "division": target})
    return ticket


def visible(session: Session, *, actor: Principal, status: str | None = None, kind: str | None = None,
            limit: int = 100) -> list[FeedbackTicket]:
    """Staff see tickets assigned to their division and below; citizens see the ones they raised."""
    policy.require(actor, "feedback.read")
    stmt = select(FeedbackTicket)
    if not policy.can(actor, "staff.view"):  # a citizen: the tickets they raised
        stmt = stmt.where(FeedbackTicket.raised_by == actor.subject)
    else:
        prefix = divisions.scope_prefix(actor.division_code)
        if prefix:
            stmt = stmt.where(or_(FeedbackTicket.division_code.startswith(prefix),
                                  FeedbackTicket.raised_by == actor.subject))
    if status:
        stmt = stmt.where(FeedbackTicket.status == status)
    if kind:
        stmt = stmt.where(FeedbackTicket.kind == kind)
    return list(session.scalars(stmt.order_by(FeedbackTicket.id.desc()).limit(limit)))


def get_ticket(session: Session, *, actor: Principal, public_id: str) -> FeedbackTicket:
    ticket = session.scalar(select(FeedbackTicket).where(FeedbackTicket.public_id == public_id))
    if ticket is None or not (ticket.raised_by == actor.subject or (
            policy.can(actor, "feedback.see", ticket.division_code))):
        raise NotFound("该问题反馈", code="renshe:hall/feedback-not-found")
    return ticket


def act(session: Session, *, actor: Principal, ticket: FeedbackTicket, action: str, division_code: str = "",
        workdays: int | None = None, note: str = "") -> FeedbackTicket:
    """assign (a supervisor above both divisions), resolve (staff of the division), close (the raiser or
    a supervisor)."""
    if action not in TRANSITIONS:
        raise ValidationFailed([FieldError("action", "renshe:hall/feedback-action", "操作无效")])
    sources, target = TRANSITIONS[action]
    if ticket.status not in sources:
        raise Conflict(f"问题当前为“{STATUSES[ticket.status]}”，不能进行该操作", code="renshe:hall/feedback-state")
    before = {"status": ticket.status, "division": ticket.division_code}
    if action == "assign":
        division_code = division_code.strip()
        policy.require(actor, "feedback.assign", ticket.division_code, entity_type="hall_feedback",
                       entity_id=ticket.public_id)
        if not division_code or not policy.can(actor, "feedback.assign_to", division_code) \
                or divisions.get(division_code) is None:
            raise ValidationFailed([FieldError("division_code", "renshe:hall/feedback-division",
                                               "只能分派到本辖区内的有效区划")])
        days = default_workdays() if workdays is None else workdays
        if not 1 <= days <= 60:
            raise ValidationFailed([FieldError("workdays", "renshe:hall/feedback-days", "处理时限应为1至60个工作日")])
        ticket.division_code, ticket.assigned_by = division_code, actor.subject
        ticket.deadline = clock.calendar(session).add_workdays(clock.today(), days)
    elif action == "resolve":
        policy.require(actor, "feedback.resolve", ticket.division_code, entity_type="hall_feedback",
                       entity_id=ticket.public_id)
        if len(note.strip()) < 4:
            raise ValidationFailed([FieldError("note", "renshe:hall/feedback-note", "请填写处理结果（至少4个字）")])
        ticket.resolution, ticket.resolved_at = note.strip(), utcnow()
    else:
        if ticket.raised_by != actor.subject:
            policy.require(actor, "feedback.close_any", ticket.division_code, entity_type="hall_feedback",
                           entity_id=ticket.public_id)
        ticket.closed_at = utcnow()
    ticket.status = target
    session.flush()
    audit.record(session, actor=actor, action=f"hall.feedback_{action}", entity_type="hall_feedback",
                 entity_id=ticket.public_id, before=before,
                 after={"status": target, "division": ticket.division_code, **({"note": note} if note else {})})
    record_event(session, f"hall.feedback_{target}", {"ticket": ticket.public_id, "division": ticket.division_code})
    return ticket


def overdue(tickets: Sequence[FeedbackTicket]) -> set[str]:
    day = clock.today()
    return {t.public_id for t in tickets if t.deadline and t.status in ("open", "assigned") and t.deadline < day}
