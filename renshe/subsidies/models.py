"""The subsidy applications (补贴申领) and what each decision was made on.

`grant_key` is `<policy>:<person id>` while an application is open or was paid, null once refused: its unique
constraint is the database's guarantee that a policy is claimed and paid once per person, however many times
the same application is submitted. Amounts are integer fen."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from renshe.core.db import Base, UTCDateTime, utcnow
from renshe.core.models import new_public_id


class SubsidyApplication(Base):
    """One person's application for one policy, from submission to payment or refusal."""

    __tablename__ = "subsidy_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    policy: Mapped[str] = mapped_column(String(32), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    person_public_id: Mapped[str] = mapped_column(String(32), index=True)
    person_name: Mapped[str] = mapped_column(String(64))
    id_number_masked: Mapped[str] = mapped_column(String(18))
    division_code: Mapped[str] = mapped_column(String(6), index=True)
    grant_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(16))  # submitted | paid | refused
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    checks: Mapped[Any] = mapped_column(JSON)  # each rule with its result, at submission and at the decision
    reason: Mapped[str | None] = mapped_column(String(500))  # why refused
    card_reference: Mapped[str | None] = mapped_column(String(64))
    card_status: Mapped[str | None] = mapped_column(String(16))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
