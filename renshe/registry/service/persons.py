"""The person base (人员基础库): registration, lookup, search, updates, duplicates and merges."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from renshe.core import audit, crypto, divisions, ids, search, staff
from renshe.core.auth import Principal, deny
from renshe.core.db import utcnow
from renshe.core.errors import (
    Conflict,
    DomainError,
    FieldError,
    NotFound,
    ValidationFailed,
)
from renshe.core.events import record_event
from renshe.core.paging import decode_cursor, encode_cursor
from renshe.registry import policy, schemas
from renshe.registry.models import EmploymentRelation, Person
from renshe.registry.service.common import (
    ID_PURPOSE,
    PHONE_PURPOSE,
    check_county,
    check_phone,
    division_out,
    find_row,
    id_index,
    phone_index,
)


def person_out(session: Session, person: Person, *, actor: Principal, unmask: bool = False,
               mask_own: bool = False) -> schemas.PersonOut:
    """Shape a person for the caller, masked. Unmasking is audited and needs the named grant, or is the
    person's own asking. A citizen reads their own numbers in full through the API (their own app); pages
    pass `mask_own`, so a screen shows them only when the person asks (anyone beside them reads it too)."""
    own = actor.kind == "citizen" and actor.subject == person.public_id
    reveal = own and not mask_own
    if unmask and not reveal:
        if not own and not staff.has_grant(session, actor, "pii.unmask"):
            raise deny(actor, entity_type="person", entity_id=person.public_id, action="person.unmask",
                       detail="您未被授予查看完整个人信息的权限")
        reveal = True
        audit.record(session, actor=actor, action="person.unmask", entity_type="person",
                     entity_id=person.public_id, after={"fields": ["id_number", "phone"]})
    cipher = crypto.cipher()
    phone = cipher.decrypt(person.phone_encrypted, purpose=PHONE_PURPOSE) if person.phone_encrypted else None
    show = reveal
    return schemas.PersonOut(
        public_id=person.public_id,
        id_number=cipher.decrypt(person.id_number_encrypted, purpose=ID_PURPOSE) if show else person.id_number_masked,
        id_number_masked=not show,
        name=person.name,
        sex=person.sex,
        sex_label=schemas.SEX_LABELS[person.sex],
        birth_date=person.birth_date,
        phone=(phone if show else crypto.mask_phone(phone)) if phone else None,
        phone_masked=not show,
        residence_division=division_out(person.residence_division),
        hukou_division=division_out(person.hukou_division) if person.hukou_division else None,
        status=person.status,
        status_label=schemas.PERSON_STATUS_LABELS[person.status],
        real_name_state=person.real_name_state,
        real_name_state_label=schemas.REAL_NAME_LABELS[person.real_name_state],
        real_name_source=person.real_name_source,
        version=person.version,
    )


def person_summary(person: Person) -> schemas.PersonSummary:
    return schemas.PersonSummary(
        public_id=person.public_id, id_number=person.id_number_masked, name=person.name,
        sex_label=schemas.SEX_LABELS[person.sex], birth_date=person.birth_date,
        residence_division=division_out(person.residence_division),
        status_label=schemas.PERSON_STATUS_LABELS[person.status],
    )


AUDITED_PERSON_FIELDS = ("name", "residence_division", "hukou_division", "status", "real_name_state")


def person_audit_fields(values: dict[str, Any]) -> dict[str, Any]:
    """What the audit log keeps of a person, from its column values (PII masked by the audit module)."""
    kept = {name: values[name] for name in AUDITED_PERSON_FIELDS}
    kept["id_number"] = values["id_number_masked"]
    return kept


def audit_view(person: Person) -> dict[str, Any]:
    return person_audit_fields({name: getattr(person, name) for name in (*AUDITED_PERSON_FIELDS, "id_number_masked")})


@dataclass(frozen=True)
class ValidPerson:
    """A person row checked against every rule, ready to insert."""

    resident: ids.ResidentId
    name: str
    phone: str | None
    residence_division: str
    hukou_division: str | None
    real_name_source: str | None


NAME = re.compile(r"^[\u3400-\u9fff\u00b7·A-Za-z\s]{1,64}$")


def validate_person(data: schemas.PersonIn, *, prefix: str = "") -> ValidPerson:
    """Check every rule for a new person and report all broken ones at once."""
    errors: list[FieldError] = []
    resident: ids.ResidentId | None = None
    try:
        resident = ids.parse_resident_id(data.id_number, field=f"{prefix}id_number")
    except ids.IdentifierError as exc:
        errors.extend(exc.errors)
    if not NAME.match(data.name):
        errors.append(FieldError(f"{prefix}name", "renshe:person/name", "姓名只能包含汉字、字母和间隔号"))
    errors += check_phone(data.phone, f"{prefix}phone")
    errors += check_county(data.residence_division, f"{prefix}residence_division")
    errors += check_county(data.hukou_division, f"{prefix}hukou_division", required=False)
    if resident is not None:
        if data.sex is not None and data.sex != resident.sex:
            errors.append(FieldError(f"{prefix}sex", "renshe:person/sex-mismatch",
                                     f"性别与身份号码不符：号码显示为{resident.sex_label}"))
        if data.birth_date is not None and data.birth_date != resident.birth_date:
            errors.append(FieldError(f"{prefix}birth_date", "renshe:person/birth-date-mismatch",
                                     f"出生日期与身份号码不符：号码显示为{resident.birth_date.isoformat()}"))
    if errors or resident is None:
        raise ValidationFailed(errors)
    return ValidPerson(resident, data.name, data.phone, data.residence_division, data.hukou_division,
                       data.real_name_source)


def new_person_row(valid: ValidPerson, *, source: str) -> dict[str, Any]:
    """Column values for a person (used by single registration, import and the demo generator)."""
    cipher = crypto.cipher()
    number = valid.resident.number
    return {
        "id_number_index": cipher.blind_index(number, purpose=ID_PURPOSE),
        "id_number_encrypted": cipher.encrypt(number, purpose=ID_PURPOSE),
        "id_number_masked": crypto.mask_id_number(number),
        "name": valid.name,
        "sex": valid.resident.sex,
        "birth_date": valid.resident.birth_date,
        "phone_encrypted": cipher.encrypt(valid.phone, purpose=PHONE_PURPOSE) if valid.phone else None,
        "phone_index": cipher.blind_index(valid.phone, purpose=PHONE_PURPOSE) if valid.phone else None,
        "residence_division": valid.residence_division,
        "hukou_division": valid.hukou_division,
        "status": "normal",
        "real_name_state": "verified" if valid.real_name_source else "unverified",
        "real_name_source": valid.real_name_source or (source if source == "import" else None),
        "source": source,
    }


def register_person(session: Session, *, actor: Principal, data: schemas.PersonIn, source: str = "window") -> Person:
    """Register one person (人员登记): one record per resident ID number."""
    policy.require(actor, "person.write")
    valid = validate_person(data)
    if not policy.in_jurisdiction(actor, valid.residence_division):
        raise deny(actor, entity_type="division", entity_id=valid.residence_division, action="person.register",
                   detail="不能在本辖区以外登记人员")
    if session.scalar(select(Person.id).where(Person.id_number_index == id_index(valid.resident.number))):
        raise Conflict("该公民身份号码已登记，不能重复登记", code="renshe:person/duplicate")
    person = Person(**new_person_row(valid, source=source))
    if person.real_name_state == "verified":
        person.real_name_verified_at = utcnow()
    session.add(person)
    try:
        session.flush()
    except IntegrityError:  # a concurrent registration of the same number won the race
        raise Conflict("该公民身份号码已登记，不能重复登记", code="renshe:person/duplicate") from None
    audit.record(session, actor=actor, action="person.register", entity_type="person", entity_id=person.public_id,
                 after=audit_view(person))
    record_event(session, "registry.person_registered",
                 {"person": person.public_id, "division": person.residence_division, "source": source})
    return person


def find_person(session: Session, *, actor: Principal, id_number: str) -> Person:
    """Look up a person by resident ID number within the caller's reach (403 outside, audited)."""
    person = find_row(session, id_number)
    if person is None:
        raise NotFound("该人员", code="renshe:person/not-found")
    if not policy.can_see_person(actor, person, session):
        raise deny(actor, entity_type="person", entity_id=person.public_id, action="person.read",
                   detail="该人员不在您的辖区内，无权查看")
    return person


