"""The kernel's web toolkit: per-request sessions, the caller, templates, and list paging.

Domains build their routers with these, and the app factory in `renshe.web` mounts them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import Depends, Query, Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from renshe.core import db, divisions, labels, staff
from renshe.core.auth import Principal, read_token
from renshe.core.errors import DomainError, FieldError, Unauthorized
from renshe.core.settings import get_settings

T = TypeVar("T")
SHANGHAI = ZoneInfo("Asia/Shanghai")
TOKEN_COOKIE = "renshe_token"  # noqa: S105 - a cookie name, not a secret
ELDERLY_COOKIE = "renshe_elderly"


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def _request_session(request: Request) -> AsyncIterator[Session]:
    """The request's session, open until the response has been sent (a JSON answer may still read
    loaded rows while it serialises). Its transaction is ended earlier, by `get_session`."""
    if request.method in SAFE_METHODS:
        session = db.sessions.factory()
        db.mark_reading(session)
    else:
        session = await open_write_session()
    try:
        yield session
    finally:
        # Usually only a connection to hand back; one ROLLBACK (no-op for SQLite, one round trip on
        # PostgreSQL) when the answer read after the commit: cheaper inline than another thread hop.
        session.close()


@asynccontextmanager
async def _transaction(session: Session, request: Request) -> AsyncIterator[Session]:
    reading = db.is_reading(session)
    try:
        yield session
    except BaseException as exc:
        keep = isinstance(exc, DomainError) and exc.persist
        if reading:
            session.rollback()
        else:
            await run_in_threadpool(lambda: db.end_transaction(session, success=keep))
        await _write_deferred(session)
        raise
    if reading and not db.has_uncommitted(session):
        session.rollback()
    else:
        if reading:  # a GET that wrote on its reading session: kept, but flagged (use WriteSession)
            db.guard.report(f"a reading request ({request.method} {request.url.path}) flushed writes; "
                            "its route should take a WriteSession")
        await run_in_threadpool(lambda: db.end_transaction(session, success=True))
    await _write_deferred(session)


async def get_session(request: Request,
                      session: Annotated[Session, Depends(_request_session)]) -> AsyncIterator[Session]:
    """The request's unit of work. A write request (any method but GET, HEAD, OPTIONS) commits when its
    handler returns and rolls back when it raises, before the answer is sent; handlers never commit.

    A `DomainError` with `persist=True` (a wrong one-time code that still counts against the attempts
    left) commits what was done before it was raised. Denials (401/403) are audited by the error handler
    in a unit of work of its own that takes the writer's turn like any request (`run_write`).
    A reading request commits nothing: audit rows it records are written after it (`db.defer_write`).
    """
    async with _transaction(session, request):
        yield session


async def _write_deferred(session: Session) -> None:
    deferred = db.take_deferred(session)
    if deferred:
        await run_write(lambda write: [each(write) for each in deferred])


async def open_write_session() -> Session:
    """A writing session. On SQLite the caller waits for this process's writer lock off the request
    thread pool (on the loop's default executor), so a queue of writers never starves the pool that the
    lock holder needs to finish its route; the event loop itself never blocks on it."""
    probe = db.sessions.factory()
    lock = db.writer_lock(probe)
    probe.close()
    if lock is None:
        return await run_in_threadpool(db.open_session, write=True)
    waiting = asyncio.get_running_loop().run_in_executor(None, lock.acquire)
    try:
        await asyncio.shield(waiting)
    except asyncio.CancelledError:  # the client went away: give the turn back once it comes
        waiting.add_done_callback(lambda done: lock.release() if done.exception() is None else None)
        raise
    try:
        return await run_in_threadpool(db.open_session, write=True, lock_held=True)
    except BaseException:
        lock.release()
        raise


async def run_write(work: Callable[[Session], T]) -> T:
    """Run `work` in a short unit of work of its own from async code (an error handler, a reading
    request's deferred audit rows): it waits for the writer's turn off the loop and commits."""
    session = await open_write_session()
    return await run_in_threadpool(_run_and_finish, session, work)


def _run_and_finish(session: Session, work: Callable[[Session], T]) -> T:
    try:
        result = work(session)
    except BaseException:
        db.finish(session, success=False)
        raise
    db.finish(session, success=True)
    return result


DbSession = Annotated[Session, Depends(get_session, scope="function")]


async def _writing_session() -> AsyncIterator[Session]:
    session = await open_write_session()
    try:
        yield session
    finally:
        session.close()


async def get_write_session(
        request: Request, session: Annotated[Session, Depends(_writing_session)]) -> AsyncIterator[Session]:
    """The unit of work of a GET that may write (a first call that creates signing keys or fills in the
    national catalog): it takes the writer's turn and commits like a POST."""
    async with _transaction(session, request):
        yield session


WriteSession = Annotated[Session, Depends(get_write_session, scope="function")]
Limit = Annotated[int, Query(ge=1, le=200, description="每页条数")]


def etag(version: int) -> str:
    """The weak ETag of a versioned record (`W/"3"`)."""
    return f'W/"{version}"'


def if_match(value: str | None) -> int | None:
    """The version an `If-Match` header names: None without one, -1 for one that names no version."""
    if not value:
        return None
    digits = value.replace("W/", "").strip('"')
    return int(digits) if digits.isdigit() else -1


async def _reading_session() -> AsyncIterator[Session]:
    session = db.sessions.factory()
    db.mark_reading(session)
    try:
        yield session
    finally:
        session.close()


async def get_read_session(
        request: Request, session: Annotated[Session, Depends(_reading_session)]) -> AsyncIterator[Session]:
    """A reading session for any method, for routes whose writes are their own short units of work
    (`db.unit_of_work()`, `run_write`), so the request does not hold the writer's turn while it works.
    Audit rows recorded on it are written after the route, as for a GET."""
    async with _transaction(session, request):
        yield session


ReadSession = Annotated[Session, Depends(get_read_session, scope="function")]


def _token_from(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.cookies.get(TOKEN_COOKIE)


def _load_staff(subject: str) -> Principal | None:
    with db.sessions.factory() as session:  # a short read of its own: the route's session may be a writer
        return staff.load_principal(session, subject)


async def optional_principal(request: Request) -> Principal | None:
    token = _token_from(request)
    if not token:
        return None
    principal = read_token(token)
    if principal.session_id is not None and not staff.session_cached_alive(principal.session_id):
        await run_in_threadpool(staff.require_session, principal.session_id)  # logout, revocation, idle
    if principal.kind == "staff":
        # Roles and division come from the database (briefly cached), so a disabled or changed user
        # loses access within seconds, not when the token expires.
        fresh = staff.cached_principal(principal.subject)
        if fresh is staff.UNKNOWN:
            fresh = await run_in_threadpool(_load_staff, principal.subject)
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


def page_errors(exc: DomainError, field_name: str) -> list[FieldError]:
    """A refused form's messages for the page: the error's own field errors, or its detail on FIELD_NAME.
    A 401 or 403 is raised again, for the error page (sign in, or not allowed here)."""
    if exc.status in (401, 403):
        raise exc
    return exc.errors or [FieldError(field_name, exc.code, exc.detail)]


def form_errors(exc: ValidationError, names: dict[str, str] | None = None) -> list[FieldError]:
    """Pydantic's errors on form input, as messages for the page; NAMES gives a field's Chinese name, which
    then leads the message (“月薪上限：格式不正确”)."""
    found = []
    for e in exc.errors():
        field = ".".join(str(p) for p in e["loc"])
        message = "必填项未填写" if e["type"] == "missing" else "格式不正确"
        name = (names or {}).get(str(e["loc"][0]) if e["loc"] else "")
        found.append(FieldError(field, f"renshe:validation/{e['type']}", f"{name}：{message}" if name else message))
    return found


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A page's write in a savepoint: rolled back if the block raises (unless the error keeps what was
    done, `DomainError.persist`), so the page can show the form again while the request's unit of work
    commits whatever else it recorded. Pages never roll back by hand."""
    nested = session.begin_nested()
    try:
        yield
    except DomainError as exc:
        if exc.persist:
            nested.commit()
        else:
            nested.rollback()
        raise
    except BaseException:
        nested.rollback()
        raise
    nested.commit()


def attempt(
    action: Callable[[], T], *, field: str, session: Session | None = None,
) -> tuple[T | None, list[FieldError]]:
    """Run a form's write; turn broken rules into messages for the form (a 403 still goes up).

    Given the request's `session`, the write runs in a savepoint that is rolled back when a rule is
    broken, so the page can show the form again and the request's unit of work still commits
    whatever else it recorded (pages never roll back by hand)."""
    savepoint = session.begin_nested() if session is not None else None
    try:
        result = action()
    except ValidationError as exc:
        if savepoint is not None:
            savepoint.rollback()
        return None, form_errors(exc)
    except DomainError as exc:
        if savepoint is not None and not exc.persist:
            savepoint.rollback()
        elif savepoint is not None:
            savepoint.commit()
        if exc.status == 403:
            raise
        return None, exc.errors or [FieldError(field, exc.code, exc.detail)]
    except BaseException:
        if savepoint is not None:
            savepoint.rollback()
        raise
    if savepoint is not None:
        savepoint.commit()
    return result, []


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
            env.filters["label"] = labels.label  # every enumerated value a person reads: core.labels
            env.globals["divisions"] = divisions  # names of the configured province's divisions
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
