"""The demo province's social insurance ledger: insured units, employees with several years of declared
bases, assessed and paid months (with two unpaid months and one unmatched receipt at the sample employer),
posted accounts and yearly interest; a flexible worker (灵活就业) who chose bases and paid through the tax
bureau; an older man whose records before this ledger came in by historical data import, with deemed
contribution years (视同缴费年限). Average wages are demo figures, labelled as such."""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy.orm import Session

from renshe.core import ids
from renshe.core.auth import SYSTEM, Principal
from renshe.core.errors import DomainError
from renshe.insurance import accounts, contributions, enrolment, flexible, history, jobs, parameters, rules, service
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
    flexible_worker: tuple[str, str] | None = None  # name, ID number
    deemed_person: tuple[str, str] | None = None  # name, ID number
HISTORY_FROM = 2016  # the demo's historical data starts here (average wages are set from this year)


def seed(session: Session, *, province: str, sample_id_number: str | None, employer_codes: list[str],
         today: date, seed_value: int = 2026, years: int = 3) -> InsuranceDemo:
    """Seed the ledger for the demo (inside the caller's transaction)."""
    rng = random.Random(seed_value)  # noqa: S311 - reproducible demo figures, not secrets
    report = InsuranceDemo()
    parameters.load_defaults(session)
    first_year = today.year - years
    for year in range(HISTORY_FROM, first_year - 1):
        parameters.set_value(session, actor=SYSTEM, province=province, key="average_wage",
                             effective_from=date(year, 1, 1), value=str(6000 + 300 * (year - HISTORY_FROM)),
                             source=DEMO_SOURCE)
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
    if sample is not None:
        county = sample.residence_division
        worker = _new_person(session, county, date(1986, 7, 12), 731, "周灵活")
        _flexible(session, person=worker, province=province, start_year=first_year, today=today, rng=rng)
        report.flexible_worker = (worker.name, _id_number(worker))
        elder = _new_person(session, county, date(1967, 3, 8), 753, "钱视同")
        _history(session, person=elder, first_year=first_year)
        _flexible(session, person=elder, province=province, start_year=first_year, today=today, rng=rng)
        report.deemed_person = (elder.name, _id_number(elder))
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


def _id_number(person: Any) -> str:
    from renshe.core import crypto

    number: str = crypto.cipher().decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE)
    return number


def _new_person(session: Session, county: str, birth: date, sequence: int, name: str) -> Any:
    first17 = f"{county}{birth:%Y%m%d}{sequence:03d}"
    number = first17 + ids.resident_id_check_character(first17)
    found = registry.find_by_id_number(session, id_number=number)
    if found is not None:
        return found
    return registry.register_person(session, actor=SYSTEM, source="demo", data=registry_schemas.PersonIn(
        id_number=number, name=name, phone=f"139{sequence:08d}", residence_division=county,
        real_name_source="public_security"))


def _flexible(session: Session, *, person: Any, province: str, start_year: int, today: date,
              rng: random.Random) -> None:
    """A flexible worker: enrolled from `start_year`, a base chosen each year, every month paid to the tax
    bureau in time except the last two (still payable)."""
    citizen = Principal(kind="citizen", subject=person.public_id, display_name=person.name,
                        division_code=person.residence_division)
    enrolment.enrol_flexible(session, actor=citizen, start_date=date(start_year, 1, 1))
    for year in range(start_year, today.year + 1):
        bounds = flexible.limits(session, province=province, month=date(year, 1, 1))
        base = min(bounds.cap_fen, bounds.floor_fen + rng.randrange(0, 30) * 10000)
        flexible.choose_base(session, actor=citizen, person=person, year=year, base_fen=base, today=today)
    months = flexible.months_of(session, person_id=person.id, on=today)
    number = _id_number(person)
    receipts = [contributions.ReceiptRow(
        row=n + 2, receipt_no=f"DEMOF{person.id:06d}{m.month:%Y%m}", payer_code=number, insurance_type="110",
        month=m.month, amount=rules.yuan(m.due_fen),
        paid_on=min(today, m.deadline, date(m.month.year + (m.month.month == 12), m.month.month % 12 + 1, 10)))
        for n, m in enumerate(months[:-2])]
    service.import_receipts(session, actor=SYSTEM, rows=receipts, batch=f"demo-flex:{person.public_id}")


def _history(session: Session, *, person: Any, first_year: int) -> None:
    """Records before this ledger: months from HISTORY_FROM, the balance at the last year end, and deemed years
    before the individual account system, through the historical data import."""
    book = Workbook()
    sheet = book.active
    if sheet is None:  # a new workbook always has its first sheet
        raise RuntimeError("no sheet")
    sheet.title = history.MONTHS
    sheet.append(["身份证号码", "姓名", "费款所属期", "缴费基数", "个人缴费", "单位缴费", "单位名称"])
    number = _id_number(person)
    months = [date(y, m, 1) for y in range(HISTORY_FROM, first_year) for m in range(1, 13)]
    for month in months:
        base = 6000 + 300 * (month.year - HISTORY_FROM)
        sheet.append([number, person.name, f"{month:%Y-%m}", str(base), str(Decimal(base) * 8 / 100),
                      str(Decimal(base) * 16 / 100), "原杭州第二棉纺厂"])
    balances = book.create_sheet(history.BALANCES)
    balances.append(["身份证号码", "姓名", "截至日期", "个人账户储存额"])
    balances.append([number, person.name, f"{first_year - 1}-12-31", "98765.43"])
    deemed = book.create_sheet(history.DEEMED)
    deemed.append(["身份证号码", "姓名", "起始年月", "终止年月", "认定依据"])
    deemed.append([number, person.name, "1985-09", "1997-12", "浙劳险〔1998〕56号视同缴费年限审批表（演示）"])
    bases = [6000 + 300 * (m.year - HISTORY_FROM) for m in months]
    control = book.create_sheet(history.CONTROL)
    total = Decimal(sum(bases))
    for row in (["项目", "数值"], ["人数", 1], ["缴费月数", len(months)], ["缴费基数合计", str(total)],
                ["个人缴费合计", str(total * 8 / 100)], ["单位缴费合计", str(total * 16 / 100)],
                ["账户余额合计", "98765.43"], ["视同缴费月数", 148]):
        control.append(row)
    with tempfile.TemporaryDirectory(prefix="renshe-demo-") as folder:
        path = Path(folder) / "history.xlsx"
        book.save(path)
        service.import_history(session, actor=SYSTEM, path=path, filename="演示历史数据.xlsx")
