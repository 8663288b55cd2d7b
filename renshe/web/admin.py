"""Administration: staff users, the division tree, the audit chain (API and pages)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from starlette.responses import Response

from renshe.core import audit, divisions, staff
from renshe.core.auth import ROLE_LABELS, Principal, Role
from renshe.core.errors import DomainError, FieldError, NotFound
from renshe.core.http import CurrentPrincipal, DbSession, attempt, require_kind, templates
from renshe.core.models import AuditEntry, StaffUser

api = APIRouter(prefix="/api/v1", tags=["admin 管理"])
pages = APIRouter(include_in_schema=False)
Staff = Annotated[Principal, require_kind("staff")]


class DivisionOut(BaseModel):
    code: str
    name: str
    full_name: str
    level: str
    current: bool


class StaffUserIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    display_name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=8, max_length=200)
    roles: list[Role] = Field(min_length=1)
    division_code: str = Field(min_length=6, max_length=6)
    with_totp: bool = False


class StaffUserOut(BaseModel):
    username: str
    display_name: str
    roles: list[str]
    division_code: str
    division_name: str
    active: bool
    totp: bool
    grants: list[str]


class StaffUserCreated(StaffUserOut):
    totp_secret: str | None = Field(description="只显示这一次，请导入身份验证器")


class ChainReportOut(BaseModel):
    ok: bool
    checked: int
    broken_at: int | None
    reason: str | None
    checkpoints: int = Field(description="核对过的签名检查点数")
    uncovered: int = Field(description="最新检查点之后的记录数")


def _division_out(d: divisions.Division) -> DivisionOut:
    return DivisionOut(code=d.code, name=d.name, full_name=divisions.full_name(d.code), level=d.level,
                       current=d.current)


def _user_out(user: StaffUser, grants: list[str]) -> StaffUserOut:
    return StaffUserOut(username=user.username, display_name=user.display_name,
                        roles=[r for r in user.roles.split(",") if r], division_code=user.division_code,
                        division_name=divisions.full_name(user.division_code) or "全国",
                        active=user.active, totp=bool(user.totp_secret), grants=grants)


@api.get("/divisions", response_model=list[DivisionOut], summary="行政区划 Children of a division (GB/T 2260)")
def division_children(parent: Annotated[str, Query(description="上级代码；000000 为全国")] = divisions.MINISTRY,
                      include_abolished: bool = False) -> list[DivisionOut]:
    if parent != divisions.MINISTRY and divisions.get(parent) is None:
        raise NotFound("该行政区划", code="renshe:division/unknown")
    return [_division_out(d) for d in divisions.children(parent, current_only=not include_abolished)]


@api.get("/divisions/{code}", response_model=DivisionOut, summary="行政区划 One division")
def division(code: str) -> DivisionOut:
    found = divisions.get(code)
    if found is None:
        raise NotFound("该行政区划", code="renshe:division/unknown")
    return _division_out(found)


@api.get("/staff-users", response_model=list[StaffUserOut], summary="经办人员 Staff users in reach")
def list_staff(session: DbSession, principal: CurrentPrincipal) -> list[StaffUserOut]:
    users = staff.list_users(session, actor=principal)
    grants = staff.grants_of(session, [u.username for u in users])
    return [_user_out(u, grants.get(u.username, [])) for u in users]


@api.post("/staff-users", response_model=StaffUserCreated, status_code=status.HTTP_201_CREATED,
          summary="新增经办人员 Create a staff user")
def create_staff(data: StaffUserIn, session: DbSession, principal: CurrentPrincipal) -> StaffUserCreated:
    user = staff.create_user(session, actor=principal, new=staff.NewStaff(
        username=data.username, display_name=data.display_name, password=data.password,
        roles=tuple(r.value for r in data.roles), division_code=data.division_code, with_totp=data.with_totp))
    return StaffUserCreated(**_user_out(user, []).model_dump(), totp_secret=user.totp_secret)


@api.get("/audit/verify", response_model=ChainReportOut, summary="审计链校验 Verify the audit hash chain")
def verify_audit(session: DbSession, principal: CurrentPrincipal) -> ChainReportOut:
    principal.require("audit.verify")
    report = audit.verify(session)
    return ChainReportOut(ok=report.ok, checked=report.checked, broken_at=report.broken_at, reason=report.reason,
                          checkpoints=report.checkpoints, uncovered=report.uncovered)


@pages.get("/staff/users")
def users_page(request: Request, session: DbSession, principal: Staff) -> Response:
    return _users(request, session, principal)


def _users(request: Request, session: DbSession, principal: Principal, *, status_code: int = 200,
           errors: list[FieldError] | None = None, values: dict[str, str] | None = None,
           created: StaffUser | None = None) -> Response:
    users = staff.list_users(session, actor=principal)
    grants = staff.grants_of(session, [u.username for u in users])
    scope = [d for d in divisions.all_divisions()
             if d.current and not divisions.is_placeholder(d) and principal.can_reach(d.code)
             and d.code.startswith(divisions.scope_prefix(principal.division_code))][:500]
    return templates.render(request, "staff_users.html", status_code=status_code, page_title="经办人员管理",
                            users=[_user_out(u, grants.get(u.username, [])) for u in users], errors=errors or [],
                            values=values or {}, roles=ROLE_LABELS, divisions_in_reach=scope, created=created)


@pages.post("/staff/users")
def create_user_page(request: Request, session: DbSession, principal: Staff,
                     username: Annotated[str, Form()] = "", display_name: Annotated[str, Form()] = "",
                     password: Annotated[str, Form()] = "", division_code: Annotated[str, Form()] = "",
                     roles: Annotated[list[str] | None, Form()] = None,
                     with_totp: Annotated[str, Form()] = "") -> Response:
    values = {"username": username, "display_name": display_name, "division_code": division_code}
    if len(password) < 8:
        return _users(request, session, principal, status_code=422, values=values,
                      errors=[FieldError("password", "renshe:staff/password", "密码至少8个字符")])
    user, errors = attempt(lambda: staff.create_user(session, actor=principal, new=staff.NewStaff(
        username=username.strip(), display_name=display_name.strip() or username.strip(), password=password,
        roles=tuple(roles or ()), division_code=division_code, with_totp=with_totp == "on")),
        field="username", session=session)
    if user is None:
        return _users(request, session, principal, status_code=422, errors=errors, values=values)
    return _users(request, session, principal, created=user)


@pages.post("/staff/users/{username}/active")
def toggle_user(username: str, session: DbSession, principal: Staff,
                active: Annotated[str, Form()], confirm: Annotated[str, Form()] = "") -> Response:
    if confirm != "yes":
        raise DomainError("renshe:staff/confirm", "请勾选确认后再提交", 422, "需要确认")
    staff.set_active(session, actor=principal, username=username, active=active == "1")
    return RedirectResponse("/staff/users", status_code=303)


@pages.get("/staff/audit")
def audit_page(request: Request, session: DbSession, principal: Staff,
               before: Annotated[int | None, Query(ge=1)] = None, check: bool = False) -> Response:
    principal.require("audit.verify")
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(50)
    if before:
        stmt = stmt.where(AuditEntry.id < before)
    entries = list(session.scalars(stmt))
    report = audit.verify(session) if check else None
    return templates.render(request, "audit.html", page_title="审计日志", entries=entries, report=report,
                            next_before=entries[-1].id if len(entries) == 50 else None)
