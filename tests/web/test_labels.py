"""Every enumerated value a person reads is shown with its Chinese label from `core.labels` (issue 9, 18):
the pages that used to show raw codes (`match`, `found`, `renshe:sharing/no-grant`, `valid`, an item's
slug) show words, and the scattered label dicts serve from the one place."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from renshe.certs.models import Certificate
from renshe.core import labels
from renshe.core.auth import hash_password
from renshe.core.http import templates
from renshe.hall.catalog import service as hall_catalog
from renshe.registry.models import Person
from renshe.sharing import recorder
from renshe.sharing.models import Consumer
from tests import factories
from tests.certs.conftest import cert, citizen, clerk, holder  # noqa: F401 - fixtures used below

RAW_RESULTS = ("match", "mismatch", "not_found", "found", "renshe:sharing/no-grant", "renshe:sharing/rate-limited")


def _cells(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)]


def test_the_label_filter_is_registered_once_and_never_shows_a_raw_code() -> None:
    env = templates.engine.env
    assert env.filters["label"] is labels.label
    assert labels.label("match", "sharing.result") == "核验一致"
    assert labels.label("renshe:sharing/no-grant", "sharing.result") == "未获授权，已拒绝"
    # a refusal code nobody foresaw still reads as words, and is noted as missing
    assert labels.label("renshe:sharing/brand-new", "sharing.result") == "请求有误，已拒绝"
    assert ("sharing.result", "renshe:sharing/brand-new") in labels.missing()
    assert labels.label("valid", "certs.verification") == "有效"
    assert labels.label(None, "certs.verification") == ""
    with pytest.raises(KeyError):
        labels.label("x", "no.such.group")


def test_the_scattered_label_dicts_serve_from_the_one_place() -> None:
    from renshe.card import common
    from renshe.certs import verifier
    from renshe.hall import schemas as hall_schemas
    from renshe.registry import schemas as registry_schemas

    for group, mapping in (("hall.channel", hall_schemas.CHANNEL_LABELS), ("registry.sex", registry_schemas.SEX_LABELS),
                           ("certs.verification", verifier.RESULT_LABELS),
                           ("card.payment_status", common.PAYMENT_STATUS_LABELS)):
        assert labels.labels_of(group) == dict(mapping)
    for group in labels.groups():
        for value, text in labels.labels_of(group).items():
            assert re.search(r"[\u4e00-\u9fff]", text), f"{group}.{value} has no Chinese label: {text!r}"
    with pytest.raises(ValueError, match="already"):
        labels.register("hall.channel", {"online": "Online"})


def test_citizen_lookups_show_results_in_words(client: TestClient, session: Session) -> None:
    person: Person = factories.person(session, name="欧阳秋菊")
    session.add(Consumer(client_id="c-labels", secret_hash=hash_password("x" * 16), name="某市公积金中心",
                         rate_per_minute=10, daily_quota=100))
    session.flush()
    id_number = _id_number_of(session, person)
    for i, result in enumerate(RAW_RESULTS):
        recorder.log_call(session, consumer="c-labels", resource="identity-verification", purpose="住房公积金提取",
                          subject=id_number, result=result, status=200 if "/" not in result else 403,
                          requested_at=datetime(2026, 3, 1, 9, i, tzinfo=UTC), request_bytes=10, response_bytes=10)
    session.commit()
    page = client.get("/citizen/lookups", headers=factories.bearer(citizen(person)))
    assert page.status_code == 200, page.text
    cells = _cells(page.text)
    for raw in RAW_RESULTS:
        assert raw not in cells, f"{raw} shown raw"
    assert "renshe:" not in page.text
    for words in ("核验一致", "核验不一致", "未查到", "已查到", "未获授权，已拒绝", "查询过于频繁，已拒绝"):
        assert words in cells


def _id_number_of(session: Session, person: Person) -> str:
    from renshe.core import crypto
    from renshe.registry import service as registry

    return crypto.cipher().decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE)


def test_certificate_verifications_show_the_result_in_words(client: TestClient, session: Session,
                                                            cert: Certificate, holder: Person) -> None:  # noqa: F811
    headers = factories.bearer(citizen(holder))
    session.commit()
    made = client.post(f"/citizen/certs/{cert.public_id}/links", headers=headers, data={"days": "7", "purpose": "应聘"},
                       follow_redirects=False)
    shown = client.get(made.headers["location"], headers=headers)
    url = shown.text.split('id="new-link">', 1)[1].split("<", 1)[0]
    assert client.get(f"/certs/v/{url.rsplit('/', 1)[-1]}").status_code == 200
    detail = client.get(f"/citizen/certs/{cert.public_id}", headers=headers)
    table = detail.text.split('id="verifications"', 1)[1].split("</table>", 1)[0]
    cells = _cells(table)
    assert "有效" in cells
    assert "核验链接" in cells
    assert "valid" not in cells
    assert "link" not in cells


def test_the_guide_shows_no_item_slug(client: TestClient, session: Session) -> None:
    from renshe.core.auth import SYSTEM

    hall_catalog.load_catalog(session, actor=SYSTEM)
    session.commit()
    page = client.get("/citizen/hall/items/employment-certificate")
    assert page.status_code == 200, page.text
    text = re.sub(r"<[^>]+>", " ", page.text.split("<main", 1)[1])
    assert "employment-certificate" not in text
    assert "国家统一规范第1版" in text
