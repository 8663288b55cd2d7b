"""Flexible workers as payers (灵活就业人员缴费): the last day a month of theirs can be paid, and which
insurance relation a tax-bureau receipt of theirs pays.

Flexible workers pay the tax bureau directly (《社会保险法》第六十条第二款); the platform imports the receipts
like an employer's. They carry no late surcharge (第八十六条 binds employers); instead a month can only be paid
within the province's window (parameter `flexible_payment_window`): by 31 December of its year
("year-end", the default) or by the due day of the following month ("due-day"). A receipt paid after the
window matches nothing and is listed for refund; the month stays unpaid (断缴).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.core import crypto, ids
from renshe.insurance import parameters
from renshe.insurance.models import Due
from renshe.registry import service as registry

WINDOW_LABELS = {"year-end": "当年12月31日前缴纳，跨年度不再补缴", "due-day": "次月缴费截止日前缴纳"}


def deadline(session: Session, *, province: str, month: date) -> date:
    """The last day a flexible worker's month can be paid."""
    window = parameters.lookup(session, province=province, key="flexible_payment_window", on=month).value
    if window == "due-day":
        day = int(parameters.lookup(session, province=province, key="payment_due_day", on=month).decimal)
        return date(month.year + (month.month == 12), month.month % 12 + 1, day)
    return date(month.year, 12, 31)


def is_resident_id(code: str) -> bool:
    try:
        ids.parse_resident_id(code)
    except ids.IdentifierError:
        return False
    return True


def match_flexible(session: Session, rows: list[dict[str, Any]]) -> None:
    """Match receipts whose payer is a person (resident ID) to that person's flexible month, in place: the
    relation with dues for the month, matched when paid within the window. The ID is kept masked."""
    for row in rows:
        code = row["payer_code"]
        if not is_resident_id(code):
            continue
        row["payer_code"] = crypto.mask_id_number(code)
        person = registry.find_by_id_number(session, id_number=code)
        if person is None:
            continue
        found = session.execute(select(Due.relation_id, func.sum(Due.amount_fen)).where(
            Due.person_id == person.id, Due.unit_id.is_(None), Due.month == row["month"],
            Due.insurance_type == row["insurance_type"]).group_by(Due.relation_id)).first()
        if found is None or not found[1]:
            continue
        relation_id = found[0]
        province = parameters.province_of(person.residence_division)
        row["relation_id"] = relation_id
        row["matched"] = row["paid_on"] <= deadline(session, province=province, month=row["month"])
