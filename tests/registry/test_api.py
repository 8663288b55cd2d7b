from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core.models import AuditEntry
from tests import factories


def _audit(session: Session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_county_clerk_sees_own_county_and_is_refused_another(client: TestClient, session: Session) -> None:
    mine = factories.person(session, county="110105")
    theirs = factories.person(session, county="110108", name="李四")
    number_mine = factories.resident_id  # noqa: F841 - keep factories import used
    clerk = factories.staff_user(session, username="c1", division="110105")
    session.commit()
    from renshe.core import crypto
    from renshe.registry import service

    own_number = crypto.cipher().decrypt(mine.id_number_encrypted, purpose=service.ID_PURPOSE)
    other_number = crypto.cipher().decrypt(theirs.id_number_encrypted, purpose=service.ID_PURPOSE)

    ok = client.get(f"/api/v1/persons/{own_number}", headers=factories.bearer(clerk))
    assert ok.status_code == 200
    body = ok.json()
    assert body["id_number"] == own_number[:6] + "********" + own_number[-4:]
    assert body["id_number_masked"] is True
    assert body["phone"] == "138****5678"

    refused = client.get(f"/api/v1/persons/{other_number}", headers=factories.bearer(clerk))
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"] == "renshe:auth/out-of-jurisdiction"
    denials = [e for e in _audit(session, "person.read") if e.outcome == "denied"]
    assert [d.entity_id for d in denials] == [theirs.public_id]


def test_province_admin_sees_both(client: TestClient, session: Session) -> None:
    a = factories.person(session, county="110105")
    b = factories.person(session, county="110108")
    admin = factories.staff_user(session, username="a1", roles=("admin",), division="110000")
    session.commit()
    from renshe.core import crypto
    from renshe.registry import service

    for p in (a, b):
        number = crypto.cipher().decrypt(p.id_number_encrypted, purpose=service.ID_PURPOSE)
        assert client.get(f"/api/v1/persons/{number}", headers=factories.bearer(admin)).status_code == 200


def test_register_person_and_rules(client: TestClient, session: Session) -> None:
    clerk = factories.staff_user(session, username="c2", division="110105")
    session.commit()
    headers = factories.bearer(clerk)
    number = factories.resident_id("110105")
    created = client.post("/api/v1/persons", headers=headers, json={
        "id_number": number, "name": "王秀英", "phone": "13812345678", "residence_division": "110105"})
    assert created.status_code == 201, created.text
    assert created.json()["id_number_masked"] is True
    again = client.post("/api/v1/persons", headers=headers, json={
        "id_number": number, "name": "王秀英", "residence_division": "110105"})
    assert again.status_code == 409
    assert again.json()["type"] == "renshe:person/duplicate"

    bad = client.post("/api/v1/persons", headers=headers, json={
        "id_number": number[:-1] + ("0" if number[-1] != "0" else "1"), "name": "王秀英", "phone": "123",
        "residence_division": "110105"})
    assert bad.status_code == 422
    codes = {e["field"]: e["code"] for e in bad.json()["errors"]}
    assert codes == {"id_number": "renshe:id-number/check-character", "phone": "renshe:phone/format"}

    elsewhere = client.post("/api/v1/persons", headers=headers, json={
        "id_number": factories.resident_id("110108"), "name": "王秀英", "residence_division": "110108"})
    assert elsewhere.status_code == 403

    mismatch = client.post("/api/v1/persons", headers=headers, json={
        "id_number": factories.resident_id("110105", male=True), "name": "王秀英", "sex": "2",
        "residence_division": "110105"})
    assert mismatch.status_code == 422
    assert mismatch.json()["errors"][0]["code"] == "renshe:person/sex-mismatch"


def test_unauthenticated_and_bad_token(client: TestClient) -> None:
    assert client.get("/api/v1/persons").status_code == 401
    response = client.get("/api/v1/persons", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401
    assert response.json()["type"] == "renshe:auth/invalid-token"


def test_staff_token_endpoint(client: TestClient, session: Session) -> None:
    factories.staff_user(session, username="c3", password="right-pass")
    session.commit()
    ok = client.post("/api/v1/auth/token", data={"username": "c3", "password": "right-pass"})
    assert ok.status_code == 200
    token = ok.json()["access_token"]
    assert client.get("/api/v1/persons", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    bad = client.post("/api/v1/auth/token", data={"username": "c3", "password": "wrong"})
    assert bad.status_code == 401
    outcomes = [e.outcome for e in _audit(session, "auth.staff_sign_in")]
    assert outcomes == ["ok", "denied"]
