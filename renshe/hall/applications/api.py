"""JSON routes of applications (办件): apply, the queue or one's own list, one application, a workflow step,
a material, and the prefill of an item's form."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response, status
from fastapi.responses import FileResponse
from pydantic import BaseModel

from renshe.core.errors import NotFound
from renshe.core.http import CurrentPrincipal, DbSession, Limit
from renshe.core.http import etag as _etag
from renshe.core.http import if_match as _if_match
from renshe.hall import schemas
from renshe.hall.applications import consent, materials, reading, service

router = APIRouter(tags=["hall 一网通办"])  # included under /api/v1/hall by renshe.hall.api


class PrefilledField(BaseModel):
    value: Any
    resource: str
    source: str
    updated_at: datetime


@router.get("/items/{code}/prefill", response_model=dict[str, PrefilledField],
            summary="表单预填 What the platform already holds for this item's form (locked on submit)")
def item_prefill(code: str, session: DbSession, principal: CurrentPrincipal) -> dict[str, PrefilledField]:
    found = service.prefill_of(session, actor=principal, item_code=code)
    return {name: PrefilledField(value=p.value, resource=p.resource, source=p.source, updated_at=p.updated_at)
            for name, p in found.items()}



def _out(session: DbSession, application: Any, principal: CurrentPrincipal, response: Response,
         unmask: bool = False) -> schemas.ApplicationOut:
    out = reading.application_out(session, application, actor=principal, unmask=unmask)
    response.headers["ETag"] = _etag(application.version)
    return out


@router.post("/applications", status_code=status.HTTP_201_CREATED, response_model=schemas.ApplicationOut,
             summary="提交申请 Apply (citizen; with `representation` for a family member, 代办)")
def apply(data: schemas.ApplicationIn, session: DbSession, principal: CurrentPrincipal,
          response: Response) -> schemas.ApplicationOut:
    application = service.submit(session, actor=principal, item_code=data.item_code, data=data.data,
                                 uploads=materials.decode_uploads(data.materials), representation=data.representation)
    out = _out(session, application, principal, response)
    response.headers["Location"] = f"/api/v1/hall/applications/{application.public_id}"
    return out



@router.get("/applications", response_model=schemas.ApplicationPage,
            summary="办件列表：经办人员的工作队列（按辖区与角色），或本人的办件 Queue or own applications")
def list_applications(session: DbSession, principal: CurrentPrincipal,
                      item: Annotated[str | None, Query(description="事项编码")] = None,
                      state: Annotated[str | None, Query(description="状态")] = None,
                      near_due: Annotated[bool, Query(description="临近到期（剩余不超过2个工作日）或已超期")] = False,
                      overdue: Annotated[bool, Query(description="已超期")] = False,
                      limit: Limit = 20, cursor: str | None = None) -> schemas.ApplicationPage:
    rows, next_cursor = reading.listing(session, actor=principal, item_code=item, state=state, near_due=near_due,
                                        overdue=overdue, limit=limit, cursor=cursor)
    return schemas.ApplicationPage(items=reading.summaries(session, rows), next_cursor=next_cursor)


@router.get("/applications/{public_id}", response_model=schemas.ApplicationOut, summary="办件详情 One application")
def get_application(public_id: str, session: DbSession, principal: CurrentPrincipal, response: Response,
                    unmask: Annotated[bool, Query(description="显示完整号码（需单独授权，记入审计）")] = False,
                    ) -> schemas.ApplicationOut:
    application = reading.get_application(session, actor=principal, public_id=public_id)
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
    application = reading.get_application(session, actor=principal, public_id=public_id)
    service.act(session, actor=principal, application=application, action=action, reason=data.reason,
                supplement=data.supplement, data=data.data, uploads=materials.decode_uploads(data.materials),
                delivery_method=data.delivery_method, expected_version=_if_match(if_match))
    return _out(session, application, principal, response)


@router.get("/applications/{public_id}/materials/{sm3}", response_class=FileResponse,
            summary="下载申请材料 Download one uploaded material")
def material(public_id: str, sm3: str, session: DbSession, principal: CurrentPrincipal) -> FileResponse:
    application = reading.get_application(session, actor=principal, public_id=public_id)
    for m in materials.materials_of(session, application):
        if m.sm3 == sm3 and m.source == "upload":  # a certificate is verified at /certs/verify, not downloaded
            path = materials.material_path(m)
            if not path.exists():
                break
            return FileResponse(path, media_type=m.content_type, filename=m.filename)
    raise NotFound("该材料", code="renshe:hall/material-not-found")


# ---------------------------------------------------------------- 代办: the represented person's consent


@router.post("/representations/code", response_model=schemas.RepresentationCodeOut,
             responses={422: {"description": "renshe:hall/represented-mismatch：姓名与身份号码不匹配或未登记"
                                   "（不区分是哪一项）"},
                        429: {"description": "renshe:auth/code-cooldown：发送过于频繁"}},
             summary="代办：请被代办人同意（向其登记的手机发送验证码；已有代办授权时无需验证码）")
def representation_code(data: schemas.RepresentationCodeIn, session: DbSession,
                        principal: CurrentPrincipal) -> schemas.RepresentationCodeOut:
    answer = consent.request_consent(session, actor=principal, item_code=data.item_code, id_number=data.id_number,
                                     name=data.name)
    return schemas.RepresentationCodeOut(consent="standing" if answer == "standing" else "code_sent")


@router.get("/authorisations", response_model=list[schemas.AuthorisationOut],
            summary="代办授权：我给出的和我收到的 My standing authorisations")
def list_authorisations(session: DbSession, principal: CurrentPrincipal) -> list[schemas.AuthorisationOut]:
    return consent.authorisations_of(session, actor=principal)


@router.post("/authorisations", status_code=status.HTTP_201_CREATED, response_model=schemas.AuthorisationOut,
             summary="授权他人代办 Authorise someone to apply in my name (scope and expiry; revocable)")
def grant_authorisation(data: schemas.AuthorisationIn, session: DbSession,
                        principal: CurrentPrincipal) -> schemas.AuthorisationOut:
    record = consent.grant(session, actor=principal, data=data)
    return consent.authorisation_out(session, record, me=record.grantor_id)


@router.post("/authorisations/{public_id}/revoke", response_model=schemas.AuthorisationOut,
             summary="撤销代办授权 Revoke a standing authorisation")
def revoke_authorisation(public_id: str, session: DbSession, principal: CurrentPrincipal) -> schemas.AuthorisationOut:
    record = consent.revoke(session, actor=principal, public_id=public_id)
    return consent.authorisation_out(session, record, me=record.grantor_id)
