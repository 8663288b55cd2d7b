"""Rules of the social security card (社会保障卡) and the electronic SSC (电子社保卡). The only code that
writes the card tables.

Lifecycle moves follow `rules.TRANSITIONS`; each is checked, audited and leaves an outbox event
(`card.<transition>`). One live card per person is checked here and guaranteed by the unique
`card_cards.live_person_id`. e-SSC codes are Ed25519-signed, valid for `RENSHE_ESSC_CODE_SECONDS`,
and accepted once (the nonce's unique constraint refuses a concurrent replay too).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import segno
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from renshe.card import rules, schemas
from renshe.card.models import (
    BenefitPayment,
    Card,
    ElectronicCard,
    ProductionBatch,
    ScanRecord,
    ScenarioSetting,
    SigningKey,
    SignInRequest,
    Terminal,
    ThirdPartyApp,
    UsedCodeNonce,
)
from renshe.core import audit, crypto, divisions, paging, staff
from renshe.core.auth import Principal, deny
from renshe.core.db import utcnow
from renshe.core.errors import DomainError, FieldError, Forbidden, NotFound, Unauthorized, ValidationFailed
from renshe.core.events import record_event
from renshe.core.settings import get_settings
from renshe.registry import service as registry
from renshe.sharing import service as sharing

CARD_NUMBER_PURPOSE = "card.number"
BANK_PURPOSE = "card.bank_account"
KEY_PURPOSE = "card.signing_key"
TERMINAL_PURPOSE = "card.terminal_secret"
APP_PURPOSE = "card.app_secret"
PAIRWISE_PURPOSE = "card.pairwise_subject"
# The kernel's roles carry no card permissions of their own: window work (申领、发卡、挂失…) needs the
# clerk's "person.write", configuration (scenarios, terminals, apps) the administrator's "user.manage".
HANDLE = "person.write"
CONFIGURE = "user.manage"
CLOCK_SKEW = timedelta(seconds=5)

BANKS: dict[str, str] = {
    "ICBC": "中国工商银行", "ABC": "中国农业银行", "BOC": "中国银行", "CCB": "中国建设银行", "BOCOM": "交通银行",
    "PSBC": "中国邮政储蓄银行", "CMB": "招商银行", "CITIC": "中信银行", "BOBJ": "北京银行", "RCB": "农村商业银行",
}
# Issuer identification numbers (BIN) used by the demo card maker for synthetic bank accounts.
DEMO_BINS: dict[str, str] = {"ICBC": "621226", "ABC": "622848", "BOC": "621661", "CCB": "621700", "BOCOM": "622262",
                             "PSBC": "621799", "CMB": "621483", "CITIC": "621771", "BOBJ": "621468", "RCB": "621020"}
BATCH_STATUS_LABELS = {"sent": "已送制卡", "produced": "已制卡"}
ESSC_STATUS_LABELS = {"active": "有效", "revoked": "已失效"}
PROGRAMMES: dict[str, str] = {"pension": "基本养老金", "unemployment": "失业保险金", "subsidy": "补贴",
                              "injury": "工伤保险待遇", "other": "其他待遇"}
PAYMENT_STATUS_LABELS = {"credited": "已入账", "held": "暂缓发放（无可用社保卡金融账户）"}
APP_KINDS = {"bank": "银行", "city": "城市服务应用", "other": "其他"}
APP_SCOPES: dict[str, str] = {"identity": "确认本人身份（脱敏姓名和证件号码）", "name": "姓名",
                              "card_status": "社会保障卡状态"}
SIGN_IN_MINUTES = 5
SCAN_RESULT_LABELS = {"accepted": "核验通过", "refused": "已拒绝"}


class CardSettings(BaseSettings):
    """Settings of this capability only (`RENSHE_ESSC_*`)."""

    model_config = SettingsConfigDict(env_prefix="RENSHE_ESSC_", env_file=".env", extra="ignore")

    code_seconds: int = 60  # how long one dynamic QR code is valid (and how often the page refreshes it)


@lru_cache
def card_settings() -> CardSettings:
    return CardSettings()


# A clock that tests replace (never sleep): every time rule of this module reads it.
clock: Callable[[], datetime] = utcnow


def _now(now: datetime | None) -> datetime:
    return now if now is not None else clock()


# ---------------------------------------------------------------- helpers


def _card_error(code: str, detail: str, status: int = 409, title: str = "状态冲突") -> DomainError:
    return DomainError(f"renshe:card/{code}", detail, status, title)


def _encode_cursor(last_id: int) -> str:
    return paging.encode_cursor(last_id)


def _page(rows: list[Any], limit: int) -> tuple[list[Any], str | None]:
    next_cursor = _encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def _secret_hash(secret: str, purpose: str) -> bytes:
    return hashlib.sha256(crypto.cipher().blind_index(secret, purpose=purpose)).digest()


def _check_bank(bank_code: str, field: str = "bank_code") -> str:
    code = bank_code.strip().upper()
    if code not in BANKS:
        raise ValidationFailed([FieldError(field, "renshe:card/bank", "请选择金融功能合作银行")])
    return code


def person_of(session: Session, card: Card) -> registry.Person:
    person = registry.person_by_pk(session, card.person_id)
    if person is None:  # foreign key: cannot happen
        raise NotFound("持卡人")
    return person


def _may_handle(actor: Principal, person: registry.Person) -> bool:
    return actor.kind in {"staff", "system"} and actor.has(HANDLE) and actor.can_reach(person.residence_division)


def _require_handle(actor: Principal, person: registry.Person, action: str) -> None:
    if not actor.has(HANDLE):
        raise Forbidden("您的角色不能办理社保卡业务", code="renshe:auth/permission")
    if not _may_handle(actor, person):
        raise deny(actor, entity_type="person", entity_id=person.public_id, action=action,
                            detail="该人员不在您的辖区内，不能办理社保卡业务")


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
            card_number = cipher.decrypt(card.card_number_encrypted, purpose=CARD_NUMBER_PURPOSE)
        if card.bank_account_encrypted:
            bank_account = cipher.decrypt(card.bank_account_encrypted, purpose=BANK_PURPOSE)
        id_number = cipher.decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE)
    batch = session.get(ProductionBatch, card.batch_id) if card.batch_id else None
    replaced = session.get(Card, card.replaces_id) if card.replaces_id else None
    citizen = actor.kind == "citizen"
    return schemas.CardOut(
        public_id=card.public_id, person_public_id=person.public_id, holder_name=person.name,
        holder_id_number=id_number, holder_id_number_masked=not reveal, status=card.status,
        status_label=rules.STATUS_LABELS[card.status], channel=card.channel, issuing_division=card.issuing_division,
        bank_code=card.bank_code, bank_name=BANKS.get(card.bank_code, card.bank_code), card_number=card_number,
        card_number_masked=not reveal, bank_account=bank_account, bank_account_masked=not reveal,
        batch_id=batch.public_id if batch else None, replaces=replaced.public_id if replaced else None,
        applied_at=card.applied_at, produced_at=card.produced_at, issued_at=card.issued_at,
        activated_at=card.activated_at, closed_at=card.closed_at, closed_reason=card.closed_reason,
        allowed_actions=[t.name for t in rules.allowed_transitions(card.status)
                         if t.name not in {"batch", "produce"} and (not citizen or t.citizen_may)],
        version=card.version,
    )


def _audit_card(session: Session, actor: Principal, action: str, card: Card, *, before: str | None,
                extra: dict[str, Any] | None = None) -> None:
    after: dict[str, Any] = {"status": card.status, **(extra or {})}
    audit.record(session, actor=actor, action=action, entity_type="card", entity_id=card.public_id,
                 before={"status": before} if before else None, after=after)


def _event(session: Session, name: str, card: Card, person: registry.Person, **extra: Any) -> None:
    record_event(session, f"card.{name}", {"card": card.public_id, "person": person.public_id,
                                           "status": card.status, "division": card.issuing_division, **extra})


# ---------------------------------------------------------------- application (申领)


def apply_for_card(
    session: Session, *, actor: Principal, person: registry.Person, bank_code: str, replaces: Card | None = None,
) -> Card:
    """Apply for a card: online by the citizen for themself, at the window by a clerk in jurisdiction."""
    if actor.kind == "citizen":
        if actor.subject != person.public_id:
            raise Forbidden("只能为本人申领社会保障卡", code="renshe:card/not-own")
        channel = "online"
    else:
        _require_handle(actor, person, "card.apply")
        channel = "window"
    bank = _check_bank(bank_code)
    if person.status != "normal":
        raise _card_error("person-not-active", "该人员当前状态不能申领社会保障卡")
    existing = live_card(session, person)
    if existing is not None:
        raise _card_error("already-has-card",
                          f"该人员已有一张{rules.STATUS_LABELS[existing.status]}的社会保障卡，每人只能持有一张；"
                          "如需换卡请办理补换")
    card = Card(person_id=person.id, live_person_id=person.id, status="applied", channel=channel,
                issuing_division=person.residence_division, bank_code=bank, applied_by=actor.subject,
                replaces_id=replaces.id if replaces else None, applied_at=clock())
    try:
        with session.begin_nested():
            session.add(card)
            session.flush()
    except IntegrityError:
        # another request applied for the same person at the same moment; the constraint decided
        raise _card_error("already-has-card", "该人员已有一张在办或有效的社会保障卡，每人只能持有一张") from None
    _audit_card(session, actor, "card.apply", card, before=None,
                extra={"channel": channel, "bank_code": bank, "person": person.public_id,
                       "replaces": replaces.public_id if replaces else None})
    _event(session, "applied", card, person, channel=channel)
    return card


def move(
    session: Session, *, actor: Principal, card: Card, action: str, reason: str = "", now: datetime | None = None,
) -> Card:
    """Move a card along one transition of the lifecycle, if its state and the caller allow it."""
    person = person_of(session, card)
    transition = rules.TRANSITIONS.get(action)
    if transition is None:
        raise NotFound("该办理事项", code="renshe:card/unknown-action")
    if actor.kind == "citizen":
        if actor.subject != person.public_id:
            raise Forbidden("只能办理本人的社会保障卡", code="renshe:card/not-own")
        if not transition.citizen_may:
            raise Forbidden(f"“{transition.label}”须到服务窗口办理", code="renshe:card/window-only")
    else:
        _require_handle(actor, person, f"card.{action}")
    if rules.transition_for(action, card.status) is None:
        raise _card_error("transition-not-allowed",
                          f"该卡当前状态为“{rules.STATUS_LABELS[card.status]}”，不能办理“{transition.label}”")
    if action in {"cancel", "replace"} and len(reason.strip()) < 2 and actor.kind != "citizen":
        raise ValidationFailed([FieldError("reason", "renshe:card/reason", "请填写原因（至少2个字）")])
    before = card.status
    at = _now(now)
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
    _audit_card(session, actor, f"card.{action}", card, before=before,
                extra={"reason": reason.strip()} if reason.strip() else None)
    _event(session, action, card, person)
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
    person = person_of(session, card)
    if actor.kind == "citizen":
        if actor.subject != person.public_id:
            raise NotFound("该社会保障卡", code="renshe:card/not-found")
    elif not (actor.kind in {"staff", "system"} and actor.has("person.read")
              and actor.can_reach(person.residence_division)):
        raise deny(actor, entity_type="card", entity_id=card.public_id, action="card.read",
                            detail="该卡持卡人不在您的辖区内，无权查看")
    return card


def my_card(session: Session, *, actor: Principal) -> Card | None:
    """The citizen's live card, else their most recent one."""
    person = citizen_person(session, actor)
    return live_card(session, person) or next(iter(cards_of(session, person)), None)


