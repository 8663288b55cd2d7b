"""Flexible workers (灵活就业人员) in the enterprise employee pension: the yearly base they choose, the monthly
assessment at the flexible rate, payment through the tax bureau, and posting of paid months.

- Base (缴费基数): the worker chooses a monthly base for a year between the floor and the cap of the average
  wage in force (60 % / 300 %, 国办发〔2019〕13号); a base outside is refused with the rule named, never clamped
  (an employer's declared wage is clamped; a flexible worker's choice is a choice). A later choice in the
  same year applies from a month not yet paid.
- Assessment (核定): the same set-based INSERT … SELECT as an employer's, at the flexible rate (20 %, of which
  8 % to the account: parameters `rate.110.flexible`, `rate.110.flexible_account`), idempotent per owner,
  month and latest declaration; a later declaration adds only the differences.
- Payment (缴费): the worker pays the tax bureau (《社会保险法》第六十条第二款); the platform imports the
  receipts with the employers' (`contributions.import_receipts`, payer = the resident ID), matched within the
  payment window (`payers.deadline`). No late surcharge.
- Posting (记账): a month paid in full is posted to the account right after its receipts are imported.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, text
from sqlalchemy.orm import Session

from renshe.core import audit
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import Conflict, FieldError, Forbidden, ValidationFailed
from renshe.core.events import record_event
from renshe.insurance import contributions, parameters, payers, policy, rules
from renshe.insurance.models import AccountEntry, Assessment, Declaration, DeclaredBase, Due, InsuranceRelation, Receipt
from renshe.insurance.refs import PersonRef

PENSION = "110"
STATUS_LABELS = {"posted": "已缴费，已记入个人账户", "paid": "已缴费，待记账", "partly": "部分缴费",
                 "payable": "待缴费", "lapsed": "已过缴费期限（断缴），不能补缴"}


def _owner(person_id: int) -> str:
    return f"person:{person_id}"


def relations(session: Session, *, person_id: int) -> list[InsuranceRelation]:
    """The person's flexible-worker relations, latest first."""
    return list(session.scalars(select(InsuranceRelation).where(
        InsuranceRelation.person_id == person_id, InsuranceRelation.kind == "flexible",
        InsuranceRelation.insurance_type == PENSION).order_by(InsuranceRelation.start_date.desc())))


@dataclass(frozen=True)
class Limits:
    """The floor and cap of a flexible worker's monthly base in force on a month, with their source."""

    month: date
    wage: parameters.Value
    floor_fen: int
    cap_fen: int
    rate: parameters.Value
    account_rate: parameters.Value


def limits(session: Session, *, province: str, month: date) -> Limits:
    wage = parameters.lookup(session, province=province, key="average_wage", on=month)
    floor, cap = rules.base_limits(
        rules.fen_of(wage.decimal),
        floor_share=parameters.lookup(session, province=province, key="base_floor_ratio", on=month).decimal,
        cap_share=parameters.lookup(session, province=province, key="base_cap_ratio", on=month).decimal)
    return Limits(month, wage, floor, cap,
                  parameters.lookup(session, province=province, key="rate.110.flexible", on=month),
                  parameters.lookup(session, province=province, key="rate.110.flexible_account", on=month))


@dataclass
class BaseChoice:
    declaration: Declaration
    line: DeclaredBase
    created: bool
    assessed_months: int


def _may(actor: Principal, person: PersonRef, action: str) -> bool:
    if actor.kind == "citizen":
        return actor.subject == person.public_id
    return policy.can(actor, action, division_code=person.residence_division)


