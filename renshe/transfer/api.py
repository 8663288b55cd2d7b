"""JSON routes of 转移接续: the citizen's application, the old place's transfer, the signed node-to-node
messages, and the benefit place rule."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, status
from starlette.concurrency import run_in_threadpool

from renshe.core.errors import FieldError, ValidationFailed
from renshe.core.http import CurrentPrincipal, DbSession
from renshe.hall import peers
from renshe.hall.interprovince.service import province_name
from renshe.transfer import rules, service
from renshe.transfer.models import PensionTransfer
from renshe.transfer.schemas import ApplyIn, BenefitPlaceIn, BenefitPlaceOut, CaseOut

router = APIRouter(prefix="/api/v1/pension-transfers", tags=["pension 转移接续"])
KIND_LABELS = {"transfer": "转移基本养老保险关系", "temporary": "建立临时基本养老保险缴费账户"}


def case_out(case: PensionTransfer) -> CaseOut:
    return CaseOut(public_id=case.public_id, ref=case.ref, role=case.role,
                   role_label="转入" if case.role == "in" else "转出", peer_province=case.peer_province,
                   peer_name=province_name(case.peer_province), person_name=case.person_name,
                   id_number_masked=case.id_number_masked, application_public_id=case.application_public_id,
                   kind=case.kind, kind_label=KIND_LABELS.get(case.kind, case.kind), decision=case.decision or {},
                   state=case.state, state_label=service.state_label(case), requested_on=case.requested_on.isoformat(),
                   deadlines=case.deadlines or {}, months=case.months, bases_fen=case.bases_fen,
                   account_fen=case.account_fen, pooled_fen=case.pooled_fen, certificate=case.certificate)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CaseOut,
             summary="申请养老保险关系转移接续（在转入地申请） Apply for a cross-province transfer")
def apply(data: ApplyIn, session: DbSession, principal: CurrentPrincipal) -> CaseOut:
    return case_out(service.apply(session, actor=principal, old_province=data.old_province,
                                  from_agency=data.from_agency, hukou_type=data.hukou_type))


@router.get("", summary="转移接续业务列表 Transfer cases")
def listing(session: DbSession, principal: CurrentPrincipal, role: str | None = None) -> dict[str, Any]:
    return {"items": [case_out(c) for c in service.cases(session, actor=principal, role=role)], "next_cursor": None}


@router.post("/benefit-place", response_model=BenefitPlaceOut,
             summary="待遇领取地（国办发〔2009〕66号第六条） The place where the pension is claimed")
def benefit_place(data: BenefitPlaceIn) -> BenefitPlaceOut:
    found = rules.benefit_place(places=[rules.Place(p.code, p.months, p.temporary) for p in data.places],
                                registration_place=data.registration_place)
    return BenefitPlaceOut(place=found.place, place_name=province_name(found.place[:2] + "0000"), rule=found.rule,
                           reason=found.reason, source=found.source)


@router.post("/messages", summary="节点间接口：转移接续消息（HMAC签名，按业务编号幂等） Node-to-node transfer message")
async def message(request: Request, session: DbSession) -> dict[str, Any]:
    body = await request.body()
    peer = peers.verify(session, node=request.headers.get(peers.NODE_HEADER),
                        timestamp=request.headers.get(peers.TIMESTAMP_HEADER),
                        sig=request.headers.get(peers.SIGNATURE_HEADER), method=request.method,
                        path=request.url.path, body=body)
    try:
        payload = json.loads(body)
    except ValueError:
        raise ValidationFailed([FieldError("body", "renshe:transfer/json", "请求体不是有效的JSON")]) from None

    def work() -> dict[str, Any]:
        return {"applied": service.receive(session, peer_province=peer.province_code, payload=payload)}

    return await run_in_threadpool(work)


@router.get("/{public_id}", response_model=CaseOut, summary="转移接续业务 One transfer case")
def detail(public_id: str, session: DbSession, principal: CurrentPrincipal) -> CaseOut:
    return case_out(service.get_case(session, actor=principal, public_id=public_id))


@router.post("/{public_id}/issue", response_model=CaseOut,
             summary="转出地出具参保缴费凭证并转移关系和基金 Issue the certificate and transfer the funds")
def issue(public_id: str, session: DbSession, principal: CurrentPrincipal) -> CaseOut:
    return case_out(service.issue(session, actor=principal, public_id=public_id))
