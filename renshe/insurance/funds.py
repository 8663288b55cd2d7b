"""The enterprise pension fund's figures of a period from the ledger (sums in SQL; the few transfer entries
of a period read with their detail), for fund monitoring.

Income is what the tax bureau collected for the pension (receipts paid in the period) and what transfers
brought in (转移收入: the accounts and the 12 % pooled part); expenditure is what left the fund through the
ledger in the period (转移支出, the same two parts; benefit payments are not in this ledger); the balance is
all income less all expenditure to the end of the period; insured persons hold an open pension relation at its end, and
retirees are persons whose pension relation ended for retirement (end reason 23) with none open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from renshe.insurance.models import AccountEntry, InsuranceRelation, Receipt

PENSION = "110"
RETIRED = "23"


@dataclass(frozen=True)
class FundFigures:
    income_fen: int
    expenditure_fen: int
    balance_fen: int
    insured: int
    retired: int


def _open_at(day: date) -> ColumnElement[bool]:
    return and_(InsuranceRelation.insurance_type == PENSION, InsuranceRelation.start_date <= day,
                or_(InsuranceRelation.end_date.is_(None), InsuranceRelation.end_date > day))


def _transfers(session: Session, kind: str, since: date | None, end: date) -> int:
    """What moved with transfers of KIND (转移收入 / 转移支出): the accounts and the pooled part in their detail."""
    stmt = select(AccountEntry.amount_fen, AccountEntry.detail).where(AccountEntry.kind == kind,
                                                                      AccountEntry.entry_date <= end)
    if since is not None:
        stmt = stmt.where(AccountEntry.entry_date >= since)
    return sum(abs(int(amount)) + int((detail or {}).get("pooled_fen", 0)) for amount, detail in session.execute(stmt))


def figures(session: Session, *, start: date, end: date) -> FundFigures:
    """The figures of [START, END] (both days included)."""
    def income(since: date | None) -> int:
        stmt = select(func.coalesce(func.sum(Receipt.amount_fen), 0)).where(
            Receipt.insurance_type == PENSION, Receipt.paid_on <= end)
        if since is not None:
            stmt = stmt.where(Receipt.paid_on >= since)
        return int(session.scalar(stmt) or 0) + _transfers(session, "transfer_in", since, end)

    def spent(since: date | None) -> int:
        return _transfers(session, "transfer_out", since, end)

    open_now = _open_at(end)
    insured = int(session.scalar(select(func.count(func.distinct(InsuranceRelation.person_id))).where(open_now))
                  or 0)
    still_open = select(InsuranceRelation.person_id).where(open_now)
    retired = int(session.scalar(select(func.count(func.distinct(InsuranceRelation.person_id))).where(
        InsuranceRelation.insurance_type == PENSION, InsuranceRelation.end_reason == RETIRED,
        InsuranceRelation.end_date <= end, InsuranceRelation.person_id.not_in(still_open))) or 0)
    return FundFigures(income(start), spent(start), income(None) - spent(None), insured, retired)