def get_person(session: Session, *, actor: Principal, public_id: str) -> Person:
    person = session.scalar(select(Person).where(Person.public_id == public_id))
    if person is None:
        raise NotFound("该人员", code="renshe:person/not-found")
    if not policy.can_see_person(actor, person, session):
        raise deny(actor, entity_type="person", entity_id=person.public_id, action="person.read",
                   detail="该人员不在您的辖区内，无权查看")
    return person


def scoped_persons(actor: Principal) -> Select[Person]:
    """Persons the staff caller may see, before any other filter or paging."""
    policy.require(actor, "person.read")
    prefix = divisions.scope_prefix(actor.division_code)
    stmt = select(Person)
    if prefix:
        stmt = stmt.where(Person.residence_division.startswith(prefix))
    return stmt


def search_persons(
    session: Session, *, actor: Principal, q: str | None = None, division: str | None = None,
    limit: int = 20, cursor: str | None = None,
) -> tuple[list[Person], str | None]:
    """Search by resident ID number or name within jurisdiction, newest registration last, paged."""
    limit = max(1, min(limit, 200))
    stmt = scoped_persons(actor).where(Person.id > decode_cursor(cursor))
    q = (q or "").strip()
    if q:
        compact = q.upper()
        if len(compact) in (15, 18) and compact[:-1].isdigit():
            stmt = stmt.where(Person.id_number_index == id_index(compact))
        else:
            stmt = stmt.where(or_(Person.name == q, search.starts_with(Person.name, q)))
    if division:
        stmt = stmt.where(search.starts_with(Person.residence_division, divisions.scope_prefix(division)))
    rows = list(session.scalars(stmt.order_by(Person.id).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def update_person(
    session: Session, *, actor: Principal, person: Person, changes: schemas.PersonUpdate, expected_version: int | None,
) -> Person:
    """Change contact, residence or status, guarded by the version the caller last saw (If-Match)."""
    policy.require(actor, "person.write")
    if not policy.can_see_person(actor, person):
        raise deny(actor, entity_type="person", entity_id=person.public_id, action="person.update",
                   detail="该人员不在您的辖区内，无权修改")
    if expected_version is not None and expected_version != person.version:
        raise DomainError("renshe:person/stale", "该人员信息已被他人修改，请刷新后重试", 412, "版本已过期")
    if person.status == "merged":
        raise Conflict("该记录已合并，不能修改", code="renshe:person/merged")
    errors = check_phone(changes.phone)
    if changes.residence_division is not None:
        errors += check_county(changes.residence_division, "residence_division")
    if changes.hukou_division is not None:
        errors += check_county(changes.hukou_division, "hukou_division")
    if errors:
        raise ValidationFailed(errors)
    if changes.residence_division and not policy.in_jurisdiction(actor, changes.residence_division):
        # moving someone out of one's own area is a transfer, not an edit
        raise deny(actor, entity_type="division", entity_id=changes.residence_division, action="person.update",
                   detail="不能把人员迁到本辖区以外，请办理转移")
    before = audit_view(person)
    cipher = crypto.cipher()
    if changes.phone is not None:
        person.phone_encrypted = cipher.encrypt(changes.phone, purpose=PHONE_PURPOSE)
        person.phone_index = phone_index(changes.phone)
    for name in ("residence_division", "hukou_division", "status"):
        value = getattr(changes, name)
        if value is not None:
            setattr(person, name, value)
    try:
        session.flush()
    except StaleDataError:
        raise DomainError("renshe:person/stale", "该人员信息已被他人修改，请刷新后重试", 412, "版本已过期") from None
    after = audit_view(person)
    if changes.phone is not None:
        after["phone_changed"] = True
    audit.record(session, actor=actor, action="person.update", entity_type="person", entity_id=person.public_id,
                 before=before, after=after)
    record_event(session, "registry.person_changed", {"person": person.public_id,
                                                      "division": person.residence_division})
    return person


def duplicate_candidates(session: Session, *, actor: Principal, person: Person) -> list[Person]:
    """Other records with the same name, sex and birth date: likely one person keyed twice (疑似重复)."""
    stmt = scoped_persons(actor).where(
        Person.name == person.name, Person.birth_date == person.birth_date, Person.sex == person.sex,
        Person.id != person.id, Person.status != "merged",
    )
    return list(session.scalars(stmt.order_by(Person.id).limit(20)))


def merge_persons(session: Session, *, actor: Principal, keep: Person, duplicate: Person, reason: str) -> Person:
    """Merge a duplicate record into `keep`: its employment moves over, it is marked merged. Audited in full."""
    policy.require(actor, "person.merge")
    if not policy.can_see_person(actor, keep) or not policy.can_see_person(actor, duplicate):
        raise deny(actor, entity_type="person", entity_id=keep.public_id, action="person.merge",
                   detail="该人员不在您的辖区内，无权合并")
    if duplicate.id == keep.id:
        raise Conflict("不能把记录合并到它自己", code="renshe:person/merge-self")
    if duplicate.status == "merged" or keep.status == "merged":
        raise Conflict("已合并的记录不能再次合并", code="renshe:person/merged")
    moved = list(session.scalars(select(EmploymentRelation).where(EmploymentRelation.person_id == duplicate.id)))
    for relation in moved:
        relation.person_id = keep.id
    before = audit_view(duplicate)
    duplicate.status = "merged"
    duplicate.merged_into_id = keep.id
    session.flush()
    detail = {"merged_into": keep.public_id, "reason": reason, "employment_moved": [r.public_id for r in moved]}
    audit.record(session, actor=actor, action="person.merge", entity_type="person", entity_id=duplicate.public_id,
                 before=before, after={**audit_view(duplicate), **detail})
    audit.record(session, actor=actor, action="person.merge_target", entity_type="person", entity_id=keep.public_id,
                 after={"merged_from": duplicate.public_id, "reason": reason})
    record_event(session, "registry.person_merged", {"kept": keep.public_id, "merged": duplicate.public_id})
    return keep
