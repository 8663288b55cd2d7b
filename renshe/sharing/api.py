"""The data-sharing gateway (`/share/v1`): client-credentials tokens, catalog metadata, services."""

from __future__ import annotations

import base64
import binascii
import io
import json
import tempfile
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import unquote_plus

from fastapi import APIRouter, Depends, Form, Header, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.responses import Response

from renshe.core import db
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import Conflict, DomainError, Gone
from renshe.core.http import CurrentPrincipal, DbSession, ReadSession, WriteSession
from renshe.core.http import if_match as http_if_match
from renshe.registry import service as registry
from renshe.sharing import fastpath, gateway, jobs, policy, recorder, schemas, service
from renshe.sharing.catalog import SHORT_NAME
from renshe.sharing.models import BatchJob, CallLogEntry

router = APIRouter(prefix="/share/v1", tags=["sharing 数据共享"])
staff_router = APIRouter(prefix="/api/v1/sharing", tags=["sharing 数据共享"])
TOKEN_MINUTES = service.TOKEN_MINUTES


def _oauth_error(error: str, detail: str, status: int = 400, *, basic: bool = False) -> DomainError:
    """An error of the token endpoint as RFC 6749 §5.2 names it (`error`, `error_description`, JSON),
    keeping the problem members beside them; a failed Basic authentication also says how to retry."""
    exc = DomainError(f"renshe:sharing/oauth/{error}", detail, status,
                      "客户端认证失败" if error == "invalid_client" else "令牌请求无效",
                      members={"error": error, "error_description": detail}, media_type="application/json",
                      headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
    if basic or status == 401:
        exc.headers["WWW-Authenticate"] = 'Basic realm="renshe-share"'
    return exc


def _basic_credentials(authorization: str) -> tuple[str, str] | None:
    """client_secret_basic (RFC 6749 §2.3.1): id and secret form-urlencoded, then joined by ":" in Basic."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise _oauth_error("invalid_client", "Authorization 头的 Basic 凭据格式不正确", 401, basic=True) from None
    if not sep:
        raise _oauth_error("invalid_client", "Authorization 头的 Basic 凭据格式不正确", 401, basic=True)
    return unquote_plus(user), unquote_plus(password)


_OAUTH_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
TOKEN_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "invalid_request / unsupported_grant_type（RFC 6749 §5.2）", **_OAUTH_ERROR},
    401: {"description": "invalid_client（RFC 6749 §5.2），带 WWW-Authenticate", **_OAUTH_ERROR}}


@router.post("/token", response_model=schemas.ShareToken, summary="获取访问令牌 OAuth2 client credentials",
             responses=TOKEN_ERRORS)
def token(request: Request, response: Response, session: DbSession,
          grant_type: Annotated[str | None, Form()] = None, client_id: Annotated[str | None, Form()] = None,
          client_secret: Annotated[str | None, Form()] = None,
          authorization: Annotated[str | None, Header(include_in_schema=False)] = None) -> schemas.ShareToken:
    """Client authentication by HTTP Basic (client_secret_basic) or in the form (client_secret_post), not
    both; errors as RFC 6749 §5.2 says, and the answer is never cached (§5.1)."""
    basic = _basic_credentials(authorization) if authorization else None
    if basic is not None and (client_secret is not None or (client_id is not None and client_id != basic[0])):
        raise _oauth_error("invalid_request", "只能使用一种客户端认证方式（Basic 或表单）")
    if not grant_type:
        raise _oauth_error("invalid_request", "缺少 grant_type")
    if grant_type != "client_credentials":
        raise _oauth_error("unsupported_grant_type", "grant_type 必须为 client_credentials")
    if basic is None and not (client_id and client_secret):
        raise _oauth_error("invalid_client", "缺少客户端凭据（client_id 与 client_secret，或 HTTP Basic）", 401,
                           basic=True)
    cid, secret = basic if basic is not None else (client_id or "", client_secret or "")
    try:
        principal = service.authenticate_consumer(session, client_id=cid, client_secret=secret)
    except DomainError as exc:
        error = _oauth_error("invalid_client", exc.detail, 401, basic=True)
        error.audit = exc.audit
        raise error from None
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    access_token = service.issue_consumer_token(session, consumer=principal,
                                                client_addr=request.client.host if request.client else "-")
    return schemas.ShareToken(access_token=access_token, expires_in=TOKEN_MINUTES * 60)


@router.post("/revoke", status_code=200, summary="撤销访问令牌 OAuth2 token revocation (RFC 7009)")
def revoke(session: DbSession, token: Annotated[str, Form()], client_id: Annotated[str, Form()],
           client_secret: Annotated[str, Form()]) -> Response:
    """The consumer revokes one of its tokens: refused on every worker within 5 s (at once on this one).
    Answers 200 for an unknown or already invalid token too, as RFC 7009 asks."""
    principal = service.authenticate_consumer(session, client_id=client_id, client_secret=client_secret)
    service.revoke_token(session, consumer=principal, token=token)
    return Response(status_code=200)


@router.get("/catalog", response_model=list[schemas.ResourceOut], summary="共享目录 Every resource of the catalog")
def catalog(session: WriteSession, _principal: CurrentPrincipal) -> list[schemas.ResourceOut]:
    return [service.resource_out(r) for r in service.catalog(session)]  # may fill in the national base


@router.get("/catalog/allowed", response_model=list[schemas.ResourceOut],
            summary="可用资源 Resources this consumer may use")
def allowed(session: DbSession, principal: CurrentPrincipal) -> list[schemas.ResourceOut]:
    return [service.resource_out(r) for r in service.allowed_resources(session, consumer=principal)]


def _served(request: Request, session: Session, principal: Principal, short_name: str, subject: str | None,
            answer: Callable[[], tuple[bytes, str]]) -> Response:
    """Authorise and answer on the request's session; the call is logged however it ends (queued for
    the call-log writer, or written in a short transaction of its own when none runs)."""
    started: datetime = utcnow()
    size = int(request.headers.get("content-length") or 0)
    masked, index = recorder.subject_fields(subject)
    admitted = False
    try:
        state = gateway.admit(principal, session)
        admitted = True
        granted = gateway.grant_for(state, principal, short_name, session)
        body, result = answer()
    except DomainError as exc:
        db.end_read(session)
        recorder.record(recorder.call_row(
            consumer=principal.subject, resource=short_name, purpose="-", subject_masked=masked, subject_index=index,
            result=exc.code, status=exc.status, requested_at=started, request_bytes=size, response_bytes=0),
            admitted=admitted)
        raise
    db.end_read(session)  # end the read before the log is written
    recorder.record(recorder.call_row(
        consumer=principal.subject, resource=short_name, purpose=granted.purpose, subject_masked=masked,
        subject_index=index, result=result, status=200, requested_at=started, request_bytes=size,
        response_bytes=len(body)), admitted=True)
    return Response(body, media_type="application/json")


@router.post("/verify/identity", response_model=schemas.IdentityResult,
             summary="身份核验 Verify a name against a resident ID number")
async def verify_identity(query: schemas.IdentityQuery, request: Request, principal: CurrentPrincipal) -> Response:
    """Served by `renshe.sharing.fastpath`, mounted ahead of the routers; this route documents it and
    answers the same way where the fast path is not mounted."""
    return await fastpath.serve_identity(request, principal, query)


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
    duration_ms: int


class CallPage(BaseModel):
    items: list[CallOut]
    next_cursor: str | None


class StatsOut(BaseModel):
    consumer: str
    name: str
    calls: int
    errors: int
    error_rate: float
    avg_ms: float
    p95_ms: int
    max_ms: int
    per_day: list[dict[str, object]]


def call_filter(consumer: str = "", resource: str = "", outcome: str = "", subject: str = "",
                since: date | None = None, until: date | None = None) -> service.CallFilter:
    return service.CallFilter(consumer=consumer.strip(), resource=resource.strip(), outcome=outcome,
                              subject=subject.strip(), since=since, until=until)


CallFilterQuery = Annotated[service.CallFilter, Depends(call_filter)]


def call_out(c: CallLogEntry) -> CallOut:
    return CallOut(consumer=c.consumer, resource=c.resource, purpose=c.purpose, subject=c.subject_masked,
                   result=c.result, status=c.status, success=c.success, requested_at=c.requested_at,
                   responded_at=c.responded_at, request_bytes=c.request_bytes, response_bytes=c.response_bytes,
                   request_id=c.request_id, duration_ms=c.duration_ms)


@staff_router.get("/calls", response_model=CallPage, summary="调用日志 Search the gateway's call log")
def calls(session: DbSession, principal: CurrentPrincipal, filters: CallFilterQuery,
          limit: Annotated[int, Query(ge=1, le=500)] = 50, cursor: str | None = None) -> CallPage:
    rows, next_cursor = service.search_calls(session, actor=principal, filters=filters, limit=limit, cursor=cursor)
    return CallPage(items=[call_out(c) for c in rows], next_cursor=next_cursor)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _files(*media: str, json_items: str | None = None) -> dict[int | str, dict[str, Any]]:
    """The 200 answer of a file export, by its real media types (JSON: a list of `json_items`)."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    listed = {"schema": {"type": "array", "items": {"$ref": f"#/components/schemas/{json_items}"}}}
    return {200: {"description": "文件", "content": {m: listed if m == "application/json" else binary
                                                    for m in media}}}


