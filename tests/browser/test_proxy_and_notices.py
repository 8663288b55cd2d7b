"""Acting for someone (代办) and the message centre through the real pages: the agent sees nothing of the
represented person until she passes on the code sent to her phone (read here from /demo/messages); then the
form is hers and the filing is hers; she finds the notice in her message centre, marked unread until read.
The pages hold in elderly mode and at 390 px, and pass axe."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CLERK_COUNTY, LiveServer, assert_no_axe_violations, set_elderly, sign_in_citizen

pytestmark = pytest.mark.browser

AGENT_PHONE = "13900002105"
MOTHER_PHONE = "13900002106"


def _register(live_server: LiveServer, *, name: str, phone: str, birth: date) -> str:
    """A person of this test's own (compound surnames the seed never draws); returns the ID number."""
    from renshe.demo import resident_id

    with httpx.Client(base_url=live_server.base_url, timeout=30,
                      headers={"Authorization": f"Bearer {live_server.admin_token}"}) as client:
        for sequence in range(901, 999, 2):
            number = resident_id(CLERK_COUNTY, birth, sequence)
            made = client.post("/api/v1/persons", json={"id_number": number, "name": name, "phone": phone,
                                                        "residence_division": CLERK_COUNTY,
                                                        "real_name_source": "window"})
            if made.status_code == 409:
                continue
            assert made.status_code == 201, made.text
            return number
    raise AssertionError("could not register a test person")


def _fits(page: Any, label: str, width: int = 390) -> None:
    """No sideways scrolling and nothing past the right edge at WIDTH px (elderly type included)."""
    page.set_viewport_size({"width": width, "height": 800})
    found = page.evaluate("""() => {
      const doc = document.documentElement;
      const wide = [...document.body.querySelectorAll('*')].filter(el => {
        const r = el.getBoundingClientRect();
        return r.right > doc.clientWidth + 1 && !el.closest('.table-scroll, .skip, .visually-hidden');
      }).slice(0, 5).map(el => el.tagName.toLowerCase() + '.' + String(el.className));
      return {scroll: doc.scrollWidth, client: doc.clientWidth, wide,
              body: parseFloat(getComputedStyle(document.body).fontSize)};
    }""")
    assert found["scroll"] <= found["client"], f"{label} scrolls sideways at {width} px: {found}"
    assert not found["wide"], f"{label} has elements past the right edge at {width} px: {found}"
    assert found["body"] >= 18, f"{label}: elderly body text {found['body']}px"
    page.set_viewport_size({"width": 1280, "height": 900})


def _code_for(page: Any, phone: str) -> str:
    outbox = page.context.new_page()
    outbox.goto("/demo/messages")
    row = outbox.locator("tbody tr", has_text=f"{phone[:3]}****{phone[-4:]}").first
    found = re.search(r"验证码(\d{6})", row.inner_text())
    assert found, row.inner_text()
    outbox.close()
    return found.group(1)


def test_a_proxy_filing_needs_the_code_from_her_phone_and_she_finds_the_notice(
        chromium: Any, live_server: LiveServer) -> None:
    agent_id = _register(live_server, name="令狐晓燕", phone=AGENT_PHONE, birth=date(1985, 6, 1))
    mother_id = _register(live_server, name="上官玉兰", phone=MOTHER_PHONE, birth=date(1957, 4, 9))

    agent = chromium.new_context(base_url=live_server.base_url, bypass_csp=True, locale="zh-CN",
                                 viewport={"width": 1280, "height": 900})
    agent.set_default_timeout(10_000)
    set_elderly(agent, live_server)
    page = agent.new_page()
    sign_in_citizen(page, agent_id, AGENT_PHONE)
    page.goto("/citizen/hall/items/ssc-loss-report/apply?proxy=1")
    _fits(page, "代办：被代办人")
    page.fill("#rep_id_number", mother_id)
    page.fill("#rep_name", "上官玉芬")  # a wrong name: the one answer, nothing else
    page.select_option("#rep_relationship", "parent")
    page.click("#proxy-form button[type=submit]")
    expect(page.locator(".error-list")).to_contain_text("不匹配或未在平台登记")
    page.fill("#rep_name", "上官玉兰")
    page.click("#proxy-form button[type=submit]")
    expect(page.locator("#consent-form")).to_be_visible()
    main = page.locator("main").inner_text()
    assert f"{MOTHER_PHONE[:3]}****{MOTHER_PHONE[-4:]}" not in main  # nothing of her before consent
    assert "朝阳区" not in main
    assert page.locator("input[name=operation]").count() == 0
    assert_no_axe_violations(page, "代办：验证码")
    _fits(page, "代办：验证码")

    page.fill("#rep_code", _code_for(page, MOTHER_PHONE))
    page.click("#consent-form button[type=submit]")
    expect(page.locator("#apply-form")).to_be_visible()
    assert "上官玉兰" in page.locator("main").inner_text()
    page.check("input[name=operation][value=temporary_loss]")
    page.click("#apply-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/citizen/applications/[0-9a-f]{32}\?submitted=1"))
    agent.close()

    mother = chromium.new_context(base_url=live_server.base_url, bypass_csp=True, locale="zh-CN",
                                  viewport={"width": 1280, "height": 900})
    mother.set_default_timeout(10_000)
    set_elderly(mother, live_server)
    page = mother.new_page()
    sign_in_citizen(page, mother_id, MOTHER_PHONE)
    expect(page.locator("#notices-link")).to_contain_text("1条未读")
    page.click("#notices-link")
    page.wait_for_url("**/citizen/notices")
    item = page.locator(".notice-item.unread")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("令狐晓燕以您的名义提交了“社会保障卡挂失与解挂”申请")
    expect(item.locator(".unread-tag")).to_have_text("未读")
    assert_no_axe_violations(page, "消息中心")
    _fits(page, "消息中心")
    item.locator("button:has-text('查看详情')").click()
    page.wait_for_url(re.compile(r".*/citizen/applications/[0-9a-f]{32}$"))
    assert "上官玉兰" in page.locator("main").inner_text()
    page.goto("/citizen/notices")
    expect(page.locator(".notice-item.unread")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("没有未读消息")

    page.goto("/citizen/authorisations")
    assert_no_axe_violations(page, "代办授权")
    _fits(page, "代办授权")
    mother.close()
