"""No page is wider than a 390 px phone (issue 9, item 18), in normal and elderly mode, for every role.

The pages are not listed by hand: every GET route of the app that is not in the API schema is a page
(API and machine paths are in the schema or named in MACHINE below). Pages without path parameters are
opened directly; a page with parameters (an application, a person, a certificate) is opened through a link
that one of the role's other pages shows, so the check follows what a person can reach. A page with
parameters that no page links to in the demo must be named in UNREACHED with the reason, so a page added
later is either measured or explained. The demo citizen gets data first (an application accepted by a
clerk, a card, a certificate) so their pages are not empty.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    CLERK_COUNTY,
    LiveServer,
    serve_demo,
    set_elderly,
    sign_in_citizen,
    sign_in_staff,
)

WIDTH = 390
MACHINE = {"/openapi.json", "/api/docs", "/docs/oauth2-redirect", "/healthz", "/readyz", "/metrics", "/favicon.ico",
           "/elderly", "/prefs/elderly", "/me"}  # machine answers and redirects, not pages
FILES = re.compile(r"(\.pdf|\.xlsx|/pdf)$")  # downloads: a PDF or a workbook, not a page
UNREACHED = {
    "/hall/rate/{token}": "a one-time rating token shown on the window's tablet",
    "/certs/v/{token}": "a verification link the holder makes and sends; not linked from another page",
    "/citizen/card/sign-in/{request_id}": "a pending sign-in request of a card application",
    "/citizen/bundles/{public_id}": "a 一件事 submission; the demo citizen submits single items here",
    "/staff/hall/rectifications/{public_id}": "a bad rating to rectify; the demo has none at start",
    "/sharing/batches/{job_id}": "a batch verification job; the demo has none",
    "/staff/card/batches/{batch_id}": "the production batch is sent and done through the API here",
    "/citizen/hall/items/{code}/interprovince": "跨省通办 is offered only when a peer province is configured",
}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _walk(routes: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    from starlette.routing import Route

    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI's included router: its routes and its prefix
            yield from _walk(route.original_router.routes, prefix + (route.include_context.prefix or ""))
        elif isinstance(route, Route):
            yield prefix + route.path, route


def page_routes() -> list[str]:
    """Every page of the app: GET routes left out of the API schema, less machine paths and downloads."""
    from renshe.web.app import create_app

    paths = []
    for path, route in _walk(create_app().routes):
        if "GET" in (route.methods or ()) and not getattr(route, "include_in_schema", True) \
                and path not in MACHINE and not FILES.search(path):
            paths.append(path)
    return sorted(set(paths))


def role_of(path: str) -> str:
    if path in {"/citizen/login", "/employer/login", "/staff/login"}:
        return "anonymous"
    for prefix, role in (("/citizen", "citizen"), ("/employer", "employer"), ("/staff", "staff"),
                         ("/sharing/", "staff")):
        if path.startswith(prefix):
            return role
    return "anonymous"


def _pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/?#]+", re.escape(path)) + "$")


# --------------------------------------------------------------------------- the demo with some data


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of this module's own: the demo citizen's application, card and certificate are made here."""
    yield from serve_demo(tmp_path_factory)


@pytest.fixture(scope="module")
def with_data(live_server: LiveServer, chromium: Any) -> LiveServer:
    own = live_server.own
    with httpx.Client(base_url=live_server.base_url, timeout=30,
                      headers={"Authorization": f"Bearer {live_server.admin_token}"}) as api:
        card = api.post("/api/v1/card/applications", json={"id_number": own.id_number, "bank_code": "ICBC"})
        assert card.status_code == 201, card.text
        cert = api.post("/api/v1/certs", json={
            "person_id": own.public_id, "type": "vocational-skill-level",
            "fields": {"occupation": "电工", "level": "三级/高级工", "evaluator": "演示职业技能等级认定中心"}})
        assert cert.status_code == 201, cert.text
    context = chromium.new_context(base_url=live_server.base_url, locale="zh-CN")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        sign_in_citizen(page, own.id_number, own.phone)
        page.goto("/citizen/hall/items/unemployment-benefit/apply")
        page.fill("#f-former_employer", "北京市朝阳区某某科技有限公司")
        page.fill("#f-separation_date", "2026-10-31")
        page.select_option("#f-separation_reason", "contract_expired")
        page.select_option("#f-bank", "ICBC")
        page.fill("#f-bank_account", "6222020200112233445")
        page.check("#f-pledge")
        page.set_input_files("#m-separation_proof", files=[{"name": "解除劳动合同证明.pdf",
                                                            "mimeType": "application/pdf", "buffer": PDF}])
        page.click("#apply-form button[type=submit]")
        page.wait_for_url(re.compile(r".*/citizen/applications/[0-9a-f]{32}\?submitted=1"))
        number = page.locator("#app-number").inner_text().strip()
        clerk = context.browser.new_context(base_url=live_server.base_url, locale="zh-CN").new_page()
        sign_in_staff(clerk, f"clerk-{CLERK_COUNTY}")
        clerk.goto("/staff/hall")
        clerk.click(f"#queue a:has-text('{number}')")
        clerk.click("#do-accept")
        expect(clerk.locator("#app-state")).not_to_have_text("已提交，待受理")
        clerk.context.close()
    finally:
        context.close()
    return live_server


# --------------------------------------------------------------------------- the crawl


