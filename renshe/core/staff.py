"""Staff users: creation, sign-in (password + optional TOTP), named grants such as `pii.unmask`; the
sign-in sessions of every entrance (revocation, idle and absolute timeouts)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from renshe.core import audit, db, divisions, throttle
from renshe.core.auth import (
    GRANT_ONLY_PERMISSIONS,
    Principal,
    Role,
    hash_password,
    permissions_for,
    verify_password,
)
from renshe.core.db import utcnow
from renshe.core.errors import Conflict, FieldError, NotFound, Unauthorized, ValidationFailed
from renshe.core.models import SignInSession, StaffGrant, StaffUser, new_public_id
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
    """Check a password (and a TOTP code where the user has one); audit success and failure. Refused
    (429) without checking while the name or the address is locked out after too many failures."""
    anonymous = Principal(kind="staff", subject=username[:64], display_name="")
    with throttle.password_attempt(session, kind="staff", account=username, actor=anonymous,
                                   action="auth.staff_sign_in", entity_type="staff") as attempt:
        user = session.scalar(select(StaffUser).where(StaffUser.username == username))
        failure = None
        if user is None or not user.active or not verify_password(user.password_hash, password):
            failure = "用户名或密码错误"
        elif user.is_demo and not get_settings().demo_mode:
            failure = "演示账号只能在演示模式下登录"
        elif user.totp_secret and not (totp and pyotp.TOTP(user.totp_secret).verify(totp, valid_window=1)):
            failure = "动态口令错误"
        if failure or user is None:
            attempt.failed()
            error = Unauthorized(failure or "用户名或密码错误", code="renshe:auth/bad-credentials")
            who = principal_of(user) if user else anonymous
            error.audit = {"actor": who, "action": "auth.staff_sign_in", "entity_type": "staff",
                           "entity_id": username[:64]}
            raise error
        attempt.succeeded()
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


# --------------------------------------------------------------------------- sign-in sessions
# Every interactive sign-in (staff, citizen, employer) opens a row in `auth_sessions` whose id travels in
# the token. `require_session` is the one check a request makes: cached for SESSION_TTL seconds per process
# (dropped at once by `end_session` in this process), otherwise one read by the unique `sid`.

SESSION_TTL = 5.0
TOUCH_SECONDS = 60  # last_seen_at is written at most this often per session (it drives the idle timeout)
clock: Callable[[], datetime] = utcnow  # injectable: tests move time forward
_live_sessions: dict[str, float] = {}
log = logging.getLogger(__name__)


def start_session(session: Session, *, principal: Principal, minutes: int, client_addr: str = "-",
                  user_agent: str = "") -> str:
    """Open a sign-in session in the caller's transaction; return its id for the token."""
    now = clock()
    row = SignInSession(sid=new_public_id(), kind=principal.kind, subject=principal.subject[:64],
                        created_at=now, last_seen_at=now, expires_at=now + timedelta(minutes=minutes),
                        client_addr=client_addr[:64], user_agent=user_agent[:200])
    if db.is_reading(session):
        # A password sign-in checks the hash on a reading session (no writer's turn held meanwhile):
        # the session row is written right after the route, in the request's deferred unit of work.
        db.defer_write(session, lambda writer: writer.add(row))
    else:
        session.add(row)
        session.flush()
    return row.sid


def _why_ended(row: SignInSession | None, now: datetime) -> str | None:
    if row is None:
        return "登录会话不存在，请重新登录"
    if row.ended_reason == "expired" or (row.ended_at is None and row.expires_at <= now):
        return _EXPIRED
    if row.ended_reason == "idle" or (row.ended_at is None and
                                      row.last_seen_at + timedelta(minutes=get_settings().session_idle_minutes) <= now):
        return _IDLE
    if row.ended_at is not None:
        return "已退出登录，请重新登录"
    return None


_EXPIRED = "登录已过期，请重新登录"
_IDLE = "长时间未操作，登录已失效，请重新登录"


def session_cached_alive(sid: str) -> bool:
    """True when this process saw the session alive less than SESSION_TTL seconds ago (no query)."""
    until = _live_sessions.get(sid)
    return until is not None and until >= time.monotonic()


def require_session(sid: str) -> None:
    """Refuse (401 `renshe:auth/session-ended`) a token whose session was ended, revoked, expired or left
    idle; otherwise remember it alive for a few seconds. One indexed read in a short session of its own
    (the request's may be a writer); the idle clock is moved at most every TOUCH_SECONDS."""
    now = clock()
    with db.sessions.factory() as read:
        row = read.scalar(select(SignInSession).where(SignInSession.sid == sid))
        reason = _why_ended(row, now)
        stale = row is not None and (now - row.last_seen_at).total_seconds() >= TOUCH_SECONDS
    if reason is not None:
        _live_sessions.pop(sid, None)
        if row is not None and row.ended_at is None:  # idle or past its lifetime: marked ended now
            _write_session(sid, {"ended_at": now, "ended_reason": "expired" if reason == _EXPIRED else "idle"})
        raise Unauthorized(reason, code="renshe:auth/session-ended")
    if stale:
        _write_session(sid, {"last_seen_at": now})
    if len(_live_sessions) > 10_000:
        _live_sessions.clear()
    _live_sessions[sid] = time.monotonic() + SESSION_TTL


def forget_sessions() -> None:
    """Drop every cached "alive" answer (tests; a process that learns of a mass revocation)."""
    _live_sessions.clear()


