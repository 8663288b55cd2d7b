"""Pages of window applications (窗口代录): find the citizen and send the code, then file the form."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from renshe.core.errors import FieldError
from renshe.core.http import DbSession, templates
from renshe.core.settings import get_settings
from renshe.hall.applications import web
from renshe.hall.catalog import service as catalog
from renshe.hall.webforms import Body, Staff, try_write, values_of
from renshe.hall.window import service
from renshe.registry import service as registry

router = APIRouter(include_in_schema=False)


@router.get("/staff/hall/window")
def window_form(request: Request, session: DbSession, _principal: Staff) -> Response:
    return templates.render(request, "hall_window.html", page_title="窗口代录申请", step="start",
                            items=catalog.list_items(session), values={}, errors=[])


@router.post("/staff/hall/window")
def window_post(request: Request, session: DbSession, principal: Staff, body: Body) -> Response:
    values = values_of(body)
    item_code = values.get("item_code", "")
    id_number = values.get("id_number", "").strip().upper()
    step = values.get("step", "start")
    base: dict[str, Any] = {"page_title": "窗口代录申请", "items": catalog.list_items(session), "values": values}
    if step == "start":
        phones: list[str] = []
        error = try_write(session, lambda: phones.append(service.send_window_code(
            session, actor=principal, id_number=id_number, item_code=item_code)))
        if error is not None:
            return templates.render(request, "hall_window.html", status_code=422, step="start",
                                    errors=error.errors or [FieldError("id_number", error.code, error.detail)],
                                    **base)
        return _window_form(request, session, id_number=id_number, item_code=item_code, phone=phones[0], base=base)
    made: list[Any] = []
    # A wrong code counts against the attempts left (the error persists it): the page answers, the request commits.
    error = try_write(session, lambda: made.append(service.submit_at_window(
        session, actor=principal, item_code=item_code, id_number=id_number, code=values.get("code", ""),
        data=values, uploads=web.uploads(body))))
    if error is not None:
        return _window_form(request, session, id_number=id_number, item_code=item_code, phone=values.get("phone", ""),
                            base=base, errors=error.errors or [FieldError("form", error.code, error.detail)],
                            status_code=422)
    return RedirectResponse(f"/staff/hall/applications/{made[0].public_id}", status_code=303)


def _window_form(request: Request, session: DbSession, *, id_number: str, item_code: str, phone: str,
                 base: dict[str, Any], errors: list[FieldError] | None = None, status_code: int = 200) -> Response:
    person = registry.find_by_id_number(session, id_number=id_number)
    context = web.form_context(session, person=person, item_code=item_code)
    return templates.render(request, "hall_window.html", status_code=status_code, step="form", phone=phone,
                            id_number=id_number, applicant_name=person.name if person else "",
                            errors=errors or [], err=web.field_errors(errors or []),
                            action="/staff/hall/window", ttl=get_settings().otp_ttl_seconds,
                            **{k: v for k, v in base.items() if k != "items"}, **context)
