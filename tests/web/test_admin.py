from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests import factories


def test_divisions_tree(client: TestClient) -> None:
    provinces = client.get("/api/v1/divisions").json()
    zhejiang = {"code": "330000", "name": "浙江省", "full_name": "浙江省", "level": "province", "current": True}
    assert zhejiang in provinces
    cities = client.get("/api/v1/divisions?parent=330000").json()
    assert "330100" in {c["code"] for c in cities}
    counties = client.get("/api/v1/divisions?parent=330100").json()
    assert all(c["level"] == "county" for c in counties)
    assert client.get("/api/v1/divisions/110105").json()["full_name"] == "北京市朝阳区"
    assert client.get("/api/v1/divisions/999999").status_code == 404


def test_admin_manages_users_within_reach(client: TestClient, session: Session) -> None:
    admin = factories.staff_user(session, username="city-admin", roles=("admin",), division="330100")
    clerk = factories.staff_user(session, username="plain-clerk", division="330106")
    session.commit()
    created = client.post("/api/v1/staff-users", headers=factories.bearer(admin), json={
        "username": "new-clerk", "display_name": "新受理员", "password": "long-enough", "roles": ["clerk"],
        "division_code": "330106", "with_totp": True})
    assert created.status_code == 201, created.text
    assert created.json()["totp_secret"]
    outside = client.post("/api/v1/staff-users", headers=factories.bearer(admin), json={
        "username": "far-clerk", "display_name": "x", "password": "long-enough", "roles": ["clerk"],
        "division_code": "330206"})
    assert outside.status_code == 404
    listed = {u["username"] for u in client.get("/api/v1/staff-users", headers=factories.bearer(admin)).json()}
    assert {"city-admin", "plain-clerk", "new-clerk"} <= listed
    assert client.get("/api/v1/staff-users", headers=factories.bearer(clerk)).status_code == 403


def test_deactivated_user_is_locked_out_at_once(client: TestClient, session: Session) -> None:
    admin = factories.staff_user(session, username="pa", roles=("admin",), division="330000", password="pa-pa-pa")
    clerk = factories.staff_user(session, username="pc", division="330106")
    session.commit()
    assert client.get("/api/v1/persons", headers=factories.bearer(clerk)).status_code == 200
    client.post("/staff/login", data={"username": "pa", "password": "pa-pa-pa"})
    refused = client.post("/staff/users/pc/active", data={"active": "0"})
    assert refused.status_code == 422  # needs the confirmation box
    done = client.post("/staff/users/pc/active", data={"active": "0", "confirm": "yes"}, follow_redirects=False)
    assert done.status_code == 303
    assert client.get("/api/v1/persons", headers=factories.bearer(clerk)).status_code == 401
    del admin


def test_audit_page_and_verify_api(client: TestClient, session: Session) -> None:
    admin = factories.staff_user(session, username="aa", roles=("admin",), division="110000", password="aa-aa-aa")
    factories.person(session, county="110105")
    session.commit()
    report = client.get("/api/v1/audit/verify", headers=factories.bearer(admin)).json()
    assert report["ok"] is True
    assert report["checked"] >= 2
    client.post("/staff/login", data={"username": "aa", "password": "aa-aa-aa"})
    page = client.get("/staff/audit?check=1").text
    assert "校验通过" in page
    assert "person.register" in page
