"""What a citizen's pages show of their own personal numbers (masked until they ask, audited), and the
public pages a new user looks for (issue 9, item 18): guides and certificate check linked from the home
page, the staff sign-in hint naming an account of the configured province, a favicon."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core.auth import Principal
from renshe.core.models import AuditEntry
from renshe.core.settings import get_settings
from renshe.hall.applications import service as hall_service
from renshe.hall.catalog import service as hall_catalog
from renshe.registry.models import Person
from tests import factories
from tests.hall.conftest import benefit_form, benefit_uploads

PHONE = "13912345678"


def _citizen(person: Person) -> Principal:
    return Principal(kind="citizen", subject=person.public_id, display_name=person.name,
                     division_code=person.residence_division)


def _number(session: Session, person: Person) -> str:
    from renshe.core import crypto
    from renshe.registry import service as registry

    return crypto.cipher().decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE)


def _unmask_audits(session: Session, action: str, entity_id: str) -> int:
    return len(session.scalars(select(AuditEntry).where(AuditEntry.action == action,
                                                        AuditEntry.entity_id == entity_id)).all())


def test_citizen_home_masks_own_numbers_until_the_person_asks(client: TestClient, session: Session) -> None:
    person = factories.person(session, name="欧阳秋菊", phone=PHONE)
    number = _number(session, person)
    session.commit()
    headers = factories.bearer(_citizen(person))
    home = client.get("/citizen", headers=headers)
    assert home.status_code == 200
    assert number not in home.text
    assert PHONE not in home.text
    assert number[:6] + "********" + number[-4:] in home.text
    assert "139****5678" in home.text
    link = re.search(r'<a class="button" id="reveal" href="([^"]+)"', home.text)
    assert link, "no reveal button"
    assert _unmask_audits(session, "person.unmask", person.public_id) == 0
    shown = client.get(link.group(1).replace("&amp;", "&"), headers=headers)
    assert shown.status_code == 200
    assert number in shown.text
    assert PHONE in shown.text
    assert 'id="conceal"' in shown.text
    assert _unmask_audits(session, "person.unmask", person.public_id) == 1


def test_another_citizen_cannot_unmask_someone_else(client: TestClient, session: Session) -> None:
    from renshe.core.errors import Forbidden
    from renshe.registry import service as registry

    person = factories.person(session, name="欧阳秋菊", phone=PHONE)
    other = factories.person(session, name="司马建华")
    with pytest.raises(Forbidden):
        registry.person_out(session, person, actor=_citizen(other), unmask=True)


def test_citizen_application_masks_bank_account_until_asked(client: TestClient, session: Session) -> None:
    person = factories.person(session, name="欧阳秋菊", phone="13900005678")
    citizen = _citizen(person)
    hall_catalog.load_catalog(session, actor=factories.SYSTEM)
    application = hall_service.submit(session, actor=citizen, item_code="unemployment-benefit",
                                      data=benefit_form(), uploads=benefit_uploads())
    account = str(benefit_form()["bank_account"])
    number = _number(session, person)
    session.commit()
    headers = factories.bearer(citizen)
    page = client.get(f"/citizen/applications/{application.public_id}", headers=headers)
    assert page.status_code == 200
    body = page.text.split("<h2>申请内容</h2>", 1)[1].split("</section>", 1)[0]
    assert account not in body
    assert number not in body
    assert re.search(r"6222\*+3445", body)
    assert 'id="reveal"' in body
    shown = client.get(f"/citizen/applications/{application.public_id}?unmask=1", headers=headers)
    body = shown.text.split("<h2>申请内容</h2>", 1)[1].split("</section>", 1)[0]
    assert account in body
    assert number in body
    assert _unmask_audits(session, "hall.unmask", application.public_id) == 1


def test_apply_form_masks_the_prefilled_numbers(client: TestClient, session: Session) -> None:
    person = factories.person(session, name="欧阳秋菊", phone=PHONE)
    number = _number(session, person)
    hall_catalog.load_catalog(session, actor=factories.SYSTEM)
    session.commit()
    form = client.get("/citizen/hall/items/unemployment-benefit/apply", headers=factories.bearer(_citizen(person)))
    assert form.status_code == 200
    assert number not in form.text
    assert PHONE not in form.text
    assert number[:6] + "********" + number[-4:] in form.text


def test_home_links_guides_and_certificate_check(client: TestClient) -> None:
    home = client.get("/")
    assert 'href="/citizen/hall"' in home.text
    assert 'href="/certs/verify"' in home.text
    assert client.get("/citizen/hall").status_code == 200  # open without signing in
    assert client.get("/certs/verify").status_code == 200


@pytest.mark.parametrize(("province", "county", "absent"), [("440000", "440103", "110105"),
                                                             ("110000", "110101", "supervisor-")])
def test_staff_sign_in_hint_names_an_account_of_the_configured_province(
        client: TestClient, monkeypatch: pytest.MonkeyPatch, province: str, county: str, absent: str) -> None:
    monkeypatch.setenv("RENSHE_PROVINCE_CODE", province)
    get_settings.cache_clear()
    try:
        page = client.get("/staff/login")
    finally:
        get_settings.cache_clear()
    hint = page.text.split('id="demo-accounts">', 1)[1].split("</p>", 1)[0]
    assert f"clerk-{county}" in hint
    assert absent not in hint  # Beijing has no city level: no supervisor-市级代码 accounts are seeded


def test_favicon_is_served(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/vnd.microsoft.icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert '<link rel="icon" href="/favicon.ico"' in client.get("/").text
