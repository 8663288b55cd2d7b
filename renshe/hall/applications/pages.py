"""Pages of applying online (在线申请): the apply form, the proxy (代办) check, and the submission."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from renshe.core.auth import Principal
from renshe.core.errors import FieldError
from renshe.core.http import DbSession, templates
from renshe.hall import schemas
from renshe.hall.applications import service, web
from renshe.hall.catalog import service as catalog
from renshe.hall.webforms import Body, Citizen, try_write, values_of
from renshe.registry import service as registry

router = APIRouter(include_in_schema=False)


def _apply_page(request: Request, session: DbSession, principal: Principal, code: str, *, status_code: int = 200,
                values: dict[str, Any] | None = None, errors: list[FieldError] | None = None,
                proxy: dict[str, str] | None = None, represented: Any = None) -> Response:
    me = registry.get_person(session, actor=principal, public_id=principal.subject)
    person = represented or me
    context = web.form_context(session, person=person, item_code=code)
    return templates.render(request, "hall_apply.html", status_code=status_code,
                            page_title=f"在线申请：{context['item'].name}", values=values or {},
                            errors=errors or [], err=web.field_errors(errors or []), proxy=proxy,
                            relationships=schemas.RELATIONSHIPS, action=f"/citizen/hall/items/{code}/apply",
                            applicant_name=person.name, **context)


@router.get("/citizen/hall/items/{code}/apply")
def apply_form(request: Request, code: str, session: DbSession, principal: Citizen,
               proxy: Annotated[bool, Query()] = False) -> Response:
    if proxy:
        item = catalog.get_item(session, code)
        return templates.render(request, "hall_proxy.html", page_title=f"代办：{item.name}", item=item,
                                values={}, errors=[], err={}, relationships=schemas.RELATIONSHIPS)
    return _apply_page(request, session, principal, code)


@router.post("/citizen/hall/items/{code}/proxy")
def proxy_check(request: Request, code: str, session: DbSession, principal: Citizen, body: Body) -> Response:
    """Verify the represented person, then show the form prefilled from their record."""
    values = values_of(body)
    me = registry.get_person(session, actor=principal, public_id=principal.subject)
    try:
        data = web.representation(values)
        represented, _ = service.verify_representation(session, agent=me, data=data)
    except Exception as exc:  # turned into messages, or re-raised, by _proxy_errors
        errors = web.proxy_errors(exc)
        item = catalog.get_item(session, code)
        return templates.render(request, "hall_proxy.html", status_code=422, page_title=f"代办：{item.name}",
                                item=item, values=values, errors=errors, err=web.field_errors(errors),
                                relationships=schemas.RELATIONSHIPS)
    proxy = {k: values.get(k, "") for k in web.PROXY_FIELDS}
    return _apply_page(request, session, principal, code, proxy=proxy, represented=represented)


@router.post("/citizen/hall/items/{code}/apply")
def apply(request: Request, code: str, session: DbSession, principal: Citizen, body: Body) -> Response:
    values = values_of(body)
    proxy = None
    represented = None
    representation = None
    if values.get("rep_id_number"):
        proxy = {k: values.get(k, "") for k in web.PROXY_FIELDS}
        try:
            representation = web.representation(values)
            me = registry.get_person(session, actor=principal, public_id=principal.subject)
            represented, _ = service.verify_representation(session, agent=me, data=representation)
        except Exception as exc:  # turned into messages, or re-raised, by _proxy_errors
            errors = web.proxy_errors(exc)
            item = catalog.get_item(session, code)
            return templates.render(request, "hall_proxy.html", status_code=422, page_title=f"代办：{item.name}",
                                    item=item, values=values, errors=errors, err=web.field_errors(errors),
                                    relationships=schemas.RELATIONSHIPS)
    made: list[Any] = []
    error = try_write(session, lambda: made.append(service.submit(
        session, actor=principal, item_code=code, data=values, uploads=web.uploads(body),
        representation=representation)))
    if error is not None:
        errors = error.errors or [FieldError("form", error.code, error.detail)]
        return _apply_page(request, session, principal, code, status_code=422, values=values, errors=errors,
                           proxy=proxy, represented=represented)
    return RedirectResponse(f"/citizen/applications/{made[0].public_id}?submitted=1", status_code=303)
