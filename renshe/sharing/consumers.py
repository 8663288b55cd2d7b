"""Consumer applications of the gateway: registration with grants, client-credentials sign-in, the list."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core import audit, staff
from renshe.core.auth import Principal, hash_password, issue_token, read_token, verify_password
from renshe.core.errors import (
    Conflict,
    DomainError,
    FieldError,
    NotFound,
    Unauthorized,
    ValidationFailed,
)
from renshe.sharing import policy
from renshe.sharing.catalog import ensure_national_catalog
from renshe.sharing.models import Consumer, Grant, ShareResource


def add_consumer(
    session: Session, *, actor: Principal, name: str, grants: list[str], purpose: str, legal_basis: str,
    rate_per_minute: int = 600, daily_quota: int = 100_000,
) -> tuple[Consumer, str]:
    """Register a consumer application with its grants; returns it and its secret (shown once)."""
    policy.require(actor, "manage")
    ensure_national_catalog(session)
    if not name.strip():
        raise ValidationFailed([FieldError("name", "renshe:sharing/name", "请填写应用名称")])
    if not 1 <= rate_per_minute <= 1_000_000 or not 1 <= daily_quota <= 100_000_000:
        raise ValidationFailed([FieldError("rate_per_minute", "renshe:sharing/limits",
                                           "每分钟限额须在1至1000000之间，每日配额须在1至100000000之间")])
    known = {r.short_name: r for r in session.scalars(select(ShareResource))}
    unknown = [g for g in grants if g not in known]
    if unknown:
        raise ValidationFailed([FieldError("grant", "renshe:sharing/unknown-resource",
                                           f"目录中没有资源：{', '.join(unknown)}")])
    refused = [g for g in grants if known[g].sharing_type == "none"]
    if refused:
        raise Conflict(f"不予共享的资源不能授权：{', '.join(refused)}", code="renshe:sharing/not-shareable")
    secret = secrets.token_urlsafe(32)
    consumer = Consumer(client_id=f"c{secrets.token_hex(8)}", secret_hash=hash_password(secret), name=name.strip(),
                        rate_per_minute=rate_per_minute, daily_quota=daily_quota)
    session.add(consumer)
    session.flush()
    for short_name in dict.fromkeys(grants):
        session.add(Grant(consumer_id=consumer.id, resource_id=known[short_name].id, purpose=purpose,
                          legal_basis=legal_basis))
    session.flush()
    audit.record(session, actor=actor, action="sharing.add_consumer", entity_type="consumer",
                 entity_id=consumer.client_id, after={"name": consumer.name, "grants": grants, "purpose": purpose})
    return consumer, secret


def authenticate_consumer(session: Session, *, client_id: str, client_secret: str) -> Principal:
    consumer = session.scalar(select(Consumer).where(Consumer.client_id == client_id))
    if consumer is None or not consumer.active or not verify_password(consumer.secret_hash, client_secret):
        error = Unauthorized("client_id 或 client_secret 错误", code="renshe:sharing/bad-client")
        error.audit = {"actor": Principal(kind="consumer", subject=client_id[:40], display_name=""),
                       "action": "sharing.token", "entity_type": "consumer", "entity_id": client_id[:40]}
        raise error
    return Principal(kind="consumer", subject=consumer.client_id, display_name=consumer.name)


TOKEN_MINUTES = 30


def issue_consumer_token(session: Session, *, consumer: Principal, client_addr: str = "-") -> str:
    """A client-credentials token bound to a server-side session (`auth_sessions`, kind consumer): it can be
    revoked before it expires, and every gateway call checks that (cached for a few seconds per process)."""
    sid = staff.start_session(session, principal=consumer, minutes=TOKEN_MINUTES, client_addr=client_addr)
    return issue_token(consumer, minutes=TOKEN_MINUTES, session_id=sid)


def revoke_token(session: Session, *, consumer: Principal, token: str) -> bool:
    """RFC 7009: a consumer revokes one of its own tokens (an unknown, expired or foreign token: nothing)."""
    try:
        held = read_token(token)
    except DomainError:
        return False
    if held.kind != "consumer" or held.subject != consumer.subject or held.session_id is None:
        return False
    return staff.end_session(session, actor=consumer, sid=held.session_id, reason="revoked")


def revoke_tokens(session: Session, *, actor: Principal, client_id: str) -> int:
    """End every token of a consumer at once (a leaked secret, a disabled application); audited."""
    policy.require(actor, "manage")
    if session.scalar(select(Consumer.id).where(Consumer.client_id == client_id)) is None:
        raise NotFound("该调用方应用", code="renshe:sharing/unknown-consumer")
    return staff.end_sessions_of(session, actor=actor, kind="consumer", subject=client_id)



@dataclass(frozen=True)
class ConsumerView:
    client_id: str
    name: str
    active: bool
    grants: list[str]


def consumers(session: Session) -> list[ConsumerView]:
    rows = session.execute(
        select(Consumer.client_id, Consumer.name, Consumer.active, ShareResource.short_name)
        .outerjoin(Grant, Grant.consumer_id == Consumer.id)
        .outerjoin(ShareResource, ShareResource.id == Grant.resource_id).order_by(Consumer.id))
    found: dict[str, ConsumerView] = {}
    for client_id, name, active, short_name in rows:
        view = found.setdefault(client_id, ConsumerView(client_id, name, active, []))
        if short_name:
            view.grants.append(short_name)
    return list(found.values())


def set_limits(session: Session, *, actor: Principal, client_id: str, rate_per_minute: int | None = None,
               daily_quota: int | None = None, active: bool | None = None) -> Consumer:
    """Change a consumer's per-minute rate, daily quota or whether it may call; audited. Every worker
    sees the change on its next call (the gateway's cache is dropped on commit)."""
    policy.require(actor, "manage")
    consumer = session.scalar(select(Consumer).where(Consumer.client_id == client_id))
    if consumer is None:
        raise NotFound("该调用方应用", code="renshe:sharing/unknown-consumer")
    rate = consumer.rate_per_minute if rate_per_minute is None else rate_per_minute
    quota = consumer.daily_quota if daily_quota is None else daily_quota
    if not 1 <= rate <= 1_000_000 or not 1 <= quota <= 100_000_000:
        raise ValidationFailed([FieldError("rate_per_minute", "renshe:sharing/limits",
                                           "每分钟限额须在1至1000000之间，每日配额须在1至100000000之间")])
    before = {"rate_per_minute": consumer.rate_per_minute, "daily_quota": consumer.daily_quota,
              "active": consumer.active}
    consumer.rate_per_minute, consumer.daily_quota = rate, quota
    if active is not None:
        consumer.active = active
    session.flush()
    audit.record(session, actor=actor, action="sharing.set_limits", entity_type="consumer", entity_id=client_id,
                 before=before, after={"rate_per_minute": rate, "daily_quota": quota, "active": consumer.active})
    return consumer