def choose_base(session: Session, *, actor: Principal, person: PersonRef, year: int, base_fen: int,
                from_month: int = 1, today: date) -> BaseChoice:
    """Record the monthly base a flexible worker chooses for `year` (from `from_month`), then assess the months
    of it that have begun. Refused outside floor and cap; idempotent (the same choice again changes nothing)."""
    if not _may(actor, person, "declaration.submit"):
        raise Forbidden("灵活就业人员缴费基数由本人申报", code="renshe:insurance/flexible-permission")
    if not 1990 <= year <= today.year + 1:
        raise ValidationFailed([FieldError("year", "renshe:insurance/year", "缴费年度不正确")])
    if not 1 <= from_month <= 12:
        raise ValidationFailed([FieldError("from_month", "renshe:insurance/from-month", "起始月份应为1到12")])
    start, end = date(year, from_month, 1), date(year, 12, 31)
    relation = next((r for r in relations(session, person_id=person.id)
                     if r.start_date <= end and (r.end_date is None or r.end_date >= start)), None)
    if relation is None:
        raise Conflict(f"您在{year}年{from_month}月以后没有灵活就业人员养老保险参保关系，请先办理参保",
                       code="renshe:insurance/flexible-not-enrolled")
    parameters.load_defaults(session)
    bounds = limits(session, province=relation.province, month=max(start, contributions.month_start(
        relation.start_date)))
    if not bounds.floor_fen <= base_fen <= bounds.cap_fen:
        raise rules.InsuranceRuleError(
            "flexible-base-range", "base",
            f"灵活就业人员月缴费基数应在{rules.yuan(bounds.floor_fen)}元至{rules.yuan(bounds.cap_fen)}元之间"
            f"（全口径城镇单位就业人员月平均工资{rules.yuan(rules.fen_of(bounds.wage.decimal))}元的60%至300%，"
            f"{rules.BASE_SOURCE}）")
    paid = session.scalar(select(func.max(Receipt.month)).where(
        Receipt.relation_id == relation.id, Receipt.matched.is_(True), Receipt.month >= start,
        Receipt.month <= end))
    if paid is not None:
        raise Conflict(f"{paid.strftime('%Y年%m月')}已缴费，新的缴费基数只能从之后的月份起适用",
                       code="renshe:insurance/flexible-base-paid")
    owner = _owner(person.id)
    previous = session.scalar(select(func.max(Declaration.id)).where(Declaration.owner == owner,
                                                                     Declaration.year == year)) or 0
    key = f"flex:{year}:{from_month}:{base_fen}:{previous}"
    existing = session.scalar(select(Declaration).where(Declaration.owner == owner, Declaration.key == key))
    if existing is None and previous:
        last = session.scalar(select(DeclaredBase).where(DeclaredBase.declaration_id == previous))
        if last is not None and (last.from_month, last.base_fen) == (from_month, base_fen):
            existing = session.get(Declaration, previous)
    if existing is not None:
        line = session.scalar(select(DeclaredBase).where(DeclaredBase.declaration_id == existing.id))
        if line is None:  # a declaration always has its line
            raise RuntimeError("declaration without its line")
        return BaseChoice(existing, line, created=False, assessed_months=0)
    declaration = Declaration(owner=owner, unit_id=None, year=year, key=key,
                              kind="annual" if from_month == 1 else "supplementary", rows=1, submitted_by=actor.subject)
    session.add(declaration)
    session.flush()
    line = DeclaredBase(declaration_id=declaration.id, relation_id=relation.id, person_id=person.id, year=year,
                        from_month=from_month, declared_fen=base_fen, base_fen=base_fen, clamp=None,
                        floor_fen=bounds.floor_fen, cap_fen=bounds.cap_fen, wage_parameter_id=bounds.wage.id)
    session.add(line)
    session.flush()
    audit.record(session, actor=actor, action="insurance.flexible.base", entity_type="person",
                 entity_id=person.public_id, after={"declaration": declaration.public_id, "year": year,
                                                    "from_month": from_month, "base": rules.yuan(base_fen)})
    record_event(session, "insurance.declaration_submitted", {"declaration": declaration.public_id,
                                                              "person": person.public_id, "year": year, "rows": 1})
    assessed = 0
    month = max(start, contributions.month_start(relation.start_date))
    last_month = min(contributions.month_start(today), date(year, 12, 1))
    while month <= last_month:
        if assess(session, actor=actor, province=relation.province, month=month, relation=relation).created:
            assessed += 1
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return BaseChoice(declaration, line, created=True, assessed_months=assessed)