def _write_session(sid: str, values: dict[str, object]) -> None:
    """Move the session's idle clock, or mark it ended, in a short write of its own; on SQLite only when the
    writer's turn is free right now (a busy writer must not hold up a reading request: the next check, or
    the hourly sweep, does it)."""
    probe = db.sessions.factory()
    lock = db.writer_lock(probe)
    probe.close()
    try:
        if lock is not None:
            try:
                lock.acquire(timeout=0)
            except TimeoutError:
                return
            try:
                write = db.open_session(write=True, lock_held=True)
            except BaseException:
                lock.release()
                raise
        else:
            write = db.open_session(write=True)
        try:
            write.execute(update(SignInSession).where(SignInSession.sid == sid, SignInSession.ended_at.is_(None))
                          .values(**values))
        except BaseException:
            db.finish(write, success=False)
            raise
        db.finish(write, success=True)
    except Exception:  # the idle clock is best effort; the request itself goes on
        log.exception("could not record session activity or end")


def end_session(session: Session, *, actor: Principal, sid: str, reason: str = "logout") -> bool:
    """End one of the actor's own sessions (logout, or from the sessions page); audited. False when it was
    not theirs or already ended."""
    row = session.scalar(select(SignInSession).where(
        SignInSession.sid == sid, SignInSession.kind == actor.kind, SignInSession.subject == actor.subject))
    _live_sessions.pop(sid, None)
    if row is None or row.ended_at is not None:
        return False
    row.ended_at = clock()
    row.ended_reason = reason
    session.flush()
    audit.record(session, actor=actor, action="auth.sign_out" if reason == "logout" else "auth.session_end",
                 entity_type="session", entity_id=sid, after={"reason": reason})
    return True


def active_sessions(session: Session, *, actor: Principal) -> list[SignInSession]:
    """The actor's sessions that still work (not ended, not expired, not idle), newest first."""
    now = clock()
    stmt = (select(SignInSession)
            .where(SignInSession.kind == actor.kind, SignInSession.subject == actor.subject,
                   SignInSession.ended_at.is_(None), SignInSession.expires_at > now)
            .order_by(SignInSession.created_at.desc()).limit(100))
    return [row for row in session.scalars(stmt) if _why_ended(row, now) is None]


def end_sessions_of(session: Session, *, actor: Principal, kind: str, subject: str, reason: str = "revoked") -> int:
    """End every open session of one subject (a consumer's tokens, a user's sign-ins); audited. Other worker
    processes refuse them within SESSION_TTL seconds."""
    now = clock()
    sids = list(session.scalars(select(SignInSession.sid).where(
        SignInSession.kind == kind, SignInSession.subject == subject[:64], SignInSession.ended_at.is_(None),
        SignInSession.expires_at > now)))
    if not sids:
        return 0
    session.execute(update(SignInSession).where(SignInSession.sid.in_(sids))
                    .values(ended_at=now, ended_reason=reason))
    for sid in sids:
        _live_sessions.pop(sid, None)
    audit.record(session, actor=actor, action="auth.session_end", entity_type=kind, entity_id=subject[:64],
                 after={"reason": reason, "sessions": len(sids)})
    return len(sids)


def purge_sessions(session: Session, *, actor: Principal, older_than_days: int) -> tuple[int, int]:
    """Mark ended the sessions that went idle or outlived their lifetime (refused already, never marked when
    nobody came back), then delete those that ended more than `older_than_days` ago; audited. Returns
    (marked, deleted)."""
    from sqlalchemy import delete, or_

    now = clock()
    idle_since = now - timedelta(minutes=get_settings().session_idle_minutes)
    marked = 0
    for reason, condition in (("expired", SignInSession.expires_at <= now),
                              ("idle", SignInSession.last_seen_at <= idle_since)):
        result = session.execute(update(SignInSession).where(SignInSession.ended_at.is_(None), condition)
                                 .values(ended_at=now, ended_reason=reason))
        marked += int(result.rowcount or 0)  # type: ignore[attr-defined]
    cutoff = now - timedelta(days=older_than_days)
    deleted = int(session.execute(delete(SignInSession).where(
        or_(SignInSession.ended_at < cutoff, SignInSession.expires_at < cutoff))).rowcount or 0)  # type: ignore[attr-defined]
    if marked or deleted:
        audit.record(session, actor=actor, action="auth.purge_sessions", entity_type="session", entity_id="-",
                     after={"marked_ended": marked, "deleted": deleted, "older_than_days": older_than_days})
    return marked, deleted


HOUSEKEEPING_SECONDS = 3600


def housekeeping() -> tuple[int, int, int]:
    """Hourly in the web process: sessions marked ended and purged (RENSHE_SESSION_RETENTION_DAYS), and
    the database's expired sign-in counters deleted. Returns (marked, deleted sessions, counters)."""
    from renshe.core import limits
    from renshe.core.auth import SYSTEM

    with db.unit_of_work() as session:
        marked, deleted = purge_sessions(session, actor=SYSTEM, older_than_days=get_settings().session_retention_days)
        counters = limits.purge_counters(session)
    return marked, deleted, counters


async def run_housekeeping(stop: asyncio.Event) -> None:
    """`housekeeping` every hour until `stop` is set (a background task of the web process)."""
    while True:
        try:
            await asyncio.wait_for(stop.wait(), timeout=HOUSEKEEPING_SECONDS)
            return
        except TimeoutError:
            pass
        try:
            await asyncio.to_thread(housekeeping)
        except Exception:  # the next round tries again
            log.exception("sign-in housekeeping failed")
