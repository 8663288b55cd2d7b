"""Employment Online: an agency onboards only with the licences its services need, publishes inside its
scope once a clerk approved it, is listed and rated; the share of public institutions onboard per city is
measured against one third and two thirds."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy.orm import Session

from renshe.agencies import schemas, service
from renshe.core.auth import SYSTEM, Principal
from renshe.core.errors import DomainError
from tests import factories
from tests.factories import bearer
from tests.insurance.kit import citizen_of


def unit(session: Session, name: str, county: str = "110105") -> tuple[Any, Principal]:
    employer = factories.employer(session, name=name, county=county)
    return employer, Principal(kind="employer", subject=employer.public_id, display_name=employer.name,
                               division_code=county)


def test_the_licences_are_checked_and_services_stay_inside_the_scope(session: Session, client: Any) -> None:
    _employer, agent = unit(session, "某某人力资源有限公司")
    with pytest.raises(DomainError) as refused:
        service.apply(session, actor=agent, data=schemas.OnboardIn(
            kind="licensed", licence_scope=["recruitment", "labour_dispatch", "personnel_files"]))
    assert {e.field: e.code for e in refused.value.errors} == {
        "licence_number": "renshe:agencies/licence-required", "licence_scope": "renshe:agencies/public-only",
        "dispatch_licence": "renshe:agencies/dispatch-licence"}
    row = service.apply(session, actor=agent, data=schemas.OnboardIn(
        kind="licensed", licence_number="（京）人服证字〔2024〕第0105号", licence_scope=["recruitment"]))
    with pytest.raises(DomainError) as early:
        service.publish(session, actor=agent, data=schemas.ServiceIn(kind="recruitment", title="招聘服务",
                                                                       description="代理招聘，免费登记。"))
    assert early.value.code == "renshe:agencies/not-onboard"
    outsider = factories.staff_user(session, username="ag-sh", roles=("clerk",), division="310101")
    with pytest.raises(DomainError):
        service.decide(session, actor=outsider, public_id=row.public_id, approve=True)
    clerk = factories.staff_user(session, username="ag-clerk", roles=("clerk",), division="110105")
    assert [a.public_id for a in service.pending(session, actor=clerk)] == [row.public_id]
    service.decide(session, actor=clerk, public_id=row.public_id, approve=True)
    with pytest.raises(DomainError) as outside:
        service.publish(session, actor=agent, data=schemas.ServiceIn(kind="labour_dispatch", title="劳务派遣",
                                                                       description="派遣生产岗位人员。"))
    assert outside.value.errors[0].code == "renshe:agencies/outside-scope"
    service.publish(session, actor=agent, data=schemas.ServiceIn(kind="recruitment", title="招聘服务",
                                                                   description="代理招聘，免费登记。"))
    session.commit()
    listed = client.get("/api/v1/agencies", params={"service_kind": "recruitment", "division": "11"}).json()
    assert [(a["name"], [s["title"] for s in a["services"]]) for a in listed] == [
        ("某某人力资源有限公司", ["招聘服务"])]
    assert client.get("/api/v1/agencies", params={"service_kind": "labour_dispatch"}).json() == []

    person = factories.person(session, name="评价人")
    session.commit()
    who = bearer(citizen_of(person.public_id, person.name))
    assert client.post(f"/api/v1/agencies/{row.public_id}/ratings", json={"stars": 2}, headers=who).status_code == 200
    again = client.post(f"/api/v1/agencies/{row.public_id}/ratings", json={"stars": 4, "comment": "改进了"},
                        headers=who).json()
    assert (again["ratings"], again["rating"]) == (1, "4.0")  # one person, one rating, changeable
    page = client.get(f"/agencies/{row.public_id}")
    assert "4.0 星（1人评价）" in page.text
    assert "改进了" in page.text


def test_the_share_of_public_institutions_onboard_per_city(session: Session, client: Any) -> None:
    clerk = factories.staff_user(session, username="ag-cov", roles=("clerk",), division="110000")
    for n in range(3):
        employer, agent = unit(session, f"公共就业服务中心{n}", county="110105" if n < 2 else "110108")
        if n == 0:
            row = service.apply(session, actor=agent, data=schemas.OnboardIn(
                kind="public_employment", licence_scope=["job_introduction"]))
            service.decide(session, actor=SYSTEM, public_id=row.public_id, approve=True)
        else:
            service.list_institution(session, actor=clerk, data=schemas.InstitutionIn(
                credit_code=employer.credit_code, name=employer.name, kind="public_employment",
                division_code=employer.division_code))
    with pytest.raises(DomainError) as twice:
        service.list_institution(session, actor=clerk, data=schemas.InstitutionIn(
            credit_code=employer.credit_code, name=employer.name, kind="public_talent", division_code="110108"))
    assert twice.value.code == "renshe:agencies/exists"
    [beijing] = service.coverage(session, actor=clerk)
    assert (beijing.institutions, beijing.onboard, beijing.share) == (3, 1, Fraction(1, 3))
    assert (beijing.third, beijing.two_thirds) == (True, False)
    session.commit()
    page = client.get("/staff/agencies", headers=bearer(clerk))
    assert "33.3%" in page.text
    assert "已达到" in page.text
    assert "未达到" in page.text
    bad = client.post("/staff/agencies/institutions", headers=bearer(clerk), data={
        "credit_code": "91110105XXXXXXXXX1", "name": "某中心", "kind": "public_employment", "division_code": "110105"})
    assert bad.status_code == 422
    assert "统一社会信用代码" in bad.text
