"""Labour contracts (电子劳动合同) and the signers' keys.

A contract row is one version: an amendment is a new row with the same `number`, the next `version` and
`previous_id` pointing at the version it replaces (which becomes `superseded` when the new one takes effect);
a renewal is a new number pointing at the contract it renews. Rows are never deleted: a terminated contract
stays queryable (the guideline keeps them at least two years after the end). Pay is integer fen.

The employer and the worker are snapshots (names, codes, masked ID number) of the parties when drafted, plus
the public ids the registry knows them by; `person_id` points at the person base like other domains do."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from renshe.core.db import Base, UTCDateTime, utcnow
from renshe.core.models import new_public_id


class LabourContract(Base):
    """One version of one labour contract, from draft to effective and on to its end."""

    __tablename__ = "labour_contracts"
    __table_args__ = (
        UniqueConstraint("number", "version"),
        Index("ix_labour_contracts_expiry", "state", "term_kind", "end_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    number: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(default=1)
    kind: Mapped[str] = mapped_column(String(16))  # new | amendment | renewal
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("labour_contracts.id"))
    previous_public_id: Mapped[str | None] = mapped_column(String(32))
    template: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), index=True)  # draft|worker_signed|effective|superseded|terminated
    employer_public_id: Mapped[str] = mapped_column(String(32), index=True)
    employer_name: Mapped[str] = mapped_column(String(200))
    employer_credit_code: Mapped[str] = mapped_column(String(18))
    employer_division: Mapped[str] = mapped_column(String(6), index=True)
    legal_representative: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    person_public_id: Mapped[str] = mapped_column(String(32), index=True)
    worker_name: Mapped[str] = mapped_column(String(64))
    id_number_masked: Mapped[str] = mapped_column(String(18))
    relation_public_id: Mapped[str] = mapped_column(String(32), index=True)
    term_kind: Mapped[str] = mapped_column(String(16))  # fixed | open_ended | task
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    monthly_wage_fen: Mapped[int] = mapped_column(BigInteger)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)  # every clause of the template, cleaned
    document_pdf: Mapped[bytes] = mapped_column(LargeBinary)  # what both sides read and sign
    document_sha256: Mapped[str] = mapped_column(String(64), index=True)
    signatures: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    final_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)  # document + signatures + platform signature
    final_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    terminated_on: Mapped[date | None] = mapped_column(Date)
    termination_reason: Mapped[str | None] = mapped_column(String(32))
    termination_note: Mapped[str | None] = mapped_column(String(500))
    drafted_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    effective_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignerKey(Base):
    """A signer's own keys, made by the platform at their first signature and used only when they sign in and
    confirm: Ed25519 and SM2, private halves encrypted at rest (`core.crypto`, as the certificate library keeps
    its keys). `owner` is `person:<public id>` or `employer:<public id>`."""

    __tablename__ = "contract_signer_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(48), unique=True)
    ed_kid: Mapped[str] = mapped_column(String(64), unique=True)
    ed_public: Mapped[str] = mapped_column(String(64))  # base64url raw
    ed_private_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    sm2_kid: Mapped[str] = mapped_column(String(64), unique=True)
    sm2_public: Mapped[str] = mapped_column(String(128))  # hex x || y
    sm2_private_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
