"""Individual pension accounts (个人账户) and the personal record (个人权益记录).

The individual part of a month is posted into the account once the unit's month is paid in full
(one INSERT … SELECT; each due row's delta is posted once, by its unique `source`). Interest is credited
once a year by `jobs.run_interest`. The record a citizen sees is read from the dues and the entries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, text
from sqlalchemy.orm import Session

from renshe.core import audit, labels
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import Conflict, Forbidden
from renshe.core.events import record_event
from renshe.insurance import contributions, parameters, policy
from renshe.insurance.models import AccountEntry, DeemedPeriod, Due, HistoryMonth, InsuranceRelation, InsuredUnit

PENSION = "110"
KIND_LABELS = labels.register(
    "insurance.account_entry", {"contribution": "缴费记账", "interest": "记账利息", "opening": "期初余额"})

_POST = text("""
INSERT INTO ins_account_entries (person_id, kind, entry_date, year, amount_fen, source, posted_at)
SELECT d.person_id, 'contribution', :month, :year, SUM(d.account_fen),
       'due:' || CAST(d.assessment_id AS VARCHAR(20)) || ':' || CAST(d.relation_id AS VARCHAR(20)), :now
FROM ins_dues d
WHERE {scope} AND d.month = :month AND d.insurance_type = '110' AND d.account_fen <> 0
  AND NOT EXISTS (SELECT 1 FROM ins_account_entries e WHERE e.source =
                  'due:' || CAST(d.assessment_id AS VARCHAR(20)) || ':' || CAST(d.relation_id AS VARCHAR(20)))
GROUP BY d.person_id, d.assessment_id, d.relation_id
HAVING SUM(d.account_fen) <> 0
""")


def post_dues(session: Session, *, scope: str, month: date, values: dict[str, Any]) -> int:
    """Post the account parts of the month's dues in `scope` (an SQL condition on `d`) not posted before."""
    done = session.execute(text(_POST.text.replace("{scope}", scope)),
                           {**values, "month": month, "year": month.year, "now": utcnow()})
    return cast("CursorResult[Any]", done).rowcount or 0


def post_month(session: Session, *, actor: Principal, unit: InsuredUnit, month: date, on: date) -> int:
    """Post the month's individual parts into the accounts once the unit's month is paid in full (as of `on`).
    Idempotent: each due row is posted once. Returns how many entries were written."""
    if not policy.can(actor, "assessment.run", division_code=unit.division_code):
        raise Forbidden("无权办理个人账户记账", code="renshe:insurance/posting-permission")
    if unit.insurance_type != PENSION:
        return 0
    month = contributions.month_start(month)
    state = contributions.position(session, unit=unit, month=month, on=on)
    if state.status != "paid":
        raise Conflict(f"{month.strftime('%Y年%m月')}的费款{state.status_label}，足额到账后才能记入个人账户",
                       code="renshe:insurance/not-paid")
    posted = post_dues(session, scope="d.unit_id = :unit", month=month, values={"unit": unit.id})
    if posted:
        audit.record(session, actor=actor, action="insurance.account.post", entity_type="insured_unit",
                     entity_id=unit.public_id, after={"month": month.strftime("%Y-%m"), "entries": posted})
        record_event(session, "insurance.contributions_posted", {"unit": unit.public_id,
                                                                 "month": month.strftime("%Y-%m"),
                                                                 "entries": posted})
    return posted


def balance_fen(session: Session, *, person_id: int, before: date | None = None) -> int:
    """The account balance (储存额), or the balance before a day."""
    stmt = select(func.coalesce(func.sum(AccountEntry.amount_fen), 0)).where(AccountEntry.person_id == person_id)
    if before is not None:
        stmt = stmt.where(AccountEntry.entry_date < before)
    return int(session.scalar(stmt) or 0)


@dataclass(frozen=True)
class MonthLine:
    month: date
    unit_name: str
    base_fen: int
    individual_fen: int
    employer_fen: int
    account_fen: int
    posted: bool
    source: str = "ledger"  # ledger | history (历史数据入库) | transfer (转移接续转入)


