"""The ledger side of 转移接续: what the old place certifies, and the two postings that move an account.

Additive to the account: a transfer out is one entry of kind `transfer_out` (minus the whole balance,
closing the account), a transfer in is one entry of kind `transfer_in` (the balance received, with the
months and their bases in its detail). Each entry's `source` names the case, so it is posted once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from renshe.insurance import accounts
from renshe.insurance.models import AccountEntry

KINDS = {"transfer_out": "转出（关系转移）", "transfer_in": "转入（关系转移）"}


@dataclass(frozen=True)
class MonthBase:
    month: str  # YYYY-MM
    base_fen: int


@dataclass(frozen=True)
class ParticipationFacts:
    """What the 参保缴费凭证 states: every month contributed here (or brought here) with its base, and the balance."""

    months: list[MonthBase]
    balance_fen: int


def participation(session: Session, *, person_id: int) -> ParticipationFacts:
    """The months contributed (posted) here and those received by earlier transfers, and the balance."""
    record = accounts.personal_record(session, person_id=person_id)
    months = {line.month.strftime("%Y-%m"): line.base_fen for line in record.lines if line.posted}
    for entry in session.scalars(select(AccountEntry).where(AccountEntry.person_id == person_id,
                                                            AccountEntry.kind == "transfer_in")):
        for item in (entry.detail or {}).get("months", []):
            months.setdefault(str(item["month"]), int(item["base_fen"]))
    return ParticipationFacts([MonthBase(m, b) for m, b in sorted(months.items())],
                              accounts.balance_fen(session, person_id=person_id))


def _post(session: Session, entry: AccountEntry) -> bool:
    if session.scalar(select(AccountEntry.id).where(AccountEntry.source == entry.source)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError:  # posted by a concurrent delivery of the same message
        return False
    return True


def post_transfer_out(session: Session, *, person_id: int, case: str, on: date, detail: dict[str, Any]) -> int | None:
    """Close the account by a transfer out of its whole balance; None when this case was posted already."""
    existing = session.scalar(select(AccountEntry).where(AccountEntry.source == f"transfer-out:{case}"))
    if existing is not None:
        return None
    balance = accounts.balance_fen(session, person_id=person_id)
    entry = AccountEntry(person_id=person_id, kind="transfer_out", entry_date=on, year=on.year, amount_fen=-balance,
                         source=f"transfer-out:{case}", detail=detail)
    return balance if _post(session, entry) else None


def post_transfer_in(session: Session, *, person_id: int, case: str, on: date, amount_fen: int,
                     months: list[MonthBase], detail: dict[str, Any]) -> bool:
    """Post the balance received with its months and bases; False when this case was posted already."""
    entry = AccountEntry(person_id=person_id, kind="transfer_in", entry_date=on, year=on.year, amount_fen=amount_fen,
                         source=f"transfer-in:{case}",
                         detail={**detail, "months": [{"month": m.month, "base_fen": m.base_fen} for m in months]})
    return _post(session, entry)


def transfer_entries(session: Session, *, person_id: int) -> list[AccountEntry]:
    return list(session.scalars(select(AccountEntry).where(
        AccountEntry.person_id == person_id, AccountEntry.kind.in_(tuple(KINDS))).order_by(AccountEntry.id)))
