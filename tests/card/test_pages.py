"""The card pages render in Chinese, mask numbers, and carry the citizen's and the clerk's flows."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from renshe.card import service
from renshe.core.auth import issue_token
from tests import factories
from tests.card import kit


def _as(client: TestClient, principal) -> None:  # type: ignore[no-untyped-def]
    client.cookies.set("renshe_token", issue_token(principal, minutes=10))


def test_citizen_applies_online_and_shows_the_code_page(client: TestClient, session: Session) -> None:
    person = factories.person(session, county="110105", name="孙悟")
    session.commit()
    _as(client, kit.citizen(person))
    page = client.get("/citizen/card")
    assert page.status_code == 200
    assert "申领社会保障卡" in page.text
    refused = client.post("/citizen/card/apply", data={"bank_code": ""})
    assert refused.status_code == 422
    assert "请选择金融功能合作银行" in refused.text
    applied = client.post("/citizen/card/apply", data={"bank_code": "PSBC"}, follow_redirects=True)
    assert "申领已提交" in applied.text
    assert "已申请" in applied.text
    # make the card active through the window, then sign the e-SSC from the page
    clerk = kit.clerk(session)
    card = service.live_card(session, person)
    assert card is not None
    batch = service.create_batch(session, actor=clerk, maker="制卡厂")
    service.mark_batch_produced(session, actor=clerk, batch=batch, accounts=[(card.public_id, kit.bank_account())])
    service.move(session, actor=clerk, card=card, action="issue")
    service.move(session, actor=clerk, card=card, action="activate")
    session.commit()
    shown = client.get("/citizen/card").text
    assert card.bank_account_masked in shown
    assert re.search(r"\d{16,19}", shown) is None  # no full bank account on the page
    essc = client.post("/citizen/card/essc", follow_redirects=True)
    assert essc.status_code == 200
    assert "请勿截图或将二维码发送给他人" in essc.text
    assert "440px" in essc.text
    assert "/api/v1/card/me/essc/code" in essc.text
    lost = client.post("/citizen/card/report-loss", data={}, follow_redirects=True)
    assert lost.status_code == 422
    lost = client.post("/citizen/card/report-loss", data={"confirm": "yes"}, follow_redirects=True)
    assert "挂失成功" in lost.text


def test_clerk_window_and_batch_pages(client: TestClient, session: Session) -> None:
    from renshe.core import crypto

    clerk = kit.clerk(session)
    person = factories.person(session, county="110105", name="周芳")
    session.commit()
    number = crypto.cipher().decrypt(person.id_number_encrypted, purpose="person.id_number")
    _as(client, clerk)
    assert "社保卡业务" in client.get("/staff/card").text
    found = client.get("/staff/card", params={"q": number})
    assert "该人员还没有社会保障卡" in found.text
    applied = client.post("/staff/card/apply", data={"id_number": number, "bank_code": "CCB"},
                          follow_redirects=True)
    assert "已申请" in applied.text
    created = client.post("/staff/card/batches", data={"maker": "某制卡中心"}, follow_redirects=True)
    assert "制卡批次已生成" in created.text
    batch_url = str(created.url)
    card = service.live_card(session, person)
    assert card is not None
    bad = client.post(batch_url.split("?")[0], data={f"account-{card.public_id}": "6217000000000000001"})
    assert bad.status_code == 422
    assert "校验位不正确" in bad.text
    assert f'id="account-{card.public_id}-error"' in bad.text
    good = client.post(batch_url.split("?")[0], data={f"account-{card.public_id}": kit.bank_account()},
                       follow_redirects=True)
    assert "已登记制卡完成" in good.text
    issued = client.post(f"/staff/card/cards/{card.public_id}/issue", data={"id_number": number},
                         follow_redirects=True)
    assert "已发卡" in issued.text
    cancel = client.post(f"/staff/card/cards/{card.public_id}/cancel", data={"id_number": number, "reason": ""})
    assert cancel.status_code == 422
    assert "请填写原因" in cancel.text


def test_scenarios_page_toggles_for_the_province_admin(client: TestClient, session: Session) -> None:
    admin = kit.admin(session)
    session.commit()
    _as(client, admin)
    page = client.get("/staff/card/scenarios")
    assert "同城待遇" in page.text
    assert "文化旅游" in page.text
    toggled = client.post("/staff/card/scenarios/culture-tourism", data={"enabled": "1"}, follow_redirects=True)
    assert "场景设置已保存" in toggled.text
    assert next(s for s in service.scenarios(session) if s.code == "culture-tourism").enabled is True


def test_admin_registers_a_terminal_on_the_page_secret_shown_once(client: TestClient, session: Session) -> None:
    from renshe.card.models import Terminal
    from renshe.core.models import AuditEntry

    admin = kit.admin(session)
    session.commit()
    _as(client, admin)
    page = client.get("/staff/card")
    assert 'href="/staff/card/terminals"' in page.text
    assert 'href="/staff/card/apps"' in page.text
    empty = client.get("/staff/card/terminals")
    assert empty.status_code == 200
    assert "本辖区还没有登记受理终端" in empty.text
    assert '<option value="culture-tourism"' not in empty.text  # disabled by default: not offered
    assert '<option value="110105"' in empty.text

    refused = client.post("/staff/card/terminals", data={"name": "x", "scenario": "culture-tourism",
                                                         "division_code": "120101"})
    assert refused.status_code == 422
    assert 'id="name-error"' in refused.text
    assert "请填写终端名称" in refused.text
    assert 'id="scenario-error"' in refused.text
    assert "请选择已开通的用卡场景" in refused.text
    assert 'id="division_code-error"' in refused.text
    assert "请选择本辖区内的市或区县" in refused.text
    assert session.query(Terminal).count() == 0

    made = client.post("/staff/card/terminals", data={"name": "朝阳医院挂号窗口", "scenario": "medical-settlement",
                                                      "division_code": "110105"})
    assert made.status_code == 200
    secret = re.search(r'id="created-secret"[^>]*>([^<]+)<', made.text)
    key = re.search(r'id="created-key"[^>]*>([^<]+)<', made.text)
    assert secret
    assert key
    terminal = service.authenticate_terminal(session, key_id=key.group(1), secret=secret.group(1))
    assert terminal.name == "朝阳医院挂号窗口"
    again = client.get("/staff/card/terminals")
    assert key.group(1) in again.text
    assert secret.group(1) not in again.text  # shown once only
    assert "尚未扫码" in again.text

    off = client.post(f"/staff/card/terminals/{terminal.public_id}/active", data={"active": "0"},
                      follow_redirects=True)
    assert "受理终端已停用" in off.text
    session.expire_all()
    from renshe.core.errors import Unauthorized

    try:
        service.authenticate_terminal(session, key_id=key.group(1), secret=secret.group(1))
    except Unauthorized:
        pass
    else:
        raise AssertionError("a disabled terminal still authenticates")
    on = client.post(f"/staff/card/terminals/{terminal.public_id}/active", data={"active": "1"},
                     follow_redirects=True)
    assert "受理终端已启用" in on.text
    actions = [r.action for r in session.query(AuditEntry).filter_by(entity_id=terminal.public_id)]
    assert {"card.terminal_add", "card.terminal_disable", "card.terminal_enable"} <= set(actions)


def test_terminal_page_shows_the_last_scan_and_refuses_clerks(client: TestClient, session: Session) -> None:
    admin = kit.admin(session)
    clerk = kit.clerk(session)
    person = factories.person(session, county="110105", name="郑和平")
    kit.active_card(session, clerk, person)
    service.issue_essc(session, actor=kit.citizen(person))
    terminal, _ = kit.terminal(session, admin)
    code = service.issue_code(session, actor=kit.citizen(person))
    outcome = service.scan(session, terminal=terminal, code=code.code)
    assert outcome.error is None
    session.commit()
    _as(client, admin)
    page = client.get("/staff/card/terminals")
    assert "尚未扫码" not in page.text
    assert 'tabindex="0" role="region" aria-label="受理终端列表' in page.text
    _as(client, clerk)
    assert 'href="/staff/card/terminals"' not in client.get("/staff/card").text
    assert client.get("/staff/card/terminals").status_code == 403
    assert client.post("/staff/card/terminals", data={"name": "某窗口", "scenario": "identity",
                                                      "division_code": "110105"}).status_code == 403
    assert client.get("/staff/card/apps").status_code == 403


def test_admin_registers_an_app_on_the_page(client: TestClient, session: Session) -> None:
    admin = kit.admin(session)
    session.commit()
    _as(client, admin)
    assert "还没有登记第三方应用" in client.get("/staff/card/apps").text
    refused = client.post("/staff/card/apps", data={"name": "某银行", "kind": "bank", "scopes": ["identity"],
                                                    "callback_url": "http://bank.example/cb"})
    assert refused.status_code == 422
    assert 'id="callback_url-error"' in refused.text
    assert "回调地址须为 https 地址" in refused.text
    assert 'value="某银行"' in refused.text  # the form keeps what was typed
    empty = client.post("/staff/card/apps", data={"name": "", "kind": "", "callback_url": ""})
    assert empty.status_code == 422
    for field in ("name", "kind", "scopes", "callback_url"):
        assert f'id="{field}-error"' in empty.text
    made = client.post("/staff/card/apps", data={"name": "某银行手机银行", "kind": "bank",
                                                 "scopes": ["identity", "card_status"],
                                                 "callback_url": "http://127.0.0.1:9000/cb"})
    assert made.status_code == 200
    app_id = re.search(r'id="created-app-id"[^>]*>([^<]+)<', made.text)
    secret = re.search(r'id="created-secret"[^>]*>([^<]+)<', made.text)
    assert app_id
    assert secret
    app = service.authenticate_app(session, app_id=app_id.group(1), secret=secret.group(1))
    assert app.scopes == ["identity", "card_status"]
    listed = client.get("/staff/card/apps").text
    assert "某银行手机银行" in listed
    assert "社会保障卡状态" in listed
    assert secret.group(1) not in listed


def test_staff_sees_a_persons_payments_in_yuan_paginated(client: TestClient, session: Session) -> None:
    from renshe.core import crypto

    clerk = kit.clerk(session)
    person = factories.person(session, county="110105", name="冯国强")
    kit.active_card(session, clerk, person)
    for month in range(1, 23):
        period = f"{2024 + (month - 1) // 12}-{(month - 1) % 12 + 1:02d}"
        service.credit_benefit(session, actor=clerk, person=person, programme="pension",
                               amount_fen=312345 + month, period=period, reference=f"PAY-{month:04d}")
    session.commit()
    number = crypto.cipher().decrypt(person.id_number_encrypted, purpose="person.id_number")
    _as(client, clerk)
    first = client.get("/staff/card", params={"q": number})
    assert "待遇进卡记录" in first.text
    assert "3123.46" in first.text  # 312346 fen
    assert "基本养老金" in first.text
    assert first.text.count("PAY-") == 20
    more = re.search(r'href="(/staff/card\?q=[^"]*pcursor=[^"#]+)', first.text)
    assert more, "no next-page link for the 21st payment"
    second = client.get(more.group(1).replace("&amp;", "&"))
    assert second.status_code == 200
    assert second.text.count("PAY-") == 2
    assert "3123.67" in second.text  # 312367 fen, the 22nd
    assert "第一页" in second.text
    broken = client.get("/staff/card", params={"q": number, "pcursor": "not-a-cursor"})
    assert broken.status_code == 200
    assert broken.text.count("PAY-") == 20
