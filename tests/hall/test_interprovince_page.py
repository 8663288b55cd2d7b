"""The citizen's 跨省通办 page (one node): choose the handling province among the configured peers; a
material satisfied by an electronic certificate travels as the verified reference, not as a file."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from renshe.core import crypto
from renshe.core.auth import SYSTEM, Principal, issue_token
from renshe.core.settings import get_settings
from renshe.hall import peers
from renshe.hall.interprovince import service as interprovince
from renshe.hall.models import Application, Material, PeerMessage
from renshe.registry.models import Person
from tests.hall.test_certificate_materials import ITEM, skill_certificate, subsidy_form


@pytest.fixture
def peer_province(session: Session, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("RENSHE_HALL_PEER_DELIVERY", "manual")  # nothing leaves this test
    province = "330000" if get_settings().province_code != "330000" else "310000"
    peers.add_peer(session, actor=SYSTEM, province_code=province, name="浙江省人社节点",
                   base_url="http://127.0.0.1:9", secret="a-shared-secret-for-the-test")
    return province


def _form(**extra: str) -> dict[str, str]:
    return {**{k: ("true" if v is True else str(v)) for k, v in subsidy_form().items()}, **extra}


def test_file_cross_province_from_the_page(client: TestClient, session: Session, catalog: int, applicant: Person,
                                           citizen: Principal, peer_province: str) -> None:
    cert = skill_certificate(session, applicant)
    client.cookies.set("renshe_token", issue_token(citizen, minutes=10))
    guide = client.get(f"/citizen/hall/items/{ITEM}")
    assert f'href="/citizen/hall/items/{ITEM}/interprovince"' in guide.text
    page = client.get(f"/citizen/hall/items/{ITEM}/interprovince")
    assert page.status_code == 200
    assert f'<option value="{peer_province}"' in page.text
    assert "来源：电子证照库" in page.text

    missing = client.post(f"/citizen/hall/items/{ITEM}/interprovince", data=_form(xp_mode="collect"))
    assert missing.status_code == 422
    assert '<span id="xp_province-error" class="field-error">请选择办理省份</span>' in missing.text
    wrong_place = client.post(f"/citizen/hall/items/{ITEM}/interprovince",
                              data=_form(xp_mode="collect", xp_province=peer_province, xp_division="110105"))
    assert wrong_place.status_code == 422
    assert "办理地须在所选省份之内" in wrong_place.text

    done = client.post(f"/citizen/hall/items/{ITEM}/interprovince",
                       data=_form(xp_mode="collect", xp_province=peer_province), follow_redirects=False)
    assert done.status_code == 303, done.text
    application = session.query(Application).one()
    assert application.channel == "xp_collect"
    detail = client.get(done.headers["location"])
    assert "跨省通办（代收代办）" in detail.text
    assert cert.identifier in detail.text

    # The certificate goes to the handler as the verified reference; there is no file to send.
    [message] = session.query(PeerMessage).all()
    payload = json.loads(crypto.cipher().decrypt(message.body_encrypted, purpose=peers.BODY_PURPOSE))
    assert payload["materials"] == []
    [ref] = payload["certificates"]
    assert ref["identifier"] == cert.identifier
    assert ref["status"] == "valid"
    assert ref["code"] == "certificate"

    # The handler (here the same database, as if it were the other node) accepts the reference.
    peer = peers.get_peer(session, peer_province)
    received, created = interprovince.receive(session, peer=peer, payload=payload)
    assert created
    [material] = session.query(Material).filter_by(application_id=received.id).all()
    assert material.source == "certificate"
    assert material.certificate_identifier == cert.identifier
    assert material.certificate is not None
    assert material.certificate["verified_by"] == "浙江省人社节点"

    # A reference the origin did not find valid satisfies nothing: the upload is then missing.
    spoiled = {**payload, "origin_id": "f" * 32, "certificates": [{**ref, "status": "revoked"}]}
    from renshe.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        interprovince.receive(session, peer=peer, payload=spoiled)
    assert [e.field for e in refused.value.errors] == ["materials.certificate"]
