"""Insurance registration: units per type, 增员/减员 with reason codes, one open relation per person, type
and unit (service check and database constraint), flexible workers enrol themselves, events to the person."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from renshe.core.auth import SYSTEM
from renshe.core.errors import Conflict, Forbidden, ValidationFailed
from renshe.core.models import OutboxEvent
from renshe.insurance import enrolment
from renshe.insurance.models import InsuranceRelation
from tests import factories
from tests.insurance import kit


def test_insurance_types_carry_their_national_codes() -> None:
    types = enrolment.insurance_types()
    assert types["110"].name == "企业职工基本养老保险"
    assert types["210"].name == "失业保险"
    assert types["310"].name == "城镇职工基本医疗保险"
    assert types["410"].name == "工伤保险"
    assert types["110"].account
    assert not types["210"].account
    assert enrolment.type_label("410") == "工伤保险（410）"


def test_an_agent_registers_the_unit_once_per_type(session: Session) -> None:
    staffed = kit.employer_with_staff(session, people=0)
    employer = enrolment.employer_for(session, actor=staffed.agent)
    with pytest.raises(Conflict) as twice:
        enrolment.register_unit(session, actor=staffed.agent, employer=employer, insurance_type="110",
                                registered_on=date(2023, 1, 1))
    assert twice.value.code == "renshe:insurance/unit-exists"
    injury = enrolment.register_unit(session, actor=staffed.agent, employer=employer, insurance_type="410",
                                     registered_on=date(2023, 1, 1))
    assert [u.insurance_type for u in enrolment.units_of(session, employer=employer)] == ["110", "410"]
    assert injury.province == "110000"
    other = factories.employer(session, name="别的公司")
    with pytest.raises(Forbidden):
        enrolment.register_unit(session, actor=staffed.agent, employer=other, insurance_type="110",
                                registered_on=date(2023, 1, 1))


def test_add_and_remove_an_employee_with_events_to_the_person(session: Session) -> None:
    staffed = kit.employer_with_staff(session, people=1)
    relation = enrolment.enrol_employee(session, actor=staffed.agent, unit=staffed.unit,
                                        id_number=staffed.id_numbers[0], start_date=date(2023, 2, 1), reason="11")
    assert relation.kind == "employee"
    assert relation.person_name == "职工甲"
    with pytest.raises(Conflict) as again:
        enrolment.enrol_employee(session, actor=staffed.agent, unit=staffed.unit,
                                 id_number=staffed.id_numbers[0], start_date=date(2023, 3, 1))
    assert again.value.code == "renshe:insurance/relation-open"
    with pytest.raises(ValidationFailed):
        enrolment.end_relation(session, actor=staffed.agent, relation=relation, end_date=date(2023, 6, 30),
                               reason="99")
    enrolment.end_relation(session, actor=staffed.agent, relation=relation, end_date=date(2023, 6, 30), reason="21")
    assert relation.open_key is None
    again_open = enrolment.enrol_employee(session, actor=staffed.agent, unit=staffed.unit,
                                          id_number=staffed.id_numbers[0], start_date=date(2023, 9, 1), reason="13")
    assert again_open.id != relation.id
    topics = [(e.topic, e.payload["person"]) for e in session.scalars(
        select(OutboxEvent).where(OutboxEvent.topic.startswith("insurance.relation")).order_by(OutboxEvent.id))]
    assert topics == [("insurance.relation_opened", relation.person_public_id),
                      ("insurance.relation_ended", relation.person_public_id),
                      ("insurance.relation_opened", relation.person_public_id)]


def test_enrolment_needs_the_person_base_and_an_employment_relation(session: Session) -> None:
    staffed = kit.employer_with_staff(session, people=0)
    stranger = factories.resident_id("110105", date(1990, 1, 1))
    with pytest.raises(ValidationFailed) as unknown:
        enrolment.enrol_employee(session, actor=staffed.agent, unit=staffed.unit, id_number=stranger,
                                 start_date=date(2023, 2, 1))
    assert unknown.value.errors[0].code == "renshe:person/not-registered"
    factories.person(session, id_number=stranger, name="无用工")
    with pytest.raises(ValidationFailed) as unemployed:
        enrolment.enrol_employee(session, actor=staffed.agent, unit=staffed.unit, id_number=stranger,
                                 start_date=date(2023, 2, 1))
    assert unemployed.value.errors[0].code == "renshe:insurance/no-employment"


def test_the_database_refuses_a_second_open_relation(session: Session) -> None:
    staffed = kit.employer_with_staff(session, people=1)
    relation = enrolment.enrol_employee(session, actor=staffed.agent, unit=staffed.unit,
                                        id_number=staffed.id_numbers[0], start_date=date(2023, 2, 1))
    twin = InsuranceRelation(person_id=relation.person_id, person_public_id=relation.person_public_id,
                             person_name="x", id_number_masked="x", unit_id=relation.unit_id, insurance_type="110",
                             kind="employee", province="110000", start_date=date(2023, 3, 1), start_reason="11",
                             open_key=relation.open_key, created_by="test")
    savepoint = session.begin_nested()
    session.add(twin)
    with pytest.raises(IntegrityError):
        session.flush()
    savepoint.rollback()


def test_a_flexible_worker_enrols_themself(session: Session) -> None:
    person = factories.person(session, name="灵活就业")
    citizen = kit.citizen_of(person.public_id, person.name)
    relation = enrolment.enrol_flexible(session, actor=citizen, start_date=date(2024, 1, 1))
    assert relation.kind == "flexible"
    assert relation.unit_id is None
    assert relation.province == "110000"
    with pytest.raises(Conflict):
        enrolment.enrol_flexible(session, actor=citizen, start_date=date(2024, 2, 1))
    with pytest.raises(Forbidden):
        enrolment.enrol_flexible(session, actor=SYSTEM, start_date=date(2024, 2, 1))
    enrolment.end_relation(session, actor=citizen, relation=relation, end_date=date(2024, 12, 31), reason="29")
