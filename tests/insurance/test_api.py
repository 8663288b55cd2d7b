"""The ledger's JSON API: the same rules as the pages, refusals as RFC 9457 problems with stable codes."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from renshe.core.auth import SYSTEM
from renshe.insurance import enrolment
from renshe.registry import schemas
from renshe.registry import service as registry
from tests import factories
from tests.insurance import kit


def test_api_flow_and_problems(client: TestClient, session: Session) -> None:
    kit.average_wage(session)
    employer = factories.employer(session, name="接口测试有限公司")
    number = factories.resident_id("110105", date(1988, 8, 8))
    person = factories.person(session, id_number=number, name="赵接口")
    registry.report_employment(session, actor=SYSTEM, employer=employer,
                               data=schemas.EmploymentIn(id_number=number, start_date=date(2024, 1, 1)))
    clerk = factories.staff_user(session, username="ins-api-clerk", roles=("clerk",), division="110105")
    session.commit()
    agent = factories.bearer(kit.agent_of(employer.public_id))
    unit = client.post("/api/v1/insurance/units", headers=agent,
                       json={"insurance_type": "110", "registered_on": "2024-01-01"})
    assert unit.status_code == 201, unit.text
    unit_id = unit.json()["public_id"]
    assert unit.json()["insurance_type_label"] == "企业职工基本养老保险（110）"
    twice = client.post("/api/v1/insurance/units", headers=agent,
                        json={"insurance_type": "110", "registered_on": "2024-01-01"})
    assert twice.status_code == 409
    assert twice.headers["content-type"].startswith("application/problem+json")
    assert twice.json()["type"] == "renshe:insurance/unit-exists"
    relation = client.post(f"/api/v1/insurance/units/{unit_id}/relations", headers=agent,
                           json={"id_number": number, "start_date": "2024-01-01"})
    assert relation.status_code == 201, relation.text
    bad = client.post(f"/api/v1/insurance/units/{unit_id}/declarations", headers=agent, json={
        "key": "d1", "year": 2024, "rows": [{"id_number": number, "declared": "8000"},
                                            {"id_number": number, "declared": "-1"}]})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["row 2.declared"]
    declared = client.post(f"/api/v1/insurance/units/{unit_id}/declarations", headers=agent, json={
        "key": "d1", "year": 2024, "rows": [{"id_number": number, "declared": "40000"}]})
    assert declared.status_code == 201, declared.text
    assert declared.json()["lines"][0]["clamp"] == "cap"
    assert declared.json()["lines"][0]["base"] == "30000.00"
    same = client.post(f"/api/v1/insurance/units/{unit_id}/declarations", headers=agent, json={
        "key": "d1", "year": 2024, "rows": [{"id_number": number, "declared": "40000"}]})
    assert same.status_code == 200
    assert not same.json()["created"]
    assert client.post(f"/api/v1/insurance/units/{unit_id}/assessments", headers=agent,
                       json={"month": "2024-02"}).status_code == 401  # staff only
    staff = factories.bearer(clerk)
    assessed = client.post(f"/api/v1/insurance/units/{unit_id}/assessments", headers=staff, json={"month": "2024-02"})
    assert assessed.status_code == 201, assessed.text
    month = client.get(f"/api/v1/insurance/units/{unit_id}/months/2024-02", headers=agent,
                       params={"on": "2024-03-25"})
    assert month.status_code == 200
    body = month.json()
    assert (body["due"], body["status"], body["surcharge"]) == ("7200.00", "unpaid", "36.00")
    assert body["surcharge_trace"][0]["source"].startswith("《中华人民共和国社会保险法》第八十六条")
    receipts = client.post("/api/v1/insurance/receipts", headers=staff, json={"batch": "api-1", "receipts": [
        {"receipt_no": "A1", "payer_code": employer.credit_code, "insurance_type": "110", "month": "2024-02",
         "amount": "7200.00", "paid_on": "2024-03-10"},
        {"receipt_no": "A2", "payer_code": employer.credit_code, "insurance_type": "110", "month": "2023-02",
         "amount": "1.00", "paid_on": "2024-03-10"}]})
    assert receipts.status_code == 200, receipts.text
    assert [r["receipt_no"] for r in receipts.json()["unmatched"]] == ["A2"]
    citizen = factories.bearer(kit.citizen_of(person.public_id, person.name))
    assert client.get("/api/v1/insurance/me/record", headers=citizen).json()["months"] == 0
    assert client.get("/api/v1/insurance/me/statement.pdf", headers=citizen).status_code == 409
    relation_id = relation.json()["public_id"]
    ended = client.post(f"/api/v1/insurance/relations/{relation_id}/end", headers=agent,
                        json={"end_date": "2024-06-30", "reason": "21"})
    assert ended.status_code == 200, ended.text
    assert [r.end_reason for r in enrolment.relations_of_unit(
        session, unit=enrolment.get_unit(session, actor=SYSTEM, public_id=unit_id))] == ["21"]


def test_pages_in_elderly_mode(client: TestClient, session: Session) -> None:
    person = factories.person(session, name="钱长辈")
    session.commit()
    client.cookies.set("renshe_elderly", "1")
    page = client.get("/citizen/insurance", headers=factories.bearer(kit.citizen_of(person.public_id, person.name)))
    assert page.status_code == 200
    assert 'class="elderly"' in page.text
    assert "灵活就业人员参保" in page.text
    enrolled = client.post("/citizen/insurance/flexible", follow_redirects=False, data={"start_date": "2024-01-01"},
                           headers=factories.bearer(kit.citizen_of(person.public_id, person.name)))
    assert enrolled.status_code == 303
    again = client.get("/citizen/insurance", headers=factories.bearer(kit.citizen_of(person.public_id, person.name)))
    assert "灵活就业人员参保：2024-01-01起" in again.text


def test_home_pages_link_to_the_ledger(client: TestClient, session: Session) -> None:
    person = factories.person(session, name="孙首页")
    employer = factories.employer(session, name="首页测试有限公司")
    clerk = factories.staff_user(session, username="ins-home-clerk", roles=("clerk",), division="110105")
    session.commit()
    citizen = client.get("/citizen", headers=factories.bearer(kit.citizen_of(person.public_id, person.name)))
    assert 'href="/citizen/insurance"' in citizen.text
    agent = client.get("/employer", headers=factories.bearer(kit.agent_of(employer.public_id)))
    assert 'href="/employer/insurance"' in agent.text
    assert 'href="/staff/insurance"' in client.get("/staff", headers=factories.bearer(clerk)).text


def test_a_clerk_registers_the_unit_and_adds_and_removes_staff_on_the_page(client: TestClient,
                                                                           session: Session) -> None:
    staffed_employer = factories.employer(session, name="窗口代办有限公司")
    number = factories.resident_id("110105", date(1979, 9, 9))
    factories.person(session, id_number=number, name="周窗口")
    registry.report_employment(session, actor=SYSTEM, employer=staffed_employer,
                               data=schemas.EmploymentIn(id_number=number, start_date=date(2024, 1, 1)))
    clerk = factories.staff_user(session, username="ins-window", roles=("clerk",), division="110105")
    reviewer = factories.staff_user(session, username="ins-reviewer", roles=("reviewer",), division="110105")
    session.commit()
    staff = factories.bearer(clerk)
    found = client.get(f"/staff/insurance?credit_code={staffed_employer.credit_code}", headers=staff)
    assert "代单位办理参保登记" in found.text
    registered = client.post("/staff/insurance/units", headers=staff, follow_redirects=False, data={
        "credit_code": staffed_employer.credit_code, "insurance_type": "210", "registered_on": "2024-01-01"})
    assert registered.status_code == 303
    unit_id = registered.headers["location"].split("unit=")[1]
    added = client.post(f"/staff/insurance/{unit_id}/enrol", headers=staff,
                        data={"id_number": number, "start_date": "2024-01-01", "reason": "11"})
    assert "增员已办理" in added.text
    assert "周窗口" in added.text
    relation = enrolment.relations_of_unit(session, unit=enrolment.get_unit(session, actor=SYSTEM, public_id=unit_id))
    ended = client.post(f"/staff/insurance/{unit_id}/relations/{relation[0].public_id}/end", headers=staff,
                        data={"end_date": "2024-05-31", "reason": "21"})
    assert "减员已办理" in ended.text
    denied = client.post(f"/staff/insurance/{unit_id}/enrol", headers=factories.bearer(reviewer),
                         data={"id_number": number, "start_date": "2024-07-01", "reason": "13"})
    assert denied.status_code == 403
