"""The service hall through the real pages: a citizen applies for 失业保险金 with the fields the platform
holds already filled and locked, a clerk accepts, a different reviewer approves, the citizen sees the result
and rates it 非常不满意, which opens a rectification case a supervisor sees. The citizen hall pages pass axe
in elderly mode with large type."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser import conftest as browser
from tests.browser.conftest import (
    CLERK_COUNTY,
    LiveServer,
    assert_no_axe_violations,
    set_elderly,
    sign_in_citizen,
    sign_in_staff,
)

# A seeded server of this module's own (its applications and ratings change the demo data); the browser
# suite's per-test context and page fixtures, used here by name.


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from browser.serve_demo(tmp_path_factory)


context = browser.context
page = browser.page

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_citizen_applies_clerk_accepts_other_reviewer_approves_citizen_sees_result(
        page: Any, chromium: Any, live_server: LiveServer) -> None:
    own = live_server.own
    # 失业保险金申领 is checked against the records: a year of unemployment insurance contributions and a
    # separation reported by the employer, in the server's own database, so that the approval can pass.
    from tests.unemployment import kit as unemployment_kit
    unemployment_kit.insure_on_server(log_file=live_server.log_file, database_url=live_server.database_url,
                                      id_number=own.id_number)
    sign_in_citizen(page, own.id_number, own.phone)
    page.click("a:has-text('办事服务')")
    page.wait_for_url("**/citizen/hall")
    page.click("a[aria-label='在线申请：失业保险金申领']")
    page.wait_for_url("**/citizen/hall/items/unemployment-benefit/apply")

    # What the platform holds is filled in, read-only, with where it came from.
    name = page.locator("#f-name")
    expect(name).to_have_value(own.name)
    expect(name).to_have_attribute("readonly", "")
    # masked on the screen, the person's own too (issue 9, item 18); the platform's values are used
    expect(page.locator("#f-id_number")).to_have_value(f"{own.id_number[:6]}********{own.id_number[-4:]}")
    expect(page.locator("#f-phone")).to_have_value(f"{own.phone[:3]}****{own.phone[-4:]}")
    assert "来源：人员基本信息" in page.locator("#f-name-source").inner_text()
    assert "更新于" in page.locator("#f-name-source").inner_text()
    assert_no_axe_violations(page, "apply form")

    # Submitting with gaps gives a message per field, in Chinese, naming the field.
    page.click("#apply-form button[type=submit]")
    expect(page.locator("#f-former_employer-error")).to_have_text("请填写“失业前工作单位”（必填项）")
    expect(page.locator("[role=alert]")).to_contain_text("申请未提交")

    page.fill("#f-former_employer", "北京市朝阳区某某科技有限公司")
    page.fill("#f-separation_date", "2026-10-31")
    page.select_option("#f-separation_reason", "contract_expired")
    page.select_option("#f-bank", "ICBC")
    page.fill("#f-bank_account", "6222020200112233445")
    page.check("#f-pledge")
    page.set_input_files("#m-separation_proof", files=[{"name": "解除劳动合同证明.pdf", "mimeType": "application/pdf",
                                                        "buffer": PDF}])
    page.click("#apply-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/citizen/applications/[0-9a-f]{32}\?submitted=1"))
    expect(page.locator("#app-state")).to_have_text("已提交，待受理")
    number = page.locator("#app-number").inner_text().strip()
    detail_url = page.url.split("?")[0]
    assert own.name in page.locator("[data-field=name]").inner_text()

    # A clerk of the county accepts it from the queue.
    clerk_context = chromium.new_context(base_url=live_server.base_url, locale="zh-CN")
    clerk = clerk_context.new_page()
    sign_in_staff(clerk, f"clerk-{CLERK_COUNTY}")
    clerk.goto("/staff/hall")
    clerk.click(f"#queue a:has-text('{number}')")
    clerk.click("#do-accept")
    expect(clerk.locator("#app-state")).to_have_text("已受理，待审核")
    assert "剩余" in clerk.locator("#app-deadline").inner_text()
    expect(clerk.locator("#do-approve")).to_have_count(0)  # a clerk does not review
    clerk_context.close()

    # A different person, the county's reviewer, approves.
    reviewer_context = chromium.new_context(base_url=live_server.base_url, locale="zh-CN")
    reviewer = reviewer_context.new_page()
    sign_in_staff(reviewer, f"reviewer-{CLERK_COUNTY}")
    reviewer.goto("/staff/hall")
    reviewer.click(f"#queue a:has-text('{number}')")
    reviewer.fill("#reason", "材料齐全，符合申领条件")
    reviewer.click("#do-approve")
    expect(reviewer.locator("#app-state")).to_have_text("已办结（准予）")
    reviewer_context.close()

    # The citizen follows progress and sees the result.
    page.goto(detail_url)
    expect(page.locator("#app-state")).to_have_text("已办结（准予）")
    timeline = page.locator("#timeline").inner_text()
    for step in ("提交申请", "受理", "审核", "办结：准予"):
        assert step in timeline
    page.goto("/citizen/applications")
    expect(page.locator("#applications")).to_contain_text(number)
    page.goto(detail_url)
    page.click("#result-link")
    expect(page.locator("#result-text")).to_contain_text("决定准予办理")
    font = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font >= 18  # the print view is large type

    # The citizen rates the handling 非常不满意, with a reason: once only.
    page.goto(detail_url)
    expect(page.locator("#review-form")).to_be_visible()
    assert_no_axe_violations(page, "application page with the rating form")
    page.check("#level-1")
    page.select_option("#score-efficiency", "1")
    page.fill("#comment", "等待时间过长，窗口人员解释不清")
    page.click("#review-submit")
    expect(page.locator("#review-level")).to_have_text("非常不满意")
    expect(page.locator("#review-form")).to_have_count(0)

    # A supervisor of the province signs in and sees the rectification case it opened.
    admin = {"Authorization": f"Bearer {live_server.admin_token}"}
    made = httpx.post(f"{live_server.base_url}/api/v1/staff-users", headers=admin, json={
        "username": "hall-supervisor", "display_name": "省监管员", "password": "demo-pass-1",
        "roles": ["supervisor"], "division_code": "110000"})
    assert made.status_code in (201, 409), made.text
    supervisor_context = chromium.new_context(base_url=live_server.base_url, locale="zh-CN", bypass_csp=True)
    supervisor = supervisor_context.new_page()
    sign_in_staff(supervisor, "hall-supervisor", "demo-pass-1")
    supervisor.goto("/staff/hall/reviews")
    if "服务器内部错误" in supervisor.content():
        pytest.fail(live_server.log_file.read_text(errors="replace")[-4000:], pytrace=False)
    row = supervisor.locator("#rectifications tbody tr", has_text=number)
    expect(row).to_contain_text("非常不满意")
    expect(row).to_contain_text("待回访")
    assert_no_axe_violations(supervisor, "review dashboard")
    supervisor.goto("/staff/hall/supervision")
    assert_no_axe_violations(supervisor, "supervision page")
    supervisor_context.close()


def test_citizen_hall_pages_in_elderly_mode(page: Any, context: Any, live_server: LiveServer) -> None:
    own = live_server.own
    set_elderly(context, live_server)
    sign_in_citizen(page, own.id_number, own.phone)
    for url in ("/citizen/hall", "/citizen/hall/items/unemployment-benefit",
                "/citizen/hall/items/unemployment-benefit/apply", "/citizen/applications",
                "/citizen/hall/bundles/unemployment-bundle/apply", "/citizen/hall/feedback", "/hall/rectified",
                "/citizen/hall/items/training-subsidy/interprovince"):
        page.goto(url)
        assert page.evaluate("document.body.classList.contains('elderly')"), url
        assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 18, url
        line = page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight) / "
                             "parseFloat(getComputedStyle(document.body).fontSize)")
        assert line >= 1.3, url
        for button in page.locator("main .button.primary, main button.primary").all()[:5]:
            box = button.bounding_box()
            if box:
                assert box["height"] >= 60, (url, button.inner_text())
        assert_no_axe_violations(page, f"{url} in elderly mode")


def test_certificate_material_cross_province_and_catalog_admin_pages(
        page: Any, chromium: Any, live_server: LiveServer) -> None:
    own = live_server.own
    admin = {"Authorization": f"Bearer {live_server.admin_token}"}
    issued = httpx.post(f"{live_server.base_url}/api/v1/certs", headers=admin, json={
        "person_id": own.public_id, "type": "vocational-skill-level",
        "fields": {"occupation": "电工", "level": "三级/高级工", "evaluator": "朝阳区职业技能等级认定中心"}})
    assert issued.status_code == 201, issued.text
    identifier = issued.json()["identifier"]

    # The certificate stands in for the upload, with where it came from.
    sign_in_citizen(page, own.id_number, own.phone)
    page.goto("/citizen/hall/items/training-subsidy/apply")
    shown = page.locator("[data-material=certificate] .certificate-material")
    expect(shown).to_contain_text(identifier)
    expect(shown).to_contain_text("来源：电子证照库")
    expect(page.locator("#m-certificate")).to_have_count(0)
    assert_no_axe_violations(page, "apply form with a certificate material")
    page.goto("/citizen/hall/items/training-subsidy/interprovince")
    expect(page.locator("h1")).to_contain_text("跨省通办")
    assert_no_axe_violations(page, "cross-province page")

    # The administrator adapts an item; the promised limit over the legal one is refused beside the field.
    admin_context = chromium.new_context(base_url=live_server.base_url, locale="zh-CN", bypass_csp=True)
    staff = admin_context.new_page()
    sign_in_staff(staff, "admin")
    staff.goto("/staff/hall/catalog")
    expect(staff.locator("tr[data-item=training-subsidy]")).to_contain_text("已与国家规范一致")
    assert_no_axe_violations(staff, "staff catalog with administration links")
    staff.goto("/staff/hall/catalog/training-subsidy/adapt")
    staff.fill("#promised_limit_days", "99")
    staff.fill("#note", "延长承诺时限")
    staff.click("#catalog-submit")
    expect(staff.locator("#promised_limit_days-error")).to_have_text("承诺时限（99个工作日）不能超过法定时限（20个工作日）")
    assert_no_axe_violations(staff, "adapt form with an error")
    staff.goto("/staff/hall/catalog/training-subsidy/publish")
    assert_no_axe_violations(staff, "publish form")
    admin_context.close()
