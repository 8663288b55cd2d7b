"""一件事: one form (the union of the sub-items' fields), one submission filing every sub-application, all or
none, and the joint progress."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from renshe.core.auth import Principal
from renshe.core.errors import ValidationFailed
from renshe.hall.applications import reading
from renshe.hall.bundles import service as bundles
from renshe.hall.models import Application
from tests.hall.conftest import PDF, benefit_form, benefit_uploads
from tests.hall.test_api import citizen_headers


def bundle_form() -> dict[str, object]:
    return {**benefit_form(), "job_intention": "软件测试", "service_needs": "job_referral"}


def test_union_form_has_each_field_once(session: Session, catalog: int) -> None:
    bundle = bundles.get_bundle("unemployment-bundle")
    assert bundle.items == ("unemployment-registration", "unemployment-benefit", "employment-service")
    fields, materials = bundles.union_form(session, bundle)
    names = [f.name for f in fields]
    assert len(names) == len(set(names))
    assert {"name", "id_number", "job_intention", "bank_account", "former_employer"} <= set(names)
    assert {f.name: f.required for f in fields}["former_employer"] is True  # required by 失业保险金申领
    assert [m["code"] for m in materials].count("id_card") == 1
    assert "separation_proof" in {m["code"] for m in materials}


def test_one_submission_files_every_sub_application(session: Session, catalog: int, citizen: Principal) -> None:
    record = bundles.submit(session, actor=citizen, code="unemployment-bundle", data=bundle_form(),
                            uploads=benefit_uploads())
    subs = bundles.sub_applications(session, record)
    assert [a.item_code for a in subs] == ["unemployment-registration", "unemployment-benefit", "employment-service"]
    assert all(a.bundle_id == record.id for a in subs)
    assert len({a.number for a in subs}) == 3
    assert bundles.joint_state(subs) == "0/3 项已办结"
    assert reading.form_data(subs[2])["job_intention"] == "软件测试"


def test_a_broken_rule_refuses_the_whole_bundle(session: Session, catalog: int, citizen: Principal) -> None:
    with pytest.raises(ValidationFailed) as refused:
        bundles.submit(session, actor=citizen, code="unemployment-bundle",
                       data={**bundle_form(), "job_intention": ""}, uploads=[])
    fields = [e.field for e in refused.value.errors]
    assert "data.job_intention" in fields
    assert "materials.separation_proof" in fields
    assert len(fields) == len(set(fields))
    session.rollback()
    assert session.query(Application).count() == 0


def test_bundle_over_http_and_pages(client: TestClient, catalog: int, citizen: Principal) -> None:
    headers = citizen_headers(citizen)
    form = client.get("/citizen/hall/bundles/unemployment-bundle/apply", headers=headers)
    assert form.status_code == 200
    assert form.text.count('id="f-job_intention"') == 1
    made = client.post("/api/v1/hall/bundles/unemployment-bundle/applications", headers=headers, json={
        "data": bundle_form(), "materials": [{"code": "separation_proof", "filename": "证明.pdf",
                                              "content_base64": base64.b64encode(PDF).decode()}]})
    assert made.status_code == 201, made.text
    progress = client.get(f"/citizen/bundles/{made.json()['public_id']}", headers=headers)
    assert progress.status_code == 200
    assert "失业保险金申领" in progress.text
    assert "就业服务（求职登记）" in progress.text
    assert "0/3 项已办结" in progress.text
    assert "失业一件事" in client.get("/citizen/hall", headers=headers).text