def citizen_person(session: Session, actor: Principal) -> registry.Person:
    return registry.person_of(session, principal=actor)


def list_cards(
    session: Session, *, actor: Principal, status: str | None = None, limit: int = 20, cursor: str | None = None,
) -> tuple[list[Card], str | None]:
    """Cards issued in the caller's jurisdiction, optionally by status, paged."""
    actor.require("person.read")
    limit = max(1, min(limit, 200))
    stmt = select(Card).where(Card.id > paging.decode_cursor(cursor))
    prefix = divisions.scope_prefix(actor.division_code)
    if prefix:
        stmt = stmt.where(Card.issuing_division.startswith(prefix))
    if status:
        if status not in rules.STATUS_LABELS:
            raise ValidationFailed([FieldError("status", "renshe:card/status", "未知的卡状态")])
        stmt = stmt.where(Card.status == status)
    return _page(list(session.scalars(stmt.order_by(Card.id).limit(limit + 1))), limit)


# ---------------------------------------------------------------- production batches (制卡批次)


def create_batch(session: Session, *, actor: Principal, maker: str, limit: int = 500) -> ProductionBatch:
    """Group pending applications of the caller's jurisdiction into a batch sent to a card maker.

    Each card receives its card number (卡号) here, the number the maker prints and encodes.
    """
    actor.require(HANDLE)
    if actor.kind not in {"staff", "system"}:
        raise Forbidden("制卡批次由经办人员办理", code="renshe:card/staff-only")
    if len(maker.strip()) < 2:
        raise ValidationFailed([FieldError("maker", "renshe:card/maker", "请填写制卡机构名称")])
    stmt = select(Card).where(Card.status == "applied", Card.batch_id.is_(None))
    prefix = divisions.scope_prefix(actor.division_code)
    if prefix:
        stmt = stmt.where(Card.issuing_division.startswith(prefix))
    cards = list(session.scalars(stmt.order_by(Card.id).limit(max(1, min(limit, 5000))).with_for_update()))
    if not cards:
        raise _card_error("nothing-to-batch", "本辖区没有待制卡的申请")
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
        card.card_number_encrypted = cipher.encrypt(number, purpose=CARD_NUMBER_PURPOSE)
        card.card_number_index = cipher.blind_index(number, purpose=CARD_NUMBER_PURPOSE)
        card.card_number_masked = mask_card_number(number)
        card.batch_id = batch.id
        card.status = rules.TRANSITIONS["batch"].target
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise _card_error("batch-race", "另一批次正在同时分配卡号，请稍后重试") from None
    audit.record_many(session, actor=actor, action="card.batch", entity_type="card",
                      items=[(c.public_id, {"status": c.status, "batch": batch.public_id,
                                            "card_number": c.card_number_masked}) for c in cards])
    audit.record(session, actor=actor, action="card.batch_create", entity_type="card_batch",
                 entity_id=batch.public_id, after={"maker": batch.maker, "cards": batch.card_count})
    for card in cards:
        _event(session, "batch", card, person_of(session, card), batch=batch.public_id)
    return batch


