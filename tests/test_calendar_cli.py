"""`renshe calendar`, through typer's runner and once as a user runs it, against its own SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from renshe import calendar_cli
from renshe.cli import app
from renshe.core import workdays

SCHEDULE = {
    "year": 2027, "source_note": "测试用：假定的2027年安排",
    "holidays": [{"date": f"2027-10-0{d}", "name": "国庆节"} for d in range(1, 8)],
    "workdays": ["2027-10-09"],
}


def _reset() -> None:
    from renshe.core import crypto, db, settings

    settings.get_settings.cache_clear()
    db.get_engine.cache_clear()
    crypto.cipher.cache_clear()
    db.sessions.factory = None


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Path]:
    """Point the CLI at a SQLite file of its own (not created yet), then restore the test settings."""
    saved = {name: os.environ.get(name) for name in ("RENSHE_DATABASE_URL", "RENSHE_KEY_FILE")}
    path = tmp_path / "cal.db"
    os.environ["RENSHE_DATABASE_URL"] = f"sqlite:///{path}"
    os.environ["RENSHE_KEY_FILE"] = str(tmp_path / "keys.json")
    _reset()
    try:
        yield path
    finally:
        from renshe.core import db

        db.get_engine().dispose()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _reset()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["calendar", *args])
    return result.exit_code, result.stdout, result.stderr


def test_add_workdays_as_a_user_runs_it(tmp_path: Path) -> None:
    env = {**os.environ, "RENSHE_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}",
           "RENSHE_KEY_FILE": str(tmp_path / "k.json")}
    result = subprocess.run([sys.executable, "-m", "renshe", "calendar", "add-workdays", "2026-09-30", "5"],
                            capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "2026-10-13\n"
    assert not (tmp_path / "none.db").exists()  # a read command does not create a database


def test_add_workdays_marks_provisional_results(database: Path) -> None:
    assert run("add-workdays", "2026-09-30", "5") == (0, "2026-10-13\n", "")
    code, out, err = run("add-workdays", "2027-09-30", "5")
    assert (code, out) == (0, "2027-10-08\n")
    assert "暂定" in err


def test_is_workday_says_yes_or_no_with_the_reason(database: Path) -> None:
    code, out, err = run("is-workday", "2026-10-10")
    assert (code, out) == (0, "yes\n")
    assert "调休上班" in err
    code, out, err = run("is-workday", "2027-02-08", "--explain")
    assert code == 0
    assert out.splitlines() == [
        "no", "2027-02-08 星期一：春节放假（休息日）；依据：按法定节假日推算（暂定，国务院办公厅当年安排未载入）"]


def test_every_day_to_the_end_of_next_year_through_the_command(database: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    # The command functions themselves (typer's runner costs ~70 ms a call; the commands are tested above).
    day = date(2026, 11, 28)
    cal = workdays.calendar()
    while day <= date(2027, 12, 31):
        calendar_cli.is_workday(day.isoformat(), explain=True)
        calendar_cli.add_workdays(day.isoformat(), "3")
        answer, reason, later = capsys.readouterr().out.splitlines()
        assert answer == ("yes" if cal.is_workday(day) else "no"), day
        assert reason.startswith(day.isoformat())
        assert date.fromisoformat(later) == cal.add_workdays(day, 3)
        day += timedelta(days=1)


def test_show_lists_the_year_with_its_source(database: Path) -> None:
    code, out, _ = run("show", "2027", "--json")
    assert code == 0
    shown = json.loads(out)
    assert (shown["source"], shown["provisional"], shown["workdays"]) == ("provisional", True, [])
    assert {"date": "2027-06-09", "name": "端午节"} in shown["holidays"]
    code, out, _ = run("show", "2026")
    assert code == 0
    assert "2026-10-10" in out
    assert "调休上班" in out
    assert "chinese-calendar" in out


def test_load_changes_the_answers_and_is_read_back(database: Path, tmp_path: Path) -> None:
    file = tmp_path / "2027.json"
    file.write_text(json.dumps(SCHEDULE, ensure_ascii=False), encoding="utf-8")
    code, out, err = run("load", str(file))
    assert code == 0, err
    assert "已载入2027年节假日安排" in out
    assert database.exists()
    assert run("add-workdays", "2027-09-30", "5") == (0, "2027-10-13\n", "")
    assert run("is-workday", "2027-10-09")[1] == "yes\n"
    code, out, _ = run("show", "2027", "--json")
    shown = json.loads(out)
    assert (shown["source"], shown["loaded_by"], shown["note"]) == ("loaded", "system", "测试用：假定的2027年安排")
    csv_file = tmp_path / "2028.csv"
    csv_file.write_text("date,type,name\n2028-01-01,holiday,元旦\n", encoding="utf-8")
    code, out, err = run("load", str(csv_file), "--note", "测试通知")
    assert code == 0, err
    assert json.loads(run("show", "2028", "--json")[1])["holidays"] == [{"date": "2028-01-01", "name": "元旦"}]


def test_bad_input_exits_1_with_a_clear_message(database: Path, tmp_path: Path) -> None:
    cases = [
        (("add-workdays", "2026-02-30", "5"), "YYYY-MM-DD"),
        (("add-workdays", "2026-09-30", "five"), "应为整数"),
        (("add-workdays", "2026-09-30", "-1"), "不能为负数"),
        (("is-workday", "2100-01-04"), "2100年不在工作日日历范围内"),
        (("show", "二〇二七"), "应为整数"),
        (("load", str(tmp_path / "missing.json")), "文件不存在"),
    ]
    for args, words in cases:
        code, out, err = run(*args)
        assert code == 1, args
        assert out == ""
        assert words in err, (args, err)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**SCHEDULE, "workdays": ["2027-10-08"]}), encoding="utf-8")
    code, _, err = run("load", str(bad))
    assert code == 1
    assert "workdays 第1项：2027-10-08 是星期五，调休上班日只能是星期六或星期日" in err
    assert json.loads(run("show", "2027", "--json")[1])["source"] == "provisional"  # nothing was loaded
