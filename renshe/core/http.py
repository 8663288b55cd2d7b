"""The kernel's web toolkit: per-request sessions, the caller, templates, and list paging.

Domains build their routers with these, and the app factory in `renshe.web` mounts them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from renshe.core import db, staff
from renshe.core.auth import Principal, read_token
from renshe.core.errors import DomainError, FieldError, Unauthorized
from renshe.core.settings import get_settings

SHANGHAI = ZoneInfo("Asia/Shanghai")
TOKEN_COOKIE = "renshe_token"  # noqa: S105 - a cookie name, not a secret
ELDERLY_COOKIE = "renshe_elderly"


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request. Routes that write call `db.commit(session)`; anything else rolls back.

    The dependencies here are `async` on purpose: a sync dependency costs a thread-pool hop each, and
    none of them does I/O on the event loop (the session connects lazily, in the route's thread).
    """
    write = request.method not in {"GET", "HEAD", "OPTIONS"}
    session = db.sessions.factory() if not write else await run_in_threadpool(db.open_session, write=True)
    try:
        yield session
    finally:
        if write:
            await run_in_threadpool(session.close)
        else:
            # Releasing a read connection is one ROLLBACK (no-op for SQLite, one round trip on PostgreSQL):
            # cheaper inline than another thread-pool hop.
            session.close()


DbSession = Annotated[Session, Depends(get_session)]


def _token_from(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.cookies.get(TOKEN_COOKIE)


async def optional_principal(request: Request, session: DbSession) -> Principal | None:
    token = _token_from(request)
    if not token:
        return None
    principal = read_token(token)
    if principal.kind == "staff":
        # Roles and division come from the database (briefly cached), so a disabled or changed user
        # loses access within seconds, not when the token expires.
        fresh = staff.cached_principal(principal.subject)
        if fresh is staff.UNKNOWN:
            fresh = await run_in_threadpool(staff.load_principal, session, principal.subject)
        if fresh is None:
            raise Unauthorized("账号已停用，请联系管理员", code="renshe:auth/inactive")
        principal = fresh
    request.state.principal = principal
    return principal


async def require_principal(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    if principal is None:
        raise Unauthorized()
    return principal


CurrentPrincipal = Annotated[Principal, Depends(require_principal)]
MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]


def require_kind(kind: str) -> Any:
    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.kind != kind:
            raise Unauthorized("请使用相应的入口登录", code="renshe:auth/wrong-entrance")
        return principal

    return Depends(dependency)


T = TypeVar("T")


def form_errors(exc: ValidationError) -> list[FieldError]:
    """Pydantic's errors on form input, as messages for the page."""
    return [FieldError(".".join(str(p) for p in e["loc"]), f"renshe:validation/{e['type']}",
                       "必填项未填写" if e["type"] == "missing" else "格式不正确") for e in exc.errors()]


def attempt(action: Callable[[], T], *, field: str) -> tuple[T | None, list[FieldError]]:
    """Run a form's write; turn broken rules into messages for the form (a 403 still goes up)."""
    try:
        return action(), []
    except ValidationError as exc:
        return None, form_errors(exc)
    except DomainError as exc:
        if exc.status == 403:
            raise
        return None, exc.errors or [FieldError(field, exc.code, exc.detail)]


def local_time(value: datetime | None) -> str:
    """Times on pages: YYYY-MM-DD HH:MM in Asia/Shanghai."""
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if value else ""


class Templates:
    """One Jinja environment; each domain adds its package's `templates/` folder at registration."""

    def __init__(self) -> None:
        self.packages: list[str] = []
        self._templates: Jinja2Templates | None = None

    def add_package(self, package: str) -> None:
        if package not in self.packages:
            self.packages.append(package)
            self._templates = None

    @property
    def engine(self) -> Jinja2Templates:
        if self._templates is None:
            env = Environment(
                loader=ChoiceLoader([PackageLoader(p, "templates") for p in self.packages]),
                autoescape=select_autoescape(["html"]),
                auto_reload=False,
            )
            env.filters["localtime"] = local_time
            self._templates = Jinja2Templates(env=env)
        return self._templates

    def render(self, request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
        settings = get_settings()
        principal = getattr(request.state, "principal", None)
        context.setdefault("page_title", "")
        return self.engine.TemplateResponse(
            request, name,
            {"settings": settings, "principal": principal,
             "elderly": request.cookies.get(ELDERLY_COOKIE) == "1", "path": request.url.path, **context},
            status_code=status_code,
        )


templates = Templates()
