"""Helpers every part of the registry uses: blind indexes, division and phone checks, the lookup by ID."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from renshe.core import crypto, divisions
from renshe.core.errors import (
    FieldError,
)
from renshe.registry import schemas
from renshe.registry.models import Person

ID_PURPOSE = "person.id_number"
PHONE_PURPOSE = "person.phone"




def id_index(id_number: str) -> bytes:
    return crypto.cipher().blind_index(id_number, purpose=ID_PURPOSE)


def phone_index(phone: str) -> bytes:
    return crypto.cipher().blind_index(phone, purpose=PHONE_PURPOSE)


def division_out(code: str) -> schemas.DivisionOut:
    return schemas.DivisionOut(code=code, name=divisions.full_name(code))


def check_county(code: str | None, field: str, *, required: bool = True) -> list[FieldError]:
    """A residence or employer division must be a current county-level code."""
    if not code:
        return [FieldError(field, "renshe:division/required", "请填写县级行政区划代码")] if required else []
    division = divisions.get(code)
    if division is None or division.level != "county" or divisions.is_placeholder(division):
        return [FieldError(field, "renshe:division/not-county", f"{code} 不是县级行政区划代码")]
    if not division.current:
        return [FieldError(field, "renshe:division/abolished", f"{code}（{division.name}）已撤销，请使用现行代码")]
    return []


def check_phone(phone: str | None, field: str = "phone") -> list[FieldError]:
    if phone is not None and not schemas.PHONE.match(phone):
        return [FieldError(field, "renshe:phone/format", "手机号码应为以1开头的11位数字")]
    return []



# Built once: composing the expression costs more than running the cached statement.
BY_ID_INDEX = select(Person).where(Person.id_number_index == bindparam("index"))


def find_row(session: Session, id_number: str) -> Person | None:
    """The person under this resident ID number (upper-cased and stripped), or None."""
    number = id_number.strip().upper()
    return session.scalar(BY_ID_INDEX, {"index": id_index(number)})
