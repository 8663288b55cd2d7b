"""Materials satisfied by electronic certificates: a required material that names certificate types is taken
from the certificate library (电子证照库) when the applicant holds a valid certificate, instead of uploaded."""

from __future__ import annotations

import base64
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from renshe.certs import service as certs
from renshe.core.auth import SYSTEM, Principal, issue_token
from renshe.core.errors import ValidationFailed
from renshe.hall import schemas
from renshe.hall.applications import materials as hall_materials
from renshe.hall.applications import reading, service
from renshe.hall.catalog import service as hall_catalog
from renshe.hall.models import Application, Material
from renshe.registry.models import Person
from tests import factories
from tests.hall.conftest import COUNTY, PDF, citizen_of

ITEM = "training-subsidy"
QUALIFICATION = "11100000000013338W002"
SKILL_LEVEL = "11100000000013338W003"


def subsidy_form(**overrides: object) -> dict[str, object]:
    """A complete 职业培训补贴申领 form (the prefilled fields left out)."""
    data: dict[str, object] = {
        "course": "电工", "institution": "北京市朝阳区职业技能培训学校", "certificate_kind": "skill_level",
        "certificate_no": "JN202600000001", "completed_on": "2026-09-30", "hours": 120, "bank": "ICBC",
        "bank_account": "6222020200112233445", "pledge": True,
    }
    data.update(overrides)
    return data


def skill_certificate(session: Session, person: Person) -> Any:
    return certs.issue(session, actor=SYSTEM, person_public_id=person.public_id, type_key="vocational-skill-level",
                       fields={"occupation": "电工", "level": "三级/高级工", "evaluator": "朝阳区职业技能等级认定中心"})


def test_the_shipped_item_names_the_certificate_types(session: Session, catalog: int) -> None:
    revision = hall_catalog.current_revision(session, hall_catalog.get_item(session, ITEM))
    material = next(m for m in revision.materials if m["code"] == "certificate")
    assert material["certificate_types"] == [QUALIFICATION, SKILL_LEVEL]
    assert material["required"] is True


def test_a_valid_certificate_satisfies_the_material_without_an_upload(
        session: Session, catalog: int, applicant: Person, citizen: Principal) -> None:
    cert = skill_certificate(session, applicant)
    application = service.submit(session, actor=citizen, item_code=ITEM, data=subsidy_form())
    [material] = session.query(Material).filter_by(application_id=application.id).all()
    assert material.source == "certificate"
    assert material.material_code == "certificate"
    assert material.certificate_identifier == cert.identifier
    assert material.stored_as == ""
    assert material.certificate is not None
    assert material.certificate["status"] == "valid"
    assert material.certificate["status_label"] == "有效"
    assert material.certificate["issuer"] == cert.issuer_name
    out = reading.application_out(session, application, actor=citizen)
    [shown] = out.materials
    assert shown.source == "certificate"
    assert shown.certificate is not None
    assert shown.certificate.identifier == cert.identifier
    assert shown.certificate.source == "电子证照库"
    submit_step = out.timeline[0]
    assert submit_step.details is not None
    assert submit_step.details["certificates"] == [cert.identifier]


def test_the_decision_snapshot_keeps_the_certificate_and_its_state(
        session: Session, catalog: int, applicant: Person, citizen: Principal, clerk: Principal,
        reviewer: Principal) -> None:
    cert = skill_certificate(session, applicant)
    application = service.submit(session, actor=citizen, item_code=ITEM, data=subsidy_form())
    service.act(session, actor=clerk, application=application, action="accept")
    service.act(session, actor=reviewer, application=application, action="review")
    service.act(session, actor=reviewer, application=application, action="approve", reason="证书核验有效")
    snapshot = service.decision_of(session, application)
    assert snapshot is not None
    data = service.snapshot_data(application, snapshot)
    [material] = data["materials"]
    assert material["source"] == "certificate"
    assert material["certificate"]["identifier"] == cert.identifier
    assert material["certificate"]["status"] == "valid"


def _revoke(session: Session, cert: Any) -> None:
    certs.revoke(session, actor=SYSTEM, cert=cert, reason="考核舞弊，撤销证书")


def _suspend(session: Session, cert: Any) -> None:
    certs.suspend(session, actor=SYSTEM, cert=cert, reason="核查中")


def _expire(session: Session, cert: Any) -> None:
    # The certificate types shipped here are long-term; move its validity into the past to test expiry.
    cert.valid_from = date.today() - timedelta(days=800)
    cert.valid_until = date.today() - timedelta(days=1)
    session.flush()


