"""The public surface of the social insurance ledger for other domains (pension, hall) and for the
entry points: the personal record, the statement certificate, and the figures the pension rules need.

The ledger's rules live in its sub-feature modules (`parameters`, `enrolment`, `contributions`,
`accounts`, `jobs`); this module adds what crosses domains: the person from the registry, the
statement from the certificate library.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.certs import service as certs
from renshe.core.auth import SYSTEM, Principal
from renshe.core.errors import Conflict, FieldError, Forbidden, ValidationFailed
from renshe.insurance import (
    accounts,
    contributions,
    enrolment,
    flexible,
    funds,
    history,
    parameters,
    payers,
    rules,
    schemas,
    transfers,
)
from renshe.insurance.models import HistoryImport, InsuranceRelation, InsuredUnit, Receipt
from renshe.insurance.models import Statement as StatementRow
from renshe.insurance.refs import PersonRef
from renshe.registry import service as registry

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 转移接续: the ledger side (the participation facts and the two postings), for renshe.transfer
MonthBase = transfers.MonthBase
participation = transfers.participation
post_transfer_out = transfers.post_transfer_out
post_transfer_in = transfers.post_transfer_in
# fund monitoring: the period's figures from the ledger, for renshe.pooling
FundFigures = funds.FundFigures
fund_figures = funds.figures
STATEMENT_TYPE = "insurance-statement"
SOURCE_LABELS = {"ledger": "本系统记录", "history": "历史数据入库", "transfer": "转移接续转入"}


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
    reused: bool = False  # the ledger had not changed since this certificate was issued


def state_hash(record: accounts.PersonalRecord) -> str:
    """SHA-256 of what a statement shows (months, deemed periods, bases, amounts, balance, yearly history)."""
    shown = {"months": record.months, "balance": record.balance_fen,
             "deemed": [[d.start_month.isoformat(), d.end_month.isoformat(), d.months, d.document]
                        for d in record.deemed],
             "lines": [[x.month.isoformat(), x.unit_name, x.base_fen, x.individual_fen, x.employer_fen, x.account_fen,
                        x.posted, x.source] for x in record.lines],
             "years": [[y.year, y.months, y.contributions_fen, y.interest_fen, y.closing_fen] for y in record.years]}
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()


def _statement_fields(record: accounts.PersonalRecord, today: date) -> dict[str, str]:
    period = (f"{record.first_month.strftime('%Y-%m')}至{record.last_month.strftime('%Y-%m')}"
              if record.first_month and record.last_month else "无")
    latest = next((line.base_fen for line in reversed(record.lines) if line.posted), 0)
    return {"insurance": "企业职工基本养老保险（110）", "period": period, "months": str(record.total_months),
            "deemed_months": str(record.deemed_months) if record.deemed_months else "",
            "latest_base": rules.yuan(latest) if latest else "", "balance": rules.yuan(record.balance_fen),
            "as_of": today.isoformat()}


def issue_statement(session: Session, *, actor: Principal) -> Statement:
    """The citizen's statement as an electronic certificate (signed, with a QR that verifies offline).

    While the ledger is unchanged since the last statement (same state hash) and that certificate is still
    valid, the same certificate is handed out again; once it changed, the old one is superseded (换发: revoked
    in the status list, pointing to the new version) and a new one issued."""
    person = own_person(session, actor=actor)
    record = accounts.personal_record(session, person_id=person.id)
    if record.total_months == 0 and record.balance_fen == 0:
        raise Conflict("暂无企业职工基本养老保险缴费记录，不能出具权益记录", code="renshe:insurance/no-record")
    state = state_hash(record)
    fields = _statement_fields(record, datetime.now(SHANGHAI).date())
    last = session.scalar(select(StatementRow).where(StatementRow.person_id == person.id)
                          .order_by(StatementRow.id.desc()).limit(1))
    old = certs.get_certificate(session, actor=SYSTEM, identifier=last.certificate) if last is not None else None
    if last is not None and old is not None and last.state_hash == state and old.status == "valid":
        return Statement(old.identifier, certs.pdf(session, old), reused=True)
    if old is not None and old.status in {"valid", "suspended"}:
        cert = certs.reissue(session, actor=SYSTEM, cert=old, reason="个人权益记录已变化，换发新的权益记录单",
                             fields=fields)
    else:
        cert = certs.issue(session, actor=SYSTEM, person_public_id=person.public_id, type_key=STATEMENT_TYPE,
                           fields=fields)
    session.add(StatementRow(person_id=person.id, state_hash=state, certificate=cert.identifier))
    session.flush()
    return Statement(cert.identifier, certs.pdf(session, cert))


# ---------------------------------------------------------------- receipts and flexible workers


def import_receipts(session: Session, *, actor: Principal, rows: Sequence[contributions.ReceiptRow],
                    batch: str) -> contributions.ReceiptImport:
    """Import tax-bureau receipts (employers' and flexible workers'), then post the flexible months they paid
    in full (an employer's months are posted by the clerk, month by month)."""
    result = contributions.import_receipts(session, actor=actor, rows=rows, batch=batch)
    flexible.post_batch(session, actor=actor, batch=batch)
    return result


def read_base(value: str) -> int:
    """A monthly base typed in yuan, as fen; the field named when it is not an amount."""
    try:
        fen = rules.fen_of(Decimal(value.strip().replace(",", "")))
    except (InvalidOperation, ValueError):
        fen = -1
    if fen <= 0:
        raise ValidationFailed([FieldError("base", "renshe:insurance/amount",
                                           "月缴费基数应为大于0的金额（元，最多两位小数）")])
    return fen


def choose_flexible_base(session: Session, *, actor: Principal, year: int, base: str, from_month: int = 1
                         ) -> flexible.BaseChoice:
    """The signed-in flexible worker chooses their monthly base for a year (灵活就业人员缴费基数申报)."""
    person = own_person(session, actor=actor)
    return flexible.choose_base(session, actor=actor, person=person, year=year, base_fen=read_base(base),
                                from_month=from_month, today=datetime.now(SHANGHAI).date())


@dataclass(frozen=True)
class FlexibleView:
    enrolled: bool
    year: int
    floor: str
    cap: str
    rate: str
    account_rate: str
    window: str
    limits_source: str
    bases: list[schemas.FlexibleBaseOut]
    months: list[schemas.FlexibleMonthOut]


def flexible_view(session: Session, *, actor: Principal) -> FlexibleView | None:
    """What the flexible worker's section shows: floor and cap of this year, rates, chosen bases, months."""
    person = own_person(session, actor=actor)
    relations = flexible.relations(session, person_id=person.id)
    if not relations:
        return None
    today = datetime.now(SHANGHAI).date()
    province = relations[0].province
    try:
        bounds = flexible.limits(session, province=province, month=date(today.year, today.month, 1))
        window = parameters.lookup(session, province=province, key="flexible_payment_window", on=today)
        months = [flexible_month_out(m) for m in flexible.months_of(session, person_id=person.id, on=today)]
    except Conflict:
        return None  # parameters not configured for this year yet (the page says nothing rather than guess)
    return FlexibleView(
        enrolled=any(r.end_date is None for r in relations), year=today.year, floor=rules.yuan(bounds.floor_fen),
        cap=rules.yuan(bounds.cap_fen), rate=rules.percent(bounds.rate.decimal),
        account_rate=rules.percent(bounds.account_rate.decimal), window=payers.WINDOW_LABELS[str(window.value)],
        limits_source=rules.BASE_SOURCE,
        bases=[schemas.FlexibleBaseOut(year=b.year, from_month=b.from_month, base=rules.yuan(b.base_fen))
               for b in flexible.bases_of(session, person_id=person.id)],
        months=months)


def flexible_month_out(m: flexible.FlexibleMonth) -> schemas.FlexibleMonthOut:
    return schemas.FlexibleMonthOut(month=m.month.strftime("%Y-%m"), base=rules.yuan(m.base_fen),
                                    due=rules.yuan(m.due_fen), account=rules.yuan(m.account_fen),
                                    paid=rules.yuan(m.paid_fen), deadline=m.deadline, status=m.status,
                                    status_label=m.status_label)


# ---------------------------------------------------------------- for the pension rules


def months_contributed(session: Session, *, person_id: int) -> int:
    """Months of enterprise employee pension contributions paid and posted."""
    return accounts.months_contributed(session, person_id=person_id)


def months_paid_of_type(session: Session, *, person_id: int, insurance_type: str, on: date) -> list[date]:
    """Months of one insurance type paid in full by `on` (失业保险 210 for the unemployment benefit)."""
    return accounts.months_paid_of_type(session, person_id=person_id, insurance_type=insurance_type, on=on)


def deemed_months(session: Session, *, person_id: int) -> int:
    """视同缴费月数 recognised in the ledger (deemed periods before the individual account system)."""
    return accounts.deemed_months(session, person_id=person_id)


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
                                     account=rules.yuan(x.account_fen), posted=x.posted, source=x.source,
                                     source_label=SOURCE_LABELS[x.source]) for x in record.lines],
        years=[schemas.YearOut(year=y.year, months=y.months, contributions=rules.yuan(y.contributions_fen),
                               interest=rules.yuan(y.interest_fen), closing=rules.yuan(y.closing_fen), rate=y.rate)
               for y in record.years],
        deemed_months=record.deemed_months, total_months=record.total_months, total_text=record.total_text,
        deemed=[schemas.DeemedOut(start_month=d.start_month.strftime("%Y-%m"), end_month=d.end_month.strftime("%Y-%m"),
                                  months=d.months, document=d.document) for d in record.deemed])


# ---------------------------------------------------------------- historical data (历史数据入库)


def import_history(session: Session, *, actor: Principal, path: Path, filename: str) -> history.HistoryResult:
    """Import a historical data workbook (whole or not at all; conflicts listed; once per file)."""
    return history.import_file(session, actor=actor, path=path, filename=filename)


def history_out(batch: HistoryImport) -> schemas.HistoryImportOut:
    return schemas.HistoryImportOut(
        public_id=batch.public_id, filename=batch.filename, imported_at=batch.imported_at, persons=batch.persons,
        months=batch.months, base=rules.yuan(batch.base_fen), individual=rules.yuan(batch.individual_fen),
        employer=rules.yuan(batch.employer_fen), balances=batch.balances, balance=rules.yuan(batch.balance_fen),
        deemed_months=batch.deemed_months, conflicts_total=batch.conflicts,
        totals=[schemas.HistoryTotalOut(item=item, file=f, control=c, posted=p)
                for item, f, c, p in history.summary_rows(batch)],
        conflicts=[schemas.HistoryConflictOut(**c) for c in batch.report["conflicts"]])


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
