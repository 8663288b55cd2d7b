"""JSON API of the unemployment calculators (`/api/v1/unemployment/...`): `GET` with query parameters and
`POST` with a JSON body of the same fields; a broken rule is a 422 problem+json whose `type` is
`renshe:unemployment/<rule>` and whose `errors` name each field. No sign-in: it touches no record.

Registrations and benefits (失业登记、失业保险金): the citizen's own (`/me`), the clerk's worklist in their
jurisdiction with cursor paging, service records, exits, suspensions and stops with a reason, and the monthly
payment run (resumable). Applications themselves go through the service hall (`/api/v1/applications`)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from starlette.responses import Response

from renshe.core.auth import Principal
from renshe.core.http import DbSession, ReadSession, require_kind
from renshe.core.settings import get_settings
from renshe.unemployment import jobs, schemas, service

router = APIRouter(prefix="/api/v1/unemployment", tags=["unemployment 失业保险测算"])
PROBLEM: dict[int | str, dict[str, Any]] = {
    422: {"description": "输入不符合规则（problem+json，type 为 renshe:unemployment/<rule>）"}}
WRITE: dict[int | str, dict[str, Any]] = {
    **PROBLEM, 404: {"description": "未找到或不在辖区内"}, 409: {"description": "状态冲突（已注销、已停发等）"}}
Citizen = Annotated[Principal, require_kind("citizen")]
Staff = Annotated[Principal, require_kind("staff")]
Limit = Annotated[int, Query(ge=1, le=200)]


def _json(model: BaseModel, status_code: int = 200) -> Response:
    return Response(model.model_dump_json(), media_type="application/json", status_code=status_code)


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


# ---------------------------------------------------------------- registrations and benefits

@router.get("/me", response_model=schemas.MineOut,
            summary="我的失业登记、失业保险金和发放记录 My registration and benefit")
def mine(session: DbSession, principal: Citizen) -> Response:
    return _json(service.mine(session, actor=principal))


@router.get("/registrations", response_model=schemas.RegistrationPage, responses=PROBLEM,
            summary="失业登记（辖区） Registrations in my jurisdiction")
def registrations(session: DbSession, principal: Staff, status: str | None = None, cursor: str | None = None,
                  limit: Limit = 20) -> Response:
    rows, nxt = service.registrations(session, actor=principal, status=status, limit=limit, cursor=cursor)
    return _json(schemas.RegistrationPage(items=[service.registration_out(session, r) for r in rows],
                                          next_cursor=nxt))


@router.post("/registrations", response_model=schemas.RegistrationOut, status_code=201, responses=WRITE,
             summary="窗口办理失业登记 Register a person at the window")
def register(data: schemas.RegistrationIn, session: DbSession, principal: Staff) -> Response:
    row = service.window_registration(session, actor=principal, data=data, on=service.today())
    return _json(service.registration_out(session, row), 201)


@router.get("/registrations/{public_id}", response_model=schemas.RegistrationOut, responses=WRITE,
            summary="失业登记 One registration with its service record")
def registration(public_id: str, session: DbSession, principal: Staff) -> Response:
    return _json(service.registration_out(session, service.get_registration(session, actor=principal,
                                                                            public_id=public_id)))


@router.post("/registrations/{public_id}/services", response_model=schemas.ServiceOut, status_code=201,
             responses=WRITE, summary="登记就业服务 Add a service record")
def add_service(public_id: str, data: schemas.ServiceIn, session: DbSession, principal: Staff) -> Response:
    row = service.get_registration(session, actor=principal, public_id=public_id)
    done = service.add_service(session, actor=principal, registration=row, kind=data.kind, served_on=data.served_on,
                               detail=data.detail, outcome=data.outcome, today=service.today())
    return _json(service.service_out(done), 201)


@router.post("/registrations/{public_id}/exit", response_model=schemas.RegistrationOut, responses=WRITE,
             summary="注销失业登记 Exit with a reason from the national list")
def exit_registration(public_id: str, data: schemas.ReasonIn, session: DbSession, principal: Staff) -> Response:
    row = service.get_registration(session, actor=principal, public_id=public_id)
    service.exit_registration(session, actor=principal, registration=row, reason=data.reason, on=data.on,
                              note=data.note)
    return _json(service.registration_out(session, row))


@router.get("/benefits", response_model=schemas.BenefitPage, responses=PROBLEM,
            summary="失业保险金核定（辖区） Benefits in my jurisdiction")
def benefits(session: DbSession, principal: Staff, status: str | None = None, cursor: str | None = None,
             limit: Limit = 20) -> Response:
    rows, nxt = service.benefits(session, actor=principal, status=status, limit=limit, cursor=cursor)
    return _json(schemas.BenefitPage(items=[service.benefit_out(session, b) for b in rows], next_cursor=nxt))


@router.get("/benefits/{public_id}", response_model=schemas.BenefitOut, responses=WRITE,
            summary="失业保险金核定 One benefit, with its trace")
def benefit(public_id: str, session: DbSession, principal: Staff) -> Response:
    return _json(service.benefit_out(session, service.get_benefit(session, actor=principal, public_id=public_id)))


@router.get("/benefits/{public_id}/payments", response_model=schemas.PaymentPage, responses=WRITE,
            summary="失业保险金发放记录 Payments of one benefit")
def benefit_payments(public_id: str, session: DbSession, principal: Staff, cursor: str | None = None,
                     limit: Limit = 50) -> Response:
    found = service.get_benefit(session, actor=principal, public_id=public_id)
    rows, nxt = service.payments_of(session, benefit=found, limit=limit, cursor=cursor)
    return _json(schemas.PaymentPage(items=service.payments_out(session, rows), next_cursor=nxt))


@router.post("/benefits/{public_id}/suspend", response_model=schemas.BenefitOut, responses=WRITE,
             summary="暂停发放 Suspend with a reason")
def suspend(public_id: str, data: schemas.ReasonIn, session: DbSession, principal: Staff) -> Response:
    found = service.get_benefit(session, actor=principal, public_id=public_id)
    service.suspend(session, actor=principal, benefit=found, reason=data.reason, on=data.on, note=data.note)
    return _json(service.benefit_out(session, found))


@router.post("/benefits/{public_id}/resume", response_model=schemas.BenefitOut, responses=WRITE,
             summary="恢复发放 Resume a suspended benefit")
def resume(public_id: str, data: schemas.ResumeIn, session: DbSession, principal: Staff) -> Response:
    found = service.get_benefit(session, actor=principal, public_id=public_id)
    service.resume(session, actor=principal, benefit=found, on=data.on)
    return _json(service.benefit_out(session, found))


@router.post("/benefits/{public_id}/stop", response_model=schemas.BenefitOut, responses=WRITE,
             summary="停止发放 Stop with a reason")
def stop(public_id: str, data: schemas.ReasonIn, session: DbSession, principal: Staff) -> Response:
    found = service.get_benefit(session, actor=principal, public_id=public_id)
    service.stop(session, actor=principal, benefit=found, reason=data.reason, on=data.on, note=data.note)
    return _json(service.benefit_out(session, found))


@router.get("/runs", response_model=list[schemas.RunOut], summary="失业保险金发放批次 Payment runs")
def runs(session: ReadSession, principal: Staff) -> Response:
    body = [jobs.run_out(r).model_dump() for r in jobs.runs(session, actor=principal)]
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")


@router.post("/runs", response_model=schemas.RunOut, responses=PROBLEM,
             summary="执行（或续跑）失业保险金按月发放 Run or resume the monthly payment run")
def start_run(data: schemas.RunIn, principal: Staff) -> Response:
    # The run commits chunk by chunk in units of work of its own (resumable); the request holds no transaction.
    return _json(jobs.run_out(jobs.run_payments(actor=principal, province=get_settings().province_code,
                                                month=data.month)))
