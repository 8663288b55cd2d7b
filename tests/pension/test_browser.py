"""The citizen's 养老金测算 page in Chromium: a person types the figures, sees the pension and its trace,
and the errors per field; axe finds nothing in normal and elderly mode, and the elderly sizes hold."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
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
page = browser.page


def _shot(page: Any, name: str) -> None:
    directory = os.environ.get("RENSHE_SCREENSHOT_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory) / f"pension-{name}.png"), full_page=True)


@pytest.mark.parametrize("mode", MODES)
def test_calculator_by_hand(context: Any, live_server: LiveServer, mode: str) -> None:
    set_elderly(context, live_server, MODES[mode])
    page = context.new_page()
    page.goto("/citizen/pension/calculator")
    assert_no_axe_violations(page, f"pension calculator ({mode})")
    page.fill("#benefit-average_wage", "8000")
    page.fill("#benefit-index", "1.2")
    page.fill("#benefit-months", "360")
    page.fill("#benefit-account_balance", "200000")
    page.fill("#benefit-age", "60y0m")
    page.click("text=测算养老金")
    expect(page.locator("#benefit-total")).to_have_text("4078.85 元/月")
    expect(page.locator("table caption", has_text="养老金计算过程")).to_be_visible()
    assert_no_axe_violations(page, f"pension result ({mode})")
    _shot(page, f"result-{mode}")
    if MODES[mode]:
        _check_elderly_measures(page, "pension calculator (elderly)")
        _check_reflow(page, "pension calculator (elderly)")
    page.fill("#retirement-birth", "1965-13")
    page.click("text=测算退休年龄")
    expect(page.locator("#retirement-birth-error")).to_contain_text("格式不正确")
    expect(page.locator("#retirement-sex-error")).to_contain_text("请填写性别")
    assert_no_axe_violations(page, f"pension errors ({mode})")
    _shot(page, f"errors-{mode}")
    page.fill("#retirement-birth", "1974-10")
    page.select_option("#retirement-sex", "female")
    page.select_option("#retirement-original_age", "55")
    page.click("text=测算退休年龄")
    expect(page.locator("#retirement-result")).to_contain_text("56岁3个月")
    expect(page.locator("#retirement-result")).to_contain_text("2031年1月")


@pytest.mark.parametrize("mode", MODES)
def test_staff_pension_page(context: Any, live_server: LiveServer, mode: str) -> None:
    """养老金发放经办: the awards of the demo's retirees and the runs with their progress; the province's
    administrator runs a month's payment from the page (paid once: it is already done)."""
    set_elderly(context, live_server, MODES[mode])
    page = context.new_page()
    browser.sign_in_staff(page, "admin")
    page.goto("/staff/pension")
    expect(page.locator("h1")).to_have_text("养老金发放经办")
    expect(page.locator("table caption", has_text="批次进度")).to_be_visible()
    assert_no_axe_violations(page, f"staff pension ({mode})")
    if MODES[mode]:
        _check_elderly_measures(page, "staff pension (elderly)")
        _check_reflow(page, "staff pension (elderly)")
    page.fill("#pay-period", "2024-01")
    page.click("text=执行按月发放")
    expect(page.locator("[role=status]")).to_contain_text("按月发放已完成")
    _shot(page, f"staff-{mode}")
