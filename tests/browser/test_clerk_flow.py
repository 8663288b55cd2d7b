"""Sign-in flows through the real pages: a county clerk, a citizen with a one-time code, an employer agent."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CLERK_COUNTY, LiveServer, assert_no_axe_violations, sign_in_staff

pytestmark = pytest.mark.browser


def test_clerk_finds_own_county_person_masked_and_is_refused_another_county(page: Any,
                                                                             live_server: LiveServer) -> None:
    own, other = live_server.own, live_server.other
    sign_in_staff(page, f"clerk-{CLERK_COUNTY}")
    assert page.locator("h1").inner_text() == "经办工作台"
    assert "朝阳区" in page.locator("main").inner_text()

    page.fill("#q", own.name)
    page.click("form.search button[type=submit]")
    results = page.locator("#results tbody tr")
    expect(results).to_have_count(1)
    row_text = results.first.inner_text()
    masked = f"{own.id_number[:6]}********{own.id_number[-4:]}"
    assert masked in row_text
    assert own.id_number not in page.content()

    # A person of another county is not found by name either.
    page.fill("#q", other.name)
    page.click("form.search button[type=submit]")
    expect(page.locator("main .empty")).to_contain_text("没有找到")
    expect(page.locator("#results")).to_have_count(0)

    page.fill("#q", own.name)
    page.click("form.search button[type=submit]")
    expect(results).to_have_count(1)
    page.click(f"#results a:has-text('{own.name}')")
    page.wait_for_url(f"**/staff/persons/{own.public_id}")
    shown = page.locator("#id-number").inner_text().strip()
    assert re.fullmatch(r"\d{6}\*{8}[0-9X]{4}", shown), shown
    assert shown == masked
    assert own.id_number not in page.content()

    response = page.goto(f"/staff/persons/{other.public_id}")
    assert response is not None
    assert response.status == 403
    text = page.locator("main").inner_text()
    assert "无权" in text, text  # refused in words: 无权访问 / 该人员不在您的辖区内，无权查看
    assert other.name not in page.content()
    assert other.id_number[-4:] not in text


def test_citizen_signs_in_with_code_from_demo_outbox(page: Any, live_server: LiveServer) -> None:
    own = live_server.own
    page.goto("/citizen/login")
    page.fill("#id_number", own.id_number)
    page.click("form.card button[type=submit]")
    expect(page.locator("#code")).to_be_visible()
    masked_phone = f"{own.phone[:3]}****{own.phone[-4:]}"
    # the code step tells nobody whether the number is registered, nor where the code went (issue 9 item 3)
    assert masked_phone not in page.locator("main").inner_text()

    outbox = page.context.new_page()
    outbox.goto("/demo/messages")
    assert_no_axe_violations(outbox, "/demo/messages")
    row = outbox.locator("tbody tr", has_text=masked_phone).first
    match = re.search(r"验证码为(\d{6})", row.inner_text())
    assert match, row.inner_text()
    outbox.close()

    page.fill("#code", match.group(1))
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/citizen")
    main = page.locator("main").inner_text()
    assert page.locator("h1").inner_text() == "个人服务"
    assert own.name in main
    assert f"{own.id_number[:6]}********{own.id_number[-4:]}" in main or own.id_number in main
    assert_no_axe_violations(page, "/citizen (signed in)")


def test_citizen_wrong_code_is_refused_in_words(page: Any, live_server: LiveServer) -> None:
    page.goto("/citizen/login")
    page.fill("#id_number", live_server.other.id_number)
    page.click("form.card button[type=submit]")
    page.fill("#code", "000000")  # waits for the code step
    with page.expect_response(lambda r: r.url.endswith("/citizen/login") and r.request.method == "POST") as info:
        page.click("form.card button[type=submit]")
    assert info.value.status == 401
    alert = page.locator("[role=alert]").inner_text()
    assert re.search(r"[\u4e00-\u9fff]", alert), alert


def test_employer_agent_signs_in(page: Any, live_server: LiveServer) -> None:
    page.goto("/employer")  # not signed in: sent to the employer entrance
    page.wait_for_url("**/employer/login**")
    page.fill("#credit_code", live_server.employer_credit_code)
    page.fill("#password", "demo")
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/employer")
    assert page.locator("h1").inner_text().startswith("单位服务")
    assert live_server.employer_credit_code in page.content() or page.locator("#id_number").is_visible()
    assert_no_axe_violations(page, "/employer (signed in)")
