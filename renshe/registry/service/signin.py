"""Citizen sign-in by resident ID and a one-time code to the phone on record."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core import audit, crypto, divisions, ids, throttle
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import (
    NotFound,
    Unauthorized,
    ValidationFailed,
)
from renshe.registry import policy
from renshe.registry.models import Employer, Person
from renshe.registry.service.common import (
    PHONE_PURPOSE,
    find_row,
    id_index,
)

UNSENDABLE = "-"  # the hash of a code that was never sent: no code matches it


def send_sign_in_code(session: Session, *, id_number: str) -> None:
    """Send a one-time code to the phone on record, within the limits (`core.throttle`).

    The caller answers the same whether or not the number is registered (or has a phone, or the phone's
    own limit held the message back): a challenge is opened either way, one that no code matches when
    nothing was sent, so the sign-in step answers the same too. What happened is audited.
    """
    from datetime import timedelta

    from renshe.core import messages
    from renshe.core.models import OneTimeCode
    from renshe.core.settings import get_settings

    try:
        number = ids.parse_resident_id(id_number).number
    except ids.IdentifierError as exc:
        raise ValidationFailed(exc.errors) from None
    subject = id_index(number).hex()
    person = find_row(session, number)
    actor = Principal(kind="citizen", subject=person.public_id if person else "-", display_name="")
    entity_id = person.public_id if person else crypto.mask_id_number(number)
    throttle.admit_code_request(session, subject=subject, actor=actor, entity_id=entity_id)
    settings = get_settings()
    for old in session.scalars(select(OneTimeCode).where(OneTimeCode.subject == subject, OneTimeCode.used.is_(False))):
        old.used = True
    code = f"{secrets.randbelow(1_000_000):06d}"
    phone = None
    outcome, note = "ok", "sent"
    if person is None:
        outcome, note = "denied", "not-registered"
    elif person.phone_encrypted is None or person.status != "normal":
        outcome, note = "denied", "no-phone" if person.phone_encrypted is None else f"status-{person.status}"
    else:
        phone = crypto.cipher().decrypt(person.phone_encrypted, purpose=PHONE_PURPOSE)
        phone_index = crypto.cipher().blind_index(phone, purpose="otp-phone").hex()
        if not throttle.admit_code_to_phone(session, phone_index=phone_index):
            phone, outcome, note = None, "denied", "phone-limit"
    session.add(OneTimeCode(subject=subject, code_hash=_code_hash(subject, code) if phone else UNSENDABLE,
                            expires_at=utcnow() + timedelta(seconds=settings.otp_ttl_seconds)))
    if phone is not None:
        minutes = max(1, settings.otp_ttl_seconds // 60)
        messages.send(session, phone=phone, purpose="sign_in",
                      body=f"【人社服务】您的登录验证码为{code}，{minutes}分钟内有效。请勿告诉他人。")
    session.flush()
    audit.record(session, actor=actor, action="auth.citizen_code", entity_type="person", entity_id=entity_id,
                 after={"result": note}, outcome=outcome)


def _code_hash(subject: str, code: str) -> str:
    return crypto.cipher().blind_index(f"{subject}:{code}", purpose="otp").hex()


def citizen_sign_in(session: Session, *, id_number: str, code: str) -> tuple[Principal | None, Unauthorized | None]:
    """Check the one-time code; each code works once, within its time, for a few attempts, and the
    number's wrong codes across codes are limited (429 once spent, `core.throttle`).

    Returns the citizen, or the error to raise *after* the caller commits: a wrong code must still
    count against the attempts left.
    """
    from renshe.core.models import OneTimeCode
    from renshe.core.settings import get_settings

    number = id_number.strip().upper()
    subject = id_index(number).hex()
    person = find_row(session, number)
    anonymous = Principal(kind="citizen", subject=person.public_id if person else "-", display_name="")
    entity_id = person.public_id if person else crypto.mask_id_number(number)
    throttle.check_code_budget(session, subject=subject, actor=anonymous, entity_id=entity_id)
    challenge = session.scalar(select(OneTimeCode).where(OneTimeCode.subject == subject, OneTimeCode.used.is_(False))
                               .order_by(OneTimeCode.id.desc()).limit(1))
    failure = None
    if challenge is None:
        failure = ("请先获取验证码", "renshe:auth/no-code")
    elif challenge.expires_at < utcnow():
        failure = ("验证码已过期，请重新获取", "renshe:auth/code-expired")
    elif challenge.attempts >= get_settings().otp_max_attempts:
        failure = ("验证码错误次数过多，请重新获取", "renshe:auth/too-many-attempts")
    elif person is None or not secrets.compare_digest(challenge.code_hash, _code_hash(subject, code.strip())):
        challenge.attempts += 1
        throttle.code_failed(session, subject=subject, actor=anonymous, entity_id=entity_id)
        failure = ("验证码错误", "renshe:auth/bad-code")
    if failure:
        error = Unauthorized(failure[0], code=failure[1])
        error.audit = {"actor": anonymous, "action": "auth.citizen_sign_in", "entity_type": "person",
                       "entity_id": anonymous.subject}
        return None, error
    if challenge is None or person is None:  # unreachable: failure is set whenever either is missing
        raise RuntimeError("sign-in checks fell through")
    challenge.used = True
    throttle.code_succeeded(session, subject=subject)
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


# ---------------------------------------------------------------- one-time codes for other purposes
# A code that a person passes on to confirm something other than signing in (代办 consent): the same
# table and hashing as sign-in codes, under a subject of its own so the two never meet.

PURPOSE_CODE_COOLDOWN_SECONDS = 60
PURPOSE_CODE_DAILY_CAP = 10


def _purpose_subject(person: Person, purpose: str) -> str:
    return f"{purpose}:{person.id_number_index.hex()}"


def send_purpose_code(session: Session, *, person: Person, purpose: str, message: str) -> bool:
    """Send PERSON a one-time code for PURPOSE (a short word, e.g. `proxy`) to the phone on record.

    MESSAGE is the text with `{code}` and `{minutes}` in it. Returns False when no phone is on record. A
    second code within a minute, or more than ten a day, for the same person and purpose is refused."""
    from datetime import timedelta

    from sqlalchemy import func

    from renshe.core import messages
    from renshe.core.errors import DomainError
    from renshe.core.models import OneTimeCode
    from renshe.core.settings import get_settings

    if person.phone_encrypted is None:
        return False
    subject = _purpose_subject(person, purpose)
    now = utcnow()
    last = session.scalar(select(func.max(OneTimeCode.created_at)).where(OneTimeCode.subject == subject))
    if last is not None and now - last < timedelta(seconds=PURPOSE_CODE_COOLDOWN_SECONDS):
        raise DomainError("renshe:auth/code-cooldown", f"验证码已发送，请{PURPOSE_CODE_COOLDOWN_SECONDS}秒后再重新获取",
                          429, "发送过于频繁", headers={"Retry-After": str(PURPOSE_CODE_COOLDOWN_SECONDS)})
    sent_today = session.scalar(select(func.count()).select_from(OneTimeCode).where(
        OneTimeCode.subject == subject, OneTimeCode.created_at > now - timedelta(days=1))) or 0
    if sent_today >= PURPOSE_CODE_DAILY_CAP:
        raise DomainError("renshe:auth/code-daily-cap", "今日发送验证码的次数已达上限，请明天再试", 429,
                          "发送次数已达上限")
    settings = get_settings()
    for old in session.scalars(select(OneTimeCode).where(OneTimeCode.subject == subject, OneTimeCode.used.is_(False))):
        old.used = True
    code = f"{secrets.randbelow(1_000_000):06d}"
    session.add(OneTimeCode(subject=subject, code_hash=_code_hash(subject, code),
                            expires_at=now + timedelta(seconds=settings.otp_ttl_seconds)))
    phone = crypto.cipher().decrypt(person.phone_encrypted, purpose=PHONE_PURPOSE)
    messages.send(session, phone=phone, purpose=purpose[:32],
                  body=message.format(code=code, minutes=max(1, settings.otp_ttl_seconds // 60)))
    session.flush()
    return True


def check_purpose_code(session: Session, *, person: Person, purpose: str, code: str) -> str | None:
    """Check a code sent by `send_purpose_code`: None when right (the code is then used up), else why not
    (in Chinese). A wrong code counts against the attempts left, so the caller keeps the count (`persist`)."""
    from renshe.core.models import OneTimeCode
    from renshe.core.settings import get_settings

    subject = _purpose_subject(person, purpose)
    challenge = session.scalar(select(OneTimeCode).where(OneTimeCode.subject == subject, OneTimeCode.used.is_(False))
                               .order_by(OneTimeCode.id.desc()).limit(1))
    if challenge is None:
        return "请先获取验证码"
    if challenge.expires_at < utcnow():
        return "验证码已过期，请重新获取"
    if challenge.attempts >= get_settings().otp_max_attempts:
        return "验证码错误次数过多，请重新获取"
    if not secrets.compare_digest(challenge.code_hash, _code_hash(subject, code.strip())):
        challenge.attempts += 1
        session.flush()
        return "验证码错误"
    challenge.used = True
    session.flush()
    return None