@staff_router.get("/calls/export", summary="导出调用日志 Export the matching calls (csv or xlsx)",
                  response_class=Response, responses=_files("text/csv", XLSX))
def export_calls(session: DbSession, principal: CurrentPrincipal, filters: CallFilterQuery,
                 format: str = "csv") -> Response:
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - handed to the response
    try:
        count = service.export_calls(session, actor=principal, filters=filters, fmt=format, out=spool)
    except BaseException:
        spool.close()
        raise
    size = spool.tell()
    spool.seek(0)

    def chunks() -> Iterator[bytes]:
        with spool:
            while block := spool.read(64 * 1024):
                yield block

    media = "text/csv; charset=utf-8" if format == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return StreamingResponse(chunks(), media_type=media, headers={
        "Content-Disposition": f'attachment; filename="share-calls.{format}"', "Content-Length": str(size),
        "X-Row-Count": str(count)})


@staff_router.get("/stats", response_model=list[StatsOut], summary="调用统计 Volume, errors and latency per consumer")
def stats(session: DbSession, principal: CurrentPrincipal,
          days: Annotated[int, Query(ge=1, le=92)] = 14) -> list[StatsOut]:
    return [StatsOut(consumer=s.consumer, name=s.name, calls=s.calls, errors=s.errors, error_rate=s.error_rate,
                     avg_ms=s.avg_ms, p95_ms=s.p95_ms, max_ms=s.max_ms,
                     per_day=[{"day": d.isoformat(), "ok": ok, "failed": failed} for d, ok, failed in s.per_day])
            for s in service.call_stats(session, actor=principal, days=days)]


