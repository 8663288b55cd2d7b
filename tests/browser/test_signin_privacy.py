"""The citizen's code step in a real browser (issue 9, item 3): a registered and an unregistered ID number
lead to the same page, word for word, with no masked phone; only the registered one gets a message."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect

from renshe.demo import resident_id
from tests.browser.conftest import OTHER_COUNTY, LiveServer

pytestmark = pytest.mark.browser


def _code_step(page: Any, id_number: str) -> str:
    page.goto("/citizen/login")
    page.fill("#id_number", id_number)
    page.click("form.card button[type=submit]")
    expect(page.locator("#code")).to_be_visible()
    return str(page.locator("main").inner_text())


def test_the_code_step_does_not_tell_whether_a_number_is_registered(page: Any, live_server: LiveServer) -> None:
    registered = live_server.other  # has a phone on record
    unregistered = resident_id(OTHER_COUNTY, date(1931, 2, 3), 997)  # before the seed's and tests' births
    outbox = page.context.new_page()
    outbox.goto("/demo/messages")
    masked = f"{registered.phone[:3]}****{registered.phone[-4:]}"
    before = outbox.locator("tbody tr", has_text=masked).count()
    known_text = _code_step(page, registered.id_number)
    unknown_text = _code_step(page, unregistered)
    assert known_text == unknown_text
    assert masked not in known_text
    assert registered.phone[-4:] not in known_text
    assert "如该身份号码已登记手机号码" in known_text
    outbox.reload()
    assert outbox.locator("tbody tr", has_text=masked).count() == before + 1  # only the registered one got a code
