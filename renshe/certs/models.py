"""Tables of the electronic certificate library (电子证照库): issuers and their keys, certificates,
bitstring status lists, serial counters, verification links and the verification log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from renshe.core.db import Base, UTCDateTime, utcnow
from renshe.core.models import new_public_id


class CertIssuer(Base):
    """An issuing authority (发证机关), keyed by its unified social credit code."""

    __tablename__ = "cert_issuers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    division_code: Mapped[str] = mapped_column(String(6), index=True)
    seal_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CertKey(Base):
    """A signing key of an issuer: Ed25519 for JWS, SM2 for the electronic seal. Private keys are
    stored encrypted (FieldCipher); public keys are published. A retired key signs nothing new but
    still verifies what it signed while it was active."""

    __tablename__ = "cert_keys"
    __table_args__ = (Index("ix_cert_keys_issuer_alg_status", "issuer_id", "alg", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("cert_issuers.id"))
    alg: Mapped[str] = mapped_column(String(16))  # EdDSA | SM2-SM3
    public_key: Mapped[str] = mapped_column(String(200))  # Ed25519: base64url raw; SM2: hex x||y
    private_key_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | retired | revoked
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    not_after: Mapped[datetime] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # SM2 keys: the electronic seal (GB/T 38540 SESeal) made with this key, picture included.
    seal: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Certificate(Base):
    """One version of one electronic certificate, with its GB/T 36903 metadata and both signatures."""

    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("type_code", "issuer_code", "serial", "cert_version"),
        Index("ix_certificates_status_list", "status_list_no", "status_index", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    identifier: Mapped[str] = mapped_column(String(100), unique=True)
    type_key: Mapped[str] = mapped_column(String(64), index=True)
    type_code: Mapped[str] = mapped_column(String(21))
    name: Mapped[str] = mapped_column(String(100))  # certificate name (证照名称)
    number: Mapped[str] = mapped_column(String(64))  # certificate number printed on it (证照编号)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("cert_issuers.id"))
    issuer_code: Mapped[str] = mapped_column(String(18))
    issuer_name: Mapped[str] = mapped_column(String(200))
    serial: Mapped[str] = mapped_column(String(32))
    cert_version: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    holder_name: Mapped[str] = mapped_column(String(64))
    holder_code_type: Mapped[str] = mapped_column(String(3))  # 111 resident ID, 001 credit code
    holder_code_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    holder_code_masked: Mapped[str] = mapped_column(String(32))
    holder_division: Mapped[str] = mapped_column(String(6), index=True)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    issue_date: Mapped[date] = mapped_column(Date)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)  # None: long-term (长期)
    signer: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seal_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="valid", index=True)  # valid|suspended|revoked
    status_reason: Mapped[str | None] = mapped_column(String(200))
    superseded_by: Mapped[str | None] = mapped_column(String(100))  # identifier of the reissued version
    status_list_no: Mapped[int] = mapped_column(Integer)
    status_index: Mapped[int] = mapped_column(Integer)
    jws: Mapped[str] = mapped_column(Text)
    jws_kid: Mapped[str] = mapped_column(String(64))
    seal_signature: Mapped[dict[str, Any]] = mapped_column(JSON)  # SES_Signature, the seal by reference
    seal_kid: Mapped[str] = mapped_column(String(64))
    qr_payload: Mapped[str] = mapped_column(Text)
    issued_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    row_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": row_version}  # noqa: RUF012


class CertStatusList(Base):
    """One W3C Bitstring Status List (131,072 entries) for one purpose: revocation or suspension."""

    __tablename__ = "cert_status_lists"
    __table_args__ = (UniqueConstraint("purpose", "list_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    list_no: Mapped[int] = mapped_column(Integer)
    bits: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CertCounter(Base):
    """Serial numbers and status-list slots handed out, one row per scope, locked while counting."""

    __tablename__ = "cert_counters"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(80), unique=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class CertLink(Base):
    """A verification link the holder made to show one certificate to someone, until it expires."""

    __tablename__ = "cert_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CertVerification(Base):
    """One online verification of a certificate (the holder sees who verified it)."""

    __tablename__ = "cert_verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    link_id: Mapped[int | None] = mapped_column(ForeignKey("cert_links.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    channel: Mapped[str] = mapped_column(String(16))  # api | page | link | sharing
    verifier: Mapped[str] = mapped_column(String(200))
    client_addr: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(String(16))
