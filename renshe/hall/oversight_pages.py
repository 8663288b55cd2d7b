"""Pages of the hall's oversight: 超期督办 (list, notices, statistics with charts), 好差评 (the citizen's
rating form, the window tablet page, dashboards), 整改 (cases and the public page of rectified cases),
问题反馈, and 一件事 (one form, joint progress)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from renshe.core import divisions
from renshe.core.auth import Principal
from renshe.core.errors import DomainError, FieldError
from renshe.core.http import DbSession, MaybePrincipal, require_kind, templates
from renshe.hall import bundles, charts, feedback, interprovince, reviews, service, supervision
from renshe.hall.models import Application
from renshe.registry import service as registry

router = APIRouter(include_in_schema=False)
Staff = Annotated[Principal, require_kind("staff")]
Citizen = Annotated[Principal, require_kind("citizen")]


async def _form_body(request: Request) -> FormData:
    return await request.form(max_files=40, max_fields=400)


Body = Annotated[FormData, Depends(_form_body)]


def _values(body: FormData) -> dict[str, str]:
    return {key: value for key, value in body.items() if isinstance(value, str)}


def _errors(exc: DomainError, field: str) -> list[FieldError]:
    return exc.errors or [FieldError(field, exc.code, exc.detail)]


def _err_map(errors: list[FieldError]) -> dict[str, str]:
    found: dict[str, str] = {}
    for e in errors:
        found.setdefault(e.field.removeprefix("data."), e.message)
    return found


# ---------------------------------------------------------------- 超期督办


@router.get("/staff/hall/supervision")
def supervision_page(request: Request, session: DbSession, principal: Staff,
                     kind: Annotated[str, Query(max_length=10)] = "overdue", cursor: str | None = None,
                     done: str = "") -> Response:
    kind = "near" if kind == "near" else "overdue"
    rows, next_cursor = supervision.watch_list(session, actor=principal, kind=kind, cursor=cursor)
    return templates.render(
        request, "hall_supervision.html", page_title="超期督办", kind=kind, next_cursor=next_cursor,
        rows=[(service.summary_out(session, a), supervision.notices_of(session, a)) for a in rows],
        counts=supervision.counts(session, actor=principal), done=done,
        division_name=divisions.full_name(principal.division_code) or "全国",
        near_days=service.near_due_workdays(), escalate_days=supervision.escalate_after_workdays())


@router.post("/staff/hall/supervision/{public_id}/notice")
def supervision_notice(public_id: str, session: DbSession, principal: Staff, body: Body) -> Response:
    application = service.get_application(session, actor=principal, public_id=public_id)
    values = _values(body)
    try:
        supervision.issue_notice(session, actor=principal, application=application,
                                 message=values.get("message", ""))
    except DomainError as exc:
        if exc.status in (401, 403):
            raise
        session.rollback()
        return RedirectResponse(f"/staff/hall/supervision?done=error:{exc.code.rsplit('/', 1)[-1]}", status_code=303)
    return RedirectResponse(f"/staff/hall/supervision?done=notice:{application.number}", status_code=303)


@router.post("/staff/hall/supervision/scan")
def supervision_scan(session: DbSession, principal: Staff) -> Response:
    result = supervision.scan(session, actor=principal)
    return RedirectResponse(f"/staff/hall/supervision?done=scan:{result.issued}:{result.escalated}", status_code=303)


@router.get("/staff/hall/supervision/stats")
def supervision_stats(request: Request, session: DbSession, principal: Staff, since: date | None = None,
                      until: date | None = None) -> Response:
    offices, items = supervision.statistics(session, actor=principal, since=since, until=until)
    chart = charts.bar_chart([(r.division_name, r.on_time_rate) for r in offices], title="各办理机构按时办结率",
                             unit="%", maximum=100, chart_id="chart-offices", table_id="table-offices",
                             threshold=90)
    item_chart = charts.bar_chart([(f"{r.item_name}（{r.division_name}）", r.on_time_rate) for r in items],
                                  title="各事项按时办结率", unit="%", maximum=100, chart_id="chart-items",
                                  table_id="table-items", threshold=90)
    return templates.render(request, "hall_supervision_stats.html", page_title="按时办结统计", offices=offices,
                            items=items, chart=chart, item_chart=item_chart, since=since, until=until)


# ---------------------------------------------------------------- 好差评: citizen online and window tablet


@router.post("/citizen/applications/{public_id}/rating")
def citizen_review(request: Request, public_id: str, session: DbSession, principal: Citizen, body: Body) -> Response:
    application = service.get_application(session, actor=principal, public_id=public_id)
    values = _values(body)
    scores = {k.removeprefix("score_"): v for k, v in values.items() if k.startswith("score_")}
    try:
        level = int(values.get("level", "0") or 0)
    except ValueError:
        level = 0
    try:
        reviews.rate(session, actor=principal, application=application, level=level, scores=scores,
                     comment=values.get("comment", ""))
    except DomainError as exc:
        if exc.status in (401, 403):
            raise
        session.rollback()
        from renshe.hall import pages

        application = service.get_application(session, actor=principal, public_id=public_id)
        return pages._citizen_detail(request, session, application, principal, status_code=exc.status,
                                     errors=_errors(exc, "level"))
    return RedirectResponse(f"/citizen/applications/{public_id}?rated=1", status_code=303)


@router.post("/staff/hall/applications/{public_id}/rate-window")
def open_tablet(public_id: str, session: DbSession, principal: Staff) -> Response:
    application = service.get_application(session, actor=principal, public_id=public_id)
    token = reviews.window_token(actor=principal, application=application)
    return RedirectResponse(f"/hall/rate/{token}", status_code=303)


def _tablet(request: Request, session: DbSession, token: str, *, status_code: int = 200,
            errors: list[FieldError] | None = None, values: dict[str, str] | None = None) -> Response:
    application = reviews.application_for_token(session, token)
    return templates.render(request, "hall_rate_tablet.html", status_code=status_code, page_title="请您评价",
                            app=application, token=token, levels=reviews.LEVELS,
                            indicators=reviews.WINDOW_INDICATORS, review=reviews.review_of(session, application),
                            errors=errors or [], err=_err_map(errors or []), values=values or {},
                            division_name=divisions.full_name(application.division_code))


@router.get("/hall/rate/{token}")
def tablet_page(request: Request, token: str, session: DbSession, _principal: MaybePrincipal) -> Response:
    return _tablet(request, session, token)


@router.post("/hall/rate/{token}")
def tablet_post(request: Request, token: str, session: DbSession, body: Body) -> Response:
    application = reviews.application_for_token(session, token)
    _, clerk = reviews.read_token(token)
    values = _values(body)
    scores = {k.removeprefix("score_"): v for k, v in values.items() if k.startswith("score_")}
    actor = Principal(kind="system", subject=f"window:{clerk}", display_name="窗口评价器",
                      division_code=application.division_code, roles=("system",))
    try:
        reviews.rate(session, actor=actor, application=application, level=int(values.get("level", "0") or 0),
                     scores=scores, comment=values.get("comment", ""), channel="window")
    except (DomainError, ValueError) as exc:
        session.rollback()
        errors = _errors(exc, "level") if isinstance(exc, DomainError) else [
            FieldError("level", "renshe:hall/rate-level", "请选择评价等级")]
        code = exc.status if isinstance(exc, DomainError) else 422
        return _tablet(request, session, token, status_code=code, errors=errors, values=values)
    return RedirectResponse(f"/hall/rate/{token}", status_code=303)


# ---------------------------------------------------------------- dashboards and rectification


@router.get("/staff/hall/reviews")
def reviews_page(request: Request, session: DbSession, principal: Staff) -> Response:
    data = reviews.dashboard(session, actor=principal)
    chart_items = charts.bar_chart([(s.label, s.rate) for s in data["by_item"]], title="各事项满意率", unit="%",
                                   maximum=100, chart_id="chart-sat-items", table_id="table-sat-items", threshold=90)
    chart_offices = charts.bar_chart([(s.label, s.rate) for s in data["by_office"]], title="各办理机构满意率",
                                     unit="%", maximum=100, chart_id="chart-sat-offices",
                                     table_id="table-sat-offices", threshold=90)
    chart_months = charts.bar_chart([(s.label, s.average) for s in data["by_month"]], title="各月平均评价（5分制）",
                                    unit="分", maximum=5, chart_id="chart-sat-months", table_id="table-sat-months")
    rect = data["rectification"]
    chart_rect = charts.bar_chart([("按时整改率", rect["on_time_rate"])], title="差评整改按时率", unit="%",
                                  maximum=100, chart_id="chart-rect", table_id="table-rect", threshold=90)
    return templates.render(request, "hall_reviews.html", page_title="好差评统计", data=data,
                            chart_items=chart_items, chart_offices=chart_offices, chart_months=chart_months,
                            chart_rect=chart_rect, cases=reviews.cases(session, actor=principal, limit=200),
                            levels=reviews.LEVELS, statuses=reviews.STATUS_LABELS, outcomes=reviews.OUTCOMES,
                            today=service.today())


@router.get("/staff/hall/rectifications/{public_id}")
def case_page(request: Request, public_id: str, session: DbSession, principal: Staff,
              errors: list[FieldError] | None = None, status_code: int = 200) -> Response:
    case_ = reviews.get_case(session, actor=principal, public_id=public_id)
    application = session.get(Application, case_.application_id)
    review = reviews.review_of(session, application) if application else None
    return templates.render(request, "hall_rectification.html", status_code=status_code,
                            page_title="差评整改", case=case_, app=application, review=review, levels=reviews.LEVELS,
                            statuses=reviews.STATUS_LABELS, outcomes=reviews.OUTCOMES, errors=errors or [],
                            err=_err_map(errors or []), indicators={**reviews.ONLINE_INDICATORS,
                                                                    **reviews.WINDOW_INDICATORS})


@router.post("/staff/hall/rectifications/{public_id}")
def case_post(request: Request, public_id: str, session: DbSession, principal: Staff, body: Body) -> Response:
    case_ = reviews.get_case(session, actor=principal, public_id=public_id)
    values = _values(body)
    try:
        if values.get("action") == "callback":
            reviews.record_callback(session, actor=principal, case_=case_, note=values.get("note", ""))
        else:
            reviews.close_case(session, actor=principal, case_=case_, outcome=values.get("outcome", ""),
                               note=values.get("note", ""), public_summary=values.get("public_summary", ""),
                               publish=values.get("publish") == "on")
    except DomainError as exc:
        if exc.status in (401, 403):
            raise
        session.rollback()
        return case_page(request, public_id, session, principal, errors=_errors(exc, "note"), status_code=exc.status)
    return RedirectResponse(f"/staff/hall/rectifications/{public_id}", status_code=303)


@router.get("/hall/rectified")
def public_rectified(request: Request, session: DbSession, _principal: MaybePrincipal) -> Response:
    return templates.render(request, "hall_rectified_public.html", page_title="差评整改情况公开",
                            rows=reviews.public_cases(session))


# ---------------------------------------------------------------- 问题反馈


def _feedback(request: Request, session: DbSession, principal: Principal, *, status_code: int = 200,
              errors: list[FieldError] | None = None, values: dict[str, str] | None = None) -> Response:
    rows = feedback.visible(session, actor=principal)
    return templates.render(request, "hall_feedback.html", status_code=status_code, page_title="问题反馈",
                            rows=rows, late=feedback.overdue(rows), kinds=feedback.KINDS, statuses=feedback.STATUSES,
                            errors=errors or [], err=_err_map(errors or []), values=values or {},
                            items=service.list_items(session), staff=principal.kind == "staff",
                            supervisor=principal.kind == "staff"
                            and bool({"supervisor", "admin"} & set(principal.roles)),
                            base="/staff/hall/feedback" if principal.kind == "staff" else "/citizen/hall/feedback")


@router.get("/staff/hall/feedback")
def staff_feedback(request: Request, session: DbSession, principal: Staff) -> Response:
    return _feedback(request, session, principal)


@router.get("/citizen/hall/feedback")
def citizen_feedback(request: Request, session: DbSession, principal: Citizen) -> Response:
    return _feedback(request, session, principal)


def _raise(request: Request, session: DbSession, principal: Principal, body: FormData, base: str) -> Response:
    values = _values(body)
    try:
        feedback.raise_ticket(session, actor=principal, kind=values.get("kind", ""), title=values.get("title", ""),
                              description=values.get("description", ""), item_code=values.get("item_code") or None,
                              division_code=values.get("division_code") or None)
    except DomainError as exc:
        if exc.status in (401, 403):
            raise
        session.rollback()
        return _feedback(request, session, principal, status_code=422, errors=_errors(exc, "title"), values=values)
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
    values = _values(body)
    days = values.get("workdays", "")
    try:
        feedback.act(session, actor=principal, ticket=ticket, action=values.get("action", ""),
                     division_code=values.get("division_code", ""), workdays=int(days) if days.isdigit() else None,
                     note=values.get("note", ""))
    except DomainError as exc:
        if exc.status == 401:
            raise
        session.rollback()
        return _feedback(request, session, principal, status_code=exc.status, errors=_errors(exc, "note"))
    return RedirectResponse("/staff/hall/feedback", status_code=303)


# ---------------------------------------------------------------- 一件事


def _bundle_page(request: Request, session: DbSession, principal: Principal, code: str, *, status_code: int = 200,
                 values: dict[str, Any] | None = None, errors: list[FieldError] | None = None) -> Response:
    bundle = bundles.get_bundle(code)
    me = registry.get_person(session, actor=principal, public_id=principal.subject)
    fields, materials = bundles.union_form(session, bundle)
    from renshe.hall import pages

    found: dict[str, Any] = {}
    for item_code in bundle.items:
        revision = service.current_revision(session, service.get_item(session, item_code))
        for name, p in service.prefill_for(session, person=me, revision=revision).items():
            found.setdefault(name, p)
    by_name = {f.name: f for f in fields}
    locked = {}
    for name, p in found.items():
        field = by_name.get(name)
        if field is None:
            continue
        display = field.label_of(p.value)
        if name == "residence_division":
            display = f"{p.value} {divisions.full_name(str(p.value))}"
        locked[name] = {"display": display,
                        "provenance": pages.provenance_text(p.resource, p.source, p.updated_at.isoformat())}
    groups: list[tuple[str, list[Any]]] = []
    for field in fields:
        if not groups or groups[-1][0] != field.group:
            groups.append((field.group, []))
        groups[-1][1].append(field)
    items = [service.get_item(session, c) for c in bundle.items]
    return templates.render(request, "hall_bundle_apply.html", status_code=status_code,
                            page_title=f"一件事：{bundle.name}", bundle=bundle, items=items, groups=groups,
                            locked=locked, materials=materials, values=values or {}, errors=errors or [],
                            err=_err_map(errors or []), max_mb=service.max_upload_bytes() // (1024 * 1024))


@router.get("/citizen/hall/bundles/{code}/apply")
def bundle_form(request: Request, code: str, session: DbSession, principal: Citizen) -> Response:
    return _bundle_page(request, session, principal, code)


@router.post("/citizen/hall/bundles/{code}/apply")
def bundle_apply(request: Request, code: str, session: DbSession, principal: Citizen, body: Body) -> Response:
    values = _values(body)
    limit = service.max_upload_bytes()
    uploads = [service.Upload(key.split(":", 1)[1], value.filename, value.file.read(limit + 1))
               for key, value in body.multi_items()
               if key.startswith("material:") and isinstance(value, UploadFile) and value.filename]
    try:
        record = bundles.submit(session, actor=principal, code=code, data=values, uploads=uploads)
    except DomainError as exc:
        if exc.status in (401, 403):
            raise
        session.rollback()
        return _bundle_page(request, session, principal, code, status_code=422, values=values,
                            errors=_errors(exc, "form"))
    return RedirectResponse(f"/citizen/bundles/{record.public_id}?submitted=1", status_code=303)


@router.get("/citizen/bundles/{public_id}")
def bundle_progress(request: Request, public_id: str, session: DbSession, principal: Citizen,
                    submitted: bool = False) -> Response:
    record = bundles.get_record(session, actor=principal, public_id=public_id)
    subs = bundles.sub_applications(session, record)
    return templates.render(request, "hall_bundle_progress.html", page_title=f"一件事：{record.bundle_name}",
                            record=record, rows=[service.summary_out(session, a) for a in subs],
                            joint=bundles.joint_state(subs), submitted=submitted)


def detail_extras(session: DbSession, application: Application, principal: Principal) -> dict[str, Any]:
    """What the application pages show besides the workflow: the rating, notices, the other province."""
    review = reviews.review_of(session, application)
    return {"review": review, "levels": reviews.LEVELS, "can_rate": reviews.can_rate(application) and review is None,
            "rate_indicators": reviews.ONLINE_INDICATORS, "indicator_names": {**reviews.ONLINE_INDICATORS,
                                                                              **reviews.WINDOW_INDICATORS},
            "notices": supervision.notices_of(session, application) if principal.kind == "staff" else [],
            "is_supervisor": supervision.is_supervisor(principal) and principal.kind == "staff",
            "xp": interprovince.view(session, application)}
