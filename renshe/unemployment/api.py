"""JSON API of the unemployment calculators (`/api/v1/unemployment/...`): `GET` with query parameters and
`POST` with a JSON body of the same fields; a broken rule is a 422 problem+json whose `type` is
`renshe:unemployment/<rule>` and whose `errors` name each field. No sign-in: it touches no record."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from renshe.unemployment import schemas

router = APIRouter(prefix="/api/v1/unemployment", tags=["unemployment 失业保险测算"])
PROBLEM: dict[int | str, dict[str, Any]] = {
    422: {"description": "输入不符合规则（problem+json，type 为 renshe:unemployment/<rule>）"}}


def _answer(data: schemas.BenefitMonthsIn) -> Response:
    return Response(schemas.benefit_months_answer(data).model_dump_json(), media_type="application/json")


@router.get("/benefit-months", response_model=schemas.BenefitMonthsOut, responses=PROBLEM,
            summary="失业保险金领取期限 Months of unemployment benefit")
def benefit_months_get(query: Annotated[schemas.BenefitMonthsIn, Query()]) -> Response:
    return _answer(query)


@router.post("/benefit-months", response_model=schemas.BenefitMonthsOut, responses=PROBLEM,
             summary="失业保险金领取期限 Months of unemployment benefit")
def benefit_months_post(data: schemas.BenefitMonthsIn) -> Response:
    return _answer(data)
