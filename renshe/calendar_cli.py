"""`renshe calendar`: working days (工作日) from the command line.

    renshe calendar add-workdays 2026-09-30 5           prints 2026-10-13 (the date only)
    renshe calendar is-workday 2026-10-10 [--explain]   prints yes or no; the reason on stderr (stdout with --explain)
    renshe calendar show 2027 [--json]                  the year's holidays and adjusted workdays, with the source
    renshe calendar load FILE [--year Y] [--note TEXT]  load the State Council's schedule for a year (JSON or CSV)

The commands read the schedules loaded into the database when there is one (a SQLite file that does
not exist yet is not created by the read commands); without it they answer from chinese-calendar and
the provisional rules. A provisional answer says so on stderr.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, NoReturn
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from renshe.core import clikit, db, migrate, workdays
from renshe.core.auth import SYSTEM
from renshe.core.errors import DomainError
from renshe.core.settings import get_settings

calendar_app = typer.Typer(help="工作日日历：法定节假日、调休上班日与按工作日计算的期限", no_args_is_help=True)
SHANGHAI = ZoneInfo("Asia/Shanghai")
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

PROVISIONAL_WARNING = ("注意：结果含暂定日期，按《全国年节及纪念日放假办法》推算，国务院办公厅当年安排公布后"
                       "请用 `renshe calendar load` 载入")


def register(app: typer.Typer) -> None:
    """Add `renshe calendar` to the root command."""
    app.add_typer(calendar_app, name="calendar")


def _fail(message: str, code: str = "renshe:validation") -> NoReturn:
    raise clikit.fail(code, message)


def _fail_domain(exc: DomainError) -> NoReturn:
    raise clikit.fail_domain(exc)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        _fail(f"日期“{value}”应为 YYYY-MM-DD 格式，如 2026-09-30", "renshe:workdays/date")


def _integer(value: str, what: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        _fail(f"{what}“{value}”应为整数", "renshe:workdays/number")


def _database_exists() -> bool:
    url = get_settings().database_url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        return bool(path) and path != ":memory:" and Path(path).exists()
    return True


@contextmanager
def _reading() -> Iterator[Session | None]:
    """A read session on the database when it is there (migrated first), else None."""
    session: Session | None = None
    if _database_exists():
        try:
            migrate.upgrade()
            session = db.open_session()
            workdays.calendar(session)  # touch the table now, so a broken database is reported here
        except SQLAlchemyError as exc:
            err.print(f"[yellow]![/yellow] 数据库不可用（{type(exc).__name__}），只按内置与推算的日历回答",
                      highlight=False)
            if session is not None:
                db.finish(session, success=False)
            session = None
    try:
        yield session
    finally:
        if session is not None:
            db.finish(session, success=False)  # it only read


# ignore_unknown_options: a negative N reaches the argument (and is refused with a message), not the option parser
@calendar_app.command("add-workdays", context_settings={"ignore_unknown_options": True})
def add_workdays(
    start: Annotated[str, typer.Argument(help="起算日期 YYYY-MM-DD（当天不计入）")],
    n: Annotated[str, typer.Argument(help="工作日天数（≥0）")],
) -> None:
    """Print the date N working days after START (START itself not counted)."""
    day, count = _date(start), _integer(n, "工作日天数")
    with _reading() as session:
        cal = workdays.calendar(session)
        try:
            result = cal.add_workdays(day, count)
            sources = cal.sources(day, result)
        except DomainError as exc:
            _fail_domain(exc)
    if "provisional" in sources:
        err.print(PROVISIONAL_WARNING, highlight=False)
    typer.echo(result.isoformat())


@calendar_app.command("is-workday")
def is_workday(
    day: Annotated[str, typer.Argument(help="日期 YYYY-MM-DD")],
    explain: Annotated[bool, typer.Option("--explain", help="在标准输出中同时给出原因")] = False,
) -> None:
    """Print yes or no: is DAY a working day? The reason goes to stderr, or to stdout with --explain."""
    parsed = _date(day)
    with _reading() as session:
        try:
            info = workdays.calendar(session).explain(parsed)
        except DomainError as exc:
            _fail_domain(exc)
    typer.echo("yes" if info.workday else "no")
    typer.echo(info.describe(), err=not explain)


@calendar_app.command("show")
def show(
    year: Annotated[str, typer.Argument(help="年份，如 2027")],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """List YEAR's holidays and adjusted workdays and where they come from."""
    number = _integer(year, "年份")
    with _reading() as session:
        try:
            schedule = workdays.calendar(session).schedule(number)
        except DomainError as exc:
            _fail_domain(exc)
    if as_json:
        typer.echo(json.dumps({
            "year": schedule.year, "source": schedule.source, "provisional": schedule.provisional,
            "note": schedule.note, "loaded_by": schedule.loaded_by,
            "loaded_at": schedule.loaded_at.isoformat() if schedule.loaded_at else None,
            "holidays": [{"date": d.isoformat(), "name": n} for d, n in sorted(schedule.holidays.items())],
            "workdays": [d.isoformat() for d in sorted(schedule.workdays)],
        }, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{schedule.year}年节假日安排")
    for title in ("日期", "星期", "类型", "名称"):
        table.add_column(title)
    rows = [(d, "放假", n) for d, n in schedule.holidays.items()]
    rows += [(d, "调休上班", "") for d in schedule.workdays]
    for d, kind, name in sorted(rows):
        table.add_row(d.isoformat(), f"星期{workdays.WEEKDAY_NAMES[d.weekday()]}", kind, name)
    console.print(table)
    console.print(f"来源 source: {schedule.source}（{workdays.SOURCE_LABELS[schedule.source]}）", highlight=False)
    console.print(f"依据: {schedule.note}", highlight=False)
    if schedule.loaded_by:
        loaded_at = schedule.loaded_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if schedule.loaded_at else ""
        console.print(f"载入: {schedule.loaded_by} {loaded_at}", highlight=False)
    if schedule.provisional:
        err.print(PROVISIONAL_WARNING, highlight=False)


@calendar_app.command("load")
def load(
    file: Annotated[Path, typer.Argument(help="JSON 或 CSV（表头 date,type,name）文件")],
    year: Annotated[int | None, typer.Option(help="年份（CSV 文件中没有时使用）")] = None,
    note: Annotated[str | None, typer.Option(help="依据：国务院办公厅通知的名称和文号")] = None,
) -> None:
    """Load a year's holiday schedule (it then wins over the built-in data for that year); audited."""
    if not file.is_file():
        _fail(f"文件不存在：{file}", "renshe:workdays/no-file")
    try:
        parsed = workdays.parse_schedule(file.read_bytes(), filename=file.name, year=year, source_note=note)
        migrate.upgrade()
        with db.unit_of_work() as session:
            row = workdays.load_parsed(session, actor=SYSTEM, parsed=parsed)
            loaded_year, holidays, adjusted = row.year, len(row.holidays), len(row.workdays)
    except DomainError as exc:
        _fail_domain(exc)
    console.print(f"[green]✓[/green] 已载入{loaded_year}年节假日安排：放假 {holidays} 天，调休上班 {adjusted} 天",
                  highlight=False)