@dataclass(frozen=True)
class DeemedLine:
    start_month: date
    end_month: date
    months: int
    document: str


@dataclass(frozen=True)
class YearLine:
    year: int
    months: int
    contributions_fen: int
    interest_fen: int
    closing_fen: int
    rate: str


@dataclass
class PersonalRecord:
    """个人权益记录: months contributed, monthly bases, the account balance and its yearly history."""

    months: int
    balance_fen: int
    first_month: date | None
    last_month: date | None
    relations: list[InsuranceRelation]
    lines: list[MonthLine] = field(default_factory=list)
    years: list[YearLine] = field(default_factory=list)
    deemed: list[DeemedLine] = field(default_factory=list)

    @property
    def years_text(self) -> str:
        return f"{self.months // 12}年{self.months % 12}个月"

    @property
    def deemed_months(self) -> int:
        """视同缴费月数: months of the deemed periods (before the individual account system)."""
        return sum(d.months for d in self.deemed)

    @property
    def total_months(self) -> int:
        """累计缴费月数 including the deemed months (what the minimum and the basic pension count)."""
        return self.months + self.deemed_months

    @property
    def total_text(self) -> str:
        return f"{self.total_months // 12}年{self.total_months % 12}个月"


def personal_record(session: Session, *, person_id: int) -> PersonalRecord:
    """The person's record from the ledger (enterprise employee pension)."""
    relations = list(session.scalars(select(InsuranceRelation).where(InsuranceRelation.person_id == person_id)
                                     .order_by(InsuranceRelation.start_date)))
    units = {u.id: u.employer_name for u in session.scalars(select(InsuredUnit).where(
        InsuredUnit.id.in_({r.unit_id for r in relations if r.unit_id})))}
    unit_of = {r.id: units.get(r.unit_id, "灵活就业") if r.unit_id else "灵活就业" for r in relations}
    sums: dict[tuple[date, int], dict[str, int]] = defaultdict(lambda: {"employer": 0, "individual": 0,
                                                                         "account": 0, "base": 0})
    for month, relation_id, side, amount, account, base in session.execute(
            select(Due.month, Due.relation_id, Due.side, func.sum(Due.amount_fen), func.sum(Due.account_fen),
                   func.max(Due.base_fen))
            .where(Due.person_id == person_id, Due.insurance_type == PENSION)
            .group_by(Due.month, Due.relation_id, Due.side)):
        entry = sums[(month, relation_id)]
        entry[side] += int(amount)
        entry["account"] += int(account)
        entry["base"] = max(entry["base"], int(base))
    # the person's account entries, read once: postings, transfers in, and the yearly history below
    entries = list(session.scalars(select(AccountEntry).where(AccountEntry.person_id == person_id)
                                   .order_by(AccountEntry.entry_date, AccountEntry.id)))
    posted_relations_months = {(e.entry_date, int(e.source.split(":")[2])) for e in entries
                               if e.kind == "contribution" and e.source.count(":") == 2}
    lines = [MonthLine(month, unit_of.get(rid, ""), v["base"], v["individual"], v["employer"], v["account"],
                       (month, rid) in posted_relations_months)
             for (month, rid), v in sorted(sums.items()) if v["individual"] + v["employer"] > 0]
    # Months from before this ledger (历史数据入库): paid then; their account part is in the opening balance.
    lines += [MonthLine(h.month, h.unit_name or "历史缴费记录", h.base_fen, h.individual_fen, h.employer_fen,
                        h.individual_fen, True, "history")
              for h in session.scalars(select(HistoryMonth).where(HistoryMonth.person_id == person_id,
                                                                  HistoryMonth.insurance_type == PENSION))]
    # Months brought here by a transfer from another province (转移接续): paid there, counted here; their account
    # part is in the transfer-in entry's amount.
    here = {line.month for line in lines if line.posted}
    for moved in (e for e in entries if e.kind == "transfer_in"):
        origin = str((moved.detail or {}).get("from_province", ""))
        for item in (moved.detail or {}).get("months", []):
            month = date.fromisoformat(f"{item['month']}-01")
            if month not in here:
                here.add(month)
                lines.append(MonthLine(month, f"转入（{origin}）" if origin else "转入", int(item["base_fen"]), 0, 0, 0,
                                       True, "transfer"))
    lines.sort(key=lambda line: line.month)
    paid_months = sorted({line.month for line in lines if line.posted})
    years: list[YearLine] = []
    running = 0
    by_year: dict[int, list[AccountEntry]] = defaultdict(list)
    for item in entries:
        by_year[item.year].append(item)
    for year in sorted(by_year):
        items = by_year[year]
        contributed = sum(e.amount_fen for e in items if e.kind != "interest")
        interest = sum(e.amount_fen for e in items if e.kind == "interest")
        running += contributed + interest
        rate = next((str((e.detail or {}).get("rate", "")) for e in items if e.kind == "interest"), "")
        years.append(YearLine(year, sum(1 for m in paid_months if m.year == year), contributed, interest, running,
                              rate))
    deemed = [DeemedLine(d.start_month, d.end_month, d.months, d.document) for d in session.scalars(
        select(DeemedPeriod).where(DeemedPeriod.person_id == person_id).order_by(DeemedPeriod.start_month))]
    return PersonalRecord(months=len(paid_months), balance_fen=running,
                          first_month=paid_months[0] if paid_months else None,
                          last_month=paid_months[-1] if paid_months else None, relations=relations, lines=lines,
                          years=years, deemed=deemed)


