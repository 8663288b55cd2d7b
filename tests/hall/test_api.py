"""The hall's JSON API and pages: problem+json codes, masking, the same-handler rule over HTTP."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from renshe.core.auth import Principal, issue_token
from renshe.hall.models import Application
from tests.factories import bearer
from tests.hall.conftest import PDF, benefit_form


def citizen_headers(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(principal, minutes=10)}"}


def _apply(client: TestClient, citizen: Principal, **overrides: Any) -> Any:
    return client.post("/api/v1/hall/applications", headers=citizen_headers(citizen), json={
        "item_code": "unemployment-benefit", "data": benefit_form(**overrides),
        "materials": [{"code": "separation_proof", "filename": "证明.pdf",
                       "content_base64": base64.b64encode(PDF).decode()}]})


def test_catalog_is_public_and_lists_the_items(client: TestClient, catalog: int) -> None:
    items = client.get("/api/v1/hall/items").json()["items"]
    names = {i["name"] for i in items}
    assert len(items) >= 10
    assert {"失业保险金申领", "社会保障卡申领", "社会保障卡挂失与解挂", "企业职工基本养老保险关系转移接续",
            "职工正常退休（职）申请", "就业创业证申领", "职业培训补贴申领", "技能人员职业资格证书查询",
            "个人权益记录查询打印", "失业登记", "一次性创业补贴申领"} <= names
    item = client.get("/api/v1/hall/items/unemployment-benefit").json()
    assert item["legal_limit_days"] == 10
    assert item["promised_limit_days"] == 5
    assert item["form"]["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_prefill_shows_provenance(client: TestClient, catalog: int, citizen: Principal) -> None:
    found = client.get("/api/v1/hall/items/unemployment-benefit/prefill", headers=citizen_headers(citizen)).json()
    assert found["name"]["value"] == "王秀英"
    assert found["name"]["resource"] == "person-basic"
    assert found["name"]["updated_at"]


def test_form_errors_are_problem_json_with_chinese_messages_per_field(
        client: TestClient, catalog: int, citizen: Principal) -> None:
    response = _apply(client, citizen, separation_date="2026-13-01", bank_account="abc", pledge=False,
                      separation_reason="")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors == {
        "data.separation_date": "“终止或解除劳动关系日期”应为有效日期，格式为YYYY-MM-DD",
        "data.separation_reason": "请选择“失业原因”（必填项）",
        "data.bank_account": "“银行账号”格式不正确：16至19位数字，不含空格",
        "data.pledge": "请确认“承诺”（必填项）",
    }


def test_a_submitted_value_for_a_locked_field_is_ignored(client: TestClient, catalog: int,
                                                         citizen: Principal) -> None:
    response = _apply(client, citizen, name="别人的名字", phone="13000000000")
    assert response.status_code == 201, response.text
    body = response.json()
    form = {f["name"]: f for f in body["form"]}
    assert form["name"]["value"] == "王秀英"
    assert form["name"]["locked"]
    assert form["phone"]["value"] == "13912345678"
    assert form["name"]["provenance"]["resource"] == "person-basic"
    assert body["state"] == "submitted"
    assert body["state_label"] == "已提交，待受理"


def test_the_same_clerk_cannot_also_review_the_same_application(
        client: TestClient, catalog: int, citizen: Principal, clerk_reviewer: Principal,
        reviewer: Principal) -> None:
    public_id = _apply(client, citizen).json()["public_id"]
    accepted = client.post(f"/api/v1/hall/applications/{public_id}/accept", json={}, headers=bearer(clerk_reviewer))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["deadline"]["due_date"]
    refused = client.post(f"/api/v1/hall/applications/{public_id}/review", json={}, headers=bearer(clerk_reviewer))
    assert refused.status_code == 403
    assert refused.json()["type"] == "renshe:hall/same-handler"
    assert "同一人" in refused.json()["detail"]
    reviewed = client.post(f"/api/v1/hall/applications/{public_id}/review", json={"reason": "同意"},
                           headers=bearer(reviewer))
    assert reviewed.status_code == 200
    approved = client.post(f"/api/v1/hall/applications/{public_id}/approve", json={}, headers=bearer(reviewer))
    assert approved.json()["decision"] == "approved"
    mine = client.get(f"/api/v1/hall/applications/{public_id}", headers=citizen_headers(citizen)).json()
    assert mine["state"] == "approved"
    assert [t["action"] for t in mine["timeline"]] == [
        "submit", "accept", "review", "approve"]


def test_transition_not_allowed_is_a_409_naming_state_and_action(
        client: TestClient, catalog: int, citizen: Principal, reviewer: Principal) -> None:
    public_id = _apply(client, citizen).json()["public_id"]
    response = client.post(f"/api/v1/hall/applications/{public_id}/approve", json={}, headers=bearer(reviewer))
    assert response.status_code == 409
    assert response.json()["type"] == "renshe:hall/transition-not-allowed"
    assert "state=submitted" in response.json()["detail"]
    assert "action=approve" in response.json()["detail"]


def test_stale_if_match_is_refused(client: TestClient, catalog: int, citizen: Principal, clerk: Principal) -> None:
    public_id = _apply(client, citizen).json()["public_id"]
    response = client.post(f"/api/v1/hall/applications/{public_id}/accept", json={},
                           headers={**bearer(clerk), "If-Match": 'W/"99"'})
    assert response.status_code == 412


def test_queue_is_scoped_to_the_callers_county(
        client: TestClient, catalog: int, citizen: Principal, clerk: Principal, other_clerk: Principal) -> None:
    public_id = _apply(client, citizen).json()["public_id"]
    own = client.get("/api/v1/hall/applications", headers=bearer(clerk)).json()["items"]
    assert [a["public_id"] for a in own] == [public_id]
    assert own[0]["applicant_id_number"].count("*") == 8
    other = client.get("/api/v1/hall/applications", headers=bearer(other_clerk)).json()["items"]
    assert other == []
    assert client.get(f"/api/v1/hall/applications/{public_id}", headers=bearer(other_clerk)).status_code == 403


def test_catalog_exports_for_reporting_upward(client: TestClient, catalog: int, clerk: Principal) -> None:
    from openpyxl import load_workbook

    rows = client.get("/api/v1/hall/catalog/export.json", headers=bearer(clerk)).json()
    assert len(rows) >= 10
    assert all(r["promised_limit_days"] <= r["legal_limit_days"] for r in rows)
    response = client.get("/api/v1/hall/catalog/export.xlsx", headers=bearer(clerk))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["事项编码", "事项名称"]
    assert "承诺时限（工作日）" in header
    assert sheet.max_row == len(rows) + 1


def test_apply_page_shows_locked_fields_with_provenance_and_field_errors(
        client: TestClient, session: Session, catalog: int, citizen: Principal) -> None:
    client.cookies.set("renshe_token", issue_token(citizen, minutes=10))
    page = client.get("/citizen/hall/items/unemployment-benefit/apply")
    assert page.status_code == 200
    html = page.text
    assert 'id="f-name" name="name" value="王秀英" readonly' in html
    assert "来源：人员基本信息" in html
    assert "更新于" in html
    posted = client.post("/citizen/hall/items/unemployment-benefit/apply",
                         data={"name": "别人", "bank_account": "12"}, files={"material:x": ("a.txt", b"")})
    assert posted.status_code == 422
    assert "“银行账号”格式不正确：16至19位数字，不含空格" in posted.text
    assert "请填写“失业前工作单位”（必填项）" in posted.text
    assert 'value="王秀英" readonly' in posted.text
    ok = client.post("/citizen/hall/items/unemployment-benefit/apply",
                     data={k: ("true" if v is True else str(v)) for k, v in benefit_form().items()},
                     files={"material:separation_proof": ("证明.pdf", PDF, "application/pdf")},
                     follow_redirects=False)
    assert ok.status_code == 303, ok.text
    detail = client.get(ok.headers["location"])
    assert "已提交，待受理" in detail.text
    assert "王秀英" in detail.text
    assert session.query(Application).count() == 1


def test_adaptation_flag_when_the_national_version_changes(
        client: TestClient, catalog: int, session: Session) -> None:
    from datetime import date

    from renshe.core.auth import SYSTEM
    from renshe.hall.catalog import service as hall_catalog

    spec = hall_catalog.publish_national(session, actor=SYSTEM, code="unemployment-benefit",
                                    changes={"legal_limit_days": 8}, note="压缩法定时限",
                                    published_on=date(2026, 1, 15))
    assert spec.version == 2
    item = hall_catalog.get_item(session, "unemployment-benefit")
    assert item.adaptation_due == date(2026, 7, 15)
    assert item.based_on_version == 1
    listed = {i["code"]: i for i in client.get("/api/v1/hall/items").json()["items"]}
    assert listed["unemployment-benefit"]["needs_adaptation"] is True
    assert listed["unemployment-benefit"]["adaptation_due"] == "2026-07-15"
    from renshe.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        hall_catalog.adapt_item(session, actor=SYSTEM, code="unemployment-benefit", note="调整", promised_limit_days=9)
    assert refused.value.errors[0].code == "renshe:hall/promised-exceeds-legal"
    revision = hall_catalog.adapt_item(session, actor=SYSTEM, code="unemployment-benefit", note="按新规范调整",
                                  promised_limit_days=4)
    assert revision.revision == 2
    assert revision.national_version == 2
    item = hall_catalog.get_item(session, "unemployment-benefit")
    assert item.adaptation_due is None
    assert item.promised_limit_days == 4
    assert hall_catalog.load_catalog(session, actor=SYSTEM) == 0  # idempotent: nothing new to add


def test_staff_pages_render_queue_catalog_window_and_print_views(
        client: TestClient, catalog: int, citizen: Principal, clerk_reviewer: Principal, session: Session) -> None:
    import re

    from renshe.core.models import OutgoingMessage

    public_id = _apply(client, citizen).json()["public_id"]
    client.cookies.set("renshe_token", issue_token(clerk_reviewer, minutes=10))
    queue = client.get("/staff/hall")
    assert queue.status_code == 200
    assert public_id in queue.text
    assert client.get("/staff/hall?due=overdue").status_code == 200
    catalog_page = client.get("/staff/hall/catalog")
    assert "已与国家规范一致" in catalog_page.text
    accepted = client.post(f"/staff/hall/applications/{public_id}/act", data={"action": "accept"},
                           follow_redirects=True)
    assert "已受理，待审核" in accepted.text
    # The clerk who accepted is told, in words, that they cannot review it.
    assert "按规定不能审核本办件" in accepted.text
    assert 'id="do-approve"' not in accepted.text
    receipt = client.get(f"/staff/hall/applications/{public_id}/print/receipt")
    assert "受理回执" in receipt.text
    assert "承诺办结日期" in receipt.text
    assert client.get(f"/staff/hall/applications/{public_id}/print/result").status_code == 409

    start = client.get("/staff/hall/window")
    assert "发送确认验证码" in start.text
    from renshe.core import crypto
    from renshe.registry import service as registry
    from renshe.registry.models import Person

    person = session.query(Person).filter_by(public_id=citizen.subject).one()
    number = crypto.cipher().decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE)
    form = client.post("/staff/hall/window", data={"step": "start", "item_code": "ssc-loss-report",
                                                   "id_number": number})
    assert form.status_code == 200
    assert "确认验证码已发送到 139****5678" in form.text
    body = session.query(OutgoingMessage).order_by(OutgoingMessage.id.desc()).first()
    assert body is not None
    code = re.search(r"验证码为(\d{6})", body.body)
    assert code
    done = client.post("/staff/hall/window", data={"step": "submit", "item_code": "ssc-loss-report",
                                                   "id_number": number, "operation": "temporary_loss",
                                                   "code": code.group(1)}, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert client.get(done.headers["location"]).text.count("窗口代录") >= 1


def test_cli_exports_the_catalog(catalog: int, tmp_path: Any) -> None:
    from openpyxl import load_workbook
    from typer.testing import CliRunner

    from renshe.cli import app

    out = tmp_path / "catalog.xlsx"
    result = CliRunner().invoke(app, ["hall", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert load_workbook(out).active.max_row >= 11
    bad = CliRunner().invoke(app, ["hall", "export", "--out", str(tmp_path / "catalog.csv")])
    assert bad.exit_code == 1
