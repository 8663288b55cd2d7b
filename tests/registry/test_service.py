from __future__ import annotations

from datetime import date

import pyotp
import pytest
from sqlalchemy.orm import Session

from renshe.core import audit, crypto, staff
from renshe.core.auth import SYSTEM
from renshe.core.errors import Conflict, DomainError, Forbidden, Unauthorized, ValidationFailed
from renshe.registry import schemas, service
from tests import factories


def test_search_is_scoped_before_paging(session: Session) -> None:
    for i in range(5):
        factories.person(session, county="110105", name=f"赵{'一二三四五'[i]}")
    for _ in range(3):
        factories.person(session, county="110108", name="赵六")
    county_clerk = factories.staff_user(session, username="s1", division="110105")
    province = factories.staff_user(session, username="s2", roles=("supervisor",), division="110000")
    page, cursor = service.search_persons(session, actor=county_clerk, q="赵", limit=2)
    seen = [p.public_id for p in page]
    while cursor:
        page, cursor = service.search_persons(session, actor=county_clerk, q="赵", limit=2, cursor=cursor)
        seen += [p.public_id for p in page]
    assert len(seen) == len(set(seen)) == 5
    everything, _ = service.search_persons(session, actor=province, q="赵", limit=50)
    assert len(everything) == 8
    with pytest.raises(ValidationFailed):
        service.search_persons(session, actor=county_clerk, cursor="garbage!")


def test_update_with_stale_version_is_refused(session: Session) -> None:
    person = factories.person(session, county="110105")
    clerk = factories.staff_user(session, username="u1", division="110105")
    service.update_person(session, actor=clerk, person=person, changes=schemas.PersonUpdate(phone="13700000001"),
                          expected_version=1)
    assert person.version == 2
    with pytest.raises(DomainError) as caught:
        service.update_person(session, actor=clerk, person=person,
                              changes=schemas.PersonUpdate(status="deceased"), expected_version=1)
    assert caught.value.status == 412
    with pytest.raises(Forbidden):
        service.update_person(session, actor=clerk, person=person,
                              changes=schemas.PersonUpdate(residence_division="110108"), expected_version=2)
    history = audit.history(session, entity_type="person", entity_id=person.public_id)
    assert [h.action for h in history] == ["person.update", "person.register"]
    assert history[0].after is not None
    assert history[0].after["phone_changed"] is True


def test_merge_moves_employment_and_is_audited(session: Session) -> None:
    keep = factories.person(session, county="110105", name="钱七", birth=date(1970, 1, 2))
    dup = factories.person(session, county="110105", name="钱七", birth=date(1970, 1, 2))
    employer = factories.employer(session, county="110105")
    number = crypto.cipher().decrypt(dup.id_number_encrypted, purpose=service.ID_PURPOSE)
    service.report_employment(session, actor=SYSTEM, employer=employer,
                              data=schemas.EmploymentIn(id_number=number, start_date=date(2020, 1, 1)))
    reviewer = factories.staff_user(session, username="r1", roles=("reviewer",), division="110105")
    clerk = factories.staff_user(session, username="c9", roles=("clerk",), division="110105")
    assert [p.public_id for p in service.duplicate_candidates(session, actor=reviewer, person=keep)] == [dup.public_id]
    with pytest.raises(Forbidden):
        service.merge_persons(session, actor=clerk, keep=keep, duplicate=dup, reason="重复登记")
    service.merge_persons(session, actor=reviewer, keep=keep, duplicate=dup, reason="重复登记")
    assert dup.status == "merged"
    assert [r.person_id for r in service.person_employments(session, person=keep)] == [keep.id]
    with pytest.raises(Conflict):
        service.merge_persons(session, actor=reviewer, keep=keep, duplicate=dup, reason="再次")
    merged = audit.history(session, entity_type="person", entity_id=dup.public_id)[0]
    assert merged.action == "person.merge"
    assert merged.after is not None
    assert merged.after["merged_into"] == keep.public_id
    assert audit.verify(session).ok


def test_one_open_employment_per_pair(session: Session) -> None:
    person = factories.person(session, county="110105")
    employer = factories.employer(session, county="110105")
    number = crypto.cipher().decrypt(person.id_number_encrypted, purpose=service.ID_PURPOSE)
    data = schemas.EmploymentIn(id_number=number, start_date=date(2021, 5, 1))
    relation = service.report_employment(session, actor=SYSTEM, employer=employer, data=data)
    with pytest.raises(Conflict):
        service.report_employment(session, actor=SYSTEM, employer=employer,
                                  data=schemas.EmploymentIn(id_number=number, start_date=date(2022, 5, 1)))
    service.end_employment(session, actor=SYSTEM, employer=employer, relation_id=relation.public_id,
                           end_date=date(2022, 1, 31))
    with pytest.raises(ValidationFailed) as caught:
        service.report_employment(session, actor=SYSTEM, employer=employer, data=schemas.EmploymentIn(
            id_number=factories.resident_id("110105"), start_date=date(2021, 5, 1)))
    assert caught.value.errors[0].code == "renshe:person/not-registered"


def test_employer_outside_jurisdiction_is_refused(session: Session) -> None:
    clerk = factories.staff_user(session, username="e1", division="110105")
    data = schemas.EmployerIn(credit_code=factories.credit_code("110108"), name="海淀某公司", division_code="110108",
                              legal_representative="周八")
    with pytest.raises(Forbidden):
        service.register_employer(session, actor=clerk, data=data)
    bad = schemas.EmployerIn(credit_code="91110108MA0000000X", name="某公司", division_code="999999",
                             legal_representative="周八")
    with pytest.raises(ValidationFailed) as caught:
        service.register_employer(session, actor=clerk, data=bad)
    assert {e.field for e in caught.value.errors} == {"credit_code", "division_code"}


def test_staff_totp(session: Session) -> None:
    user = staff.create_user(session, actor=SYSTEM, new=staff.NewStaff(
        username="t1", display_name="t1", password="pw-totp", roles=("clerk",), division_code="110105",
        with_totp=True))
    assert user.totp_secret
    with pytest.raises(Unauthorized):
        staff.authenticate(session, username="t1", password="pw-totp")
    code = pyotp.TOTP(user.totp_secret).now()
    assert staff.authenticate(session, username="t1", password="pw-totp", totp=code).subject == "t1"


def test_demo_accounts_only_in_demo_mode(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    from renshe.core.settings import get_settings

    user = staff.create_user(session, actor=SYSTEM, new=staff.NewStaff(
        username="d1", display_name="d1", password="demo", roles=("clerk",), division_code="110105"))
    user.is_demo = True
    session.flush()
    assert staff.authenticate(session, username="d1", password="demo").subject == "d1"
    monkeypatch.setattr(get_settings(), "demo_mode", False)
    with pytest.raises(Unauthorized):
        staff.authenticate(session, username="d1", password="demo")


def test_roles_and_division_checked_on_user_creation(session: Session) -> None:
    county_admin = factories.staff_user(session, username="ca", roles=("admin",), division="110105")
    with pytest.raises(DomainError):
        staff.create_user(session, actor=county_admin, new=staff.NewStaff(
            username="x", display_name="x", password="pw-pw", roles=("clerk",), division_code="110108"))
    with pytest.raises(ValidationFailed):
        staff.create_user(session, actor=county_admin, new=staff.NewStaff(
            username="y", display_name="y", password="pw-pw", roles=("boss",), division_code="110105"))
