"""`renshe insurance import-history` and `assess-flexible`: the same rules as the pages, on the command line."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from renshe.cli import app
from tests import factories
from tests.insurance import kit
from tests.insurance.test_history import workbook


def test_import_history_and_assess_flexible_commands(session: Session, tmp_path: Path) -> None:
    kit.average_wage(session)
    number = factories.resident_id("110105", date(1962, 2, 2))
    factories.person(session, id_number=number, name="孙命令")
    session.commit()
    runner = CliRunner()
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook({"视同缴费": [[number, "孙命令", "1980-01", "1979-12", "某文号"]],
                              "控制合计": [["人数", 1], ["视同缴费月数", 0]]}))
    refused = runner.invoke(app, ["insurance", "import-history", str(bad)])
    assert refused.exit_code == 1
    assert "视同缴费第2行：终止年月不能早于起始年月" in refused.output

    good = tmp_path / "good.xlsx"
    good.write_bytes(workbook({"视同缴费": [[number, "孙命令", "1980-01", "1989-12", "京劳险〔1996〕8号"]],
                               "控制合计": [["人数", 1], ["视同缴费月数", 120]]}))
    report = tmp_path / "report.xlsx"
    done = runner.invoke(app, ["insurance", "import-history", str(good), "--json", "--report", str(report)])
    assert done.exit_code == 0, done.output
    answer = json.loads(done.output)
    assert (answer["persons"], answer["deemed_months"], answer["created"]) == (1, 120, True)
    assert load_workbook(report)["对账汇总"]["A3"].value == "人数"
    again = runner.invoke(app, ["insurance", "import-history", str(good)])
    assert again.exit_code == 0, again.output
    assert "该文件此前已入库，本次未重复入库" in again.output

    assessed = runner.invoke(app, ["insurance", "assess-flexible", "--province", "110000", "--month", "2024-01",
                                   "--json"])
    assert assessed.exit_code == 0, assessed.output
    assert json.loads(assessed.output)["created"] is True
