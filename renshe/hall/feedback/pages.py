"""Pages of 问题反馈: raise a ticket (staff and citizens), the tickets in reach, assign, resolve, close."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from renshe.core.auth import Principal
from renshe.core.errors import FieldError
from renshe.core.http import DbSession, templates
from renshe.hall.catalog import service as catalog
from renshe.hall.feedback import service as feedback
from renshe.hall.webforms import Body, Citizen, Staff, err_map, errors_of, try_write, values_of

router = APIRouter(include_in_schema=False)


def _feedback(request: Request, session: DbSession, principal: Principal, *, status_code: int = 200,
              errors: list[FieldError] | None = None, values: dict[str, str] | None = None) -> Response:
    rows = feedback.visible(session, actor=principal)
    staff = feedback.handles_tickets(principal)
    return templates.render(request, "hall_feedback.html", status_code=status_code, page_title="问题反馈",
                            rows=rows, late=feedback.overdue(rows), kinds=feedback.KINDS, statuses=feedback.STATUSES,
                            errors=errors or [], err=err_map(errors or []), values=values or {},
                            items=catalog.list_items(session), staff=staff,
                            supervisor=feedback.can_assign(principal),
                            base="/staff/hall/feedback" if staff else "/citizen/hall/feedback")


@router.get("/staff/hall/feedback")
def staff_feedback(request: Request, session: DbSession, principal: Staff) -> Response:
    return _feedback(request, session, principal)


@router.get("/citizen/hall/feedback")
def citizen_feedback(request: Request, session: DbSession, principal: Citizen) -> Response:
    return _feedback(request, session, principal)


def _raise(request: Request, session: DbSession, principal: Principal, body: FormData, base: str) -> Response:
    values = values_of(body)
    error = try_write(session, lambda: feedback.raise_ticket(
        session, actor=principal, kind=values.get("kind", ""), title=values.get("title", ""),
        description=values.get("description", ""), item_code=values.get("item_code") or None,
        division_code=values.get("division_code") or None))
    if error is not None:
        return _feedback(request, session, principal, status_code=422, errors=errors_of(error, "title"),
                         values=values)
    return RedirectResponse(f"{base}?raised=1", status_code=303)


@router.post("/staff/hall/feedback")
def staff_raise(request: Request, session: DbSession, principal: Staff, body: Body) -> Response:
    return _raise(request, session, principal, body, "/staff/hall/feedback")


@router.post("/citizen/hall/feedback")
def citizen_raise(request: Request, session: DbSession, principal: Citizen, body: Body) -> Response:
    return _raise(request, session, principal, body, "/citizen/hall/feedback")


@router.post("/staff/hall/feedback/{public_id}")
def staff_ticket_act(request: Request, public_id: str, session: DbSession, principal: Staff, body: Body) -> Response:
    ticket = feedback.get_ticket(session, actor=principal, public_id=public_id)
    values = values_of(body)
    days = values.get("workdays", "")
    error = try_write(session, lambda: feedback.act(
        session, actor=principal, ticket=ticket, action=values.get("action", ""),
        division_code=values.get("division_code", ""), workdays=int(days) if days.isdigit() else None,
        note=values.get("note", "")), raising=frozenset({401}))
    if error is not None:
        return _feedback(request, session, principal, status_code=error.status, errors=errors_of(error, "note"))
    return RedirectResponse("/staff/hall/feedback", status_code=303)
