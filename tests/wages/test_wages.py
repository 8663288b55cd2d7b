"""Wage payment monitoring: each warning rule raises its warning and a second scan raises nothing new; a pay
sheet below the (provincial) minimum wage is a red warning; an attendance file with a bad row is refused whole,
naming the row; a clue gets a tracking number and reaches its county's worklist and no other; the API's error
codes. The same tests run on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.core.auth import SYSTEM
from renshe.core.errors import DomainError
from renshe.core.tabular import ImportRejected
from renshe.insurance import parameters
from renshe.wages import clues, jobs, rules, schemas, service
from renshe.wages.models import WageAttendance, WageProject, WageWarning
from tests import factories
from tests.factories import bearer

COUNTY = "110105"
MONTH = "2026-09"
SCAN_DAY = date(2026, 11, 20)  # September's wages were due on 2026-10-10


def _project(session: Session, *, county: str = COUNTY, account: bool = True, deposit: bool = True,
             start: date = date(2026, 6, 1)) -> tuple[WageProject, str]:
    general = factories.credit_code(county)
    project = service.create_project(session, actor=SYSTEM, data=schemas.ProjectIn(
        name="测试安置房项目", division_code=county, contractor_credit_code=general, contractor_name="测试建工有限公司",
        start_date=start, pay_day=10))
    if account:
        service.open_account(session, actor=SYSTEM, project_id=project.public_id,
                             data=schemas.AccountIn(bank="测试银行", opened_on=start))
    if deposit:
        service.add_deposit(session, actor=SYSTEM, project_id=project.public_id,
                            data=schemas.DepositIn(amount_fen=1_000_000, paid_on=start))
    return project, general


def _workers(session: Session, project: WageProject, firm: str, n: int) -> list[str]:
    numbers = []
    for i in range(n):
        number = factories.resident_id(COUNTY, date(1975 + i, 3, 9))
        factories.person(session, name="工人" + "甲乙丙丁戊"[i], birth=date(1975 + i, 3, 9), id_number=number)
        service.register_worker(session, actor=SYSTEM, project_id=project.public_id, data=schemas.WorkerIn(
            id_number=number, firm_credit_code=firm, trade="钢筋工", entered_on=date(2026, 6, 1)))
        numbers.append(number)
    return numbers


def _attendance(session: Session, project: WageProject, tmp_path: Path, rows: list[tuple[str, str, str]],
                name: str = "attendance.csv") -> Any:
    path = tmp_path / name
    path.write_text("公民身份号码,月份,出勤天数\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows), encoding="utf-8")
    return service.import_attendance(session, actor=SYSTEM, project_id=project.public_id, path=path)


def _sheet(session: Session, project: WageProject, numbers: list[str], *, amount_fen: int = 600_000,
           paid_on: date = date(2026, 10, 9), via_account: bool = True) -> None:
    service.record_pay_sheet(session, actor=SYSTEM, project_id=project.public_id, data=schemas.PaySheetIn(
        month=MONTH, paid_on=paid_on, via_special_account=via_account,
        lines=[schemas.PayLineIn(id_number=n, amount_fen=amount_fen) for n in numbers]))


def _raised(session: Session, project: WageProject) -> dict[str, str]:
    rows = session.execute(select(WageWarning.rule, WageWarning.level).where(WageWarning.project_id == project.id))
    return {str(rule): str(level) for rule, level in rows}


def test_a_project_paid_in_full_on_time_raises_nothing_and_the_scan_is_idempotent(
        session: Session, tmp_path: Path) -> None:
    project, general = _project(session)
    numbers = _workers(session, project, general, 3)
    _attendance(session, project, tmp_path, [(n, MONTH, "22") for n in numbers])
    _sheet(session, project, numbers)
    assert jobs.scan_in(session, actor=SYSTEM, on=SCAN_DAY).raised == 0
    assert _raised(session, project) == {}


def test_each_rule_raises_its_warning_once(session: Session, tmp_path: Path) -> None:
    # (a) and (c): three attend in September, two are paid, late and not through the special account;
    # (b): 1500 yuan on average, below the national default of 2000; (d) no deposit paid.
    project, general = _project(session, deposit=False)
    numbers = _workers(session, project, general, 3)
    _attendance(session, project, tmp_path, [(n, MONTH, "20") for n in numbers])
    _sheet(session, project, numbers[:2], amount_fen=150_000, paid_on=date(2026, 10, 25), via_account=False)
    first = jobs.scan_in(session, actor=SYSTEM, on=SCAN_DAY)
    assert first.by_rule == {"late_pay": 1, "below_minimum": 1, "headcount_gap": 1, "no_account_or_deposit": 1}
    assert _raised(session, project) == {"late_pay": "red", "below_minimum": "red", "headcount_gap": "yellow",
                                         "no_account_or_deposit": "yellow"}
    details = {w.rule: w.detail for w in (service.warning_out(p) for p in service.warnings(session, actor=SYSTEM)[0])}
    assert details["headcount_gap"] == "2026年09月考勤3人，发放工资仅2人"
    assert "未缴纳工资保证金" in details["no_account_or_deposit"]
    assert "未开设工资专用账户" not in details["no_account_or_deposit"]
    # The second scan on the same data writes nothing new.
    count = session.scalar(select(func.count()).select_from(WageWarning))
    again = jobs.scan_in(session, actor=SYSTEM, on=SCAN_DAY)
    assert again.raised == 0
    assert session.scalar(select(func.count()).select_from(WageWarning)) == count


def test_a_month_with_attendance_and_no_pay_sheet_is_late_only_after_the_agreed_day(
        session: Session, tmp_path: Path) -> None:
    project, general = _project(session)
    numbers = _workers(session, project, general, 2)
    _attendance(session, project, tmp_path, [(n, "2026-10", "18") for n in numbers])
    assert jobs.scan_in(session, actor=SYSTEM, on=date(2026, 11, 10)).raised == 0  # due 2026-11-10: still in time
    assert jobs.scan_in(session, actor=SYSTEM, on=date(2026, 11, 11)).by_rule["late_pay"] == 1
    assert _raised(session, project) == {"late_pay": "red"}


def test_a_pay_sheet_below_the_provincial_minimum_wage_is_a_red_warning(session: Session, tmp_path: Path) -> None:
    # 2200 yuan is above the national default (2000) but below the province's own 2540 from 2026-01-01.
    admin = factories.staff_user(session, username="wage-param-admin", roles=("admin",), division="110000")
    parameters.load_defaults(session)
    parameters.set_value(session, actor=admin, province="110000", key="minimum_wage",
                         effective_from=date(2026, 1, 1), value="2540.00", source="测试：本省最低工资标准")
    project, general = _project(session)
    numbers = _workers(session, project, general, 2)
    _attendance(session, project, tmp_path, [(n, MONTH, "22") for n in numbers])
    _sheet(session, project, numbers, amount_fen=220_000)
    result = jobs.scan_in(session, actor=SYSTEM, on=SCAN_DAY)
    assert result.by_rule["below_minimum"] == 1
    warning = session.scalars(select(WageWarning).where(WageWarning.project_id == project.id)).one()
    assert (warning.rule, warning.level, warning.observed, warning.expected) == ("below_minimum", "red", 220_000,
                                                                                 254_000)
    assert "低于当地最低工资标准2540.00元" in schemas.warning_detail(warning)


def test_a_supervisor_closes_a_warning_with_an_outcome_within_the_jurisdiction(
        session: Session, tmp_path: Path) -> None:
    _project(session, account=False)
    jobs.scan_in(session, actor=SYSTEM, on=SCAN_DAY)
    here = factories.staff_user(session, username="wage-sup-here", roles=("supervisor",), division=COUNTY)
    other = factories.staff_user(session, username="wage-sup-other", roles=("supervisor",), division="110108")
    mine, _ = service.warnings(session, actor=here)
    assert [w.rule for w, _ in mine] == ["no_account_or_deposit"]
    assert service.warnings(session, actor=other)[0] == []
    with pytest.raises(DomainError) as hidden:
        service.close_warning(session, actor=other, public_id=mine[0][0].public_id, outcome="已责令整改")
    assert hidden.value.status == 404
    closed, _ = service.close_warning(session, actor=here, public_id=mine[0][0].public_id, outcome="已责令开设专用账户")
    assert (closed.state, closed.outcome, closed.closed_by) == ("closed", "已责令开设专用账户", "wage-sup-here")
    with pytest.raises(DomainError) as twice:
        service.close_warning(session, actor=here, public_id=closed.public_id, outcome="再次办结")
    assert twice.value.code == "renshe:wages/warning-closed"
    assert service.warnings(session, actor=here)[0] == []


def test_an_attendance_file_with_a_bad_row_is_refused_whole_naming_the_row(session: Session, tmp_path: Path) -> None:
    project, general = _project(session)
    numbers = _workers(session, project, general, 2)
    stranger = factories.resident_id(COUNTY, date(1990, 1, 1))
    factories.person(session, name="未登记", birth=date(1990, 1, 1), id_number=stranger)
    with pytest.raises(ImportRejected) as refused:
        _attendance(session, project, tmp_path, [(numbers[0], MONTH, "22"), (numbers[1], "2026-13", "22"),
                                                 (stranger, MONTH, "40")])
    found = {(e.field, e.code) for e in refused.value.errors}
    assert ("row 3.month", "renshe:wages/month") in found
    assert ("row 4.id_number", "renshe:wages/worker-unknown") in found
    assert ("row 4.days", "renshe:wages/days") in found
    assert session.scalar(select(func.count()).select_from(WageAttendance)) == 0  # nothing of the file applied
    report = _attendance(session, project, tmp_path, [(n, MONTH, "21") for n in numbers], name="good.csv")
    assert report.imported == 2


def test_a_clue_gets_a_tracking_number_and_reaches_its_county_only(session: Session, client: Any) -> None:
    project, _ = _project(session)
    here = factories.staff_user(session, username="wage-clue-here", roles=("supervisor",), division=COUNTY)
    other = factories.staff_user(session, username="wage-clue-other", roles=("supervisor",), division="110108")
    session.commit()
    made = client.post("/api/v1/wages/clues", json={
        "project": project.public_id, "project_name": project.name, "employer_name": "某劳务班组",
        "amount": "12000.50", "months": "2026年9月至10月", "phone": "13912345678"})
    assert made.status_code == 201, made.text
    number = made.json()["tracking_number"]
    assert number.startswith("QX")
    assert len(number) == 18
    assert made.json()["state"] == "received"
    assert date.fromisoformat(made.json()["deadline"]) > date.fromisoformat(made.json()["received_on"])
    mine = client.get("/api/v1/wages/clues", headers=bearer(here)).json()["items"]
    assert [(c["tracking_number"], c["amount"], c["phone_masked"]) for c in mine] == [
        (number, "12000.50", "139****5678")]
    assert client.get("/api/v1/wages/clues", headers=bearer(other)).json()["items"] == []
    refused = client.post(f"/api/v1/wages/clues/{number}/close", json={"outcome": "已核实"}, headers=bearer(other))
    assert refused.status_code == 404
    done = client.post(f"/api/v1/wages/clues/{number}/close", json={"outcome": "已督促支付"}, headers=bearer(here))
    assert done.status_code == 200, done.text
    public = client.get(f"/api/v1/wages/clues/{number}")
    assert public.status_code == 200
    assert (public.json()["state"], public.json()["outcome"]) == ("closed", "已督促支付")
    assert "139" not in public.text  # the public progress shows no personal data
    page = client.get(f"/wages/clues/track?number={number}")
    assert page.status_code == 200
    assert "已办结" in page.text


def test_a_clue_without_a_project_goes_to_the_county_chosen_on_the_form(session: Session) -> None:
    row = clues.report(session, actor=None, on=date(2026, 12, 3), data=schemas.ClueIn(
        project_name="城东工地", employer_name="张某", amount="3000", months="2026年11月", phone="13812345678",
        county="110108"))
    assert row.division_code == "110108"
    assert row.deadline == date(2026, 12, 10)  # 5 working days after Thursday 2026-12-03
    with pytest.raises(DomainError) as refused:
        clues.report(session, actor=None, on=date(2026, 12, 3), data=schemas.ClueIn(
            project_name="城东工地", employer_name="张某", amount="-1", months="2026年11月", phone="1381234567x"))
    assert {e.field for e in refused.value.errors} == {"county", "amount", "phone"}


def test_the_public_clue_page_takes_a_report_without_sign_in(session: Session, client: Any) -> None:
    project, _ = _project(session)
    session.commit()
    form = client.get(f"/wages/clues?project={project.public_id}")
    assert form.status_code == 200
    assert project.name in form.text
    posted = client.post("/wages/clues", data={
        "project": project.public_id, "project_name": project.name, "employer_name": "某劳务班组", "amount": "800",
        "months": "2026年10月", "phone": "13712345678", "county": ""})
    assert posted.status_code == 200, posted.text
    assert "查询编号" in posted.text
    bad = client.post("/wages/clues", data={"project": "", "project_name": "工地", "employer_name": "某人",
                                            "amount": "abc", "months": "10月", "phone": "13712345678"})
    assert bad.status_code == 422
    assert "拖欠金额" in bad.text


def test_api_error_codes(session: Session, client: Any, tmp_path: Path) -> None:
    clerk = factories.staff_user(session, username="wage-clerk", roles=("clerk",), division=COUNTY)
    supervisor = factories.staff_user(session, username="wage-sup", roles=("supervisor",), division=COUNTY)
    session.commit()
    body = {"name": "测试项目", "division_code": COUNTY, "contractor_credit_code": "91110105MA00000000",
            "contractor_name": "测试建工有限公司", "start_date": "2026-06-01", "pay_day": 10}
    bad_code = client.post("/api/v1/wages/projects", json=body, headers=bearer(clerk))
    assert bad_code.status_code == 422
    assert bad_code.json()["type"].endswith("renshe:credit-code/check-character")
    body["contractor_credit_code"] = factories.credit_code(COUNTY)
    other_county = client.post("/api/v1/wages/projects", json={**body, "division_code": "110108"},
                               headers=bearer(clerk))
    assert other_county.status_code == 403
    assert other_county.json()["type"].endswith("renshe:wages/permission")
    made = client.post("/api/v1/wages/projects", json=body, headers=bearer(clerk))
    assert made.status_code == 201, made.text
    public_id = made.json()["public_id"]
    assert made.json()["state_label"] == "在建"
    unknown = client.post(f"/api/v1/wages/projects/{public_id}/workers", headers=bearer(clerk), json={
        "id_number": factories.resident_id(COUNTY, date(1991, 2, 2)),
        "firm_credit_code": body["contractor_credit_code"], "trade": "木工", "entered_on": "2026-06-02"})
    assert unknown.status_code == 422
    assert unknown.json()["type"].endswith("renshe:wages/person-unknown")
    number = factories.resident_id(COUNTY, date(1992, 2, 2))
    factories.person(session, name="李木工", birth=date(1992, 2, 2), id_number=number)
    session.commit()
    worker = {"id_number": number, "firm_credit_code": body["contractor_credit_code"], "trade": "木工",
              "entered_on": "2026-06-02"}
    registered = client.post(f"/api/v1/wages/projects/{public_id}/workers", json=worker, headers=bearer(clerk))
    assert registered.status_code == 201, registered.text
    assert (registered.json()["name"], registered.json()["firm_name"]) == ("李木工", "测试建工有限公司")
    firm = client.post(f"/api/v1/wages/projects/{public_id}/firms", headers=bearer(clerk),
                       json={"credit_code": factories.credit_code(COUNTY), "name": "测试劳务分包有限公司"})
    assert firm.status_code == 201, firm.text
    assert firm.json()["role_label"] == "分包单位"
    duplicate = client.post(f"/api/v1/wages/projects/{public_id}/workers", json=worker, headers=bearer(clerk))
    assert duplicate.status_code == 409
    assert duplicate.json()["type"].endswith("renshe:wages/worker-duplicate")
    path = tmp_path / "att.csv"
    path.write_text(f"公民身份号码,月份,出勤天数\n{number},2026-09,x\n", encoding="utf-8")
    with path.open("rb") as handle:
        rejected = client.post(f"/api/v1/wages/projects/{public_id}/attendance", headers=bearer(clerk),
                               files={"file": ("att.csv", handle, "text/csv")})
    assert rejected.status_code == 422
    assert rejected.json()["type"].endswith("renshe:import/rejected")
    assert rejected.json()["errors"][0]["field"] == "row 2.days"
    sheet = {"month": "2026-09", "paid_on": "2026-10-09", "via_special_account": True,
             "lines": [{"id_number": number, "amount_fen": 500000}]}
    assert client.post(f"/api/v1/wages/projects/{public_id}/pay-sheets", json=sheet,
                       headers=bearer(clerk)).status_code == 201
    again = client.post(f"/api/v1/wages/projects/{public_id}/pay-sheets", json=sheet, headers=bearer(clerk))
    assert again.status_code == 409
    assert again.json()["type"].endswith("renshe:wages/sheet-duplicate")
    assert client.post("/api/v1/wages/scans?on=2026-11-20", headers=bearer(clerk)).status_code == 403
    scanned = client.post("/api/v1/wages/scans?on=2026-11-20", headers=bearer(supervisor))
    assert scanned.status_code == 200, scanned.text
    assert scanned.json()["by_rule"]["no_account_or_deposit"] == 1
    listed = client.get("/api/v1/wages/warnings?limit=1", headers=bearer(supervisor)).json()
    assert listed["items"][0]["level_label"] == "黄色预警"
    assert client.get("/api/v1/wages/warnings?cursor=%%%", headers=bearer(supervisor)).status_code == 422
    missing = client.get("/api/v1/wages/clues/QX000", headers={})
    assert missing.status_code == 404
    assert missing.json()["type"].endswith("renshe:wages/clue-not-found")
    assert client.get("/api/v1/wages/projects/nope", headers=bearer(clerk)).json()["type"].endswith(
        "renshe:wages/project-not-found")


def test_the_staff_pages_and_the_notice_board(session: Session, client: Any, tmp_path: Path) -> None:
    project, _ = _project(session, deposit=False)
    jobs.scan_in(session, actor=SYSTEM, on=SCAN_DAY)
    supervisor = factories.staff_user(session, username="wage-page-sup", roles=("supervisor",), division=COUNTY)
    session.commit()
    page = client.get("/staff/wages", headers=bearer(supervisor))
    assert page.status_code == 200
    assert "黄色预警" in page.text
    assert "未缴纳工资保证金" in page.text
    detail = client.get(f"/staff/wages/projects/{project.public_id}", headers=bearer(supervisor))
    assert detail.status_code == 200
    assert "施工总承包单位" in detail.text
    board = client.get(f"/staff/wages/projects/{project.public_id}/notice-board", headers=bearer(supervisor))
    assert board.status_code == 200
    assert "data:image/svg+xml;base64," in board.text
    assert f"/wages/clues?project={project.public_id}" in board.text
    assert "2000.00 元/月" in board.text


def test_the_rule_file_is_checked() -> None:
    with pytest.raises(ValueError, match="no scan"):
        rules.parse({"clue_deadline_workdays": 5, "rules": [{"code": "nope", "name": "x", "level": "red"}]})
    with pytest.raises(ValueError, match="red or yellow"):
        rules.parse({"clue_deadline_workdays": 5, "rules": [{"code": "late_pay", "name": "x", "level": "blue"}]})
    assert rules.due_date(date(2026, 12, 1), 10) == date(2027, 1, 10)
    assert rules.parse_yuan("12.5") == 1250
    assert rules.parse_yuan("1.234") is None


def test_the_cli_scan_prints_how_many_warnings_were_raised(session: Session) -> None:
    import json

    from typer.testing import CliRunner

    from renshe.cli import app

    _project(session, account=False, deposit=False)
    session.flush()
    runner = CliRunner()
    first = runner.invoke(app, ["wages", "scan", "--date", "2026-11-20"])
    assert first.exit_code == 0, first.output
    assert "新增预警1条" in first.output
    again = runner.invoke(app, ["wages", "scan", "--date", "2026-11-20", "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["raised"] == 0
    bad = runner.invoke(app, ["wages", "scan", "--date", "20.11.2026"])
    assert bad.exit_code == 1


def test_numbers_in_text_are_ascii_digits_only() -> None:
    assert rules.parse_month("2026-09") == date(2026, 9, 1)
    assert rules.parse_month("2026-²9") is None
    assert rules.parse_month("0000-09") is None
    assert rules.parse_yuan("1,200.5") == 120050
    assert rules.parse_yuan("²") is None


def test_attendance_is_imported_from_a_workbook_too(session: Session, tmp_path: Path) -> None:
    from openpyxl import Workbook

    project, general = _project(session)
    numbers = _workers(session, project, general, 2)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["公民身份号码", "月份", "出勤天数"])
    for number in numbers:
        sheet.append([number, MONTH, 21])
    path = tmp_path / "attendance.xlsx"
    book.save(path)
    report = service.import_attendance(session, actor=SYSTEM, project_id=project.public_id, path=path)
    assert (report.rows_read, report.imported) == (2, 2)
    assert service.attendance_months(session, project=project) == [(date(2026, 9, 1), 2, 42)]
