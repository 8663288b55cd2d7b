"""Electronic certificates through the real pages: anyone checks the demo certificate on /certs/verify by
pasting its QR payload or uploading its PDF and reads 有效; a payload with one byte changed reads as
tampered, in Chinese; the holder's wallet lists the certificate and makes a verification link that opens
to the same verdict. The pages pass axe in normal and elderly mode.

One demo server for this module (module-scoped, so the card module's server is another one)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from renshe.certs.signing import QR_PREFIX, b45decode, b45encode
from tests.browser import conftest as browser
from tests.browser.conftest import LiveServer, assert_no_axe_violations, set_elderly

pytestmark = pytest.mark.browser
MODES = {"normal": False, "elderly": True}
VALID = "有效"
TAMPERED = "无效（被篡改）"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A seeded server of this module's own: its tests change the demo person's card and certificates."""
    yield from browser.serve_demo(tmp_path_factory)


context = browser.context
page = browser.page


@pytest.fixture(scope="module")
def demo_cert(live_server: LiveServer) -> dict[str, Any]:
    """The certificate the demo seed issued (职业技能等级证书), as the staff API shows it with its QR payload."""
    with httpx.Client(base_url=live_server.base_url, timeout=30,
                      headers={"Authorization": f"Bearer {live_server.admin_token}"}) as api:
        found = api.get("/api/v1/certs", params={"limit": 5})
        assert found.status_code == 200, found.text
        items = found.json()["items"]
        assert items, "the demo seed issued no certificate"
        cert = api.get(f"/api/v1/certs/{items[0]['identifier']}")
        assert cert.status_code == 200, cert.text
        return dict(cert.json())


@pytest.fixture(scope="module")
def own_cert(live_server: LiveServer) -> dict[str, Any]:
    """A certificate of the demo citizen the browser suite registers: the one whose ID number and phone the
    tests know, so the wallet can be opened by signing in as them."""
    with httpx.Client(base_url=live_server.base_url, timeout=30,
                      headers={"Authorization": f"Bearer {live_server.admin_token}"}) as api:
        made = api.post("/api/v1/certs", json={
            "person_id": live_server.own.public_id, "type": "vocational-skill-level",
            "fields": {"occupation": "电工", "level": "三级/高级工", "evaluator": "演示职业技能等级认定中心"}})
        assert made.status_code == 201, made.text
        return dict(made.json())


def one_byte_changed(payload: str) -> str:
    """The same QR payload with its last signed byte flipped, still well-formed base45."""
    raw = bytearray(b45decode(payload[len(QR_PREFIX):]))
    raw[-65] ^= 0x01  # the last byte of the signed body (the signature's 64 bytes follow)
    return QR_PREFIX + b45encode(bytes(raw))


def verify_text(page: Any, value: str) -> None:
    page.fill("#value", value)
    page.click("form[action='/certs/verify'] button[type=submit]")


def sign_in_citizen(page: Any, live_server: LiveServer) -> None:
    """The demo citizen signs in with the one-time code from the demo outbox."""
    browser.sign_in_citizen(page, live_server.own.id_number, live_server.own.phone)


@pytest.mark.parametrize("mode", MODES)
def test_anyone_verifies_the_demo_certificate_by_its_qr_payload(context: Any, live_server: LiveServer,
                                                                demo_cert: dict[str, Any], mode: str) -> None:
    set_elderly(context, live_server, MODES[mode])
    page = context.new_page()  # not signed in: verification is public
    page.goto("/certs/verify")
    assert_no_axe_violations(page, f"/certs/verify ({mode})")

    verify_text(page, demo_cert["qr_payload"])
    expect(page.locator("#cert-result")).to_have_text(VALID)
    assert page.locator("#cert-result").get_attribute("data-result") == "valid"
    result = page.locator(".cert-result").inner_text()
    assert "职业技能等级证书" in result
    assert re.search(r"\*{4}", result), "the holder's data must be masked on a public page"
    assert_no_axe_violations(page, f"/certs/verify valid result ({mode})")

    verify_text(page, one_byte_changed(demo_cert["qr_payload"]))
    expect(page.locator("#cert-result")).to_have_text(TAMPERED)
    reason = page.locator("#cert-reason").inner_text()
    assert re.search(r"[\u4e00-\u9fff]", reason), reason
    assert_no_axe_violations(page, f"/certs/verify tampered result ({mode})")

    page.fill("#value", "")
    page.click("form[action='/certs/verify'] button[type=submit]")
    expect(page.locator("#value-error")).to_contain_text("请粘贴证照内容")
    expect(page.locator("#value")).to_have_attribute("aria-invalid", "true")


def test_holder_lists_the_certificate_makes_a_link_and_its_pdf_verifies(page: Any, live_server: LiveServer,
                                                                        own_cert: dict[str, Any]) -> None:
    sign_in_citizen(page, live_server)
    page.goto("/citizen/certs")
    row = page.locator("tbody tr", has_text="职业技能等级证书")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("有效")
    assert_no_axe_violations(page, "/citizen/certs")

    # the PDF, downloaded through the wallet API with the holder's session, uploaded to the public page
    pdf = page.request.get(f"/api/v1/certs/{own_cert['identifier']}/pdf")
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    page.goto("/certs/verify")
    page.set_input_files("#upload", files=[{"name": "证照.pdf", "mimeType": "application/pdf", "buffer": pdf.body()}])
    page.click("form[action='/certs/verify'] button[type=submit]")
    expect(page.locator("#cert-result")).to_have_text(VALID)
    expect(page.locator(".cert-result")).to_contain_text(own_cert["identifier"])

    page.goto("/citizen/certs")
    page.click("tbody tr a:has-text('职业技能等级证书')")
    page.wait_for_url(re.compile(r".*/citizen/certs/[0-9a-f]{32}$"))
    page.select_option("#days", "3")
    page.fill("#purpose", "入职审核")
    page.click("form[action$='/links'] button[type=submit]")
    link = page.locator("#new-link").inner_text().strip()
    assert re.search(r"/certs/v/\S+$", link), link
    expect(page.locator("table", has_text="我生成的链接")).to_contain_text("入职审核")
    assert_no_axe_violations(page, "/citizen/certs/<id> with a new link")

    visitor = page.context.browser.new_context(base_url=live_server.base_url, locale="zh-CN")  # someone else
    try:
        other = visitor.new_page()
        other.goto(urlsplit(link).path)  # the link names the public site's domain; open it on this server
        expect(other.locator("#cert-result")).to_have_text(VALID)
    finally:
        visitor.close()
    page.reload()
    expect(page.locator("#verifications")).to_contain_text("核验链接")


@pytest.mark.parametrize("mode", MODES)
def test_the_published_formats_page_reads_on_a_phone(context: Any, live_server: LiveServer, mode: str) -> None:
    """The verify page links the published formats (docs/formats.md); the page fits 390 px and passes axe."""
    set_elderly(context, live_server, MODES[mode])
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/certs/verify")
    page.click("a[href='/certs/formats']")
    expect(page.locator("h1")).to_have_text("公开格式规范")
    expect(page.locator("pre.spec")).to_contain_text("SSC1")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"/certs/formats is {width} px wide at 390 px ({mode})"
    assert_no_axe_violations(page, f"/certs/formats ({mode})")
