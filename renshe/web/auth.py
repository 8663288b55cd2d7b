"""Sign-in for the three entrances: staff (password + TOTP), citizens (one-time code), employers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.responses import Response

from renshe.core import staff
from renshe.core.auth import Principal, issue_token, read_token
from renshe.core.errors import DomainError, NotFound
from renshe.core.http import TOKEN_COOKIE, DbSession, ReadSession, require_kind, templates
from renshe.core.settings import get_settings
from renshe.registry import service as registry
from renshe.web.errors import record_denial

api = APIRouter(prefix="/api/v1/auth", tags=["auth 认证"])
pages = APIRouter(include_in_schema=False)
Staff = Annotated[Principal, require_kind("staff")]

# Password sign-ins only read: they run on a reading session, so the password hash is checked without
# holding the writer's turn, and their audit row (success or failure) is written right after the route
# in a short unit of work of its own (`audit.record` defers it), before the answer is sent.


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class CodeRequest(BaseModel):
    id_number: str = Field(description="公民身份号码")


class CodeSent(BaseModel):
    """The same answer whether or not the number is registered: a code goes to the phone on record if any."""

    sent: bool = Field(description="请求已受理（如该身份号码已登记手机号码，验证码已发送）")
    expires_in: int


class CitizenTokenRequest(BaseModel):
    id_number: str
    code: str


class EmployerTokenRequest(BaseModel):
    credit_code: str
    password: str


@api.post("/token", response_model=TokenOut, summary="经办人员登录 Staff sign-in (OAuth2 password)")
def staff_token(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()], session: ReadSession,
                totp: Annotated[str | None, Form(description="动态口令（已启用时必填）")] = None) -> TokenOut:
    principal = staff.authenticate(session, username=form.username, password=form.password, totp=totp)
    minutes = get_settings().staff_token_minutes
    return TokenOut(access_token=_token(session, request, principal, minutes), expires_in=minutes * 60)


@api.post("/citizen/code", response_model=CodeSent, summary="发送登录验证码 Send a sign-in code to the citizen")
def citizen_code(data: CodeRequest, session: DbSession) -> CodeSent:
    registry.send_sign_in_code(session, id_number=data.id_number)
    return CodeSent(sent=True, expires_in=get_settings().otp_ttl_seconds)


@api.post("/citizen/token", response_model=TokenOut, summary="个人登录 Citizen sign-in with the code")
def citizen_token(request: Request, data: CitizenTokenRequest, session: DbSession) -> TokenOut:
    principal, error = registry.citizen_sign_in(session, id_number=data.id_number, code=data.code)
    if error is not None or principal is None:
        failure = error or DomainError("renshe:auth", "登录失败", 401)
        failure.persist = True  # a wrong code counts against the attempts left
        raise failure
    minutes = get_settings().citizen_token_minutes
    return TokenOut(access_token=_token(session, request, principal, minutes), expires_in=minutes * 60)


@api.post("/employer/token", response_model=TokenOut, summary="单位登录 Employer agent sign-in")
def employer_token(request: Request, data: EmployerTokenRequest, session: ReadSession) -> TokenOut:
    principal = registry.authenticate_employer(session, credit_code=data.credit_code, password=data.password)
    minutes = get_settings().citizen_token_minutes
    return TokenOut(access_token=_token(session, request, principal, minutes), expires_in=minutes * 60)


@api.post("/logout", status_code=204, summary="退出登录 End this token's session")
def api_logout(request: Request, session: DbSession) -> Response:
    """The token stops working at once, on the API and on pages (its sign-in session is ended)."""
    _end_own_session(session, request)
    return Response(status_code=204)


def _token(session: Session, request: Request, principal: Principal, minutes: int) -> str:
    """A token bound to a new sign-in session (ended by logout, revocation, the idle or absolute limit)."""
    sid = staff.start_session(session, principal=principal, minutes=minutes,
                              client_addr=request.client.host if request.client else "-",
                              user_agent=request.headers.get("user-agent", ""))
    return issue_token(principal, minutes=minutes, session_id=sid)


def _end_own_session(session: Session, request: Request) -> None:
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else request.cookies.get(TOKEN_COOKIE)
    if not token:
        return
    try:
        principal = read_token(token)
    except DomainError:  # expired or malformed: nothing left to end
        return
    if principal.session_id is not None:
        staff.end_session(session, actor=principal, sid=principal.session_id)


def _signed_in(token: str, target: str, minutes: int, *, staff_entrance: bool = False) -> Response:
    response = RedirectResponse(target if target.startswith("/") and not target.startswith("//") else "/",
                                status_code=303)
    # Staff never arrive signed in from another site's link: Strict. Citizens and employers often follow
    # a link from a government portal, so Lax (cross-site writes are refused by web.security anyway).
    response.set_cookie(TOKEN_COOKIE, token, max_age=minutes * 60, httponly=True,
                        samesite="strict" if staff_entrance else "lax", secure=get_settings().secure_transport)
    return response


@pages.get("/staff/login")
def staff_login_page(request: Request, next: str = "/staff") -> Response:
    return templates.render(request, "login_staff.html", page_title="经办人员登录", next=next)


@pages.post("/staff/login")
def staff_login(request: Request, session: ReadSession, username: Annotated[str, Form()],
                password: Annotated[str, Form()], totp: Annotated[str, Form()] = "",
                next: Annotated[str, Form()] = "/staff") -> Response:
    try:
        principal = staff.authenticate(session, username=username, password=password, totp=totp or None)
    except DomainError as exc:
        record_denial(session, request, exc)
        return templates.render(request, "login_staff.html", status_code=exc.status, page_title="经办人员登录",
                                next=next, error=exc.detail, username=username)
    minutes = get_settings().staff_token_minutes
    return _signed_in(_token(session, request, principal, minutes), next, minutes, staff_entrance=True)


@pages.get("/citizen/login")
def citizen_login_page(request: Request, next: str = "/citizen") -> Response:
    return templates.render(request, "login_citizen.html", page_title="个人登录", next=next, step="id")


@pages.post("/citizen/login")
def citizen_login(request: Request, session: DbSession, id_number: Annotated[str, Form()],
                  code: Annotated[str, Form()] = "", action: Annotated[str, Form()] = "send",
                  next: Annotated[str, Form()] = "/citizen") -> Response:
    ttl = get_settings().otp_ttl_seconds
    context: dict[str, Any] = {"page_title": "个人登录", "next": next, "id_number": id_number, "ttl": ttl}
    if action == "send":
        try:
            registry.send_sign_in_code(session, id_number=id_number)
        except DomainError as exc:
            if exc.status == 429:
                record_denial(session, request, exc)
            return templates.render(request, "login_citizen.html", status_code=exc.status, step="id",
                                    error=exc.errors[0].message if exc.errors else exc.detail, **context)
        return templates.render(request, "login_citizen.html", step="code", **context)
    try:
        principal, error = registry.citizen_sign_in(session, id_number=id_number, code=code)
    except DomainError as exc:  # the number's wrong-code budget is spent (429)
        record_denial(session, request, exc)
        return templates.render(request, "login_citizen.html", status_code=exc.status, step="code",
                                error=exc.detail, **context)
    if error is not None or principal is None:  # the page answers: the attempt and its audit row commit
        if error is not None:
            record_denial(session, request, error)
        return templates.render(request, "login_citizen.html", status_code=401, step="code",
                                error=error.detail if error else "登录失败", **context)
    minutes = get_settings().citizen_token_minutes
    return _signed_in(_token(session, request, principal, minutes), next, minutes)


@pages.get("/employer/login")
def employer_login_page(request: Request, next: str = "/employer") -> Response:
    return templates.render(request, "login_employer.html", page_title="单位登录", next=next)


@pages.post("/employer/login")
def employer_login(request: Request, session: ReadSession, credit_code: Annotated[str, Form()],
                   password: Annotated[str, Form()], next: Annotated[str, Form()] = "/employer") -> Response:
    try:
        principal = registry.authenticate_employer(session, credit_code=credit_code, password=password)
    except DomainError as exc:
        record_denial(session, request, exc)
        return templates.render(request, "login_employer.html", status_code=exc.status, page_title="单位登录",
                                next=next, error=exc.detail, credit_code=credit_code)
    minutes = get_settings().citizen_token_minutes
    return _signed_in(_token(session, request, principal, minutes), next, minutes)


@pages.post("/logout")
def logout(request: Request, session: DbSession) -> Response:
    _end_own_session(session, request)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(TOKEN_COOKIE)
    return response


@pages.get("/staff/sessions")
def sessions_page(request: Request, session: DbSession, principal: Staff) -> Response:
    """The staff member's own sign-in sessions that still work, each of which they may end."""
    return templates.render(request, "staff_sessions.html", page_title="登录会话",
                            sessions=staff.active_sessions(session, actor=principal),
                            current=_current_sid(request))


@pages.post("/staff/sessions/{sid}/end")
def end_session_page(request: Request, sid: str, session: DbSession, principal: Staff) -> Response:
    if not staff.end_session(session, actor=principal, sid=sid, reason="revoked"):
        raise NotFound("该登录会话", code="renshe:auth/session-not-found")
    if sid == _current_sid(request):  # ended the one in use: signed out
        response = RedirectResponse("/staff/login", status_code=303)
        response.delete_cookie(TOKEN_COOKIE)
        return response
    return RedirectResponse("/staff/sessions", status_code=303)


def _current_sid(request: Request) -> str | None:
    token = request.cookies.get(TOKEN_COOKIE)
    try:
        return read_token(token).session_id if token else None
    except DomainError:
        return None
