"""Insurance registration (参保登记): insured units per insurance type, insured employees added and removed
(增员/减员) by staff or the employer's agent, flexible workers (灵活就业) enrolling themselves.

One open relation per person, type and unit: checked here and guaranteed by the unique `open_key`.
Every change is audited and leaves an outbox event naming the person, so the person is told.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from renshe.core import audit, labels
from renshe.core.auth import Principal
from renshe.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from renshe.core.events import record_event
from renshe.insurance import parameters, policy
from renshe.insurance.models import InsuranceRelation, InsuredUnit
from renshe.insurance.refs import EmployerRef, PersonRef
from renshe.registry import service as registry

PENSION = "110"
KIND_LABELS = labels.register("insurance.enrolment_kind", {"employee": "职工参保", "flexible": "灵活就业人员参保"})


@dataclass(frozen=True)
class InsuranceType:
    code: str
    name: str
    account: bool


@cache
def _data() -> dict[str, Any]:
    text = resources.files("renshe.insurance").joinpath("data/types.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def insurance_types() -> dict[str, InsuranceType]:
    """The insurance types with their national codes (险种类型代码), as shipped data."""
    return {t["code"]: InsuranceType(t["code"], t["name"], t["account"]) for t in _data()["types"]}


def type_label(code: str) -> str:
    found = insurance_types().get(code)
    return f"{found.name}（{code}）" if found else code


def enrol_reasons() -> dict[str, str]:
    codes: dict[str, str] = _data()["enrol_reasons"]["codes"]
    return codes


def end_reasons() -> dict[str, str]:
    codes: dict[str, str] = _data()["end_reasons"]["codes"]
    return codes


def codes_source() -> str:
    return str(_data()["source"])


# ---------------------------------------------------------------- insured units


def _deny(action: str, detail: str) -> Forbidden:
    return Forbidden(detail, code=f"renshe:insurance/{action}")


def employer_for(session: Session, *, actor: Principal, credit_code: str | None = None) -> EmployerRef:
    """The employer an agent acts for, or the one staff name by credit code (within their reach)."""
    if actor.kind == "employer":
        return registry.get_employer_of(session, principal=actor)
    if not credit_code:
        raise ValidationFailed([FieldError("credit_code", "renshe:insurance/credit-code", "请填写统一社会信用代码")])
    return registry.find_employer(session, actor=actor, credit_code=credit_code)


def register_unit(session: Session, *, actor: Principal, employer: EmployerRef, insurance_type: str,
                  registered_on: date) -> InsuredUnit:
    """Register the employer as an insured unit (单位参保登记) for one insurance type."""
    if not policy.can(actor, "unit.register", division_code=employer.division_code,
                      employer_public_id=employer.public_id):
        raise _deny("unit-permission", "无权为该单位办理参保登记")
    if insurance_type not in insurance_types() or insurance_type in {"170", "390"}:
        raise ValidationFailed([FieldError("insurance_type", "renshe:insurance/type",
                                           "险种应为单位可参加的险种（如110、210、310、410）")])
    if employer.status != "active":
        raise Conflict("该单位不是正常状态，不能办理参保登记", code="renshe:insurance/employer-status")
    existing = session.scalar(select(InsuredUnit).where(InsuredUnit.employer_id == employer.id,
                                                        InsuredUnit.insurance_type == insurance_type))
    if existing is not None:
        raise Conflict(f"该单位已登记参加{type_label(insurance_type)}", code="renshe:insurance/unit-exists")
    unit = InsuredUnit(employer_id=employer.id, employer_public_id=employer.public_id, employer_name=employer.name,
                       credit_code=employer.credit_code, insurance_type=insurance_type,
                       division_code=employer.division_code,
                       province=parameters.province_of(employer.division_code), registered_on=registered_on,
                       registered_by=actor.subject)
    session.add(unit)
    session.flush()
    audit.record(session, actor=actor, action="insurance.unit.register", entity_type="employer",
                 entity_id=employer.public_id, after={"unit": unit.public_id, "type": insurance_type,
                                                      "registered_on": registered_on.isoformat()})
    record_event(session, "insurance.unit_registered", {"unit": unit.public_id, "employer": employer.public_id,
                                                        "type": insurance_type})
    return unit


def units_of(session: Session, *, employer: EmployerRef) -> list[InsuredUnit]:
    return list(session.scalars(select(InsuredUnit).where(InsuredUnit.employer_id == employer.id)
                                .order_by(InsuredUnit.insurance_type)))


def get_unit(session: Session, *, actor: Principal, public_id: str, action: str = "ledger.read") -> InsuredUnit:
    """An insured unit the caller may act on (`action`), else 404/403."""
    unit = session.scalar(select(InsuredUnit).where(InsuredUnit.public_id == public_id))
    if unit is None:
        raise NotFound("该参保单位", code="renshe:insurance/unit-not-found")
    if not policy.can(actor, action, division_code=unit.division_code, employer_public_id=unit.employer_public_id):
        raise _deny("unit-permission", "无权办理该参保单位的业务")
    return unit


# ---------------------------------------------------------------- insurance relations


def _open_key(person_id: int, insurance_type: str, unit_id: int | None) -> str:
    return f"{person_id}:{insurance_type}:{unit_id if unit_id is not None else 'F'}"


def _person(session: Session, id_number: str) -> PersonRef:
    person = registry.find_by_id_number(session, id_number=id_number)
    if person is None:
        raise ValidationFailed([FieldError("id_number", "renshe:person/not-registered",
                                           "该人员尚未在人员基础库登记，请先办理人员登记")])
    if person.status != "normal":
        raise Conflict("该人员不是正常状态，不能办理参保", code="renshe:person/not-active")
    result: PersonRef = person
    return result


def _open(session: Session, *, actor: Principal, person: PersonRef, unit: InsuredUnit | None, insurance_type: str,
          kind: str, province: str, start_date: date, reason: str) -> InsuranceRelation:
    if reason not in enrol_reasons():
        raise ValidationFailed([FieldError("reason", "renshe:insurance/reason", "增员原因代码不正确")])
    key = _open_key(person.id, insurance_type, unit.id if unit else None)
    if session.scalar(select(InsuranceRelation.id).where(InsuranceRelation.open_key == key)) is not None:
        raise Conflict(f"该人员已有未终止的{type_label(insurance_type)}参保关系", code="renshe:insurance/relation-open")
    relation = InsuranceRelation(person_id=person.id, person_public_id=person.public_id, person_name=person.name,
                                 id_number_masked=person.id_number_masked, unit_id=unit.id if unit else None,
                                 insurance_type=insurance_type,
                                 kind=kind, province=province, start_date=start_date, start_reason=reason,
                                 open_key=key, created_by=actor.subject)
    try:
        with session.begin_nested():
            session.add(relation)
            session.flush()
    except IntegrityError:  # a concurrent enrolment won the race
        raise Conflict(f"该人员已有未终止的{type_label(insurance_type)}参保关系",
                       code="renshe:insurance/relation-open") from None
    audit.record(session, actor=actor, action="insurance.relation.open", entity_type="person",
                 entity_id=person.public_id, after={"relation": relation.public_id, "type": insurance_type,
                                                    "kind": kind, "start_date": start_date.isoformat(),
                                                    "reason": reason, "unit": unit.public_id if unit else None})
    record_event(session, "insurance.relation_opened", {
        "relation": relation.public_id, "person": person.public_id, "type": insurance_type, "kind": kind,
        "start_date": start_date.isoformat(), "unit": unit.public_id if unit else None})
    return relation


def enrol_employee(session: Session, *, actor: Principal, unit: InsuredUnit, id_number: str, start_date: date,
                   reason: str = "11") -> InsuranceRelation:
    """增员: an employee joins the unit's insurance; the person must be in the person base with an open
    employment relation with the unit's employer that began on or before `start_date`."""
    if not policy.can(actor, "relation.write", division_code=unit.division_code,
                      employer_public_id=unit.employer_public_id):
        raise _deny("relation-permission", "无权为该单位办理增减员")
    return enrol_person(session, actor=actor, unit=unit, person=_person(session, id_number), start_date=start_date,
                        reason=reason)


