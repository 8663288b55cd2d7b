"""JSON API of the service hall (`/api/v1/hall/...`): items, applications, transitions."""

from __future__ import annotations

import os
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from renshe.core.errors import Forbidden, NotFound, ValidationFailed
from renshe.core.http import CurrentPrincipal, DbSession, Limit
from renshe.core.http import etag as _etag
from renshe.core.http import if_match as _if_match
from renshe.hall import oversight_api, schemas, service
from renshe.registry import service as registry

router = APIRouter(prefix="/api/v1/hall", tags=["hall 一网通办"])
# 超期督办, 好差评, 问题反馈, 跨省通办, 一件事: first, so `/applications/{id}/rating` is not taken for a transition.
router.include_router(oversight_api.router)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/items", response_model=schemas.ItemList, summary="事项目录 The local item catalog")
def list_items(session: DbSession) -> schemas.ItemList:
    return schemas.ItemList(items=[summary for _, _, summary in service.catalog(session)])


@router.get("/items/{code}", response_model=schemas.ItemOut, summary="事项详情（办事指南、表单、材料、流程） One item")
def get_item(code: str, session: DbSession) -> schemas.ItemOut:
    return service.item_out(session, service.get_item(session, code))


class PrefilledField(BaseModel):
    value: Any
    resource: str
    source: str
    updated_at: datetime


@router.get("/items/{code}/prefill", response_model=dict[str, PrefilledField],
            summary="表单预填 What the platform already holds for this item's form (locked on submit)")
def item_prefill(code: str, session: DbSession, principal: CurrentPrincipal) -> dict[str, PrefilledField]:
    if principal.kind != "citizen":
        raise Forbidden("只有本人可以查看自己的预填信息", code="renshe:prefill/citizen-only")
    person = registry.get_person(session, actor=principal, public_id=principal.subject)
    revision = service.current_revision(session, service.get_item(session, code))
    found = service.prefill_for(session, person=person, revision=revision)
    return {name: PrefilledField(value=p.value, resource=p.resource, source=p.source, updated_at=p.updated_at)
            for name, p in found.items()}


class AdaptIn(BaseModel):
    note: str = Field(min_length=2, max_length=500, description="调整说明")
    promised_limit_days: int | None = Field(default=None, ge=0, description="承诺时限（工作日），不超过法定时限")
    guide: dict[str, Any] | None = None
    form: dict[str, Any] | None = None
    materials: list[dict[str, Any]] | None = None


@router.post("/items/{code}/adapt", response_model=schemas.ItemOut,
             summary="本地化调整 Adapt the local item to the latest national version")
def adapt_item(code: str, data: AdaptIn, session: DbSession, principal: CurrentPrincipal) -> schemas.ItemOut:
    service.adapt_item(session, actor=principal, code=code, note=data.note,
                       promised_limit_days=data.promised_limit_days, guide=data.guide, form=data.form,
                       materials=data.materials)
    return service.item_out(session, service.get_item(session, code))


class PublishIn(BaseModel):
    note: str = Field(min_length=2, max_length=500, description="变更说明")
    published_on: date | None = None
    changes: dict[str, Any] = Field(description="name / case_type / legal_limit_days / guide / form / materials")


class SpecOut(BaseModel):
    code: str
    version: int
    published_on: date
    adapt_by: date


@router.post("/national-specs/{code}", response_model=SpecOut, status_code=status.HTTP_201_CREATED,
             summary="发布国家统一规范新版本 Publish a new national version (flags local adaptations)")
def publish(code: str, data: PublishIn, session: DbSession, principal: CurrentPrincipal) -> SpecOut:
    spec = service.publish_national(session, actor=principal, code=code, changes=data.changes, note=data.note,
                                    published_on=data.published_on)
    return SpecOut(code=spec.code, version=spec.version, published_on=spec.published_on,
                  adapt_by=service.add_months(spec.published_on, service.ADAPTATION_MONTHS))


