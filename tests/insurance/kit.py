"""Shared set-up of the ledger tests: a province with an average wage, an employer with an insured unit,
employees in the person base with open employment relations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from renshe.core.auth import SYSTEM, Principal
from renshe.insurance import enrolment, parameters
from renshe.insurance.models import InsuredUnit
from renshe.registry import schemas
from renshe.registry import service as registry
from tests import factories

BEIJING = "110000"


@dataclass
class Unit:
    employer_public_id: str
    credit_code: str
    agent: Principal
    unit: InsuredUnit
    id_numbers: list[str]


def agent_of(employer_public_id: str, name: str = "单位经办人") -> Principal:
    return Principal(kind="employer", subject=employer_public_id, display_name=name, division_code="110105")


def system() -> Principal:
    return SYSTEM


def citizen_of(person_public_id: str, name: str, division: str = "110105") -> Principal:
    return Principal(kind="citizen", subject=person_public_id, display_name=name, division_code=division)


def average_wage(session: Session, value: str = "10000", since: date = date(2020, 1, 1)) -> None:
    parameters.load_defaults(session)
    parameters.set_value(session, actor=SYSTEM, province=BEIJING, key="average_wage", effective_from=since,
                         value=value, source="测试：演示月平均工资")


def employer_with_staff(session: Session, *, people: int = 2, hired: date = date(2023, 1, 1),
                        registered_on: date = date(2023, 1, 1), name: str = "测试科技有限公司") -> Unit:
    employer = factories.employer(session, name=name)
    agent = agent_of(employer.public_id)
    unit = enrolment.register_unit(session, actor=agent, employer=employer, insurance_type="110",
                                   registered_on=registered_on)
    numbers = []
    for n in range(people):
        number = factories.resident_id("110105", date(1980 + n, 3, 9), male=n % 2 == 0)
        factories.person(session, id_number=number, name=f"职工{'甲乙丙丁戊己庚辛壬癸'[n % 10]}")
        registry.report_employment(session, actor=SYSTEM, employer=employer,
                                   data=schemas.EmploymentIn(id_number=number, start_date=hired))
        numbers.append(number)
    return Unit(employer.public_id, employer.credit_code, agent, unit, numbers)
