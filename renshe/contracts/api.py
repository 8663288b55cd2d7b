"""JSON API of electronic labour contracts (`/api/v1/contracts/...`): the templates and termination reasons, the
employer's draft (or a clerk's for it), amendment, renewal and termination; the worker's one-time code and both
sides' signatures; lists (the worker's own; the employer's own or the jurisdiction's, cursor paging); the PDF;
verification of an uploaded copy or of a number and hash (open to anyone holding a copy); staff warnings.
A broken rule is a problem+json whose `type` is `renshe:contracts/<rule>`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from renshe.contracts import schemas, service
from renshe.core.auth import Principal
from renshe.core.errors import FieldError, ValidationFailed
from renshe.core.http import CurrentPrincipal, DbSession, require_kind

router = APIRouter(prefix="/api/v1/contracts", tags=["contracts 电子劳动合同"])
WRITE: dict[int | str, dict[str, Any]] = {
    422: {"description": "输入有误或不符合规则（problem+json，type 为 renshe:contracts/<rule>，errors 逐项指明字段）"},
    403: {"description": "无权办理"}, 404: {"description": "未找到或不可见"},
    409: {"description": "合同状态不允许（如须劳动者先签署）或文件已变化"}}
Staff = Annotated[Principal, require_kind("staff")]
Citizen = Annotated[Principal, require_kind("citizen")]
MAX_UPLOAD = 10 * 1024 * 1024
STATES = "^(draft|worker_signed|effective|superseded|terminated)$"


def _json(model: BaseModel, status_code: int = 200) -> Response:
    return Response(model.model_dump_json(), media_type="application/json", status_code=status_code)


@router.get("/templates", response_model=schemas.TemplatesOut,
            summary="合同模板与解除终止原因 Templates (art. 17 clauses) and termination reasons")
def templates() -> Response:
    return _json(service.templates_out())


@router.get("/verify", response_model=schemas.VerifyOut,
            summary="按合同编号和文件摘要核验 Verify by contract number and SHA-256")
def verify_hash(session: DbSession, number: Annotated[str, Query(min_length=1, max_length=32)],
                sha256: Annotated[str, Query(pattern="^[0-9a-fA-F]{64}$")]) -> Response:
    return _json(service.verify_hash(session, number=number, sha256=sha256))


@router.post("/verify", response_model=schemas.VerifyOut,
             summary="上传合同PDF核验签名与内容 Verify an uploaded signed contract PDF")
async def verify_file(session: DbSession, file: Annotated[UploadFile, File()]) -> Response:
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise ValidationFailed([FieldError("file", "renshe:contracts/upload-size", "文件不能超过10MB")])
    result = await run_in_threadpool(lambda: service.verify_file(session, data=data))
    return _json(result)


@router.get("/warnings", response_model=schemas.WarningsOut,
            summary="劳动合同预警（未订立书面合同、固定期限30日内到期） Warnings")
def warnings(session: DbSession, principal: Staff) -> Response:
    found = service.warnings(session, actor=principal)
    return _json(schemas.WarningsOut(on=found.on, items=found.items))


@router.post("", response_model=schemas.ContractOut, status_code=201, responses=WRITE,
             summary="起草劳动合同 Draft a contract for an employed person")
def draft(data: schemas.DraftIn, session: DbSession, principal: CurrentPrincipal) -> Response:
    return _json(service.out(service.draft(session, actor=principal, data=data)), 201)


@router.get("", response_model=schemas.ContractPage,
            summary="劳动合同（本人的、本单位的或辖区内的） Contracts")
def listing(session: DbSession, principal: CurrentPrincipal,
            state: Annotated[str | None, Query(pattern=STATES)] = None, cursor: str | None = None,
            limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Response:
    rows, next_cursor = service.listing(session, actor=principal, state=state, cursor=cursor, limit=limit)
    return _json(schemas.ContractPage(items=[service.out(r) for r in rows], next_cursor=next_cursor))


@router.get("/{public_id}", response_model=schemas.ContractOut, responses=WRITE, summary="劳动合同 A contract")
def one(public_id: str, session: DbSession, principal: CurrentPrincipal) -> Response:
    return _json(service.out(service.get(session, actor=principal, public_id=public_id)))


@router.get("/{public_id}/pdf", responses={200: {"content": {"application/pdf": {}}}, **WRITE},
            summary="下载合同PDF（生效后为双方签名并经平台签章的文件） Download the PDF")
def pdf(public_id: str, session: DbSession, principal: CurrentPrincipal) -> Response:
    name, data = service.pdf_of(session, actor=principal, public_id=public_id)
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/{public_id}/sign-code", status_code=204, responses=WRITE,
             summary="向劳动者发送签署验证码 Send the worker a one-time code")
def sign_code(public_id: str, session: DbSession, principal: Citizen) -> Response:
    service.send_sign_code(session, actor=principal, public_id=public_id)
    return Response(status_code=204)


@router.post("/{public_id}/sign", response_model=schemas.ContractOut, responses=WRITE,
             summary="确认意愿并签署（劳动者先签，用人单位后签） Confirm intent and sign")
def sign(public_id: str, data: schemas.SignIn, session: DbSession, principal: CurrentPrincipal) -> Response:
    return _json(service.out(service.sign(session, actor=principal, public_id=public_id, data=data)))


@router.post("/{public_id}/amend", response_model=schemas.ContractOut, status_code=201, responses=WRITE,
             summary="变更劳动合同（生成待签署的新版本） Amend: a new version to sign")
def amend(public_id: str, data: schemas.ChangeIn, session: DbSession, principal: CurrentPrincipal) -> Response:
    return _json(service.out(service.amend(session, actor=principal, public_id=public_id, fields=dict(data.fields))),
                 201)


@router.post("/{public_id}/renew", response_model=schemas.ContractOut, status_code=201, responses=WRITE,
             summary="续订固定期限劳动合同 Renew a fixed-term contract")
def renew(public_id: str, data: schemas.ChangeIn, session: DbSession, principal: CurrentPrincipal) -> Response:
    return _json(service.out(service.renew(session, actor=principal, public_id=public_id, fields=dict(data.fields))),
                 201)


@router.post("/{public_id}/terminate", response_model=schemas.ContractOut, responses=WRITE,
             summary="解除或终止劳动合同（同时终止用工记录） Terminate; ends the employment relation")
def terminate(public_id: str, data: schemas.TerminateIn, session: DbSession, principal: CurrentPrincipal) -> Response:
    return _json(service.out(service.terminate(session, actor=principal, public_id=public_id, data=data)))
