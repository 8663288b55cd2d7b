"""Rules of the person base, the employer base and employment relations. The only code that writes them.

Every function takes the caller (`actor`) and scopes what it reads or writes to the caller's
jurisdiction: staff see their division and below, a citizen sees themself, an employer's agent sees
the employer and the people it reports.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import Connection, Select, bindparam, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from renshe.core import audit, crypto, divisions, ids, staff
from renshe.core.auth import Principal, deny, hash_password, verify_password
from renshe.core.db import utcnow
from renshe.core.errors import (
    Conflict,
    DomainError,
    FieldError,
    NotFound,
    Unauthorized,
    ValidationFailed,
)
from renshe.core.events import record_event
from renshe.core.paging import decode_cursor, encode_cursor
from renshe.registry import schemas
from renshe.registry.models import Employer, EmploymentRelation
from renshe.registry.models import Person as Person  # the type other domains name through this surface

ID_PURPOSE = "person.id_number"
PHONE_PURPOSE = "person.phone"


# ---------------------------------------------------------------- helpers


def id_index(id_number: str) -> bytes:
    return crypto.cipher().blind_index(id_number, purpose=ID_PURPOSE)


def phone_index(phone: str) -> bytes:
    return crypto.cipher().blind_index(phone, purpose=PHONE_PURPOSE)


def _division(code: str) -> schemas.DivisionOut:
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


# ---------------------------------------------------------------- persons


def can_see_person(actor: Principal, person: Person, session: Session | None = None) -> bool:
    if actor.kind in {"staff", "system"}:
        return actor.has("person.read") and actor.can_reach(person.residence_division)
    if actor.kind == "citizen":
        return actor.subject == person.public_id
    if actor.kind == "employer" and session is not None:
        stmt = (
            select(EmploymentRelation.id)
            .join(Employer, Employer.id == EmploymentRelation.employer_id)
            .where(Employer.public_id == actor.subject, EmploymentRelation.person_id == person.id)
            .limit(1)
        )
        return session.scalar(stmt) is not None
    return False


def person_out(session: Session, person: Person, *, actor: Principal, unmask: bool = False) -> schemas.PersonOut:
    """Shape a person for the caller; unmasking needs the named grant and is audited."""
    reveal = False
    if unmask:
        if not staff.has_grant(session, actor, "pii.unmask"):
            raise deny(actor, entity_type="person", entity_id=person.public_id, action="person.unmask",
                       detail="您未被授予查看完整个人信息的权限")
        reveal = True
        audit.record(session, actor=actor, action="person.unmask", entity_type="person",
                     entity_id=person.public_id, after={"fields": ["id_number", "phone"]})
    cipher = crypto.cipher()
    phone = cipher.decrypt(person.phone_encrypted, purpose=PHONE_PURPOSE) if person.phone_encrypted else None
    # A citizen sees their own data in full; it is theirs.
    own = actor.kind == "citizen" and actor.subject == person.public_id
    show = reveal or own
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
        residence_division=_division(person.residence_division),
        hukou_division=_division(person.hukou_division) if person.hukou_division else None,
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
        residence_division=_division(person.residence_division),
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
    actor.require("person.write")
    valid = validate_person(data)
    if not actor.can_reach(valid.residence_division):
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


# Built once: composing the expression costs more than running the cached statement.
_BY_ID_INDEX = select(Person).where(Person.id_number_index == bindparam("index"))


def _find(session: Session, id_number: str) -> Person | None:
    number = id_number.strip().upper()
    return session.scalar(_BY_ID_INDEX, {"index": id_index(number)})


def find_person(session: Session, *, actor: Principal, id_number: str) -> Person:
    """Look up a person by resident ID number within the caller's reach (403 outside, audited)."""
    person = _find(session, id_number)
    if person is None:
        raise NotFound("该人员", code="renshe:person/not-found")
    if not can_see_person(actor, person, session):
        raise deny(actor, entity_type="person", entity_id=person.public_id, action="person.read",
                   detail="该人员不在您的辖区内，无权查看")
    return person


def get_person(session: Session, *, actor: Principal, public_id: str) -> Person:
    person = session.scalar(select(Person).where(Person.public_id == public_id))
    if person is None:
        raise NotFound("该人员", code="renshe:person/not-found")
    if not can_see_person(actor, person, session):
        raise deny(actor, entity_type="person", entity_id=person.public_id, action="person.read",
                   detail="该人员不在您的辖区内，无权查看")
    return person


