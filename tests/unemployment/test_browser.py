"""The unemployment pages in Chromium: the citizen's own registration, benefit and payments, and the clerk's
worklist and a benefit's page; axe finds nothing in normal and elderly mode, the elderly sizes hold and the
citizen's page reflows at phone width without horizontal scrolling."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import conftest as browser
from tests.browser.conftest import LiveServer, assert_no_axe_violations, set_elderly
from tests.browser.test_accessibility import _check_elderly_measures, _check_reflow
from tests.unemployment import kit

pytestmark = pytest.mark.browser
MODES = {"normal": False, "elderly": True}


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    for server in browser.serve_demo(tmp_path_factory):
        kit.insure_on_server(log_file=server.log_file, database_url=server.database_url,
                             id_number=server.own.id_number, grant=True)
        yield server


context = browser.context
page = browser.page


@pytest.mark.parametrize("mode", MODES)
def test_citizen_sees_registration_benefit_and_payments(context: Any, live_server: LiveServer, mode: str) -> None:
    set_elderly(context, live_server, MODES[mode])
    page = context.new_page()
    browser.sign_in_citizen(page, live_server.own.id_number, live_server.own.phone)
    page.goto("/citizen/unemployment")
    expect(page.locator("h1")).to_have_text("我的失业登记和失业保险金")
    expect(page.locator("main")).to_contain_text("1800.00 元/月")
    expect(page.locator("main")).to_contain_text("随失业保险金申领登记")
    expect(page.locator("table caption", has_text="核定计算过程")).to_be_visible()
    expect(page.locator("#pay-title")).to_be_visible()
    assert_no_axe_violations(page, f"citizen unemployment page ({mode})")
    if MODES[mode]:
        _check_elderly_measures(page, "citizen unemployment page (elderly)")
    page.set_viewport_size({"width": 390, "height": 844})
    _check_reflow(page, f"citizen unemployment page ({mode})")


@pytest.mark.parametrize("mode", MODES)
def test_clerk_worklist_and_benefit_page(context: Any, live_server: LiveServer, mode: str) -> None:
    set_elderly(context, live_server, MODES[mode])
    page = context.new_page()
    browser.sign_in_staff(page, "admin")
    page.goto("/staff/unemployment")
    expect(page.locator("h1")).to_have_text("失业登记和失业保险金经办")
    assert_no_axe_violations(page, f"staff unemployment worklist ({mode})")
    page.click(f"#benefits-title ~ div a:has-text('{live_server.own.name}')")
    expect(page.locator("h1")).to_contain_text(live_server.own.name)
    expect(page.locator("#t-reason")).to_be_visible()
    assert_no_axe_violations(page, f"staff benefit page ({mode})")
    if MODES[mode]:
        _check_elderly_measures(page, "staff benefit page (elderly)")