def enrol_person(session: Session, *, actor: Principal, unit: InsuredUnit, person: PersonRef, start_date: date,
                 reason: str = "11") -> InsuranceRelation:
    """增员 of a person already found in the person base (see `enrol_employee`)."""
    if not policy.can(actor, "relation.write", division_code=unit.division_code,
                      employer_public_id=unit.employer_public_id):
        raise _deny("relation-permission", "无权为该单位办理增减员")
    if person.status != "normal":
        raise Conflict("该人员不是正常状态，不能办理参保", code="renshe:person/not-active")
    employed = [r for r in registry.person_employments(session, person=person)  # type: ignore[arg-type]
                if r.employer_id == unit.employer_id and r.end_date is None]
    if not employed:
        raise ValidationFailed([FieldError("id_number", "renshe:insurance/no-employment",
                                           "该人员与本单位没有未终止的用工记录，请先报告用工（就业登记）")])
    if all(r.start_date > start_date for r in employed):
        raise ValidationFailed([FieldError("start_date", "renshe:insurance/before-employment",
                                           "参保日期不能早于用工开始日期")])
    if start_date < unit.registered_on:
        raise ValidationFailed([FieldError("start_date", "renshe:insurance/before-unit",
                                           "参保日期不能早于单位参保登记日期")])
    return _open(session, actor=actor, person=person, unit=unit, insurance_type=unit.insurance_type, kind="employee",
                 province=unit.province, start_date=start_date, reason=reason)


