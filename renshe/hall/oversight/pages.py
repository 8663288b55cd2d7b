"""Pages of 超期督办: the watch list with notices, the overdue scan, and on-time statistics with charts."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from renshe.core import divisions
from renshe.core.http import DbSession, templates
from renshe.hall import charts
from renshe.hall.applications import reading
from renshe.hall.oversight import service as supervision
from renshe.hall.webforms import Body, Staff, try_write, values_of

router = APIRouter(include_in_schema=False)


@router.get("/staff/hall/supervision")
def supervision_page(request: Request, session: DbSession, principal: Staff,
                     kind: Annotated[str, Query(max_length=10)] = "overdue", cursor: str | None = None,
                     done: str = "") -> Response:
    kind = "near" if kind == "near" else "overdue"
    rows, next_cursor = supervision.watch_list(session, actor=principal, kind=kind, cursor=cursor)
    return templates.render(
        request, "hall_supervision.html", page_title="超期督办", kind=kind, next_cursor=next_cursor,
        rows=list(zip(reading.summaries(session, rows), [supervision.notices_of(session, a) for a in rows],
                      strict=True)),
        counts=supervision.counts(session, actor=principal), done=done,
        division_name=divisions.full_name(principal.division_code) or "全国",
        near_days=reading.near_due_workdays(), escalate_days=supervision.escalate_after_workdays())


@router.post("/staff/hall/supervision/{public_id}/notice")
def supervision_notice(public_id: str, session: DbSession, principal: Staff, body: Body) -> Response:
    application = reading.get_application(session, actor=principal, public_id=public_id)
    values = values_of(body)
    error = try_write(session, lambda: supervision.issue_notice(session, actor=principal, application=application,
                                                                message=values.get("message", "")))
    if error is not None:
        return RedirectResponse(f"/staff/hall/supervision?done=error:{error.code.rsplit('/', 1)[-1]}", status_code=303)
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
