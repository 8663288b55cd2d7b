"""Pages of 好差评 and 整改: the window rating tablet, the satisfaction dashboard, rectification cases, and
the public page of rectified cases."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from renshe.core import divisions
from renshe.core.errors import FieldError
from renshe.core.http import DbSession, MaybePrincipal, templates
from renshe.hall import charts, clock
from renshe.hall.applications import reading
from renshe.hall.reviews import service as reviews
from renshe.hall.webforms import Body, Staff, err_map, errors_of, try_write, values_of

router = APIRouter(include_in_schema=False)


@router.post("/staff/hall/applications/{public_id}/rate-window")
def open_tablet(public_id: str, session: DbSession, principal: Staff) -> Response:
    application = reading.get_application(session, actor=principal, public_id=public_id)
    token = reviews.window_token(actor=principal, application=application)
    return RedirectResponse(f"/hall/rate/{token}", status_code=303)


def _tablet(request: Request, session: DbSession, token: str, *, status_code: int = 200,
            errors: list[FieldError] | None = None, values: dict[str, str] | None = None) -> Response:
    application = reviews.application_for_token(session, token)
    return templates.render(request, "hall_rate_tablet.html", status_code=status_code, page_title="请您评价",
                            app=application, token=token, levels=reviews.LEVELS,
                            indicators=reviews.WINDOW_INDICATORS, review=reviews.review_of(session, application),
                            errors=errors or [], err=err_map(errors or []), values=values or {},
                            division_name=divisions.full_name(application.division_code))


@router.get("/hall/rate/{token}")
def tablet_page(request: Request, token: str, session: DbSession, _principal: MaybePrincipal) -> Response:
    return _tablet(request, session, token)


@router.post("/hall/rate/{token}")
def tablet_post(request: Request, token: str, session: DbSession, body: Body) -> Response:
    application = reviews.application_for_token(session, token)
    _, clerk = reviews.read_token(token)
    values = values_of(body)
    scores = {k.removeprefix("score_"): v for k, v in values.items() if k.startswith("score_")}
    actor = reviews.tablet_actor(clerk=clerk, application=application)
    level = values.get("level", "0") or "0"
    if not level.isdigit():
        errors = [FieldError("level", "renshe:hall/rate-level", "请选择评价等级")]
        return _tablet(request, session, token, status_code=422, errors=errors, values=values)
    error = try_write(session, lambda: reviews.rate(session, actor=actor, application=application, level=int(level),
                                                    scores=scores, comment=values.get("comment", ""),
                                                    channel="window"), raising=frozenset())
    if error is not None:
        return _tablet(request, session, token, status_code=error.status, errors=errors_of(error, "level"),
                       values=values)
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
                            today=clock.today())


@router.get("/staff/hall/rectifications/{public_id}")
def case_page(request: Request, public_id: str, session: DbSession, principal: Staff,
              errors: list[FieldError] | None = None, status_code: int = 200) -> Response:
    case_ = reviews.get_case(session, actor=principal, public_id=public_id)
    application = reviews.application_of(session, case_)
    review = reviews.review_of(session, application) if application else None
    return templates.render(request, "hall_rectification.html", status_code=status_code,
                            page_title="差评整改", case=case_, app=application, review=review, levels=reviews.LEVELS,
                            statuses=reviews.STATUS_LABELS, outcomes=reviews.OUTCOMES, errors=errors or [],
                            err=err_map(errors or []), indicators={**reviews.ONLINE_INDICATORS,
                                                                    **reviews.WINDOW_INDICATORS})


@router.post("/staff/hall/rectifications/{public_id}")
def case_post(request: Request, public_id: str, session: DbSession, principal: Staff, body: Body) -> Response:
    case_ = reviews.get_case(session, actor=principal, public_id=public_id)
    values = values_of(body)

    def record() -> None:
        if values.get("action") == "callback":
            reviews.record_callback(session, actor=principal, case_=case_, note=values.get("note", ""))
        else:
            reviews.close_case(session, actor=principal, case_=case_, outcome=values.get("outcome", ""),
                               note=values.get("note", ""), public_summary=values.get("public_summary", ""),
                               publish=values.get("publish") == "on")

    error = try_write(session, record)
    if error is not None:
        return case_page(request, public_id, session, principal, errors=errors_of(error, "note"),
                         status_code=error.status)
    return RedirectResponse(f"/staff/hall/rectifications/{public_id}", status_code=303)


@router.get("/hall/rectified")
def public_rectified(request: Request, session: DbSession, _principal: MaybePrincipal) -> Response:
    return templates.render(request, "hall_rectified_public.html", page_title="差评整改情况公开",
                            rows=reviews.public_cases(session))
