from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from renshe.core import crypto
from renshe.core.auth import SYSTEM, Principal, issue_token
from renshe.core.models import AuditEntry
from renshe.registry import service as registry
from renshe.sharing import service
from renshe.sharing.models import CallLogEntry
from tests import factories


def _consumer(session: Session, *grants: str) -> tuple[str, str]:
    consumer, secret = service.add_consumer(session, actor=SYSTEM, name="某市市场监管局", grants=list(grants),
                                            purpose="企业登记核验", legal_basis="依法履职")
    session.commit()
    return consumer.client_id, secret


def _token(client: TestClient, client_id: str, secret: str) -> dict[str, str]:
    response = client.post("/share/v1/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                                    "client_secret": secret})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_identity_verification_answers_and_logs(client: TestClient, session: Session) -> None:
    person = factories.person(session, county="110105", name="王秀英")
    number = crypto.cipher().decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE)
    client_id, secret = _consumer(session, "identity-verification")
    headers = _token(client, client_id, secret)

    def verify(name: str, id_number: str) -> str:
        response = client.post("/share/v1/verify/identity", headers=headers,
                               json={"name": name, "id_number": id_number})
        assert response.status_code == 200, response.text
        assert set(response.json()) == {"result"}  # the stored name is never returned
        return str(response.json()["result"])

    assert verify("王秀英", number) == "match"
    assert verify("王秀", number) == "mismatch"
    assert verify("王秀英", factories.resident_id("110108")) == "not_found"
    bad = client.post("/share/v1/verify/identity", headers=headers, json={"name": "x", "id_number": "123"})
    assert bad.status_code == 422
    calls = list(session.scalars(select(CallLogEntry).where(CallLogEntry.consumer == client_id)
                                 .order_by(CallLogEntry.id)))
    assert [(c.result, c.status) for c in calls] == [("match", 200), ("mismatch", 200), ("not_found", 200),
                                                     ("renshe:validation", 422)]
    assert calls[0].subject_masked == number[:6] + "********" + number[-4:]
    assert calls[0].purpose == "企业登记核验"


def test_deny_by_default(client: TestClient, session: Session) -> None:
    client_id, secret = _consumer(session, "person-basic")
    headers = _token(client, client_id, secret)
    refused = client.post("/share/v1/verify/identity", headers=headers,
                          json={"name": "王秀英", "id_number": "11010519491231002X"})
    assert refused.status_code == 403
    assert refused.json()["type"] == "renshe:sharing/no-grant"
    logged = session.scalar(select(CallLogEntry).where(CallLogEntry.consumer == client_id))
    assert logged is not None
    assert (logged.status, logged.success) == (403, False)
    denied = session.scalar(select(AuditEntry).where(AuditEntry.action == "sharing.call"))
    assert denied is not None
    assert denied.outcome == "denied"


def test_catalog_and_allowed(client: TestClient, session: Session) -> None:
    client_id, secret = _consumer(session, "identity-verification")
    headers = _token(client, client_id, secret)
    everything = {r["short_name"] for r in client.get("/share/v1/catalog", headers=headers).json()}
    assert {"identity-verification", "person-basic", "insurance-participation", "employment-status",
            "unemployment-registration", "ssc-status", "certificate-validity", "pension-receipt"} <= everything
    allowed = client.get("/share/v1/catalog/allowed", headers=headers).json()
    assert [r["short_name"] for r in allowed] == ["identity-verification"]
    assert allowed[0]["sharing_type_label"] == "有条件共享"


