"""Rules of the card's lifecycle (申领、发卡、启用、挂失、解挂、注销、补换). The only code that moves a card.

Lifecycle moves follow `rules.TRANSITIONS`; each is checked, audited and leaves an outbox event
(`card.<transition>`). One live card per person is checked here and guaranteed by the unique
`card_cards.live_person_id`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from renshe.card import common, policy, rules, schemas
from renshe.card.models import Card, ElectronicCard, ProductionBatch
from renshe.core import audit, crypto, divisions, paging, staff
from renshe.core.auth import Principal, deny
from renshe.core.errors import FieldError, NotFound, ValidationFailed
from renshe.core.events import record_event
from renshe.registry import service as registry


def person_of(session: Session, card: Card) -> registry.Person:
    person = registry.person_by_pk(session, card.person_id)
    if person is None:  # foreign key: cannot happen
        raise NotFound("持卡人")
    return person


def citizen_person(session: Session, actor: Principal) -> registry.Person:
    return registry.person_of(session, principal=actor)


def live_card(session: Session, person: registry.Person) -> Card | None:
    return session.scalar(select(Card).where(Card.live_person_id == person.id))


def cards_of(session: Session, person: registry.Person) -> list[Card]:
    return list(session.scalars(select(Card).where(Card.person_id == person.id).order_by(Card.id.desc())))


def card_out(session: Session, card: Card, *, actor: Principal, unmask: bool = False) -> schemas.CardOut:
    """Shape a card for the caller: card and bank numbers masked unless unmasked by grant (audited)."""
    person = person_of(session, card)
    reveal = False
    if unmask:
        if not staff.has_grant(session, actor, "pii.unmask"):
            raise deny(actor, entity_type="card", entity_id=card.public_id, action="card.unmask",
                       detail="您未被授予查看完整个人信息的权限")
        reveal = True
        audit.record(session, actor=actor, action="card.unmask", entity_type="card", entity_id=card.public_id,
                     after={"fields": ["card_number", "bank_account", "id_number"]})
    cipher = crypto.cipher()
    card_number = card.card_number_masked
    bank_account = card.bank_account_masked
    id_number = person.id_number_masked
    if reveal:
        if card.card_number_encrypted:
            card_number = cipher.decrypt(card.card_number_encrypted, purpose=common.CARD_NUMBER_PURPOSE)
        if card.bank_account_encrypted:
            bank_account = cipher.decrypt(card.bank_account_encrypted, purpose=common.BANK_PURPOSE)
        id_number = cipher.decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE)
    batch = session.get(ProductionBatch, card.batch_id) if card.batch_id else None
    replaced = session.get(Card, card.replaces_id) if card.replaces_id else None
    return schemas.CardOut(
        public_id=card.public_id, person_public_id=person.public_id, holder_name=person.name,
        holder_id_number=id_number, holder_id_number_masked=not reveal, status=card.status,
        status_label=rules.STATUS_LABELS[card.status], channel=card.channel, issuing_division=card.issuing_division,
        bank_code=card.bank_code, bank_name=common.BANKS.get(card.bank_code, card.bank_code),
        card_number=card_number, card_number_masked=not reveal, bank_account=bank_account,
        bank_account_masked=not reveal, batch_id=batch.public_id if batch else None,
        replaces=replaced.public_id if replaced else None,
        applied_at=card.applied_at, produced_at=card.produced_at, issued_at=card.issued_at,
        activated_at=card.activated_at, closed_at=card.closed_at, closed_reason=card.closed_reason,
        allowed_actions=[t.name for t in rules.allowed_transitions(card.status)
                         if t.name not in {"batch", "produce"} and policy.offered(actor, t.name)],
        version=card.version,
    )


def audit_card(session: Session, actor: Principal, action: str, card: Card, *, before: str | None,
               extra: dict[str, Any] | None = None) -> None:
    after: dict[str, Any] = {"status": card.status, **(extra or {})}
    audit.record(session, actor=actor, action=action, entity_type="card", entity_id=card.public_id,
                 before={"status": before} if before else None, after=after)


def card_event(session: Session, name: str, card: Card, person: registry.Person, **extra: Any) -> None:
    record_event(session, f"card.{name}", {"card": card.public_id, "person": person.public_id,
                                           "status": card.status, "division": card.issuing_division, **extra})


def apply_for_card(
    session: Session, *, actor: Principal, person: registry.Person, bank_code: str, replaces: Card | None = None,
) -> Card:
    """Apply for a card: online by the citizen for themself, at the window by a clerk in jurisdiction."""
    policy.require(actor, "card.apply", person)
    channel = "online" if actor.kind == "citizen" else "window"
    bank = common.check_bank(bank_code)
    if person.status != "normal":
        raise common.card_error("person-not-active", "该人员当前状态不能申领社会保障卡")
    existing = live_card(session, person)
    if existing is not None:
        raise common.card_error("already-has-card",
                                f"该人员已有一张{rules.STATUS_LABELS[existing.status]}的社会保障卡，每人只能持有一张；"
                                "如需换卡请办理补换")
    card = Card(person_id=person.id, live_person_id=person.id, status="applied", channel=channel,
                issuing_division=person.residence_division, bank_code=bank, applied_by=actor.subject,
                replaces_id=replaces.id if replaces else None, applied_at=common.clock())
    try:
        with session.begin_nested():
            session.add(card)
            session.flush()
    except IntegrityError:
        # another request applied for the same person at the same moment; the constraint decided
        raise common.card_error("already-has-card",
                                "该人员已有一张在办或有效的社会保障卡，每人只能持有一张") from None
    audit_card(session, actor, "card.apply", card, before=None,
               extra={"channel": channel, "bank_code": bank, "person": person.public_id,
                      "replaces": replaces.public_id if replaces else None})
    card_event(session, "applied", card, person, channel=channel)
    return card


def move(
    session: Session, *, actor: Principal, card: Card, action: str, reason: str = "", now: datetime | None = None,
) -> Card:
    """Move a card along one transition of the lifecycle, if its state and the caller allow it."""
    person = person_of(session, card)
    transition = rules.TRANSITIONS.get(action)
    if transition is None:
        raise NotFound("该办理事项", code="renshe:card/unknown-action")
    policy.require(actor, f"card.{action}", person)
    if rules.transition_for(action, card.status) is None:
        raise common.card_error("transition-not-allowed",
                                f"该卡当前状态为“{rules.STATUS_LABELS[card.status]}”，不能办理“{transition.label}”")
    if action in {"cancel", "replace"} and len(reason.strip()) < 2 and actor.kind != "citizen":
        raise ValidationFailed([FieldError("reason", "renshe:card/reason", "请填写原因（至少2个字）")])
    before = card.status
    at = common.now_or(now)
    card.status = transition.target
    if action == "produce":
        card.produced_at = at
    elif action == "issue":
        card.issued_at = at
    elif action == "activate":
        card.activated_at = at
    elif action == "report_loss":
        card.lost_at = at
    if transition.target in rules.TERMINAL_STATES:
        card.live_person_id = None
        card.closed_at = at
        card.closed_reason = reason.strip() or transition.label
        session.execute(update(ElectronicCard).where(ElectronicCard.card_id == card.id,
                                                     ElectronicCard.status == "active")
                        .values(status="revoked", revoked_at=at))
    session.flush()
    audit_card(session, actor, f"card.{action}", card, before=before,
               extra={"reason": reason.strip()} if reason.strip() else None)
    card_event(session, action, card, person)
    return card


def replace_card(
    session: Session, *, actor: Principal, card: Card, reason: str, bank_code: str | None = None,
) -> Card:
    """Replacement (补换): the old card is cancelled as replaced and a new one is applied for."""
    person = person_of(session, card)
    move(session, actor=actor, card=card, action="replace", reason=reason or "补换")
    return apply_for_card(session, actor=actor, person=person, bank_code=bank_code or card.bank_code,
                          replaces=card)


def get_card(session: Session, *, actor: Principal, public_id: str) -> Card:
    card = session.scalar(select(Card).where(Card.public_id == public_id))
    if card is None:
        raise NotFound("该社会保障卡", code="renshe:card/not-found")
    policy.require(actor, "card.read", policy.CardOf(card.public_id, person_of(session, card)))
    return card


def my_card(session: Session, *, actor: Principal) -> Card | None:
    """The citizen's live card, else their most recent one."""
    person = citizen_person(session, actor)
    return live_card(session, person) or next(iter(cards_of(session, person)), None)


def list_cards(
    session: Session, *, actor: Principal, status: str | None = None, limit: int = 20, cursor: str | None = None,
) -> tuple[list[Card], str | None]:
    """Cards issued in the caller's jurisdiction, optionally by status, paged."""
    policy.require(actor, "card.list")
    limit = max(1, min(limit, 200))
    stmt = select(Card).where(Card.id > paging.decode_cursor(cursor))
    prefix = divisions.scope_prefix(actor.division_code)
    if prefix:
        stmt = stmt.where(Card.issuing_division.startswith(prefix))
    if status:
        if status not in rules.STATUS_LABELS:
            raise ValidationFailed([FieldError("status", "renshe:card/status", "未知的卡状态")])
        stmt = stmt.where(Card.status == status)
    return common.page(list(session.scalars(stmt.order_by(Card.id).limit(limit + 1))), limit)
