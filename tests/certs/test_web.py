"""The API and the pages: staff issue and status changes, the public verify page (paste, image, PDF,
link), the citizen wallet."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from renshe.certs import render
from renshe.certs.models import Certificate
from renshe.core import crypto
from renshe.core.auth import Principal
from renshe.registry.models import Person
from tests import factories
from tests.certs.conftest import SKILL_FIELDS, citizen


def _staff_session(client: TestClient, session: Session, username: str, division: str = "110105") -> None:
    factories.staff_user(session, username=username, division=division, password="pw-pw-pw")
    session.commit()
    assert client.post("/staff/login", data={"username": username, "password": "pw-pw-pw"},
                       follow_redirects=False).status_code == 303


def test_api_issue_list_get_and_problems(client: TestClient, session: Session, clerk: Principal,
                                         holder: Person) -> None:
    headers = factories.bearer(clerk)
    session.commit()
    made = client.post("/api/v1/certs", headers=headers, json={
        "person_id": holder.public_id, "type": "vocational-skill-level", "fields": SKILL_FIELDS})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["jws"].startswith("eyJ")
    assert body["qr_payload"].startswith("RS1:")
    assert body["seal_signature"]["signatureAlgID"] == "1.2.156.10197.1.501"
    listed = client.get("/api/v1/certs", headers=headers, params={"q": holder.name})
    assert [c["identifier"] for c in listed.json()["items"]] == [body["identifier"]]
    bad = client.post("/api/v1/certs", headers=headers, json={"person_id": holder.public_id,
                                                              "type": "vocational-skill-level", "fields": {}})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert {e["field"] for e in bad.json()["errors"]} >= {"fields.occupation", "fields.level"}
    outsider = factories.bearer(factories.staff_user(session, username="api-haidian", division="110108"))
    session.commit()
    assert client.get(f"/api/v1/certs/{body['identifier']}", headers=outsider).status_code == 403
    assert client.post("/api/v1/certs/verify", json={"value": ""}).status_code == 422
    unknown = client.post("/api/v1/certs/verify", json={"value": "随便什么"}).json()
    assert unknown["result"] == "unknown"
    assert "证照标识" in unknown["reason"]


def test_api_suspend_resume_reissue(client: TestClient, session: Session, clerk: Principal,
                                    cert: Certificate) -> None:
    headers = factories.bearer(clerk)
    session.commit()
    path = f"/api/v1/certs/{cert.identifier}"
    assert client.post(f"{path}/suspend", headers=headers, json={"reason": "核查"}).json()["status"] == "suspended"
    assert client.post("/api/v1/certs/verify", json={"value": cert.jws}).json()["result"] == "suspended"
    assert client.post(f"{path}/suspend", headers=headers, json={"reason": "核查"}).status_code == 409
    assert client.post(f"{path}/resume", headers=headers, json={"reason": "无误"}).json()["status"] == "valid"
    new = client.post(f"{path}/reissue", headers=headers, json={"reason": "信息更正"})
    assert new.status_code == 201, new.text
    assert new.json()["version"] == 2
    assert client.post("/api/v1/certs/verify", json={"value": cert.identifier}).json()["result"] == "revoked"


def test_keys_endpoint_and_rotation(client: TestClient, session: Session, cert: Certificate) -> None:
    admin = factories.bearer(factories.staff_user(session, username="api-admin", division="110000",
                                                  roles=("admin",)))
    session.commit()
    before = client.get("/.well-known/renshe/keys").json()["keys"]
    assert {k["alg"] for k in before} == {"EdDSA", "ES256"}  # SM2 is published outside JOSE
    assert all(k["status"] == "active" for k in before)
    rotated = client.post("/api/v1/certs/keys/rotate", headers=admin)
    assert rotated.status_code == 200, rotated.text
    after = client.get("/.well-known/renshe/keys").json()["keys"]
    assert len(after) == 4
    assert {k["kid"]: k["status"] for k in after}[cert.jws_kid] == "retired"
    assert client.post("/api/v1/certs/verify", json={"value": cert.qr_payload}).json()["result"] == "valid"


def test_verify_page_paste_image_pdf_and_bad_upload(client: TestClient, session: Session, cert: Certificate) -> None:
    session.commit()
    page = client.get("/certs/verify")
    assert page.status_code == 200
    assert "电子证照核验" in page.text
    pasted = client.post("/certs/verify", data={"value": cert.identifier})
    assert 'data-result="valid"' in pasted.text
    assert "有效" in pasted.text
    png = render.qr_png(cert.qr_payload)
    image = client.post("/certs/verify", files={"upload": ("qr.png", io.BytesIO(png), "image/png")})
    assert 'data-result="valid"' in image.text, image.text[-2000:]
    pdf = render.certificate_pdf(render.PdfContent(
        title=cert.name, identifier=cert.identifier, number=cert.number, holder=cert.holder_name,
        holder_code=cert.holder_code_masked, rows=[], issuer_name=cert.issuer_name, issue_date="2026-01-01",
        validity="长期", seal_name=cert.seal_name, signer="x", signed_at="", qr_payload=cert.qr_payload,
        verify_url="https://x"))
    from_pdf = client.post("/certs/verify", files={"upload": ("c.pdf", io.BytesIO(pdf), "application/pdf")})
    assert 'data-result="valid"' in from_pdf.text
    junk = client.post("/certs/verify", files={"upload": ("x.png", io.BytesIO(b"not an image"), "image/png")})
    assert junk.status_code == 422
    assert "没有在上传的文件中识别到二维码" in junk.text
    empty = client.post("/certs/verify", data={"value": ""})
    assert empty.status_code == 422
    linked = client.get("/certs/verify", params={"id": cert.identifier})
    assert 'data-result="valid"' in linked.text


def test_citizen_wallet_link_and_log(client: TestClient, session: Session, cert: Certificate, holder: Person) -> None:
    headers = factories.bearer(citizen(holder))
    session.commit()
    listing = client.get("/citizen/certs", headers=headers)
    assert listing.status_code == 200
    assert "职业技能等级证书" in listing.text
    detail = client.get(f"/citizen/certs/{cert.public_id}", headers=headers)
    assert detail.status_code == 200
    assert "还没有人在线核验过" in detail.text
    made = client.post(f"/citizen/certs/{cert.public_id}/links", headers=headers, data={"days": "7", "purpose": "应聘"},
                       follow_redirects=False)
    assert made.status_code == 303
    shown = client.get(made.headers["location"], headers=headers)
    url = shown.text.split('id="new-link">', 1)[1].split("<", 1)[0]
    token = url.rsplit("/", 1)[-1]
    opened = client.get(f"/certs/v/{token}")
    assert opened.status_code == 200
    assert 'data-result="valid"' in opened.text
    assert crypto.mask_name(holder.name) in opened.text
    assert holder.name not in opened.text
    assert client.get("/certs/v/nope").status_code == 404
    log = client.get(f"/citizen/certs/{cert.public_id}", headers=headers)
    assert "核验链接" in log.text
    assert "匿名访问" in log.text
    bad_days = client.post(f"/citizen/certs/{cert.public_id}/links", headers=headers, data={"days": "400"})
    assert bad_days.status_code == 422
    api = client.post(f"/api/v1/me/certificates/{cert.identifier}/links", headers=headers, json={"days": 1})
    assert api.status_code == 201
    assert client.get("/api/v1/me/certificates", headers=headers).json()[0]["identifier"] == cert.identifier


def test_staff_pages_issue_and_revoke(client: TestClient, session: Session, holder: Person) -> None:
    _staff_session(client, session, "page-clerk")
    number = crypto.cipher().decrypt(holder.id_number_encrypted, purpose="person.id_number")
    form = client.get("/staff/certs/issue", params={"type": "vocational-skill-level"})
    assert form.status_code == 200
    assert "职业（工种）" in form.text
    bad = client.post("/staff/certs/issue", data={"type": "vocational-skill-level", "id_number": number})
    assert bad.status_code == 422
    assert "请填写职业（工种）" in bad.text
    good = client.post("/staff/certs/issue", data={
        "type": "vocational-skill-level", "id_number": number, "field_occupation": "焊工",
        "field_level": "四级/中级工", "field_evaluator": "某评价机构"}, follow_redirects=False)
    assert good.status_code == 303, good.text
    page = client.get(good.headers["location"])
    assert "证照已签发" in page.text
    assert "校验通过" in page.text
    public_id = good.headers["location"].split("/")[-1].split("?")[0]
    no_reason = client.post(f"/staff/certs/{public_id}/revoke", data={"reason": ""})
    assert no_reason.status_code == 422
    assert "请填写原因" in no_reason.text
    done = client.post(f"/staff/certs/{public_id}/revoke", data={"reason": "证书作废"}, follow_redirects=False)
    assert done.status_code == 303
    assert "已吊销" in client.get(done.headers["location"]).text
    listing = client.get("/staff/certs")
    assert "职业技能等级证书" in listing.text
    assert client.get(f"/staff/certs/{public_id}/pdf").content[:5] == b"%PDF-"