@pytest.mark.parametrize(("spoil", "label"), [(_revoke, "已吊销"), (_suspend, "已暂停"), (_expire, "已过期")])
def test_a_certificate_that_is_not_valid_does_not_satisfy(
        session: Session, catalog: int, applicant: Person, citizen: Principal, spoil: Any, label: str) -> None:
    cert = skill_certificate(session, applicant)
    spoil(session, cert)
    with pytest.raises(ValidationFailed) as refused:
        service.submit(session, actor=citizen, item_code=ITEM, data=subsidy_form())
    [error] = refused.value.errors
    assert error.field == "materials.certificate"
    assert error.code == "renshe:hall/material-certificate-not-valid"
    assert error.message == (f"电子证照库中的“职业技能等级证书”（证照标识{cert.identifier}）{label}，"
                             "不能作为“职业资格证书或职业技能等级证书”，请上传“职业资格证书或职业技能等级证书”（必交材料）")
    # With the upload it goes through, as an uploaded file.
    application = service.submit(session, actor=citizen, item_code=ITEM, data=subsidy_form(),
                                 uploads=[hall_materials.Upload("certificate", "证书.pdf", PDF)])
    [material] = session.query(Material).filter_by(application_id=application.id).all()
    assert material.source == "upload"
    assert material.certificate_identifier is None


def test_a_valid_certificate_wins_over_an_older_revoked_one(
        session: Session, catalog: int, applicant: Person, citizen: Principal) -> None:
    old = skill_certificate(session, applicant)
    _revoke(session, old)
    current = certs.issue(session, actor=SYSTEM, person_public_id=applicant.public_id,
                          type_key="vocational-qualification",
                          fields={"qualification": "电工", "level": "三级/高级工", "exam_date": "2025-06-01"})
    application = service.submit(session, actor=citizen, item_code=ITEM, data=subsidy_form())
    [material] = session.query(Material).filter_by(application_id=application.id).all()
    assert material.certificate_identifier == current.identifier


def test_without_any_certificate_the_upload_is_required_as_before(
        session: Session, catalog: int, citizen: Principal) -> None:
    with pytest.raises(ValidationFailed) as refused:
        service.submit(session, actor=citizen, item_code=ITEM, data=subsidy_form())
    assert [(e.field, e.code, e.message) for e in refused.value.errors] == [
        ("materials.certificate", "renshe:hall/material-missing", "请上传“职业资格证书或职业技能等级证书”（必交材料）")]


def test_an_upload_for_a_material_the_library_already_provides_is_refused(
        session: Session, catalog: int, applicant: Person, citizen: Principal) -> None:
    skill_certificate(session, applicant)
    with pytest.raises(ValidationFailed) as refused:
        service.submit(session, actor=citizen, item_code=ITEM, data=subsidy_form(),
                       uploads=[hall_materials.Upload("certificate", "证书.pdf", PDF)])
    [error] = refused.value.errors
    assert error.code == "renshe:hall/material-from-certificate"
    assert "已从电子证照库获取" in error.message


def test_for_a_family_member_the_represented_persons_certificate_counts(
        session: Session, catalog: int, applicant: Person, citizen: Principal) -> None:
    from renshe.core import crypto
    from renshe.registry import service as registry

    mother = factories.person(session, county=COUNTY, name="李桂兰", phone="13900001111", birth=date(1960, 3, 8),
                              male=False)
    cert = skill_certificate(session, mother)
    number = crypto.cipher().decrypt(mother.id_number_encrypted, purpose=registry.ID_PURPOSE)
    from renshe.hall import clock
    from renshe.hall.applications import consent

    consent.grant(session, actor=citizen_of(mother), data=schemas.AuthorisationIn(  # her standing authorisation
        agent_id_number=crypto.cipher().decrypt(applicant.id_number_encrypted, purpose=registry.ID_PURPOSE),
        agent_name=applicant.name, relationship="child", valid_until=clock.today() + timedelta(days=30)))
    application = service.submit(
        session, actor=citizen, item_code=ITEM, data=subsidy_form(),
        representation=schemas.RepresentationIn(id_number=number, name="李桂兰", relationship="parent",
                                                statement="本人委托女儿代为申领职业培训补贴"))
    [material] = session.query(Material).filter_by(application_id=application.id).all()
    assert material.certificate_identifier == cert.identifier
    # The agent's own certificates do not count for someone else's application.
    skill_certificate(session, applicant)
    mine = hall_materials.certificate_materials(session, person=mother, revision=application.revision)
    assert mine["certificate"].identifier == cert.identifier


