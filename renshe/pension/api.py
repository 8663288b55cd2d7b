"""JSON API of the pension calculators (`/api/v1/pension/...`) and of the contribution calculators
(`/api/v1/insurance/surcharge`). Each answers `GET` with query parameters and `POST` with a JSON body of
the same fields; a broken rule is a 422 problem+json whose `type` is `renshe:pension/<rule>` (or
`renshe:insurance/<rule>`) and whose `errors` name each field. No sign-in: these compute from the
caller's own figures and the published parameters, and touch no record. `/me/estimate` is the signed-in
citizen's own pension from the insurance ledger."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from starlette.responses import Response

from renshe.core.auth import Principal
from renshe.core.http import DbSession, ReadSession, require_kind
from renshe.core.settings import get_settings
from renshe.pension import jobs, schemas, service

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


# ---------------------------------------------------------------- pensions in payment

Staff = Annotated[Principal, require_kind("staff")]


@router.get("/me/award", response_model=schemas.AwardOut, summary="我的养老金核定 My pension award, with its trace")
def my_award(session: DbSession, principal: Citizen) -> Response:
    return _json(service.award_out(session, service.own_award(session, actor=principal)))


@router.get("/me/payments", response_model=schemas.PaymentPage, summary="我的养老金发放记录 My pension payments")
def my_payments(session: DbSession, principal: Citizen, cursor: str | None = None,
                limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Response:
    rows, nxt = service.payments_of(session, award=service.own_award(session, actor=principal), limit=limit,
                                    cursor=cursor)
    return _json(schemas.PaymentPage(items=[service.payment_out(p) for p in rows], next_cursor=nxt))


@router.get("/awards", response_model=schemas.AwardPage, summary="养老金核定记录 Awards in my jurisdiction")
def awards(session: DbSession, principal: Staff, cursor: str | None = None,
           limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Response:
    rows, nxt = service.awards(session, actor=principal, limit=limit, cursor=cursor)
    return _json(schemas.AwardPage(items=[service.award_out(session, a) for a in rows], next_cursor=nxt))


@router.get("/awards/{public_id}", response_model=schemas.AwardOut, summary="养老金核定 One award")
def award(public_id: str, session: DbSession, principal: Staff) -> Response:
    return _json(service.award_out(session, service.get_award(session, actor=principal, public_id=public_id)))


@router.get("/awards/{public_id}/payments", response_model=schemas.PaymentPage, summary="养老金发放记录 Payments")
def award_payments(public_id: str, session: DbSession, principal: Staff, cursor: str | None = None,
                   limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Response:
    found = service.get_award(session, actor=principal, public_id=public_id)
    rows, nxt = service.payments_of(session, award=found, limit=limit, cursor=cursor)
    return _json(schemas.PaymentPage(items=[service.payment_out(p) for p in rows], next_cursor=nxt))


@router.get("/runs", response_model=list[schemas.RunOut], summary="养老金发放、调整批次 Payment and adjustment runs")
def runs(session: ReadSession, principal: Staff) -> Response:
    body = [jobs.run_out(r).model_dump() for r in jobs.runs(session, actor=principal)]
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")


@router.post("/runs", response_model=schemas.RunOut, summary="执行（或续跑）养老金发放、调整批次 Run or resume a batch")
def start_run(data: schemas.RunIn, principal: Staff) -> Response:
    # The batch commits chunk by chunk in units of work of its own (resumable), as the interest batch.
    return _json(jobs.run_out(jobs.start(actor=principal, data=data,
                                         province=data.province or get_settings().province_code)))
