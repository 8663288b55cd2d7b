"""The demo province's retirees: a working life of contributions in the ledger for a few persons who
reached their statutory retirement month in the last months (so the hall's 退休申请 approves them), and
the monthly payment runs from their first month to the current one. Wages before the ledger demo's own
years are demo figures, labelled as such.

`prepare` runs before the ledger demo (parameters cannot be set inside an assessed period); `careers`
after it; the applications go through the hall (`renshe.hall.demo.retirements`); `payments` last.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from renshe.core import crypto
from renshe.core.auth import SYSTEM
from renshe.core.errors import DomainError
from renshe.insurance import accounts, contributions, enrolment, parameters, rules
from renshe.insurance import demo_data as ledger_demo
from renshe.pension import jobs as pension_jobs
from renshe.pension import rules as pension_rules
from renshe.pension import service
from renshe.registry import schemas as registry_schemas
from renshe.registry import service as registry

NATIONAL = "000000"
DEMO_SOURCE = "演示数据（非统计公报数值）"
CAREER_YEARS = 16
RETIREES = 3


@dataclass
class Retiree:
    person_public_id: str
    id_number: str
    retirement_month: date
    name: str = ""


EARLIER_RULES = (  # the contribution rules before the national defaults' 2019-05-01 values
    ("base_floor_ratio", "0.60",
     "劳办发〔1997〕116号《职工基本养老保险个人账户管理暂行办法》：缴费工资低于当地职工平均工资60%的按60%计"),
    ("base_cap_ratio", "3.00",
     "劳办发〔1997〕116号《职工基本养老保险个人账户管理暂行办法》：超过当地职工平均工资300%的部分不计"),
    ("rate.110.employer", "0.20",
     "国发〔2005〕38号：企业缴费比例一般不超过企业工资总额的20%（各省确定，此为演示配置）"),
    ("rate.110.individual", "0.08", "国发〔2005〕38号：个人缴费比例8%，全部记入个人账户"),
    ("payment_due_day", "15", "次月15日前缴纳（演示配置）"),
    ("late_surcharge_daily_rate", "0.002",
     "《社会保险费征缴暂行条例》（国务院令第259号）第十三条：按日加收千分之二的滞纳金"),
)


def earlier_rules(session: Session, *, province: str, since: date) -> None:
    """The province's contribution rules from SINCE until the national defaults of 2019-05-01 take over."""
    parameters.load_defaults(session)
    for key, value, source in EARLIER_RULES:
        parameters.set_value(session, actor=SYSTEM, province=province, key=key, effective_from=since, value=value,
                             source=source)
        # A province's own value wins over a national one of any date: the later national values are
        # repeated for the province from their own dates, so the earlier rule stops where they start.
        for row in parameters.history(session, province=NATIONAL, key=key):
            if row.effective_from > since:
                parameters.set_value(session, actor=SYSTEM, province=province, key=key,
                                     effective_from=row.effective_from, value=row.value, source=row.source)


def prepare(session: Session, *, province: str, today: date, ledger_years: int = 3) -> int:
    """Average wages of the years before the ledger demo's (which sets its own from `today.year - years - 1`),
    and the contribution rules of those years."""
    parameters.load_defaults(session)
    first = today.year - CAREER_YEARS - 4
    earlier_rules(session, province=province, since=date(first, 1, 1))
    # the ledger demo sets its own average wages from its historical data's first year on
    last = min(today.year - ledger_years - 2, ledger_demo.HISTORY_FROM - 1)
    for i, year in enumerate(range(first, last + 1)):
        parameters.set_value(session, actor=SYSTEM, province=province, key="average_wage",
                             effective_from=date(year, 1, 1), value=str(4000 + 280 * i), source=DEMO_SOURCE)
    return last - first + 1


def _next(month: date) -> date:
    return service.next_month(month)


