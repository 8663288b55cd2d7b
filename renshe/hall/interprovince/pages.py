"""Pages of 跨省通办 for citizens: apply here for an item another province handles."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from renshe.core.auth import Principal
from renshe.core.errors import FieldError
from renshe.core.http import DbSession, templates
from renshe.hall import peers
from renshe.hall.applications import web
from renshe.hall.interprovince import service as interprovince
from renshe.hall.webforms import Body, Citizen, try_write, values_of
from renshe.registry import service as registry

router = APIRouter(include_in_schema=False)


def _xp_page(request: Request, session: DbSession, principal: Principal, code: str, *, status_code: int = 200,
             values: dict[str, Any] | None = None, errors: list[FieldError] | None = None) -> Response:
    me = registry.get_person(session, actor=principal, public_id=principal.subject)
    context = web.form_context(session, person=me, item_code=code)
    provinces = [(p.province_code, interprovince.province_name(p.province_code)) for p in peers.peers(session)]
    return templates.render(request, "hall_xp_apply.html", status_code=status_code,
                            page_title=f"跨省通办：{context['item'].name}", values=values or {},
                            errors=errors or [], err=web.field_errors(errors or []), provinces=provinces,
                            modes=interprovince.MODES, action=f"/citizen/hall/items/{code}/interprovince",
                            applicant_name=me.name, **context)


@router.get("/citizen/hall/items/{code}/interprovince")
def xp_form(request: Request, code: str, session: DbSession, principal: Citizen) -> Response:
    return _xp_page(request, session, principal, code, values={"xp_mode": "collect"})


@router.post("/citizen/hall/items/{code}/interprovince")
def xp_apply(request: Request, code: str, session: DbSession, principal: Citizen, body: Body) -> Response:
    """File the item here for another province to handle (跨省通办), among the configured peer provinces."""
    values = values_of(body)
    province = values.get("xp_province", "")
    mode = values.get("xp_mode", "")
    division = values.get("xp_division", "").strip() or None
    errors: list[FieldError] = []
    if province not in {p.province_code for p in peers.peers(session)}:
        errors.append(FieldError("xp_province", "renshe:hall/xp-province", "请选择办理省份"))
    if mode not in interprovince.MODES:
        errors.append(FieldError("xp_mode", "renshe:hall/xp-mode", "请选择办理模式：代收代办或两地联办"))
    if division is not None and (len(division) != 6 or not division.isdigit()):
        errors.append(FieldError("xp_division", "renshe:hall/xp-division", "办理地应为6位区划代码，或留空由对方省分派"))
    if not errors:
        made: list[Any] = []
        error = try_write(session, lambda: made.append(interprovince.submit_forwarded(
            session, actor=principal, item_code=code, province=province, mode=mode, data=values,
            uploads=web.uploads(body), handling_division=division)))
        if error is None:
            return RedirectResponse(f"/citizen/applications/{made[0].public_id}?submitted=1", status_code=303)
        names = {"province": "xp_province", "mode": "xp_mode", "handling_division": "xp_division"}
        errors = [FieldError(names.get(e.field, e.field), e.code, e.message) for e in error.errors] or [
            FieldError("form", error.code, error.detail)]
    return _xp_page(request, session, principal, code, status_code=422, values=values, errors=errors)
