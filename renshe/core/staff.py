"""Staff users: creation, sign-in (password + optional TOTP), named grants such as `pii.unmask`."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core import audit, divisions
from renshe.core.auth import (
    GRANT_ONLY_PERMISSIONS,
    Principal,
    Role,
    hash_password,
    permissions_for,
    verify_password,
)
from renshe.core.errors import Conflict, FieldError, NotFound, Unauthorized, ValidationFailed
from renshe.core.models import StaffGrant, StaffUser
from renshe.core.settings import get_settings


@dataclass(frozen=True)
class NewStaff:
    username: str
    display_name: str
    password: str
    roles: tuple[str, ...]
    division_code: str
    with_totp: bool = False


def principal_of(user: StaffUser) -> Principal:
    roles = tuple(r for r in user.roles.split(",") if r)
    return Principal(
        kind="staff", subject=user.username, display_name=user.display_name,
        division_code=user.division_code, roles=roles, permissions=permissions_for(roles),
    )


def create_user(session: Session, *, actor: Principal, new: NewStaff) -> StaffUser:
    """Create a staff user at a division; an administrator may only create users within reach."""
    actor.require("user.manage")
    errors = []
    if not new.username or len(new.username) > 64:
        errors.append(FieldError("username", "renshe:staff/username", "用户名须为1至64个字符"))
    if len(new.password) < 4:
        errors.append(FieldError("password", "renshe:staff/password", "密码至少4个字符"))
    bad_roles = [r for r in new.roles if r not in set(Role)]
    if bad_roles or not new.roles:
        errors.append(FieldError("roles", "renshe:staff/role", f"角色须为 {', '.join(Role)} 之一"))
    if new.division_code != divisions.MINISTRY and divisions.get(new.division_code) is None:
        errors.append(FieldError("division_code", "renshe:division/unknown", "行政区划代码不存在"))
    if errors:
        raise ValidationFailed(errors)
    if not actor.can_reach(new.division_code):
        raise NotFound("该行政区划", code="renshe:division/out-of-jurisdiction")
    if session.scalar(select(StaffUser.id).where(StaffUser.username == new.username)):
        raise Conflict(f"用户名 {new.username} 已存在", code="renshe:staff/duplicate")
    user = StaffUser(
        username=new.username, display_name=new.display_name, password_hash=hash_password(new.password),
        totp_secret=pyotp.random_base32() if new.with_totp else None, roles=",".join(new.roles),
        division_code=new.division_code, active=True,
    )
    session.add(user)
    session.flush()
    forget_principal(user.username)
    audit.record(session, actor=actor, action="staff.create", entity_type="staff", entity_id=user.username,
                 after={"roles": user.roles, "division_code": user.division_code, "totp": bool(user.totp_secret)})
    return user


def authenticate(session: Session, *, username: str, password: str, totp: str | None = None) -> Principal:
    """Check a password (and a TOTP code where the user has one); audit success and failure."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    failure = None
    if user is None or not user.active or not verify_password(user.password_hash, password):
        failure = "用户名或密码错误"
    elif user.is_demo and not get_settings().demo_mode:
        failure = "演示账号只能在演示模式下登录"
    elif user.totp_secret and not (totp and pyotp.TOTP(user.totp_secret).verify(totp, valid_window=1)):
        failure = "动态口令错误"
    if failure or user is None:
        error = Unauthorized(failure or "用户名或密码错误", code="renshe:auth/bad-credentials")
        who = principal_of(user) if user else Principal(kind="staff", subject=username[:64], display_name="")
        error.audit = {"actor": who, "action": "auth.staff_sign_in", "entity_type": "staff",
                       "entity_id": username[:64]}
        raise error
    principal = principal_of(user)
    audit.record(session, actor=principal, action="auth.staff_sign_in", entity_type="staff",
                 entity_id=user.username)
    return principal


def active_principal(session: Session, username: str) -> Principal | None:
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    return principal_of(user) if user and user.active else None


# A short per-process cache of who is active with which roles, so a request does not query the user
# table every time. A change made in this process takes effect at once (it invalidates the entry);
# other worker processes see it within PRINCIPAL_TTL seconds.
PRINCIPAL_TTL = 5.0
UNKNOWN = Principal(kind="unknown", subject="", display_name="")
_principals: dict[str, tuple[float, Principal | None]] = {}


def cached_principal(username: str) -> Principal | None:
    """The cached principal, None for a known inactive user, or UNKNOWN when not cached or stale."""
    hit = _principals.get(username)
    if hit is None or hit[0] < time.monotonic():
        return UNKNOWN
    return hit[1]


def load_principal(session: Session, username: str) -> Principal | None:
    principal = active_principal(session, username)
    if len(_principals) > 10_000:
        _principals.clear()
    _principals[username] = (time.monotonic() + PRINCIPAL_TTL, principal)
    return principal


def forget_principal(username: str | None = None) -> None:
    """Drop one user's cached principal, or every one (`None`)."""
    if username is None:
        _principals.clear()
    else:
        _principals.pop(username, None)


def has_grant(session: Session, principal: Principal, permission: str) -> bool:
    if principal.kind != "staff":
        return False
    stmt = (
        select(StaffGrant.id)
        .join(StaffUser, StaffUser.id == StaffGrant.user_id)
        .where(StaffUser.username == principal.subject, StaffUser.active.is_(True),
               StaffGrant.permission == permission)
    )
    return session.scalar(stmt) is not None


def grant(session: Session, *, actor: Principal, username: str, permission: str, reason: str) -> StaffGrant:
    """Grant a named permission to one user (e.g. `pii.unmask`); audited."""
    actor.require("user.manage")
    if permission not in GRANT_ONLY_PERMISSIONS:
        raise ValidationFailed([FieldError("permission", "renshe:staff/grant",
                                           f"只能单独授予：{', '.join(sorted(GRANT_ONLY_PERMISSIONS))}")])
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None or not actor.can_reach(user.division_code):
        raise NotFound("该用户")
    row = StaffGrant(user_id=user.id, permission=permission, granted_by=actor.subject, reason=reason)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="staff.grant", entity_type="staff", entity_id=username,
                 after={"permission": permission, "reason": reason})
    return row


def list_users(session: Session, *, actor: Principal) -> list[StaffUser]:
    actor.require("user.manage")
    prefix = divisions.scope_prefix(actor.division_code)
    stmt = select(StaffUser).where(StaffUser.division_code.startswith(prefix)).order_by(StaffUser.username)
    return list(session.scalars(stmt))


def set_active(session: Session, *, actor: Principal, username: str, active: bool) -> StaffUser:
    """Disable or re-enable a user (their tokens stop working at once); audited."""
    actor.require("user.manage")
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None or not actor.can_reach(user.division_code):
        raise NotFound("该用户")
    if user.username == actor.subject and not active:
        raise Conflict("不能停用自己的账号", code="renshe:staff/self")
    before = {"active": user.active}
    user.active = active
    session.flush()
    forget_principal(username)
    audit.record(session, actor=actor, action="staff.activate" if active else "staff.deactivate",
                 entity_type="staff", entity_id=username, before=before, after={"active": active})
    return user


def grants_of(session: Session, usernames: list[str]) -> dict[str, list[str]]:
    rows = session.execute(
        select(StaffUser.username, StaffGrant.permission).join(StaffGrant, StaffGrant.user_id == StaffUser.id)
        .where(StaffUser.username.in_(usernames)))
    result: dict[str, list[str]] = {}
    for username, permission in rows:
        result.setdefault(username, []).append(permission)
    return result