def test_material_definitions_are_checked() -> None:
    ok = [{"code": "certificate", "name": "证书", "required": True, "certificate_types": [SKILL_LEVEL]}]
    assert hall_catalog.check_materials(ok) == []
    errors = hall_catalog.check_materials([
        {"code": "Bad Code", "name": ""}, {"code": "a", "name": "甲", "certificate_types": ["11100000000013338W999"]},
        {"code": "a", "name": "乙", "required": "yes"}, "x"])
    messages = [e.message for e in errors]
    assert "第1项材料的编码（code）应为小写字母开头的字母、数字或下划线，最多40个字符" in messages
    assert "第1项材料须有名称（name），最多100个字" in messages
    assert "第2项材料引用了电子证照库中没有的证照类型代码：11100000000013338W999" in messages
    assert "材料编码“a”重复" in messages
    assert "第3项材料的required应为true或false" in messages
    assert "第4项材料应为对象（JSON对象）" in messages
    assert hall_catalog.check_materials({"code": "a"})[0].code == "renshe:hall/materials-shape"


# ---------------------------------------------------------------- over HTTP


def _headers(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(principal, minutes=10)}"}


def test_api_submits_without_an_upload_and_refuses_a_revoked_certificate_per_field(
        client: TestClient, session: Session, catalog: int, applicant: Person, citizen: Principal) -> None:
    cert = skill_certificate(session, applicant)
    made = client.post("/api/v1/hall/applications", headers=_headers(citizen),
                       json={"item_code": ITEM, "data": subsidy_form()})
    assert made.status_code == 201, made.text
    [material] = made.json()["materials"]
    assert material["source"] == "certificate"
    assert material["certificate"]["identifier"] == cert.identifier
    assert material["certificate"]["status"] == "valid"
    # A certificate is verified, not downloaded.
    download = client.get(f"/api/v1/hall/applications/{made.json()['public_id']}/materials/{material['sm3']}",
                          headers=_headers(citizen))
    assert download.status_code == 404

    _revoke(session, cert)
    refused = client.post("/api/v1/hall/applications", headers=_headers(citizen),
                          json={"item_code": ITEM, "data": subsidy_form()})
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    [error] = refused.json()["errors"]
    assert error["field"] == "materials.certificate"
    assert error["code"] == "renshe:hall/material-certificate-not-valid"
    assert "已吊销" in error["message"]
    uploaded = client.post("/api/v1/hall/applications", headers=_headers(citizen), json={
        "item_code": ITEM, "data": subsidy_form(),
        "materials": [{"code": "certificate", "filename": "证书.pdf",
                       "content_base64": base64.b64encode(PDF).decode()}]})
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["materials"][0]["source"] == "upload"


def test_pages_show_the_certificate_instead_of_an_upload_field_and_link_staff_to_verification(
        client: TestClient, session: Session, catalog: int, applicant: Person, citizen: Principal,
        clerk: Principal) -> None:
    cert = skill_certificate(session, applicant)
    client.cookies.set("renshe_token", issue_token(citizen, minutes=10))
    form = client.get(f"/citizen/hall/items/{ITEM}/apply")
    assert form.status_code == 200
    assert "来源：电子证照库" in form.text
    assert cert.identifier in form.text
    assert cert.issuer_name in form.text
    assert 'name="material:certificate"' not in form.text
    assert 'name="material:invoice"' in form.text  # the optional invoice is still uploaded
    posted = client.post(f"/citizen/hall/items/{ITEM}/apply",
                         data={k: ("true" if v is True else str(v)) for k, v in subsidy_form().items()},
                         follow_redirects=False)
    assert posted.status_code == 303, posted.text
    application = session.query(Application).one()

    client.cookies.set("renshe_token", issue_token(clerk, minutes=10))
    page = client.get(f"/staff/hall/applications/{application.public_id}")
    assert page.status_code == 200
    assert f'href="/certs/verify?id={cert.identifier}"' in page.text
    assert "提交时状态：有效" in page.text

    # Revoked: the form asks for the upload and says why.
    _revoke(session, cert)
    client.cookies.set("renshe_token", issue_token(citizen_of(applicant), minutes=10))
    again = client.get(f"/citizen/hall/items/{ITEM}/apply")
    assert 'name="material:certificate"' in again.text
    assert "已吊销，不能代替本材料，请上传" in again.text
    refused = client.post(f"/citizen/hall/items/{ITEM}/apply",
                          data={k: ("true" if v is True else str(v)) for k, v in subsidy_form().items()})
    assert refused.status_code == 422
    assert 'id="m-certificate-error"' in refused.text
    assert "不能作为“职业资格证书或职业技能等级证书”" in refused.text
