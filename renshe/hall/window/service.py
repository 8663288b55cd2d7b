"""Window applications (窗口代录): a clerk files an application for a citizen present at the window, who
confirms it with a one-time code sent to the phone on record."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core import audit, crypto, messages
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import FieldError, ValidationFailed
from renshe.core.models import OneTimeCode
from renshe.core.settings import get_settings
from renshe.hall import policy
from renshe.hall.applications import service as applications
from renshe.hall.applications.materials import Upload
from renshe.hall.catalog import service as catalog
from renshe.hall.models import Application
from renshe.registry import service as registry


def _window_subject(person: registry.Person) -> str:
    return f"hall:{person.id_number_index.hex()}"  # the ID number's blind index


def _window_code_hash(subject: str, code: str) -> str:
    return crypto.cipher().blind_index(f"{subject}:{code}", purpose="hall.window-otp").hex()


def send_window_code(session: Session, *, actor: Principal, id_number: str, item_code: str) -> str:
    """A clerk applies for a citizen at the window: send the citizen a one-time code to confirm with."""
    policy.require(actor, "window.file")
    item = catalog.get_item(session, item_code)
    person = registry.person_by_id_number(session, id_number=id_number)
    if person is None or not policy.can(actor, "division.reach", person.residence_division):
        raise ValidationFailed([FieldError("id_number", "renshe:hall/person-not-found",
                                           "本辖区人员基础库中没有该身份号码，请先办理人员登记")])
    if person.phone_encrypted is None:
        raise ValidationFailed([FieldError("id_number", "renshe:hall/no-phone",
                                           "该人员没有登记手机号码，无法发送确认验证码，请先变更人员信息")])
    settings = get_settings()
    subject = _window_subject(person)
    for old in session.scalars(select(OneTimeCode).where(OneTimeCode.subject == subject,
                                                         OneTimeCode.used.is_(False))):
        old.used = True
    code = f"{secrets.randbelow(1_000_000):06d}"
    session.add(OneTimeCode(subject=subject, code_hash=_window_code_hash(subject, code),
                            expires_at=utcnow() + timedelta(seconds=settings.otp_ttl_seconds)))
    phone = crypto.cipher().decrypt(person.phone_encrypted, purpose=registry.PHONE_PURPOSE)
    minutes = max(1, settings.otp_ttl_seconds // 60)
    messages.send(session, phone=phone, purpose="hall_window_confirm",
                  body=f"【人社服务】窗口工作人员正在为您办理“{item.name}”，确认验证码为{code}，{minutes}分钟内有效。"
                       "如非本人在窗口办理，请勿告知他人。")
    audit.record(session, actor=actor, action="hall.window_code", entity_type="person", entity_id=person.public_id,
                 after={"item": item.code})
    session.flush()
    return crypto.mask_phone(phone)


WINDOW_CODE_ERROR = "renshe:hall/window-code"


def _check_window_code(session: Session, *, person: registry.Person, code: str) -> None:
    """Raise (after counting the attempt) unless the code is right; the error keeps the count (`persist`)."""
    settings = get_settings()
    subject = _window_subject(person)
    challenge = session.scalar(select(OneTimeCode).where(OneTimeCode.subject == subject, OneTimeCode.used.is_(False))
                               .order_by(OneTimeCode.id.desc()).limit(1))
    message = None
    if challenge is None:
        message = "请先向申请人发送确认验证码"
    elif challenge.expires_at < utcnow():
        message = "验证码已过期，请重新发送"
    elif challenge.attempts >= settings.otp_max_attempts:
        message = "验证码错误次数过多，请重新发送"
    elif not secrets.compare_digest(challenge.code_hash, _window_code_hash(subject, code.strip())):
        challenge.attempts += 1
        session.flush()
        message = "验证码错误，请请申请人核对手机短信"
    if message is not None:
        error = ValidationFailed([FieldError("code", WINDOW_CODE_ERROR, message)], detail=message)
        error.persist = True  # a wrong code counts against the attempts left: the request still commits
        raise error
    if challenge is not None:
        challenge.used = True


def submit_at_window(
    session: Session, *, actor: Principal, item_code: str, id_number: str, code: str, data: Mapping[str, Any],
    uploads: Sequence[Upload] = (),
) -> Application:
    """File an application at the window for a citizen who confirms with the code sent to their phone."""
    policy.require(actor, "window.file")
    item = catalog.get_item(session, item_code)
    person = registry.person_by_id_number(session, id_number=id_number)
    if person is None or not policy.can(actor, "division.reach", person.residence_division):
        raise ValidationFailed([FieldError("id_number", "renshe:hall/person-not-found",
                                           "本辖区人员基础库中没有该身份号码")])
    _check_window_code(session, person=person, code=code)
    record = {"kind": "window", "clerk": actor.subject, "clerk_name": actor.display_name,
              "confirmed_by": "申请人手机短信验证码", "confirmed_at": utcnow().isoformat()}
    return applications.create_application(session, actor=actor, item=item, applicant=person, channel="window",
                                           data=data, uploads=uploads, representation=record)
