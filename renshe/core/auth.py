"""Principals, roles, permissions, jurisdiction, passwords and signed bearer tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from renshe.core import divisions, labels
from renshe.core.errors import Forbidden, Unauthorized
from renshe.core.settings import get_settings


class Role(StrEnum):
    CLERK = "clerk"  # 受理
    REVIEWER = "reviewer"  # 审核
    SUPERVISOR = "supervisor"  # 监管
    ADMIN = "admin"  # 管理员


ROLE_LABELS = labels.register(
    "core.role", {Role.CLERK: "受理", Role.REVIEWER: "审核", Role.SUPERVISOR: "监管", Role.ADMIN: "管理员"})

READ = frozenset({"person.read", "employer.read", "audit.read"})
ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.CLERK: READ | {"person.write", "employer.write", "employment.write", "import.run"},
    Role.REVIEWER: READ | {"person.merge"},
    Role.SUPERVISOR: READ | {"export.run", "sharing.monitor"},
    Role.ADMIN: READ
    | {"person.write", "person.merge", "employer.write", "employment.write", "import.run", "export.run",
       "user.manage", "audit.verify", "sharing.monitor", "calendar.manage"},
}
# Granted to a named user only (StaffGrant); no role implies these.
GRANT_ONLY_PERMISSIONS = frozenset({"pii.unmask"})


@dataclass(frozen=True)
class Principal:
    """Who is calling: a staff user, a citizen, or an employer's agent."""

    kind: str  # "staff" | "citizen" | "employer" | "system"
    subject: str  # username, person public id, employer public id
    display_name: str
    division_code: str = divisions.MINISTRY
    roles: tuple[str, ...] = ()
    permissions: frozenset[str] = field(default_factory=frozenset)
    # The sign-in session the token belongs to (None: a machine token, e.g. client credentials).
    session_id: str | None = None

    @property
    def role_label(self) -> str:
        return ",".join(self.roles) or self.kind

    def has(self, permission: str) -> bool:
        return permission in self.permissions

    def can_reach(self, division_code: str) -> bool:
        """Staff see their own division and everything below it."""
        return self.kind in {"staff", "system"} and division_code.startswith(
            divisions.scope_prefix(self.division_code)
        )

    def require(self, permission: str) -> None:
        if not self.has(permission):
            raise Forbidden(f"您的角色无“{permission}”权限", code="renshe:auth/permission")


SYSTEM = Principal(
    kind="system", subject="system", display_name="系统", roles=("system",),
    permissions=frozenset().union(*ROLE_PERMISSIONS.values()),
)


def permissions_for(roles: tuple[str, ...]) -> frozenset[str]:
    result: set[str] = set()
    for role in roles:
        result |= ROLE_PERMISSIONS.get(Role(role), frozenset())
    return frozenset(result)


@lru_cache
def _hasher() -> PasswordHasher:
    # OWASP's Argon2id setting (19 MiB, 2 passes, 1 lane): about 25 ms a check on this platform's 2-core
    # servers, where argon2-cffi's default (RFC 9106 low-memory: 64 MiB, 3 passes, 4 lanes) took 180-300 ms
    # and made every sign-in, failed or not, miss the 100 ms answer. Hashes made with other parameters
    # still verify (each hash carries its own).
    return PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(principal: Principal, *, minutes: int, session_id: str | None = None) -> str:
    """A bearer token: base64url(JSON claims) '.' base64url(HMAC-SHA256); with `session_id` it lives only
    as long as that sign-in session (see `staff.require_session`)."""
    claims: dict[str, object] = {
        "k": principal.kind, "s": principal.subject, "n": principal.display_name,
        "d": principal.division_code, "r": list(principal.roles), "exp": int(time.time()) + minutes * 60,
    }
    if session_id is not None:
        claims["sid"] = session_id
    body = _b64(json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode())
    mac = hmac.new(get_settings().key_bytes("token"), body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def read_token(token: str) -> Principal:
    """Check a token's signature and expiry and return its principal (roles re-derived, not trusted)."""
    try:
        body, mac = token.split(".", 1)
        expected = hmac.new(get_settings().key_bytes("token"), body.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            raise ValueError("bad signature")
        claims = json.loads(_unb64(body))
    except (ValueError, TypeError):
        raise Unauthorized("登录凭证无效，请重新登录", code="renshe:auth/invalid-token") from None
    if claims["exp"] < time.time():
        raise Unauthorized("登录已过期，请重新登录", code="renshe:auth/expired-token")
    roles = tuple(claims["r"])
    return Principal(
        kind=claims["k"], subject=claims["s"], display_name=claims["n"], division_code=claims["d"],
        roles=roles, permissions=permissions_for(roles) if claims["k"] == "staff" else frozenset(),
        session_id=claims.get("sid"),
    )


def deny(actor: Principal, *, entity_type: str, entity_id: str, action: str, detail: str) -> Forbidden:
    """A 403 that the web layer writes to the audit log (who tried what on which record)."""
    error = Forbidden(detail, code="renshe:auth/out-of-jurisdiction")
    error.audit = {"actor": actor, "action": action, "entity_type": entity_type, "entity_id": entity_id}
    return error