def months_contributed(session: Session, *, person_id: int) -> int:
    """Months of enterprise employee pension contributions paid and posted (for the pension rules)."""
    return personal_record(session, person_id=person_id).months


def deemed_months(session: Session, *, person_id: int) -> int:
    """视同缴费月数 recognised for the person (for the pension rules: the transitional pension and the minimum)."""
    return int(session.scalar(select(func.coalesce(func.sum(DeemedPeriod.months), 0))
                              .where(DeemedPeriod.person_id == person_id)) or 0)


def average_contribution_index(session: Session, *, person_id: int, province: str) -> Decimal | None:
    """The mean over years of (the year's average monthly base ÷ that year's average wage in force)."""
    record = personal_record(session, person_id=person_id)
    per_year: dict[int, list[int]] = defaultdict(list)
    for line in record.lines:
        if line.posted:
            per_year[line.month.year].append(line.base_fen)
    indices = []
    for year, bases in sorted(per_year.items()):
        wage = parameters.find(session, province=province, key="average_wage", on=date(year, 12, 31))
        if wage is None or wage.decimal <= 0:
            return None
        indices.append(Decimal(sum(bases)) / len(bases) / (wage.decimal * 100))
    return sum(indices, Decimal(0)) / len(indices) if indices else None


def months_paid_of_type(session: Session, *, person_id: int, insurance_type: str, on: date) -> list[date]:
    """The months of one insurance type (e.g. 210 失业保险) the person contributed for and whose unit month was
    paid in full by `on` (reconciled against the tax bureau's receipts), with the history months of that type
    (历史缴费记录). Sorted, each month once."""
    found: set[date] = set(session.scalars(select(HistoryMonth.month).where(
        HistoryMonth.person_id == person_id, HistoryMonth.insurance_type == insurance_type)))
    rows = session.execute(select(Due.unit_id, Due.month).where(
        Due.person_id == person_id, Due.insurance_type == insurance_type, Due.unit_id.is_not(None))
        .group_by(Due.unit_id, Due.month).having(func.sum(Due.amount_fen) > 0)).all()
    units = {u.id: u for u in session.scalars(select(InsuredUnit).where(InsuredUnit.id.in_({r[0] for r in rows})))}
    for unit_id, month in rows:
        if unit_id is None or month in found:
            continue
        if contributions.position(session, unit=units[unit_id], month=month, on=on).status == "paid":
            found.add(month)
    return sorted(found)
