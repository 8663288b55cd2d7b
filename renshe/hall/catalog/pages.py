"""Pages of the catalog administration (事项目录管理): publish a new version of a national specification
(国家统一规范) and adapt the local item to it (本地化调整: form, materials, promised time limit).

Forms and material lists are edited as JSON in a text area; every problem comes back beside its field in
Chinese (invalid JSON with its line and column, the schema subset, the material rules, promised ≤ legal).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from renshe.core.errors import FieldError
from renshe.core.http import DbSession, MaybePrincipal, attempt, templates
from renshe.hall import clock, forms, peers, schemas
from renshe.hall.catalog import service
from renshe.hall.webforms import Staff

router = APIRouter(include_in_schema=False)


async def _form_body(request: Request) -> FormData:
    return await request.form(max_fields=50)


Body = Annotated[FormData, Depends(_form_body)]
JSON_TITLES = {"form": "表单定义（JSON）", "materials": "申请材料（JSON）", "guide": "办事指南（JSON）"}


def _pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def _parse_json(values: dict[str, str], name: str, kind: type, errors: list[FieldError]) -> Any:
    """The JSON in text area NAME, or None with a message naming the line and column of the problem."""
    text = values.get(name, "").strip()
    title = JSON_TITLES[name]
    if not text:
        errors.append(FieldError(name, "renshe:hall/json-required", f"请填写“{title}”"))
        return None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        errors.append(FieldError(name, "renshe:hall/json-invalid",
                                 f"“{title}”不是有效的JSON：第{exc.lineno}行第{exc.colno}列附近有误（{exc.msg}）"))
        return None
    if not isinstance(parsed, kind):
        shape = "JSON对象（以 { 开头）" if kind is dict else "JSON数组（以 [ 开头）"
        errors.append(FieldError(name, "renshe:hall/json-shape", f"“{title}”应为{shape}"))
        return None
    return parsed


def _int(values: dict[str, str], name: str, title: str, errors: list[FieldError]) -> int | None:
    text = values.get(name, "").strip()
    if not text.isdigit():
        errors.append(FieldError(name, "renshe:hall/limit-number", f"“{title}”应为不小于0的整数（工作日）"))
        return None
    return int(text)


def _note(values: dict[str, str], title: str, errors: list[FieldError]) -> str:
    note = values.get("note", "").strip()
    if not 2 <= len(note) <= 500:
        errors.append(FieldError("note", "renshe:hall/note", f"请填写“{title}”（2至500个字）"))
    return note


def _page_fields(errors: list[FieldError]) -> list[FieldError]:
    """Map the service's field names onto this page's fields."""
    known = {"form", "materials", "promised_limit_days", "legal_limit_days", "case_type", "name", "note"}
    return [FieldError(e.field if e.field in known else "changes", e.code, e.message) for e in errors]


def _err_map(errors: list[FieldError]) -> dict[str, str]:
    found: dict[str, str] = {}
    for e in errors:
        found[e.field] = f"{found[e.field]}；{e.message}" if e.field in found else e.message
    return found


def _context(session: DbSession, code: str) -> dict[str, Any]:
    item = service.get_item(session, code)
    revision = service.current_revision(session, item)
    spec = service.latest_spec(session, code)
    summary = service.item_summary(item, revision, spec.version)
    return {"item": item, "revision": revision, "spec": spec, "summary": summary,
            "case_types": schemas.CASE_TYPE_LABELS}


# ---------------------------------------------------------------- 本地化调整


def _adapt_page(request: Request, session: DbSession, code: str, *, values: dict[str, str] | None = None,
                errors: list[FieldError] | None = None, status_code: int = 200) -> Response:
    context = _context(session, code)
    if values is None:
        # Adapting to a newer national version starts from that version; otherwise from the local revision.
        source = context["spec"] if context["summary"].needs_adaptation else context["revision"]
        values = {"promised_limit_days": str(context["item"].promised_limit_days), "note": "",
                  "form": _pretty(source.form), "materials": _pretty(source.materials)}
    return templates.render(request, "hall_catalog_admin.html", status_code=status_code, mode="adapt",
                            page_title=f"本地化调整：{context['item'].name}", values=values, errors=errors or [],
                            err=_err_map(errors or []), **context)


@router.get("/staff/hall/catalog/{code}/adapt")
def adapt_form(request: Request, code: str, session: DbSession, principal: Staff) -> Response:
    service.require_manager(principal)
    return _adapt_page(request, session, code)


@router.post("/staff/hall/catalog/{code}/adapt")
def adapt_post(request: Request, code: str, session: DbSession, principal: Staff, body: Body) -> Response:
    service.require_manager(principal)
    values = {k: v for k, v in body.items() if isinstance(v, str)}
    errors: list[FieldError] = []
    note = _note(values, "调整说明", errors)
    promised = _int(values, "promised_limit_days", "承诺时限", errors)
    form, materials = _definition(values, errors)
    if not errors:
        errors = _write(session, lambda: service.adapt_item(
            session, actor=principal, code=code, note=note, promised_limit_days=promised, form=form,
            materials=materials))
    if errors:
        return _adapt_page(request, session, code, values=values, errors=errors, status_code=422)
    return RedirectResponse(f"/staff/hall/catalog?done=adapt&code={code}", status_code=303)


def _definition(values: dict[str, str], errors: list[FieldError]) -> tuple[Any, Any]:
    """The form schema and materials list typed into the page, parsed and checked (errors appended)."""
    form = _parse_json(values, "form", dict, errors)
    materials = _parse_json(values, "materials", list, errors)
    if form is not None:
        errors += _form_problems(form)
    if materials is not None:
        errors += service.check_materials(materials)
    return form, materials


def _write(session: Session, action: Callable[[], object]) -> list[FieldError]:
    """Run the service write in a savepoint; a broken rule becomes this page's field errors."""
    _, errors = attempt(action, field="form", session=session)
    return _page_fields(errors)


