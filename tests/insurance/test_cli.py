"""`renshe insurance …` ledger commands: parameters, assessment, receipts, interest."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from renshe.cli import app
from renshe.insurance import contributions, enrolment
from renshe.insurance.models import AccountEntry, InsuranceParameter
from tests.insurance import kit
from tests.insurance.test_contributions import xlsx


def test_ledger_commands(session: Session, tmp_path: Path) -> None:
    runner = CliRunner()
    loaded = runner.invoke(app, ["insurance", "load-parameters"])
    assert loaded.exit_code == 0, loaded.output
    assert session.scalar(select(func.count()).select_from(InsuranceParameter)) > 20
    exported = tmp_path / "p.xlsx"
    assert runner.invoke(app, ["insurance", "export-parameters", str(exported)]).exit_code == 0
    assert exported.read_bytes()[:2] == b"PK"
    again = runner.invoke(app, ["insurance", "import-parameters", str(exported)])
    assert again.exit_code == 0, again.output
    assert "已导入0个参数值" in again.output

    kit.average_wage(session)
    staffed = kit.employer_with_staff(session, people=1, hired=date(2023, 1, 1))
    enrolment.enrol_employee(session, actor=staffed.agent, unit=staffed.unit, id_number=staffed.id_numbers[0],
                             start_date=date(2023, 1, 1))
    data = xlsx(["身份证号码", "月缴费工资"], [[staffed.id_numbers[0], 8000]])
    contributions.declare(session, actor=staffed.agent, unit=staffed.unit, year=2023,
                          rows=contributions.read_declaration_xlsx(data), key="k1")
    assessed = runner.invoke(app, ["insurance", "assess", "--credit-code", staffed.credit_code, "--month", "2023-01",
                                   "--json"])
    assert assessed.exit_code == 0, assessed.output
    assert json.loads(assessed.output)["rows"] == 2
    missing = runner.invoke(app, ["insurance", "assess", "--credit-code", staffed.credit_code, "--month", "2023-01",
                                  "--type", "410"])
    assert missing.exit_code == 1
    receipts = tmp_path / "r.xlsx"
    receipts.write_bytes(xlsx(["票据号", "缴费人识别号", "险种", "费款所属期", "金额", "入库日期"],
                              [["C1", staffed.credit_code, "110", "2023-01", "1920.00", "2023-02-10"],
                               ["C2", staffed.credit_code, "110", "2023-07", "5.00", "2023-08-10"]]))
    imported = runner.invoke(app, ["insurance", "receipts", str(receipts)])
    assert imported.exit_code == 0, imported.output
    assert "未匹配1条" in imported.output
    assert "C2" in imported.output
    from renshe.insurance import accounts

    accounts.post_month(session, actor=kit.system(), unit=staffed.unit, month=date(2023, 1, 1), on=date(2023, 12, 31))
    credited = runner.invoke(app, ["insurance", "interest", "--province", "110000", "--year", "2023"])
    assert credited.exit_code == 0, credited.output
    assert "1个账户" in credited.output
    assert session.scalar(select(func.count()).select_from(AccountEntry).where(AccountEntry.kind == "interest")) == 1
