"""The call log: staff search (with paging and the subject's ID number), export, retention, the dashboard."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.core import crypto
from renshe.core.auth import SYSTEM
from renshe.core.models import AuditEntry
from renshe.registry import service as registry
from renshe.sharing import service
from renshe.sharing.models import CallLogEntry
from tests import factories
from tests.sharing.test_gateway import _consumer, _token


def _calls(client: TestClient, session: Session) -> tuple[str, str, str]:
    """Three verifications and a refused query by one consumer; returns (client_id, number, other number)."""
    person = factories.person(session, county="110105", name="冯六")
    number = crypto.cipher().decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE)
    other = factories.resident_id("110108")
    client_id, secret = _consumer(session, "identity-verification")
    headers = _token(client, client_id, secret)
    for name, ident in (("冯六", number), ("冯七", number), ("冯六", other)):
        assert client.post("/share/v1/verify/identity", headers=headers,
                           json={"name": name, "id_number": ident}).status_code == 200
    assert client.post("/share/v1/query/person-basic", headers=headers,
                       json={"id_number": number}).status_code == 403
    return client_id, number, other


def test_search_by_consumer_outcome_subject_and_day_with_paging(client: TestClient, session: Session) -> None:
    client_id, number, other = _calls(client, session)
    admin = factories.bearer(factories.staff_user(session, username="log-admin", roles=("admin",), division="110000"))
    session.commit()

    def search(**params: str | int) -> dict:  # type: ignore[type-arg]
        response = client.get("/api/v1/sharing/calls", headers=admin, params={"consumer": client_id, **params})
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    assert [c["result"] for c in search()["items"]] == ["renshe:sharing/no-grant", "not_found", "mismatch", "match"]
    assert [c["result"] for c in search(outcome="error")["items"]] == ["renshe:sharing/no-grant"]
    about = search(subject=number)["items"]
    assert [c["result"] for c in about] == ["renshe:sharing/no-grant", "mismatch", "match"]
    assert all(c["subject"] == number[:6] + "********" + number[-4:] for c in about)
    assert [c["result"] for c in search(subject=other)["items"]] == ["not_found"]
    assert all(isinstance(c["duration_ms"], int) for c in about)
    today = datetime.now(service.SHANGHAI).date()
    assert len(search(since=today.isoformat(), until=today.isoformat())["items"]) == 4
    assert search(until=(today - timedelta(days=1)).isoformat())["items"] == []
    first = search(limit=3)
    assert len(first["items"]) == 3
    assert first["next_cursor"]
    rest = search(limit=3, cursor=first["next_cursor"])
    assert [c["result"] for c in rest["items"]] == ["match"]
    assert rest["next_cursor"] is None

    bad = client.get("/api/v1/sharing/calls", headers=admin, params={"subject": "110105194912310021",
                                                                       "outcome": "maybe"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"subject", "outcome"}
    clerk = factories.bearer(factories.staff_user(session, username="log-clerk", roles=("clerk",)))
    session.commit()
    assert client.get("/api/v1/sharing/calls", headers=clerk).status_code == 403


def test_export_streams_the_matching_calls_as_csv_and_xlsx(client: TestClient, session: Session) -> None:
    client_id, number, _other = _calls(client, session)
    admin = factories.bearer(factories.staff_user(session, username="exp-admin", roles=("admin",), division="110000"))
    session.commit()
    response = client.get("/api/v1/sharing/calls/export", headers=admin,
                          params={"consumer": client_id, "outcome": "ok", "format": "csv"})
    assert response.status_code == 200
    assert response.headers["x-row-count"] == "3"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["请求时间", "响应时间", "耗时(毫秒)", "调用方", "资源"]
    assert [r[7] for r in rows[1:]] == ["match", "mismatch", "not_found"]  # oldest first
    assert number not in response.text  # masked subjects only
    book = client.get("/api/v1/sharing/calls/export", headers=admin, params={"consumer": client_id, "format": "xlsx"})
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None
    assert sheet.max_row == 5
    wrong = client.get("/api/v1/sharing/calls/export", headers=admin, params={"format": "pdf"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["code"] == "renshe:sharing/format"


def test_retention_purges_old_calls_and_audits(session: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from renshe.core import settings

    now = datetime.now(UTC)
    for age in (1, 179, 181, 400):
        service.log_call(session, consumer="c-retention", resource="identity-verification", purpose="p",
                         subject=None, result="match", status=200, requested_at=now - timedelta(days=age),
                         request_bytes=1, response_bytes=1)
    assert service.purge_calls(session, actor=SYSTEM, now=now) == 2
    left = session.scalars(select(CallLogEntry.requested_at).where(CallLogEntry.consumer == "c-retention")).all()
    assert sorted((now - t).days for t in left) == [1, 179]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "sharing.purge_calls")
                            .order_by(AuditEntry.id.desc())).first()
    assert entry is not None
    monkeypatch.setenv("RENSHE_CALL_LOG_RETENTION_DAYS", "30")
    settings.get_settings.cache_clear()
    try:
        assert service.purge_calls(session, actor=SYSTEM, now=now) == 1
    finally:
        monkeypatch.delenv("RENSHE_CALL_LOG_RETENTION_DAYS")
        settings.get_settings.cache_clear()
    assert service.purge_calls(session, actor=SYSTEM, now=now) == 0


def test_stats_and_dashboard_chart_volume_errors_and_latency(client: TestClient, session: Session) -> None:
    client_id, _number, _other = _calls(client, session)
    stats = {s.consumer: s for s in service.call_stats(session, actor=SYSTEM, days=7)}[client_id]
    assert (stats.calls, stats.errors) == (4, 1)
    assert stats.per_day[-1][1:] == (3, 1)
    assert sum(ok + failed for _day, ok, failed in stats.per_day) == 4
    assert stats.p95_ms <= stats.max_ms
    factories.staff_user(session, username="dash-admin", roles=("admin",), division="110000", password="pw-pw-pw")
    session.commit()
    client.post("/staff/login", data={"username": "dash-admin", "password": "pw-pw-pw"})
    page = client.get("/staff/sharing/dashboard?days=7")
    assert page.status_code == 200
    assert page.text.count("<svg") >= 3
    assert "某市市场监管局 每日调用量" in page.text
    assert "25.0%" in page.text  # the error rate
    calls = client.get(f"/staff/sharing/calls?consumer={client_id}&outcome=error")
    assert "renshe:sharing/no-grant" in calls.text
    assert ">match<" not in calls.text
    bad = client.get("/staff/sharing/calls?since=2026-13-01")
    assert "开始日期须为 YYYY-MM-DD 格式" in bad.text
    assert session.scalar(select(func.count()).select_from(CallLogEntry)) >= 4


def test_local_resources_are_added_and_edited_as_versions(client: TestClient, session: Session) -> None:
    admin = factories.staff_user(session, username="res-admin", roles=("admin",), division="110000",
                                 password="pw-pw-pw")
    session.commit()
    headers = factories.bearer(admin)
    body = {"code": "330000-RS-0101", "short_name": "local-subsidy", "name": "人才补贴发放信息",
            "provider": "某省人力资源和社会保障厅", "provider_code": factories.credit_code("330100"),
            "summary": "人才补贴发放结果", "items": [{"name": "补贴金额", "type": "number", "length": 12}],
            "sharing_type": "conditional", "condition": "依法履职需要"}
    made = client.post("/api/v1/sharing/resources", headers=headers, json=body)
    assert made.status_code == 201, made.text
    assert made.json()["version"] == 1
    edited = client.put("/api/v1/sharing/resources/local-subsidy", headers={**headers, "If-Match": '"1"'},
                        json={**body, "name": "人才补贴发放与复核信息"})
    assert edited.status_code == 200
    assert edited.json()["version"] == 2
    stale = client.put("/api/v1/sharing/resources/local-subsidy", headers={**headers, "If-Match": '"1"'},
                       json={**body, "name": "又一次修改"})
    assert stale.status_code == 409
    assert stale.json()["type"] == "renshe:sharing/stale-version"
    versions = client.get("/api/v1/sharing/resources/local-subsidy/versions", headers=headers).json()
    assert [(v["version"], v["snapshot"]["name"]) for v in versions] == [(1, "人才补贴发放信息")]
    national = client.put("/api/v1/sharing/resources/identity-verification", headers=headers, json={
        **body, "short_name": "identity-verification"})
    assert national.status_code == 409
    assert national.json()["type"] == "renshe:sharing/national-resource"

    client.post("/staff/login", data={"username": "res-admin", "password": "pw-pw-pw"})
    bad = client.post("/staff/sharing/resources/new", data={
        "code": "330000-RS-0102", "short_name": "Bad Name", "name": "x", "provider": "p",
        "provider_code": "123", "items": "金额:money:12", "sharing_type": "conditional", "condition": ""})
    assert bad.status_code == 422
    assert "信息项第1行应为 名称:类型:长度" in bad.text
    bad = client.post("/staff/sharing/resources/new", data={
        "code": "330000-RS-0102", "short_name": "Bad Name", "name": "x", "provider": "p",
        "provider_code": "123", "items": "金额:number:12", "sharing_type": "conditional", "condition": ""})
    assert "简称须为3至64位小写字母" in bad.text
    assert "有条件共享须写明共享条件" in bad.text
    page = client.post("/staff/sharing/resources/local-subsidy", data={
        "version": "2", "name": "人才补贴信息（第三版）", "provider": body["provider"],
        "provider_code": body["provider_code"], "summary": "s", "items": "补贴金额:number:12\n发放日期:date:10",
        "sharing_type": "unconditional", "condition": "", "method": "接口", "update_cycle": "每日"},
        follow_redirects=True)
    assert page.status_code == 200
    assert "已保存，当前为第3版" in page.text
    assert "第2版" in page.text
    assert "第1版" in page.text
    catalog = client.get("/staff/sharing")
    assert "人才补贴信息（第三版）" in catalog.text
    assert "第3版" in catalog.text
