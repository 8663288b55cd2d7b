"""`renshe keygroups …`: the set-based state refresh from employment relations, and the import of records
from CSV or XLSX (whole file or nothing, each bad row named)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from renshe.core import clikit, db
from renshe.core.clikit import fail_domain
from renshe.core.errors import DomainError
from renshe.keygroups import jobs, service

keygroups_app = typer.Typer(help="Key-group labour database (重点群体劳动者信息库)", no_args_is_help=True)
console = Console(soft_wrap=True, highlight=False)


@keygroups_app.command("refresh")
def refresh(
    as_user: Annotated[str | None, typer.Option("--as", help="以该经办人员身份执行（默认系统）")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON")] = False,
) -> None:
    """Set every record's employment state from the registry's open employment relations (set-based)."""
    try:
        with db.unit_of_work() as session:
            actor = clikit.acting_as(session, as_user)
            answer = jobs.refresh(session, actor=actor)
    except DomainError as exc:
        raise fail_domain(exc) from None
    if as_json:
        typer.echo(answer.model_dump_json())
        return
    console.print(f"重点群体就业状态已更新：{answer.employed}人转为已就业，{answer.not_employed}人劳动关系终止转为未就业")


@keygroups_app.command("import")
def import_records(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV 或 XLSX 文件")],
    as_user: Annotated[str | None, typer.Option("--as", help="以该经办人员身份执行（默认系统）")] = None,
) -> None:
    """Import key-group records; a bad row refuses the whole file, every bad row named."""
    try:
        with db.unit_of_work() as session:
            actor = clikit.acting_as(session, as_user)
            done = service.import_file(session, actor=actor, path=path)
    except DomainError as exc:
        raise fail_domain(exc) from None
    console.print(f"重点群体人员导入完成：读取{done.rows}行，新增{done.created}人，更新{done.updated}人")


def register(app: typer.Typer) -> None:
    """Add this capability's sub-commands to the `renshe` command."""
    app.add_typer(keygroups_app, name="keygroups")
