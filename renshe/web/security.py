"""Browser-facing protections in one pure-ASGI middleware: cross-site request refusal (CSRF, including
login CSRF) and the security headers every answer carries.

CSRF: a state-changing request (POST, PUT, PATCH, DELETE) is refused with 403 `renshe:auth/cross-site`
when the browser says it came from another origin (`Sec-Fetch-Site` other than `same-origin`/`none`, or
an `Origin` that is not this site's). A request with neither header (curl, a server-side client) is let
through only when the session cookie does not authenticate it; a request with an `Authorization` header
is never a forgeable form post (a cross-site page cannot set that header without a CORS preflight, which
this site never grants). A page on another port of the same host is another origin, hence refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import urlsplit

import structlog
from sqlalchemy.orm import Session
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from renshe.core import audit
from renshe.core.auth import Principal
from renshe.core.context import current
from renshe.core.http import TOKEN_COOKIE, run_write, templates
from renshe.core.settings import get_settings
from renshe.web.errors import MACHINE_PREFIXES, accepts_json

log = structlog.get_logger("renshe.security")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CROSS_SITE = "renshe:auth/cross-site"
CROSS_SITE_DETAIL = "请求来自其他网站，已拒绝。请在本站页面上操作。"
ANONYMOUS = Principal(kind="anonymous", subject="-", display_name="")

# No inline script anywhere: scripts come from this site's /static only. Inline style attributes are
# still used by a few templates, hence 'unsafe-inline' for styles (it cannot run code). Images may be
# data: URIs (the e-SSC code, certificate seals and QR codes).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
# FastAPI's Swagger UI page loads its assets from a CDN and starts with an inline script; until those
# assets are served from the package (issue 9, item 11) the docs page alone gets this policy.
DOCS_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'self'; frame-ancestors 'none'")  # Swagger UI from the package
DOCS_PATHS = frozenset({"/api/docs", "/api/docs/oauth2-redirect"})


def cross_site_reason(method: str, headers: Headers, *, host: str, allowed: Iterable[str] = ()) -> str | None:
    """Why this request must be refused as cross-site, or None when it may go on."""
    if method in SAFE_METHODS or "authorization" in headers:
        return None
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in {"same-origin", "none"}:
        return f"Sec-Fetch-Site: {fetch_site}"
    origin = headers.get("origin")
    if origin is not None and not _same_origin(origin, host=host, allowed=allowed):
        return f"Origin: {origin[:100]}"
    if fetch_site is None and origin is None and _cookie_authenticated(headers):
        return "no Origin or Sec-Fetch-Site on a request signed in by cookie"
    return None


def _same_origin(origin: str, *, host: str, allowed: Iterable[str]) -> bool:
    if origin in allowed:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return False  # "null" (sandboxed frames, opaque redirects) and anything odd
    default = {"http": ":80", "https": ":443"}[parts.scheme]
    return parts.netloc.lower().removesuffix(default) == host.lower().removesuffix(default)


def _cookie_authenticated(headers: Headers) -> bool:
    return any(f"{TOKEN_COOKIE}=" in value for value in headers.getlist("cookie"))


class SecurityMiddleware:
    """Refuse cross-site state changes; add CSP, framing, sniffing, referrer, HSTS and cache headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = get_settings()
        headers = Headers(scope=scope)
        allowed = [o.strip() for o in settings.allowed_origins.split(",") if o.strip()]
        reason = cross_site_reason(scope["method"], headers, host=headers.get("host", ""), allowed=allowed)
        path: str = scope["path"]
        authenticated = "authorization" in headers or _cookie_authenticated(headers)
        secure = settings.secure_transport and settings.hsts_seconds > 0

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out.setdefault("Content-Security-Policy", DOCS_CSP if path in DOCS_PATHS else CSP)
                out.setdefault("X-Frame-Options", "DENY")
                out["X-Content-Type-Options"] = "nosniff"
                out.setdefault("Referrer-Policy", "same-origin")
                if secure:
                    out.setdefault("Strict-Transport-Security", f"max-age={settings.hsts_seconds}; includeSubDomains")
                if not path.startswith("/static/"):
                    if authenticated:  # personal data: never kept by the browser or a proxy
                        out["Cache-Control"] = "no-store"
                    elif out.get("content-type", "").startswith("text/html"):
                        out.setdefault("Cache-Control", "no-store")
            await send(message)

        if reason is None:
            await self.app(scope, receive, send_with_headers)
            return
        request = Request(scope)
        log.warning("cross-site request refused", path=path, method=scope["method"], reason=reason)
        await _audit_refusal(request, reason)
        response = (_problem() if _wants_json(path, headers) else
                    templates.render(request, "error.html", status_code=403, page_title="请求被拒绝",
                                     title="请求被拒绝", detail=CROSS_SITE_DETAIL, errors=[]))
        await response(scope, receive, send_with_headers)


def _wants_json(path: str, headers: Headers) -> bool:
    return path.startswith(MACHINE_PREFIXES) or accepts_json(headers.get("accept", ""))


def _problem() -> Response:
    body = {"type": CROSS_SITE, "title": "跨站请求被拒绝", "status": 403, "detail": CROSS_SITE_DETAIL,
            "instance": current.get().request_id}
    return Response(json.dumps(body, ensure_ascii=False), status_code=403, media_type="application/problem+json")


async def _audit_refusal(request: Request, reason: str) -> None:
    path = request.url.path

    def write(session: Session) -> None:
        audit.record(session, actor=ANONYMOUS, action=f"{request.method} {path}"[:64], entity_type="route",
                     entity_id=path[:64], after={"code": CROSS_SITE, "status": 403, "reason": reason[:200]},
                     outcome="denied")

    try:
        await run_write(write)
    except Exception:  # the refusal itself must still reach the caller
        log.exception("could not audit a cross-site refusal")