def mask_card_number(number: str) -> str:
    """A12****78: series letter, two digits, and the last two characters."""
    return number[:3] + "****" + number[-2:]


def get_batch(session: Session, *, actor: Principal, public_id: str) -> ProductionBatch:
    actor.require("person.read")
    batch = session.scalar(select(ProductionBatch).where(ProductionBatch.public_id == public_id))
    if batch is None or not actor.can_reach(batch.division_code):
        raise NotFound("该制卡批次", code="renshe:card/batch-not-found")
    return batch


def batch_cards(session: Session, batch: ProductionBatch) -> list[Card]:
    return list(session.scalars(select(Card).where(Card.batch_id == batch.id).order_by(Card.id)))


def list_batches(
    session: Session, *, actor: Principal, limit: int = 20, cursor: str | None = None,
) -> tuple[list[ProductionBatch], str | None]:
    actor.require("person.read")
    limit = max(1, min(limit, 200))
    stmt = select(ProductionBatch).where(ProductionBatch.id > paging.decode_cursor(cursor))
    prefix = divisions.scope_prefix(actor.division_code)
    if prefix:
        stmt = stmt.where(ProductionBatch.division_code.startswith(prefix))
    return _page(list(session.scalars(stmt.order_by(ProductionBatch.id).limit(limit + 1))), limit)


def batch_out(batch: ProductionBatch) -> schemas.BatchOut:
    return schemas.BatchOut(public_id=batch.public_id, division_code=batch.division_code, maker=batch.maker,
                            status=batch.status, status_label=BATCH_STATUS_LABELS[batch.status],
                            card_count=batch.card_count, created_by=batch.created_by, created_at=batch.created_at,
                            produced_at=batch.produced_at)


def mark_batch_produced(
    session: Session, *, actor: Principal, batch: ProductionBatch, accounts: list[tuple[str, str]],
    now: datetime | None = None,
) -> ProductionBatch:
    """Record the card maker's return (回盘): the bank account of every card; whole batch or nothing."""
    actor.require(HANDLE)
    if batch.status != "sent":
        raise _card_error("batch-not-sent", "该批次已标记为制卡完成")
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
        card.bank_account_encrypted = cipher.encrypt(account, purpose=BANK_PURPOSE)
        card.bank_account_index = cipher.blind_index(account, purpose=BANK_PURPOSE)
        card.bank_account_masked = crypto.mask_bank_account(account)
        move(session, actor=actor, card=card, action="produce", now=now)
    batch.status = "produced"
    batch.produced_at = _now(now)
    session.flush()
    audit.record(session, actor=actor, action="card.batch_produced", entity_type="card_batch",
                 entity_id=batch.public_id, after={"cards": len(seen)})
    record_event(session, "card.batch_produced", {"batch": batch.public_id, "cards": len(seen)})
    return batch


# ---------------------------------------------------------------- signing keys


@dataclass(frozen=True)
class _Key:
    kid: int
    private: Ed25519PrivateKey
    public: Ed25519PublicKey
    public_raw: bytes


_keys: dict[int, _Key] = {}


def _load_key(row: SigningKey) -> _Key:
    cached = _keys.get(row.id)
    if cached is not None and cached.public_raw == row.public_key:
        return cached
    seed = base64.b64decode(crypto.cipher().decrypt(row.private_encrypted, purpose=KEY_PURPOSE))
    private = Ed25519PrivateKey.from_private_bytes(seed)
    key = _Key(row.id, private, private.public_key(), row.public_key)
    if key.public.public_bytes(Encoding.Raw, PublicFormat.Raw) != row.public_key:
        raise RuntimeError(f"card signing key {row.id} does not match its public half")
    _keys[row.id] = key
    return key


def signing_key(session: Session) -> _Key:
    """The newest active signing key, created (field-encrypted) on first use."""
    row = session.scalar(select(SigningKey).where(SigningKey.active.is_(True)).order_by(SigningKey.id.desc()).limit(1))
    if row is None:
        private = Ed25519PrivateKey.generate()
        seed = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        row = SigningKey(public_key=private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
                         private_encrypted=crypto.cipher().encrypt(base64.b64encode(seed).decode(),
                                                                   purpose=KEY_PURPOSE))
        session.add(row)
        session.flush()
        audit.record(session, actor=_system(), action="card.key_create", entity_type="card_key",
                     entity_id=str(row.id), after={"alg": "Ed25519"})
    return _load_key(row)


