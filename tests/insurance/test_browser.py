"""The ledger's pages in Chromium on the shared demo server: the clerk's workbench and parameter page, the
employer's insurance page and the citizen's 个人权益记录 pass axe (WCAG 2.1 AA) in normal and elderly mode."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import conftest as browser
from tests.browser.conftest import LiveServer, assert_no_axe_violations, set_elderly, sign_in_citizen, sign_in_staff

pytestmark = pytest.mark.browser
MODES = {"normal": False, "elderly": True}



@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A seeded demo server of this module's own (as tests/card/test_browser.py)."""
    yield from browser.serve_demo(tmp_path_factory)


context = browser.context
page = browser.page


def _sign_in_employer(page: Any, credit_code: str) -> None:
    page.goto("/employer/login")
    page.fill("#credit_code", credit_code)
    page.fill("#password", "demo")
    page.click("form button[type=submit]")
    page.wait_for_url("**/employer")


@pytest.mark.parametrize("mode", MODES)
def test_staff_pages_pass_axe(page: Any, context: Any, live_server: LiveServer, mode: str) -> None:
    set_elderly(context, live_server, MODES[mode])
    sign_in_staff(page, "admin")
    page.goto("/staff/insurance/parameters?province=110000")
    expect(page.locator("#param-interest_rate")).to_contain_text("0.0831")
    assert_no_axe_violations(page, f"insurance parameters ({mode})")
    page.goto(f"/staff/insurance?credit_code={live_server.employer_credit_code}")
    expect(page.locator("h1")).to_have_text("社会保险经办")
    assert_no_axe_violations(page, f"insurance workbench ({mode})")


@pytest.mark.parametrize("mode", MODES)
def test_employer_and_citizen_pages_pass_axe(page: Any, context: Any, live_server: LiveServer, mode: str) -> None:
    set_elderly(context, live_server, MODES[mode])
    _sign_in_employer(page, live_server.employer_credit_code)
    page.goto("/employer/insurance")
    expect(page.locator("h1")).to_contain_text("单位社会保险")
    assert_no_axe_violations(page, f"employer insurance ({mode})")
    citizen = context.new_page()
    sign_in_citizen(citizen, live_server.own.id_number, live_server.own.phone)
    citizen.goto("/citizen/insurance")
    expect(citizen.locator("#months")).to_contain_text("个月")
    assert_no_axe_violations(citizen, f"citizen rights record ({mode})")


def test_flexible_worker_section_in_elderly_mode_at_phone_width(page: Any, context: Any,
                                                                live_server: LiveServer) -> None:
    """A citizen enrols as a flexible worker and chooses a base on a 390 px phone in elderly mode: the months
    appear, axe finds nothing, and nothing overflows sideways."""
    set_elderly(context, live_server, True)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in_citizen(page, live_server.own.id_number, live_server.own.phone)
    page.goto("/citizen/insurance")
    year = page.evaluate("new Date().getFullYear()")
    if page.locator("form[action='/citizen/insurance/flexible']").count():
        page.fill("#start_date", f"{year}-01-01")
        page.click("form[action='/citizen/insurance/flexible'] button[type=submit]")
    floor = page.get_attribute("#flex-base", "placeholder").split("至")[0]
    page.fill("#flex-base", floor)
    page.click("form[action='/citizen/insurance/flexible/base'] button[type=submit]")
    expect(page.locator("#flexible")).to_contain_text("待缴费")
    assert_no_axe_violations(page, "flexible worker (elderly, 390 px)")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
