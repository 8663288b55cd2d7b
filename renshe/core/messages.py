"""Outgoing text messages through a pluggable sender; the embedded default keeps them in a table."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core import crypto
from renshe.core.models import OutgoingMessage
from renshe.core.settings import get_settings

Sender = Callable[[Session, str, str, str], None]


def _outbox_sender(session: Session, phone: str, body: str, purpose: str) -> None:
    session.add(OutgoingMessage(
        phone_encrypted=crypto.cipher().encrypt(phone, purpose="message.phone"),
        phone_masked=crypto.mask_phone(phone), body=body, purpose=purpose,
    ))
    session.flush()


SENDERS: dict[str, Sender] = {"outbox": _outbox_sender}


def register_sender(name: str, sender: Sender) -> None:
    """Install a gateway (an SMS provider adapter); select it with RENSHE_SMS_SENDER."""
    SENDERS[name] = sender


def send(session: Session, *, phone: str, body: str, purpose: str) -> None:
    name = get_settings().sms_sender
    if name not in SENDERS:
        raise RuntimeError(f"RENSHE_SMS_SENDER={name} is not a registered sender")
    SENDERS[name](session, phone, body, purpose)


def recent(session: Session, *, limit: int = 50) -> list[OutgoingMessage]:
    return list(session.scalars(select(OutgoingMessage).order_by(OutgoingMessage.id.desc()).limit(limit)))
