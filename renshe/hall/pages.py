"""Pages of the service hall: the catalog and service guides, the citizen's apply form and progress pages,
the staff queues and handling page, window applications, and large-type print views."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from renshe.core import divisions
from renshe.core.auth import Principal
from renshe.core.errors import DomainError, FieldError
from renshe.core.http import DbSession, MaybePrincipal, require_kind, templates
from renshe.core.settings import get_settings
from renshe.hall import (
    bundles,
    catalog_pages,
    forms,
    interprovince,
    oversight_pages,
    peers,
    schemas,
    service,
    supervision,
    workflow,
)
from renshe.hall.models import Application
from renshe.registry import service as registry
from renshe.sharing import service as sharing

router = APIRouter(include_in_schema=False)
# 督办, 好差评, 整改, 问题反馈, 一件事: first, so `/citizen/applications/{id}/rating` wins over the generic action.
router.include_router(oversight_pages.router)
router.include_router(catalog_pages.router)  # 事项目录管理: publish a national version, adapt the local item
Staff = Annotated[Principal, require_kind("staff")]
Citizen = Annotated[Principal, require_kind("citizen")]
SOURCES = {"demo": "演示数据", "import": "批量导入", "窗口登记": "窗口登记", "window": "窗口登记"}


async def _form_body(request: Request) -> FormData:
    return await request.form(max_files=40, max_fields=400)


Body = Annotated[FormData, Depends(_form_body)]


@lru_cache
def resource_names() -> dict[str, str]:
    return {r["short_name"]: r["name"] for r in sharing.national_catalog()}


def provenance_text(resource: str, source: str, updated_at: str) -> str:
    from datetime import datetime

    from renshe.core.http import local_time

    when = local_time(datetime.fromisoformat(updated_at)) if updated_at else ""
    return f"来源：{resource_names().get(resource, resource)}（{SOURCES.get(source, source)}），更新于 {when}"


def _values(body: FormData) -> dict[str, Any]:
    return {key: value for key, value in body.items() if isinstance(value, str)}


def _uploads(body: FormData) -> list[service.Upload]:
    """Files posted as `material:<code>`; an over-size file is cut at the limit + 1 byte (refused later)."""
    limit = service.max_upload_bytes()
    uploads = []
    for key, value in body.multi_items():
        if key.startswith("material:") and isinstance(value, UploadFile) and value.filename:
            uploads.append(service.Upload(key.split(":", 1)[1], value.filename, value.file.read(limit + 1)))
    return uploads


def _field_errors(errors: list[FieldError]) -> dict[str, str]:
    found: dict[str, str] = {}
    for e in errors:
        key = e.field.removeprefix("data.")
        found.setdefault(key, e.message)
    return found


def _form_context(session: DbSession, *, person: Any, item_code: str, own: bool) -> dict[str, Any]:
    item = service.get_item(session, item_code)
    revision = service.current_revision(session, item)
    fields = service.form_fields(revision)
    prefilled = service.prefill_for(session, person=person, revision=revision)
    locked: dict[str, dict[str, str]] = {}
    by_name = {f.name: f for f in fields}
    for name, p in prefilled.items():
        field = by_name[name]
        value = p.value
        if field.pii and not own:
            value = service.MASKERS[field.pii](str(value))
        display = field.label_of(value)
        if name == "residence_division":
            display = f"{value} {divisions.full_name(str(value))}"
        locked[name] = {"display": display,
                        "provenance": provenance_text(p.resource, p.source, p.updated_at.isoformat())}
    groups: list[tuple[str, list[forms.FormField]]] = []
    for field in fields:
        if not groups or groups[-1][0] != field.group:
            groups.append((field.group, []))
        groups[-1][1].append(field)
    materials = list(revision.materials)
    certified = service.certificate_materials(session, person=person, revision=revision) if person else {}
    return {"item": item, "revision": revision, "groups": groups, "locked": locked, "materials": materials,
            "certified": certified, "max_mb": service.max_upload_bytes() // (1024 * 1024)}


# ---------------------------------------------------------------- catalog and guides


@router.get("/citizen/hall")
def catalog_page(request: Request, session: DbSession, _principal: MaybePrincipal) -> Response:
    rows = service.catalog(session)
    return templates.render(request, "hall_catalog.html", page_title="办事服务（事项目录）", rows=rows,
                            bundles=bundles.definitions())


@router.get("/citizen/hall/items/{code}")
def guide_page(request: Request, code: str, session: DbSession, _principal: MaybePrincipal) -> Response:
    item = service.get_item(session, code)
    out = service.item_out(session, item)
    return templates.render(request, "hall_guide.html", page_title=f"办事指南：{item.name}", item=out,
                            fields=service.form_fields(service.current_revision(session, item)),
                            interprovince=bool(peers.peers(session)))


# ---------------------------------------------------------------- citizen: apply and follow


def _apply_page(request: Request, session: DbSession, principal: Principal, code: str, *, status_code: int = 200,
                values: dict[str, Any] | None = None, errors: list[FieldError] | None = None,
                proxy: dict[str, str] | None = None, represented: Any = None) -> Response:
    me = registry.get_person(session, actor=principal, public_id=principal.subject)
    person = represented or me
    context = _form_context(session, person=person, item_code=code, own=represented is None)
    return templates.render(request, "hall_apply.html", status_code=status_code,
                            page_title=f"在线申请：{context['item'].name}", values=values or {},
                            errors=errors or [], err=_field_errors(errors or []), proxy=proxy,
                            relationships=schemas.RELATIONSHIPS, action=f"/citizen/hall/items/{code}/apply",
                            applicant_name=person.name, **context)


@router.get("/citizen/hall/items/{code}/apply")
def apply_form(request: Request, code: str, session: DbSession, principal: Citizen,
               proxy: Annotated[bool, Query()] = False) -> Response:
    if proxy:
        item = service.get_item(session, code)
        return templates.render(request, "hall_proxy.html", page_title=f"代办：{item.name}", item=item,
                                values={}, errors=[], err={}, relationships=schemas.RELATIONSHIPS)
    return _apply_page(request, session, principal, code)


def _representation(values: dict[str, Any]) -> schemas.RepresentationIn:
    return schemas.RepresentationIn.model_validate({
        "id_number": values.get("rep_id_number", ""), "name": values.get("rep_name", ""),
        "relationship": values.get("rep_relationship", ""), "statement": values.get("rep_statement", "")})


def _proxy_errors(exc: Exception) -> list[FieldError]:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        names = {"id_number": "被代办人公民身份号码", "name": "被代办人姓名", "relationship": "与被代办人关系",
                 "statement": "授权声明"}
        return [FieldError(f"rep_{e['loc'][0]}", "renshe:hall/representation",
                           f"请正确填写“{names.get(str(e['loc'][0]), str(e['loc'][0]))}”"
                           + ("（至少10个字）" if e["loc"][0] == "statement" else "")) for e in exc.errors()]
    if isinstance(exc, DomainError):
        return [FieldError("rep_" + e.field.split(".")[-1], e.code, e.message) for e in exc.errors] or [
            FieldError("rep_id_number", exc.code, exc.detail)]
    raise exc


@router.post("/citizen/hall/items/{code}/proxy")
def proxy_check(request: Request, code: str, session: DbSession, principal: Citizen, body: Body) -> Response:
    """Verify the represented person, then show the form prefilled from their record."""
    values = _values(body)
    me = registry.get_person(session, actor=principal, public_id=principal.subject)
    try:
        data = _representation(values)
        represented, _ = service.verify_representation(session, agent=me, data=data)
    except Exception as exc:  # turned into messages, or re-raised, by _proxy_errors
        errors = _proxy_errors(exc)
        item = service.get_item(session, code)
        return templates.render(request, "hall_proxy.html", status_code=422, page_title=f"代办：{item.name}",
                                item=item, values=values, errors=errors, err=_field_errors(errors),
                                relationships=schemas.RELATIONSHIPS)
    proxy = {k: values.get(k, "") for k in ("rep_id_number", "rep_name", "rep_relationship", "rep_statement")}
    return _apply_page(request, session, principal, code, proxy=proxy, represented=represented)


@router.post("/citizen/hall/items/{code}/apply")
def apply(request: Request, code: str, session: DbSession, principal: Citizen, body: Body) -> Response:
    values = _values(body)
    proxy = None
    represented = None
    representation = None
    if values.get("rep_id_number"):
        proxy = {k: values.get(k, "") for k in ("rep_id_number", "rep_name", "rep_relationship", "rep_statement")}
        try:
            representation = _representation(values)
            me = registry.get_person(session, actor=principal, public_id=principal.subject)
            represented, _ = service.verify_representation(session, agent=me, data=representation)
        except Exception as exc:  # turned into messages, or re-raised, by _proxy_errors
            errors = _proxy_errors(exc)
            item = service.get_item(session, code)
            return templates.render(request, "hall_proxy.html", status_code=422, page_title=f"代办：{item.name}",
                                    item=item, values=values, errors=errors, err=_field_errors(errors),
                                    relationships=schemas.RELATIONSHIPS)
    try:
        application = service.submit(session, actor=principal, item_code=code, data=values,
                                     uploads=_uploads(body), representation=representation)
    except DomainError as exc:
        if exc.status in (401, 403):
            raise
        session.rollback()
        errors = exc.errors or [FieldError("form", exc.code, exc.detail)]
        return _apply_page(request, session, principal, code, status_code=422, values=values, errors=errors,
                           proxy=proxy, represented=represented)
    return RedirectResponse(f"/citizen/applications/{application.public_id}?submitted=1", status_code=303)


# ---------------------------------------------------------------- citizen: 跨省通办


def _xp_page(request: Request, session: DbSession, principal: Principal, code: str, *, status_code: int = 200,
             values: dict[str, Any] | None = None, errors: list[FieldError] | None = None) -> Response:
    me = registry.get_person(session, actor=principal, public_id=principal.subject)
    context = _form_context(session, person=me, item_code=code, own=True)
    provinces = [(p.province_code, interprovince.province_name(p.province_code)) for p in peers.peers(session)]
    return templates.render(request, "hall_xp_apply.html", status_code=status_code,
                            page_title=f"跨省通办：{context['item'].name}", values=values or {},
                            errors=errors or [], err=_field_errors(errors or []), provinces=provinces,
                            modes=interprovince.MODES, action=f"/citizen/hall/items/{code}/interprovince",
                            applicant_name=me.name, **context)


@router.get("/citizen/hall/items/{code}/interprovince")
def xp_form(request: Request, code: str, session: DbSession, principal: Citizen) -> Response:
    return _xp_page(request, session, principal, code, values={"xp_mode": "collect"})


@router.post("/citizen/hall/items/{code}/interprovince")
def xp_apply(request: Request, code: str, session: DbSession, principal: Citizen, body: Body) -> Response:
    """File the item here for another province to handle (跨省通办), among the configured peer provinces."""
    values = _values(body)
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
        try:
            application = interprovince.submit_forwarded(
                session, actor=principal, item_code=code, province=province, mode=mode, data=values,
                uploads=_uploads(body), handling_division=division)
        except DomainError as exc:
            if exc.status in (401, 403):
                raise
            session.rollback()
            names = {"province": "xp_province", "mode": "xp_mode", "handling_division": "xp_division"}
            errors = [FieldError(names.get(e.field, e.field), e.code, e.message) for e in exc.errors] or [
                FieldError("form", exc.code, exc.detail)]
        else:
            return RedirectResponse(f"/citizen/applications/{application.public_id}?submitted=1", status_code=303)
    return _xp_page(request, session, principal, code, status_code=422, values=values, errors=errors)


@router.get("/citizen/applications")
def my_applications(request: Request, session: DbSession, principal: Citizen) -> Response:
    rows = [service.summary_out(session, a) for a in service.applications_of(session, actor=principal)]
    return templates.render(request, "hall_my_applications.html", page_title="我的办件", rows=rows)


def _detail(session: DbSession, application: Application, principal: Principal) -> dict[str, Any]:
    out = service.application_out(session, application, actor=principal)
    groups: list[tuple[str, list[schemas.FieldValue]]] = []
    for value in out.form:
        if not groups or groups[-1][0] != value.group:
            groups.append((value.group, []))
        groups[-1][1].append(value)
    provenance = {name: provenance_text(p["resource"], p["source"], p["updated_at"])
                  for name, p in (application.prefill or {}).items()}
    return {"app": out, "groups": groups, "provenance": provenance,
            **oversight_pages.detail_extras(session, application, principal)}


@router.get("/citizen/applications/{public_id}")
def my_application(request: Request, public_id: str, session: DbSession, principal: Citizen,
                   submitted: bool = False) -> Response:
    application = service.get_application(session, actor=principal, public_id=public_id)
    return _citizen_detail(request, session, application, principal, submitted=submitted)


def _citizen_detail(request: Request, session: DbSession, application: Application, principal: Principal, *,
                    status_code: int = 200, errors: list[FieldError] | None = None, submitted: bool = False,
                    values: dict[str, Any] | None = None) -> Response:
    context = _detail(session, application, principal)
    fields = [f for f in service.form_fields(application.revision) if f.name not in (application.prefill or {})]
    materials = [m for m in application.revision.materials if not m.get("shared")]
    return templates.render(request, "hall_citizen_application.html", status_code=status_code,
                            page_title=f"办件详情 {application.number}", submitted=submitted, errors=errors or [],
                            err=_field_errors(errors or []), editable=fields, materials=materials,
                            current=service.form_data(application) if values is None else values, **context)


@router.post("/citizen/applications/{public_id}/{action}")
def citizen_act(request: Request, public_id: str, action: str, session: DbSession, principal: Citizen,
                body: Body) -> Response:
    application = service.get_application(session, actor=principal, public_id=public_id)
    if action not in ("resubmit", "withdraw"):
        return RedirectResponse(f"/citizen/applications/{public_id}", status_code=303)
    values = _values(body)
    try:
        service.act(session, actor=principal, application=application, action=action, data=values,
                    uploads=_uploads(body))
    except DomainError as exc:
        if exc.status in (401, 403):
            raise
        session.rollback()
        application = service.get_application(session, actor=principal, public_id=public_id)
        return _citizen_detail(request, session, application, principal, status_code=exc.status,
                               errors=exc.errors or [FieldError("form", exc.code, exc.detail)],
                               values={**service.form_data(application), **values})
    return RedirectResponse(f"/citizen/applications/{public_id}", status_code=303)


def _print(request: Request, session: DbSession, application: Application, principal: Principal,
           kind: str) -> Response:
    context = _detail(session, application, principal)
    if kind == "result":
        snapshot = service.decision_of(session, application)
        if snapshot is None:
            return templates.render(request, "error.html", status_code=409, page_title="尚未办结", title="尚未办结",
                                    detail="该办件尚未办结，暂无结果通知书", errors=[])
        context["snapshot"] = snapshot
        return templates.render(request, "hall_print_result.html", page_title=f"结果通知书 {application.number}",
                                **context)
    if application.accepted_at is None:
        return templates.render(request, "error.html", status_code=409, page_title="尚未受理", title="尚未受理",
                                detail="该办件尚未受理，暂无受理回执", errors=[])
    return templates.render(request, "hall_print_receipt.html", page_title=f"受理回执 {application.number}",
                            **context)


@router.get("/citizen/applications/{public_id}/print/{kind}")
def citizen_print(request: Request, public_id: str, kind: str, session: DbSession, principal: Citizen) -> Response:
    application = service.get_application(session, actor=principal, public_id=public_id)
    return _print(request, session, application, principal, "result" if kind == "result" else "receipt")


# ---------------------------------------------------------------- staff


@router.get("/staff/hall")
def staff_queue(request: Request, session: DbSession, principal: Staff,
                item: Annotated[str, Query(max_length=40)] = "", state: Annotated[str, Query(max_length=32)] = "",
                due: Annotated[str, Query(max_length=10)] = "", cursor: str | None = None) -> Response:
    rows, next_cursor = service.queue(session, actor=principal, item_code=item or None, state=state or None,
                                      near_due=due == "near", overdue=due == "overdue", cursor=cursor)
    return templates.render(
        request, "hall_queue.html", page_title="一网通办 办件队列",
        rows=[service.summary_out(session, a) for a in rows],
        next_cursor=next_cursor, items=service.list_items(session), states=workflow.DEFAULT_LABELS,
        filters={"item": item, "state": state, "due": due},
        default_states=service.default_states(principal),
        notices=supervision.open_notices(session, actor=principal, limit=20),
        division_name=divisions.full_name(principal.division_code) or "全国")


@router.get("/staff/hall/applications/{public_id}")
def staff_application(request: Request, public_id: str, session: DbSession, principal: Staff) -> Response:
    application = service.get_application(session, actor=principal, public_id=public_id)
    return _staff_detail(request, session, application, principal)


def _staff_detail(request: Request, session: DbSession, application: Application, principal: Principal, *,
                  status_code: int = 200, errors: list[FieldError] | None = None) -> Response:
    context = _detail(session, application, principal)
    steps = service.available_actions(session, principal, application)
    actions = {s.action: s for s in steps}
    blocked = None
    if application.accepted_by == principal.subject and application.state in ("accepted", "reviewed") \
            and "reviewer" in principal.roles and not ({"review", "approve"} & set(actions)):
        blocked = "您是本办件的受理人，按规定不能审核本办件，请交由其他审核人员办理。"
    return templates.render(request, "hall_staff_application.html", status_code=status_code,
                            page_title=f"办件 {application.number}", actions=actions, errors=errors or [],
                            blocked=blocked, deliveries=schemas.DELIVERY_METHODS, **context)


@router.post("/staff/hall/applications/{public_id}/act")
def staff_act(request: Request, public_id: str, session: DbSession, principal: Staff, body: Body) -> Response:
    application = service.get_application(session, actor=principal, public_id=public_id)
    values = _values(body)
    action = values.get("action", "")
    reason = values.get("reason") or None
    supplement = [line for line in (values.get("supplement") or "").splitlines() if line.strip()]
    version = values.get("version", "")
    steps = [action]
    # 审核并办结: one button records both steps, review then the decision.
    if action in ("review_approve", "review_refuse"):
        steps = ["review", action.removeprefix("review_")]
    try:
        for i, step in enumerate(steps):
            service.act(session, actor=principal, application=application, action=step, reason=reason,
                        supplement=supplement, delivery_method=values.get("delivery_method") or None,
                        expected_version=int(version) if version.isdigit() and i == 0 else None)
    except DomainError as exc:
        if exc.status == 401:
            raise
        session.rollback()
        application = service.get_application(session, actor=principal, public_id=public_id)
        return _staff_detail(request, session, application, principal, status_code=exc.status,
                             errors=exc.errors or [FieldError("action", exc.code, exc.detail)])
    return RedirectResponse(f"/staff/hall/applications/{public_id}?done={steps[-1]}", status_code=303)


@router.get("/staff/hall/applications/{public_id}/print/{kind}")
def staff_print(request: Request, public_id: str, kind: str, session: DbSession, principal: Staff) -> Response:
    application = service.get_application(session, actor=principal, public_id=public_id)
    return _print(request, session, application, principal, "result" if kind == "result" else "receipt")


@router.get("/staff/hall/catalog")
def staff_catalog(request: Request, session: DbSession, principal: Staff) -> Response:
    return templates.render(request, "hall_staff_catalog.html", page_title="本地事项目录",
                            rows=service.catalog(session), today=service.today(),
                            is_admin=catalog_pages.is_catalog_admin(principal))


@router.get("/staff/hall/window")
def window_form(request: Request, session: DbSession, _principal: Staff) -> Response:
    return templates.render(request, "hall_window.html", page_title="窗口代录申请", step="start",
                            items=service.list_items(session), values={}, errors=[])


@router.post("/staff/hall/window")
def window_post(request: Request, session: DbSession, principal: Staff, body: Body) -> Response:
    values = _values(body)
    item_code = values.get("item_code", "")
    id_number = values.get("id_number", "").strip().upper()
    step = values.get("step", "start")
    base: dict[str, Any] = {"page_title": "窗口代录申请", "items": service.list_items(session), "values": values}
    if step == "start":
        try:
            phone = service.send_window_code(session, actor=principal, id_number=id_number, item_code=item_code)
        except DomainError as exc:
            if exc.status in (401, 403):
                raise
            return templates.render(request, "hall_window.html", status_code=422, step="start",
                                    errors=exc.errors or [FieldError("id_number", exc.code, exc.detail)], **base)
        return _window_form(request, session, id_number=id_number, item_code=item_code, phone=phone, base=base)
    try:
        application = service.submit_at_window(session, actor=principal, item_code=item_code, id_number=id_number,
                                               code=values.get("code", ""), data=values, uploads=_uploads(body))
    except DomainError as exc:
        if exc.status in (401, 403):
            raise
        if any(e.code == service.WINDOW_CODE_ERROR for e in exc.errors):
            pass  # a wrong code counts against the attempts left: the page answers, the request commits
        else:
            session.rollback()
        return _window_form(request, session, id_number=id_number, item_code=item_code, phone=values.get("phone", ""),
                            base=base, errors=exc.errors or [FieldError("form", exc.code, exc.detail)],
                            status_code=422)
    return RedirectResponse(f"/staff/hall/applications/{application.public_id}", status_code=303)


def _window_form(request: Request, session: DbSession, *, id_number: str, item_code: str, phone: str,
                 base: dict[str, Any], errors: list[FieldError] | None = None, status_code: int = 200) -> Response:
    person = registry.find_by_id_number(session, id_number=id_number)
    context = _form_context(session, person=person, item_code=item_code, own=False)
    return templates.render(request, "hall_window.html", status_code=status_code, step="form", phone=phone,
                            id_number=id_number, applicant_name=person.name if person else "",
                            errors=errors or [], err=_field_errors(errors or []),
                            action="/staff/hall/window", ttl=get_settings().otp_ttl_seconds,
                            **{k: v for k, v in base.items() if k != "items"}, **context)
