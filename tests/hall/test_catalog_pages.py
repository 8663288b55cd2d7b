"""The catalog administration pages: publish a national version, adapt the local item, errors per field."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from renshe.core.auth import Principal, issue_token
from renshe.hall.catalog import service as hall_catalog
from tests import factories

ITEM = "unemployment-benefit"


@pytest.fixture
def admin(session: Session) -> Principal:
    return factories.staff_user(session, username="hall-admin", roles=("admin",), division="110000")


def _login(client: TestClient, principal: Principal) -> None:
    client.cookies.set("renshe_token", issue_token(principal, minutes=10))


def _textareas(html: str) -> dict[str, str]:
    from html import unescape

    return {m.group(1): unescape(m.group(2)) for m in
            re.finditer(r'<textarea id="(\w+)" name="\w+"[^>]*>(.*?)</textarea>', html, re.S)}


def _publish_values(client: TestClient, **overrides: str) -> dict[str, str]:
    page = client.get(f"/staff/hall/catalog/{ITEM}/publish")
    assert page.status_code == 200
    areas = _textareas(page.text)
    values = {"name": "失业保险金申领", "case_type": "promised", "legal_limit_days": "10",
              "published_on": "2026-01-15", "note": "压缩法定时限", "form": areas["form"],
              "materials": areas["materials"]}
    values.update(overrides)
    return values


def test_only_administrators_manage_the_catalog(client: TestClient, catalog: int, clerk: Principal) -> None:
    _login(client, clerk)
    page = client.get("/staff/hall/catalog")
    assert page.status_code == 200
    assert "/adapt" not in page.text
    assert client.get(f"/staff/hall/catalog/{ITEM}/adapt").status_code == 403
    assert client.post(f"/staff/hall/catalog/{ITEM}/publish", data={"note": "x"}).status_code == 403


def test_publish_then_adapt_through_the_pages(client: TestClient, session: Session, catalog: int,
                                              admin: Principal) -> None:
    _login(client, admin)
    listing = client.get("/staff/hall/catalog")
    assert f'href="/staff/hall/catalog/{ITEM}/publish"' in listing.text

    # Broken JSON and an unchanged version come back beside their fields, in Chinese.
    broken = client.post(f"/staff/hall/catalog/{ITEM}/publish",
                         data=_publish_values(client, form='{"type": "object",', legal_limit_days="八"))
    assert broken.status_code == 422
    assert 'id="form-error"' in broken.text
    assert "“表单定义（JSON）”不是有效的JSON：第1行" in broken.text
    assert "“法定时限”应为不小于0的整数（工作日）" in broken.text
    same = client.post(f"/staff/hall/catalog/{ITEM}/publish", data=_publish_values(client, legal_limit_days="10"))
    assert same.status_code == 422
    assert "与当前版本相比没有任何修改" in same.text

    published = client.post(f"/staff/hall/catalog/{ITEM}/publish", data=_publish_values(client, legal_limit_days="8"),
                            follow_redirects=False)
    assert published.status_code == 303, published.text
    assert hall_catalog.latest_spec(session, ITEM).version == 2
    flagged = client.get(published.headers["location"])
    row = re.search(rf'<tr data-item="{ITEM}">.*?</tr>', flagged.text, re.S)
    assert row
    assert "待调整" in row.group(0)
    assert "调整期限：2026-07-15前" in row.group(0)

    # Adapting: the promised limit may not exceed the new legal limit.
    adapt = client.get(f"/staff/hall/catalog/{ITEM}/adapt")
    assert "待调整" in adapt.text
    areas = _textareas(adapt.text)
    values = {"promised_limit_days": "9", "note": "按新规范调整", "form": areas["form"],
              "materials": areas["materials"]}
    too_long = client.post(f"/staff/hall/catalog/{ITEM}/adapt", data=values)
    assert too_long.status_code == 422
    expected = "承诺时限（9个工作日）不能超过法定时限（8个工作日）"
    assert f'<span id="promised_limit_days-error" class="field-error">{expected}</span>' in too_long.text

    materials = json.loads(areas["materials"])
    materials.append({"code": "licence", "name": "资格证", "required": False,
                      "certificate_types": ["11100000000013338W999"]})
    bad = client.post(f"/staff/hall/catalog/{ITEM}/adapt", data={
        **values, "promised_limit_days": "4", "materials": json.dumps(materials, ensure_ascii=False)})
    assert bad.status_code == 422
    assert "引用了电子证照库中没有的证照类型代码：11100000000013338W999" in bad.text
    assert 'id="materials-error"' in bad.text

    done = client.post(f"/staff/hall/catalog/{ITEM}/adapt", data={**values, "promised_limit_days": "4"},
                       follow_redirects=False)
    assert done.status_code == 303, done.text
    item = hall_catalog.get_item(session, ITEM)
    assert item.promised_limit_days == 4
    assert item.legal_limit_days == 8
    assert item.current_revision == 2
    assert item.adaptation_due is None
    after = client.get(done.headers["location"])
    row = re.search(rf'<tr data-item="{ITEM}">.*?</tr>', after.text, re.S)
    assert row
    assert "已与国家规范一致" in row.group(0)
    assert "已完成本地化调整" in after.text


def test_a_form_outside_the_supported_subset_is_named(client: TestClient, catalog: int, admin: Principal) -> None:
    _login(client, admin)
    areas = _textareas(client.get(f"/staff/hall/catalog/{ITEM}/adapt").text)
    form = json.loads(areas["form"])
    form["properties"]["bank"]["type"] = "array"
    response = client.post(f"/staff/hall/catalog/{ITEM}/adapt", data={
        "promised_limit_days": "5", "note": "试改", "form": json.dumps(form), "materials": areas["materials"]})
    assert response.status_code == 422
    assert "“表单定义（JSON）”不符合平台支持的JSON Schema子集" in response.text
    not_array = client.post(f"/staff/hall/catalog/{ITEM}/adapt", data={
        "promised_limit_days": "5", "note": "试改", "form": areas["form"], "materials": '{"code": "x"}'})
    assert "“申请材料（JSON）”应为JSON数组（以 [ 开头）" in not_array.text
