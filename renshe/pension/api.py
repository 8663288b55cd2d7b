"""JSON API of the pension calculators (`/api/v1/pension/...`) and of the contribution calculators
(`/api/v1/insurance/surcharge`). Each answers `GET` with query parameters and `POST` with a JSON body of
the same fields; a broken rule is a 422 problem+json whose `type` is `renshe:pension/<rule>` (or
`renshe:insurance/<rule>`) and whose `errors` name each field. No sign-in: these compute from the
caller's own figures and the published parameters, and touch no record. `/me/estimate` is the signed-in
citizen's own pension from the insurance ledger."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from starlette.responses import Response

from renshe.core.auth import Principal
from renshe.core.http import DbSession, require_kind
from renshe.pension import schemas, service

router = APIRouter(prefix="/api/v1/pension", tags=["pension 养老保险测算"])
insurance_calculators = APIRouter(prefix="/api/v1/insurance", tags=["insurance 社会保险测算"])
Citizen = Annotated[Principal, require_kind("citizen")]
PROBLEM: dict[int | str, dict[str, Any]] = {
    422: {"description": "输入不符合规则（problem+json，type 为 renshe:pension/<rule>）"}}


def _json(model: BaseModel) -> Response:
    return Response(model.model_dump_json(), media_type="application/json")


@router.get("/retirement-age", response_model=schemas.RetirementAgeOut, responses=PROBLEM,
            summary="法定退休年龄测算 Statutory retirement age and month")
def retirement_age_get(query: Annotated[schemas.RetirementAgeIn, Query()]) -> Response:
    return _json(schemas.retirement_answer(schemas.read_retirement(query)))


@router.post("/retirement-age", response_model=schemas.RetirementAgeOut, responses=PROBLEM,
             summary="法定退休年龄测算 Statutory retirement age and month")
def retirement_age_post(data: schemas.RetirementAgeIn) -> Response:
    return _json(schemas.retirement_answer(schemas.read_retirement(data)))


@router.get("/divisor", response_model=schemas.DivisorOut, responses=PROBLEM,
            summary="个人账户养老金计发月数 Account divisor at an age")
def divisor_get(query: Annotated[schemas.DivisorIn, Query()]) -> Response:
    return _json(schemas.divisor_answer(query))


@router.post("/divisor", response_model=schemas.DivisorOut, responses=PROBLEM,
             summary="个人账户养老金计发月数 Account divisor at an age")
def divisor_post(data: schemas.DivisorIn) -> Response:
    return _json(schemas.divisor_answer(data))


@router.get("/calculate", response_model=schemas.CalculateOut, responses=PROBLEM,
            summary="养老金测算 Monthly pension at retirement, with the trace")
def calculate_get(query: Annotated[schemas.CalculateIn, Query()]) -> Response:
    return _json(schemas.calculate_answer(query))


@router.post("/calculate", response_model=schemas.CalculateOut, responses=PROBLEM,
             summary="养老金测算 Monthly pension at retirement, with the trace")
def calculate_post(data: schemas.CalculateIn) -> Response:
    return _json(schemas.calculate_answer(data))


@router.get("/transfer-amount", response_model=schemas.TransferOut, responses=PROBLEM,
            summary="转移接续统筹基金转移额 Pooled fund moved on a transfer (12 %)")
def transfer_get(query: Annotated[schemas.TransferIn, Query()]) -> Response:
    return _json(schemas.transfer_answer(query))


@router.post("/transfer-amount", response_model=schemas.TransferOut, responses=PROBLEM,
             summary="转移接续统筹基金转移额 Pooled fund moved on a transfer (12 %)")
def transfer_post(data: schemas.TransferIn) -> Response:
    return _json(schemas.transfer_answer(data))


@router.get("/me/estimate", response_model=schemas.EstimateOut, responses=PROBLEM,
            summary="按我的个人权益记录测算养老金 My pension from my insurance record")
def my_estimate(query: Annotated[schemas.EstimateIn, Query()], session: DbSession, principal: Citizen) -> Response:
    found = service.citizen_estimate(session, actor=principal, query=schemas.read_estimate(query))
    return _json(service.estimate_out(found))


@insurance_calculators.get("/surcharge", response_model=schemas.SurchargeOut, responses=PROBLEM,
                           summary="滞纳金测算 Late surcharge (社会保险法第八十六条)")
def surcharge_get(query: Annotated[schemas.SurchargeIn, Query()]) -> Response:
    return _json(schemas.surcharge_answer(query))


@insurance_calculators.post("/surcharge", response_model=schemas.SurchargeOut, responses=PROBLEM,
                            summary="滞纳金测算 Late surcharge (社会保险法第八十六条)")
def surcharge_post(data: schemas.SurchargeIn) -> Response:
    return _json(schemas.surcharge_answer(data))