def _verifying_key(session: Session, kid: int) -> Ed25519PublicKey | None:
    cached = _keys.get(kid)
    if cached is not None:
        return cached.public
    raw = session.scalar(select(SigningKey.public_key).where(SigningKey.id == kid))
    return Ed25519PublicKey.from_public_bytes(raw) if raw else None


def rotate_key(session: Session, *, actor: Principal) -> int:
    """Start signing with a new key; codes and results signed with the old one still verify."""
    actor.require(CONFIGURE)
    session.execute(update(SigningKey).values(active=False))
    session.flush()
    key = signing_key(session)
    audit.record(session, actor=actor, action="card.key_rotate", entity_type="card_key", entity_id=str(key.kid))
    return key.kid


def public_keys(session: Session) -> schemas.KeySet:
    signing_key(session)
    rows = session.scalars(select(SigningKey).order_by(SigningKey.id))
    return schemas.KeySet(keys=[schemas.PublicKeyOut(kid=str(r.id), x=rules.b64url(r.public_key)) for r in rows])


def _system() -> Principal:
    from renshe.core.auth import SYSTEM

    return SYSTEM


# ---------------------------------------------------------------- the electronic SSC (电子社保卡)


def essc_of(session: Session, card: Card) -> ElectronicCard | None:
    return session.scalar(select(ElectronicCard).where(ElectronicCard.card_id == card.id))


def essc_out(essc: ElectronicCard, card: Card) -> schemas.EsscOut:
    return schemas.EsscOut(public_id=essc.public_id, card_id=card.public_id, status=essc.status,
                           status_label=ESSC_STATUS_LABELS[essc.status], issued_at=essc.issued_at)


def issue_essc(session: Session, *, actor: Principal) -> ElectronicCard:
    """Sign the e-SSC (电子社保卡签发) for the citizen's active physical card, one per card."""
    person = citizen_person(session, actor)
    card = live_card(session, person)
    if card is None or card.status != "active":
        raise _card_error("no-active-card", "须先持有已启用的实体社会保障卡，才能签发电子社保卡")
    if essc_of(session, card) is not None:
        raise _card_error("essc-exists", "该卡已签发电子社保卡")
    essc = ElectronicCard(card_id=card.id, person_id=person.id, status="active", issued_at=clock())
    try:
        with session.begin_nested():
            session.add(essc)
            session.flush()
    except IntegrityError:
        raise _card_error("essc-exists", "该卡已签发电子社保卡") from None
    audit.record(session, actor=actor, action="card.essc_issue", entity_type="card", entity_id=card.public_id,
                 after={"essc": essc.public_id})
    record_event(session, "card.essc_issued", {"card": card.public_id, "essc": essc.public_id,
                                               "person": person.public_id})
    return essc


def my_essc(session: Session, *, actor: Principal) -> tuple[ElectronicCard, Card]:
    person = citizen_person(session, actor)
    card = live_card(session, person)
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
        raise _card_error("card-lost" if card.status == "lost" else "card-inactive",
                          f"社会保障卡状态为“{rules.STATUS_LABELS[card.status]}”，暂不能出示电子社保卡二维码")
    return sign_code(session, essc=essc, now=now)


def sign_code(session: Session, *, essc: ElectronicCard, now: datetime | None = None) -> IssuedCode:
    key = signing_key(session)
    at = _now(now).replace(microsecond=0)
    body = rules.CodeBody(key.kid, bytes.fromhex(essc.public_id), at, os.urandom(8))
    code = rules.encode_code(body, key.private.sign(body.pack()))
    return IssuedCode(code, at, at + timedelta(seconds=card_settings().code_seconds))


def qr_svg_data_uri(code: str) -> str:
    qr = segno.make(code, error="m", micro=False)
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, dark="#000", light="#fff")
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


# ---------------------------------------------------------------- terminals and scans


def register_terminal(session: Session, *, actor: Principal, data: schemas.TerminalIn) -> tuple[Terminal, str]:
    """Register a scan terminal with its scenario and division; the secret is returned once."""
    actor.require(CONFIGURE)
    errors: list[FieldError] = []
    if data.scenario not in scenario_catalog():
        errors.append(FieldError("scenario", "renshe:card/scenario", "未知的用卡场景"))
    division = divisions.get(data.division_code)
    if division is None or not division.current or division.level == "province":
        errors.append(FieldError("division_code", "renshe:card/terminal-division",
                                 "请填写现行的市级或县级行政区划代码"))
    if errors:
        raise ValidationFailed(errors)
    if not actor.can_reach(data.division_code):
        raise deny(actor, entity_type="division", entity_id=data.division_code, action="card.terminal_add",
                            detail="不能在本辖区以外登记受理终端")
    secret = secrets.token_urlsafe(32)
    terminal = Terminal(key_id=f"t{secrets.token_hex(10)}", secret_hash=_secret_hash(secret, TERMINAL_PURPOSE),
                        name=data.name.strip(), scenario=data.scenario, division_code=data.division_code,
                        created_by=actor.subject)
    session.add(terminal)
    session.flush()
    audit.record(session, actor=actor, action="card.terminal_add", entity_type="card_terminal",
                 entity_id=terminal.public_id, after={"name": terminal.name, "scenario": terminal.scenario,
                                                      "division_code": terminal.division_code})
    return terminal, secret


def terminal_out(terminal: Terminal) -> schemas.TerminalOut:
    return schemas.TerminalOut(public_id=terminal.public_id, key_id=terminal.key_id, name=terminal.name,
                               scenario=terminal.scenario, scenario_label=scenario_label(terminal.scenario),
                               division_code=terminal.division_code, active=terminal.active,
                               created_at=terminal.created_at)


def list_terminals(session: Session, *, actor: Principal) -> list[Terminal]:
    actor.require(CONFIGURE)
    stmt = select(Terminal)
    prefix = divisions.scope_prefix(actor.division_code)
    if prefix:
        stmt = stmt.where(Terminal.division_code.startswith(prefix))
    return list(session.scalars(stmt.order_by(Terminal.id).limit(500)))


