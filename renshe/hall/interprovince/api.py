"""JSON routes of 跨省通办: a citizen's forwarded application, and the signed node-to-node interface."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Request, Response, status
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from renshe.core.errors import FieldError, ValidationFailed
from renshe.core.http import CurrentPrincipal, DbSession
from renshe.hall import peers, schemas
from renshe.hall.applications import materials, reading
from renshe.hall.interprovince import relay
from renshe.hall.interprovince import service as interprovince

# Importing the relay subscribes it to the outbox: a web process sends the peer messages it queues.
SENDER = relay.deliver_pending
router = APIRouter(tags=["hall 一网通办"])  # included under /api/v1/hall by renshe.hall.api

class ForwardIn(schemas.ApplicationIn):
    province: str = Field(description="办理省份（省级区划代码）")
    mode: Literal["collect", "joint"] = Field(description="collect 代收代办 | joint 两地联办")
    handling_division: str | None = Field(default=None, description="办理地（对方省内的区划代码）")


@router.post("/interprovince/outgoing", status_code=status.HTTP_201_CREATED, response_model=schemas.ApplicationOut,
             summary="跨省通办申请（本省收件，转对方省办理） Apply for an item handled by another province")
def forward(data: ForwardIn, session: DbSession, principal: CurrentPrincipal) -> schemas.ApplicationOut:
    application = interprovince.submit_forwarded(
        session, actor=principal, item_code=data.item_code, province=data.province, mode=data.mode,
        data=data.data, uploads=materials.decode_uploads(data.materials), handling_division=data.handling_division)
    return reading.application_out(session, application, actor=principal)


# The signed routes read their body themselves (the signature covers its bytes); the document still names it.
SIGNED_BODY: dict[str, Any] = {"requestBody": {
    "required": True, "description": "节点间JSON报文（HMAC签名覆盖原始字节）",
    "content": {"application/json": {"schema": {"type": "object"}}}}}


async def _signed(request: Request, session: DbSession) -> tuple[Any, dict[str, Any]]:
    body = await request.body()
    peer = peers.verify(session, node=request.headers.get(peers.NODE_HEADER),
                        timestamp=request.headers.get(peers.TIMESTAMP_HEADER),
                        sig=request.headers.get(peers.SIGNATURE_HEADER), method=request.method,
                        path=request.url.path, body=body)
    try:
        payload = json.loads(body)
    except ValueError:
        raise ValidationFailed([FieldError("body", "renshe:hall/xp-json", "请求体不是有效的JSON")]) from None
    return peer, payload


@router.post("/interprovince/applications", openapi_extra=SIGNED_BODY,
             summary="节点间接口：接收外省转来的申请（HMAC签名，按来源办件编号幂等） Receive a forwarded application")
async def receive(request: Request, session: DbSession, response: Response) -> dict[str, Any]:
    peer, payload = await _signed(request, session)
    def work() -> dict[str, Any]:
        application, created = interprovince.receive(session, peer=peer, payload=payload)
        return {"remote_id": application.public_id, "remote_number": application.number, "state": application.state,
               "state_label": reading.state_label(application), "created": created}

    out = await run_in_threadpool(work)
    response.status_code = status.HTTP_201_CREATED if out["created"] else status.HTTP_200_OK
    return out


@router.post("/interprovince/status", openapi_extra=SIGNED_BODY,
             summary="节点间接口：办理省回传办件状态（HMAC签名，按序号幂等） Status callback from the handler")
async def status_callback(request: Request, session: DbSession) -> dict[str, Any]:
    peer, payload = await _signed(request, session)
    def work() -> dict[str, Any]:
        applied = interprovince.apply_status(session, peer=peer, payload=payload)
        return {"applied": applied}

    return await run_in_threadpool(work)


@router.get("/interprovince/peers", summary="跨省通办节点 Peer nodes (no secrets)")
def peer_list(session: DbSession, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    return [{"province_code": p.province_code, "name": p.name, "base_url": p.base_url}
            for p in peers.listing(session, actor=principal)]
