"""The registry's public surface: how other domains find a person (never through registry.models)."""

from __future__ import annotations

from collections.abc import Collection
from typing import cast

from sqlalchemy import Connection, Select, bindparam, select
from sqlalchemy.orm import Session

from renshe.core import ids
from renshe.core.auth import Principal, deny
from renshe.core.errors import (
    NotFound,
    Unauthorized,
    ValidationFailed,
)
from renshe.registry import policy, schemas
from renshe.registry.models import EmploymentRelation, Person
from renshe.registry.service.common import (
    BY_ID_INDEX,
    find_row,
    id_index,
)
from renshe.registry.service.persons import get_person, person_out

# Other domains reach the person base only through these functions (and the `Person` type they
# return), never through `renshe.registry.models`; the import contracts check it.


def find_by_id_number(session: Session, *, id_number: str) -> Person | None:
    """The person with this (already validated) resident ID number, for services that authorise the
    caller themselves (the data-sharing gateway checks the consumer's grant). Never returned as is."""
    return find_row(session, id_number)


def person_by_id_number(session: Session, *, id_number: str, field: str = "id_number") -> Person | None:
    """Validate a resident ID number and return the person registered under it, or None.

    A malformed number raises `ValidationFailed` naming `field` and the broken rule
    (`renshe:id-number/...`); the caller decides what "not registered" means for it."""
    try:
        number = ids.parse_resident_id(id_number, field=field).number
    except ids.IdentifierError as exc:
        raise ValidationFailed(exc.errors) from None
    return session.scalar(BY_ID_INDEX, {"index": id_index(number)})


def person_by_pk(session: Session, person_id: int) -> Person | None:
    """The person with this internal key (for records that point at a person)."""
    return session.get(Person, person_id)


def person_pk(session: Session, *, public_id: str) -> int | None:
    """The internal key of the person with this public id, without loading the row."""
    return session.scalar(select(Person.id).where(Person.public_id == public_id))


def public_id_of(session: Session, person_id: int) -> str:
    """The public id of the person with this internal key ("" if there is none)."""
    return session.scalar(select(Person.public_id).where(Person.id == person_id)) or ""


def person_of(session: Session, *, principal: Principal) -> Person:
    """The signed-in citizen's own person record (401 on another entrance)."""
    if principal.kind != "citizen":
        raise Unauthorized("请使用个人入口登录", code="renshe:auth/wrong-entrance")
    return get_person(session, actor=principal, public_id=principal.subject)


def open_employment_persons() -> Select[int]:
    """The internal keys of persons with an employment relation no employer has reported ended, as a
    subquery for another domain's set-based reads (`column.in_(registry.open_employment_persons())`)."""
    return select(EmploymentRelation.person_id).where(EmploymentRelation.end_date.is_(None))


def employed_among(session: Session, *, person_ids: Collection[int]) -> set[int]:
    """Which of these persons have an open employment relation (one query for a page of records)."""
    if not person_ids:
        return set()
    return set(session.scalars(open_employment_persons().where(
        EmploymentRelation.person_id.in_(list(person_ids))).distinct()))


def persons_with_phone(session: Session, *, division_prefix: str, limit: int) -> list[Person]:
    """Active persons of a division who can receive a one-time code (demo data and samples)."""
    return list(session.scalars(select(Person).where(
        Person.residence_division.startswith(division_prefix), Person.phone_encrypted.is_not(None),
        Person.status == "normal").order_by(Person.residence_division, Person.id).limit(limit)))


def active_person_divisions(session: Session, *, limit: int) -> list[tuple[int, str]]:
    """(internal key, residence division) of the first active persons (demo data)."""
    rows = session.execute(select(Person.id, Person.residence_division).where(Person.status == "normal")
                           .order_by(Person.id).limit(limit))
    return [(row[0], row[1]) for row in rows]


_IDENTITY_FACTS = select(Person.name, Person.status).where(Person.id_number_index == bindparam("index"))


def identity_facts(session: Session | Connection, *, index: bytes) -> tuple[str, str] | None:
    """(name, status) of the person with this ID number's blind index (`id_index`), or None: one indexed
    Core read without loading the row, for the gateway's identity check (its caller authorises)."""
    row = session.execute(_IDENTITY_FACTS, {"index": index}).first()
    return (row[0], row[1]) if row is not None else None


_PERSON_BY_INDEX = select(*Person.__table__.columns).where(Person.id_number_index == bindparam("index"))


def person_view(session: Session | Connection, *, actor: Principal, id_number: str) -> schemas.PersonOut:
    """The person with this resident ID number as the caller may see it (masked), from one indexed Core
    read: 404 when unknown, 403 outside the caller's reach (audited by the web layer). The number is
    normalised and blind-indexed once. Unmasking goes through `find_person` and `person_out`."""
    row = session.execute(_PERSON_BY_INDEX, {"index": id_index(id_number.strip().upper())}).mappings().first()
    if row is None:
        raise NotFound("该人员", code="renshe:person/not-found")
    person = Person(**row)  # transient: read by the checks and the shaping below, never added to a session
    # can_see_person and person_out only run `scalar` on it (an employer's check), which a Connection has too
    reader = cast(Session, session)
    if not policy.can_see_person(actor, person, reader):
        raise deny(actor, entity_type="person", entity_id=person.public_id, action="person.read",
                   detail="该人员不在您的辖区内，无权查看")
    return person_out(reader, person, actor=actor)