@dataclass
class FlexibleAssessment:
    assessment: Assessment
    created: bool


def assess(session: Session, *, actor: Principal, province: str, month: date,
           relation: InsuranceRelation | None = None) -> FlexibleAssessment:
    """核定 a month for every flexible worker of the province (or one relation): set-based, idempotent."""
    if relation is None and not policy.can(actor, "assessment.run", division_code=province):
        raise Forbidden("无权核定灵活就业人员缴费", code="renshe:insurance/assessment-permission")
    month = contributions.month_start(month)
    parameters.load_defaults(session)
    owner = f"flex:{province}:{relation.person_id if relation else 'all'}"
    owners = Declaration.owner == _owner(relation.person_id) if relation else Declaration.owner.startswith("person:")
    basis = session.scalar(select(func.max(Declaration.id)).where(owners, Declaration.year == month.year)) or 0
    existing = session.scalar(select(Assessment).where(Assessment.owner == owner, Assessment.month == month,
                                                       Assessment.basis == basis))
    if existing is not None:
        return FlexibleAssessment(existing, created=False)
    sides, used = contributions.rates_for(session, province=province, insurance_type=PENSION, on=month,
                                          flexible=True)
    assessment = Assessment(owner=owner, unit_id=None, month=month, basis=basis, rows=0, parameters=used,
                            assessed_by=actor.subject)
    session.add(assessment)
    session.flush()
    scope = "r.kind = 'flexible' AND r.province = :province" + (" AND r.id = :relation" if relation else "")
    rows = contributions.assess_dues(session, sides=sides, month=month, scope=scope, assessment="a.id = :assessment",
                                     values={"assessment": assessment.id, "province": province,
                                             "relation": relation.id if relation else 0})
    assessment.rows = rows
    session.flush()
    audit.record(session, actor=actor, action="insurance.flexible.assess", entity_type="province",
                 entity_id=province, after={"assessment": assessment.public_id, "month": month.strftime("%Y-%m"),
                                            "rows": rows, "relation": relation.public_id if relation else None})
    return FlexibleAssessment(assessment, created=True)


_POST = text("""
INSERT INTO ins_account_entries (person_id, kind, entry_date, year, amount_fen, source, posted_at)
SELECT d.person_id, 'contribution', :month, :year, SUM(d.account_fen),
       'due:' || CAST(d.assessment_id AS VARCHAR(20)) || ':' || CAST(d.relation_id AS VARCHAR(20)), :now
FROM ins_dues d
WHERE d.unit_id IS NULL AND d.month = :month AND d.insurance_type = '110'
  AND d.relation_id IN ({scope})
  AND (SELECT SUM(x.amount_fen) FROM ins_dues x WHERE x.relation_id = d.relation_id AND x.month = :month) > 0
  AND (SELECT SUM(x.amount_fen) FROM ins_dues x WHERE x.relation_id = d.relation_id AND x.month = :month)
      <= (SELECT COALESCE(SUM(p.amount_fen), 0) FROM ins_receipts p
          WHERE p.relation_id = d.relation_id AND p.month = :month AND p.matched)
  AND NOT EXISTS (SELECT 1 FROM ins_account_entries e WHERE e.source =
                  'due:' || CAST(d.assessment_id AS VARCHAR(20)) || ':' || CAST(d.relation_id AS VARCHAR(20)))
GROUP BY d.person_id, d.assessment_id, d.relation_id
HAVING SUM(d.account_fen) <> 0
""")


