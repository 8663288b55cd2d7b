"""Cross-site request forgery through a real browser (issue 9, item 2): a page served from another port of
the same host (same site, another origin: SameSite cookies do not help here) auto-submits forms to renshe
while a clerk is signed in. renshe refuses them and nothing is created; renshe's own form still works."""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from renshe.demo import resident_id
from tests.browser.conftest import CLERK_COUNTY, LiveServer, sign_in_staff

pytestmark = pytest.mark.browser


class _Attacker:
    """A web server on a free port of 127.0.0.1 that serves one page, set per test."""

    def __init__(self) -> None:
        self.page = b""
        attacker = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(attacker.page)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def serve_form(self, action: str, fields: dict[str, str]) -> None:
        inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in fields.items())
        self.page = (f'<!doctype html><html><body><form id="f" method="post" action="{html.escape(action)}">'
                     f'{inputs}</form><script>document.getElementById("f").submit()</script></body></html>'
                     ).encode()


@pytest.fixture
def attacker() -> Iterator[_Attacker]:
    evil = _Attacker()
    evil.thread.start()
    try:
        yield evil
    finally:
        evil.server.shutdown()
        evil.server.server_close()


def _found(live_server: LiveServer, id_number: str) -> int:
    answer = httpx.get(f"{live_server.base_url}/api/v1/persons", params={"q": id_number},
                       headers={"Authorization": f"Bearer {live_server.admin_token}"}, timeout=30)
    assert answer.status_code == 200, answer.text
    return len(answer.json()["items"])


def test_a_page_on_another_port_cannot_make_the_clerk_create_a_person(
        page: Any, live_server: LiveServer, attacker: _Attacker) -> None:
    sign_in_staff(page, f"clerk-{CLERK_COUNTY}")
    number = resident_id(CLERK_COUNTY, date(1961, 7, 9), 977)
    attacker.serve_form(f"{live_server.base_url}/staff/persons/new", {
        "id_number": number, "name": "上官伪造", "residence_division": CLERK_COUNTY, "phone": "13900009977",
        "real_name_source": "window"})
    with page.expect_response(lambda r: r.url.endswith("/staff/persons/new")) as forged:
        page.goto(attacker.url)
    assert forged.value.status == 403
    expect(page.locator("main")).to_contain_text("请求来自其他网站，已拒绝")
    assert _found(live_server, number) == 0

    # the same clerk, on renshe's own form, still registers people
    page.goto("/staff/persons/new")
    page.fill("#id_number", number)
    page.fill("#name", "上官真名")
    page.fill("#phone", "13900009977")
    page.select_option("#residence_division", CLERK_COUNTY)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/staff/persons/*")
    expect(page.locator("main")).to_contain_text("上官真名")
    assert _found(live_server, number) == 1


def test_a_page_on_another_port_cannot_sign_the_browser_in(
        page: Any, live_server: LiveServer, attacker: _Attacker) -> None:
    """Login CSRF: the attacker's own account forced onto the victim's browser."""
    attacker.serve_form(f"{live_server.base_url}/staff/login", {
        "username": f"clerk-{CLERK_COUNTY}", "password": "demo", "next": "/staff"})
    with page.expect_response(lambda r: r.url.endswith("/staff/login")) as forced:
        page.goto(attacker.url)
    assert forced.value.status == 403
    assert [c for c in page.context.cookies() if c["name"] == "renshe_token"] == []
    response = page.goto("/staff")
    assert response is not None
    assert "/staff/login" in page.url  # still signed out
