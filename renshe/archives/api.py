"""JSON API of personnel files (`/api/v1/archives/...`): the person's own file with its transfers, and the
存档证明 issued to them as an electronic certificate."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.responses import Response

from renshe.archives import service
from renshe.core.auth import Principal
from renshe.core.http import DbSession, require_kind

router = APIRouter(prefix="/api/v1/archives", tags=["archives 流动人员人事档案"])
Citizen = Annotated[Principal, require_kind("citizen")]
WRITE: dict[int | str, dict[str, Any]] = {404: {"description": "没有本人的档案"}, 409: {"description": "档案转递中"}}


class TransferOut(BaseModel):
    to_keeper: str
    tracking_number: str
    sent_on: date
    due_on: date
    received_on: date | None
    state: str
    state_label: str


class FileOut(BaseModel):
    file_number: str
    keeper: str
    state: str
    state_label: str
    received_on: date
    transfers: list[TransferOut]


class CertificateOut(BaseModel):
    public_id: str
    link: str


@router.get("/me", response_model=FileOut | None, summary="我的人事档案 My personnel file")
def mine(session: DbSession, principal: Citizen) -> Response:
    row, moves = service.mine(session, actor=principal)
    if row is None:
        return Response("null", media_type="application/json")
    out = FileOut(file_number=row.file_number, keeper=service.keeper_name(session, row.agency_id), state=row.state,
                  state_label=service.STATES[row.state], received_on=row.received_on,
                  transfers=[TransferOut(to_keeper=service.keeper_name(session, m.to_agency_id),
                                         tracking_number=m.tracking_number, sent_on=m.sent_on, due_on=m.due_on,
                                         received_on=m.received_on, state=m.state,
                                         state_label=service.TRANSFER_STATES[m.state]) for m in moves])
    return Response(out.model_dump_json(), media_type="application/json")


@router.post("/me/certificate", response_model=CertificateOut, status_code=201, responses=WRITE,
             summary="开具存档证明 Issue the certificate of storage")
def certificate(session: DbSession, principal: Citizen) -> Response:
    issued = service.certificate(session, actor=principal)
    out = CertificateOut(public_id=issued.public_id, link=f"/citizen/certs/{issued.public_id}")
    return Response(out.model_dump_json(), media_type="application/json", status_code=201)
