"""Rules of the electronic SSC (电子社保卡): one per active card, signed on the citizen's request, and
its dynamic QR code: Ed25519-signed, valid for `RENSHE_ESSC_CODE_SECONDS`, accepted once."""

from __future__ import annotations

import base64
import io
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import segno
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from renshe.card import common, rules, schemas
from renshe.card.essc import keys
from renshe.card.lifecycle import service as lifecycle
from renshe.card.models import Card, ElectronicCard
from renshe.core import audit
from renshe.core.auth import Principal
from renshe.core.errors import NotFound
from renshe.core.events import record_event
from renshe.registry import service as registry


def essc_of(session: Session, card: Card) -> ElectronicCard | None:
    return session.scalar(select(ElectronicCard).where(ElectronicCard.card_id == card.id))


def essc_out(essc: ElectronicCard, card: Card) -> schemas.EsscOut:
    return schemas.EsscOut(public_id=essc.public_id, card_id=card.public_id, status=essc.status,
                           status_label=common.ESSC_STATUS_LABELS[essc.status], issued_at=essc.issued_at)


def issue_essc(session: Session, *, actor: Principal) -> ElectronicCard:
    """Sign the e-SSC (电子社保卡签发) for the citizen's active physical card, one per card."""
    person = lifecycle.citizen_person(session, actor)
    card = lifecycle.live_card(session, person)
    if card is None or card.status != "active":
        raise common.card_error("no-active-card", "须先持有已启用的实体社会保障卡，才能签发电子社保卡")
    if essc_of(session, card) is not None:
        raise common.card_error("essc-exists", "该卡已签发电子社保卡")
    essc = ElectronicCard(card_id=card.id, person_id=person.id, status="active", issued_at=common.clock())
    try:
        with session.begin_nested():
            session.add(essc)
            session.flush()
    except IntegrityError:
        raise common.card_error("essc-exists", "该卡已签发电子社保卡") from None
    audit.record(session, actor=actor, action="card.essc_issue", entity_type="card", entity_id=card.public_id,
                 after={"essc": essc.public_id})
    record_event(session, "card.essc_issued", {"card": card.public_id, "essc": essc.public_id,
                                               "person": person.public_id})
    return essc


def my_essc(session: Session, *, actor: Principal) -> tuple[ElectronicCard, Card]:
    person = lifecycle.citizen_person(session, actor)
    card = lifecycle.live_card(session, person)
    essc = essc_of(session, card) if card is not None else None
    if card is None or essc is None or essc.status != "active":
        raise NotFound("您的电子社保卡，请先签发", code="renshe:card/no-essc")
    return essc, card


@dataclass(frozen=True)
class IssuedCode:
    code: str
    issued_at: datetime
    expires_at: datetime


def issue_code(session: Session, *, actor: Principal, now: datetime | None = None) -> IssuedCode:
    """A fresh signed QR code for the citizen's e-SSC: card reference, issue time and nonce."""
    essc, card = my_essc(session, actor=actor)
    if card.status != "active":
        raise common.card_error("card-lost" if card.status == "lost" else "card-inactive",
                                f"社会保障卡状态为“{rules.STATUS_LABELS[card.status]}”，暂不能出示电子社保卡二维码")
    return sign_code(session, essc=essc, now=now)


def sign_code(session: Session, *, essc: ElectronicCard, now: datetime | None = None) -> IssuedCode:
    key = keys.signing_key(session)
    at = common.now_or(now).replace(microsecond=0)
    body = rules.CodeBody(key.kid, bytes.fromhex(essc.public_id), at, at + timedelta(seconds=common.code_seconds()),
                          os.urandom(8))
    code = rules.encode_code(body, key.private.sign(body.pack()))
    return IssuedCode(code, at, body.expires_at)


def qr_svg_data_uri(code: str) -> str:
    qr = segno.make(code, error="m", micro=False)
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, dark="#000", light="#fff")
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def card_status_answer(session: Session, person: registry.Person) -> dict[str, Any]:
    """Answer of the `ssc-status` catalog resource: the card's and the e-SSC's status, nothing else."""
    card = lifecycle.live_card(session, person) or next(iter(lifecycle.cards_of(session, person)), None)
    if card is None:
        return {"card_status": "none", "card_status_label": "未申领", "essc_status": "none"}
    essc = essc_of(session, card)
    return {"card_status": card.status, "card_status_label": rules.STATUS_LABELS[card.status],
            "essc_status": essc.status if essc else "none"}
