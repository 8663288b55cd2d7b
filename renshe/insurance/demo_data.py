"""The demo province's social insurance ledger: insured units, employees with several years of declared
bases, assessed and paid months (with two unpaid months and one unmatched receipt at the sample employer),
posted accounts and yearly interest. Average wages are demo figures, labelled as such."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from renshe.core.auth import SYSTEM
from renshe.core.errors import DomainError
from renshe.insurance import accounts, contributions, enrolment, jobs, parameters, rules
from renshe.insurance.models import InsuredUnit
from renshe.registry import schemas as registry_schemas
from renshe.registry import service as registry

DEMO_SOURCE = "演示数据（非统计公报数值）"
MAX_STAFF = 40


@dataclass
class InsuranceDemo:
    units: int = 0
    insured: int = 0
    months: int = 0
    interest_years: int = 0


def seed(session: Session, *, province: str, sample_id_number: str | None, employer_codes: list[str],
         today: date, seed_value: int = 2026, years: int = 3) -> InsuranceDemo:
    """Seed the ledger for the demo (inside the caller's transaction)."""
    rng = random.Random(seed_value)  # noqa: S311 - reproducible demo figures, not secrets
    report = InsuranceDemo()
    parameters.load_defaults(session)
    first_year = today.year - years
    for i, year in enumerate(range(first_year - 1, today.year + 1)):
        parameters.set_value(session, actor=SYSTEM, province=province, key="average_wage",
                             effective_from=date(year, 1, 1), value=str(8500 + 500 * i), source=DEMO_SOURCE)
    start = date(first_year, 1, 1)
    last_month = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    sample = registry.find_by_id_number(session, id_number=sample_id_number) if sample_id_number else None
    units: list[InsuredUnit] = []
    for position, code in enumerate(employer_codes):
        employer = registry.find_employer(session, actor=SYSTEM, credit_code=code)
        if position == 0 and sample is not None and not any(
                r.end_date is None for r in registry.person_employments(session, person=sample)):
            registry.report_employment(session, actor=SYSTEM, employer=employer, data=registry_schemas.EmploymentIn(
                id_number=sample_id_number or "", start_date=start, job_title="技术员"))
        unit = _unit_for(session, employer.id, employer, start, units)
        staff = registry.employer_employments(session, employer=employer, current_only=True, limit=MAX_STAFF)
        if position == 0 and sample is not None:
            staff += [r for r in registry.person_employments(session, person=sample)
                      if r.end_date is None and r not in staff and r.employer_id != employer.id]
        for relation in staff:
            target = unit if relation.employer_id == employer.id else _unit_for(session, relation.employer_id,
                                                                                  relation.employer, start, units)
            try:
                enrolment.enrol_person(session, actor=SYSTEM, unit=target, person=relation.person,
                                       start_date=max(start, relation.start_date))
            except DomainError:
                continue  # already enrolled (the sample's other employer) or not active
            report.insured += 1
    report.units = len(units)
    for unit in units:
        if unit is not units[0] and not enrolment.relations_of_unit(session, unit=unit, open_only=True):
            continue
        relations = enrolment.relations_of_unit(session, unit=unit, open_only=True)
        for year in range(first_year, last_month.year + 1):
            rows = [_row(session, n + 2, insured.person_public_id, rng.randrange(5000, 20000) * 100)
                    for n, insured in enumerate(r for r in relations if r.start_date.year <= year)]
            if rows:
                contributions.declare(session, actor=SYSTEM, unit=unit, year=year, rows=rows,
                                      key=f"demo:{unit.public_id}:{year}")
        month = start
        receipts: list[contributions.ReceiptRow] = []
        paid: list[date] = []
        unpaid = {last_month, _previous(last_month)} if unit is units[0] else set()
        while month <= last_month:
            contributions.assess(session, actor=SYSTEM, unit=unit, month=month)
            report.months += 1
            due = contributions.position(session, unit=unit, month=month, on=today).due_fen
            if due and month not in unpaid:
                paid_on = min(today, date(month.year + (month.month == 12), month.month % 12 + 1, rng.randrange(5, 16)))
                receipts.append(contributions.ReceiptRow(
                    row=len(receipts) + 2, receipt_no=f"DEMO{unit.id:04d}{month:%Y%m}", payer_code=unit.credit_code,
                    insurance_type="110", month=month, amount=rules.yuan(due), paid_on=paid_on))
                paid.append(month)
            month = _next(month)
        if unit is units[0]:
            receipts.append(contributions.ReceiptRow(
                row=len(receipts) + 2, receipt_no="DEMO-UNMATCHED-1", payer_code="91110105MA00000000",
                insurance_type="110", month=last_month, amount="1234.56", paid_on=today))
        if receipts:
            contributions.import_receipts(session, actor=SYSTEM, rows=receipts, batch=f"demo:{unit.public_id}")
        for month in paid:
            accounts.post_month(session, actor=SYSTEM, unit=unit, month=month, on=today)
    for year in range(first_year, today.year):
        jobs.credit_year_in(session, actor=SYSTEM, province=province, year=year)
        report.interest_years += 1
    return report


def _row(session: Session, number: int, person_public_id: str, wage_fen: int) -> contributions.DeclarationRow:
    person = registry.get_person(session, actor=SYSTEM, public_id=person_public_id)
    from renshe.core import crypto

    id_number = crypto.cipher().decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE)
    return contributions.DeclarationRow(row=number, id_number=id_number, declared=rules.yuan(wage_fen))


def _unit_for(session: Session, employer_id: int, employer: object, start: date,
              units: list[InsuredUnit]) -> InsuredUnit:
    found = next((u for u in units if u.employer_id == employer_id), None)
    if found is not None:
        return found
    unit = enrolment.register_unit(session, actor=SYSTEM, employer=employer,  # type: ignore[arg-type]
                                   insurance_type="110", registered_on=start)
    units.append(unit)
    return unit


def _next(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _previous(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
