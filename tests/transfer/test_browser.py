"""The pages of 转移接续 and of fund monitoring in Chromium on a demo server of this module: axe (WCAG 2.1 AA)
in normal and elderly mode, and no sideways scrolling at a 390 px phone width."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import conftest as browser
from tests.browser.conftest import LiveServer, assert_no_axe_violations, set_elderly, sign_in_citizen, sign_in_staff

pytestmark = pytest.mark.browser
MODES = {"normal": False, "elderly": True}
SHOTS = Path("var/screenshots")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from browser.serve_demo(tmp_path_factory)


context = browser.context
page = browser.page


def _fits_phone(page: Any, label: str) -> None:
    page.set_viewport_size({"width": 390, "height": 900})
    overflow = page.evaluate("""() => {
      const doc = document.documentElement;
      const wide = [...document.body.querySelectorAll('*')].filter(el => {
        const r = el.getBoundingClientRect();
        return r.right > doc.clientWidth + 1 && !el.closest('.table-scroll, .skip, .visually-hidden');
      }).slice(0, 8).map(el => el.tagName.toLowerCase() + '.' + String(el.className));
      return {scroll: doc.scrollWidth, client: doc.clientWidth, wide};
    }""")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"transfer-{label}.png"), full_page=True)
    assert overflow["scroll"] <= overflow["client"], f"{label} scrolls sideways at 390 px: {overflow}"
    assert not overflow["wide"], f"{label}: {overflow}"
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.parametrize("mode", MODES)
def test_transfer_and_pooling_pages(page: Any, context: Any, live_server: LiveServer, mode: str) -> None:
    set_elderly(context, live_server, MODES[mode])
    sign_in_staff(page, "admin")
    page.goto("/staff/pension-transfers")
    expect(page.locator("h1")).to_have_text("养老保险关系转移接续经办")
    assert_no_axe_violations(page, f"transfer workbench ({mode})")
    _fits_phone(page, f"staff-{mode}")
    page.goto("/staff/pooling")
    expect(page.locator("h1")).to_have_text("全国统筹与基金监测预警")
    assert_no_axe_violations(page, f"fund monitoring ({mode})")
    _fits_phone(page, f"pooling-{mode}")
    citizen = context.new_page()
    sign_in_citizen(citizen, live_server.own.id_number, live_server.own.phone)
    citizen.goto("/citizen/pension-transfers")
    expect(citizen.locator("h1")).to_have_text("养老保险关系转移接续")
    assert_no_axe_violations(citizen, f"citizen transfer ({mode})")
    _fits_phone(citizen, f"citizen-{mode}")