def last_scans(session: Session, terminals: list[Terminal]) -> dict[int, datetime]:
    """When each of these terminals last scanned a code (one grouped query on the indexed column)."""
    if not terminals:
        return {}
    stmt = (select(ScanRecord.terminal_id, func.max(ScanRecord.at))
            .where(ScanRecord.terminal_id.in_([t.id for t in terminals])).group_by(ScanRecord.terminal_id))
    return {terminal_id: at for terminal_id, at in session.execute(stmt) if at is not None}


def set_terminal_active(session: Session, *, actor: Principal, public_id: str, active: bool) -> Terminal:
    """Stop (or allow again) a terminal's scans: a disabled terminal fails authentication (audited)."""
    actor.require(CONFIGURE)
    terminal = session.scalar(select(Terminal).where(Terminal.public_id == public_id))
    if terminal is None or not actor.can_reach(terminal.division_code):
        raise NotFound("该受理终端", code="renshe:card/terminal-not-found")
    if terminal.active == active:
        raise _card_error("terminal-unchanged", "该受理终端已启用" if active else "该受理终端已停用")
    terminal.active = active
    session.flush()
    audit.record(session, actor=actor, action="card.terminal_enable" if active else "card.terminal_disable",
                 entity_type="card_terminal", entity_id=terminal.public_id,
                 before={"active": not active}, after={"active": active})
    return terminal


def authenticate_terminal(session: Session, *, key_id: str | None, secret: str | None) -> Terminal:
    terminal = session.scalar(select(Terminal).where(Terminal.key_id == key_id)) if key_id else None
    if (terminal is None or not terminal.active or not secret
            or not hmac.compare_digest(terminal.secret_hash, _secret_hash(secret, TERMINAL_PURPOSE))):
        error = Unauthorized("受理终端身份无效", code="renshe:card/terminal-auth")
        who = (key_id or "-")[:40]
        error.audit = {"actor": Principal(kind="terminal", subject=who, display_name=""),
                       "action": "card.scan", "entity_type": "card_terminal", "entity_id": who}
        raise error
    return terminal


REFUSALS: dict[str, tuple[str, str]] = {
    "code-forged": ("二维码无效：签名不正确或不是本平台签发的电子社保卡二维码", "二维码无效"),
    "code-expired": ("二维码已过期，请持卡人刷新后重新出示", "二维码已过期"),
    "code-replayed": ("该二维码已被使用过，每个二维码只能使用一次", "二维码已使用"),
    "card-lost": ("该社会保障卡已挂失，电子社保卡暂停使用", "社保卡已挂失"),
    "card-cancelled": ("该社会保障卡已注销或已补换，电子社保卡已失效", "社保卡已失效"),
    "card-inactive": ("该社会保障卡尚未启用，电子社保卡不能使用", "社保卡未启用"),
}


def refusal(reason: str) -> DomainError:
    detail, title = REFUSALS[reason]
    status = 410 if reason == "code-expired" else 409 if reason in {"code-replayed"} else 422
    if reason.startswith("card-"):
        status = 403
    return DomainError(f"renshe:card/{reason}", detail, status, title)


@dataclass
class ScanOutcome:
    record: ScanRecord
    answer: schemas.ScanOut | None
    error: DomainError | None


def scan(session: Session, *, terminal: Terminal, code: str, now: datetime | None = None) -> ScanOutcome:
    """Check a scanned code and log the scan either way. A refusal is returned, not raised, so the
    caller can commit the log before answering with the problem."""
    at = _now(now)
    record = ScanRecord(at=at, terminal_id=terminal.id, scenario=terminal.scenario,
                        division_code=terminal.division_code, result="refused")
    reason, body, row = _check_code(session, code, at)
    if row is not None:
        record.essc_id, record.person_id = row[0].id, row[2].id
    if reason is not None or body is None or row is None:
        return _refuse(session, record, reason or "card-cancelled")
    essc, card, person = row
    if essc.status != "active" or card.status in rules.TERMINAL_STATES:
        return _refuse(session, record, "card-cancelled")
    if card.status == "lost":
        return _refuse(session, record, "card-lost")
    if card.status != "active":
        return _refuse(session, record, "card-inactive")
    try:
        with session.begin_nested():
            session.add(UsedCodeNonce(nonce=body.nonce, essc_id=essc.id,
                                      expires_at=body.issued_at + timedelta(seconds=card_settings().code_seconds)))
            session.flush()
    except IntegrityError:
        return _refuse(session, record, "code-replayed")
    allowed, why = scenario_allowed(session, scenario=terminal.scenario, card_division=card.issuing_division,
                                    terminal_division=terminal.division_code)
    record.result, record.allowed, record.reason = "accepted", allowed, None if allowed else why
    session.add(record)
    session.flush()
    answer = schemas.ScanOut(
        scan_id=record.public_id, result="accepted",
        holder=schemas.HolderOut(name=crypto.mask_name(person.name), id_number=person.id_number_masked),
        card_status=card.status, card_status_label=rules.STATUS_LABELS[card.status], scenario=terminal.scenario,
        scenario_label=scenario_label(terminal.scenario), allowed=allowed, reason=None if allowed else why,
        terminal=terminal.name, division_code=terminal.division_code, at=at)
    return ScanOutcome(record, answer, None)


def _refuse(session: Session, record: ScanRecord, reason: str) -> ScanOutcome:
    record.reason = f"renshe:card/{reason}"
    session.add(record)
    session.flush()
    return ScanOutcome(record, None, refusal(reason))


def _check_code(
    session: Session, code: str, at: datetime,
) -> tuple[str | None, rules.CodeBody | None, tuple[ElectronicCard, Card, registry.Person] | None]:
    """Why a code is refused before its card is looked at (or None), and what it refers to."""
    try:
        body, signed, signature = rules.decode_code(code)
    except rules.MalformedCode:
        return "code-forged", None, None
    key = _verifying_key(session, body.key_id)
    if key is None:
        return "code-forged", None, None
    try:
        key.verify(signature, signed)
    except InvalidSignature:
        return "code-forged", None, None
    # From here the code is ours, so its card is known: a refusal still goes into the holder's history.
    row = _essc_card_person(session, body.reference)
    if body.issued_at > at + CLOCK_SKEW or at >= body.issued_at + timedelta(seconds=card_settings().code_seconds):
        return "code-expired", body, row
    return None, body, row


