"""The social security card through the real pages: the demo citizen signs the e-SSC and shows its QR code,
which counts down and refreshes (driven by the browser's clock, never by sleeping), and a terminal accepts
the code shown; an administrator registers a terminal on its page and sees the secret once. The citizen and
staff card pages pass axe in normal and elderly mode, and the elderly QR and buttons are large.

One demo server for this module (module-scoped, so the certificate module's server is another one, started
after this one is stopped)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from stdnum import luhn

from tests.browser import conftest as browser
from tests.browser.conftest import LiveServer, assert_no_axe_violations, set_elderly, sign_in_staff

pytestmark = pytest.mark.browser
MODES = {"normal": False, "elderly": True}


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A seeded server of this module's own: its tests change the demo person's card and certificates."""
    yield from browser.serve_demo(tmp_path_factory)


context = browser.context
page = browser.page


def _shot(page: Any, name: str) -> None:
    """With RENSHE_SCREENSHOT_DIR set, keep a full-page screenshot (as tests/browser/test_accessibility.py)."""
    directory = os.environ.get("RENSHE_SCREENSHOT_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory) / f"card-{name}.png"), full_page=True)


def _api(live_server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=live_server.base_url, timeout=30,
                        headers={"Authorization": f"Bearer {live_server.admin_token}"})


@pytest.fixture(scope="module")
def carded(live_server: LiveServer) -> dict[str, str]:
    """The demo citizen's card taken to active through the staff API, two benefits paid into it, and a
    terminal to scan codes with."""
    own = live_server.own
    with _api(live_server) as api:
        card = api.post("/api/v1/card/applications", json={"id_number": own.id_number, "bank_code": "ICBC"})
        assert card.status_code == 201, card.text
        card_id = card.json()["public_id"]
        batch = api.post("/api/v1/card/batches", json={"maker": "演示制卡中心"})
        assert batch.status_code == 201, batch.text
        detail = api.get(f"/api/v1/card/batches/{batch.json()['public_id']}").json()
        rows = []
        for n, c in enumerate(detail["cards"]):
            body = f"621226{n:012d}"
            rows.append({"card_id": c["public_id"], "bank_account": body + luhn.calc_check_digit(body)})
        produced = api.post(f"/api/v1/card/batches/{detail['public_id']}/produced", json={"cards": rows})
        assert produced.status_code == 200, produced.text
        for action in ("issue", "activate"):
            moved = api.post(f"/api/v1/card/cards/{card_id}/{action}", json={})
            assert moved.status_code == 200, moved.text
        for n, fen in enumerate((312345, 5000)):
            paid = api.post("/api/v1/card/payments", json={
                "id_number": own.id_number, "programme": "pension", "amount_fen": fen, "period": f"2026-0{n + 1}",
                "reference": f"BROWSER-{n}"})
            assert paid.status_code == 201, paid.text
        terminal = api.post("/api/v1/card/terminals", json={
            "name": "朝阳医院挂号窗口", "scenario": "medical-settlement", "division_code": own.county})
        assert terminal.status_code == 201, terminal.text
    return {"card": card_id, "key": terminal.json()["key_id"], "secret": terminal.json()["secret"]}


def sign_in_citizen(page: Any, live_server: LiveServer) -> None:
    """The demo citizen signs in with the one-time code from the demo outbox."""
    browser.sign_in_citizen(page, live_server.own.id_number, live_server.own.phone)


def open_essc(page: Any) -> None:
    """From the card page to the code page: sign the e-SSC first if this is its first use."""
    sign = page.locator("form[action='/citizen/card/essc'] button")
    if sign.count():
        sign.click()
    else:
        page.click("a[href='/citizen/card/essc']")
    page.wait_for_url("**/citizen/card/essc**")
    expect(page.locator("#essc-img")).to_have_attribute("data-code", re.compile(r"^SSC"))


def test_citizen_shows_the_essc_code_it_counts_down_and_refreshes(page: Any, live_server: LiveServer,
                                                                    carded: dict[str, str]) -> None:
    sign_in_citizen(page, live_server)
    page.clock.install()  # the page's timers run on a clock the test moves: no waiting a minute
    page.goto("/citizen/card")
    expect(page.locator("#card-status")).to_contain_text("已启用")
    main = page.locator("main").inner_text()
    assert "3123.45" in main
    assert "50.00" in main
    assert_no_axe_violations(page, "/citizen/card (normal)")
    open_essc(page)
    img, countdown = page.locator("#essc-img"), page.locator("#essc-countdown")
    first = img.get_attribute("data-code")
    expect(countdown).to_have_text(re.compile(r"^\d+ 秒后自动刷新"))
    assert countdown.get_attribute("aria-live") in (None, "off")  # not read out every second
    expect(page.locator("#essc-status")).to_have_text("二维码已更新，60 秒内有效")
    assert_no_axe_violations(page, "/citizen/card/essc (normal)")

    page.clock.pause_at(page.evaluate("Date.now()") + 1000)  # from here time moves only when the test says
    left = int(countdown.inner_text().split()[0])
    assert 40 < left <= 60, left
    page.clock.run_for(10_000)
    expect(countdown).to_have_text(re.compile(rf"^{left - 10} 秒后自动刷新"))
    assert img.get_attribute("data-code") == first
    page.clock.run_for((left - 10) * 1000 + 500)  # past the code's life: the page fetches a new one by itself
    expect(img).not_to_have_attribute("data-code", first)
    second = img.get_attribute("data-code")
    expect(countdown).to_have_text(re.compile(r"^60 秒后自动刷新"))

    page.click("#essc-refresh")  # and at once on request
    expect(img).not_to_have_attribute("data-code", second)
    shown = img.get_attribute("data-code")
    assert shown is not None

    # the code on the screen is a real one: a terminal accepts it once, and the holder sees the scan
    with httpx.Client(base_url=live_server.base_url, timeout=30) as terminal:
        headers = {"X-Terminal-Key": carded["key"], "X-Terminal-Secret": carded["secret"]}
        accepted = terminal.post("/api/v1/card/scan", json={"code": shown}, headers=headers)
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["allowed"] is True
        replayed = terminal.post("/api/v1/card/scan", json={"code": shown}, headers=headers)
        assert replayed.status_code == 409
        assert replayed.json()["type"] == "renshe:card/code-replayed"
    page.goto("/citizen/card")
    history = page.locator("main").inner_text()
    assert "朝阳医院挂号窗口" in history
    assert "核验通过" in history


def test_citizen_card_pages_in_elderly_mode(context: Any, live_server: LiveServer, carded: dict[str, str]) -> None:
    set_elderly(context, live_server)
    page = context.new_page()
    sign_in_citizen(page, live_server)
    page.goto("/citizen/card")
    assert "elderly" in (page.locator("body").get_attribute("class") or "")
    assert_no_axe_violations(page, "/citizen/card (elderly)")
    for target in page.locator("main .button.primary, main button.primary, main .choices label").all():
        box = target.bounding_box()
        assert box is not None
        assert box["height"] >= 60, (target.inner_text(), box)
    open_essc(page)
    assert_no_axe_violations(page, "/citizen/card/essc (elderly)")
    _shot(page, "essc-elderly")
    qr = page.locator("#essc-img").bounding_box()
    assert qr is not None
    assert qr["width"] >= 240, qr
    assert qr["height"] >= 240, qr
    for selector in ("#essc-refresh", "main a.button"):
        for box in [b.bounding_box() for b in page.locator(selector).all()]:
            assert box is not None
            assert box["height"] >= 60, (selector, box)
    # on a phone-sized screen the code still fills at least 240 px
    page.set_viewport_size({"width": 360, "height": 740})
    qr = page.locator("#essc-img").bounding_box()
    assert qr is not None
    assert qr["width"] >= 240, qr


@pytest.mark.parametrize("mode", MODES)
def test_staff_card_pages_have_no_axe_violations(context: Any, live_server: LiveServer, carded: dict[str, str],
                                                 mode: str) -> None:
    set_elderly(context, live_server, MODES[mode])
    page = context.new_page()
    sign_in_staff(page, "admin")
    page.goto(f"/staff/card?q={live_server.own.id_number}")
    expect(page.locator("#payments tbody tr")).to_have_count(2)
    assert "3123.45" in page.locator("#payments").inner_text()
    assert_no_axe_violations(page, f"/staff/card with a person ({mode})")
    _shot(page, f"staff-{mode}")
    for path in ("/staff/card/terminals", "/staff/card/apps", "/staff/card/batches", "/staff/card/scenarios"):
        response = page.goto(path)
        assert response is not None
        assert response.status == 200, path
        assert_no_axe_violations(page, f"{path} ({mode})")
        _shot(page, f"{path.rsplit('/', 1)[-1]}-{mode}")


def test_admin_registers_a_terminal_and_sees_the_secret_once(page: Any, live_server: LiveServer) -> None:
    sign_in_staff(page, "admin")
    page.goto("/staff/card")
    page.click("a[href='/staff/card/terminals']")
    page.wait_for_url("**/staff/card/terminals")

    page.click("form[action='/staff/card/terminals'] button[type=submit]")  # nothing filled in
    expect(page.locator("#name-error")).to_contain_text("请填写终端名称")
    expect(page.locator("#scenario-error")).to_contain_text("请选择已开通的用卡场景")
    expect(page.locator("#division_code-error")).to_contain_text("请选择本辖区内的市或区县")
    expect(page.locator("#name")).to_have_attribute("aria-invalid", "true")
    assert_no_axe_violations(page, "/staff/card/terminals with errors")

    page.fill("#name", "朝阳区政务服务中心3号窗口")
    page.select_option("#scenario", "identity")
    page.select_option("#division_code", "110105")
    page.click("form[action='/staff/card/terminals'] button[type=submit]")
    expect(page.locator("#terminal-created")).to_contain_text("只显示这一次")
    key, secret = page.locator("#created-key").inner_text(), page.locator("#created-secret").inner_text()
    assert re.fullmatch(r"t[0-9a-f]{20}", key)
    assert len(secret) >= 40
    assert_no_axe_violations(page, "/staff/card/terminals with the new secret")
    _shot(page, "terminal-created")
    row = page.locator("#terminals tbody tr", has_text="朝阳区政务服务中心3号窗口")
    expect(row).to_contain_text(key)
    expect(row).to_contain_text("尚未扫码")

    page.goto("/staff/card/terminals")  # shown once: not on the next visit
    expect(page.locator("#terminals")).to_contain_text(key)
    assert secret not in page.content()

    with httpx.Client(base_url=live_server.base_url, timeout=30) as client:  # the secret works, then is stopped
        headers = {"X-Terminal-Key": key, "X-Terminal-Secret": secret}
        assert client.post("/api/v1/card/scan", json={"code": "SSC1x"}, headers=headers).status_code == 422
        page.locator("#terminals tbody tr", has_text=key).locator("button").click()
        expect(page.locator("[role=status]")).to_contain_text("受理终端已停用")
        assert client.post("/api/v1/card/scan", json={"code": "SSC1x"}, headers=headers).status_code == 401
