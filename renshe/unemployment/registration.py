"""Unemployment registration, a closed loop (失业登记：申请—登记—服务—退出): the only code that writes
registrations and their service records.

A person is registered at their residence or usual place of work (《就业服务与就业管理规定》第六十三条),
online through the hall's 失业登记 item (prefilled), at a window, or together with a benefit claim. Each
registered person has a service record (job recommendations, training referrals, counselling …), each dated
with who served. The registration ends with a reason from the national list (`codes.EXIT_REASONS`):
automatically when an employer reports a hire or a pension starts (event subscribers in `service`), by a
clerk otherwise; every exit is audited and told to the person (a notice in their message centre and a text).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from renshe.core import audit, divisions, paging
from renshe.core.auth import SYSTEM, Principal
from renshe.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from renshe.core.events import record_event
from renshe.registry import service as registry
from renshe.unemployment import codes, policy, rules
from renshe.unemployment.models import ServiceRecord, UnemploymentRegistration

LINK = "/citizen/unemployment"
MINIMUM_AGE = 16  # 劳动年龄 (《劳动法》第十五条: no work under 16)


def _fail(rule: str, field_name: str, message: str) -> rules.UnemploymentRuleError:
    return rules.UnemploymentRuleError(rule, field_name, message)


def open_of(session: Session, *, person_id: int) -> UnemploymentRegistration | None:
    """The person's open registration, if any."""
    return session.scalar(select(UnemploymentRegistration).where(UnemploymentRegistration.open_key == person_id))


def open_employments(session: Session, *, person: registry.Person) -> list[Any]:
    """The person's employment relations an employer has not reported ended."""
    return [r for r in registry.person_employments(session, person=person) if r.end_date is None]


@dataclass(frozen=True)
class NewRegistration:
    place: str  # residence | workplace
    division_code: str
    channel: str  # online | window | benefit
    registered_on: date
    job_intention: str
    separation_date: date | None = None
    former_employer: str | None = None
    application_number: str | None = None


def check_registration(session: Session, *, person: registry.Person, data: NewRegistration) -> None:
    """The conditions of registration: of working age, without work (no open employment relation), not already
    registered, a place in this node's divisions, and nothing in the future."""
    if data.place not in codes.PLACES:
        raise _fail("place", "place", "登记地应为常住地（residence）或常住就业地（workplace）")
    if divisions.get(data.division_code) is None:
        raise _fail("division", "division_code", "登记地行政区划代码无效")
    if data.separation_date is not None and data.separation_date > data.registered_on:
        raise _fail("separation-in-future", "separation_date", "失业日期不能晚于登记日期")
    job = data.job_intention.strip()
    if not 2 <= len(job) <= 100:
        raise _fail("job-intention", "job_intention", "请填写求职意向（2至100字）")
    born = person.birth_date
    age = data.registered_on.year - born.year - ((data.registered_on.month, data.registered_on.day)
                                                 < (born.month, born.day))
    if age < MINIMUM_AGE:
        raise _fail("working-age", "id_number", f"失业登记限于劳动年龄内人员（年满{MINIMUM_AGE}周岁）")
    jobs = open_employments(session, person=person)
    if jobs:
        names = "、".join(r.employer.name for r in jobs)
        raise _fail("open-employment", "separation_date",
                    f"您在{names}的用工关系尚未终止（单位尚未报告解除或终止劳动关系），暂不能办理失业登记")
    if open_of(session, person_id=person.id) is not None:
        raise Conflict("您已办理失业登记，尚未注销，不能重复登记", code="renshe:unemployment/already-registered")


