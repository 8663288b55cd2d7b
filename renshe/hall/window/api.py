"""JSON routes of window applications (窗口代录): send the confirmation code, file the application."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from renshe.core.http import CurrentPrincipal, DbSession
from renshe.core.http import etag as _etag
from renshe.core.settings import get_settings
from renshe.hall import schemas
from renshe.hall.applications import materials, reading
from renshe.hall.window import service

router = APIRouter(tags=["hall 一网通办"])  # included under /api/v1/hall by renshe.hall.api


class WindowCodeIn(BaseModel):
    item_code: str
    id_number: str = Field(description="申请人公民身份号码")


class WindowCodeOut(BaseModel):
    phone: str = Field(description="接收确认验证码的手机号（已脱敏）")
    expires_in: int


@router.post("/window/code", response_model=WindowCodeOut,
             summary="窗口代录：向申请人发送确认验证码 Send the applicant a confirmation code")
def window_code(data: WindowCodeIn, session: DbSession, principal: CurrentPrincipal) -> WindowCodeOut:
    phone = service.send_window_code(session, actor=principal, id_number=data.id_number, item_code=data.item_code)
    return WindowCodeOut(phone=phone, expires_in=get_settings().otp_ttl_seconds)


class WindowApplicationIn(schemas.ApplicationIn):
    id_number: str = Field(description="申请人公民身份号码")
    code: str = Field(description="申请人手机收到的确认验证码")


@router.post("/window/applications", status_code=status.HTTP_201_CREATED, response_model=schemas.ApplicationOut,
             summary="窗口代录申请 A clerk files an application the citizen confirms with their code")
def window_apply(data: WindowApplicationIn, session: DbSession, principal: CurrentPrincipal,
                 response: Response) -> schemas.ApplicationOut:
    application = service.submit_at_window(
        session, actor=principal, item_code=data.item_code, id_number=data.id_number, code=data.code,
        data=data.data, uploads=materials.decode_uploads(data.materials))
    out = reading.application_out(session, application, actor=principal)
    response.headers["ETag"] = _etag(application.version)
    return out
