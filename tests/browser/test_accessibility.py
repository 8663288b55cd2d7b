"""Accessibility in a real browser: axe-core (WCAG 2.1 A/AA) on the entrance, sign-in and staff pages in
normal and elderly mode, and the elderly-mode numbers from docs/ui.md measured on the rendered pages.

Set RENSHE_SCREENSHOT_DIR=/tmp/shots to keep a full-page screenshot of every page checked here.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    CLERK_COUNTY,
    LiveServer,
    assert_no_axe_violations,
    set_elderly,
    sign_in_staff,
)

pytestmark = pytest.mark.browser

ENTRANCE_PAGES = ["/", "/staff/login", "/citizen/login", "/employer/login"]
MODES = {"normal": False, "elderly": True}
# The main targets of ui.md: primary buttons, the entrance links, navigation links, the elderly switch.
MAIN_TARGETS = ".button.primary, button.primary, .entrance, .top-nav a, .mode-switch"
# Other controls (not links inside a sentence): at least 44 × 44.
OTHER_TARGETS = ".button, button, input:not([type=hidden]), select, .link-button"


def _shot(page: Any, name: str) -> None:
    directory = os.environ.get("RENSHE_SCREENSHOT_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-") or "home"
        page.screenshot(path=str(Path(directory) / f"{safe}.png"), full_page=True)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", ENTRANCE_PAGES)
def test_entrance_pages_have_no_axe_violations(context: Any, live_server: LiveServer, path: str, mode: str) -> None:
    set_elderly(context, live_server, MODES[mode])
    page = context.new_page()
    response = page.goto(path)
    assert response is not None
    assert response.status == 200
    assert ("elderly" in (page.locator("body").get_attribute("class") or "")) == MODES[mode]
    _shot(page, f"{mode}-{path}")
    assert_no_axe_violations(page, f"{path} ({mode})")


@pytest.mark.parametrize("mode", MODES)
def test_signed_in_staff_pages_have_no_axe_violations(context: Any, live_server: LiveServer, mode: str) -> None:
    set_elderly(context, live_server, MODES[mode])
    page = context.new_page()
    sign_in_staff(page, f"clerk-{CLERK_COUNTY}")
    page.goto(f"/staff?q={live_server.own.name}")
    assert page.locator("#results tbody tr").count() == 1
    _shot(page, f"{mode}-staff")
    assert_no_axe_violations(page, f"/staff workbench ({mode})")
    page.goto(f"/staff/persons/{live_server.own.public_id}")
    _shot(page, f"{mode}-person")
    assert_no_axe_violations(page, f"person page ({mode})")
    response = page.goto(f"/staff/persons/{live_server.other.public_id}")
    assert response is not None
    assert response.status == 403
    _shot(page, f"{mode}-forbidden")
    assert_no_axe_violations(page, f"403 page ({mode})")


SHARING_PAGES = ["/staff/sharing", "/staff/sharing/calls", "/staff/sharing/dashboard", "/staff/sharing/batches",
                 "/staff/sharing/resources/new", "/staff/sharing/resources/identity-verification", "/staff/calendar"]


@pytest.mark.parametrize("mode", MODES)
def test_data_sharing_staff_pages_have_no_axe_violations(context: Any, live_server: LiveServer, mode: str) -> None:
    import httpx

    set_elderly(context, live_server, MODES[mode])
    page = context.new_page()
    sign_in_staff(page, "admin")
    # a consumer registered on the page makes a few calls, so the dashboard draws its charts
    page.goto("/staff/sharing")
    page.fill("#name", f"无障碍检查调用方{mode}")
    page.fill("#purpose", "身份核验")
    page.fill("#legal_basis", "依法履职")
    page.check("input[name=grants][value=identity-verification]")
    page.click("form[action='/staff/sharing/consumers'] button[type=submit]")
    shown = page.locator("p.success strong")
    client_id, secret = shown.nth(0).inner_text(), shown.nth(1).inner_text()
    token = httpx.post(f"{live_server.base_url}/share/v1/token", data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}).json()["access_token"]
    for name in (live_server.own.name, "别人"):
        answer = httpx.post(f"{live_server.base_url}/share/v1/verify/identity",
                            headers={"Authorization": f"Bearer {token}"},
                            json={"name": name, "id_number": live_server.own.id_number})
        assert answer.status_code == 200
    for path in SHARING_PAGES:
        response = page.goto(path)
        assert response is not None
        assert response.status == 200, path
        if path == "/staff/sharing/dashboard":
            assert page.locator("figure.chart svg").count() >= 3
        assert_no_axe_violations(page, f"{path} ({mode})")


# --------------------------------------------------------------------------- elderly mode, measured

MEASURE = """
([mainSelector, otherSelector]) => {
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 1 && r.height > 1 && s.visibility !== 'hidden' && s.display !== 'none'
      && !el.closest('.visually-hidden, .skip');
  };
  const describe = (el) => {
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 20);
    return `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className ? '.' +
      String(el.className).trim().split(/\\s+/).join('.') : ''} "${text}"`;
  };
  const small = [], tight = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (!visible(el)) continue;
    const ownText = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!ownText) continue;
    const s = getComputedStyle(el);
    const size = parseFloat(s.fontSize);
    if (size < 18) small.push(`${describe(el)}: ${size}px`);
    const lh = s.lineHeight === 'normal' ? NaN : parseFloat(s.lineHeight);
    if (!(lh >= 1.3 * size - 0.01)) tight.push(`${describe(el)}: line-height ${s.lineHeight} for ${size}px`);
  }
  const sizeOf = (selector, min) => [...document.querySelectorAll(selector)].filter(visible).map(el => {
    const r = el.getBoundingClientRect();
    const ok = r.width >= min - 0.01 && r.height >= min - 0.01;
    return {what: describe(el), width: r.width, height: r.height, ok};
  });
  const headings = [...document.querySelectorAll('h1')].filter(visible)
    .map(el => parseFloat(getComputedStyle(el).fontSize));
  return {
    bodySize: parseFloat(getComputedStyle(document.body).fontSize),
    small, tight, main: sizeOf(mainSelector, 60), other: sizeOf(otherSelector, 44),
    largest: Math.max(0, ...headings),
  };
}
"""


def _check_elderly_measures(page: Any, label: str) -> None:
    m = page.evaluate(MEASURE, [MAIN_TARGETS, OTHER_TARGETS])
    problems: list[str] = []
    if m["bodySize"] < 18:
        problems.append(f"body font-size {m['bodySize']}px < 18px")
    problems += [f"text under 18px: {s}" for s in m["small"]]
    problems += [f"line height under 1.3×: {s}" for s in m["tight"]]
    problems += [f"main target under 60×60: {t['what']} {t['width']:.0f}×{t['height']:.0f}"
                 for t in m["main"] if not t["ok"]]
    problems += [f"target under 44×44: {t['what']} {t['width']:.0f}×{t['height']:.0f}"
                 for t in m["other"] if not t["ok"]]
    if m["largest"] < 30:
        problems.append(f"largest heading {m['largest']}px < 30px")
    assert m["main"], f"no main targets found on {label}"
    assert not problems, f"elderly mode on {label}:\n" + "\n".join(problems)


def _check_reflow(page: Any, label: str) -> None:
    page.set_viewport_size({"width": 320, "height": 720})
    overflow = page.evaluate("""() => {
      const doc = document.documentElement;
      const wide = [...document.body.querySelectorAll('*')].filter(el => {
        const r = el.getBoundingClientRect();
        return r.right > doc.clientWidth + 1 && !el.closest('.table-scroll, .skip, .visually-hidden');
      }).slice(0, 8).map(el => `${el.tagName.toLowerCase()}.${String(el.className)} right=${
        Math.round(el.getBoundingClientRect().right)}`);
      return {scroll: doc.scrollWidth, client: doc.clientWidth, wide};
    }""")
    _shot(page, f"320-{label}")
    assert overflow["scroll"] <= overflow["client"], f"{label} scrolls sideways at 320 px: {overflow}"
    assert not overflow["wide"], f"{label} has elements past the right edge at 320 px: {overflow}"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_elderly_mode_sizes_and_reflow_on_entrance_pages(context: Any, live_server: LiveServer) -> None:
    set_elderly(context, live_server)
    page = context.new_page()
    for path in ENTRANCE_PAGES:
        page.goto(path)
        _check_elderly_measures(page, path)
        _check_reflow(page, f"{path} (elderly)")


def test_elderly_mode_sizes_on_staff_pages(context: Any, live_server: LiveServer) -> None:
    set_elderly(context, live_server)
    page = context.new_page()
    sign_in_staff(page, f"clerk-{CLERK_COUNTY}")
    page.goto(f"/staff?q={live_server.own.name}")
    _check_elderly_measures(page, "/staff")
    _check_reflow(page, "/staff (elderly)")
    page.goto(f"/staff/persons/{live_server.own.public_id}")
    _check_elderly_measures(page, "person page")
    _check_reflow(page, "person page (elderly)")


def test_normal_mode_reflows_at_320px(context: Any, live_server: LiveServer) -> None:
    page = context.new_page()
    for path in ENTRANCE_PAGES:
        page.goto(path)
        _check_reflow(page, path)


def test_elderly_switch_is_on_every_entrance_page_and_remembered(context: Any, live_server: LiveServer) -> None:
    page = context.new_page()
    for path in ENTRANCE_PAGES:
        page.goto(path)
        switch = page.locator(".mode-switch")
        assert switch.count() == 1, f"no elderly switch on {path}"
        assert switch.is_visible(), f"the elderly switch is hidden on {path}"
        assert "长辈版" in switch.inner_text()
        assert "elderly" not in (page.locator("body").get_attribute("class") or "")

    page.goto("/citizen/login")
    page.click(".mode-switch")
    expect(page.locator("body")).to_have_class(re.compile(r"\belderly\b"))  # back on the same page, enlarged
    assert page.url.endswith("/citizen/login")
    for path in ENTRANCE_PAGES:  # remembered on the other pages, and after a reload
        page.goto(path)
        assert "elderly" in (page.locator("body").get_attribute("class") or ""), f"not remembered on {path}"
        assert page.locator(".mode-switch").inner_text().strip() == "退出长辈版"
    assert any(c["name"] == "renshe_elderly" and c["value"] == "1" for c in context.cookies())

    page.click(".mode-switch")  # and switched off again
    expect(page.locator("body")).not_to_have_class(re.compile(r"\belderly\b"))
    assert page.url.endswith("/employer/login")
    page.goto("/")
    assert "elderly" not in (page.locator("body").get_attribute("class") or "")


def test_elderly_entry_link_turns_the_mode_on(page: Any) -> None:
    page.goto("/")
    text = page.locator("body").inner_text()
    assert "长辈版" in text
    page.goto("/elderly")
    assert "elderly" in (page.locator("body").get_attribute("class") or "")


@pytest.mark.parametrize("path", ["/staff/login", "/citizen/login", "/employer/login"])
def test_keyboard_reaches_every_sign_in_control(page: Any, path: str) -> None:
    page.goto(path)
    wanted = page.evaluate("""() => [...document.querySelectorAll(
        'main form input:not([type=hidden]), main form button')].map(el => el.id || el.textContent.trim())""")
    reached: list[str] = []
    for _ in range(25):
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => { const el = document.activeElement;
            return el ? (el.id || el.textContent.trim()) + '|' + el.className : ''; }""")
        reached.append(focused.split("|")[0])
        if len(reached) == 1:
            assert "skip" in focused, f"the first Tab should reach the skip link, reached {focused}"
        if set(wanted) <= set(reached):
            break
    missing = [w for w in wanted if w not in reached]
    assert not missing, f"Tab never reached {missing} on {path} (reached {reached})"