def _local(data: schemas.ResourceIn) -> service.LocalResource:
    return service.LocalResource(**{**data.model_dump(), "items": [i.model_dump() for i in data.items]})


@staff_router.post("/resources", response_model=schemas.ResourceOut, status_code=201,
                   summary="新增本地资源 Add a local resource to the catalog")
def add_resource(data: schemas.ResourceIn, session: DbSession, principal: CurrentPrincipal) -> schemas.ResourceOut:
    return service.resource_out(service.add_local_resource(session, actor=principal, data=_local(data)))


@staff_router.put("/resources/{short_name}", response_model=schemas.ResourceOut,
                  summary="修改本地资源 Publish a new version of a local resource")
def update_resource(short_name: str, data: schemas.ResourceIn, session: DbSession, principal: CurrentPrincipal,
                    if_match: Annotated[str | None, Header()] = None) -> schemas.ResourceOut:
    resource = service.update_local_resource(session, actor=principal, short_name=short_name, data=_local(data),
                                             expected_version=http_if_match(if_match))
    return service.resource_out(resource)


@staff_router.get("/resources/{short_name}/versions", response_model=list[schemas.ResourceVersionOut],
                  summary="版本记录 Past versions of a resource")
def resource_versions(short_name: str, session: DbSession,
                      principal: CurrentPrincipal) -> list[schemas.ResourceVersionOut]:
    policy.require(principal, "read-history")
    history = service.resource_history(session, resource=service.get_resource(session, short_name=short_name))
    return [schemas.ResourceVersionOut(version=v.version, snapshot=v.snapshot, replaced_at=v.replaced_at,
                                       replaced_by=v.replaced_by) for v in history]


