from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core import crypto, staff
from renshe.core.auth import SYSTEM
from renshe.core.models import AuditEntry, OutgoingMessage
from renshe.registry import service
from tests import factories


def test_health_ready_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["schema"]
    client.get("/")
    metrics = client.get("/metrics").text
    assert "renshe_http_requests_total" in metrics


def test_request_id_is_echoed_and_generated(client: TestClient) -> None:
    assert client.get("/healthz", headers={"X-Request-Id": "abc-123"}).headers["x-request-id"] == "abc-123"
    assert len(client.get("/healthz").headers["x-request-id"]) == 32


def test_openapi_lists_the_routes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/persons/{id_number}" in spec["paths"]
    assert "/api/v1/auth/token" in spec["paths"]


def test_problem_details(client: TestClient, session: Session) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["instance"] == missing.headers["x-request-id"]
    clerk = factories.staff_user(session, username="pd", division="110105")
    session.commit()
    malformed = client.post("/api/v1/persons", headers={**factories.bearer(clerk), "content-type": "application/json"},
                            content=b"{not json")
    assert malformed.status_code == 400
    incomplete = client.post("/api/v1/persons", headers=factories.bearer(clerk), json={"name": "王五"})
    assert incomplete.status_code == 422
    fields = {e["field"] for e in incomplete.json()["errors"]}
    assert {"id_number", "residence_division"} <= fields


def test_entrance_page_conventions(client: TestClient) -> None:
    page = client.get("/").text
    for entrance in ("个人服务", "单位服务", "经办"):
        assert entrance in page
    for meta in ("SiteName", "SiteDomain", "SiteIDCode"):
        assert f'name="{meta}"' in page
    assert "长辈版" in page
    assert "网站标识码" in page


