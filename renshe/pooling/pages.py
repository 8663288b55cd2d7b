"""The ministry hub's fund monitoring page (全国基金监测): charts of each province's months of payment
capacity and dependency ratio, with the figures as tables, warnings, the central adjustment and XLSX."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from starlette.responses import Response

from renshe.core.auth import Principal
from renshe.core.http import ReadSession, require_kind, templates
from renshe.hall import charts, clock
from renshe.pooling import rules, service

router = APIRouter(include_in_schema=False)
Staff = Annotated[Principal, require_kind("staff")]


@router.get("/staff/pooling")
def pooling_page(request: Request, session: ReadSession, principal: Staff) -> Response:
    position = service.national(session, actor=principal, on=clock.today())
    shown = service.as_dict(position)
    capacity = [(r.name, float(r.capacity_months)) for r in position.rows if r.capacity_months is not None]
    dependency = [(r.name, float(r.dependency_ratio)) for r in position.rows if r.dependency_ratio is not None]
    floor = min((t.below for t in rules.thresholds() if t.metric == "capacity_months"), default=None)
    ratio_floor = min((t.below for t in rules.thresholds() if t.metric == "dependency_ratio"), default=None)
    return templates.render(
        request, "pooling.html", page_title="全国统筹与基金监测预警", shown=shown,
        capacity_chart=charts.bar_chart(capacity, title="各省可支付月数", unit="个月", chart_id="capacity-chart",
                                        table_id="pooling-table", threshold=float(floor) if floor else None),
        dependency_chart=charts.bar_chart(dependency, title="各省制度赡养比", chart_id="dependency-chart",
                                          table_id="pooling-table",
                                          threshold=float(ratio_floor) if ratio_floor else None),
        thresholds=rules.thresholds(), levels=rules.LEVEL_LABELS)
