"""Factories for kernel data: valid resident IDs and credit codes, persons, employers, staff, tokens."""

from __future__ import annotations

import itertools
import random
from datetime import date

from sqlalchemy.orm import Session

from renshe import demo
from renshe.core import staff
from renshe.core.auth import SYSTEM, Principal, issue_token
from renshe.registry import schemas, service
from renshe.registry.models import Employer, Person

_sequence = itertools.count(1)
_rng = random.Random(7)


def resident_id(county: str = "110105", birth: date = date(1980, 5, 17), *, male: bool = True) -> str:
    """A fresh valid resident ID number for the county and birth date."""
    n = next(_sequence) % 499
    return demo.resident_id(county, birth, n * 2 + (1 if male else 0))


def credit_code(county: str = "110105") -> str:
    return demo.credit_code(_rng, county)


def person(session: Session, *, county: str = "110105", name: str = "张三", phone: str | None = "13812345678",
           birth: date = date(1980, 5, 17), male: bool = True, id_number: str | None = None) -> Person:
    data = schemas.PersonIn(id_number=id_number or resident_id(county, birth, male=male), name=name, phone=phone,
                            residence_division=county)
    return service.register_person(session, actor=SYSTEM, data=data)


def employer(session: Session, *, county: str = "110105", name: str = "测试科技有限公司",
             password: str | None = "secret-pass") -> Employer:
    data = schemas.EmployerIn(credit_code=credit_code(county), name=name, division_code=county,
                              legal_representative="李四")
    return service.register_employer(session, actor=SYSTEM, data=data, agent_password=password)


def staff_user(session: Session, *, username: str, roles: tuple[str, ...] = ("clerk",), division: str = "110105",
               password: str = "pass-word") -> Principal:
    staff.create_user(session, actor=SYSTEM, new=staff.NewStaff(
        username=username, display_name=username, password=password, roles=roles, division_code=division))
    session.flush()
    principal = staff.active_principal(session, username)
    assert principal is not None
    return principal


def bearer(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(principal, minutes=10)}"}
