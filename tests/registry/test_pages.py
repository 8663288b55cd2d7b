from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests import factories


def _sign_in(client: TestClient, session: Session, username: str, division: str = "110105",
             roles: tuple[str, ...] = ("clerk",)) -> None:
    factories.staff_user(session, username=username, division=division, roles=roles, password="pw-pw-pw")
    session.commit()
    assert client.post("/staff/login", data={"username": username, "password": "pw-pw-pw"},
                       follow_redirects=False).status_code == 303


def test_register_person_page_names_the_broken_rule(client: TestClient, session: Session) -> None:
    _sign_in(client, session, "pg1")
    bad = client.post("/staff/persons/new", data={"id_number": "110105194912310021", "name": "王秀英",
                                                 "residence_division": "110105"})
    assert bad.status_code == 422
    assert "校验码应为X" in bad.text
    good = client.post("/staff/persons/new", data={"id_number": "11010519491231002X", "name": "王秀英",
                                                  "residence_division": "110105", "phone": "13812345678"},
                       follow_redirects=False)
    assert good.status_code == 303
    assert "登记成功" in client.get(good.headers["location"]).text


def test_edit_person_page_with_stale_version(client: TestClient, session: Session) -> None:
    person = factories.person(session, county="110105")
    _sign_in(client, session, "pg2")
    form = client.get(f"/staff/persons/{person.public_id}/edit")
    assert form.status_code == 200
    assert 'name="version" value="1"' in form.text
    saved = client.post(f"/staff/persons/{person.public_id}/edit",
                        data={"version": "1", "phone": "13600000000", "residence_division": "110105",
                              "status": "normal"}, follow_redirects=False)
    assert saved.status_code == 303
    page = client.get(saved.headers["location"]).text
    assert "变更已保存" in page
    assert "136****0000" in page
    stale = client.post(f"/staff/persons/{person.public_id}/edit",
                        data={"version": "1", "phone": "13600000001", "residence_division": "110105",
                              "status": "normal"})
    assert stale.status_code == 422
    assert "已被他人修改" in stale.text


def test_register_employer_page(client: TestClient, session: Session) -> None:
    _sign_in(client, session, "pg3")
    code = factories.credit_code("110105")
    bad = client.post("/staff/employers/new", data={"credit_code": code[:-1] + ("0" if code[-1] != "0" else "1"),
                                                   "name": "页面测试公司", "division_code": "110105",
                                                   "legal_representative": "吴一"})
    assert bad.status_code == 422
    assert "校验码应为" in bad.text
    good = client.post("/staff/employers/new", data={"credit_code": code, "name": "页面测试公司",
                                                    "division_code": "110105", "legal_representative": "吴一"},
                       follow_redirects=False)
    assert good.status_code == 303
    assert "页面测试公司" in client.get(good.headers["location"]).text


def test_merge_needs_confirmation_and_a_reason(client: TestClient, session: Session) -> None:
    from datetime import date

    keep = factories.person(session, county="110105", name="郑二", birth=date(1966, 6, 6))
    dup = factories.person(session, county="110105", name="郑二", birth=date(1966, 6, 6))
    _sign_in(client, session, "pg4", roles=("reviewer",))
    page = client.get(f"/staff/persons/{keep.public_id}").text
    assert "疑似重复记录" in page
    confirm = client.post(f"/staff/persons/{keep.public_id}/merge", data={"duplicate_public_id": dup.public_id})
    assert "确认合并" in confirm.text
    merged = client.post(f"/staff/persons/{keep.public_id}/merge",
                         data={"duplicate_public_id": dup.public_id, "confirm": "yes", "reason": "重复登记"},
                         follow_redirects=False)
    assert merged.status_code == 303
    assert "已合并" in client.get(f"/staff/persons/{dup.public_id}").text
