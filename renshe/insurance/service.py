"""The public surface of the social insurance ledger for other domains (pension, hall) and for the
entry points: the personal record, the statement certificate, and the figures the pension rules need.

The ledger's rules live in its sub-feature modules (`parameters`, `enrolment`, `contributions`,
`accounts`, `jobs`); this module adds what crosses domains: the person from the registry, the
statement from the certificate library.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.certs import service as certs
from renshe.core.auth import SYSTEM, Principal
from renshe.core.errors import Conflict, Forbidden
from renshe.insurance import accounts, contributions, enrolment, parameters, rules, schemas
from renshe.insurance.models import InsuranceRelation, InsuredUnit, Receipt
from renshe.insurance.refs import PersonRef
from renshe.registry import service as registry

SHANGHAI = ZoneInfo("Asia/Shanghai")
STATEMENT_TYPE = "insurance-statement"


def own_person(session: Session, *, actor: Principal) -> PersonRef:
    """The signed-in citizen's person record."""
    if actor.kind != "citizen":
        raise Forbidden("个人权益记录由本人查询", code="renshe:insurance/record-permission")
    person: PersonRef = registry.get_person(session, actor=actor, public_id=actor.subject)
    return person


def record_of(session: Session, *, actor: Principal) -> accounts.PersonalRecord:
    """个人权益记录 of the signed-in citizen."""
    person = own_person(session, actor=actor)
    return accounts.personal_record(session, person_id=person.id)


@dataclass(frozen=True)
class Statement:
    identifier: str
    pdf: bytes


def issue_statement(session: Session, *, actor: Principal) -> Statement:
    """The citizen's statement as an electronic certificate (signed, with a QR that verifies offline)."""
    person = own_person(session, actor=actor)
    record = accounts.personal_record(session, person_id=person.id)
    if record.months == 0 and record.balance_fen == 0:
        raise Conflict("暂无企业职工基本养老保险缴费记录，不能出具权益记录", code="renshe:insurance/no-record")
    today = datetime.now(SHANGHAI).date()
    period = (f"{record.first_month.strftime('%Y-%m')}至{record.last_month.strftime('%Y-%m')}"
              if record.first_month and record.last_month else "无")
    latest = next((line.base_fen for line in reversed(record.lines) if line.posted), 0)
    cert = certs.issue(session, actor=SYSTEM, person_public_id=person.public_id, type_key=STATEMENT_TYPE, fields={
        "insurance": "企业职工基本养老保险（110）", "period": period, "months": str(record.months),
        "latest_base": rules.yuan(latest) if latest else "", "balance": rules.yuan(record.balance_fen),
        "as_of": today.isoformat()})
    return Statement(cert.identifier, certs.pdf(session, cert))


# ---------------------------------------------------------------- for the pension rules


def months_contributed(session: Session, *, person_id: int) -> int:
    """Months of enterprise employee pension contributions paid and posted."""
    return accounts.months_contributed(session, person_id=person_id)


def account_balance_fen(session: Session, *, person_id: int) -> int:
    """The individual account balance (个人账户储存额), in fen."""
    return accounts.balance_fen(session, person_id=person_id)


def average_contribution_index(session: Session, *, person_id: int, province: str) -> Decimal | None:
    """The person's average contribution index (平均缴费指数), or None without wages configured."""
    return accounts.average_contribution_index(session, person_id=person_id, province=province)


def parameter(session: Session, *, province: str, key: str, on: datetime) -> parameters.Value:
    """A ledger parameter in force on a date (divisor table, minimum months, coefficient …)."""
    return parameters.lookup(session, province=province, key=key, on=on.date())


# ---------------------------------------------------------------- outputs (API and pages)


def unit_out(unit: InsuredUnit) -> schemas.UnitOut:
    return schemas.UnitOut(public_id=unit.public_id, employer_name=unit.employer_name, credit_code=unit.credit_code,
                           insurance_type=unit.insurance_type,
                           insurance_type_label=enrolment.type_label(unit.insurance_type),
                           registered_on=unit.registered_on)


def relation_out(relation: InsuranceRelation) -> schemas.RelationOut:
    return schemas.RelationOut(
        public_id=relation.public_id, person_name=relation.person_name, id_number_masked=relation.id_number_masked,
        insurance_type=relation.insurance_type, kind=relation.kind, kind_label=enrolment.KIND_LABELS[relation.kind],
        start_date=relation.start_date, start_reason=relation.start_reason, end_date=relation.end_date,
        end_reason=relation.end_reason)


