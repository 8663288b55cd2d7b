"""The labour-contract pages in a real browser: the demo employer's page shows its signed contract with the
hash and the draft form, the worker's and the clerk's pages open, each with no axe-core (WCAG 2.1 A/AA)
violation in normal and elderly mode; the 390 px width of every page is checked by tests/browser."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import conftest as browser
from tests.browser.conftest import (
    CLERK_COUNTY,
    LiveServer,
    assert_no_axe_violations,
    set_elderly,
    sign_in_citizen,
    sign_in_staff,
)

pytestmark = pytest.mark.browser
MODES = {"normal": False, "elderly": True}


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A seeded demo server of this module's own (the demo employer holds a signed contract)."""
    yield from browser.serve_demo(tmp_path_factory)


context = browser.context


@pytest.mark.parametrize("mode", MODES)
def test_employer_worker_and_staff_contract_pages(context: Any, live_server: LiveServer, mode: str) -> None:
    set_elderly(context, live_server, MODES[mode])
    page = context.new_page()
    page.goto("/employer/login")
    page.fill("#credit_code", live_server.employer_credit_code)
    page.fill("#password", "demo")
    page.click("form button[type=submit]")
    page.wait_for_url("**/employer")
    response = page.goto("/employer/contracts")
    assert response is not None
    assert response.status == 200
    assert page.locator("text=起草劳动合同").count() >= 1
    assert page.locator("text=已生效").count() >= 1  # the demo's signed contract
    assert_no_axe_violations(page, f"/employer/contracts ({mode})")

    citizen = context.new_page()
    sign_in_citizen(citizen, live_server.own.id_number, live_server.own.phone)
    citizen.goto("/citizen/contracts")
    assert citizen.locator("h1", has_text="我的劳动合同").count() == 1
    assert_no_axe_violations(citizen, f"/citizen/contracts ({mode})")

    staff = context.new_page()
    sign_in_staff(staff, f"clerk-{CLERK_COUNTY}")
    staff.goto("/staff/contracts/warnings")
    assert staff.locator("h1", has_text="劳动合同预警").count() == 1
    assert_no_axe_violations(staff, f"/staff/contracts/warnings ({mode})")
