"""Rules of card production: batches of pending applications sent to a card maker, card numbers
assigned, the maker's return recorded whole or not at all; and the demo's bulk of active cards."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from stdnum import luhn

from renshe.card import common, policy, rules, schemas
from renshe.card.lifecycle import service as lifecycle
from renshe.card.models import Card, ElectronicCard, ProductionBatch
from renshe.core import audit, crypto, divisions, paging
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import FieldError, NotFound, ValidationFailed
from renshe.core.events import record_event
from renshe.registry import service as registry


def create_batch(session: Session, *, actor: Principal, maker: str, limit: int = 500) -> ProductionBatch:
    """Group pending applications of the caller's jurisdiction into a batch sent to a card maker.

    Each card receives its card number (卡号) here, the number the maker prints and encodes.
    """
    policy.require(actor, "card.batch")
    if len(maker.strip()) < 2:
        raise ValidationFailed([FieldError("maker", "renshe:card/maker", "请填写制卡机构名称")])
    stmt = select(Card).where(Card.status == "applied", Card.batch_id.is_(None))
    prefix = divisions.scope_prefix(actor.division_code)
    if prefix:
        stmt = stmt.where(Card.issuing_division.startswith(prefix))
    cards = list(session.scalars(stmt.order_by(Card.id).limit(max(1, min(limit, 5000))).with_for_update()))
    if not cards:
        raise common.card_error("nothing-to-batch", "本辖区没有待制卡的申请")
    batch = ProductionBatch(division_code=actor.division_code, maker=maker.strip(), status="sent",
                            card_count=len(cards), created_by=actor.subject)
    session.add(batch)
    session.flush()
    next_serial = int(session.scalar(select(func.max(Card.serial))) or 0) + 1
    cipher = crypto.cipher()
    for offset, card in enumerate(cards):
        serial = next_serial + offset
        number = rules.card_number(serial)
        card.serial = serial
        card.card_number_encrypted = cipher.encrypt(number, purpose=common.CARD_NUMBER_PURPOSE)
        card.card_number_index = cipher.blind_index(number, purpose=common.CARD_NUMBER_PURPOSE)
        card.card_number_masked = mask_card_number(number)
        card.batch_id = batch.id
        card.status = rules.TRANSITIONS["batch"].target
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise common.card_error("batch-race", "另一批次正在同时分配卡号，请稍后重试") from None
    audit.record_many(session, actor=actor, action="card.batch", entity_type="card",
                      items=[(c.public_id, {"status": c.status, "batch": batch.public_id,
                                            "card_number": c.card_number_masked}) for c in cards])
    audit.record(session, actor=actor, action="card.batch_create", entity_type="card_batch",
                 entity_id=batch.public_id, after={"maker": batch.maker, "cards": batch.card_count})
    for card in cards:
        lifecycle.card_event(session, "batch", card, lifecycle.person_of(session, card), batch=batch.public_id)
    return batch


def mask_card_number(number: str) -> str:
    """A12****78: series letter, two digits, and the last two characters."""
    return number[:3] + "****" + number[-2:]


def get_batch(session: Session, *, actor: Principal, public_id: str) -> ProductionBatch:
    policy.require(actor, "card.list")
    batch = session.scalar(select(ProductionBatch).where(ProductionBatch.public_id == public_id))
    if batch is None:
        raise NotFound("该制卡批次", code="renshe:card/batch-not-found")
    policy.require(actor, "card.batch_read", batch.division_code)
    return batch


def batch_cards(session: Session, batch: ProductionBatch) -> list[Card]:
    return list(session.scalars(select(Card).where(Card.batch_id == batch.id).order_by(Card.id)))


def list_batches(
    session: Session, *, actor: Principal, limit: int = 20, cursor: str | None = None,
) -> tuple[list[ProductionBatch], str | None]:
    policy.require(actor, "card.list")
    limit = max(1, min(limit, 200))
    stmt = select(ProductionBatch).where(ProductionBatch.id > paging.decode_cursor(cursor))
    prefix = divisions.scope_prefix(actor.division_code)
    if prefix:
        stmt = stmt.where(ProductionBatch.division_code.startswith(prefix))
    return common.page(list(session.scalars(stmt.order_by(ProductionBatch.id).limit(limit + 1))), limit)


def batch_out(batch: ProductionBatch) -> schemas.BatchOut:
    return schemas.BatchOut(public_id=batch.public_id, division_code=batch.division_code, maker=batch.maker,
                            status=batch.status, status_label=common.BATCH_STATUS_LABELS[batch.status],
                            card_count=batch.card_count, created_by=batch.created_by, created_at=batch.created_at,
                            produced_at=batch.produced_at)


def mark_batch_produced(
    session: Session, *, actor: Principal, batch: ProductionBatch, accounts: list[tuple[str, str]],
    now: datetime | None = None,
) -> ProductionBatch:
    """Record the card maker's return (回盘): the bank account of every card; whole batch or nothing."""
    policy.require(actor, "card.batch_produce")
    if batch.status != "sent":
        raise common.card_error("batch-not-sent", "该批次已标记为制卡完成")
    cards = {c.public_id: c for c in batch_cards(session, batch)}
    errors: list[FieldError] = []
    seen: dict[str, str] = {}
    for row, (card_id, account) in enumerate(accounts):
        compact = account.replace(" ", "")
        if card_id not in cards:
            errors.append(FieldError(f"cards[{row}].card_id", "renshe:card/not-in-batch", "该卡不在本批次中"))
        elif card_id in seen:
            errors.append(FieldError(f"cards[{row}].card_id", "renshe:card/duplicate-row", "同一张卡出现了两次"))
        problem = rules.bank_account_problem(compact)
        if problem:
            errors.append(FieldError(f"cards[{row}].bank_account", "renshe:card/bank-account", problem))
        seen[card_id] = compact
    missing = [cid for cid, c in cards.items() if cid not in seen and c.status == "in_production"]
    if missing:
        errors.append(FieldError("cards", "renshe:card/missing-rows",
                                 f"回盘缺少本批次的{len(missing)}张卡，须整批提交"))
    if errors:
        raise ValidationFailed(errors, detail="回盘数据有误，整批未处理，请修改后重新提交")
    cipher = crypto.cipher()
    for card_id, account in seen.items():
        card = cards[card_id]
        if card.status != "in_production":
            continue  # cancelled while in production: nothing to produce
        card.bank_account_encrypted = cipher.encrypt(account, purpose=common.BANK_PURPOSE)
        card.bank_account_index = cipher.blind_index(account, purpose=common.BANK_PURPOSE)
        card.bank_account_masked = crypto.mask_bank_account(account)
        lifecycle.move(session, actor=actor, card=card, action="produce", now=now)
    batch.status = "produced"
    batch.produced_at = common.now_or(now)
    session.flush()
    audit.record(session, actor=actor, action="card.batch_produced", entity_type="card_batch",
                 entity_id=batch.public_id, after={"cards": len(seen)})
    record_event(session, "card.batch_produced", {"batch": batch.public_id, "cards": len(seen)})
    return batch


