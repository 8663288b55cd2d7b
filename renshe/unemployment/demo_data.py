"""The demo province's unemployed: a few card holders with unemployment insurance contributions in the ledger
(through the ledger's own declaration, assessment and receipts), a separation reported by their employer,
then a benefit granted some months ago and paid month by month into the card by the payment run; and a few
registered unemployed people with service records. Called with one line from `renshe/demo.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from renshe.core import crypto, ids
from renshe.core.auth import SYSTEM
from renshe.core.errors import DomainError
from renshe.insurance import contributions, enrolment, rules
from renshe.registry import schemas as registry_schemas
from renshe.registry import service as registry
from renshe.unemployment import jobs, service
from renshe.unemployment import rules as unemployment_rules

RECIPIENTS = 3
REGISTERED = 3
SERVICES = (("counselling", "职业指导：了解求职意向，制定求职计划", "已制定求职计划"),
            ("job_recommendation", "推荐辖区企业仓储管理员岗位1个", "已面试，等待结果"),
            ("training_referral", "推荐参加电子商务职业技能培训（补贴性）", None))


@dataclass
class Seeded:
    recipients: list[tuple[str, str]]  # (name, id number)
    registered: list[tuple[str, str]]


def insured_career(session: Session, *, employer: Any, id_number: str, first: date, last: date, wage_fen: int,
                   today: date, key: str) -> Any:
    """Unemployment insurance (210) contributions every month from FIRST to LAST through the ledger's own rules:
    a 210 unit of the employer, a hire reported, the relation, a declaration a year, each month assessed and
    paid (tax-bureau receipts). Returns the employment relation (open: the employer has not reported the end)."""
    unit = enrolment.register_unit(session, actor=SYSTEM, employer=employer, insurance_type="210", registered_on=first)
    person = registry.find_by_id_number(session, id_number=id_number)
    if person is None:
        raise LookupError("the person is not in the person base")
    relation = registry.report_employment(session, actor=SYSTEM, employer=employer, data=registry_schemas.EmploymentIn(
        id_number=id_number, start_date=first, job_title="职工"))
    enrolment.enrol_person(session, actor=SYSTEM, unit=unit, person=person, start_date=first)
    for year in range(first.year, last.year + 1):
        row = contributions.DeclarationRow(row=2, id_number=id_number, declared=rules.yuan(wage_fen))
        contributions.declare(session, actor=SYSTEM, unit=unit, year=year, rows=[row], key=f"{key}:{year}")
    receipts: list[contributions.ReceiptRow] = []
    month = first
    while month <= last:
        contributions.assess(session, actor=SYSTEM, unit=unit, month=month)
        due = sum(d.employer_fen + d.individual_fen for d in contributions.dues_of_month(session, unit=unit,
                                                                                          month=month))
        receipts.append(contributions.ReceiptRow(
            row=len(receipts) + 2, receipt_no=f"{key}-{month:%Y%m}"[-40:], payer_code=unit.credit_code,
            insurance_type="210", month=month, amount=rules.yuan(due),
            paid_on=min(today, unemployment_rules.add_months(month, 1))))
        month = unemployment_rules.add_months(month, 1)
    contributions.import_receipts(session, actor=SYSTEM, rows=receipts, batch=key[-64:])
    return relation


def _employer(session: Session, *, division: str, index: int) -> Any:
    """A demo employer of its own for each insured person (one 210 unit and one declaration a year each)."""
    first17 = f"91{division}MAUN{index:04d}0"[:17]
    return registry.register_employer(session, actor=SYSTEM, data=registry_schemas.EmployerIn(
        credit_code=first17 + ids.credit_code_check_character(first17), name=f"演示失业保险参保单位{index + 1}有限公司",
        division_code=division, legal_representative="演示法人"))


def seed(session: Session, *, province: str, today: date, sample_id_number: str | None = None) -> Seeded:
    """Recipients paid from four months ago to this month, registered people with service records, and the demo
    citizen (SAMPLE_ID_NUMBER) with two years of unemployment insurance contributions and a separation reported
    by the employer, so that they can apply for 失业保险金 online and be approved."""
    done = Seeded([], [])
    index = 0
    if sample_id_number is not None:
        sample = registry.find_by_id_number(session, id_number=sample_id_number)
        if sample is not None and not service.open_employments(session, person=sample):
            employer = _employer(session, division=sample.residence_division, index=index)
            index += 1
            last = unemployment_rules.add_months(unemployment_rules.month_start(today), -3)
            relation = insured_career(session, employer=employer, id_number=sample_id_number,
                                      first=unemployment_rules.add_months(last, -23), last=last, wage_fen=600000,
                                      today=today, key=f"demo-unemp-{sample.public_id[:12]}")
            registry.end_employment(session, actor=SYSTEM, employer=employer, relation_id=relation.public_id,
                                    end_date=date(last.year, last.month, 28))
    granted_on = unemployment_rules.add_months(unemployment_rules.month_start(today), -4)
    for person_id, _ in registry.active_person_divisions(session, limit=3001):  # the demo's card holders
        if len(done.recipients) >= RECIPIENTS and len(done.registered) >= REGISTERED:
            break
        person = registry.person_by_pk(session, person_id)
        if person is None or not 25 <= today.year - person.birth_date.year <= 50 \
                or service.open_employments(session, person=person) or service.open_of(session, person_id=person.id):
            continue
        id_number = crypto.cipher().decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE)
        if id_number == sample_id_number:
            continue
        try:
            with session.begin_nested():  # a person the rules refuse leaves nothing behind
                if len(done.recipients) < RECIPIENTS:
                    employer = _employer(session, division=person.residence_division, index=index)
                    _recipient(session, employer=employer, person=person, id_number=id_number,
                               granted_on=granted_on, months=24 + 30 * len(done.recipients), today=today)
                    done.recipients.append((person.name, id_number))
                else:
                    _registered(session, person=person, today=today, index=len(done.registered))
                    done.registered.append((person.name, id_number))
        except DomainError:
            continue
        finally:
            index += 1
    month = granted_on
    while month <= today:
        jobs.run_in(session, actor=SYSTEM, province=province, month=f"{month:%Y-%m}")
        month = unemployment_rules.add_months(month, 1)
    return done


def _recipient(session: Session, *, employer: Any, person: registry.Person, id_number: str, granted_on: date,
               months: int, today: date) -> None:
    last = unemployment_rules.add_months(granted_on, -2)
    first = unemployment_rules.add_months(last, -(months - 1))
    relation = insured_career(session, employer=employer, id_number=id_number, first=first, last=last,
                              wage_fen=600000, today=today, key=f"demo-unemp-{person.public_id[:12]}")
    separated = date(last.year, last.month, 28)
    registry.end_employment(session, actor=SYSTEM, employer=employer, relation_id=relation.public_id,
                            end_date=separated)
    decision = service.check_claim(session, person=person, separation_date=separated,
                                   separation_reason="contract_expired", today=granted_on)
    service.grant(session, actor=SYSTEM, person=person, decision=decision, separation_date=separated,
                  separation_reason="contract_expired", former_employer=employer.name, application_number=None,
                  today=granted_on)


def _registered(session: Session, *, person: registry.Person, today: date, index: int) -> None:
    on = unemployment_rules.add_months(unemployment_rules.month_start(today), -2)
    row = service.register(session, actor=SYSTEM, person=person, data=service.NewRegistration(
        place="residence" if index % 2 == 0 else "workplace", division_code=person.residence_division,
        channel="window", registered_on=on, job_intention=("仓储管理", "餐饮服务", "电子商务运营")[index % 3]))
    for offset, (kind, detail, outcome) in enumerate(SERVICES[: index + 1]):
        service.add_service(session, actor=SYSTEM, registration=row, kind=kind, served_on=date.fromordinal(
            on.toordinal() + 7 * (offset + 1)), detail=detail, outcome=outcome, today=today)
