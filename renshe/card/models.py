"""Tables of the card capability: cards and production batches, the e-SSC and its signing keys, scan
terminals and scans, scenarios, third-party apps and their sign-in requests, payments into the card."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from renshe.core.db import Base, UTCDateTime, utcnow
from renshe.core.models import new_public_id


class Card(Base):
    """One physical social security card (社会保障卡) of a person, from application to its end.

    `live_person_id` carries the person's id while the card is applied for, in production, issued,
    active or lost, and is cleared when it is replaced or cancelled: its unique constraint is the
    database's guarantee of one live card per person.
    """

    __tablename__ = "card_cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    live_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # online | window
    issuing_division: Mapped[str] = mapped_column(String(6), index=True)
    bank_code: Mapped[str] = mapped_column(String(16))
    serial: Mapped[int | None] = mapped_column(Integer, unique=True)  # assigned when batched
    card_number_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    card_number_index: Mapped[bytes | None] = mapped_column(LargeBinary(20), unique=True)
    card_number_masked: Mapped[str | None] = mapped_column(String(16))
    bank_account_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    bank_account_index: Mapped[bytes | None] = mapped_column(LargeBinary(20), index=True)
    bank_account_masked: Mapped[str | None] = mapped_column(String(24))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("card_batches.id"), index=True)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("card_cards.id"))
    applied_by: Mapped[str] = mapped_column(String(64))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    produced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lost_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_reason: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ProductionBatch(Base):
    """A production batch (制卡批次): pending applications sent together to a card maker."""

    __tablename__ = "card_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    division_code: Mapped[str] = mapped_column(String(6), index=True)
    maker: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))  # sent | produced
    card_count: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    produced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SigningKey(Base):
    """An Ed25519 key that signs e-SSC codes and sign-in results; the private half is field-encrypted."""

    __tablename__ = "card_signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)  # the key id carried in every code
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    private_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ElectronicCard(Base):
    """The electronic social security card (电子社保卡), issued 1:1 to an active physical card."""

    __tablename__ = "card_esscs"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)  # the code's reference
    card_id: Mapped[int] = mapped_column(ForeignKey("card_cards.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # active | revoked
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UsedCodeNonce(Base):
    """The nonce of a code that was accepted once; kept until the code would have expired anyway."""

    __tablename__ = "card_code_nonces"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[bytes] = mapped_column(LargeBinary(8), unique=True)
    essc_id: Mapped[int] = mapped_column(ForeignKey("card_esscs.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ScenarioSetting(Base):
    """A province's choice to enable or disable one use scenario of the catalog (用卡场景)."""

    __tablename__ = "card_scenario_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Terminal(Base):
    """A scan terminal (受理终端: a window, a hospital, a bus gate) with its scenario and division."""

    __tablename__ = "card_terminals"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    key_id: Mapped[str] = mapped_column(String(40), unique=True)
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary(32))  # keyed SHA-256 of a 256-bit random secret
    name: Mapped[str] = mapped_column(String(100))
    scenario: Mapped[str] = mapped_column(String(32))
    division_code: Mapped[str] = mapped_column(String(6), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScanRecord(Base):
    """One scan of an e-SSC code by a terminal, accepted or refused, with the reason (用码记录)."""

    __tablename__ = "card_scans"
    __table_args__ = (Index("ix_card_scans_person_at", "person_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("card_terminals.id"), index=True)
    essc_id: Mapped[int | None] = mapped_column(ForeignKey("card_esscs.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    scenario: Mapped[str] = mapped_column(String(32))
    division_code: Mapped[str] = mapped_column(String(6))
    result: Mapped[str] = mapped_column(String(16))  # accepted | refused
    reason: Mapped[str | None] = mapped_column(String(64))  # the problem code of a refusal
    allowed: Mapped[bool | None] = mapped_column(Boolean)  # scenario allowed for this card here


class ThirdPartyApp(Base):
    """A bank or city app (第三方应用) that signs people in with the e-SSC."""

    __tablename__ = "card_apps"

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[str] = mapped_column(String(40), unique=True)
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # bank | city | other
    scopes: Mapped[list[str]] = mapped_column(JSON)
    callback_url: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignInRequest(Base):
    """An app's request to sign a person in with the e-SSC; the person confirms, the platform signs."""

    __tablename__ = "card_sign_in_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    app_id: Mapped[int] = mapped_column(ForeignKey("card_apps.id"), index=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))  # pending | confirmed | declined
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result_token: Mapped[str | None] = mapped_column(Text)
    delivery: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class BenefitPayment(Base):
    """A benefit paid into the card's bank account (待遇进卡); one row per payer reference."""

    __tablename__ = "card_payments"
    __table_args__ = (Index("ix_card_payments_person_created", "person_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("card_cards.id"))
    programme: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    description: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # credited | held
    bank_account_masked: Mapped[str | None] = mapped_column(String(24))
    posted_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
