"""The employer base (单位) and employment relations (就业登记) reported by employers or clerks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from renshe.core import audit, divisions, ids, search, throttle
from renshe.core.auth import Principal, deny, hash_password, verify_password
from renshe.core.errors import (
    Conflict,
    FieldError,
    NotFound,
    Unauthorized,
    ValidationFailed,
)
from renshe.core.events import record_event
from renshe.core.paging import decode_cursor, encode_cursor
from renshe.registry import policy, schemas
from renshe.registry.models import Employer, EmploymentRelation, Person
from renshe.registry.service.common import (
    check_county,
    division_out,
    find_row,
)
from renshe.registry.service.persons import scoped_persons


def employer_out(employer: Employer) -> schemas.EmployerOut:
    return schemas.EmployerOut(
        public_id=employer.public_id, credit_code=employer.credit_code, name=employer.name,
        entity_type=employer.entity_type, entity_type_label=ids.USCC_ENTITY_TYPES.get(employer.entity_type, ""),
        division=division_out(employer.division_code),
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


def register_employer(
    session: Session, *, actor: Principal, data: schemas.EmployerIn, source: str = "window",
    agent_password: str | None = None,
) -> Employer:
    """Register an employer (单位登记) by its unified social credit code."""
    policy.require(actor, "employer.write")
    valid = validate_employer(data)
    if not policy.in_jurisdiction(actor, valid.division_code):
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
    if not policy.can_see_employer(actor, employer):
        raise deny(actor, entity_type="employer", entity_id=employer.public_id, action="employer.read",
                   detail="该单位不在您的辖区内，无权查看")
    return employer


def search_employers(
    session: Session, *, actor: Principal, q: str | None = None, limit: int = 20, cursor: str | None = None,
) -> tuple[list[Employer], str | None]:
    policy.require(actor, "employer.read")
    limit = max(1, min(limit, 200))
    stmt = select(Employer).where(Employer.id > decode_cursor(cursor))
    prefix = divisions.scope_prefix(actor.division_code)
    if prefix:
        stmt = stmt.where(Employer.division_code.startswith(prefix))
    q = (q or "").strip()
    if q:
        stmt = stmt.where(or_(Employer.credit_code == q.upper(), search.contains(Employer.name, q)))
    rows = list(session.scalars(stmt.order_by(Employer.id).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def authenticate_employer(session: Session, *, credit_code: str, password: str) -> Principal:
    """An employer's agent signs in with the credit code and the unit's password (refused, 429, while the
    code or the address is locked out after too many failures)."""
    code = credit_code.strip().upper()
    anonymous = Principal(kind="employer", subject=code[:64], display_name="", division_code=divisions.MINISTRY)
    with throttle.password_attempt(session, kind="employer", account=code, actor=anonymous,
                                   action="auth.employer_sign_in", entity_type="employer") as attempt:
        employer = session.scalar(select(Employer).where(Employer.credit_code == code))
        ok = (
            employer is not None and employer.status == "active" and employer.agent_password_hash is not None
            and verify_password(employer.agent_password_hash, password)
        )
        who = Principal(kind="employer", subject=employer.public_id if employer else credit_code[:64],
                        display_name=employer.name if employer else "",
                        division_code=employer.division_code if employer else divisions.MINISTRY)
        if not ok or employer is None:
            attempt.failed()
            error = Unauthorized("统一社会信用代码或密码错误", code="renshe:auth/bad-credentials")
            error.audit = {"actor": who, "action": "auth.employer_sign_in", "entity_type": "employer",
                           "entity_id": who.subject}
            raise error
        attempt.succeeded()
    audit.record(session, actor=who, action="auth.employer_sign_in", entity_type="employer",
                 entity_id=employer.public_id)
    return who


def employment_out(relation: EmploymentRelation) -> schemas.EmploymentOut:
    return schemas.EmploymentOut(
        public_id=relation.public_id, person_name=relation.person.name,
        person_id_number=relation.person.id_number_masked, employer_name=relation.employer.name,
        employer_credit_code=relation.employer.credit_code, start_date=relation.start_date,
        end_date=relation.end_date, job_title=relation.job_title, reported_by=relation.reported_by,
    )


def report_employment(
    session: Session, *, actor: Principal, employer: Employer, data: schemas.EmploymentIn,
) -> EmploymentRelation:
    """Record a hire reported by the employer (or by a clerk for it). One open relation per pair."""
    if not policy.can_report_for(actor, employer):
        raise deny(actor, entity_type="employer", entity_id=employer.public_id, action="employment.report",
                   detail="无权为该单位报告用工")
    try:
        number = ids.parse_resident_id(data.id_number).number
    except ids.IdentifierError as exc:
        raise ValidationFailed(exc.errors) from None
    person = find_row(session, number)
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
    if not policy.can_report_for(actor, employer):
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


def open_employment(session: Session, *, employer: Employer, person: Person) -> EmploymentRelation | None:
    """The person's open (not ended) employment relation with the employer, or None."""
    return session.scalar(select(EmploymentRelation).where(
        EmploymentRelation.employer_id == employer.id, EmploymentRelation.person_id == person.id,
        EmploymentRelation.end_date.is_(None)).order_by(EmploymentRelation.start_date.desc()).limit(1))


def open_employments_query(*, started_on_or_before: date, division_prefix: str = "") -> Select[Any]:
    """Open employment relations that started on or before a day, as one set-based query (other domains
    join it against their own tables, e.g. relations without a signed labour contract): columns
    `relation`, `start_date`, `job_title`, `person`, `person_name`, `id_number_masked`, `employer`,
    `employer_name`, `employer_credit_code`, `employer_division`."""
    columns: list[Any] = [
        EmploymentRelation.public_id.label("relation"), EmploymentRelation.start_date, EmploymentRelation.job_title,
        Person.public_id.label("person"), Person.name.label("person_name"), Person.id_number_masked,
        Employer.public_id.label("employer"), Employer.name.label("employer_name"),
        Employer.credit_code.label("employer_credit_code"), Employer.division_code.label("employer_division")]
    stmt: Select[Any] = (select(*columns)
            .join(Person, Person.id == EmploymentRelation.person_id)
            .join(Employer, Employer.id == EmploymentRelation.employer_id)
            .where(EmploymentRelation.end_date.is_(None), EmploymentRelation.start_date <= started_on_or_before))
    if division_prefix:
        stmt = stmt.where(Employer.division_code.startswith(division_prefix))
    return stmt


def employer_by_public_id(session: Session, *, actor: Principal, public_id: str) -> Employer:
    """The employer with this public id, if the caller may see it (404 otherwise)."""
    employer = session.scalar(select(Employer).where(Employer.public_id == public_id))
    if employer is None or not policy.can_see_employer(actor, employer):
        raise NotFound("该单位", code="renshe:employer/not-found")
    return employer