def scoped_persons(actor: Principal) -> Select[Person]:
    """Persons the staff caller may see, before any other filter or paging."""
    actor.require("person.read")
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
            stmt = stmt.where(or_(Person.name == q, Person.name.startswith(q)))
    if division:
        stmt = stmt.where(Person.residence_division.startswith(divisions.scope_prefix(division)))
    rows = list(session.scalars(stmt.order_by(Person.id).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def update_person(
    session: Session, *, actor: Principal, person: Person, changes: schemas.PersonUpdate, expected_version: int | None,
) -> Person:
    """Change contact, residence or status, guarded by the version the caller last saw (If-Match)."""
    actor.require("person.write")
    if not can_see_person(actor, person):
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
    if changes.residence_division and not actor.can_reach(changes.residence_division):
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
    actor.require("person.merge")
    if not can_see_person(actor, keep) or not can_see_person(actor, duplicate):
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


# ---------------------------------------------------------------- employers


def employer_out(employer: Employer) -> schemas.EmployerOut:
    return schemas.EmployerOut(
        public_id=employer.public_id, credit_code=employer.credit_code, name=employer.name,
        entity_type=employer.entity_type, entity_type_label=ids.USCC_ENTITY_TYPES.get(employer.entity_type, ""),
        division=_division(employer.division_code),
        legal_representative=employer.legal_representative, status=employer.status,
        status_label=schemas.EMPLOYER_STATUS_LABELS[employer.status], version=employer.version,
    )


@dataclass(frozen=True)
class ValidEmployer:
    credit: ids.CreditCode
    name: str
    division_code: str
    legal_representative: str


def validate_employer(data: schemas.EmployerIn, *, prefix: str = "") -> ValidEmployer:
    errors: list[FieldError] = []
    credit: ids.CreditCode | None = None
    try:
        credit = ids.parse_credit_code(data.credit_code, field=f"{prefix}credit_code")
    except ids.IdentifierError as exc:
        errors.extend(exc.errors)
    errors += check_county(data.division_code, f"{prefix}division_code")
    if not data.legal_representative.strip():
        errors.append(FieldError(f"{prefix}legal_representative", "renshe:employer/legal-rep", "请填写法定代表人"))
    if errors or credit is None:
        raise ValidationFailed(errors)
    return ValidEmployer(credit, data.name, data.division_code, data.legal_representative)


def new_employer_row(valid: ValidEmployer, *, source: str, agent_password_hash: str | None = None) -> dict[str, Any]:
    return {
        "credit_code": valid.credit.code, "name": valid.name, "entity_type": valid.credit.entity_type,
        "division_code": valid.division_code, "legal_representative": valid.legal_representative,
        "status": "active", "source": source, "agent_password_hash": agent_password_hash,
    }


def can_see_employer(actor: Principal, employer: Employer) -> bool:
    if actor.kind in {"staff", "system"}:
        return actor.has("employer.read") and actor.can_reach(employer.division_code)
    return actor.kind == "employer" and actor.subject == employer.public_id


def register_employer(
    session: Session, *, actor: Principal, data: schemas.EmployerIn, source: str = "window",
    agent_password: str | None = None,
) -> Employer:
    """Register an employer (单位登记) by its unified social credit code."""
    actor.require("employer.write")
    valid = validate_employer(data)
    if not actor.can_reach(valid.division_code):
        raise deny(actor, entity_type="division", entity_id=valid.division_code, action="employer.register",
                   detail="不能在本辖区以外登记单位")
    if session.scalar(select(Employer.id).where(Employer.credit_code == valid.credit.code)):
        raise Conflict("该统一社会信用代码已登记", code="renshe:employer/duplicate")
    employer = Employer(**new_employer_row(
        valid, source=source, agent_password_hash=hash_password(agent_password) if agent_password else None))
    session.add(employer)
    session.flush()
    audit.record(session, actor=actor, action="employer.register", entity_type="employer",
                 entity_id=employer.public_id,
                 after={"credit_code": employer.credit_code, "name": employer.name,
                        "division_code": employer.division_code})
    record_event(session, "registry.employer_registered",
                 {"employer": employer.public_id, "division": employer.division_code})
    return employer


def find_employer(session: Session, *, actor: Principal, credit_code: str) -> Employer:
    employer = session.scalar(select(Employer).where(Employer.credit_code == credit_code.strip().upper()))
    if employer is None:
        raise NotFound("该单位", code="renshe:employer/not-found")
    if not can_see_employer(actor, employer):
        raise deny(actor, entity_type="employer", entity_id=employer.public_id, action="employer.read",
                   detail="该单位不在您的辖区内，无权查看")
    return employer


def search_employers(
    session: Session, *, actor: Principal, q: str | None = None, limit: int = 20, cursor: str | None = None,
) -> tuple[list[Employer], str | None]:
    actor.require("employer.read")
    limit = max(1, min(limit, 200))
    stmt = select(Employer).where(Employer.id > decode_cursor(cursor))
    prefix = divisions.scope_prefix(actor.division_code)
    if prefix:
        stmt = stmt.where(Employer.division_code.startswith(prefix))
    q = (q or "").strip()
    if q:
        stmt = stmt.where(or_(Employer.credit_code == q.upper(), Employer.name.contains(q)))
    rows = list(session.scalars(stmt.order_by(Employer.id).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def authenticate_employer(session: Session, *, credit_code: str, password: str) -> Principal:
    """An employer's agent signs in with the credit code and the unit's password."""
    employer = session.scalar(select(Employer).where(Employer.credit_code == credit_code.strip().upper()))
    ok = (
        employer is not None and employer.status == "active" and employer.agent_password_hash is not None
        and verify_password(employer.agent_password_hash, password)
    )
    who = Principal(kind="employer", subject=employer.public_id if employer else credit_code[:64],
                    display_name=employer.name if employer else "", division_code=employer.division_code if employer
                    else divisions.MINISTRY)
    if not ok or employer is None:
        error = Unauthorized("统一社会信用代码或密码错误", code="renshe:auth/bad-credentials")
        error.audit = {"actor": who, "action": "auth.employer_sign_in", "entity_type": "employer",
                       "entity_id": who.subject}
        raise error
    audit.record(session, actor=who, action="auth.employer_sign_in", entity_type="employer",
                 entity_id=employer.public_id)
    return who


# ---------------------------------------------------------------- employment relations


def employment_out(relation: EmploymentRelation) -> schemas.EmploymentOut:
    return schemas.EmploymentOut(
        public_id=relation.public_id, person_name=relation.person.name,
        person_id_number=relation.person.id_number_masked, employer_name=relation.employer.name,
        employer_credit_code=relation.employer.credit_code, start_date=relation.start_date,
        end_date=relation.end_date, job_title=relation.job_title, reported_by=relation.reported_by,
    )


def _can_report_for(actor: Principal, employer: Employer) -> bool:
    if actor.kind == "employer":
        return actor.subject == employer.public_id
    return actor.has("employment.write") and actor.can_reach(employer.division_code)


def report_employment(
    session: Session, *, actor: Principal, employer: Employer, data: schemas.EmploymentIn,
) -> EmploymentRelation:
    """Record a hire reported by the employer (or by a clerk for it). One open relation per pair."""
    if not _can_report_for(actor, employer):
        raise deny(actor, entity_type="employer", entity_id=employer.public_id, action="employment.report",
                   detail="无权为该单位报告用工")
    try:
        number = ids.parse_resident_id(data.id_number).number
    except ids.IdentifierError as exc:
        raise ValidationFailed(exc.errors) from None
    person = _find(session, number)
    if person is None:
        raise ValidationFailed([FieldError("id_number", "renshe:person/not-registered",
                                           "该人员尚未在人员基础库登记，请先办理人员登记")])
    if person.status != "normal":
        raise Conflict(f"该人员状态为{schemas.PERSON_STATUS_LABELS[person.status]}，不能登记用工",
                       code="renshe:person/not-active")
    if data.start_date > date.today():
        raise ValidationFailed([FieldError("start_date", "renshe:employment/future", "用工开始日期不能晚于今天")])
    open_relation = session.scalar(select(EmploymentRelation.id).where(
        EmploymentRelation.person_id == person.id, EmploymentRelation.employer_id == employer.id,
        EmploymentRelation.end_date.is_(None)))
    if open_relation:
        raise Conflict("该人员在本单位已有未终止的用工记录", code="renshe:employment/open")
    relation = EmploymentRelation(person_id=person.id, employer_id=employer.id, start_date=data.start_date,
                                  job_title=data.job_title, reported_by=actor.subject)
    session.add(relation)
    session.flush()
    audit.record(session, actor=actor, action="employment.report", entity_type="person", entity_id=person.public_id,
                 after={"employer": employer.credit_code, "start_date": data.start_date.isoformat(),
                        "relation": relation.public_id})
    record_event(session, "registry.employment_started",
                 {"relation": relation.public_id, "person": person.public_id, "employer": employer.public_id})
    return relation


def end_employment(
    session: Session, *, actor: Principal, employer: Employer, relation_id: str, end_date: date,
) -> EmploymentRelation:
    """Record a separation (解除/终止劳动关系)."""
    if not _can_report_for(actor, employer):
        raise deny(actor, entity_type="employer", entity_id=employer.public_id, action="employment.end",
                   detail="无权为该单位报告用工")
    relation = session.scalar(select(EmploymentRelation).where(
        EmploymentRelation.public_id == relation_id, EmploymentRelation.employer_id == employer.id))
    if relation is None:
        raise NotFound("该用工记录", code="renshe:employment/not-found")
    if relation.end_date is not None:
        raise Conflict("该用工记录已终止", code="renshe:employment/ended")
    if end_date < relation.start_date:
        raise ValidationFailed([FieldError("end_date", "renshe:employment/end-before-start",
                                           "终止日期不能早于开始日期")])
    relation.end_date = end_date
    session.flush()
    audit.record(session, actor=actor, action="employment.end", entity_type="person",
                 entity_id=relation.person.public_id,
                 after={"employer": employer.credit_code, "end_date": end_date.isoformat(),
                        "relation": relation.public_id})
    record_event(session, "registry.employment_ended",
                 {"relation": relation.public_id, "person": relation.person.public_id,
                  "employer": employer.public_id})
    return relation


def person_employments(session: Session, *, person: Person) -> list[EmploymentRelation]:
    stmt = (select(EmploymentRelation).where(EmploymentRelation.person_id == person.id)
            .order_by(EmploymentRelation.start_date.desc()))
    return list(session.scalars(stmt))


def employer_employments(
    session: Session, *, employer: Employer, current_only: bool = False, limit: int = 200,
) -> list[EmploymentRelation]:
    stmt = select(EmploymentRelation).where(EmploymentRelation.employer_id == employer.id)
    if current_only:
        stmt = stmt.where(EmploymentRelation.end_date.is_(None))
    return list(session.scalars(stmt.order_by(EmploymentRelation.start_date.desc()).limit(limit)))


def iter_persons_for_export(session: Session, *, actor: Principal) -> Iterator[Person]:
    """Stream persons in the caller's reach, for export (masked unless unmasked by grant)."""
    stmt = scoped_persons(actor).order_by(Person.id).execution_options(yield_per=2000)
    for person in session.scalars(stmt):
        yield person
        session.expunge(person)


# ---------------------------------------------------------------- citizen sign-in


def send_sign_in_code(session: Session, *, id_number: str) -> str | None:
    """Send a one-time code to the phone on record. Returns the masked phone, or None if none is known.

    The answer does not reveal whether the ID number is registered beyond what the masked phone shows.
    """
    from datetime import timedelta

    from renshe.core import messages
    from renshe.core.models import OneTimeCode
    from renshe.core.settings import get_settings

    try:
        number = ids.parse_resident_id(id_number).number
    except ids.IdentifierError as exc:
        raise ValidationFailed(exc.errors) from None
    person = _find(session, number)
    if person is None or person.phone_encrypted is None or person.status != "normal":
        return None
    settings = get_settings()
    code = f"{secrets.randbelow(1_000_000):06d}"
    subject = id_index(number).hex()
    for old in session.scalars(select(OneTimeCode).where(OneTimeCode.subject == subject, OneTimeCode.used.is_(False))):
        old.used = True
    session.add(OneTimeCode(subject=subject, code_hash=_code_hash(subject, code),
                            expires_at=utcnow() + timedelta(seconds=settings.otp_ttl_seconds)))
    phone = crypto.cipher().decrypt(person.phone_encrypted, purpose=PHONE_PURPOSE)
    minutes = max(1, settings.otp_ttl_seconds // 60)
    messages.send(session, phone=phone, purpose="sign_in",
                  body=f"【人社服务】您的登录验证码为{code}，{minutes}分钟内有效。请勿告诉他人。")
    session.flush()
    return crypto.mask_phone(phone)


def _code_hash(subject: str, code: str) -> str:
    return crypto.cipher().blind_index(f"{subject}:{code}", purpose="otp").hex()


def citizen_sign_in(session: Session, *, id_number: str, code: str) -> tuple[Principal | None, Unauthorized | None]:
    """Check the one-time code; each code works once, within its time, for a few attempts.

    Returns the citizen, or the error to raise *after* the caller commits: a wrong code must still
    count against the attempts left.
    """
    from renshe.core.models import OneTimeCode
    from renshe.core.settings import get_settings

    number = id_number.strip().upper()
    subject = id_index(number).hex()
    challenge = session.scalar(select(OneTimeCode).where(OneTimeCode.subject == subject, OneTimeCode.used.is_(False))
                               .order_by(OneTimeCode.id.desc()).limit(1))
    person = _find(session, number)
    anonymous = Principal(kind="citizen", subject=person.public_id if person else "-", display_name="")
    failure = None
    if challenge is None or person is None:
        failure = ("请先获取验证码", "renshe:auth/no-code")
    elif challenge.expires_at < utcnow():
        failure = ("验证码已过期，请重新获取", "renshe:auth/code-expired")
    elif challenge.attempts >= get_settings().otp_max_attempts:
        failure = ("验证码错误次数过多，请重新获取", "renshe:auth/too-many-attempts")
    elif not secrets.compare_digest(challenge.code_hash, _code_hash(subject, code.strip())):
        challenge.attempts += 1
        failure = ("验证码错误", "renshe:auth/bad-code")
    if failure:
        error = Unauthorized(failure[0], code=failure[1])
        error.audit = {"actor": anonymous, "action": "auth.citizen_sign_in", "entity_type": "person",
                       "entity_id": anonymous.subject}
        return None, error
    if challenge is None or person is None:  # unreachable: failure is set whenever either is missing
        raise RuntimeError("sign-in checks fell through")
    challenge.used = True
    who = Principal(kind="citizen", subject=person.public_id, display_name=person.name,
                    division_code=person.residence_division)
    audit.record(session, actor=who, action="auth.citizen_sign_in", entity_type="person", entity_id=person.public_id)
    return who, None


def get_employer_of(session: Session, *, principal: Principal) -> Employer:
    """The employer an agent signed in for."""
    employer = session.scalar(select(Employer).where(Employer.public_id == principal.subject))
    if employer is None or not can_see_employer(principal, employer):
        raise NotFound("该单位", code="renshe:employer/not-found")
    return employer


def iter_employers_for_export(session: Session, *, actor: Principal) -> Iterator[Employer]:
    """Stream employers in the caller's reach, for export."""
    actor.require("employer.read")
    stmt = select(Employer)
    prefix = divisions.scope_prefix(actor.division_code)
    if prefix:
        stmt = stmt.where(Employer.division_code.startswith(prefix))
    for employer in session.scalars(stmt.order_by(Employer.id).execution_options(yield_per=2000)):
        yield employer
        session.expunge(employer)


# ---------------------------------------------------------------- the registry's public surface
# Other domains reach the person base only through these functions (and the `Person` type they
# return), never through `renshe.registry.models`; the import contracts check it.


def find_by_id_number(session: Session, *, id_number: str) -> Person | None:
    """The person with this (already validated) resident ID number, for services that authorise the
    caller themselves (the data-sharing gateway checks the consumer's grant). Never returned as is."""
    return _find(session, id_number)


def person_by_id_number(session: Session, *, id_number: str, field: str = "id_number") -> Person | None:
    """Validate a resident ID number and return the person registered under it, or None.

    A malformed number raises `ValidationFailed` naming `field` and the broken rule
    (`renshe:id-number/...`); the caller decides what "not registered" means for it."""
    try:
        number = ids.parse_resident_id(id_number, field=field).number
    except ids.IdentifierError as exc:
        raise ValidationFailed(exc.errors) from None
    return session.scalar(_BY_ID_INDEX, {"index": id_index(number)})


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
    if not can_see_person(actor, person, reader):
        raise deny(actor, entity_type="person", entity_id=person.public_id, action="person.read",
                   detail="该人员不在您的辖区内，无权查看")
    return person_out(reader, person, actor=actor)