def _essc_card_person(session: Session, reference: bytes) -> tuple[ElectronicCard, Card, registry.Person] | None:
    stmt = (select(ElectronicCard, Card).join(Card, Card.id == ElectronicCard.card_id)
            .where(ElectronicCard.public_id == reference.hex()))
    found = session.execute(stmt).first()
    if found is None:
        return None
    person = registry.person_by_pk(session, found[0].person_id)
    return (found[0], found[1], person) if person is not None else None


def purge_used_nonces(session: Session, *, now: datetime | None = None) -> int:
    """Forget nonces of codes that have expired anyway (a replay of them is refused as expired)."""
    result = session.execute(delete(UsedCodeNonce).where(UsedCodeNonce.expires_at < _now(now)))
    return int(getattr(result, "rowcount", 0) or 0)


def scan_history(session: Session, *, actor: Principal, limit: int = 50) -> list[schemas.ScanHistoryItem]:
    """Where and when the citizen's e-SSC was scanned, refused scans included (用码记录)."""
    person = citizen_person(session, actor)
    stmt = (select(ScanRecord, Terminal.name).join(Terminal, Terminal.id == ScanRecord.terminal_id)
            .where(ScanRecord.person_id == person.id).order_by(ScanRecord.at.desc(), ScanRecord.id.desc())
            .limit(max(1, min(limit, 200))))
    return [schemas.ScanHistoryItem(
        at=r.at, terminal=name, scenario=r.scenario, scenario_label=scenario_label(r.scenario),
        division_code=r.division_code, division_name=divisions.full_name(r.division_code) or r.division_code,
        result=r.result, result_label=SCAN_RESULT_LABELS[r.result],
        reason=REFUSALS.get((r.reason or "").removeprefix("renshe:card/"), (r.reason, ""))[1] or None
        if r.result == "refused" else r.reason,
        allowed=r.allowed) for r, name in session.execute(stmt)]


# ---------------------------------------------------------------- scenarios (用卡场景)


@lru_cache
def scenario_catalog() -> dict[str, dict[str, Any]]:
    text = resources.files("renshe.card").joinpath("data/scenarios.json").read_text(encoding="utf-8")
    return {item["code"]: item for item in json.loads(text)}


def scenario_label(code: str) -> str:
    item = scenario_catalog().get(code)
    return str(item["name"]) if item else code


def scenarios(session: Session) -> list[schemas.ScenarioOut]:
    settings = {s.code: s.enabled for s in session.scalars(select(ScenarioSetting))}
    return [schemas.ScenarioOut(code=code, name=item["name"], summary=item["summary"], scope=item["scope"],
                                same_city_treatment=item["same_city_treatment"],
                                enabled=settings.get(code, item["default_enabled"]))
            for code, item in scenario_catalog().items()]


def set_scenario(session: Session, *, actor: Principal, code: str, enabled: bool) -> schemas.ScenarioOut:
    """A province enables or disables one scenario (audited, evented)."""
    actor.require(CONFIGURE)
    if divisions.level_of(actor.division_code) not in {"province", "ministry"}:
        raise Forbidden("用卡场景由省级管理员开通或关闭", code="renshe:card/province-only")
    if code not in scenario_catalog():
        raise NotFound("该用卡场景", code="renshe:card/scenario-not-found")
    setting = session.scalar(select(ScenarioSetting).where(ScenarioSetting.code == code))
    before = setting.enabled if setting else bool(scenario_catalog()[code]["default_enabled"])
    if setting is None:
        setting = ScenarioSetting(code=code, enabled=enabled, updated_by=actor.subject)
        session.add(setting)
    else:
        setting.enabled, setting.updated_by, setting.updated_at = enabled, actor.subject, utcnow()
    session.flush()
    audit.record(session, actor=actor, action="card.scenario_set", entity_type="card_scenario", entity_id=code,
                 before={"enabled": before}, after={"enabled": enabled})
    record_event(session, "card.scenario_changed", {"scenario": code, "enabled": enabled,
                                                    "province": get_settings().province_code})
    return next(s for s in scenarios(session) if s.code == code)


def scenario_allowed(
    session: Session, *, scenario: str, card_division: str, terminal_division: str,
) -> tuple[bool, str]:
    """Whether a card issued in `card_division` may be used for `scenario` at a terminal there."""
    item = scenario_catalog().get(scenario)
    if item is None:
        return False, "未知的用卡场景"
    setting = session.scalar(select(ScenarioSetting.enabled).where(ScenarioSetting.code == scenario))
    if not (item["default_enabled"] if setting is None else setting):
        return False, f"本省未开通“{item['name']}”场景"
    if item["scope"] == "province" and card_division[:2] != terminal_division[:2]:
        return False, f"“{item['name']}”只受理本省签发的社会保障卡"
    return True, "同城待遇" if card_division[:4] != terminal_division[:4] else "本地"


# ---------------------------------------------------------------- third-party apps and e-SSC sign-in


