"""Citizen sign-in by resident ID and a one-time code to the phone on record."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core import audit, crypto, divisions, ids
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import (
    NotFound,
    Unauthorized,
    ValidationFailed,
)
from renshe.registry import policy
from renshe.registry.models import Employer
from renshe.registry.service.common import (
    PHONE_PURPOSE,
    find_row,
    id_index,
)


def send_sign_in_code(session: Session, *, id_number: str) -> str | None:
    """Send a one-time code to the phone on record. Returns the masked phone, or None if none is known.

    The answer does not reveal whether the ID number is registered beyond what the masked phone shows.
    """
    from datetime import timedelta

    from renshe.core import messages
    from renshe.core.models import OneTimeCode
    from renshe.core.settings import get_settings

    try:
        number = ids.parse_resident_id(id_number).number
    except ids.IdentifierError as exc:
        raise ValidationFailed(exc.errors) from None
    person = find_row(session, number)
    if person is None or person.phone_encrypted is None or person.status != "normal":
        return None
    settings = get_settings()
    code = f"{secrets.randbelow(1_000_000):06d}"
    subject = id_index(number).hex()
    for old in session.scalars(select(OneTimeCode).where(OneTimeCode.subject == subject, OneTimeCode.used.is_(False))):
        old.used = True
    session.add(OneTimeCode(subject=subject, code_hash=_code_hash(subject, code),
                            expires_at=utcnow() + timedelta(seconds=settings.otp_ttl_seconds)))
    phone = crypto.cipher().decrypt(person.phone_encrypted, purpose=PHONE_PURPOSE)
    minutes = max(1, settings.otp_ttl_seconds // 60)
    messages.send(session, phone=phone, purpose="sign_in",
                  body=f"【人社服务】您的登录验证码为{code}，{minutes}分钟内有效。请勿告诉他人。")
    session.flush()
    return crypto.mask_phone(phone)


def _code_hash(subject: str, code: str) -> str:
    return crypto.cipher().blind_index(f"{subject}:{code}", purpose="otp").hex()


def citizen_sign_in(session: Session, *, id_number: str, code: str) -> tuple[Principal | None, Unauthorized | None]:
    """Check the one-time code; each code works once, within its time, for a few attempts.

    Returns the citizen, or the error to raise *after* the caller commits: a wrong code must still
    count against the attempts left.
    """
    from renshe.core.models import OneTimeCode
    from renshe.core.settings import get_settings

    number = id_number.strip().upper()
    subject = id_index(number).hex()
    challenge = session.scalar(select(OneTimeCode).where(OneTimeCode.subject == subject, OneTimeCode.used.is_(False))
                               .order_by(OneTimeCode.id.desc()).limit(1))
    person = find_row(session, number)
    anonymous = Principal(kind="citizen", subject=person.public_id if person else "-", display_name="")
    failure = None
    if challenge is None or person is None:
        failure = ("请先获取验证码", "renshe:auth/no-code")
    elif challenge.expires_at < utcnow():
        failure = ("验证码已过期，请重新获取", "renshe:auth/code-expired")
    elif challenge.attempts >= get_settings().otp_max_attempts:
        failure = ("验证码错误次数过多，请重新获取", "renshe:auth/too-many-attempts")
    elif not secrets.compare_digest(challenge.code_hash, _code_hash(subject, code.strip())):
        challenge.attempts += 1
        failure = ("验证码错误", "renshe:auth/bad-code")
    if failure:
        error = Unauthorized(failure[0], code=failure[1])
        error.audit = {"actor": anonymous, "action": "auth.citizen_sign_in", "entity_type": "person",
                       "entity_id": anonymous.subject}
        return None, error
    if challenge is None or person is None:  # unreachable: failure is set whenever either is missing
        raise RuntimeError("sign-in checks fell through")
    challenge.used = True
    who = Principal(kind="citizen", subject=person.public_id, display_name=person.name,
                    division_code=person.residence_division)
    audit.record(session, actor=who, action="auth.citizen_sign_in", entity_type="person", entity_id=person.public_id)
    return who, None


def get_employer_of(session: Session, *, principal: Principal) -> Employer:
    """The employer an agent signed in for."""
    employer = session.scalar(select(Employer).where(Employer.public_id == principal.subject))
    if employer is None or not policy.can_see_employer(principal, employer):
        raise NotFound("该单位", code="renshe:employer/not-found")
    return employer


def iter_employers_for_export(session: Session, *, actor: Principal) -> Iterator[Employer]:
    """Stream employers in the caller's reach, for export."""
    policy.require(actor, "employer.read")
    stmt = select(Employer)
    prefix = divisions.scope_prefix(actor.division_code)
    if prefix:
        stmt = stmt.where(Employer.division_code.startswith(prefix))
    for employer in session.scalars(stmt.order_by(Employer.id).execution_options(yield_per=2000)):
        yield employer
        session.expunge(employer)
