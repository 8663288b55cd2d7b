"""Staff pages of data sharing: the catalog, consumer applications, the call log."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from renshe.core import db
from renshe.core.auth import Principal
from renshe.core.errors import FieldError, ValidationFailed
from renshe.core.http import DbSession, WriteSession, attempt, require_kind, templates
from renshe.core.settings import get_settings
from renshe.registry import service as registry
from renshe.sharing import jobs, policy, service
from renshe.sharing.models import CallLogEntry

router = APIRouter(include_in_schema=False)
Staff = Annotated[Principal, require_kind("staff")]
Citizen = Annotated[Principal, require_kind("citizen")]


@router.get("/staff/sharing")
def catalog_page(request: Request, session: WriteSession, principal: Staff) -> Response:
    policy.require(principal, "read-history")
    resources = [service.resource_out(r) for r in service.catalog(session)]
    return templates.render(request, "sharing_catalog.html", page_title="数据共享目录", resources=resources,
                            consumers=service.consumers(session), errors=[], created=None,
                            can_manage=principal.has("user.manage"))


@router.post("/staff/sharing/consumers")
def create_consumer(request: Request, session: DbSession, principal: Staff,
                    name: Annotated[str, Form()] = "", purpose: Annotated[str, Form()] = "",
                    legal_basis: Annotated[str, Form()] = "",
                    grants: Annotated[list[str] | None, Form()] = None) -> Response:
    created = None
    errors: list[FieldError] = []
    if not grants:
        errors.append(FieldError("grants", "renshe:sharing/no-grants", "请至少勾选一个授权资源"))
    elif len(purpose.strip()) < 2 or len(legal_basis.strip()) < 2:
        errors.append(FieldError("purpose", "renshe:sharing/purpose", "请填写用途和法律依据"))
    else:
        added, errors = attempt(lambda: service.add_consumer(
            session, actor=principal, name=name, grants=grants, purpose=purpose.strip(),
            legal_basis=legal_basis.strip()), field="name")
        if added is not None:
            consumer, secret = added
            created = {"client_id": consumer.client_id, "client_secret": secret, "name": consumer.name}
    resources = [service.resource_out(r) for r in service.catalog(session)]
    return templates.render(request, "sharing_catalog.html", status_code=422 if errors else 200,
                            page_title="数据共享目录", resources=resources, consumers=service.consumers(session),
                            errors=errors, created=created, can_manage=principal.has("user.manage"))


@router.get("/staff/sharing/calls")
def calls_page(request: Request, session: DbSession, principal: Staff,
               consumer: Annotated[str, Query(max_length=40)] = "", resource: Annotated[str, Query(max_length=64)] = "",
               outcome: Annotated[str, Query(max_length=8)] = "", subject: Annotated[str, Query(max_length=24)] = "",
               since: Annotated[str, Query(max_length=10)] = "", until: Annotated[str, Query(max_length=10)] = "",
               cursor: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    policy.require(principal, "monitor")
    errors: list[FieldError] = []
    days: dict[str, date | None] = {}
    for field, text, label in (("since", since, "开始日期"), ("until", until, "结束日期")):
        try:
            days[field] = date.fromisoformat(text) if text else None
        except ValueError:
            errors.append(FieldError(field, "renshe:sharing/date", f"{label}须为 YYYY-MM-DD 格式"))
            days[field] = None
    filters = service.CallFilter(consumer=consumer.strip(), resource=resource.strip(), outcome=outcome,
                                 subject=subject.strip(), since=days["since"], until=days["until"])
    calls: list[CallLogEntry] = []
    next_cursor = None
    if not errors:
        try:
            calls, next_cursor = service.search_calls(session, actor=principal, filters=filters, limit=50,
                                                      cursor=cursor)
        except ValidationFailed as exc:
            errors = exc.errors
    query = {k: v for k, v in {"consumer": consumer, "resource": resource, "outcome": outcome, "subject": subject,
                               "since": since, "until": until}.items() if v}
    return templates.render(request, "sharing_calls.html", page_title="共享调用日志", calls=calls, form=query,
                            errors=errors, next_cursor=next_cursor, query=urlencode(query),
                            consumers=service.consumers(session),
                            resources=[r.short_name for r in service.catalog(session)],
                            retention_days=get_settings().call_log_retention_days)


@router.get("/staff/sharing/dashboard")
def dashboard_page(request: Request, session: DbSession, principal: Staff,
                   days: Annotated[int, Query(ge=1, le=92)] = 14) -> Response:
    policy.require(principal, "monitor")
    stats = service.call_stats(session, actor=principal, days=days)
    names = [s.name for s in stats]
    charts = [
        {"title": "各调用方调用量（成功/失败）", "labels": names, "unit": "次", "series": [
            {"name": "成功", "values": [s.calls - s.errors for s in stats], "class": "ok"},
            {"name": "失败", "values": [s.errors for s in stats], "class": "failed"}]},
        {"title": "各调用方P95耗时", "labels": names, "unit": "毫秒", "series": [
            {"name": "P95耗时", "values": [s.p95_ms for s in stats], "class": "neutral"}]},
        *({"title": f"{s.name} 每日调用量", "labels": [d.strftime("%m-%d") for d, _ok, _failed in s.per_day],
           "unit": "次", "series": [{"name": "成功", "values": [ok for _d, ok, _f in s.per_day], "class": "ok"},
                                   {"name": "失败", "values": [f for _d, _ok, f in s.per_day], "class": "failed"}]}
          for s in stats),
    ]
    return templates.render(request, "sharing_dashboard.html", page_title="数据共享运行监测", stats=stats,
                            days=days, charts=charts)


RESOURCE_FIELDS = ("code", "short_name", "name", "provider", "provider_code", "summary", "items", "sharing_type",
                   "condition", "method", "update_cycle")


def _resource_form(values: dict[str, str]) -> tuple[service.LocalResource | None, list[FieldError]]:
    items, errors = service.parse_items(values.get("items", ""))
    if errors:
        return None, errors
    return service.LocalResource(
        code=values.get("code", "").strip(), short_name=values.get("short_name", "").strip(),
        name=values.get("name", "").strip(), provider=values.get("provider", "").strip(),
        provider_code=values.get("provider_code", "").strip().upper(), summary=values.get("summary", "").strip(),
        items=items, sharing_type=values.get("sharing_type", "conditional"),
        condition=values.get("condition", "").strip(), method=values.get("method", "").strip() or "接口",
        update_cycle=values.get("update_cycle", "").strip() or "实时"), []


async def _form_values(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: str(form.get(key, "")) for key in (*RESOURCE_FIELDS, "version")}


@router.get("/staff/sharing/resources/new")
def new_resource_page(request: Request, principal: Staff) -> Response:
    policy.require(principal, "manage")
    return templates.render(request, "sharing_resource_form.html", page_title="新增本地共享资源", resource=None,
                            form={"sharing_type": "conditional", "method": "接口", "update_cycle": "实时"},
                            errors=[])


@router.post("/staff/sharing/resources/new")
async def create_resource(request: Request, session: DbSession, principal: Staff) -> Response:
    policy.require(principal, "manage")
    values = await _form_values(request)
    data, errors = _resource_form(values)
    if data is not None:
        made, errors = await run_in_threadpool(
            attempt, lambda: service.add_local_resource(session, actor=principal, data=data), field="code")
        if made is not None:
            await run_in_threadpool(db.commit, session)
            return RedirectResponse(f"/staff/sharing/resources/{made.short_name}?saved=1", status_code=303)
    return templates.render(request, "sharing_resource_form.html", status_code=422, page_title="新增本地共享资源",
                            resource=None, form=values, errors=errors)


@router.get("/staff/sharing/resources/{short_name}")
def resource_page(request: Request, session: DbSession, principal: Staff, short_name: str,
                  saved: bool = False) -> Response:
    policy.require(principal, "read-history")
    resource = service.get_resource(session, short_name=short_name)
    form = {**{key: str(getattr(resource, key)) for key in RESOURCE_FIELDS if key != "items"},
            "items": "\n".join(f"{i['name']}:{i.get('type', 'string')}:{i.get('length', 0)}" for i in resource.items),
            "version": str(resource.version)}
    return templates.render(request, "sharing_resource_form.html", page_title=resource.name, resource=resource,
                            out=service.resource_out(resource), form=form, errors=[], saved=saved,
                            history=service.resource_history(session, resource=resource),
                            can_edit=resource.local and principal.has("user.manage"))


@router.post("/staff/sharing/resources/{short_name}")
async def edit_resource(request: Request, session: DbSession, principal: Staff, short_name: str) -> Response:
    policy.require(principal, "manage")
    values = await _form_values(request)
    data, errors = _resource_form({**values, "short_name": short_name, "code": values.get("code") or "x"})
    if data is not None:
        version = int(values["version"]) if values.get("version", "").isdigit() else None
        done, errors = await run_in_threadpool(attempt, lambda: service.update_local_resource(
            session, actor=principal, short_name=short_name, data=data, expected_version=version), field="name")
        if done is not None:
            await run_in_threadpool(db.commit, session)
            return RedirectResponse(f"/staff/sharing/resources/{short_name}?saved=1", status_code=303)
    resource = service.get_resource(session, short_name=short_name)
    return templates.render(request, "sharing_resource_form.html", status_code=422, page_title=resource.name,
                            resource=resource, out=service.resource_out(resource), form=values, errors=errors,
                            history=service.resource_history(session, resource=resource),
                            can_edit=resource.local and principal.has("user.manage"))


@router.get("/staff/sharing/batches")
def batches_page(request: Request, session: DbSession, principal: Staff,
                 cursor: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    policy.require(principal, "monitor")
    rows, next_cursor = jobs.recent_jobs(session, cursor=cursor)
    names = {c.client_id: c.name for c in service.consumers(session)}
    return templates.render(request, "sharing_batches.html", page_title="批量核验任务", jobs=rows, names=names,
                            next_cursor=next_cursor, result_days=get_settings().batch_result_days)


@router.get("/sharing/batches/{job_id}")
def batch_progress_page(request: Request, session: DbSession, job_id: str) -> Response:
    """The progress of one batch for the consumer's operator: counts only, reached by the job's unguessable id."""
    job = jobs.find_job(session, job_id=job_id)
    return templates.render(request, "sharing_batch.html", page_title="批量核验进度", job=job)


@router.get("/citizen/lookups")
def my_lookups(request: Request, session: DbSession, principal: Citizen) -> Response:
    """A person sees which departments looked them up and why."""
    person = registry.get_person(session, actor=principal, public_id=principal.subject)
    return templates.render(request, "sharing_mine.html", page_title="谁查询了我的信息",
                            lookups=service.lookups_of(session, person=person))