def _check_callback(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost"}:
        return None
    return "回调地址须为 https 地址"


def register_app(session: Session, *, actor: Principal, data: schemas.AppIn) -> tuple[ThirdPartyApp, str]:
    """Register a bank or city app with its scopes and callback URL; the secret is returned once."""
    actor.require(CONFIGURE)
    errors: list[FieldError] = []
    if data.kind not in APP_KINDS:
        errors.append(FieldError("kind", "renshe:card/app-kind", "应用类型应为 bank、city 或 other"))
    unknown = [s for s in data.scopes if s not in APP_SCOPES]
    if unknown or not data.scopes:
        errors.append(FieldError("scopes", "renshe:card/scope", f"未知的授权范围：{', '.join(unknown) or '（空）'}"))
    problem = _check_callback(data.callback_url)
    if problem:
        errors.append(FieldError("callback_url", "renshe:card/callback", problem))
    if errors:
        raise ValidationFailed(errors)
    secret = secrets.token_urlsafe(32)
    app = ThirdPartyApp(app_id=f"a{secrets.token_hex(10)}", secret_hash=_secret_hash(secret, APP_PURPOSE),
                        name=data.name.strip(), kind=data.kind, scopes=list(dict.fromkeys(data.scopes)),
                        callback_url=data.callback_url, created_by=actor.subject)
    session.add(app)
    session.flush()
    audit.record(session, actor=actor, action="card.app_add", entity_type="card_app", entity_id=app.app_id,
                 after={"name": app.name, "kind": app.kind, "scopes": app.scopes, "callback_url": app.callback_url})
    return app, secret


def app_out(app: ThirdPartyApp) -> schemas.AppOut:
    return schemas.AppOut(app_id=app.app_id, name=app.name, kind=app.kind, scopes=app.scopes,
                          callback_url=app.callback_url, active=app.active, created_at=app.created_at)


def list_apps(session: Session, *, actor: Principal) -> list[ThirdPartyApp]:
    actor.require(CONFIGURE)
    return list(session.scalars(select(ThirdPartyApp).order_by(ThirdPartyApp.id)))


def authenticate_app(session: Session, *, app_id: str | None, secret: str | None) -> ThirdPartyApp:
    app = session.scalar(select(ThirdPartyApp).where(ThirdPartyApp.app_id == app_id)) if app_id else None
    if (app is None or not app.active or not secret
            or not hmac.compare_digest(app.secret_hash, _secret_hash(secret, APP_PURPOSE))):
        error = Unauthorized("应用身份无效", code="renshe:card/app-auth")
        who = (app_id or "-")[:40]
        error.audit = {"actor": Principal(kind="app", subject=who, display_name=""), "action": "card.sign_in",
                       "entity_type": "card_app", "entity_id": who}
        raise error
    return app


def start_sign_in(session: Session, *, app: ThirdPartyApp, scopes: list[str], state: str) -> SignInRequest:
    """An app asks to sign someone in with the e-SSC; the person confirms on their e-SSC page."""
    extra = [s for s in scopes if s not in app.scopes]
    if extra or not scopes:
        raise ValidationFailed([FieldError("scopes", "renshe:card/scope",
                                           f"超出应用登记的授权范围：{', '.join(extra) or '（空）'}")])
    request = SignInRequest(app_id=app.id, scopes=list(dict.fromkeys(scopes)), state=state, status="pending",
                            created_at=clock(), expires_at=clock() + timedelta(minutes=SIGN_IN_MINUTES))
    session.add(request)
    session.flush()
    return request


def sign_in_out(request: SignInRequest) -> schemas.SignInRequestOut:
    return schemas.SignInRequestOut(request_id=request.public_id, status=request.status, scopes=request.scopes,
                                    confirm_url=f"/citizen/card/sign-in/{request.public_id}",
                                    expires_at=request.expires_at, result=request.result_token)


def app_sign_in_request(session: Session, *, app: ThirdPartyApp, request_id: str) -> SignInRequest:
    request = session.scalar(select(SignInRequest).where(SignInRequest.public_id == request_id,
                                                         SignInRequest.app_id == app.id))
    if request is None:
        raise NotFound("该登录请求", code="renshe:card/sign-in-not-found")
    return request


def pending_sign_in(session: Session, *, actor: Principal, request_id: str) -> tuple[SignInRequest, ThirdPartyApp]:
    citizen_person(session, actor)
    request = session.scalar(select(SignInRequest).where(SignInRequest.public_id == request_id))
    if request is None:
        raise NotFound("该登录请求", code="renshe:card/sign-in-not-found")
    app = session.get(ThirdPartyApp, request.app_id)
    if app is None:
        raise NotFound("该应用")
    return request, app


def decide_sign_in(
    session: Session, *, actor: Principal, request_id: str, approve: bool, now: datetime | None = None,
) -> SignInRequest:
    """The citizen confirms (or declines) an app's sign-in; a confirmation yields the signed result."""
    request, app = pending_sign_in(session, actor=actor, request_id=request_id)
    at = _now(now)
    if request.status != "pending":
        raise _card_error("sign-in-decided", "该登录请求已处理")
    if at >= request.expires_at:
        raise _card_error("sign-in-expired", "该登录请求已过期，请回到应用重新发起", status=410, title="已过期")
    person = citizen_person(session, actor)
    request.decided_at = at
    request.person_id = person.id
    if not approve:
        request.status = "declined"
    else:
        essc, card = my_essc(session, actor=actor)
        if card.status != "active":
            raise _card_error("card-lost" if card.status == "lost" else "card-inactive",
                              "社会保障卡不在正常状态，不能用电子社保卡登录")
        request.status = "confirmed"
        request.result_token = _sign_result(session, app=app, request=request, person=person, card=card,
                                            essc=essc, at=at)
    session.flush()
    audit.record(session, actor=actor, action=f"card.sign_in_{request.status}", entity_type="card_app",
                 entity_id=app.app_id, after={"request": request.public_id, "scopes": request.scopes})
    record_event(session, f"card.sign_in_{request.status}", {
        "request": request.public_id, "app": app.app_id, "callback_url": app.callback_url})
    return request


def pairwise_subject(app: ThirdPartyApp, person: registry.Person) -> str:
    """A stable per-app subject: apps cannot correlate users with each other or learn the ID number."""
    return crypto.cipher().blind_index(f"{app.app_id}:{person.public_id}", purpose=PAIRWISE_PURPOSE).hex()


def _sign_result(
    session: Session, *, app: ThirdPartyApp, request: SignInRequest, person: registry.Person, card: Card,
    essc: ElectronicCard, at: datetime,
) -> str:
    key = signing_key(session)
    payload: dict[str, object] = {
        "iss": f"renshe:{get_settings().province_code}", "aud": app.app_id, "sub": pairwise_subject(app, person),
        "request_id": request.public_id, "state": request.state, "scope": request.scopes,
        "iat": int(at.timestamp()), "exp": int(at.timestamp()) + SIGN_IN_MINUTES * 60,
    }
    if "identity" in request.scopes:
        payload["holder"] = {"name": crypto.mask_name(person.name), "id_number": person.id_number_masked}
    if "name" in request.scopes:
        payload["name"] = person.name
    if "card_status" in request.scopes:
        payload["card_status"] = card.status
        payload["essc_status"] = essc.status
    signing_input = rules.jws_signing_input({"alg": "EdDSA", "kid": str(key.kid), "typ": "JWT"}, payload)
    return f"{signing_input.decode()}.{rules.b64url(key.private.sign(signing_input))}"


# ---------------------------------------------------------------- payments into the card (待遇进卡)


def payment_out(payment: BenefitPayment) -> schemas.PaymentOut:
    return schemas.PaymentOut(
        public_id=payment.public_id, reference=payment.reference, programme=payment.programme,
        programme_label=PROGRAMMES[payment.programme], amount_fen=payment.amount_fen,
        amount=rules.money(payment.amount_fen), period=payment.period, description=payment.description,
        status=payment.status, status_label=PAYMENT_STATUS_LABELS[payment.status],
        bank_account=payment.bank_account_masked, created_at=payment.created_at)


def credit_benefit(
    session: Session, *, actor: Principal, person: registry.Person, programme: str, amount_fen: int, period: str,
    reference: str, description: str = "",
) -> tuple[BenefitPayment, bool]:
    """Pay a benefit into the person's card account (待遇进卡); idempotent by the payer's reference.

    Returns the payment and whether it was created now. The same reference with other figures is a
    conflict; a person without a usable card account gets the payment recorded as held (暂缓).
    """
    if actor.kind not in {"staff", "system"}:
        raise Forbidden("待遇进卡由经办机构发起", code="renshe:card/staff-only")
    _require_handle(actor, person, "card.payment")
    errors: list[FieldError] = []
    if programme not in PROGRAMMES:
        errors.append(FieldError("programme", "renshe:card/programme", "未知的待遇项目"))
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        errors.append(FieldError("amount_fen", "renshe:card/amount", "金额须为正整数（分）"))
    if len(period) != 7 or period[4] != "-" or not (period[:4].isdigit() and period[5:].isdigit()) \
            or not 1 <= int(period[5:]) <= 12:
        errors.append(FieldError("period", "renshe:card/period", "所属期格式应为 YYYY-MM"))
    if not 4 <= len(reference.strip()) <= 64:
        errors.append(FieldError("reference", "renshe:card/reference", "请填写付款方业务流水号"))
    if errors:
        raise ValidationFailed(errors)
    reference = reference.strip()
    existing = session.scalar(select(BenefitPayment).where(BenefitPayment.reference == reference))
    if existing is not None:
        return _same_payment(existing, person, programme, amount_fen, period), False
    card = live_card(session, person)
    usable = card is not None and card.status in {"active", "lost", "issued"} and card.bank_account_encrypted
    payment = BenefitPayment(
        reference=reference, person_id=person.id, card_id=card.id if usable and card else None, programme=programme,
        amount_fen=amount_fen, period=period, description=description.strip() or PROGRAMMES[programme],
        status="credited" if usable else "held", bank_account_masked=card.bank_account_masked if usable and card
        else None, posted_by=actor.subject, created_at=clock())
    try:
        with session.begin_nested():
            session.add(payment)
            session.flush()
    except IntegrityError:
        existing = session.scalar(select(BenefitPayment).where(BenefitPayment.reference == reference))
        if existing is None:
            raise
        return _same_payment(existing, person, programme, amount_fen, period), False
    audit.record(session, actor=actor, action=f"card.payment_{payment.status}", entity_type="person",
                 entity_id=person.public_id, after={
                     "reference": reference, "programme": programme, "amount_fen": amount_fen, "period": period,
                     "bank_account": payment.bank_account_masked})
    record_event(session, f"card.payment_{payment.status}", {
        "payment": payment.public_id, "reference": reference, "person": person.public_id, "programme": programme,
        "amount_fen": amount_fen, "period": period})
    return payment, True


def _same_payment(existing: BenefitPayment, person: registry.Person, programme: str, amount_fen: int,
                  period: str) -> BenefitPayment:
    if (existing.person_id, existing.programme, existing.amount_fen, existing.period) != (
            person.id, programme, amount_fen, period):
        raise _card_error("payment-reference-conflict", "该业务流水号已用于另一笔不同的待遇发放")
    return existing


def payments_of(
    session: Session, *, person: registry.Person, limit: int = 50, cursor: str | None = None,
) -> tuple[list[BenefitPayment], str | None]:
    limit = max(1, min(limit, 200))
    stmt = (select(BenefitPayment).where(BenefitPayment.person_id == person.id,
                                         BenefitPayment.id > paging.decode_cursor(cursor))
            .order_by(BenefitPayment.id).limit(limit + 1))
    return _page(list(session.scalars(stmt)), limit)


# ---------------------------------------------------------------- data sharing: the card-status resource


def card_status_answer(session: Session, person: registry.Person) -> dict[str, Any]:
    """Answer of the `ssc-status` catalog resource: the card's and the e-SSC's status, nothing else."""
    card = live_card(session, person) or next(iter(cards_of(session, person)), None)
    if card is None:
        return {"card_status": "none", "card_status_label": "未申领", "essc_status": "none"}
    essc = essc_of(session, card)
    return {"card_status": card.status, "card_status_label": rules.STATUS_LABELS[card.status],
            "essc_status": essc.status if essc else "none"}


sharing.register_answer("ssc-status", card_status_answer)


# ---------------------------------------------------------------- demo data


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
        bank = rng.choice(list(DEMO_BINS))
        body = DEMO_BINS[bank] + f"{rng.randrange(10**12):012d}"
        account = body + luhn_digit(body)
        number = rules.card_number(start + offset)
        rows.append({
            "public_id": f"{rng.getrandbits(128):032x}", "person_id": person_id, "live_person_id": person_id,
            "status": "active", "channel": "window", "issuing_division": division, "bank_code": bank,
            "serial": start + offset, "card_number_encrypted": cipher.encrypt(number, purpose=CARD_NUMBER_PURPOSE),
            "card_number_index": cipher.blind_index(number, purpose=CARD_NUMBER_PURPOSE),
            "card_number_masked": mask_card_number(number),
            "bank_account_encrypted": cipher.encrypt(account, purpose=BANK_PURPOSE),
            "bank_account_index": cipher.blind_index(account, purpose=BANK_PURPOSE),
            "bank_account_masked": crypto.mask_bank_account(account), "applied_by": "demo", "applied_at": at,
            "produced_at": at, "issued_at": at, "activated_at": at, "version": 1, "updated_at": at,
        })
    session.execute(insert(Card), rows)
    first_card = session.scalar(select(Card).where(Card.person_id == persons[0][0]))
    if first_card is not None:
        session.add(ElectronicCard(card_id=first_card.id, person_id=first_card.person_id, status="active"))
    session.flush()
    audit.record(session, actor=_system(), action="card.demo_seed", entity_type="card", entity_id="demo",
                 after={"cards": len(rows)})
    return len(rows)


def luhn_digit(body: str) -> str:
    from stdnum import luhn

    return luhn.calc_check_digit(body)