def seed_demo(session: Session, *, count: int = 3000, seed_value: int = 2026) -> int:
    """Give the demo's sample person and up to `count` others an active card (bulk insert) and the
    sample person an e-SSC. Synthetic bank accounts carry real bank BINs and a valid Luhn digit."""
    rng = random.Random(seed_value)  # noqa: S311 - synthetic demo data, reproducible by seed
    persons = registry.active_person_divisions(session, limit=count + 1)
    if not persons:
        return 0
    cipher = crypto.cipher()
    start = int(session.scalar(select(func.max(Card.serial))) or 0) + 1
    at = utcnow()
    rows: list[dict[str, Any]] = []
    for offset, (person_id, division) in enumerate(persons):
        bank = rng.choice(list(common.DEMO_BINS))
        body = common.DEMO_BINS[bank] + f"{rng.randrange(10**12):012d}"
        account = body + luhn_digit(body)
        number = rules.card_number(start + offset)
        rows.append({
            "public_id": f"{rng.getrandbits(128):032x}", "person_id": person_id, "live_person_id": person_id,
            "status": "active", "channel": "window", "issuing_division": division, "bank_code": bank,
            "serial": start + offset,
            "card_number_encrypted": cipher.encrypt(number, purpose=common.CARD_NUMBER_PURPOSE),
            "card_number_index": cipher.blind_index(number, purpose=common.CARD_NUMBER_PURPOSE),
            "card_number_masked": mask_card_number(number),
            "bank_account_encrypted": cipher.encrypt(account, purpose=common.BANK_PURPOSE),
            "bank_account_index": cipher.blind_index(account, purpose=common.BANK_PURPOSE),
            "bank_account_masked": crypto.mask_bank_account(account), "applied_by": "demo", "applied_at": at,
            "produced_at": at, "issued_at": at, "activated_at": at, "version": 1, "updated_at": at,
        })
    session.execute(insert(Card), rows)
    first_card = session.scalar(select(Card).where(Card.person_id == persons[0][0]))
    if first_card is not None:
        session.add(ElectronicCard(card_id=first_card.id, person_id=first_card.person_id, status="active"))
    session.flush()
    audit.record(session, actor=common.system(), action="card.demo_seed", entity_type="card", entity_id="demo",
                 after={"cards": len(rows)})
    return len(rows)


def luhn_digit(body: str) -> str:
    return str(luhn.calc_check_digit(body))
