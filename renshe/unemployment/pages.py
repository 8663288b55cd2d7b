"""Pages of unemployment registration and benefit.

我的失业登记和失业保险金 (`/citizen/unemployment`): the citizen's registrations with their service record, the
benefit with its trace, the payments into the card and the medical contributions paid for them.
失业登记和失业保险金经办 (`/staff/unemployment`): the clerk's worklist in their jurisdiction (registrations
open, benefits), window registration, a registration's service record (add a service, exit with a reason),
a benefit's payments (suspend, resume, stop with a reason) and the monthly payment run."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from renshe.core.auth import Principal
from renshe.core.errors import DomainError, FieldError
from renshe.core.http import DbSession, ReadSession, page_errors, require_kind, templates
from renshe.core.settings import get_settings
from renshe.unemployment import codes, jobs, schemas, service

router = APIRouter(include_in_schema=False)
Citizen = Annotated[Principal, require_kind("citizen")]
Staff = Annotated[Principal, require_kind("staff")]
Text = Annotated[str, Form(max_length=500)]
Optional = Annotated[str, Form(max_length=500)]


@router.get("/citizen/unemployment")
def citizen_page(request: Request, session: DbSession, principal: Citizen) -> Response:
    """我的失业登记和失业保险金."""
    return templates.render(request, "unemployment_mine.html", page_title="我的失业登记和失业保险金",
                            mine=service.mine(session, actor=principal))



def _date(value: str, field_name: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise DomainError("renshe:unemployment/date", "日期格式应为YYYY-MM-DD", 422, "输入有误",
                          [FieldError(field_name, "renshe:unemployment/date", "日期格式应为YYYY-MM-DD")]) from None


def _worklist(request: Request, session: Session, principal: Principal, *, cursor: str | None = None,
              errors: list[FieldError] | None = None, saved: str = "", status_code: int = 200) -> Response:
    rows, next_cursor = service.registrations(session, actor=principal, status="open", cursor=cursor, limit=50)
    found, _ = service.benefits(session, actor=principal, limit=100)
    return templates.render(
        request, "unemployment_staff.html", status_code=status_code, page_title="失业登记和失业保险金经办",
        registrations=[service.registration_out(session, r, with_services=False) for r in rows],
        next_cursor=next_cursor, benefits=[service.benefit_out(session, b) for b in found],
        runs=[jobs.run_out(r) for r in jobs.runs(session, actor=principal)], errors=errors or [], saved=saved,
        month=f"{service.today():%Y-%m}", places=codes.PLACES)


@router.get("/staff/unemployment")
def staff_page(request: Request, session: DbSession, principal: Staff, cursor: str | None = None) -> Response:
    return _worklist(request, session, principal, cursor=cursor)


@router.post("/staff/unemployment/registrations")
def staff_register(request: Request, session: DbSession, principal: Staff, id_number: Annotated[str, Form()],
                   job_intention: Text, place: Annotated[str, Form()] = "residence",
                   division_code: Annotated[str, Form()] = "",
                   separation_date: Annotated[str, Form()] = "") -> Response:
    try:
        data = schemas.RegistrationIn(id_number=id_number.strip(), place=place, division_code=division_code.strip()
                                      or None, job_intention=job_intention,
                                      separation_date=_date(separation_date, "separation_date")
                                      if separation_date.strip() else None)
        row = service.window_registration(session, actor=principal, data=data, on=service.today())
    except DomainError as exc:
        return _worklist(request, session, principal, errors=page_errors(exc, "id_number"), status_code=422)
    return _worklist(request, session, principal, saved=f"已为{row.person_name}办理失业登记")


def _registration_page(request: Request, session: Session, principal: Principal, public_id: str, *,
                       errors: list[FieldError] | None = None, saved: str = "", status_code: int = 200) -> Response:
    row = service.get_registration(session, actor=principal, public_id=public_id)
    return templates.render(request, "unemployment_registration.html", status_code=status_code,
                            page_title="失业登记", r=service.registration_out(session, row), errors=errors or [],
                            saved=saved, today=service.today().isoformat(), service_kinds=codes.SERVICE_KINDS,
                            exit_reasons=codes.EXIT_REASONS)


@router.get("/staff/unemployment/registrations/{public_id}")
def staff_registration(request: Request, public_id: str, session: DbSession, principal: Staff) -> Response:
    return _registration_page(request, session, principal, public_id)


@router.post("/staff/unemployment/registrations/{public_id}/services")
def staff_add_service(request: Request, public_id: str, session: DbSession, principal: Staff,
                      kind: Annotated[str, Form()], served_on: Annotated[str, Form()], detail: Text,
                      outcome: Optional = "") -> Response:
    row = service.get_registration(session, actor=principal, public_id=public_id)
    try:
        service.add_service(session, actor=principal, registration=row, kind=kind,
                            served_on=_date(served_on, "served_on"), detail=detail, outcome=outcome or None,
                            today=service.today())
    except DomainError as exc:
        return _registration_page(request, session, principal, public_id, errors=page_errors(exc, "detail"),
                                  status_code=422)
    return _registration_page(request, session, principal, public_id, saved="已登记就业服务")


@router.post("/staff/unemployment/registrations/{public_id}/exit")
def staff_exit(request: Request, public_id: str, session: DbSession, principal: Staff,
               reason: Annotated[str, Form()], on: Annotated[str, Form()], note: Optional = "") -> Response:
    row = service.get_registration(session, actor=principal, public_id=public_id)
    try:
        service.exit_registration(session, actor=principal, registration=row, reason=reason, on=_date(on, "on"),
                                  note=note or None)
    except DomainError as exc:
        return _registration_page(request, session, principal, public_id, errors=page_errors(exc, "reason"),
                                  status_code=422)
    return _registration_page(request, session, principal, public_id, saved="已注销失业登记，并已告知本人")


def _benefit_page(request: Request, session: Session, principal: Principal, public_id: str, *,
                  errors: list[FieldError] | None = None, saved: str = "", status_code: int = 200) -> Response:
    found = service.get_benefit(session, actor=principal, public_id=public_id)
    rows, _ = service.payments_of(session, benefit=found, limit=50)
    return templates.render(request, "unemployment_benefit.html", status_code=status_code, page_title="失业保险金",
                            b=service.benefit_out(session, found), payments=service.payments_out(session, rows),
                            errors=errors or [], saved=saved, today=service.today().isoformat(),
                            stop_reasons=codes.STOP_REASONS, suspend_reasons=codes.SUSPEND_REASONS)


@router.get("/staff/unemployment/benefits/{public_id}")
def staff_benefit(request: Request, public_id: str, session: DbSession, principal: Staff) -> Response:
    return _benefit_page(request, session, principal, public_id)


@router.post("/staff/unemployment/benefits/{public_id}/{action}")
def staff_change(request: Request, public_id: str, action: str, session: DbSession, principal: Staff,
                 on: Annotated[str, Form()], reason: Annotated[str, Form()] = "",
                 note: Optional = "") -> Response:
    found = service.get_benefit(session, actor=principal, public_id=public_id)
    done: dict[str, Any] = {"suspend": "已暂停发放", "resume": "已恢复发放", "stop": "已停止发放"}
    try:
        when = _date(on, "on")
        if action == "suspend":
            service.suspend(session, actor=principal, benefit=found, reason=reason, on=when, note=note or None)
        elif action == "stop":
            service.stop(session, actor=principal, benefit=found, reason=reason, on=when, note=note or None)
        elif action == "resume":
            service.resume(session, actor=principal, benefit=found, on=when)
        else:
            raise DomainError("renshe:unemployment/action", "未知的操作", 404, "未找到")
    except DomainError as exc:
        return _benefit_page(request, session, principal, public_id, errors=page_errors(exc, "reason"), status_code=422)
    return _benefit_page(request, session, principal, public_id, saved=f"{done[action]}，并已告知本人")


@router.post("/staff/unemployment/runs")
def staff_run(request: Request, session: ReadSession, principal: Staff, month: Annotated[str, Form(max_length=7)]
              ) -> Response:
    # The run commits chunk by chunk in units of work of its own (resumable); the request only reads.
    try:
        summary = jobs.run_payments(actor=principal, province=get_settings().province_code, month=month.strip())
    except (DomainError, ValidationError) as exc:
        errors = page_errors(exc, "month") if isinstance(exc, DomainError) else [
            FieldError("month", "renshe:unemployment/month", "发放月份格式应为YYYY-MM")]
        return _worklist(request, session, principal, errors=errors, status_code=422)
    out = jobs.run_out(summary)
    saved = f"{out.period}失业保险金{out.status_label}：本批发放{out.paid}笔，合计{out.amount}元"
    return _worklist(request, session, principal, saved=saved)
