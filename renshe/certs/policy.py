"""Who may do what in the certificate library (`can(actor, action, target)`); the services call
`require`, which raises the refusal the rule names (an audited `deny` for a record outside the
caller's jurisdiction, a plain 403 for a missing permission, a 404 where existence must not leak).

Actions and their targets:
- `certs.configure`: "user.manage" (issuer, key rotation);
- `certs.issue`: "person.write" (before a person is named); `certs.issue_to` (Person): "person.write"
  and the person within the caller's jurisdiction;
- `certs.search`: "person.read";
- `certs.read` (Certificate): staff or the system with "person.read" over the holder's division, or
  the holder; `certs.write` (Certificate): staff or the system with "person.write" over it;
- `certs.link` (Certificate): the holder only; `certs.holder_name` (Certificate): whether the
  holder's full name is shown (the holder, staff, the system).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from renshe.certs.models import Certificate
from renshe.core.auth import Principal, deny
from renshe.core.errors import DomainError, Forbidden, NotFound
from renshe.registry import service as registry
from renshe.registry.service import Person

WRITE = "person.write"
READ = "person.read"
CONFIGURE = "user.manage"
OFFICIALS = frozenset({"staff", "system"})

Target = Person | Certificate | None


def can(actor: Principal, action: str, target: Target = None) -> bool:
    """True if `actor` may do `action` on `target`."""
    return refusal(actor, action, target) is None


def require(actor: Principal, action: str, target: Target = None) -> None:
    """Raise the refusal of `action` on `target`, if there is one (denials are audited)."""
    problem = refusal(actor, action, target)
    if problem is not None:
        raise problem


def refusal(actor: Principal, action: str, target: Target = None) -> DomainError | None:
    """Why `actor` may not do `action` on `target`, or None."""
    if action == "certs.configure":
        return _permission(actor, CONFIGURE)
    if action == "certs.issue":
        return _permission(actor, WRITE)
    if action == "certs.search":
        return _permission(actor, READ)
    if action == "certs.issue_to":
        if not isinstance(target, Person):
            raise TypeError("certs.issue_to is decided on a person")
        return _permission(actor, WRITE) or (None if actor.can_reach(target.residence_division) else deny(
            actor, entity_type="person", entity_id=target.public_id, action="certs.write",
            detail="该人员不在您的辖区内，不能办理证照"))
    cert = _certificate(target)
    if action == "certs.read":
        if _sees(actor, cert):
            return None
        if actor.kind == "staff":
            return deny(actor, entity_type="certificate", entity_id=cert.public_id, action=action,
                        detail="该证照持证人不在您的辖区内，无权查看")
        return NotFound("该证照", code="renshe:certs/not-found")
    if action == "certs.write":
        return _permission(actor, WRITE) or (
            None if actor.kind in OFFICIALS and actor.can_reach(cert.holder_division) else deny(
                actor, entity_type="certificate", entity_id=cert.public_id, action=action,
                detail="该证照持证人不在您的辖区内，不能办理"))
    if action == "certs.link":
        return None if actor.kind == "citizen" and _sees(actor, cert) else Forbidden(
            "只有持证人本人可以生成核验链接", code="renshe:certs/link-owner")
    if action == "certs.holder_name":
        return None if actor.kind == "citizen" or actor.kind in OFFICIALS else Forbidden(
            "无权查看持证人姓名", code="renshe:auth/permission")
    raise ValueError(f"unknown certificate action {action!r}")


def _certificate(target: Target) -> Certificate:
    if not isinstance(target, Certificate):
        raise TypeError("this certificate action is decided on a certificate")
    return target


def _permission(actor: Principal, permission: str) -> DomainError | None:
    return None if actor.has(permission) else Forbidden(f"您的角色无“{permission}”权限",
                                                        code="renshe:auth/permission")


def _sees(actor: Principal, cert: Certificate) -> bool:
    if actor.kind in OFFICIALS:
        return actor.has(READ) and actor.can_reach(cert.holder_division)
    if actor.kind == "citizen":
        session = Session.object_session(cert)
        return session is not None and cert.person_id == registry.person_pk(session, public_id=actor.subject)
    return False
