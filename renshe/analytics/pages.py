"""就业监测 (`/staff/employment`): the supervisor's employment dashboard with charts, and its XLSX export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from starlette.responses import Response

from renshe.analytics import employment
from renshe.core.auth import Principal
from renshe.core.http import DbSession, require_kind, templates

router = APIRouter(include_in_schema=False)
Staff = Annotated[Principal, require_kind("staff")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/staff/employment")
def dashboard(request: Request, session: DbSession, principal: Staff) -> Response:
    board = employment.build(session, actor=principal)
    return templates.render(request, "analytics_employment.html", page_title="就业监测", board=board)


@router.get("/staff/employment.xlsx")
def export(session: DbSession, principal: Staff) -> Response:
    return Response(employment.workbook(session, actor=principal), media_type=XLSX,
                    headers={"Content-Disposition": "attachment; filename=employment-dashboard.xlsx"})