def declaration_out(session: Session, result: contributions.DeclarationResult) -> schemas.DeclarationOut:
    masked = {r.id: r.id_number_masked for r in session.scalars(select(InsuranceRelation).where(
        InsuranceRelation.unit_id == result.declaration.unit_id))}
    labels = {"floor": "低于下限，按下限核定", "cap": "高于上限，按上限核定"}
    lines = [schemas.DeclaredLineOut(
        person_id_masked=masked.get(x.relation_id, ""), from_month=x.from_month, declared=rules.yuan(x.declared_fen),
        base=rules.yuan(x.base_fen), clamp=x.clamp, clamp_label=labels.get(x.clamp or "", "在上下限之间，按申报核定"),
        floor=rules.yuan(x.floor_fen), cap=rules.yuan(x.cap_fen))
        for x in contributions.declared_lines(session, declaration=result.declaration)]
    d = result.declaration
    return schemas.DeclarationOut(public_id=d.public_id, year=d.year, kind=d.kind, rows=d.rows, created=result.created,
                                  lines=lines)


def month_out(session: Session, *, unit: InsuredUnit, month: date, on: date) -> schemas.MonthOut:
    state = contributions.position(session, unit=unit, month=month, on=on)
    dues = contributions.dues_of_month(session, unit=unit, month=month)
    return schemas.MonthOut(
        month=state.month.strftime("%Y-%m"), due=rules.yuan(state.due_fen), paid=rules.yuan(state.paid_fen),
        outstanding=rules.yuan(state.outstanding_fen), status=state.status, status_label=state.status_label,
        due_date=state.due_date, surcharge=rules.yuan(state.surcharge.surcharge_fen if state.surcharge else 0),
        surcharge_trace=[s.as_dict() for s in state.surcharge.trace] if state.surcharge else [],
        dues=[schemas.DueOut(person_name=d.person_name, id_number_masked=d.id_number_masked,
                             base=rules.yuan(d.base_fen), employer=rules.yuan(d.employer_fen),
                             individual=rules.yuan(d.individual_fen),
                             account=rules.yuan(d.account_fen)) for d in dues])


def receipt_out(receipt: Receipt) -> schemas.ReceiptOut:
    return schemas.ReceiptOut(receipt_no=receipt.receipt_no, payer_code=receipt.payer_code,
                              insurance_type=receipt.insurance_type, month=receipt.month.strftime("%Y-%m"),
                              amount=rules.yuan(receipt.amount_fen), paid_on=receipt.paid_on)


def record_out(record: accounts.PersonalRecord) -> schemas.RecordOut:
    return schemas.RecordOut(
        months=record.months, years_text=record.years_text, balance=rules.yuan(record.balance_fen),
        lines=[schemas.RecordLineOut(month=x.month.strftime("%Y-%m"), unit=x.unit_name, base=rules.yuan(x.base_fen),
                                     individual=rules.yuan(x.individual_fen), employer=rules.yuan(x.employer_fen),
                                     account=rules.yuan(x.account_fen), posted=x.posted) for x in record.lines],
        years=[schemas.YearOut(year=y.year, months=y.months, contributions=rules.yuan(y.contributions_fen),
                               interest=rules.yuan(y.interest_fen), closing=rules.yuan(y.closing_fen), rate=y.rate)
               for y in record.years])


def retire_relations(session: Session, *, actor: Principal, person_id: int, on: date) -> list[str]:
    """At a retirement: every open pension insurance relation (110) of the person ends on `on` with the
    reason 退休 (23), so no month after it is assessed. Returns the relations' public ids."""
    ended = []
    for relation in enrolment.relations_of_person(session, person_id=person_id):
        if relation.insurance_type == "110" and relation.end_date is None:
            enrolment.end_relation(session, actor=actor, relation=relation, end_date=max(on, relation.start_date),
                                   reason="23")
            ended.append(relation.public_id)
    return ended


def insured_since(session: Session, *, person_id: int) -> date | None:
    """When the person first joined the pension insurance: the earliest relation start or posted month."""
    starts = [r.start_date for r in enrolment.relations_of_person(session, person_id=person_id)
              if r.insurance_type == "110"]
    first = accounts.personal_record(session, person_id=person_id).first_month
    found = [d for d in (*starts, first) if d is not None]
    return min(found) if found else None
