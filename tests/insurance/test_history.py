"""Historical data import (历史数据入库) and deemed contribution years (视同缴费年限): a workbook refused whole
with every bad row named (and when a total differs from its control total), conflicts with the ledger listed
and not posted, the reconciliation report as a page and XLSX, the same file posting once; deemed months on
the citizen's record and in the pension estimate (transitional pension)."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.insurance import enrolment
from renshe.insurance.models import AccountEntry, DeemedPeriod, HistoryImport, HistoryMonth
from renshe.registry import service as registry
from tests import factories
from tests.insurance import kit
from tests.insurance.test_accounts import _paid_year

HEADERS = {"缴费记录": ["身份证号码", "姓名", "费款所属期", "缴费基数", "个人缴费", "单位缴费", "单位名称"],
           "账户余额": ["身份证号码", "姓名", "截至日期", "个人账户储存额"],
           "视同缴费": ["身份证号码", "姓名", "起始年月", "终止年月", "认定依据"],
           "控制合计": ["项目", "数值"]}


def workbook(sheets: dict[str, list[list[Any]]]) -> bytes:
    book = Workbook()
    assert book.active is not None
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        sheet.append(HEADERS[name])
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(client: TestClient, headers: dict[str, str], data: bytes, name: str = "history.xlsx") -> Any:
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return client.post("/api/v1/insurance/history-imports", headers=headers, files={"file": (name, data, kind)})


def test_history_import_report_idempotence_and_deemed_years(client: TestClient, session: Session) -> None:
    staffed = _paid_year(session, people=1, months=(1, 2))  # 2023-01 and 2023-02 already in the ledger
    employee_id = staffed.id_numbers[0]
    employee = registry.person_by_pk(session, enrolment.relations_of_unit(session, unit=staffed.unit)[0].person_id)
    assert employee is not None
    old_id = factories.resident_id("110105", date(1966, 5, 5), male=True)
    old = factories.person(session, id_number=old_id, name="钱老工")
    clerk = factories.staff_user(session, username="history-clerk", roles=("clerk",), division="110000")
    session.commit()
    staff = factories.bearer(clerk)

    months = [[old_id, "钱老工", f"{y}-{m:02d}", "9000", "720", "1440", "原国营第一机床厂"]
              for y in (2020, 2021) for m in range(1, 13)]
    good = {
        "缴费记录": [*months, [employee_id, employee.name, "2023-01", "8000", "640", "1280", "旧系统单位"]],
        "账户余额": [[old_id, "钱老工", "2021-12-31", "123456.78"], [employee_id, employee.name, "2022-12-31", "1000"]],
        "视同缴费": [[old_id, "钱老工", "1985-07", "1997-12", "浙劳险〔1999〕12号（视同缴费年限审批表）"]],
        "控制合计": [["人数", 2], ["缴费月数", 25], ["缴费基数合计", str(24 * 9000 + 8000)],
                     ["个人缴费合计", str(24 * 720 + 640)], ["单位缴费合计", str(24 * 1440 + 1280)],
                     ["账户余额合计", "124456.78"], ["视同缴费月数", 150]],
    }
    bad = {
        "缴费记录": [*months[:2], [old_id, "钱老工", "2020-01", "9000", "720", "1440", ""],
                     ["110105196605050000", "某人", "2020-03", "-1", "0", "0", ""]],
        "视同缴费": [[old_id, "钱老工", "1990-01", "1998-06", "某文号"]],
        "控制合计": [["人数", 1], ["缴费月数", 3], ["缴费基数合计", "27000"], ["个人缴费合计", "2160"],
                     ["单位缴费合计", "4320"], ["视同缴费月数", 102]],
    }
    refused = _upload(client, staff, workbook(bad))
    assert refused.status_code == 422, refused.text
    fields = {e["field"] for e in refused.json()["errors"]}
    assert {"row 4.缴费记录.id_number", "row 5.缴费记录.id_number", "row 2.视同缴费.end"} <= fields
    messages = " ".join(e["message"] for e in refused.json()["errors"])
    assert "与第2行重复" in messages
    assert "个人账户制度建立（1998年01月）以前" in messages
    assert session.scalar(select(func.count()).select_from(HistoryImport)) == 0
    assert session.scalar(select(func.count()).select_from(HistoryMonth)) == 0

    mismatch = dict(good, 控制合计=[["人数", 2], ["缴费月数", 26], *good["控制合计"][2:]])
    wrong = _upload(client, staff, workbook(mismatch))
    assert wrong.status_code == 422
    assert [e["code"] for e in wrong.json()["errors"]] == ["renshe:insurance/control-total"]
    assert "“缴费月数”为26，文件中实际为25" in wrong.json()["errors"][0]["message"]

    data = workbook(good)
    first = _upload(client, staff, data)
    assert first.status_code == 201, first.text
    report = first.json()
    assert (report["persons"], report["months"], report["balances"], report["deemed_months"]) == (2, 24, 2, 150)
    assert report["conflicts_total"] == 1
    assert report["conflicts"][0]["what"] == "2023-01"
    assert report["conflicts"][0]["reason"] == "本系统已有该月的缴费记录，以本系统记录为准"
    months_total = next(t for t in report["totals"] if t["item"] == "缴费月数")
    assert (months_total["file"], months_total["control"], months_total["posted"]) == ("25", "25", "24")
    again = _upload(client, staff, data, name="same-file-renamed.xlsx")
    assert again.status_code == 200
    assert not again.json()["created"]
    assert again.json()["public_id"] == report["public_id"]
    assert session.scalar(select(func.count()).select_from(HistoryMonth)) == 24
    assert session.scalar(select(func.count()).select_from(DeemedPeriod)) == 1
    assert session.scalar(select(func.count()).select_from(AccountEntry).where(AccountEntry.kind == "opening")) == 2

    page = client.get(f"/staff/insurance/history/{report['public_id']}", headers=staff)
    assert page.status_code == 200
    assert "本系统已有该月的缴费记录" in page.text
    listing = client.get("/staff/insurance/history", headers=staff)
    assert report["public_id"] in listing.text
    sheet = client.get(f"/staff/insurance/history/{report['public_id']}/report.xlsx", headers=staff)
    book = load_workbook(io.BytesIO(sheet.content))
    assert [c.value for c in book["冲突明细"][2]][4:] == ["2023-01", "本系统已有该月的缴费记录，以本系统记录为准"]
    assert ["缴费月数", "25", "25", "24"] in [[c.value for c in row][:4] for row in book["对账汇总"].iter_rows()]

    # The citizen's record: history months counted, the opening balance, the deemed period shown.
    citizen = factories.bearer(kit.citizen_of(old.public_id, old.name))
    record = client.get("/api/v1/insurance/me/record", headers=citizen).json()
    assert (record["months"], record["deemed_months"], record["total_months"]) == (24, 150, 174)
    assert record["balance"] == "123456.78"
    assert {line["source"] for line in record["lines"]} == {"history"}
    shown = client.get("/citizen/insurance", headers=citizen)
    assert "浙劳险〔1999〕12号" in shown.text
    assert "174个月（14年6个月，含视同缴费）" in shown.text
    # The estimate takes the deemed months from the ledger: a transitional pension.
    estimate = client.get("/api/v1/pension/me/estimate", headers=citizen)
    assert estimate.status_code == 200, estimate.text
    assert (estimate.json()["months"], estimate.json()["deemed_months"]) == (174, 150)
    assert estimate.json()["transitional"] != "0.00"
    assert any(step["name"] == "ledger_deemed" for step in estimate.json()["trace"])
    # The employee's old balance (dated before their first ledger entry) is taken as the opening.
    mine = client.get("/api/v1/insurance/me/record",
                      headers=factories.bearer(kit.citizen_of(employee.public_id, employee.name))).json()
    assert mine["balance"] == "2280.00"  # 1000.00 opening + 2 × 640.00
    assert mine["months"] == 2