def test_bad_secret_and_expired_token(client: TestClient, session: Session) -> None:
    client_id, _secret = _consumer(session, "identity-verification")
    wrong = client.post("/share/v1/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                                 "client_secret": "nope"})
    assert wrong.status_code == 401
    expired = issue_token(Principal(kind="consumer", subject=client_id, display_name="x"), minutes=-1)
    response = client.post("/share/v1/verify/identity", headers={"Authorization": f"Bearer {expired}"},
                           json={"name": "a", "id_number": "11010519491231002X"})
    assert response.status_code == 401
    assert response.json()["type"] == "renshe:auth/expired-token"
    staff = factories.staff_user(session, username="not-a-consumer")
    session.commit()
    as_staff = client.post("/share/v1/verify/identity", headers=factories.bearer(staff),
                           json={"name": "a", "id_number": "11010519491231002X"})
    assert as_staff.status_code == 401


def test_unknown_grant_is_refused(session: Session) -> None:
    from renshe.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        service.add_consumer(session, actor=SYSTEM, name="x", grants=["no-such-thing"], purpose="p", legal_basis="b")


def test_cli_add_consumer_prints_credentials(client: TestClient, session: Session) -> None:
    from renshe.cli import app

    result = CliRunner().invoke(app, ["sharing", "add-consumer", "--name", "某区医保局", "--grant",
                                      "identity-verification"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["client_id"].startswith("c")
    assert len(printed["client_secret"]) > 30
    _token(client, printed["client_id"], printed["client_secret"])


def test_local_catalog_export_has_base_and_local(client: TestClient, session: Session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    from renshe.cli import app

    runner = CliRunner()
    added = runner.invoke(app, ["sharing", "add-resource", "--code", "RS-99-0001", "--short-name", "local-talent",
                                "--name", "人才补贴发放信息", "--provider", "某省人社厅",
                                "--provider-code", "91110000600037341L", "--summary", "本省人才补贴发放记录",
                                "--item", "id_number:string:18", "--item", "amount_fen:integer:12"])
    assert added.exit_code == 0, added.output
    again = runner.invoke(app, ["sharing", "add-resource", "--code", "RS-99-0001", "--short-name", "local-talent",
                                "--name", "x", "--provider", "x", "--provider-code", "91110000600037341L",
                                "--summary", "x", "--item", "a"])
    assert again.exit_code == 1
    out = tmp_path / "catalog.json"
    assert runner.invoke(app, ["sharing", "export-catalog", str(out)]).exit_code == 0
    rows = json.loads(out.read_text())
    names = {r["short_name"] for r in rows}
    assert {"identity-verification", "pension-receipt", "local-talent"} <= names
    assert [r["local"] for r in rows if r["short_name"] == "local-talent"] == [True]
    xlsx = tmp_path / "catalog.xlsx"
    assert runner.invoke(app, ["sharing", "export-catalog", str(xlsx)]).exit_code == 0
    sheet = load_workbook(xlsx).active
    assert sheet is not None
    cells = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "local-talent" in cells
    assert "identity-verification" in cells
    admin = factories.staff_user(session, username="cat-admin", roles=("admin",), division="110000")
    session.commit()
    api = client.get("/api/v1/sharing/catalog/export?format=json", headers=factories.bearer(admin))
    assert api.status_code == 200
    assert "local-talent" in {r["short_name"] for r in api.json()}


def test_staff_pages_create_a_consumer_and_show_calls(client: TestClient, session: Session) -> None:
    factories.staff_user(session, username="share-admin", roles=("admin",), division="110000", password="pw-pw-pw")
    session.commit()
    client.post("/staff/login", data={"username": "share-admin", "password": "pw-pw-pw"})
    page = client.get("/staff/sharing")
    assert page.status_code == 200
    assert "公民身份信息核验" in page.text
    none = client.post("/staff/sharing/consumers", data={"name": "某局", "purpose": "核验", "legal_basis": "依法"})
    assert none.status_code == 422
    assert "至少勾选一个" in none.text
    made = client.post("/staff/sharing/consumers", data={
        "name": "某局", "purpose": "核验身份", "legal_basis": "依法履职", "grants": ["identity-verification"]})
    assert made.status_code == 200
    assert "只显示这一次" in made.text
    assert client.get("/staff/sharing/calls").status_code == 200


def test_status_queries_through_the_registration_point(client: TestClient, session: Session) -> None:
    from datetime import date

    from renshe.registry import schemas as registry_schemas

    person = factories.person(session, county="110105", name="冯三")
    number = crypto.cipher().decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE)
    employer = factories.employer(session, county="110105")
    registry.report_employment(session, actor=SYSTEM, employer=employer, data=registry_schemas.EmploymentIn(
        id_number=number, start_date=date(2023, 4, 1)))
    client_id, secret = _consumer(session, "employment-status", "person-basic")
    headers = _token(client, client_id, secret)
    status = client.post("/share/v1/query/employment-status", headers=headers, json={"id_number": number}).json()
    assert status["found"] is True
    assert status["employed"] is True
    assert status["employers"][0]["credit_code"] == employer.credit_code
    basic = client.post("/share/v1/query/person-basic", headers=headers, json={"id_number": number}).json()
    assert basic["name"] == "冯三"
    assert basic["id_number"] == number[:6] + "********" + number[-4:]  # masked for consumers
    unknown = client.post("/share/v1/query/person-basic", headers=headers,
                          json={"id_number": factories.resident_id("110108")}).json()
    assert unknown == {"found": False}
    not_granted = client.post("/share/v1/query/ssc-status", headers=headers, json={"id_number": number})
    assert not_granted.status_code == 403
    assert "person-basic" in service.answerable()


def test_rate_limit_and_daily_quota(client: TestClient, session: Session) -> None:
    from renshe.sharing.models import Consumer

    client_id, secret = _consumer(session, "identity-verification")
    consumer = session.scalar(select(Consumer).where(Consumer.client_id == client_id))
    assert consumer is not None
    consumer.rate_per_minute = 2
    session.commit()
    headers = _token(client, client_id, secret)
    body = {"name": "甲", "id_number": "11010519491231002X"}
    codes = [client.post("/share/v1/verify/identity", headers=headers, json=body).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    limited = client.post("/share/v1/verify/identity", headers=headers, json=body)
    assert limited.json()["type"] == "renshe:sharing/rate-limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    service.reset_limits()
    consumer.rate_per_minute = 100
    consumer.daily_quota = 2  # two successful calls are already in today's log
    session.commit()
    over = client.post("/share/v1/verify/identity", headers=headers, json=body)
    assert over.status_code == 429
    assert over.json()["type"] == "renshe:sharing/quota-exceeded"
    assert int(over.headers["retry-after"]) > 0


def test_citizen_sees_who_looked_them_up_and_prefill(client: TestClient, session: Session) -> None:
    import re

    from renshe.core.models import OutgoingMessage

    person = factories.person(session, county="110105", name="褚五", phone="13711112222")
    number = crypto.cipher().decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE)
    client_id, secret = _consumer(session, "identity-verification")
    client.post("/share/v1/verify/identity", headers=_token(client, client_id, secret),
                json={"name": "褚五", "id_number": number})
    client.post("/api/v1/auth/citizen/code", json={"id_number": number})
    message = session.scalars(select(OutgoingMessage).order_by(OutgoingMessage.id.desc())).first()
    assert message is not None
    code = re.search(r"\d{6}", message.body)
    assert code is not None
    signed = client.post("/citizen/login", data={"id_number": number, "code": code.group(), "action": "verify"},
                         follow_redirects=False)
    assert signed.status_code == 303
    page = client.get("/citizen/lookups").text
    assert "某市市场监管局" in page
    assert "企业登记核验" in page
    token = client.post("/api/v1/auth/citizen/token", json={"id_number": number, "code": code.group()})
    assert token.status_code == 401  # the code was used by the page sign-in
    cookie_prefill = client.get("/api/v1/me/prefill?fields=name,phone,employer_name")
    assert cookie_prefill.status_code == 200
    filled = cookie_prefill.json()
    assert filled["name"]["value"] == "褚五"
    assert filled["phone"]["value"] == "13711112222"
    assert filled["name"]["resource"] == "person-basic"
    assert "employer_name" not in filled  # not held: the form must ask for it
    assert client.get("/api/v1/me/prefill?fields=nonsense").status_code == 422
