"""Pages of applying online (在线申请): the apply form, acting for someone (代办: who, their consent by a code
to their phone or their standing authorisation, then the form), the submission, and the citizen's own
authorisations (代办授权: grant, list, revoke)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.responses import Response

from renshe.core.auth import Principal
from renshe.core.errors import DomainError, FieldError
from renshe.core.http import DbSession, form_errors, templates
from renshe.hall import clock, schemas
from renshe.hall.applications import consent, service, web
from renshe.hall.catalog import service as catalog
from renshe.hall.webforms import Body, Citizen, try_write, values_of
from renshe.registry import service as registry

router = APIRouter(include_in_schema=False)
CONSENT_ERRORS = {consent.MISMATCH_CODE, consent.CONSENT_REQUIRED, "renshe:hall/consent-code",
                  "renshe:hall/represent-self", "renshe:hall/representation"}


def _apply_page(request: Request, session: DbSession, principal: Principal, code: str, *, status_code: int = 200,
                values: dict[str, Any] | None = None, errors: list[FieldError] | None = None,
                proxy: dict[str, str] | None = None, represented: Any = None) -> Response:
    """The form: the citizen's own, or (only once consent is proven) the represented person's."""
    me = registry.get_person(session, actor=principal, public_id=principal.subject)
    person = represented or me
    context = web.form_context(session, person=person, item_code=code)
    return templates.render(request, "hall_apply.html", status_code=status_code,
                            page_title=f"在线申请：{context['item'].name}", values=values or {},
                            errors=errors or [], err=web.field_errors(errors or []), proxy=proxy,
                            relationships=schemas.RELATIONSHIPS, action=f"/citizen/hall/items/{code}/apply",
                            applicant_name=person.name, **context)


def _proxy_page(request: Request, session: DbSession, code: str, *, step: str = "who", status_code: int = 200,
                values: dict[str, Any] | None = None, errors: list[FieldError] | None = None) -> Response:
    """代办 before consent: who (step `who`), or the code the represented person passes on (step `code`).
    Nothing about the represented person is shown here."""
    item = catalog.get_item(session, code)
    errors = errors or []
    return templates.render(request, "hall_proxy.html", status_code=status_code, page_title=f"代办：{item.name}",
                            item=item, step=step, values=values or {}, errors=errors, err=web.field_errors(errors),
                            relationships=schemas.RELATIONSHIPS)


@router.get("/citizen/hall/items/{code}/apply")
def apply_form(request: Request, code: str, session: DbSession, principal: Citizen,
               proxy: Annotated[bool, Query()] = False) -> Response:
    lookup = catalog.lookup_of(catalog.current_revision(session, catalog.get_item(session, code)))
    if lookup:  # an instant lookup (即时查询): answered by its page, no application is filed
        return RedirectResponse(lookup, status_code=303)
    if proxy:
        return _proxy_page(request, session, code)
    return _apply_page(request, session, principal, code)


def _proxy_fields(values: dict[str, str], **extra: str) -> dict[str, str]:
    return {**{k: values.get(k, "") for k in web.PROXY_FIELDS}, **extra}


@router.post("/citizen/hall/items/{code}/proxy")
def proxy_check(request: Request, code: str, session: DbSession, principal: Citizen, body: Body) -> Response:
    """Check who is represented (one answer for any mismatch) and ask their consent: with a standing
    authorisation go on to the form, else send them a code and ask for it."""
    values = values_of(body)
    values.pop("rep_consent", None)
    try:
        data = web.representation(values)
    except ValidationError as exc:
        errors = web.proxy_errors(exc)
        return _proxy_page(request, session, code, status_code=422, values=values, errors=errors)
    answer: list[str] = []
    error = try_write(session, lambda: answer.append(consent.request_consent(
        session, actor=principal, item_code=code, id_number=data.id_number, name=data.name)))
    if error is not None:
        return _proxy_page(request, session, code, status_code=error.status if error.status == 429 else 422,
                           values=values, errors=web.proxy_errors(error))
    if answer[0] == "standing":
        represented = consent.consented_person(session, actor=principal, item_code=code, data=data)
        return _apply_page(request, session, principal, code, proxy=_proxy_fields(values), represented=represented)
    return _proxy_page(request, session, code, step="code", values=values)


@router.post("/citizen/hall/items/{code}/proxy/confirm")
def proxy_confirm(request: Request, code: str, session: DbSession, principal: Citizen, body: Body) -> Response:
    """The represented person's code, passed on: their consent for this item, then the form."""
    values = values_of(body)
    try:
        data = web.representation(values)
    except ValidationError as exc:
        return _proxy_page(request, session, code, status_code=422, values=values, errors=web.proxy_errors(exc))
    made: list[str] = []
    error = try_write(session, lambda: made.append(consent.confirm_code(session, actor=principal, item_code=code,
                                                                        data=data)))
    if error is not None:
        errors = web.proxy_errors(error)
        step = "code" if error.code == "renshe:hall/consent-code" else "who"
        return _proxy_page(request, session, code, step=step, status_code=422, values=values, errors=errors)
    ticket = data.model_copy(update={"consent": made[0], "code": None})
    represented = consent.consented_person(session, actor=principal, item_code=code, data=ticket)
    return _apply_page(request, session, principal, code, proxy=_proxy_fields(values, rep_consent=made[0]),
                       represented=represented)


