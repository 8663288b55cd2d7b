"""The data-sharing gateway (`/share/v1`): client-credentials tokens, catalog metadata, services."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel
from starlette.responses import Response

from renshe.core import db
from renshe.core.auth import Principal, issue_token
from renshe.core.db import utcnow
from renshe.core.errors import Conflict, DomainError, FieldError, Forbidden, ValidationFailed
from renshe.core.http import CurrentPrincipal, DbSession
from renshe.registry import service as registry
from renshe.sharing import jobs, schemas, service
from renshe.sharing.models import BatchJob

router = APIRouter(prefix="/share/v1", tags=["sharing 数据共享"])
staff_router = APIRouter(prefix="/api/v1/sharing", tags=["sharing 数据共享"])
TOKEN_MINUTES = 30


@router.post("/token", response_model=schemas.ShareToken, summary="获取访问令牌 OAuth2 client credentials")
def token(session: DbSession, grant_type: Annotated[str, Form()], client_id: Annotated[str, Form()],
          client_secret: Annotated[str, Form()]) -> schemas.ShareToken:
    if grant_type != "client_credentials":
        raise ValidationFailed([FieldError("grant_type", "renshe:sharing/grant-type",
                                           "grant_type 必须为 client_credentials")])
    principal = service.authenticate_consumer(session, client_id=client_id, client_secret=client_secret)
    return schemas.ShareToken(access_token=issue_token(principal, minutes=TOKEN_MINUTES),
                              expires_in=TOKEN_MINUTES * 60)


@router.get("/catalog", response_model=list[schemas.ResourceOut], summary="共享目录 Every resource of the catalog")
def catalog(session: DbSession, _principal: CurrentPrincipal) -> list[schemas.ResourceOut]:
    out = [service.resource_out(r) for r in service.catalog(session)]
    db.commit(session)  # the national base may have been filled in
    return out


@router.get("/catalog/allowed", response_model=list[schemas.ResourceOut],
            summary="可用资源 Resources this consumer may use")
def allowed(session: DbSession, principal: CurrentPrincipal) -> list[schemas.ResourceOut]:
    return [service.resource_out(r) for r in service.allowed_resources(session, consumer=principal)]


def _served(request: Request, session: DbSession, principal: Principal, short_name: str, subject: str | None,
            answer: Callable[[], tuple[bytes, str]]) -> Response:
    """Authorise, answer, and log the call (a refused or failed call is logged too)."""
    started: datetime = utcnow()
    size = int(request.headers.get("content-length") or 0)
    try:
        granted = service.authorise(session, consumer=principal, short_name=short_name)
        body, result = answer()
    except DomainError as exc:
        session.rollback()
        with db.unit_of_work() as log_session:
            service.log_call(log_session, consumer=principal.subject, resource=short_name, purpose="-",
                             subject=subject, result=exc.code, status=exc.status,
                             requested_at=started, request_bytes=size, response_bytes=0)
        raise
    service.log_call(session, consumer=principal.subject, resource=short_name, purpose=granted.purpose,
                     subject=subject, result=result, status=200, requested_at=started, request_bytes=size,
                     response_bytes=len(body))
    db.commit(session)
    return Response(body, media_type="application/json")


@router.post("/verify/identity", response_model=schemas.IdentityResult,
             summary="身份核验 Verify a name against a resident ID number")
def verify_identity(query: schemas.IdentityQuery, request: Request, session: DbSession,
                    principal: CurrentPrincipal) -> Response:
    def answer() -> tuple[bytes, str]:
        out = service.verify_identity(session, query=query)
        return out.model_dump_json().encode(), out.result

    return _served(request, session, principal, "identity-verification", query.id_number, answer)


class CallOut(BaseModel):
    consumer: str
    resource: str
    purpose: str
    subject: str
    result: str
    status: int
    success: bool
    requested_at: datetime
    responded_at: datetime
    request_bytes: int
    response_bytes: int
    request_id: str


@staff_router.get("/calls", response_model=list[CallOut], summary="调用日志 The gateway's call log")
def calls(session: DbSession, principal: CurrentPrincipal, consumer: str | None = None,
          limit: int = 100) -> list[CallOut]:
    principal.require("audit.read")
    return [CallOut(consumer=c.consumer, resource=c.resource, purpose=c.purpose, subject=c.subject_masked,
                    result=c.result, status=c.status, success=c.success, requested_at=c.requested_at,
                    responded_at=c.responded_at, request_bytes=c.request_bytes, response_bytes=c.response_bytes,
                    request_id=c.request_id)
            for c in service.call_log(session, consumer=consumer, limit=limit)]


@staff_router.get("/catalog/export", summary="导出本地目录 Export the local catalog (json or xlsx)")
def export(session: DbSession, principal: CurrentPrincipal, format: str = "json") -> Response:
    principal.require("audit.read")
    buffer = io.BytesIO()
    service.export_catalog(session, fmt=format, out=buffer)
    db.commit(session)
    media = "application/json" if format == "json" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(buffer.getvalue(), media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="share-catalog.{format}"'})


class SubjectQuery(BaseModel):
    id_number: str


@router.post("/query/{short_name}", summary="状态查询 Ask a registered resource about a person")
def query(short_name: str, data: SubjectQuery, request: Request, session: DbSession,
          principal: CurrentPrincipal) -> Response:
    def answer() -> tuple[bytes, str]:
        found = service.query_person(session, short_name=short_name, id_number=data.id_number)
        return json.dumps(found, ensure_ascii=False).encode(), "found" if found["found"] else "not_found"

    return _served(request, session, principal, short_name, data.id_number, answer)


class PrefilledOut(BaseModel):
    value: object
    resource: str
    source: str
    updated_at: datetime


me_router = APIRouter(prefix="/api/v1/me", tags=["sharing 数据共享"])


@me_router.get("/prefill", response_model=dict[str, PrefilledOut],
               summary="预填 What the platform already holds about me, with provenance")
def my_prefill(session: DbSession, principal: CurrentPrincipal,
               fields: Annotated[str, Query(description="逗号分隔的字段名")] = "name,id_number,phone") -> dict[
                   str, PrefilledOut]:
    if principal.kind != "citizen":
        raise Forbidden("只有本人可以查看自己的预填信息", code="renshe:prefill/citizen-only")
    person = registry.get_person(session, actor=principal, public_id=principal.subject)
    found = service.prefill(session, person=person, wanted=[f.strip() for f in fields.split(",") if f.strip()])
    return {name: PrefilledOut(value=p.value, resource=p.resource, source=p.source, updated_at=p.updated_at)
            for name, p in found.items()}


class BatchOut(BaseModel):
    job_id: str
    status: str
    total_rows: int
    processed_rows: int
    matched: int
    mismatched: int
    not_found: int
    result_url: str | None


def _batch_out(job: BatchJob) -> BatchOut:
    return BatchOut(job_id=job.public_id, status=job.status, total_rows=job.total_rows,
                    processed_rows=job.processed_rows, matched=job.matched, mismatched=job.mismatched,
                    not_found=job.not_found,
                    result_url=f"/share/v1/batch/{job.public_id}/result" if job.status == "done" else None)


@router.post("/batch/identity", response_model=BatchOut, status_code=202,
             summary="批量身份核验 Upload a CSV or XLSX of name,id_number rows")
def batch_identity(request: Request, file: UploadFile, session: DbSession, principal: CurrentPrincipal) -> Response:
    def answer() -> tuple[bytes, str]:
        job = jobs.create_job(session, consumer=principal.subject, upload=file.file, filename=file.filename or "")
        return _batch_out(job).model_dump_json().encode(), f"batch:{job.total_rows}"

    response = _served(request, session, principal, "identity-verification", None, answer)
    response.status_code = 202
    return response


@router.get("/batch/{job_id}", response_model=BatchOut, summary="批量核验进度 Progress of a batch")
def batch_status(job_id: str, session: DbSession, principal: CurrentPrincipal) -> BatchOut:
    return _batch_out(jobs.get_job(session, consumer=principal.subject, job_id=job_id))


@router.get("/batch/{job_id}/result", summary="批量核验结果 The result file (CSV)")
def batch_result(job_id: str, session: DbSession, principal: CurrentPrincipal) -> Response:
    job = jobs.get_job(session, consumer=principal.subject, job_id=job_id)
    if job.status != "done":
        raise Conflict("任务尚未完成，请稍后再下载", code="renshe:batch/not-done")
    return FileResponse(jobs.result_path(job), media_type="text/csv", filename=f"result-{job_id}.csv")
