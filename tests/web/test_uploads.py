"""Uploads: bodies capped per route before parsing, zip bombs refused before openpyxl opens them, one encoding
rule for every CSV (UTF-8 with or without BOM, GB18030), row caps, with stable codes and Chinese pages."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from renshe.core import crypto, settings
from renshe.registry import service as registry
from tests import factories
from tests.sharing.test_batch import _headers

pytestmark = pytest.mark.usefixtures("call_log_inline")  # the app shares the test connection

BROWSER = "text/html,application/xhtml+xml,*/*;q=0.8"


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    yield monkeypatch
    settings.get_settings.cache_clear()


def _set(monkeypatch: pytest.MonkeyPatch, **values: int) -> None:
    for name, value in values.items():
        monkeypatch.setenv(f"RENSHE_{name.upper()}", str(value))
    settings.get_settings.cache_clear()


def _bomb(unpacked_mb: int = 40) -> bytes:
    """An XLSX-shaped archive whose sheet unpacks to `unpacked_mb` MB from a few tens of KB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (unpacked_mb * 1024 * 1024))
    return out.getvalue()


def _clerk(session: Session, name: str) -> dict[str, str]:
    clerk = factories.staff_user(session, username=name, division="110105")
    session.commit()
    return factories.bearer(clerk)


def test_zip_bomb_is_refused_before_it_is_opened(client: TestClient, session: Session) -> None:
    bomb = _bomb()
    assert len(bomb) < 200_000
    headers = _clerk(session, "up-bomb")
    started = time.monotonic()
    response = client.post("/api/v1/imports/persons", headers=headers, files={"file": ("bomb.xlsx", bomb)})
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "renshe:upload/zip-bomb"
    batch = client.post("/share/v1/batch/identity", headers=_headers(client, session),
                        files={"file": ("bomb.xlsx", bomb)})
    assert batch.status_code == 413, batch.text
    assert batch.json()["type"] == "renshe:upload/zip-bomb"
    assert time.monotonic() - started < 10  # nothing was unpacked


def test_declared_body_past_the_route_cap_is_refused_unread(client: TestClient, session: Session,
                                                            configured: pytest.MonkeyPatch) -> None:
    _set(configured, max_body_kb=16, max_material_body_mb=1)
    headers = _clerk(session, "up-body")
    big = b'{"name": "' + b"x" * 20_000 + b'"}'
    response = client.post("/api/v1/persons", headers={**headers, "Content-Type": "application/json"}, content=big)
    assert response.status_code == 413
    assert response.json()["type"] == "renshe:upload/too-large"
    assert "16KB" in response.json()["detail"]
    # the hall's material routes take more (sized for base64 files): the same body reaches the route
    hall = client.post("/api/v1/hall/applications", headers={**headers, "Content-Type": "application/json"},
                       content=big)
    assert hall.status_code != 413


def test_streamed_body_is_counted_and_refused(client: TestClient, session: Session,
                                              configured: pytest.MonkeyPatch) -> None:
    _set(configured, max_body_kb=16)
    headers = _clerk(session, "up-chunked")

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(40):
            yield b"x" * 1024
        yield b'"}'

    response = client.post("/api/v1/persons", headers={**headers, "Content-Type": "application/json"},
                           content=chunks())
    assert response.status_code == 413, response.text
    assert response.json()["type"] == "renshe:upload/too-large"


def test_upload_past_the_cap_shows_a_chinese_page(client: TestClient, session: Session,
                                                  configured: pytest.MonkeyPatch) -> None:
    _set(configured, max_upload_mb=1)
    factories.staff_user(session, username="up-page", division="110105", password="pw-pw-pw")
    session.commit()
    client.post("/staff/login", data={"username": "up-page", "password": "pw-pw-pw"})
    big = b"id_number,name,residence_division\n" + b"x" * (1024 * 1024 + 10)
    response = client.post("/staff/imports", data={"kind": "persons"}, files={"file": ("big.csv", big)},
                           headers={"Accept": BROWSER})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "请求内容超过1MB的上限" in response.text


def test_gbk_csv_to_batch_verification_is_read(client: TestClient, session: Session) -> None:
    from renshe.core import db
    from renshe.sharing import jobs

    person = factories.person(session, county="110105", name="欧阳娜娜")
    number = crypto.cipher().decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE)
    session.commit()
    headers = _headers(client, session)
    body = f"姓名,公民身份号码\r\n欧阳娜娜,{number}\r\n".encode("gbk")
    created = client.post("/share/v1/batch/identity", headers=headers, files={"file": ("gbk.csv", body)})
    assert created.status_code == 202, created.text
    while jobs.work_once(db.sessions.factory):
        pass
    done = client.get(f"/share/v1/batch/{created.json()['job_id']}", headers=headers).json()
    assert done["matched"] == 1


@pytest.mark.parametrize(("content", "named"), [
    ("name,id_number\r\n王五,110105198005170011\r\n".encode("utf-16"), "UTF-16"),
    (b"name,id_number\r\n\xff\xfe\xff,110105198005170011\r\n", "GB18030"),
])
def test_other_encodings_are_refused_naming_them(client: TestClient, session: Session, content: bytes,
                                                 named: str) -> None:
    batch = client.post("/share/v1/batch/identity", headers=_headers(client, session),
                        files={"file": ("rows.csv", content)})
    assert batch.status_code == 422, batch.text
    assert batch.json()["type"] == "renshe:upload/encoding"
    assert named in batch.json()["detail"]
    imported = client.post("/api/v1/imports/persons", headers=_clerk(session, "up-enc"),
                           files={"file": ("rows.csv", content)})
    assert imported.status_code == 422
    assert imported.json()["type"] == "renshe:upload/encoding"


def test_rows_are_capped_while_reading(client: TestClient, session: Session, configured: pytest.MonkeyPatch) -> None:
    _set(configured, upload_max_rows=2)
    rows = "".join(f"{factories.resident_id('110105')},某{i},110105\n" for i in range(3))
    response = client.post("/api/v1/imports/persons", headers=_clerk(session, "up-rows"),
                           files={"file": ("rows.csv", ("id_number,name,residence_division\n" + rows).encode())})
    assert response.status_code == 413, response.text
    assert response.json()["type"] == "renshe:upload/too-many-rows"
