"""The card API over HTTP: the scan endpoint and its problems, the citizen's e-SSC, admin configuration,
third-party sign-in with a signed result the app verifies, and payments into the card."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.card import common, rules, service
from renshe.card.models import ScanRecord
from renshe.core import crypto
from renshe.core.auth import issue_token
from renshe.core.errors import DomainError
from renshe.core.models import AuditEntry
from tests import factories
from tests.card import kit


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 28, 9, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(common, "clock", fake)
    return fake


def _number(person) -> str:  # type: ignore[no-untyped-def]
    return crypto.cipher().decrypt(person.id_number_encrypted, purpose="person.id_number")


def _citizen_headers(person) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {issue_token(kit.citizen(person), minutes=10)}"}


def test_scan_endpoint_end_to_end(client: TestClient, session: Session, clock: Clock) -> None:
    admin = kit.admin(session)
    person = factories.person(session, county="110105", name="李建国")
    card = kit.active_card(session, admin, person)
    session.commit()
    me = _citizen_headers(person)
    staff = factories.bearer(admin)

    created = client.post("/api/v1/card/terminals", headers=staff, json={
        "name": "东城区医院收费处", "scenario": "medical-settlement", "division_code": "110101"})
    assert created.status_code == 201, created.text
    terminal = {"X-Terminal-Key": created.json()["key_id"], "X-Terminal-Secret": created.json()["secret"]}
    assert "secret" not in client.get("/api/v1/card/terminals", headers=staff).json()[0]

    assert client.post("/api/v1/card/me/essc", headers=me).status_code == 201
    code_response = client.get("/api/v1/card/me/essc/code", headers=me)
    assert code_response.status_code == 200
    body = code_response.json()
    assert body["valid_seconds"] == 60
    assert body["svg_data_uri"].startswith("data:image/svg+xml;base64,")
    assert code_response.headers["cache-control"] == "no-store"
    code = body["code"]

    clock.now += timedelta(seconds=5)
    ok = client.post("/api/v1/card/scan", headers=terminal, json={"code": code})
    assert ok.status_code == 200, ok.text
    answer = ok.json()
    assert answer["holder"] == {"name": "李*国", "id_number": person.id_number_masked}
    assert answer["allowed"] is True
    assert answer["reason"] is None
    assert answer["scenario_label"] == "就医结算"
    assert _number(person) not in ok.text

    replay = client.post("/api/v1/card/scan", headers=terminal, json={"code": code})
    assert replay.status_code == 409
    assert replay.headers["content-type"].startswith("application/problem+json")
    assert replay.json()["type"] == "renshe:card/code-replayed"

    expired_code = client.get("/api/v1/card/me/essc/code", headers=me).json()["code"]
    clock.now += timedelta(seconds=60)
    expired = client.post("/api/v1/card/scan", headers=terminal, json={"code": expired_code})
    assert expired.status_code == 410
    assert expired.json()["type"] == "renshe:card/code-expired"

    forged = expired_code[:-3] + ("AAA" if expired_code[-3:] != "AAA" else "BBB")
    assert client.post("/api/v1/card/scan", headers=terminal,
                       json={"code": forged}).json()["type"] == "renshe:card/code-forged"

    lost_code = client.get("/api/v1/card/me/essc/code", headers=me).json()["code"]
    assert client.post("/api/v1/card/me/report-loss", headers=me).json()["status"] == "lost"
    lost = client.post("/api/v1/card/scan", headers=terminal, json={"code": lost_code})
    assert lost.status_code == 403
    assert lost.json()["type"] == "renshe:card/card-lost"
    assert client.get("/api/v1/card/me/essc/code", headers=me).json()["type"] == "renshe:card/card-lost"

    bad_secret = client.post("/api/v1/card/scan", headers={**terminal, "X-Terminal-Secret": "nope"},
                             json={"code": lost_code})
    assert bad_secret.status_code == 401
    assert bad_secret.json()["type"] == "renshe:card/terminal-auth"

    # every scan was logged, the refused ones too, and the citizen sees them
    results = [r.reason or r.result for r in session.scalars(select(ScanRecord).order_by(ScanRecord.id))]
    assert results == ["accepted", "renshe:card/code-replayed", "renshe:card/code-expired",
                       "renshe:card/code-forged", "renshe:card/card-lost"]
    history = client.get("/api/v1/card/me/scans", headers=me).json()
    assert [h["result"] for h in history] == ["refused", "refused", "refused", "accepted"]  # forged: no holder
    assert history[0]["reason"] == "社保卡已挂失"
    assert history[0]["terminal"] == "东城区医院收费处"

    released = client.post(f"/api/v1/card/cards/{card.public_id}/release", headers=staff)
    assert released.json()["status"] == "active"
    fresh = client.get("/api/v1/card/me/essc/code", headers=me).json()["code"]
    assert client.post("/api/v1/card/scan", headers=terminal, json={"code": fresh}).status_code == 200


def test_window_flow_over_http(client: TestClient, session: Session) -> None:
    clerk = kit.clerk(session)
    person = factories.person(session, county="110105")
    session.commit()
    staff = factories.bearer(clerk)
    applied = client.post("/api/v1/card/applications", headers=staff,
                          json={"id_number": _number(person), "bank_code": "icbc"})
    assert applied.status_code == 201, applied.text
    card_id = applied.json()["public_id"]
    again = client.post("/api/v1/card/applications", headers=staff,
                        json={"id_number": _number(person), "bank_code": "ICBC"})
    assert again.status_code == 409
    assert again.json()["type"] == "renshe:card/already-has-card"
    refused = client.post(f"/api/v1/card/cards/{card_id}/activate", headers=staff)
    assert refused.status_code == 409
    assert refused.json()["type"] == "renshe:card/transition-not-allowed"
    assert client.post(f"/api/v1/card/cards/{card_id}/produce", headers=staff).status_code == 404
    batch = client.post("/api/v1/card/batches", headers=staff, json={"maker": "某制卡中心"})
    assert batch.status_code == 201
    batch_id = batch.json()["public_id"]
    detail = client.get(f"/api/v1/card/batches/{batch_id}", headers=staff).json()
    assert [c["public_id"] for c in detail["cards"]] == [card_id]
    assert rules.CARD_NUMBER.fullmatch(detail["cards"][0]["card_number"]) is None  # masked
    bad = client.post(f"/api/v1/card/batches/{batch_id}/produced", headers=staff,
                      json={"cards": [{"card_id": card_id, "bank_account": "6212261234567890123"}]})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "cards[0].bank_account"
    produced = client.post(f"/api/v1/card/batches/{batch_id}/produced", headers=staff,
                           json={"cards": [{"card_id": card_id, "bank_account": kit.bank_account()}]})
    assert produced.status_code == 200, produced.text
    for action in ("issue", "activate"):
        assert client.post(f"/api/v1/card/cards/{card_id}/{action}", headers=staff).status_code == 200
    cancel = client.post(f"/api/v1/card/cards/{card_id}/cancel", headers=staff, json={"reason": ""})
    assert cancel.status_code == 422
    replaced = client.post(f"/api/v1/card/cards/{card_id}/replace", headers=staff, json={"reason": "卡片损坏"})
    assert replaced.status_code == 201
    assert replaced.json()["replaces"] == card_id
    cards = client.get("/api/v1/card/cards", headers=staff, params={"id_number": _number(person)}).json()["items"]
    assert [c["status"] for c in cards] == ["applied", "replaced"]
    other = factories.staff_user(session, username="other-clerk", division="110108")
    session.commit()
    assert client.get(f"/api/v1/card/cards/{card_id}", headers=factories.bearer(other)).status_code == 403


def test_scenarios_admin_api(client: TestClient, session: Session) -> None:
    admin = kit.admin(session)
    county_admin = factories.staff_user(session, username="cadm", roles=("admin",), division="110105")
    clerk = kit.clerk(session)
    session.commit()
    listed = client.get("/api/v1/card/scenarios", headers=factories.bearer(clerk)).json()
    assert {s["code"] for s in listed} >= {"identity", "hrss-payment", "benefit-payment", "injury-settlement",
                                           "medical-settlement", "transport", "culture-tourism"}
    assert client.put("/api/v1/card/scenarios/transport", headers=factories.bearer(clerk),
                      json={"enabled": False}).status_code == 403
    assert client.put("/api/v1/card/scenarios/transport", headers=factories.bearer(county_admin),
                      json={"enabled": False}).json()["type"] == "renshe:card/province-only"
    off = client.put("/api/v1/card/scenarios/transport", headers=factories.bearer(admin), json={"enabled": False})
    assert off.json()["enabled"] is False
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "card.scenario_set"))
    assert entry is not None
    assert entry.after == {"enabled": False}


def test_third_party_sign_in_result_is_signed(client: TestClient, session: Session, clock: Clock) -> None:
    admin = kit.admin(session)
    person = factories.person(session, county="110105", name="赵丽")
    kit.active_card(session, admin, person)
    service.issue_essc(session, actor=kit.citizen(person))
    session.commit()
    staff = factories.bearer(admin)
    registered = client.post("/api/v1/card/apps", headers=staff, json={
        "name": "某银行手机银行", "kind": "bank", "scopes": ["identity", "card_status"],
        "callback_url": "https://bank.example.com/essc/callback"})
    assert registered.status_code == 201, registered.text
    app = {"X-App-Id": registered.json()["app_id"], "X-App-Secret": registered.json()["secret"]}
    assert client.post("/api/v1/card/apps", headers=staff, json={
        "name": "坏应用", "kind": "bank", "scopes": ["everything"], "callback_url": "http://evil.example.com"}
    ).status_code == 422

    too_much = client.post("/api/v1/card/sign-in-requests", headers=app,
                           json={"scopes": ["name"], "state": "abcdefgh12"})
    assert too_much.status_code == 422
    started = client.post("/api/v1/card/sign-in-requests", headers=app,
                          json={"scopes": ["identity", "card_status"], "state": "st-0123456789"})
    assert started.status_code == 201
    request_id = started.json()["request_id"]
    assert started.json()["confirm_url"] == f"/citizen/card/sign-in/{request_id}"
    pending = client.get(f"/api/v1/card/sign-in-requests/{request_id}", headers=app).json()
    assert pending["status"] == "pending"
    assert pending["result"] is None

    confirm = client.post(f"/citizen/card/sign-in/{request_id}", headers=_citizen_headers(person),
                          data={"decision": "approve"}, follow_redirects=False)
    assert confirm.status_code == 303
    done = client.get(f"/api/v1/card/sign-in-requests/{request_id}", headers=app).json()
    assert done["status"] == "confirmed"
    keys = {k["kid"]: rules.unb64url(k["x"]) for k in client.get("/api/v1/card/keys").json()["keys"]}
    claims = rules.verify_jws(done["result"], keys)
    assert claims["aud"] == app["X-App-Id"]
    assert claims["state"] == "st-0123456789"
    assert claims["holder"] == {"name": "赵*", "id_number": person.id_number_masked}
    assert claims["card_status"] == "active"
    assert "name" not in claims
    assert _number(person) not in done["result"]
    # a tampered payload or a foreign key fails verification
    header, payload, signature = done["result"].split(".")
    tampered = rules.b64url(rules.unb64url(payload).replace(b"active", b"ACTIVE"))
    with pytest.raises(rules.BadSignature):
        rules.verify_jws(f"{header}.{tampered}.{signature}", keys)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    stranger = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    with pytest.raises(rules.BadSignature):
        rules.verify_jws(done["result"], dict.fromkeys(keys, stranger))
    # the pairwise subject is stable per app and differs between apps
    second = client.post("/api/v1/card/apps", headers=staff, json={
        "name": "某城市服务", "kind": "city", "scopes": ["identity"], "callback_url": "https://city.example.com/cb"})
    other_app = service.authenticate_app(session, app_id=second.json()["app_id"], secret=second.json()["secret"])
    first_app = service.authenticate_app(session, app_id=app["X-App-Id"], secret=app["X-App-Secret"])
    assert claims["sub"] == service.pairwise_subject(first_app, person)
    assert service.pairwise_subject(other_app, person) != claims["sub"]
    # decided once; other apps cannot read it
    assert client.get(f"/api/v1/card/sign-in-requests/{request_id}", headers={
        "X-App-Id": second.json()["app_id"], "X-App-Secret": second.json()["secret"]}).status_code == 404
    late = client.post("/api/v1/card/sign-in-requests", headers=app,
                       json={"scopes": ["identity"], "state": "st-late-000"}).json()["request_id"]
    clock.now += timedelta(minutes=service.SIGN_IN_MINUTES)
    with pytest.raises(DomainError) as caught:
        service.decide_sign_in(session, actor=kit.citizen(person), request_id=late, approve=True)
    assert caught.value.code == "renshe:card/sign-in-expired"


def test_payments_are_idempotent_by_reference(client: TestClient, session: Session) -> None:
    clerk = kit.clerk(session)
    person = factories.person(session, county="110105")
    without_card = factories.person(session, county="110105", name="钱多多")
    card = kit.active_card(session, clerk, person)
    session.commit()
    staff = factories.bearer(clerk)
    payment = {"id_number": _number(person), "programme": "pension", "amount_fen": 385012, "period": "2026-11",
               "reference": "PEN-202611-0001", "description": "2026年11月基本养老金"}
    first = client.post("/api/v1/card/payments", headers=staff, json=payment)
    assert first.status_code == 201, first.text
    assert first.json()["amount"] == "3850.12"
    assert first.json()["status"] == "credited"
    assert first.json()["bank_account"] == card.bank_account_masked
    again = client.post("/api/v1/card/payments", headers=staff, json=payment)
    assert again.status_code == 200
    assert again.json()["public_id"] == first.json()["public_id"]
    changed = client.post("/api/v1/card/payments", headers=staff, json={**payment, "amount_fen": 1})
    assert changed.status_code == 409
    assert changed.json()["type"] == "renshe:card/payment-reference-conflict"
    assert client.post("/api/v1/card/payments", headers=staff,
                       json={**payment, "reference": "X-1", "amount_fen": 1.5}).status_code == 422
    held = client.post("/api/v1/card/payments", headers=staff, json={
        **payment, "id_number": _number(without_card), "reference": "SUB-0002", "programme": "subsidy"})
    assert held.json()["status"] == "held"
    mine = client.get("/api/v1/card/me/payments", headers=_citizen_headers(person)).json()["items"]
    assert [p["reference"] for p in mine] == ["PEN-202611-0001"]
    listed = client.get("/api/v1/card/payments", headers=staff, params={"id_number": _number(person)}).json()
    assert len(listed["items"]) == 1
    citizen_post = client.post("/api/v1/card/payments", headers=_citizen_headers(person), json=payment)
    assert citizen_post.status_code == 401


def test_a_disabled_terminal_is_refused_until_enabled_again(client: TestClient, session: Session) -> None:
    admin = kit.admin(session)
    session.commit()
    staff = factories.bearer(admin)
    created = client.post("/api/v1/card/terminals", headers=staff, json={
        "name": "东城区公交闸机", "scenario": "transport", "division_code": "110101"}).json()
    terminal = {"X-Terminal-Key": created["key_id"], "X-Terminal-Secret": created["secret"]}
    assert client.post("/api/v1/card/scan", headers=terminal, json={"code": "x"}).status_code != 401
    off = client.post(f"/api/v1/card/terminals/{created['public_id']}/disable", headers=staff)
    assert off.status_code == 200
    assert off.json()["active"] is False
    assert client.post("/api/v1/card/scan", headers=terminal, json={"code": "x"}).status_code == 401
    assert client.post(f"/api/v1/card/terminals/{created['public_id']}/enable", headers=staff).json()["active"]
    assert client.post("/api/v1/card/scan", headers=terminal, json={"code": "x"}).status_code != 401
    assert client.post(f"/api/v1/card/terminals/{created['public_id']}/explode", headers=staff).status_code == 404
    clerk = factories.bearer(factories.staff_user(session, username="card-clerk-t", roles=("clerk",)))
    session.commit()
    assert client.post(f"/api/v1/card/terminals/{created['public_id']}/disable", headers=clerk).status_code == 403
