"""JSON routes of national pooling and fund monitoring (the report of a province, the hub's position)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from renshe.core.http import CurrentPrincipal, DbSession
from renshe.hall import clock
from renshe.pooling import service

router = APIRouter(prefix="/api/v1/pooling", tags=["pension 全国统筹"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportIn(BaseModel):
    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="统计期 YYYY-MM")


@router.post("/reports", summary="上报本省基金监测数据（经联邦中继到部级枢纽） Report the month's fund figures")
def report(data: ReportIn, session: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    f = service.report(session, actor=principal, period=data.period)
    return {"province": f.province, "period": f.period, "income_fen": f.income_fen,
            "expenditure_fen": f.expenditure_fen, "balance_fen": f.balance_fen, "insured": f.insured,
            "retired": f.retired, "average_wage_fen": f.average_wage_fen}


@router.get("/national", summary="全国基金监测与中央调剂（部级枢纽） National position, warnings and adjustment")
def national(session: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    return service.as_dict(service.national(session, actor=principal, on=clock.today()))


@router.get("/national.xlsx", summary="全国基金监测（XLSX） National position as XLSX", response_class=Response,
            responses={200: {"description": "全国基金监测表", "content": {XLSX: {}}}})
def national_xlsx(session: DbSession, principal: CurrentPrincipal) -> Response:
    data = service.xlsx(service.national(session, actor=principal, on=clock.today()))
    return Response(data, media_type=XLSX, headers={"Content-Disposition": 'attachment; filename="pooling.xlsx"'})
