"""Turn domain errors and validation failures into RFC 9457 problems (API) or pages (HTML)."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from renshe.core import audit
from renshe.core.auth import Principal
from renshe.core.errors import DomainError, FieldError
from renshe.core.http import run_write, templates

log = structlog.get_logger("renshe.errors")
PROBLEM = "application/problem+json"
ANONYMOUS = Principal(kind="anonymous", subject="-", display_name="")


# Paths that machines call: errors there are always problem+json, whatever the Accept header says.
MACHINE_PREFIXES = ("/api/", "/share/", "/.well-known/", "/certs/status/", "/openapi.json")


def accepts_json(accept: str) -> bool:
    """Whether an Accept header asks for JSON before HTML: application/json, application/problem+json or any
    other +json type, named first or without text/html (a bare */* keeps the page: machine paths answer JSON
    to it by their prefix)."""
    media = [part.split(";", 1)[0].strip().lower() for part in accept.split(",") if part.strip()]
    if any(m == "text/html" or m == "application/xhtml+xml" for m in media):
        return any(m in ("application/json", "application/problem+json") or m.endswith("+json")
                   for m in media[:1])
    return any(m in ("application/json", "application/problem+json") or m.endswith("+json") for m in media)


def wants_json(request: Request) -> bool:
    """problem+json for every machine path, and on pages for callers that ask for JSON; HTML otherwise."""
    return request.url.path.startswith(MACHINE_PREFIXES) or accepts_json(request.headers.get("accept", ""))


def problem(request: Request, *, status: int, code: str, title: str, detail: str,
            errors: list[FieldError] | None = None, headers: dict[str, str] | None = None,
            members: dict[str, Any] | None = None, media_type: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {
        "type": code, "title": title, "status": status, "detail": detail,
        "instance": getattr(request.state, "request_id", "-"),
    }
    if errors:
        body["errors"] = [e.as_dict() for e in errors]
    if members:
        body.update(members)
    return JSONResponse(body, status_code=status, media_type=media_type or PROBLEM, headers=headers)


def record_denial(session: Session, request: Request, exc: DomainError) -> None:
    """The audit row of a 401 or 403, on the caller's session (a sign-in page that answers the failure
    itself records it on the request's own session: a reading one writes it right after the route)."""
    hint = exc.audit
    actor = hint.get("actor") or getattr(request.state, "principal", None) or ANONYMOUS
    audit.record(
        session, actor=actor, action=hint.get("action", f"{request.method} {request.url.path}")[:64],
        entity_type=hint.get("entity_type", "route"),
        entity_id=str(hint.get("entity_id", request.url.path))[:64],
        after={"code": exc.code, "status": exc.status}, outcome="denied",
    )


async def audit_denial(request: Request, exc: DomainError) -> None:
    """A denial raised out of a request leaves its audit row in a unit of work of its own, which waits
    for the writer's turn off the event loop (the failed request's own transaction has ended by now)."""
    try:
        await run_write(lambda session: record_denial(session, request, exc))
    except Exception:  # the denial itself must still reach the caller
        log.exception("could not audit a denial")


def _page(request: Request, status: int, title: str, detail: str, errors: list[FieldError]) -> Response:
    if status == 401 and request.method == "GET":
        entrance = request.url.path.split("/")[1] if request.url.path.count("/") >= 1 else ""
        login = {"citizen": "/citizen/login", "employer": "/employer/login"}.get(entrance, "/staff/login")
        return RedirectResponse(f"{login}?next={request.url.path}", status_code=303)
    return templates.render(request, "error.html", status_code=status, page_title=title, title=title,
                            detail=detail, errors=errors)


def refusal(request: Request, *, status: int, code: str, title: str, detail: str) -> Response:
    """An answer given before any route runs (a middleware's refusal): problem+json or the error page."""
    if wants_json(request):
        return problem(request, status=status, code=code, title=title, detail=detail)
    return templates.render(request, "error.html", status_code=status, page_title=title, title=title,
                            detail=detail, errors=[FieldError("file", code, detail)])


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if exc.status in (401, 403) or (exc.status == 429 and exc.audit):  # 429: a refused sign-in step
            await audit_denial(request, exc)
        if wants_json(request):
            headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
            headers.update(exc.headers)
            return problem(request, status=exc.status, code=exc.code, title=exc.title, detail=exc.detail,
                           errors=exc.errors, headers=headers, members=exc.members, media_type=exc.media_type)
        return _page(request, exc.status, exc.title, exc.detail, exc.errors)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = []
        malformed = False
        for item in exc.errors():
            loc = [str(p) for p in item.get("loc", ()) if p not in ("body", "query", "path", "header", "form")]
            if item.get("type") == "json_invalid":
                malformed = True
            errors.append(FieldError(".".join(loc) or "body", f"renshe:validation/{item.get('type', 'invalid')}",
                                     _zh(item)))
        status = 400 if malformed else 422
        if wants_json(request):
            return problem(request, status=status, code="renshe:validation", title="输入校验未通过",
                           detail="请求内容不符合要求，请按 errors 逐项修改", errors=errors)
        return _page(request, status, "输入校验未通过", "请按提示修改", errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "页面不存在", 405: "不支持的请求方法", 413: "请求内容过大"}
        title = titles.get(exc.status_code, "请求错误")
        code = getattr(exc, "code", None) or f"renshe:http/{exc.status_code}"
        if wants_json(request):
            return problem(request, status=exc.status_code, code=code, title=title,
                           detail=str(exc.detail), headers=getattr(exc, "headers", None))
        return _page(request, exc.status_code, title, "您访问的页面不存在或已移动" if exc.status_code == 404
                     else str(exc.detail), [])

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("unhandled error", path=request.url.path, exc_info=exc)
        if wants_json(request):
            return problem(request, status=500, code="renshe:server-error", title="服务器内部错误",
                           detail="系统出现异常，请稍后再试；如持续出现请联系12333并提供请求编号")
        return _page(request, 500, "服务器内部错误", "系统出现异常，请稍后再试", [])


_ZH = {
    "missing": "必填项未填写",
    "string_too_short": "内容太短",
    "string_too_long": "内容太长",
    "json_invalid": "不是有效的JSON",
    "date_from_datetime_parsing": "日期格式应为YYYY-MM-DD",
    "date_parsing": "日期格式应为YYYY-MM-DD",
    "date_type": "日期格式应为YYYY-MM-DD",
    "int_parsing": "应为整数",
    "bool_parsing": "应为是或否",
    "literal_error": "取值不在允许范围内",
    "less_than_equal": "数值过大",
    "greater_than_equal": "数值过小",
    "string_type": "应为文本",
    "model_attributes_type": "格式不正确",
    "dict_type": "格式不正确",
}


def _zh(item: Any) -> str:
    return _ZH.get(item.get("type", ""), "格式不正确") + f"（{item.get('msg', '')}）"