@staff_router.get("/catalog/export", summary="导出本地目录 Export the local catalog (json or xlsx)",
                  response_class=Response, responses=_files("application/json", XLSX, json_items="ResourceOut"))
def export(session: DbSession, principal: CurrentPrincipal, format: str = "json") -> Response:
    policy.require(principal, "export-catalog")
    buffer = io.BytesIO()
    service.export_catalog(session, fmt=format, out=buffer)
    media = "application/json" if format == "json" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(buffer.getvalue(), media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="share-catalog.{format}"'})


class SubjectQuery(BaseModel):
    id_number: str


# A resource's short name as the catalog allows it: anything else is refused before it reaches the call log.
ShortName = Annotated[str, PathParam(pattern=SHORT_NAME.pattern, description="资源简称")]


@router.post("/query/{short_name}", summary="状态查询 Ask a registered resource about a person")
def query(short_name: ShortName, data: SubjectQuery, request: Request, session: ReadSession,
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
    policy.require(principal, "prefill")
    person = registry.get_person(session, actor=principal, public_id=principal.subject)
    found = service.prefill(session, person=person, wanted=[f.strip() for f in fields.split(",") if f.strip()])
    return {name: PrefilledOut(value=p.value, resource=p.resource, source=p.source, updated_at=p.updated_at)
            for name, p in found.items()}


class BatchOut(BaseModel):
    job_id: str
    status: str = Field(description="queued, running, done, or expired (the result file was deleted)")
    total_rows: int
    processed_rows: int
    matched: int
    mismatched: int
    not_found: int
    result_url: str | None
    progress_page: str = Field(description="进度页面：只显示进度和计数，不含任何身份信息")
    expires_at: datetime | None = Field(description="结果文件的删除时间")


def _batch_out(job: BatchJob) -> BatchOut:
    return BatchOut(job_id=job.public_id, status=job.status, total_rows=job.total_rows,
                    processed_rows=job.processed_rows, matched=job.matched, mismatched=job.mismatched,
                    not_found=job.not_found,
                    result_url=f"/share/v1/batch/{job.public_id}/result" if job.status == "done" else None,
                    progress_page=f"/sharing/batches/{job.public_id}", expires_at=job.expires_at)


@router.post("/batch/identity", response_model=BatchOut, status_code=202,
             summary="批量身份核验 Upload a CSV or XLSX of name,id_number rows")
def batch_identity(request: Request, file: UploadFile, session: ReadSession, principal: CurrentPrincipal) -> Response:
    def answer() -> tuple[bytes, str]:
        # checking and copying millions of rows holds no database lock; the job row is one short write
        staged = jobs.stage_upload(upload=file.file, filename=file.filename or "")
        db.end_read(session)  # the read (grant check) is over before the write begins
        with db.unit_of_work() as write:
            job = jobs.register_job(write, consumer=principal.subject, staged=staged)
            out = _batch_out(job)
        return out.model_dump_json().encode(), f"batch:{staged.total_rows}"

    response = _served(request, session, principal, "identity-verification", None, answer)
    response.status_code = 202
    return response


@router.get("/batch/{job_id}", response_model=BatchOut, summary="批量核验进度 Progress of a batch")
def batch_status(job_id: str, session: DbSession, principal: CurrentPrincipal) -> BatchOut:
    return _batch_out(jobs.get_job(session, consumer=principal.subject, job_id=job_id))


@router.get("/batch/{job_id}/result", summary="批量核验结果 The result file (CSV)", response_class=Response,
            responses=_files("text/csv"))
def batch_result(job_id: str, session: DbSession, principal: CurrentPrincipal) -> Response:
    job = jobs.get_job(session, consumer=principal.subject, job_id=job_id)
    if job.status == "expired":
        raise Gone("结果文件已过保存期并已删除，请重新提交批量核验", code="renshe:batch/expired")
    if job.status != "done":
        raise Conflict("任务尚未完成，请稍后再下载", code="renshe:batch/not-done")
    return FileResponse(jobs.result_path(job), media_type="text/csv", filename=f"result-{job_id}.csv")
