"""`renshe` sub-commands of the person and employer base: bulk import and export.

    renshe import persons FILE [--as USERNAME]      CSV or XLSX; the whole file or nothing
    renshe import employers FILE [--as USERNAME]
    renshe export persons OUT.xlsx [--as USERNAME]  ID numbers and phones masked
    renshe export employers OUT.xlsx [--as USERNAME]

The commands act as the system principal unless `--as` names an active staff user, whose roles and
jurisdiction then apply (and whose name goes into the audit log).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from renshe.core import clikit, db, tabular
from renshe.core.errors import DomainError
from renshe.registry import jobs, policy

import_app = typer.Typer(help="批量导入人员或单位（CSV/XLSX）：整个文件全部导入，或一条也不导入",
                         no_args_is_help=True)
export_app = typer.Typer(help="导出人员或单位（XLSX，公民身份号码和手机号码已脱敏）", no_args_is_help=True)
console = Console()
err = Console(stderr=True)

ImportFile = Annotated[Path, typer.Argument(help="CSV（UTF-8 或 GB18030）或 XLSX 文件，第1行为表头")]
ExportFile = Annotated[Path, typer.Argument(help="要写入的 .xlsx 文件")]
AsUser = Annotated[str | None, typer.Option("--as", help="以该经办人员的身份和辖区执行（默认：系统）")]
Exporter = Callable[..., int]


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the root command."""
    app.add_typer(import_app, name="import")
    app.add_typer(export_app, name="export")


_fail = clikit.fail
_actor = clikit.acting_as


def _print_rejection(exc: tabular.ImportRejected) -> None:
    report = exc.report
    spec = jobs.SPECS[report.kind]
    table = Table(title="未导入：以下内容不符合要求")
    table.add_column("行号", justify="right", no_wrap=True)
    for title in ("字段", "规则", "说明"):
        table.add_column(title, overflow="fold")
    for error in report.errors:
        label = spec.label_of(error.field)
        table.add_row(str(error.row), f"{label}（{error.field}）", error.code, error.message)
    console.print(table)
    err.print(f"[red]✗[/red] {exc.detail} [dim]({exc.code})[/dim]")


def _import(kind: str, file: Path, username: str | None) -> None:
    if not file.is_file():
        raise _fail("renshe:import/no-file", f"文件不存在：{file}")
    spec = jobs.SPECS[kind]
    try:
        with db.unit_of_work() as session:
            actor = _actor(session, username)
            policy.require(actor, "import.run")
            with tabular.open_rows(file, spec) as stream, Progress(
                    TextColumn(f"[bold]导入{spec.label}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("行"), TimeElapsedColumn(), console=console) as bar:
                task = bar.add_task("rows", total=stream.total)
                report = jobs.IMPORTERS[kind](session, actor=actor, rows=stream,
                                              progress=lambda n: bar.update(task, completed=n))
                bar.update(task, total=max(bar.tasks[0].completed, report.rows_read),
                           completed=max(bar.tasks[0].completed, report.rows_read))
    except tabular.ImportRejected as exc:
        _print_rejection(exc)
        raise typer.Exit(1) from None
    except DomainError as exc:
        details = "；".join(e.message for e in exc.errors if e.message != exc.detail)
        raise _fail(exc.code, f"{exc.detail}{'：' + details if details else ''}") from None
    console.print(f"[green]✓[/green] 已导入{spec.label} {report.imported} 条"
                  f"（读取数据行 {report.rows_read} 行）")
    if report.ignored_columns:
        console.print(f"未识别、已忽略的列：{'、'.join(report.ignored_columns)}")


def _export(label: str, exporter: Exporter, out: Path, username: str | None) -> None:
    if out.suffix.lower() != ".xlsx":
        raise _fail("renshe:export/file-type", "导出文件名应以 .xlsx 结尾")
    if not out.parent.is_dir():
        raise _fail("renshe:export/no-folder", f"目录不存在：{out.parent}")
    # Write next to the target and rename at the end, so a failed export leaves no partial file.
    handle: IO[bytes] = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, renamed on success
        dir=out.parent, prefix=f".{out.stem}-", suffix=".xlsx", delete=False)
    handle.close()
    partial = Path(handle.name)
    try:
        with db.unit_of_work() as session:
            actor = _actor(session, username)
            count = exporter(session, actor=actor, out=partial)
        os.replace(partial, out)
    except DomainError as exc:
        raise _fail(exc.code, exc.detail) from None
    finally:
        partial.unlink(missing_ok=True)
    console.print(f"[green]✓[/green] 已导出{label} {count} 条到 {out}（公民身份号码和手机号码已脱敏）")


@import_app.command("persons")
def import_persons(file: ImportFile, as_user: AsUser = None) -> None:
    """Import persons (人员): 公民身份号码, 姓名, 手机号码, 居住地, 户籍地."""
    _import("persons", file, as_user)


@import_app.command("employers")
def import_employers(file: ImportFile, as_user: AsUser = None) -> None:
    """Import employers (单位): 统一社会信用代码, 单位名称, 所在地, 法定代表人."""
    _import("employers", file, as_user)


@export_app.command("persons")
def export_persons(out: ExportFile, as_user: AsUser = None) -> None:
    """Export the persons within reach to an XLSX workbook."""
    _export("人员", jobs.export_persons_xlsx, out, as_user)


@export_app.command("employers")
def export_employers(out: ExportFile, as_user: AsUser = None) -> None:
    """Export the employers within reach to an XLSX workbook."""
    _export("单位", jobs.export_employers_xlsx, out, as_user)
