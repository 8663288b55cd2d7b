"""The key-group pages in a real browser: axe-core (WCAG 2.1 A/AA) in normal and elderly mode on the clerk's
worklist, a record with its services and the citizen's page, and the elderly-mode sizes and 320 px reflow
on the worklist (its forms are the longest of the package)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import (
    CLERK_COUNTY,
    LiveServer,
    assert_no_axe_violations,
    set_elderly,
    sign_in_citizen,
    sign_in_staff,
)
from tests.browser.test_accessibility import _check_elderly_measures, _check_reflow

pytestmark = pytest.mark.browser
MODES = {"normal": False, "elderly": True}


@pytest.mark.parametrize("mode", MODES)
def test_keygroups_pages_have_no_axe_violations(context: Any, live_server: LiveServer, mode: str) -> None:
    set_elderly(context, live_server, MODES[mode])
    page = context.new_page()
    sign_in_staff(page, f"clerk-{CLERK_COUNTY}")
    page.goto("/staff/keygroups")
    assert page.locator("#worklist-title").count() == 1
    links = page.locator("a[href^='/staff/keygroups/records/']")
    assert links.count() >= 1, "the demo leaves someone of every county unserved"
    assert_no_axe_violations(page, f"/staff/keygroups ({mode})")
    links.first.click()
    page.wait_for_url("**/staff/keygroups/records/**")
    assert_no_axe_violations(page, f"key-group record ({mode})")
    citizen = context.new_page()
    sign_in_citizen(citizen, live_server.own.id_number, live_server.own.phone)
    citizen.goto("/citizen/keygroups")
    assert_no_axe_violations(citizen, f"/citizen/keygroups ({mode})")


def test_elderly_mode_sizes_and_reflow_on_the_worklist(context: Any, live_server: LiveServer) -> None:
    set_elderly(context, live_server)
    page = context.new_page()
    sign_in_staff(page, f"clerk-{CLERK_COUNTY}")
    page.goto("/staff/keygroups")
    _check_elderly_measures(page, "/staff/keygroups")
    _check_reflow(page, "/staff/keygroups (elderly)")
