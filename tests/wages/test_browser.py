"""The wage monitoring pages in Chromium: the public clue form from a phone (no sign-in), its tracking number
and the progress page; the supervisor's worklist with the demo's red warning, the project page and the notice
board. axe finds nothing in normal and elderly mode, the elderly sizes hold, and the pages reflow at phone
width without horizontal scrolling."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import conftest as browser
from tests.browser.conftest import LiveServer, assert_no_axe_violations, set_elderly
from tests.browser.test_accessibility import _check_elderly_measures, _check_reflow

pytestmark = pytest.mark.browser
MODES = {"normal": False, "elderly": True}


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from browser.serve_demo(tmp_path_factory)


context = browser.context


def _checks(page: Any, label: str, elderly: bool) -> None:
    assert_no_axe_violations(page, label)
    if elderly:
        _check_elderly_measures(page, label)
    _check_reflow(page, label)
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.parametrize("mode", MODES)
def test_a_worker_reports_a_clue_from_a_phone_and_follows_it(context: Any, live_server: LiveServer,
                                                             mode: str) -> None:
    set_elderly(context, live_server, MODES[mode])
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/wages/clues")
    expect(page.locator("h1")).to_have_text("拖欠农民工工资线索反映")
    _checks(page, f"clue form ({mode})", MODES[mode])
    page.fill("#project_name", "城东安置房工地")
    page.select_option("#county", "110105")
    page.fill("#employer_name", "某劳务班组")
    page.fill("#amount", "abc")
    page.fill("#months", "2026年10月")
    page.fill("#phone", "13912345678")
    page.click("form.form button[type=submit]")
    expect(page.locator("#amount-error")).to_contain_text("拖欠金额")  # said in words beside the field
    page.fill("#amount", "6800")
    page.click("form.form button[type=submit]")
    expect(page.locator("main")).to_contain_text("查询编号")
    _checks(page, f"clue received ({mode})", MODES[mode])
    page.click("text=查看办理进度")
    expect(page.locator("main")).to_contain_text("已受理，待核查")
    _checks(page, f"clue progress ({mode})", MODES[mode])


@pytest.mark.parametrize("mode", MODES)
def test_the_supervisor_sees_the_demo_red_warning_and_the_notice_board(context: Any, live_server: LiveServer,
                                                                       mode: str) -> None:
    set_elderly(context, live_server, MODES[mode])
    page = context.new_page()
    browser.sign_in_staff(page, "admin")
    page.goto("/staff/wages")
    expect(page.locator("h1")).to_have_text("农民工工资支付监控")
    expect(page.locator("#warnings-title ~ article").first).to_contain_text("红色预警")
    _checks(page, f"wage worklist ({mode})", MODES[mode])
    page.click("#warnings-title ~ article a")
    expect(page.locator("main")).to_contain_text("工资支付表")
    _checks(page, f"wage project ({mode})", MODES[mode])
    page.click("text=打印维权信息告示牌")
    expect(page.locator("h1")).to_have_text("维权信息告示牌")
    expect(page.locator(".qr img")).to_be_visible()
    assert_no_axe_violations(page, f"notice board ({mode})")