def register(session: Session, *, actor: Principal, person: registry.Person,
             data: NewRegistration) -> UnemploymentRegistration:
    """Register the person as unemployed (失业登记), audited and told to them."""
    if not policy.can(actor, "register", division_code=data.division_code):
        raise Forbidden("无权办理该地区的失业登记", code="renshe:unemployment/permission")
    check_registration(session, person=person, data=data)
    row = UnemploymentRegistration(
        person_id=person.id, person_public_id=person.public_id, person_name=person.name,
        id_number_masked=person.id_number_masked, division_code=data.division_code, place=data.place,
        channel=data.channel, application_number=data.application_number, registered_on=data.registered_on,
        separation_date=data.separation_date, former_employer=(data.former_employer or "").strip() or None,
        job_intention=data.job_intention.strip(), status="open", open_key=person.id, registered_by=actor.subject)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # a concurrent registration of the same person won the unique open key
        raise Conflict("您已办理失业登记，尚未注销，不能重复登记",
                       code="renshe:unemployment/already-registered") from None
    audit.record(session, actor=actor, action="unemployment.register", entity_type="person",
                 entity_id=person.public_id, after={"registration": row.public_id, "division": row.division_code,
                                                    "place": row.place, "channel": row.channel})
    record_event(session, "unemployment.registered", {"registration": row.public_id, "person": person.public_id,
                                                      "division": row.division_code})
    registry.notify(session, person_pk=person.id, kind="unemployment.registered", title="您已办理失业登记",
                    body=f"【人社服务】您已于{row.registered_on:%Y年%m月%d日}在{_place(row)}办理失业登记，"
                         "可享受职业介绍、职业指导、职业培训等公共就业服务。", link=LINK)
    return row


def _place(row: UnemploymentRegistration) -> str:
    division = divisions.get(row.division_code)
    return division.name if division else row.division_code


def get(session: Session, *, actor: Principal, public_id: str) -> UnemploymentRegistration:
    row = session.scalar(select(UnemploymentRegistration).where(UnemploymentRegistration.public_id == public_id))
    if row is None or not policy.can(actor, "read", division_code=row.division_code,
                                     person_public_id=row.person_public_id):
        raise NotFound("该失业登记", code="renshe:unemployment/registration-not-found")
    return row


def add_service(session: Session, *, actor: Principal, registration: UnemploymentRegistration, kind: str,
                served_on: date, detail: str, outcome: str | None, today: date) -> ServiceRecord:
    """Record a service given to a registered person (就业服务记录), dated, with who served."""
    if not policy.can(actor, "serve", division_code=registration.division_code):
        raise Forbidden("无权为该人员登记就业服务", code="renshe:unemployment/permission")
    if registration.status != "open":
        raise Conflict("失业登记已注销，不能再登记就业服务", code="renshe:unemployment/registration-closed")
    errors: list[FieldError] = []
    if kind not in codes.SERVICE_KINDS:
        errors.append(FieldError("kind", "renshe:unemployment/service-kind", "请选择服务类型"))
    if served_on > today or served_on < registration.registered_on:
        errors.append(FieldError("served_on", "renshe:unemployment/served-on",
                                 "服务日期应在登记日期与今天之间"))
    if not 2 <= len(detail.strip()) <= 500:
        errors.append(FieldError("detail", "renshe:unemployment/service-detail", "请填写服务内容（2至500字）"))
    if outcome is not None and len(outcome) > 200:
        errors.append(FieldError("outcome", "renshe:unemployment/service-outcome", "服务结果不超过200字"))
    if errors:
        raise ValidationFailed(errors)
    row = ServiceRecord(registration_id=registration.id, kind=kind, served_on=served_on, detail=detail.strip(),
                        outcome=(outcome or "").strip() or None, served_by=actor.subject,
                        served_by_name=actor.display_name or actor.subject)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="unemployment.service", entity_type="person",
                 entity_id=registration.person_public_id,
                 after={"registration": registration.public_id, "kind": kind, "served_on": served_on.isoformat()})
    return row


def services_of(session: Session, *, registration: UnemploymentRegistration) -> list[ServiceRecord]:
    return list(session.scalars(select(ServiceRecord).where(ServiceRecord.registration_id == registration.id)
                                .order_by(ServiceRecord.served_on, ServiceRecord.id)))


