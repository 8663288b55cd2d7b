"""The OpenAPI document as the API really answers: one Problem schema (RFC 9457) for every error an operation
can give, the Bearer security scheme, and no trace of FastAPI's default 422 shape (never sent here)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `type` is a stable code such as `renshe:id-number/check-character`.",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "code", "message"],
            "properties": {"field": {"type": "string"}, "code": {"type": "string"}, "message": {"type": "string"}}}},
    },
}
DESCRIPTIONS = {
    400: "请求格式错误（如不是有效的JSON）", 401: "未认证或凭据无效", 403: "无权访问（已审计）",
    404: "未找到或无权查看", 405: "不支持的请求方法", 409: "状态冲突（流程状态不符、重复）",
    410: "已不存在（如已过期）", 412: "If-Match 版本已过期",
    413: "请求内容过大", 422: "输入不符合规则", 429: "请求过于频繁（见 Retry-After）",
}
EVERY_OPERATION = (401, 403, 404, 405, 422, 429)
WITH_BODY = (400, 409, 410, 412, 413)  # writes, and reads that take a body
PUBLIC = {("/share/v1/token", "post")}  # credentials go in the request itself


def problem_response(status: int, media_type: str = "application/problem+json") -> dict[str, Any]:
    return {"description": DESCRIPTIONS.get(status, "错误"), "content": {media_type: {"schema": PROBLEM_REF}}}


def document(app: FastAPI) -> dict[str, Any]:
    """The schema FastAPI builds, completed with what every operation can really answer."""
    spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Problem"] = PROBLEM_SCHEMA
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer",
                                                "description": "POST /share/v1/token 或 /api/v1/auth 登录得到的令牌"}}
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            statuses = EVERY_OPERATION + (WITH_BODY if method != "get" else (410, 412))
            for status in statuses:
                key = str(status)
                present = responses.get(key)
                if present is None or "content" not in present or "HTTPValidationError" in str(present):
                    answer = problem_response(status)
                    if present and present.get("description"):
                        answer["description"] = present["description"]
                    responses[key] = answer
            if (path, method) not in PUBLIC:
                operation.setdefault("security", [{"bearer": []}, {}])
    return spec


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    _docs_page(app)


DOCS_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>renshe 接口文档 API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script></body></html>
"""


def _docs_page(app: FastAPI) -> None:
    """The API docs page works offline: Swagger UI's files come from a package, not a CDN."""
    import swagger_ui_bundle  # type: ignore[import-untyped]

    assets = str(swagger_ui_bundle.swagger_ui_path)
    app.mount("/api/docs/assets", StaticFiles(directory=assets), name="api-docs-assets")

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE)
