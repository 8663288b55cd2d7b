"""Acting for someone (代办): the represented person's consent (a code to their phone, or a standing
authorisation they granted and may revoke), nothing shown about them before it, one answer for a wrong name
or an unknown ID number, a notice of every filing in their name; the window clerk's filing unchanged."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core import crypto
from renshe.core.auth import Principal, issue_token
from renshe.core.models import OutgoingMessage
from renshe.hall import clock
from renshe.hall.applications import service
from renshe.hall.models import Application
from renshe.registry import service as registry
from renshe.registry.models import Notice, Person
from tests import factories
from tests.hall.conftest import COUNTY, citizen_of

ITEM = "ssc-loss-report"
FORM = {"operation": "temporary_loss"}
MOTHER_PHONE = "13700001111"


def _number(person: Person) -> str:
    return crypto.cipher().decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE)


@pytest.fixture
def mother(session: Session) -> Person:
    return factories.person(session, county=COUNTY, name="赵桂兰", male=False, phone=MOTHER_PHONE,
                            birth=date(1956, 2, 11))


def _sign_in(client: TestClient, who: Principal) -> None:
    client.cookies.set("renshe_token", issue_token(who, minutes=10))


def _texts_to(session: Session, phone: str) -> list[OutgoingMessage]:
    """The demo outbox's messages to PHONE, oldest first (the phone is stored encrypted)."""
    rows = session.scalars(select(OutgoingMessage).order_by(OutgoingMessage.id))
    return [m for m in rows if crypto.cipher().decrypt(m.phone_encrypted, purpose="message.phone") == phone]


def _code_sent_to(session: Session, phone: str) -> str:
    [*_, last] = [m for m in _texts_to(session, phone) if m.purpose == "proxy"]
    found = re.search(r"验证码(\d{6})", last.body)
    assert found, last.body
    return found.group(1)


def _who(mother: Person, **extra: str) -> dict[str, str]:
    return {"rep_id_number": _number(mother), "rep_name": mother.name, "rep_relationship": "parent",
            "rep_statement": "本人受母亲委托代为办理社会保障卡挂失", **extra}


def _reveals(text: str, person: Person) -> list[str]:
    """What of PERSON a page or answer shows: masked phone, residence, masked ID number, a sex field."""
    shown = []
    for marker in (crypto.mask_phone(MOTHER_PHONE), "朝阳区", person.id_number_masked, "性别"):
        if marker in text:
            shown.append(marker)
    return shown


def test_a_proxy_filing_without_consent_is_refused_and_reveals_nothing(
        client: TestClient, session: Session, catalog: int, citizen: Principal, mother: Person) -> None:
    representation = {"id_number": _number(mother), "name": mother.name, "relationship": "parent",
                      "statement": "本人受母亲委托代为办理社会保障卡挂失"}
    refused = client.post("/api/v1/hall/applications", headers=factories.bearer(citizen),
                          json={"item_code": ITEM, "data": FORM, "representation": representation})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "renshe:hall/consent-required"
    assert _reveals(refused.text, mother) == []
    forged = client.post("/api/v1/hall/applications", headers=factories.bearer(citizen), json={
        "item_code": ITEM, "data": FORM, "representation": {**representation, "consent": "0" * 32}})
    assert forged.json()["errors"][0]["code"] == "renshe:hall/consent-required"

    _sign_in(client, citizen)
    page = client.post(f"/citizen/hall/items/{ITEM}/proxy", data=_who(mother))
    assert page.status_code == 200
    assert 'id="consent-form"' in page.text  # the code step, and only that
    assert 'name="operation"' not in page.text
    assert _reveals(page.text, mother) == []
    direct = client.post(f"/citizen/hall/items/{ITEM}/apply", data={**_who(mother), **FORM}, follow_redirects=False)
    assert direct.status_code == 422
    assert "须经被代办人同意" in direct.text
    assert _reveals(direct.text, mother) == []
    assert session.scalar(select(Application.id)) is None
    assert session.scalar(select(Notice.id).where(Notice.person_id == mother.id)) is None