def enrol_flexible(session: Session, *, actor: Principal, start_date: date, reason: str = "11") -> InsuranceRelation:
    """灵活就业人员参保: a citizen enrols themself in the enterprise employee pension."""
    if actor.kind != "citizen":
        raise _deny("flexible-permission", "灵活就业人员参保由本人办理")
    person = registry.get_person(session, actor=actor, public_id=actor.subject)
    if person.status != "normal":
        raise Conflict("该人员不是正常状态，不能办理参保", code="renshe:person/not-active")
    if any(r.end_date is None for r in registry.person_employments(session, person=person)):
        raise Conflict("您有未终止的用工记录，请由单位为您办理职工参保", code="renshe:insurance/employed")
    employee = session.scalar(select(InsuranceRelation.id).where(
        InsuranceRelation.person_id == person.id, InsuranceRelation.insurance_type == PENSION,
        InsuranceRelation.end_date.is_(None)))
    if employee is not None:
        raise Conflict("您已有未终止的养老保险参保关系", code="renshe:insurance/relation-open")
    return _open(session, actor=actor, person=person, unit=None, insurance_type=PENSION, kind="flexible",
                 province=parameters.province_of(person.residence_division), start_date=start_date, reason=reason)


def get_relation(session: Session, *, public_id: str) -> InsuranceRelation:
    relation = session.scalar(select(InsuranceRelation).where(InsuranceRelation.public_id == public_id))
    if relation is None:
        raise NotFound("该参保关系", code="renshe:insurance/relation-not-found")
    return relation


def end_relation(session: Session, *, actor: Principal, relation: InsuranceRelation, end_date: date,
                 reason: str) -> InsuranceRelation:
    """减员 (or a flexible worker stopping): the relation ends on `end_date` with a reason code."""
    if relation.unit_id is not None:
        unit = session.get(InsuredUnit, relation.unit_id)
        if unit is None or not policy.can(actor, "relation.write", division_code=unit.division_code,
                                          employer_public_id=unit.employer_public_id):
            raise _deny("relation-permission", "无权为该单位办理增减员")
    elif not ((actor.kind == "citizen" and actor.subject == relation.person_public_id)
              or policy.can(actor, "relation.write", division_code=relation.province)):
        raise _deny("relation-permission", "无权办理该参保关系")
    if relation.end_date is not None:
        raise Conflict("该参保关系已终止", code="renshe:insurance/relation-ended")
    if reason not in end_reasons():
        raise ValidationFailed([FieldError("reason", "renshe:insurance/reason", "减员原因代码不正确")])
    if end_date < relation.start_date:
        raise ValidationFailed([FieldError("end_date", "renshe:insurance/end-before-start",
                                           "减员日期不能早于参保日期")])
    relation.end_date = end_date
    relation.end_reason = reason
    relation.open_key = None
    session.flush()
    public_person = relation.person_public_id
    audit.record(session, actor=actor, action="insurance.relation.end", entity_type="person", entity_id=public_person,
                 after={"relation": relation.public_id, "end_date": end_date.isoformat(), "reason": reason})
    record_event(session, "insurance.relation_ended", {"relation": relation.public_id, "person": public_person,
                                                       "type": relation.insurance_type,
                                                       "end_date": end_date.isoformat(), "reason": reason})
    return relation


def relations_of_unit(session: Session, *, unit: InsuredUnit, open_only: bool = False) -> list[InsuranceRelation]:
    stmt = select(InsuranceRelation).where(InsuranceRelation.unit_id == unit.id)
    if open_only:
        stmt = stmt.where(InsuranceRelation.end_date.is_(None))
    return list(session.scalars(stmt.order_by(InsuranceRelation.start_date.desc(), InsuranceRelation.id)))


def relations_of_person(session: Session, *, person_id: int) -> list[InsuranceRelation]:
    return list(session.scalars(select(InsuranceRelation).where(InsuranceRelation.person_id == person_id)
                                .order_by(InsuranceRelation.start_date.desc())))