def test_elderly_mode_is_remembered(client: TestClient) -> None:
    response = client.get("/prefs/elderly?on=1&next=/staff/login", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/login"
    assert 'class="elderly"' in client.get("/citizen/login").text
    client.get("/prefs/elderly?on=0&next=/")
    assert 'class="elderly"' not in client.get("/").text
    # an open redirect is refused
    assert client.get("/prefs/elderly?on=1&next=//evil.example", follow_redirects=False).headers["location"] == "/"


def test_staff_pages_redirect_to_sign_in(client: TestClient) -> None:
    response = client.get("/staff", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/staff/login")


def test_citizen_signs_in_with_a_code(client: TestClient, session: Session) -> None:
    person = factories.person(session, county="110105", phone="13912345678")
    number = crypto.cipher().decrypt(person.id_number_encrypted, purpose=service.ID_PURPOSE)
    session.commit()
    sent = client.post("/api/v1/auth/citizen/code", json={"id_number": number})
    assert sent.status_code == 200
    assert sent.json()["sent"] is True
    assert "phone" not in sent.json()  # the answer does not tell whether (or where) a code went
    message = session.scalars(select(OutgoingMessage).order_by(OutgoingMessage.id.desc())).first()
    assert message is not None
    code = re.search(r"\d{6}", message.body)
    assert code is not None
    wrong = client.post("/api/v1/auth/citizen/token", json={"id_number": number, "code": "000000"
                        if code.group() != "000000" else "111111"})
    assert wrong.status_code == 401
    token = client.post("/api/v1/auth/citizen/token", json={"id_number": number, "code": code.group()})
    assert token.status_code == 200
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    mine = client.get(f"/api/v1/persons/{number}", headers=headers)
    assert mine.status_code == 200
    assert mine.json()["id_number"] == number  # a citizen sees their own number in full
    other = factories.person(session, county="110105", name="邻居")
    other_number = crypto.cipher().decrypt(other.id_number_encrypted, purpose=service.ID_PURPOSE)
    session.commit()
    assert client.get(f"/api/v1/persons/{other_number}", headers=headers).status_code == 403
    # the code works once
    again = client.post("/api/v1/auth/citizen/token", json={"id_number": number, "code": code.group()})
    assert again.status_code == 401


def test_code_attempts_are_limited(client: TestClient, session: Session) -> None:
    person = factories.person(session, county="110105")
    number = crypto.cipher().decrypt(person.id_number_encrypted, purpose=service.ID_PURPOSE)
    session.commit()
    client.post("/api/v1/auth/citizen/code", json={"id_number": number})
    message = session.scalars(select(OutgoingMessage).order_by(OutgoingMessage.id.desc())).first()
    assert message is not None
    right = re.search(r"\d{6}", message.body)
    assert right is not None
    wrong = "000000" if right.group() != "000000" else "111111"
    for _ in range(5):
        assert client.post("/api/v1/auth/citizen/token", json={"id_number": number, "code": wrong}).status_code == 401
    blocked = client.post("/api/v1/auth/citizen/token", json={"id_number": number, "code": right.group()})
    assert blocked.status_code == 401
    assert blocked.json()["type"] == "renshe:auth/too-many-attempts"


def test_employer_agent_sees_only_its_own(client: TestClient, session: Session) -> None:
    mine = factories.employer(session, county="110105", password="pw-1234")
    other = factories.employer(session, county="110105", name="别家公司", password="pw-5678")
    worker = factories.person(session, county="110105")
    session.commit()
    token = client.post("/api/v1/auth/employer/token", json={"credit_code": mine.credit_code, "password": "pw-1234"})
    assert token.status_code == 200
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert client.get(f"/api/v1/employers/{mine.credit_code}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/employers/{other.credit_code}", headers=headers).status_code == 403
    number = crypto.cipher().decrypt(worker.id_number_encrypted, purpose=service.ID_PURPOSE)
    assert client.get(f"/api/v1/persons/{number}", headers=headers).status_code == 403
    hired = client.post(f"/api/v1/employers/{mine.credit_code}/employments", headers=headers,
                        json={"id_number": number, "start_date": "2024-03-01", "job_title": "会计"})
    assert hired.status_code == 201, hired.text
    assert client.get(f"/api/v1/persons/{number}", headers=headers).status_code == 200  # now its employee
    ended = client.post(f"/api/v1/employers/{mine.credit_code}/employments/{hired.json()['public_id']}/end",
                        headers=headers, json={"end_date": "2024-02-01"})
    assert ended.status_code == 422  # before the start
    bad = client.post("/api/v1/auth/employer/token", json={"credit_code": mine.credit_code, "password": "nope"})
    assert bad.status_code == 401


def test_unmask_needs_a_named_grant_and_is_audited(client: TestClient, session: Session) -> None:
    person = factories.person(session, county="110105")
    number = crypto.cipher().decrypt(person.id_number_encrypted, purpose=service.ID_PURPOSE)
    admin = factories.staff_user(session, username="boss", roles=("admin",), division="110000")
    session.commit()
    refused = client.get(f"/api/v1/persons/{number}?unmask=true", headers=factories.bearer(admin))
    assert refused.status_code == 403
    staff.grant(session, actor=SYSTEM, username="boss", permission="pii.unmask", reason="稽核")
    session.commit()
    shown = client.get(f"/api/v1/persons/{number}?unmask=true", headers=factories.bearer(admin))
    assert shown.status_code == 200
    assert shown.json()["id_number"] == number
    assert shown.json()["id_number_masked"] is False
    actions = [(e.action, e.outcome) for e in session.scalars(
        select(AuditEntry).where(AuditEntry.action == "person.unmask").order_by(AuditEntry.id))]
    assert actions == [("person.unmask", "denied"), ("person.unmask", "ok")]


def test_person_page_shows_masked_id_and_history(client: TestClient, session: Session) -> None:
    person = factories.person(session, county="110105")
    factories.staff_user(session, username="pp", division="110105", password="pw-pw-pw")
    session.commit()
    signed = client.post("/staff/login", data={"username": "pp", "password": "pw-pw-pw", "next": "/staff"},
                         follow_redirects=False)
    assert signed.status_code == 303
    page = client.get(f"/staff/persons/{person.public_id}").text
    assert re.search(r'id="id-number">110105\*{8}\w{4}<', page)
    assert "person.register" in page
    workbench = client.get("/staff?q=张三").text
    assert person.public_id in workbench


def test_idempotency_key_replays_the_first_answer(client: TestClient, session: Session) -> None:
    clerk = factories.staff_user(session, username="ik", division="110105")
    session.commit()
    headers = {**factories.bearer(clerk), "Idempotency-Key": "create-1"}
    body = {"id_number": factories.resident_id("110105"), "name": "孙九", "residence_division": "110105"}
    first = client.post("/api/v1/persons", headers=headers, json=body)
    second = client.post("/api/v1/persons", headers=headers, json=body)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["idempotent-replayed"] == "true"
    other = client.post("/api/v1/persons", headers=headers, json={**body, "name": "孙十"})
    assert other.status_code == 422
    assert other.json()["type"] == "renshe:idempotency/mismatch"
    registered = list(session.scalars(select(AuditEntry).where(AuditEntry.action == "person.register")))
    assert len(registered) == 1
