"""JSON API of employment-support subsidies (`/api/v1/subsidies/...`): the citizen sees each policy with every
rule checked before applying, applies, and follows their applications; the clerk lists the applications of the
jurisdiction (cursor paging) and approves (paid once into the card) or refuses with a reason. A broken rule is
a 422 problem+json whose `type` is `renshe:subsidies/<rule>`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from starlette.responses import Response

from renshe.core.auth import Principal
from renshe.core.http import CurrentPrincipal, DbSession, require_kind
from renshe.subsidies import schemas, service

router = APIRouter(prefix="/api/v1/subsidies", tags=["subsidies 就业补贴申领"])
WRITE: dict[int | str, dict[str, Any]] = {
    422: {"description": "不符合申领条件或输入有误（problem+json，type 为 renshe:subsidies/<rule>）"},
    404: {"description": "未找到或不在辖区内"}, 409: {"description": "已审核"}}
Citizen = Annotated[Principal, require_kind("citizen")]
Staff = Annotated[Principal, require_kind("staff")]


def _json(model: BaseModel, status_code: int = 200) -> Response:
    return Response(model.model_dump_json(), media_type="application/json", status_code=status_code)


@router.get("/eligibility", response_model=list[schemas.PolicyOut],
            summary="可申领的补贴及条件核验 Policies with every rule checked for me")
def eligibility(session: DbSession, principal: Citizen) -> Response:
    found = [schemas.policy_out(p, results) for p, results in service.eligibility(session, actor=principal)]
    return Response("[" + ",".join(p.model_dump_json() for p in found) + "]", media_type="application/json")


@router.post("/applications", response_model=schemas.ApplicationOut, status_code=201, responses=WRITE,
             summary="申领补贴 Apply for a subsidy")
def apply(data: schemas.ApplyIn, session: DbSession, principal: Citizen) -> Response:
    return _json(service.out(service.apply(session, actor=principal, policy_code=data.policy)), 201)


@router.get("/applications", response_model=schemas.ApplicationPage,
            summary="补贴申请（本人的，或经办辖区内的） Applications")
def applications(session: DbSession, principal: CurrentPrincipal,
                 state: Annotated[str | None, Query(pattern="^(submitted|paid|refused)$")] = None,
                 cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Response:
    if principal.kind == "citizen":
        rows, next_cursor = service.mine(session, actor=principal), None
    else:
        rows, next_cursor = service.worklist(session, actor=principal, state=state, cursor=cursor, limit=limit)
    return _json(schemas.ApplicationPage(items=[service.out(r) for r in rows], next_cursor=next_cursor))


@router.post("/applications/{public_id}/approve", response_model=schemas.ApplicationOut, responses=WRITE,
             summary="审核通过并发放 Approve and pay into the card")
def approve(public_id: str, session: DbSession, principal: Staff) -> Response:
    return _json(service.out(service.approve(session, actor=principal, public_id=public_id)))


@router.post("/applications/{public_id}/refuse", response_model=schemas.ApplicationOut, responses=WRITE,
             summary="不予发放 Refuse with a reason")
def refuse(public_id: str, data: schemas.RefuseIn, session: DbSession, principal: Staff) -> Response:
    return _json(service.out(service.refuse(session, actor=principal, public_id=public_id, reason=data.reason)))