def post_paid(session: Session, *, actor: Principal, month: date, batch: str | None = None,
              province: str | None = None) -> int:
    """Post the individual part of flexible months paid in full (those of a receipt batch, or of a province)
    into the accounts; set-based, each due row once. Returns how many entries were written."""
    month = contributions.month_start(month)
    if batch is not None:
        scope = "SELECT relation_id FROM ins_receipts WHERE batch = :batch AND matched AND relation_id IS NOT NULL"
    elif province is not None and policy.can(actor, "assessment.run", division_code=province):
        scope = "SELECT id FROM ins_relations WHERE kind = 'flexible' AND province = :province"
    else:
        raise Forbidden("无权办理个人账户记账", code="renshe:insurance/posting-permission")
    done = session.execute(text(_POST.text.replace("{scope}", scope)), {
        "month": month, "year": month.year, "now": utcnow(), "batch": batch, "province": province})
    posted = cast("CursorResult[Any]", done).rowcount or 0
    if posted:
        audit.record(session, actor=actor, action="insurance.account.post", entity_type="flexible_month",
                     entity_id=month.strftime("%Y-%m"), after={"entries": posted, "batch": batch})
        record_event(session, "insurance.contributions_posted", {"flexible": True, "month": month.strftime("%Y-%m"),
                                                                 "entries": posted})
    return posted


def post_batch(session: Session, *, actor: Principal, batch: str) -> int:
    """Post every flexible month a receipt batch paid in full."""
    months = session.scalars(select(Receipt.month).where(Receipt.batch == batch, Receipt.matched.is_(True),
                                                         Receipt.relation_id.is_not(None)).distinct())
    return sum(post_paid(session, actor=actor, month=m, batch=batch) for m in list(months))


@dataclass(frozen=True)
class FlexibleMonth:
    month: date
    base_fen: int
    due_fen: int
    account_fen: int
    paid_fen: int
    deadline: date
    status: str

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def months_of(session: Session, *, person_id: int, on: date) -> list[FlexibleMonth]:
    """The person's assessed flexible months: due, paid, the last day to pay, and the status as of `on`."""
    rels = {r.id: r for r in relations(session, person_id=person_id)}
    if not rels:
        return []
    due: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
    sources: dict[date, set[str]] = defaultdict(set)
    for month, assessment_id, relation_id, amount, account, base in session.execute(
            select(Due.month, Due.assessment_id, Due.relation_id, func.sum(Due.amount_fen), func.sum(Due.account_fen),
                   func.max(Due.base_fen))
            .where(Due.relation_id.in_(rels), Due.unit_id.is_(None))
            .group_by(Due.month, Due.assessment_id, Due.relation_id)):
        entry = due[month]
        entry[0] += int(amount)
        entry[1] += int(account)
        entry[2] = max(entry[2], int(base))
        sources[month].add(f"due:{assessment_id}:{relation_id}")
    paid = {month: int(amount) for month, amount in session.execute(
        select(Receipt.month, func.sum(Receipt.amount_fen)).where(
            Receipt.relation_id.in_(rels), Receipt.matched.is_(True)).group_by(Receipt.month))}
    posted = set(session.scalars(select(AccountEntry.source).where(
        AccountEntry.person_id == person_id, AccountEntry.kind == "contribution",
        AccountEntry.source.in_({s for v in sources.values() for s in v}))))
    province = next(iter(rels.values())).province
    result = []
    for month, (amount, account, base) in sorted(due.items()):
        if amount <= 0:
            continue
        got = int(paid.get(month) or 0)
        last_day = payers.deadline(session, province=province, month=month)
        if got >= amount:
            status = "posted" if sources[month] <= posted or account == 0 else "paid"
        elif on > last_day:
            status = "lapsed"
        else:
            status = "partly" if got else "payable"
        result.append(FlexibleMonth(month, base, amount, account, got, last_day, status))
    return result


def bases_of(session: Session, *, person_id: int) -> list[DeclaredBase]:
    """The bases the person chose, latest first."""
    return list(session.scalars(select(DeclaredBase).join(Declaration, Declaration.id == DeclaredBase.declaration_id)
                                .where(Declaration.owner == _owner(person_id)).order_by(DeclaredBase.id.desc())))
