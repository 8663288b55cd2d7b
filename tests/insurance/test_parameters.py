"""Parameters as dated data: national defaults with sources, provincial values by date of effect, audited
changes that never rewrite an assessed period, the staff page, XLSX export and import (whole or nothing)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.core.auth import SYSTEM
from renshe.core.errors import Conflict, Forbidden, ValidationFailed
from renshe.core.models import AuditEntry
from renshe.insurance import parameters
from renshe.insurance.models import NATIONAL, Assessment, InsuranceParameter
from tests import factories

BEIJING = "110000"


def test_defaults_load_once_with_sources_and_the_interest_series(session: Session) -> None:
    added = parameters.load_defaults(session)
    assert added >= 20
    assert parameters.load_defaults(session) == 0
    rate = parameters.lookup(session, province=BEIJING, key="interest_rate", on=date(2023, 6, 30))
    assert rate.decimal == Decimal("0.0397")
    assert rate.province == NATIONAL
    assert "记账利率" in rate.source
    assert parameters.lookup(session, province=BEIJING, key="interest_rate", on=date(2016, 1, 1)).value == "0.0831"
    assert parameters.lookup(session, province=BEIJING, key="rate.110.employer", on=date(2024, 1, 1)).value == "0.16"
    divisors = parameters.lookup(session, province=BEIJING, key="divisor_table", on=date(2025, 1, 1))
    assert divisors.value["60"] == "139"
    assert divisors.value["50"] == "195"
    schedule = parameters.lookup(session, province=BEIJING, key="minimum_months_schedule", on=date(2025, 1, 1))
    assert schedule.value["2030"] == 186
    assert schedule.value["2039"] == 240
    with pytest.raises(Conflict) as missing:
        parameters.lookup(session, province=BEIJING, key="average_wage", on=date(2024, 1, 1))
    assert missing.value.code == "renshe:insurance/parameter-missing"


def test_province_values_apply_by_date_of_effect_and_changes_are_audited(session: Session) -> None:
    parameters.load_defaults(session)
    parameters.set_value(session, actor=SYSTEM, province=BEIJING, key="average_wage",
                         effective_from=date(2023, 7, 1), value="10000", source="演示：2022年度")
    parameters.set_value(session, actor=SYSTEM, province=BEIJING, key="average_wage",
                         effective_from=date(2024, 7, 1), value="11000.50", source="演示：2023年度")
    assert parameters.lookup(session, province=BEIJING, key="average_wage", on=date(2024, 6, 30)).value == "10000"
    assert parameters.lookup(session, province=BEIJING, key="average_wage", on=date(2024, 7, 1)).value == "11000.50"
    assert parameters.find(session, province="310000", key="average_wage", on=date(2024, 7, 1)) is None
    parameters.set_value(session, actor=SYSTEM, province=BEIJING, key="rate.410.employer",
                         effective_from=date(2024, 1, 1), value="0.004", source="演示：行业类别二类")
    assert parameters.lookup(session, province=BEIJING, key="rate.410.employer", on=date(2024, 2, 1)).value == "0.004"
    assert parameters.lookup(session, province="310000", key="rate.410.employer", on=date(2024, 2, 1)).value == "0.002"
    audits = session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "insurance.parameter.set"))
    assert audits == 3


@pytest.mark.parametrize(("key", "value", "code"), [
    ("rate.410.employer", "0.05", "renshe:insurance/parameter-range"),
    ("rate.110.individual", "abc", "renshe:insurance/parameter-number"),
    ("average_wage", "100.123", "renshe:insurance/parameter-money"),
    ("no-such-key", "1", "renshe:insurance/parameter-unknown"),
])
def test_values_outside_the_national_rules_are_refused(session: Session, key: str, value: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parameters.set_value(session, actor=SYSTEM, province=BEIJING, key=key, effective_from=date(2024, 1, 1),
                             value=value, source="测试")
    assert refused.value.errors[0].code == code


def test_a_change_never_reaches_back_into_an_assessed_period(session: Session) -> None:
    parameters.load_defaults(session)
    session.add(Assessment(owner=f"flex:{BEIJING}:1", unit_id=None, month=date(2024, 5, 1), basis=0, rows=0,
                           parameters={}, assessed_by="test"))
    session.flush()
    with pytest.raises(Conflict) as frozen:
        parameters.set_value(session, actor=SYSTEM, province=BEIJING, key="rate.110.employer",
                             effective_from=date(2024, 5, 31), value="0.15", source="测试")
    assert frozen.value.code == "renshe:insurance/parameter-frozen"
    parameters.set_value(session, actor=SYSTEM, province=BEIJING, key="rate.110.employer",
                         effective_from=date(2024, 6, 1), value="0.15", source="测试")


def test_only_an_admin_of_the_province_sets_values(session: Session) -> None:
    clerk = factories.staff_user(session, username="ins-clerk", roles=("clerk",), division="110105")
    admin_sh = factories.staff_user(session, username="ins-admin-sh", roles=("admin",), division="310000")
    for actor in (clerk, admin_sh):
        with pytest.raises(Forbidden):
            parameters.set_value(session, actor=actor, province=BEIJING, key="rate.410.employer",
                                 effective_from=date(2024, 1, 1), value="0.003", source="测试")


def _workbook(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(parameters.HEADERS))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_import_is_whole_or_nothing_and_export_round_trips(session: Session) -> None:
    parameters.load_defaults(session)
    before = session.scalar(select(func.count()).select_from(InsuranceParameter))
    bad = _workbook([[BEIJING, "average_wage", "2024-07-01", "11000", "演示"],
                     [BEIJING, "rate.410.employer", "2024-07-01", "0.5", "演示"],
                     [BEIJING, "average_wage", "2024-13-01", "11000", "演示"]])
    with pytest.raises(ValidationFailed) as refused:
        parameters.import_xlsx(session, actor=SYSTEM, data=bad)
    fields = [e.field for e in refused.value.errors]
    assert fields == ["row 3.value", "row 4.effective_from"]
    assert "第3行" in refused.value.errors[0].message
    assert session.scalar(select(func.count()).select_from(InsuranceParameter)) == before
    good = _workbook([[BEIJING, "average_wage", "2024-07-01", "11000", "演示"],
                      [BEIJING, "divisor_table", "2026-01-01", '{"60": "139", "61": "132"}', "演示"]])
    assert parameters.import_xlsx(session, actor=SYSTEM, data=good) == 2
    exported = parameters.export_xlsx(session, province=BEIJING)
    sheet = load_workbook(io.BytesIO(exported), read_only=True).worksheets[0]
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0][:5] == parameters.HEADERS
    assert (BEIJING, "average_wage", "2024-07-01", "11000") in {tuple(r[:4]) for r in lines[1:]}
    # The same file again changes nothing (rows already present are skipped).
    assert parameters.import_xlsx(session, actor=SYSTEM, data=exported) == 0


def test_staff_page_shows_history_and_an_admin_sets_a_value(client: TestClient, session: Session) -> None:
    admin = factories.staff_user(session, username="ins-admin", roles=("admin",), division="110000")
    clerk = factories.staff_user(session, username="ins-clerk2", roles=("clerk",), division="110105")
    session.commit()
    page = client.get("/staff/insurance/parameters", headers=factories.bearer(admin))
    assert page.status_code == 200
    assert "个人账户记账利率" in page.text
    assert "0.0831" in page.text
    assert "设置新值" in page.text
    assert "设置新值" not in client.get("/staff/insurance/parameters", headers=factories.bearer(clerk)).text
    bad = client.post("/staff/insurance/parameters", headers=factories.bearer(admin), data={
        "province": BEIJING, "key": "rate.410.employer", "effective_from": "2025-01-01", "value": "0.5",
        "source": "测试"})
    assert bad.status_code == 422
    assert "国家规定范围" in bad.text
    done = client.post("/staff/insurance/parameters", headers=factories.bearer(admin), follow_redirects=False, data={
        "province": BEIJING, "key": "rate.410.employer", "effective_from": "2025-01-01", "value": "0.004",
        "source": "测试文件"})
    assert done.status_code == 303
    denied = client.post("/staff/insurance/parameters", headers=factories.bearer(clerk), data={
        "province": BEIJING, "key": "rate.410.employer", "effective_from": "2025-02-01", "value": "0.004",
        "source": "测试文件"})
    assert denied.status_code == 403
    export = client.get(f"/staff/insurance/parameters.xlsx?province={BEIJING}", headers=factories.bearer(admin))
    assert export.status_code == 200
    assert export.content[:2] == b"PK"
    upload = client.post("/staff/insurance/parameters/import", headers=factories.bearer(admin),
                         data={"province": BEIJING},
                         files={"file": ("p.xlsx", _workbook([[BEIJING, "rate.410.employer", "2025-03-01", "9",
                                                               "测试"]]), "application/octet-stream")})
    assert upload.status_code == 422
    assert "第2行" in upload.text