def career(session: Session, *, employer: Any, id_number: str, first: date, last: date,
           wages_fen: dict[int, int], today: date, key: str) -> Any:
    """A working life in the ledger through its own rules: an insured unit of one employee, a declaration
    each year, every month assessed and paid (tax-bureau receipts), and posted into the account."""
    unit = enrolment.register_unit(session, actor=SYSTEM, employer=employer, insurance_type="110", registered_on=first)
    person = registry.find_by_id_number(session, id_number=id_number)
    if person is None:
        raise LookupError("the retiree is not in the person base")
    registry.report_employment(session, actor=SYSTEM, employer=employer, data=registry_schemas.EmploymentIn(
        id_number=id_number, start_date=first, job_title="职工"))
    enrolment.enrol_person(session, actor=SYSTEM, unit=unit, person=person, start_date=first)
    for year in range(first.year, last.year + 1):
        row = contributions.DeclarationRow(row=2, id_number=id_number, declared=rules.yuan(wages_fen[year]))
        contributions.declare(session, actor=SYSTEM, unit=unit, year=year, rows=[row], key=f"{key}:{year}")
    receipts: list[contributions.ReceiptRow] = []
    month = first
    while month <= last:
        contributions.assess(session, actor=SYSTEM, unit=unit, month=month)
        due = sum(d.employer_fen + d.individual_fen for d in contributions.dues_of_month(session, unit=unit,
                                                                                          month=month))
        receipts.append(contributions.ReceiptRow(
            row=len(receipts) + 2, receipt_no=f"{key}-{month:%Y%m}"[-40:], payer_code=unit.credit_code,
            insurance_type="110", month=month, amount=rules.yuan(due), paid_on=min(today, _next(month))))
        month = _next(month)
    contributions.import_receipts(session, actor=SYSTEM, rows=receipts, batch=key[-64:])
    for receipt in receipts:
        accounts.post_month(session, actor=SYSTEM, unit=unit, month=receipt.month, on=today)
    return unit


def careers(session: Session, *, province: str, employer_codes: list[str], today: date,
            seed_value: int = 2026) -> list[Retiree]:
    """Give up to three card holders of the demo, whose statutory retirement month fell 3 to 30 months
    ago, a working life of contributions ending the month before it."""
    rng = random.Random(seed_value)  # noqa: S311 - reproducible demo figures, not secrets
    if not employer_codes:
        return []
    employer = registry.find_employer(session, actor=SYSTEM, credit_code=employer_codes[-1])
    latest = service.month_start(pension_rules.Month(today.year, today.month).plus(-3))
    earliest = service.month_start(pension_rules.Month(today.year, today.month).plus(-30))
    found: list[Retiree] = []
    for person_id, _ in registry.active_person_divisions(session, limit=3001):  # the demo's card holders
        person = registry.person_by_pk(session, person_id)
        if person is None or person.sex not in ("1", "2"):
            continue
        birth = pension_rules.Month(person.birth_date.year, person.birth_date.month)
        sex = "male" if person.sex == "1" else "female"
        statutory = service.month_start(pension_rules.retirement_age(birth=birth, sex=sex).retirement_month)
        if not earliest <= statutory <= latest:
            continue
        first = date(statutory.year - CAREER_YEARS, statutory.month, 1)
        last = date(statutory.year - (statutory.month == 1), (statutory.month - 2) % 12 + 1, 1)
        wages: dict[int, int] = {}
        for year in range(first.year, last.year + 1):
            wage = parameters.find(session, province=province, key="average_wage", on=date(year, 12, 31))
            if wage is None:
                break
            wages[year] = int(wage.decimal * 100 * rng.randrange(80, 150) // 100)
        else:
            id_number = crypto.cipher().decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE)
            try:
                career(session, employer=employer, id_number=id_number, first=first, last=last, wages_fen=wages,
                       today=today, key=f"demo-retiree-{person.public_id[:12]}")
            except DomainError:
                continue
            found.append(Retiree(person.public_id, id_number, statutory, person.name))
            if len(found) >= RETIREES:
                break
    # No interest run for the years before the ledger demo's: a year's run is province-wide and once only,
    # and those years are left for the interest batch's own demonstrations (its kill test uses 2019).
    return found


def payments(session: Session, *, province: str, today: date) -> int:
    """The monthly payment runs of the awards in payment, from the earliest start month to this one."""
    month = date(today.year, 1, 1)
    for award in service.awards(session, actor=SYSTEM, limit=200)[0]:
        month = min(month, award.start_month)
    runs = 0
    while month <= today:
        pension_jobs.run_in(session, actor=SYSTEM, kind="pay", province=province, period=service.month_text(month))
        runs += 1
        month = _next(month)
    return runs