@router.post("/citizen/hall/items/{code}/apply")
def apply(request: Request, code: str, session: DbSession, principal: Citizen, body: Body) -> Response:
    values = values_of(body)
    proxy = None
    representation = None
    if values.get("rep_id_number"):
        proxy = _proxy_fields(values)
        try:
            representation = web.representation(values)
        except ValidationError as exc:
            return _proxy_page(request, session, code, status_code=422, values=values, errors=web.proxy_errors(exc))
    made: list[Any] = []
    error = try_write(session, lambda: made.append(service.submit(
        session, actor=principal, item_code=code, data=values, uploads=web.uploads(body),
        representation=representation)))
    if error is not None:
        errors = error.errors or [FieldError("form", error.code, error.detail)]
        represented = None
        if representation is not None:
            represented = consent.consented_person(session, actor=principal, item_code=code, data=representation)
            if represented is None or any(e.code in CONSENT_ERRORS for e in errors):
                values.pop("rep_consent", None)
                return _proxy_page(request, session, code, status_code=422, values=values,
                                   errors=web.proxy_errors(error))
        return _apply_page(request, session, principal, code, status_code=422, values=values, errors=errors,
                           proxy=proxy, represented=represented)
    return RedirectResponse(f"/citizen/applications/{made[0].public_id}?submitted=1", status_code=303)


# ---------------------------------------------------------------- 代办授权: the grantor's own page


def _authorisations_page(request: Request, session: DbSession, principal: Principal, *, status_code: int = 200,
                         values: dict[str, Any] | None = None, errors: list[FieldError] | None = None,
                         done: str = "") -> Response:
    errors = errors or []
    rows = consent.authorisations_of(session, actor=principal)
    return templates.render(
        request, "hall_authorisations.html", status_code=status_code, page_title="代办授权", values=values or {},
        errors=errors, err=web.field_errors(errors), given=[r for r in rows if r.role == "grantor"],
        received=[r for r in rows if r.role == "agent"], relationships=schemas.RELATIONSHIPS,
        items=catalog.list_items(session), today=clock.today(), done=done)


@router.get("/citizen/authorisations")
def authorisations(request: Request, session: DbSession, principal: Citizen,
                   done: Annotated[str, Query(max_length=16)] = "") -> Response:
    return _authorisations_page(request, session, principal, done=done)


@router.post("/citizen/authorisations")
def grant_authorisation(request: Request, session: DbSession, principal: Citizen, body: Body) -> Response:
    values = values_of(body)
    try:
        data = schemas.AuthorisationIn.model_validate({
            "agent_id_number": values.get("agent_id_number", ""), "agent_name": values.get("agent_name", ""),
            "relationship": values.get("relationship", ""), "item_code": values.get("item_code") or None,
            "valid_until": values.get("valid_until", "")})
    except ValidationError as exc:
        return _authorisations_page(request, session, principal, status_code=422, values=values,
                                    errors=form_errors(exc))
    error: DomainError | None = try_write(session, lambda: consent.grant(session, actor=principal, data=data))
    if error is not None:
        errors = [FieldError(e.field.replace("agent.", "agent_"), e.code, e.message) for e in error.errors] or [
            FieldError("form", error.code, error.detail)]
        return _authorisations_page(request, session, principal, status_code=422, values=values, errors=errors)
    return RedirectResponse("/citizen/authorisations?done=granted", status_code=303)


@router.post("/citizen/authorisations/{public_id}/revoke")
def revoke_authorisation(public_id: str, session: DbSession, principal: Citizen) -> Response:
    consent.revoke(session, actor=principal, public_id=public_id)
    return RedirectResponse("/citizen/authorisations?done=revoked", status_code=303)
