"""Request bodies capped before they are parsed, sized per route: multipart uploads, the hall's JSON routes
that carry base64 materials, and every other body. A declared Content-Length past the cap is refused at once
(nothing is read); a chunked body is counted as it streams and refused when it passes the cap."""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from renshe.core.settings import Settings, get_settings
from renshe.web import errors

TOO_LARGE = "renshe:upload/too-large"
MIB = 1024 * 1024
# JSON bodies with base64 materials (a 10 MB file is 13.4 MB of base64)
MATERIAL_ROUTES = re.compile(r"^/api/v1/hall/(applications(/[^/]+/[^/]+)?|window/applications"
                             r"|bundles/[^/]+/applications|interprovince/.+)$")
# JSON bodies of up to 20,000 rows (declarations, tax receipts)
BULK_ROUTES = re.compile(r"^/api/v1/insurance/(units/[^/]+/declarations|receipts)$")


class BodyTooLarge(HTTPException):
    """Raised from `receive` while a body streams: the route's parser gives it up as an HTTP error."""

    code = TOO_LARGE


def limit_for(path: str, content_type: str, settings: Settings) -> int:
    """The largest body this route takes, in bytes."""
    if content_type.startswith("multipart/form-data"):
        return settings.max_upload_mb * MIB
    if MATERIAL_ROUTES.match(path):
        return settings.max_material_body_mb * MIB
    if BULK_ROUTES.match(path):
        return settings.max_bulk_body_mb * MIB
    return settings.max_body_kb * 1024


def detail_for(limit: int) -> str:
    size = f"{limit // MIB}MB" if limit >= MIB else f"{limit // 1024}KB"
    return f"请求内容超过{size}的上限，未处理；文件请拆分后分批上传"


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared: bytes | None = None
        content_type = b""
        for key, value in scope["headers"]:  # the raw list: this runs before the hottest route too
            if key == b"content-length":
                declared = value
            elif key == b"content-type":
                content_type = value
        limit = limit_for(scope["path"], content_type.decode("latin-1"), get_settings())
        if declared is not None and declared.isdigit():
            if int(declared) <= limit:  # the server holds the body to its declared length
                await self.app(scope, receive, send)
                return
            response = errors.refusal(Request(scope), status=413, code=TOO_LARGE, title="请求内容过大",
                                      detail=detail_for(limit))
            await response(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(413, detail_for(limit))
            return message

        await self.app(scope, counted, send)
