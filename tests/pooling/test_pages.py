"""The province's report (API and CLI-free service) and the hub's page, JSON and XLSX, in process on SQLite
and PostgreSQL: the figures from the ledger, the warnings crossing a dated threshold, the adjustment."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core.models import OutboxEvent
from renshe.federation import service as federation
from renshe.pooling import service
from tests import factories
from tests.insurance.test_accounts import _paid_year


def _hub_event(session: Session, province: str, number: int, **figures: int) -> None:
    payload = {"period": "2026-06", "income_fen": 0, "expenditure_fen": 0, "balance_fen": 0, "insured": 0,
               "retired": 0, "average_wage_fen": 0, **figures}
    federation.apply_events(session, [federation.Incoming(
        event_id=f"pool-{province}-{number}", province=province, topic=service.TOPIC, payload=payload,
        occurred_at=datetime.now(UTC) - timedelta(seconds=10 - number))])


def test_a_province_reports_its_ledger_figures(client: TestClient, session: Session) -> None:
    _paid_year(session, people=2, year=2023)
    clerk = factories.staff_user(session, username="pool-clerk", roles=("clerk",), division="110000")
    citizen = factories.person(session, name="非经办人员")
    session.commit()
    reported = client.post("/api/v1/pooling/reports", headers=factories.bearer(clerk), json={"period": "2023-03"})
    assert reported.status_code == 200, reported.text
    body = reported.json()
    # Receipts of 2 people × 1,920.00 yuan paid on the 20th of each month; both still insured at the end of March.
    assert body["income_fen"] == 2 * 192000
    assert body["balance_fen"] == 3 * 2 * 192000
    assert (body["insured"], body["retired"], body["expenditure_fen"]) == (2, 0, 0)
    assert body["average_wage_fen"] == 10000 * 100 * 12
    event = session.scalars(select(OutboxEvent).where(OutboxEvent.topic == service.TOPIC)).one()
    assert event.payload["income_fen"] == 2 * 192000
    bad = client.post("/api/v1/pooling/reports", headers=factories.bearer(clerk), json={"period": "2023-13"})
    assert bad.status_code == 422
    from tests.hall.conftest import citizen_of

    refused = client.post("/api/v1/pooling/reports", headers=factories.bearer(citizen_of(citizen)),
                          json={"period": "2023-03"})
    assert refused.status_code == 403


def test_the_hub_shows_the_position_with_warnings_and_the_adjustment(client: TestClient, session: Session) -> None:
    _hub_event(session, "440000", 1, income_fen=9_000_00, expenditure_fen=1_000_00, balance_fen=30_000_00,
               insured=3000, retired=1000, average_wage_fen=120_000_00)
    _hub_event(session, "220000", 1, income_fen=1_000_00, expenditure_fen=2_000_00, balance_fen=8_000_00,
               insured=1200, retired=1000, average_wage_fen=80_000_00)
    _hub_event(session, "220000", 2, income_fen=1_000_00, expenditure_fen=2_000_00, balance_fen=10_000_00,
               insured=1200, retired=1000, average_wage_fen=80_000_00)  # the newer report counts
    supervisor = factories.staff_user(session, username="pool-sup", roles=("supervisor",), division="000000")
    session.commit()
    headers = factories.bearer(supervisor)
    shown = client.get("/api/v1/pooling/national", headers=headers).json()
    by = {p["province"]: p for p in shown["provinces"]}
    assert by["440000"]["capacity_months"] == "30.00"
    assert by["440000"]["warnings"] == []
    assert by["220000"]["capacity_months"] == "5.00"
    assert [(w["metric"], w["level"]) for w in by["220000"]["warnings"]] == [
        ("capacity_months", "severe"), ("dependency_ratio", "warning")]
    assert shown["national"]["balance"] == "40000.00"
    assert shown["national"]["dependency_ratio"] == "2.10"
    # 上解 = wage × 90 % × insured × 4 %; the fund is paid out by retirees.
    assert by["440000"]["adjustment"]["contribution"] == "12960000.00"
    assert by["220000"]["adjustment"]["contribution"] == "3456000.00"
    assert by["440000"]["adjustment"]["allocation"] == by["220000"]["adjustment"]["allocation"] == "8208000.00"
    page = client.get("/staff/pooling", headers=headers)
    assert page.status_code == 200
    assert "严重预警" in page.text
    assert 'id="capacity-chart"' in page.text
    assert "国发〔2018〕18号" in page.text
    book = client.get("/api/v1/pooling/national.xlsx", headers=headers)
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None
    assert [sheet.cell(r, 1).value for r in (2, 3)] == ["220000", "440000"]
    assert "严重预警" in str(sheet.cell(2, 14).value)
