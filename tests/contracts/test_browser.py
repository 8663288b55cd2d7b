"""The labour-contract pages in a real browser: the demo employer's page shows its signed contract with the
hash and the draft form, the worker's and the clerk's pages open, each with no axe-core (WCAG 2.1 A/AA)
violation in normal and elderly mode; the 390 px width of every page is checked by tests/browser.

Set RENSHE_SCREENSHOT_DIR=/tmp/shots to keep a full-page screenshot of each page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
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
from tests.browser.test_accessibility import _check_elderly_measures, _check_reflow, _shot

pytestmark = pytest.mark.browser
MODES = {"normal": False, "elderly": True}


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A seeded demo server of this module's own (the demo employer holds a signed contract)."""
    yield from browser.serve_demo(tmp_path_factory)


context = browser.context


@pytest.fixture(scope="module")
def own_draft(live_server: LiveServer) -> str:
    """The browser suite's citizen hired by the demo employer (reported by the admin) and a contract drafted for
    them, so the worker's page shows the sign form."""
    from datetime import date, timedelta

    with httpx.Client(base_url=live_server.base_url, timeout=30,
                      headers={"Authorization": f"Bearer {live_server.admin_token}"}) as api:
        code = live_server.employer_credit_code
        hired = api.post(f"/api/v1/employers/{code}/employments", json={
            "id_number": live_server.own.id_number, "start_date": (date.today() - timedelta(days=5)).isoformat(),
            "job_title": "仓储管理员"})
        assert hired.status_code == 201, hired.text
        start = date.today() - timedelta(days=5)
        made = api.post("/api/v1/contracts", json={
            "id_number": live_server.own.id_number, "employer_credit_code": code, "fields": {
                "term_kind": "fixed", "start_date": start.isoformat(),
                "end_date": (start + timedelta(days=3 * 366)).isoformat(), "probation_months": 1,
                "employer_address": "演示单位住所", "worker_address": "演示住址", "job_content": "仓储管理员",
                "work_place": "演示单位所在地", "monthly_wage_fen": 650_000, "pay_day": 15}})
        assert made.status_code == 201, made.text
        return str(made.json()["document_sha256"])


@pytest.mark.parametrize("mode", MODES)
def test_employer_worker_and_staff_contract_pages(context: Any, live_server: LiveServer, own_draft: str,
                                                  mode: str) -> None:
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
    _shot(page, f"{mode}-employer-contracts")
    assert_no_axe_violations(page, f"/employer/contracts ({mode})")
    if MODES[mode]:
        _check_elderly_measures(page, "/employer/contracts")
        _check_reflow(page, "/employer/contracts (elderly)")

    citizen = context.new_page()
    sign_in_citizen(citizen, live_server.own.id_number, live_server.own.phone)
    citizen.goto("/citizen/contracts")
    assert citizen.locator("h1", has_text="我的劳动合同").count() == 1
    assert citizen.locator(f"text={own_draft}").count() == 1  # the hash both sides sign
    assert citizen.locator("button", has_text="签署劳动合同").count() == 1
    _shot(citizen, f"{mode}-citizen-contracts")
    assert_no_axe_violations(citizen, f"/citizen/contracts ({mode})")
    if MODES[mode]:
        _check_elderly_measures(citizen, "/citizen/contracts")

    staff = context.new_page()
    sign_in_staff(staff, f"clerk-{CLERK_COUNTY}")
    staff.goto("/staff/contracts/warnings")
    assert staff.locator("h1", has_text="劳动合同预警").count() == 1
    _shot(staff, f"{mode}-staff-contract-warnings")
    assert_no_axe_violations(staff, f"/staff/contracts/warnings ({mode})")
    if MODES[mode]:
        _check_elderly_measures(staff, "/staff/contracts/warnings")
        _check_reflow(staff, "/staff/contracts/warnings (elderly)")