def exit_registration(session: Session, *, actor: Principal, registration: UnemploymentRegistration, reason: str,
                      on: date, note: str | None = None) -> UnemploymentRegistration:
    """End a registration with a reason from the national list (注销失业登记), audited and told to the person."""
    if not policy.can(actor, "exit", division_code=registration.division_code):
        raise Forbidden("无权注销该失业登记", code="renshe:unemployment/permission")
    if registration.status != "open":
        raise Conflict("该失业登记已注销", code="renshe:unemployment/registration-closed")
    if reason not in codes.EXIT_REASONS:
        raise _fail("exit-reason", "reason", "请按全国统一的注销原因选择")
    if on < registration.registered_on:
        raise _fail("exit-date", "on", "注销日期不能早于登记日期")
    note = (note or "").strip() or None
    if reason == "other" and not note:
        raise _fail("exit-note", "note", "注销原因为“其他”的，请写明具体情况")
    registration.status = "exited"
    registration.open_key = None
    registration.exit_reason = reason
    registration.exit_note = note[:300] if note else None
    registration.exited_on = on
    registration.exited_by = actor.subject
    session.flush()
    audit.record(session, actor=actor, action="unemployment.exit", entity_type="person",
                 entity_id=registration.person_public_id,
                 before={"status": "open"}, after={"registration": registration.public_id, "reason": reason,
                                                   "on": on.isoformat(), "note": registration.exit_note})
    record_event(session, "unemployment.exited", {"registration": registration.public_id,
                                                  "person": registration.person_public_id, "reason": reason})
    how = "经系统核验" if actor.kind == "system" else "经办机构"
    registry.notify(session, person_pk=registration.person_id, kind="unemployment.exited",
                    title="您的失业登记已注销",
                    body=f"【人社服务】{how}于{on:%Y年%m月%d日}注销了您的失业登记，原因："
                         f"{codes.EXIT_REASONS[reason]}。如有疑问请联系登记地公共就业服务机构或拨打12333。",
                    link=LINK)
    return registration


def exit_person(session: Session, *, person_id: int, reason: str, on: date, note: str) -> bool:
    """The automatic exit (an employer's hire, a pension award): the person's open registration, if any."""
    row = open_of(session, person_id=person_id)
    if row is None:
        return False
    exit_registration(session, actor=SYSTEM, registration=row, reason=reason, on=max(on, row.registered_on),
                      note=note)
    return True


def registrations(session: Session, *, actor: Principal, status: str | None = None, limit: int = 20,
                  cursor: str | None = None) -> tuple[list[UnemploymentRegistration], str | None]:
    """Registrations in the caller's jurisdiction (the clerk's worklist), newest id last, a page at a time."""
    if actor.kind not in ("staff", "system") or not actor.has("person.read"):
        raise Forbidden("无权查看失业登记", code="renshe:unemployment/permission")
    limit = max(1, min(limit, 200))
    stmt = select(UnemploymentRegistration).where(UnemploymentRegistration.id > paging.decode_cursor(cursor))
    if status:
        if status not in codes.REGISTRATION_STATUS:
            raise _fail("status", "status", "状态应为 open（已登记）或 exited（已注销）")
        stmt = stmt.where(UnemploymentRegistration.status == status)
    if actor.kind == "staff":
        stmt = stmt.where(UnemploymentRegistration.division_code.startswith(
            divisions.scope_prefix(actor.division_code)))
    rows = list(session.scalars(stmt.order_by(UnemploymentRegistration.id).limit(limit + 1)))
    return rows[:limit], paging.encode_cursor(rows[limit - 1].id) if len(rows) > limit else None


def registrations_of(session: Session, *, person_id: int) -> list[UnemploymentRegistration]:
    return list(session.scalars(select(UnemploymentRegistration).where(
        UnemploymentRegistration.person_id == person_id).order_by(UnemploymentRegistration.id.desc())))


def sharing_answer(session: Session, person: registry.Person) -> dict[str, Any]:
    """The catalog resource `unemployment-registration` (失业登记状态) for another province or department:
    whether the person is registered now, where and since when, and their last exit."""
    rows = registrations_of(session, person_id=person.id)
    current = next((r for r in rows if r.status == "open"), None)
    last = next((r for r in rows if r.status == "exited"), None)
    return {
        "registered": current is not None,
        "registration": None if current is None else {
            "division_code": current.division_code, "division_name": _place(current), "place": current.place,
            "registered_on": current.registered_on.isoformat()},
        "last_exit": None if last is None or last.exited_on is None else {
            "division_code": last.division_code, "registered_on": last.registered_on.isoformat(),
            "exited_on": last.exited_on.isoformat(), "reason": last.exit_reason,
            "reason_label": codes.EXIT_REASONS.get(last.exit_reason or "", "其他")},
        "source": rules.SOURCE,
    }
