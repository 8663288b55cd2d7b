"""Arrears clues (拖欠农民工工资线索反映): a worker reports from a phone, signed in or not, and gets a tracking
number; the clue goes to the project's county (or the county chosen on the form) with a deadline counted in
working days; the county's supervisors take it up and close it with an outcome; anyone holding the tracking
number sees the progress, never the personal data."""

from __future__ import annotations

import secrets
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from renshe.core import audit, crypto, divisions, paging, workdays
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import Conflict, DomainError, FieldError, Forbidden, NotFound, ValidationFailed
from renshe.core.events import record_event
from renshe.registry import service as registry
from renshe.wages import policy, rules, schemas
from renshe.wages.models import WageClue, WageProject

PHONE_PURPOSE = "wages.clue.phone"
PUBLIC = Principal(kind="public", subject="anonymous", display_name="公众（未登录）")


def project_for_report(session: Session, *, public_id: str) -> WageProject | None:
    """The project a notice board's QR code names (its name and county prefill the public form)."""
    if not public_id:
        return None
    return session.scalar(select(WageProject).where(WageProject.public_id == public_id))


def _county(code: str) -> str | None:
    found = divisions.get(code)
    if found is None or not found.current or divisions.level_of(code) != "county" or divisions.is_placeholder(found):
        return None
    return code


def _tracking_number(on: date) -> str:
    return f"QX{on:%Y%m%d}{secrets.randbelow(10**8):08d}"


def report(session: Session, *, actor: Principal | None, data: schemas.ClueIn, on: date) -> WageClue:
    """File a clue; refused with every broken field named."""
    errors: list[FieldError] = []
    project = project_for_report(session, public_id=data.project.strip())
    if data.project.strip() and project is None:
        errors.append(FieldError("project", "renshe:wages/project-not-found",
                                 "项目编号不存在，请删除后选择项目所在县（区）"))
    division = project.division_code if project is not None else _county(data.county.strip())
    if division is None and not errors:
        errors.append(FieldError("county", "renshe:wages/county", "请选择项目所在的县（区）"))
    amount_fen = rules.parse_yuan(data.amount)
    if amount_fen is None or amount_fen <= 0:
        errors.append(FieldError("amount", "renshe:wages/amount", "拖欠金额请填写大于0的数字（元），最多两位小数"))
    errors += registry.check_phone(data.phone, "phone")
    if errors or division is None or amount_fen is None:
        raise ValidationFailed(errors, "线索信息不完整或有误，请按提示修改")
    deadline = workdays.calendar(session).add_workdays(on, rules.catalog().clue_deadline_workdays)
    reporter = actor.subject if actor is not None and actor.kind == "citizen" else None
    for _ in range(5):
        row = WageClue(tracking_number=_tracking_number(on), project_id=project.id if project else None,
                       project_name=data.project_name.strip(), employer_name=data.employer_name.strip(),
                       amount_fen=amount_fen, months=data.months.strip(),
                       phone_encrypted=crypto.cipher().encrypt(data.phone, purpose=PHONE_PURPOSE),
                       phone_masked=crypto.mask_phone(data.phone), reporter_public_id=reporter,
                       division_code=division, state="received", received_on=on, deadline=deadline)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:  # the same tracking number drawn twice: draw again
            continue
        break
    else:
        raise DomainError("renshe:wages/tracking-number", "暂时无法生成查询编号，请稍后再试", 503, "服务繁忙")
    audit.record(session, actor=actor or PUBLIC, action="wages.clue.report", entity_type="wage_clue",
                 entity_id=row.tracking_number, after={"division_code": division, "amount_fen": amount_fen,
                                                       "phone": row.phone_masked})
    record_event(session, "wages.clue_reported", {"clue": row.tracking_number, "division": division})
    return row


def progress(session: Session, *, tracking_number: str) -> WageClue:
    row = session.scalar(select(WageClue).where(WageClue.tracking_number == tracking_number.strip().upper()))
    if row is None:
        raise NotFound("该查询编号的线索", code="renshe:wages/clue-not-found")
    return row


def worklist(session: Session, *, actor: Principal, state: str | None = None, cursor: str | None = None,
             limit: int = 50) -> tuple[list[WageClue], str | None]:
    """Clues of the supervisor's jurisdiction (open ones when `state` is None), earliest deadline first page."""
    if actor.kind not in ("staff", "system") or not actor.has("employer.read"):
        raise Forbidden("无权查看欠薪线索", code="renshe:wages/permission")
    limit = max(1, min(limit, 200))
    stmt = select(WageClue).where(WageClue.division_code.startswith(divisions.scope_prefix(actor.division_code)))
    stmt = stmt.where(WageClue.state == state) if state else stmt.where(WageClue.state != "closed")
    after = paging.decode_cursor(cursor)
    if after:
        stmt = stmt.where(WageClue.id < after)
    rows = list(session.scalars(stmt.order_by(WageClue.id.desc()).limit(limit + 1)))
    return rows[:limit], paging.encode_cursor(rows[limit - 1].id) if len(rows) > limit else None


def _for_supervisor(session: Session, actor: Principal, tracking_number: str) -> WageClue:
    row = session.scalar(select(WageClue).where(WageClue.tracking_number == tracking_number))
    if row is None or not policy.can(actor, "read", division_code=row.division_code):
        raise NotFound("该线索", code="renshe:wages/clue-not-found")
    if not policy.can(actor, "supervise", division_code=row.division_code):
        raise Forbidden("无权处理该线索", code="renshe:wages/permission")
    if row.state == "closed":
        raise Conflict("该线索已办结", code="renshe:wages/clue-closed")
    return row


def take_up(session: Session, *, actor: Principal, tracking_number: str) -> WageClue:
    """The supervisor starts checking the clue (核查处理中)."""
    row = _for_supervisor(session, actor, tracking_number)
    if row.state == "handling":
        raise Conflict("该线索已在核查处理中", code="renshe:wages/clue-handling")
    row.state, row.handled_by = "handling", actor.subject
    session.flush()
    audit.record(session, actor=actor, action="wages.clue.take_up", entity_type="wage_clue",
                 entity_id=row.tracking_number, before={"state": "received"}, after={"state": "handling"})
    return row


def close(session: Session, *, actor: Principal, tracking_number: str, outcome: str) -> WageClue:
    row = _for_supervisor(session, actor, tracking_number)
    text = outcome.strip()
    if not text:
        raise ValidationFailed([FieldError("outcome", "renshe:wages/outcome", "请填写处理结果")])
    before = row.state
    row.state, row.outcome, row.handled_by, row.closed_at = "closed", text[:500], actor.subject, utcnow()
    session.flush()
    audit.record(session, actor=actor, action="wages.clue.close", entity_type="wage_clue",
                 entity_id=row.tracking_number, before={"state": before}, after={"state": "closed",
                                                                                 "outcome": row.outcome})
    record_event(session, "wages.clue_closed", {"clue": row.tracking_number})
    return row


def project_public_id(session: Session, row: WageClue) -> str | None:
    if row.project_id is None:
        return None
    return session.scalar(select(WageProject.public_id).where(WageProject.id == row.project_id))


def clue_out(session: Session, row: WageClue) -> schemas.ClueOut:
    return schemas.clue_out(row, project_public_id(session, row), divisions.full_name(row.division_code))


def progress_out(row: WageClue) -> schemas.ClueProgress:
    return schemas.clue_progress(row, divisions.full_name(row.division_code))


def counties(province: str) -> list[tuple[str, str]]:
    """The counties of the deployment's province, for the form's county choice."""
    return [(d.code, divisions.full_name(d.code)) for d in divisions.counties_of(province)]