def test_with_the_code_from_the_represented_persons_phone_the_filing_succeeds_and_they_are_notified(
        client: TestClient, session: Session, catalog: int, citizen: Principal, applicant: Person,
        mother: Person) -> None:
    _sign_in(client, citizen)
    assert client.post(f"/citizen/hall/items/{ITEM}/proxy", data=_who(mother)).status_code == 200
    code = _code_sent_to(session, MOTHER_PHONE)
    wrong = "000000" if code != "000000" else "111111"
    again = client.post(f"/citizen/hall/items/{ITEM}/proxy/confirm", data=_who(mother, rep_code=wrong))
    assert again.status_code == 422
    assert "验证码错误" in again.text
    assert _reveals(again.text, mother) == []
    form = client.post(f"/citizen/hall/items/{ITEM}/proxy/confirm", data=_who(mother, rep_code=code))
    assert form.status_code == 200
    assert 'name="operation"' in form.text  # now the form, for her
    assert "赵桂兰" in form.text
    consent = re.search(r'name="rep_consent" value="([0-9a-f]{32})"', form.text)
    assert consent
    posted = client.post(f"/citizen/hall/items/{ITEM}/apply", data={**_who(mother, rep_consent=consent.group(1)),
                                                                    **FORM}, follow_redirects=False)
    assert posted.status_code == 303, posted.text
    application = session.scalars(select(Application)).one()
    assert (application.applicant_id, application.agent_id, application.channel) == (mother.id, applicant.id, "proxy")
    assert application.representation is not None
    assert application.representation["consent"] == "one_time_code"
    # The consent is used up: the same form again files nothing.
    replay = client.post(f"/citizen/hall/items/{ITEM}/apply", data={**_who(mother, rep_consent=consent.group(1)),
                                                                    **FORM}, follow_redirects=False)
    assert replay.status_code == 422
    assert session.scalar(select(Application.id).where(Application.id != application.id)) is None
    # She is told, in her message centre and by text message.
    [notice] = session.scalars(select(Notice).where(Notice.person_id == mother.id)).all()
    assert notice.kind == "hall.filed_for_you"
    assert "王秀英以您的名义提交了" in notice.title
    assert any("以您的名义" in m.body for m in _texts_to(session, MOTHER_PHONE) if m.purpose.startswith("notice"))
    _sign_in(client, citizen_of(mother))
    centre = client.get("/citizen/notices")
    assert "王秀英以您的名义提交了“社会保障卡挂失与解挂”申请" in centre.text
    assert "未读" in centre.text


def test_the_api_files_with_the_code_in_one_call(
        client: TestClient, session: Session, catalog: int, citizen: Principal, applicant: Person, mother: Person,
        clerk: Principal) -> None:
    asked = client.post("/api/v1/hall/representations/code", headers=factories.bearer(citizen),
                        json={"item_code": ITEM, "id_number": _number(mother), "name": mother.name})
    assert asked.status_code == 200, asked.text
    assert asked.json() == {"consent": "code_sent"}
    assert _reveals(asked.text, mother) == []
    soon = client.post("/api/v1/hall/representations/code", headers=factories.bearer(citizen),
                       json={"item_code": ITEM, "id_number": _number(mother), "name": mother.name})
    assert soon.status_code == 429  # one code a minute to her phone
    representation = {"id_number": _number(mother), "name": mother.name, "relationship": "parent",
                      "statement": "本人受母亲委托代为办理社会保障卡挂失", "code": _code_sent_to(session, MOTHER_PHONE)}
    made = client.post("/api/v1/hall/applications", headers=factories.bearer(citizen),
                       json={"item_code": ITEM, "data": FORM, "representation": representation})
    assert made.status_code == 201, made.text
    assert made.json()["representation"]["consent"] == "one_time_code"
    used = client.post("/api/v1/hall/applications", headers=factories.bearer(citizen),
                       json={"item_code": ITEM, "data": FORM, "representation": representation})
    assert used.status_code == 422  # a code works once
    # What follows is told to both: she applied through him, he acts for her.
    application = session.scalars(select(Application)).one()
    service.act(session, actor=clerk, application=application, action="accept")
    titles = {n.person_id: n.title for n in session.scalars(select(Notice).where(Notice.kind == "hall.accepted"))}
    assert titles == {mother.id: "您的“社会保障卡挂失与解挂”申请已受理",
                      applicant.id: "您为赵桂兰代办的“社会保障卡挂失与解挂”申请已受理"}


def _grant(client: TestClient, agent: Person, **extra: str) -> Any:
    return client.post("/citizen/authorisations", data={
        "agent_id_number": _number(agent), "agent_name": agent.name, "relationship": "child",
        "valid_until": (clock.today() + timedelta(days=30)).isoformat(), **extra}, follow_redirects=False)