def _form_problems(form: dict[str, Any]) -> list[FieldError]:
    try:
        forms.check_schema(form)
    except (forms.SchemaError, KeyError, TypeError, ValueError) as exc:
        return [FieldError("form", "renshe:hall/definition",
                           f"“表单定义（JSON）”不符合平台支持的JSON Schema子集：{exc}")]
    return []


# ---------------------------------------------------------------- 发布国家统一规范新版本


def _publish_page(request: Request, session: DbSession, code: str, *, values: dict[str, str] | None = None,
                  errors: list[FieldError] | None = None, status_code: int = 200) -> Response:
    context = _context(session, code)
    spec = context["spec"]
    if values is None:
        values = {"name": spec.name, "case_type": spec.case_type, "legal_limit_days": str(spec.legal_limit_days),
                  "published_on": clock.today().isoformat(), "note": "", "form": _pretty(spec.form),
                  "materials": _pretty(spec.materials)}
    return templates.render(request, "hall_catalog_admin.html", status_code=status_code, mode="publish",
                            page_title=f"发布国家统一规范新版本：{spec.name}", values=values, errors=errors or [],
                            err=_err_map(errors or []), adapt_months=service.ADAPTATION_MONTHS, **context)


@router.get("/staff/hall/catalog/{code}/publish")
def publish_form(request: Request, code: str, session: DbSession, principal: Staff) -> Response:
    service.require_manager(principal)
    return _publish_page(request, session, code)


@router.post("/staff/hall/catalog/{code}/publish")
def publish_post(request: Request, code: str, session: DbSession, principal: Staff, body: Body) -> Response:
    service.require_manager(principal)
    values = {k: v for k, v in body.items() if isinstance(v, str)}
    spec = service.latest_spec(session, code)
    errors: list[FieldError] = []
    note = _note(values, "变更说明", errors)
    name = values.get("name", "").strip()
    if not 2 <= len(name) <= 100:
        errors.append(FieldError("name", "renshe:hall/item-name", "请填写“事项名称”（2至100个字）"))
    case_type = values.get("case_type", "")
    if case_type not in schemas.CASE_TYPE_LABELS:
        errors.append(FieldError("case_type", "renshe:hall/case-type", "请选择“办件类型”：即办件或承诺件"))
    legal = _int(values, "legal_limit_days", "法定时限", errors)
    published_on = None
    try:
        published_on = date.fromisoformat(values.get("published_on", "").strip())
    except ValueError:
        errors.append(FieldError("published_on", "renshe:hall/published-on",
                                 "“发布日期”应为有效日期，格式为YYYY-MM-DD"))
    form, materials = _definition(values, errors)
    changes: dict[str, Any] = {}
    if not errors:
        proposed = {"name": name, "case_type": case_type, "legal_limit_days": legal, "form": form,
                    "materials": materials}
        changes = {k: v for k, v in proposed.items() if v != getattr(spec, k)}
        if not changes:
            errors.append(FieldError("changes", "renshe:hall/no-change", "与当前版本相比没有任何修改，无需发布新版本"))
    if not errors:
        errors = _write(session, lambda: service.publish_national(
            session, actor=principal, code=code, changes=changes, note=note, published_on=published_on))
    if errors:
        return _publish_page(request, session, code, values=values, errors=errors, status_code=422)
    return RedirectResponse(f"/staff/hall/catalog?done=publish&code={code}", status_code=303)


# ---------------------------------------------------------------- the guide and the staff's catalog


@router.get("/citizen/hall/items/{code}")
def guide_page(request: Request, code: str, session: DbSession, _principal: MaybePrincipal) -> Response:
    item = service.get_item(session, code)
    out = service.item_out(session, item)
    revision = service.current_revision(session, item)
    return templates.render(request, "hall_guide.html", page_title=f"办事指南：{item.name}", item=out,
                            fields=forms.check_schema(revision.form), lookup=service.lookup_of(revision),
                            interprovince=bool(peers.peers(session)))


@router.get("/staff/hall/catalog")
def staff_catalog(request: Request, session: DbSession, principal: Staff) -> Response:
    return templates.render(request, "hall_staff_catalog.html", page_title="本地事项目录",
                            rows=service.catalog(session), today=clock.today(),
                            is_admin=service.can_manage(principal))