def _signed_in(chromium: Any, server: LiveServer, role: str, account: str, elderly: bool) -> Any:
    context = chromium.new_context(base_url=server.base_url, locale="zh-CN", viewport={"width": WIDTH, "height": 844},
                                   device_scale_factor=1, is_mobile=False, has_touch=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    if role == "citizen":
        sign_in_citizen(page, server.own.id_number, server.own.phone)
    elif role == "employer":
        page.goto("/employer/login")
        page.fill("#credit_code", server.employer_credit_code)
        page.fill("#password", "demo")
        page.click("form button[type=submit]")
        page.wait_for_url("**/employer")
    elif role == "staff":
        sign_in_staff(page, account)
    set_elderly(context, server, on=elderly)
    return page


def _screenshot(page: Any, name: str) -> None:
    directory = os.environ.get("RENSHE_SCREENSHOT_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory) / f"narrow-{name}.png"), full_page=True)


def crawl(page: Any, routes: list[str], label: str) -> tuple[set[str], list[str]]:
    """Open every route of the list (parameters through links found on the way); return the routes opened
    and the pages wider than the viewport, each with what sticks out."""
    patterns = {route: _pattern(route) for route in routes}
    pending = [r for r in routes if "{" not in r]
    opened: set[str] = set()
    wide: list[str] = []
    seen_links: set[str] = set()
    while pending:
        url = pending.pop(0)
        route = next((r for r, p in patterns.items() if p.match(urlsplit(url).path)), url)
        if route in opened:
            continue
        opened.add(route)
        response = page.goto(url)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH:
            culprits = page.evaluate("""(limit) => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > limit + 0.5)
                .filter(e => !e.parentElement || e.parentElement.getBoundingClientRect().right <= limit + 0.5)
                .slice(0, 4).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                    + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '')
                    + ' ' + Math.round(e.getBoundingClientRect().right) + 'px')""", WIDTH)
            wide.append(f"{url} ({response.status}): {width} px; {', '.join(culprits)}")
            _screenshot(page, f"{label}-{re.sub(r'[^a-z0-9]+', '-', urlsplit(url).path)}")
        for href in page.eval_on_selector_all("a[href^='/']", "els => els.map(e => e.getAttribute('href'))"):
            path = urlsplit(href).path
            if href in seen_links:
                continue
            seen_links.add(href)
            for r, p in patterns.items():
                if "{" in r and r not in opened and p.match(path):
                    pending.append(href)
                    break
    return opened, wide


ROLES = {"anonymous": [""], "citizen": [""], "employer": [""], "staff": [f"clerk-{CLERK_COUNTY}", "admin"]}


@pytest.mark.parametrize("elderly", [False, True], ids=["normal", "elderly"])
@pytest.mark.parametrize("role", list(ROLES))
def test_no_page_is_wider_than_a_phone(chromium: Any, with_data: LiveServer, role: str, elderly: bool) -> None:
    routes = [r for r in page_routes() if role_of(r) == role]
    assert routes, f"no pages for {role}"
    opened: set[str] = set()
    wide: list[str] = []
    for account in ROLES[role]:
        page = _signed_in(chromium, with_data, role, account, elderly)
        try:
            got, too_wide = crawl(page, routes, f"{role}{'-elderly' if elderly else ''}")
        finally:
            page.context.close()
        opened |= got
        wide += [f"[{account or role}] {w}" for w in too_wide]
    assert not wide, f"pages wider than {WIDTH} px:\n" + "\n".join(wide)
    missing = sorted(r for r in routes if r not in opened and r not in UNREACHED)
    assert not missing, f"pages of {role} neither opened nor explained in UNREACHED: {missing}"


def test_every_page_route_has_a_role() -> None:
    """The enumeration itself: it finds the pages this issue names, and no API path."""
    routes = page_routes()
    for named in ("/citizen/lookups", "/citizen/hall/items/{code}/apply", "/staff/hall", "/citizen/certs/{public_id}",
                  "/", "/certs/verify"):
        assert named in routes
    assert not [r for r in routes if r.startswith(("/api/", "/share/", "/.well-known/"))]
    assert set(UNREACHED) <= set(routes), "UNREACHED names a route that no longer exists"


def test_citizen_reveals_own_numbers_with_a_button(chromium: Any, with_data: LiveServer) -> None:
    own = with_data.own
    page = _signed_in(chromium, with_data, "citizen", "", False)
    try:
        page.goto("/citizen")
        masked = f"{own.id_number[:6]}********{own.id_number[-4:]}"
        expect(page.locator("#id-number")).to_have_text(masked)
        expect(page.locator("#phone")).to_have_text(f"{own.phone[:3]}****{own.phone[-4:]}")
        assert own.id_number not in page.content()
        _screenshot(page, "citizen-home")
        page.click("#reveal")
        expect(page.locator("#id-number")).to_have_text(own.id_number)
        expect(page.locator("#phone")).to_have_text(own.phone)
        page.click("#conceal")
        expect(page.locator("#id-number")).to_have_text(masked)
    finally:
        page.context.close()


def test_hall_catalog_buttons_stay_in_view_on_a_phone(chromium: Any, with_data: LiveServer) -> None:
    """The catalog's 在线申请 buttons were behind the table's horizontal scroll: now each row is a card."""
    for elderly in (False, True):
        page = _signed_in(chromium, with_data, "anonymous", "", elderly)
        try:
            page.goto("/citizen/hall")
            buttons = page.locator("#items a.button")
            assert buttons.count() >= 10
            for i in range(buttons.count()):
                box = buttons.nth(i).bounding_box()
                assert box is not None
                assert box["x"] >= 0, (elderly, i, box)
                assert box["x"] + box["width"] <= WIDTH, (elderly, i, box)
            _screenshot(page, f"hall{'-elderly' if elderly else ''}")
        finally:
            page.context.close()