def test_a_standing_authorisation_works_until_revoked(
        client: TestClient, session: Session, catalog: int, citizen: Principal, applicant: Person,
        mother: Person) -> None:
    _sign_in(client, citizen_of(mother))
    too_long = _grant(client, applicant, valid_until=(clock.today() + timedelta(days=400)).isoformat())
    assert too_long.status_code == 422
    assert "最长一年" in too_long.text
    assert _grant(client, applicant, item_code=ITEM).status_code == 303
    mine = client.get("/citizen/authorisations")
    assert "王秀英" in mine.text
    assert "社会保障卡挂失与解挂" in mine.text
    assert "有效" in mine.text
    [agent_notice] = session.scalars(select(Notice).where(Notice.person_id == applicant.id)).all()
    assert agent_notice.kind == "hall.authorised"

    _sign_in(client, citizen)
    form = client.post(f"/citizen/hall/items/{ITEM}/proxy", data=_who(mother))
    assert 'name="operation"' in form.text  # no code needed
    assert not [m for m in _texts_to(session, MOTHER_PHONE) if m.purpose == "proxy"]
    posted = client.post(f"/citizen/hall/items/{ITEM}/apply", data={**_who(mother), **FORM}, follow_redirects=False)
    assert posted.status_code == 303, posted.text
    application = session.scalars(select(Application)).one()
    assert application.representation is not None
    assert application.representation["consent"] == "standing"
    # Its scope is one item: another needs her code.
    other = client.post("/citizen/hall/items/unemployment-benefit/proxy", data=_who(mother))
    assert 'id="consent-form"' in other.text

    _sign_in(client, citizen_of(mother))
    grants = client.get("/api/v1/hall/authorisations", headers=factories.bearer(citizen_of(mother))).json()
    [given] = [g for g in grants if g["role"] == "grantor"]
    assert given["state"] == "active"
    revoked = client.post(f"/citizen/authorisations/{given['public_id']}/revoke", follow_redirects=False)
    assert revoked.status_code == 303
    assert "已撤销" in client.get("/citizen/authorisations").text

    after = client.post("/api/v1/hall/applications", headers=factories.bearer(citizen), json={
        "item_code": ITEM, "data": FORM, "representation": {
            "id_number": _number(mother), "name": mother.name, "relationship": "parent",
            "statement": "本人受母亲委托代为办理社会保障卡挂失"}})
    assert after.status_code == 422
    assert after.json()["errors"][0]["code"] == "renshe:hall/consent-required"
    # Only she may revoke her authorisation.
    assert client.post(f"/api/v1/hall/authorisations/{given['public_id']}/revoke",
                       headers=factories.bearer(citizen)).status_code == 404


def _answer(response: Any) -> tuple[int, Any, Any, Any]:
    body = response.json()
    return response.status_code, body["type"], body["detail"], body["errors"]


def test_a_name_mismatch_and_an_unknown_id_give_the_same_answer(
        client: TestClient, session: Session, catalog: int, citizen: Principal, mother: Person) -> None:
    headers = factories.bearer(citizen)
    wrong_name = client.post("/api/v1/hall/representations/code", headers=headers,
                             json={"item_code": ITEM, "id_number": _number(mother), "name": "赵桂芬"})
    unknown = client.post("/api/v1/hall/representations/code", headers=headers,
                          json={"item_code": ITEM, "id_number": factories.resident_id(COUNTY), "name": "赵桂兰"})
    departed = factories.person(session, county=COUNTY, name="钱老伯", phone="13700002222")
    departed.status = "deceased"  # 死亡: cannot consent, and the answer must not say so
    session.flush()
    deceased = client.post("/api/v1/hall/representations/code", headers=headers,
                           json={"item_code": ITEM, "id_number": _number(departed), "name": "钱老伯"})
    assert _answer(wrong_name) == _answer(unknown) == _answer(deceased)
    assert wrong_name.status_code == 422
    assert wrong_name.json()["errors"][0]["code"] == "renshe:hall/represented-mismatch"
    assert _texts_to(session, MOTHER_PHONE) == []

    _sign_in(client, citizen)
    pages = [client.post(f"/citizen/hall/items/{ITEM}/proxy", data={**_who(mother), "rep_name": name,
                                                                     "rep_id_number": number})
             for name, number in (("赵桂芬", _number(mother)), ("赵桂兰", factories.resident_id(COUNTY)))]
    assert [p.status_code for p in pages] == [422, 422]
    messages = [re.findall(r"<li>(.*?)</li>", p.text.split('class="error-list"')[1].split("</ul>")[0]) for p in pages]
    assert messages[0] == messages[1]
    assert "不匹配或未在平台登记" in messages[0][0]


def test_a_window_clerks_filing_for_a_present_citizen_needs_no_consent_record(
        client: TestClient, session: Session, catalog: int, clerk: Principal, applicant: Person) -> None:
    from renshe.hall.window import service as window

    window.send_window_code(session, actor=clerk, id_number=_number(applicant), item_code=ITEM)
    body = _texts_to(session, "13912345678")[-1].body
    code = re.search(r"验证码为(\d{6})", body)
    assert code
    app = window.submit_at_window(session, actor=clerk, item_code=ITEM, id_number=_number(applicant),
                                   code=code.group(1), data={"operation": "unlock"})
    assert (app.channel, app.agent_id) == ("window", None)
    assert app.representation is not None
    assert app.representation["kind"] == "window"
    # No "filed in your name" notice: the citizen was at the window.
    assert session.scalar(select(Notice.id).where(Notice.kind == "hall.filed_for_you")) is None