@router.get("/catalog/export.json", summary="导出本地事项目录（JSON，供向上级报送） Export the local catalog")
def export_json(session: DbSession, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    return service.export_catalog(session, actor=principal)


@router.get("/catalog/export.xlsx", response_class=FileResponse,
            responses={200: {"content": {XLSX: {}}, "description": "XLSX"}},
            summary="导出本地事项目录（XLSX） Export the local catalog as XLSX")
def export_xlsx(session: DbSession, principal: CurrentPrincipal) -> FileResponse:
    handle = tempfile.NamedTemporaryFile(prefix="renshe-catalog-", suffix=".xlsx", delete=False)  # noqa: SIM115
    handle.close()
    path = Path(handle.name)
    try:
        service.export_xlsx(session, actor=principal, out=path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return FileResponse(path, media_type=XLSX, filename=f"hall-catalog-{date.today():%Y%m%d}.xlsx",
                        background=BackgroundTask(os.unlink, path))


def _out(session: DbSession, application: Any, principal: CurrentPrincipal, response: Response,
         unmask: bool = False) -> schemas.ApplicationOut:
    out = service.application_out(session, application, actor=principal, unmask=unmask)
    response.headers["ETag"] = _etag(application.version)
    return out


@router.post("/applications", status_code=status.HTTP_201_CREATED, response_model=schemas.ApplicationOut,
             summary="提交申请 Apply (citizen; with `representation` for a family member, 代办)")
def apply(data: schemas.ApplicationIn, session: DbSession, principal: CurrentPrincipal,
          response: Response) -> schemas.ApplicationOut:
    application = service.submit(session, actor=principal, item_code=data.item_code, data=data.data,
                                 uploads=service.decode_uploads(data.materials), representation=data.representation)
    out = _out(session, application, principal, response)
    response.headers["Location"] = f"/api/v1/hall/applications/{application.public_id}"
    return out


class WindowCodeIn(BaseModel):
    item_code: str
    id_number: str = Field(description="申请人公民身份号码")


class WindowCodeOut(BaseModel):
    phone: str = Field(description="接收确认验证码的手机号（已脱敏）")
    expires_in: int


@router.post("/window/code", response_model=WindowCodeOut,
             summary="窗口代录：向申请人发送确认验证码 Send the applicant a confirmation code")
def window_code(data: WindowCodeIn, session: DbSession, principal: CurrentPrincipal) -> WindowCodeOut:
    from renshe.core.settings import get_settings

    phone = service.send_window_code(session, actor=principal, id_number=data.id_number, item_code=data.item_code)
    return WindowCodeOut(phone=phone, expires_in=get_settings().otp_ttl_seconds)


class WindowApplicationIn(schemas.ApplicationIn):
    id_number: str = Field(description="申请人公民身份号码")
    code: str = Field(description="申请人手机收到的确认验证码")


@router.post("/window/applications", status_code=status.HTTP_201_CREATED, response_model=schemas.ApplicationOut,
             summary="窗口代录申请 A clerk files an application the citizen confirms with their code")
def window_apply(data: WindowApplicationIn, session: DbSession, principal: CurrentPrincipal,
                 response: Response) -> schemas.ApplicationOut:
    try:
        application = service.submit_at_window(
            session, actor=principal, item_code=data.item_code, id_number=data.id_number, code=data.code,
            data=data.data, uploads=service.decode_uploads(data.materials))
    except ValidationFailed as exc:
        if any(e.code == service.WINDOW_CODE_ERROR for e in exc.errors):
            exc.persist = True  # a wrong code counts against the attempts left
        raise
    return _out(session, application, principal, response)


@router.get("/applications", response_model=schemas.ApplicationPage,
            summary="办件列表：经办人员的工作队列（按辖区与角色），或本人的办件 Queue or own applications")
def list_applications(session: DbSession, principal: CurrentPrincipal,
                      item: Annotated[str | None, Query(description="事项编码")] = None,
                      state: Annotated[str | None, Query(description="状态")] = None,
                      near_due: Annotated[bool, Query(description="临近到期（剩余不超过2个工作日）或已超期")] = False,
                      overdue: Annotated[bool, Query(description="已超期")] = False,
                      limit: Limit = 20, cursor: str | None = None) -> schemas.ApplicationPage:
    if principal.kind == "citizen":
        rows = service.applications_of(session, actor=principal, limit=limit)
        return schemas.ApplicationPage(items=[service.summary_out(session, a) for a in rows], next_cursor=None)
    rows, next_cursor = service.queue(session, actor=principal, item_code=item, state=state, near_due=near_due,
                                      overdue=overdue, limit=limit, cursor=cursor)
    return schemas.ApplicationPage(items=[service.summary_out(session, a) for a in rows], next_cursor=next_cursor)


@router.get("/applications/{public_id}", response_model=schemas.ApplicationOut, summary="办件详情 One application")
def get_application(public_id: str, session: DbSession, principal: CurrentPrincipal, response: Response,
                    unmask: Annotated[bool, Query(description="显示完整号码（需单独授权，记入审计）")] = False,
                    ) -> schemas.ApplicationOut:
    application = service.get_application(session, actor=principal, public_id=public_id)
    return _out(session, application, principal, response, unmask=unmask)


@router.post("/applications/{public_id}/{action}", response_model=schemas.ApplicationOut,
             responses={409: {"description": "renshe:hall/transition-not-allowed：当前状态不允许该操作"},
                        403: {"description": "renshe:hall/same-handler：受理人不能审核同一办件"},
                        412: {"description": "If-Match 与当前版本不符"}},
             summary="办件流转 Take a workflow step (accept, reject, request_supplement, resubmit, review, approve, "
                     "refuse, deliver, withdraw)")
def transition(public_id: str, action: schemas.Action, data: schemas.TransitionIn, session: DbSession,
               principal: CurrentPrincipal, response: Response,
               if_match: Annotated[str | None, Header()] = None) -> schemas.ApplicationOut:
    application = service.get_application(session, actor=principal, public_id=public_id)
    service.act(session, actor=principal, application=application, action=action, reason=data.reason,
                supplement=data.supplement, data=data.data, uploads=service.decode_uploads(data.materials),
                delivery_method=data.delivery_method, expected_version=_if_match(if_match))
    return _out(session, application, principal, response)


@router.get("/applications/{public_id}/materials/{sm3}", response_class=FileResponse,
            summary="下载申请材料 Download one uploaded material")
def material(public_id: str, sm3: str, session: DbSession, principal: CurrentPrincipal) -> FileResponse:
    application = service.get_application(session, actor=principal, public_id=public_id)
    for m in service.materials_of(session, application):
        if m.sm3 == sm3 and m.source == "upload":  # a certificate is verified at /certs/verify, not downloaded
            path = service.material_path(m)
            if not path.exists():
                break
            return FileResponse(path, media_type=m.content_type, filename=m.filename)
    raise NotFound("该材料", code="renshe:hall/material-not-found")
