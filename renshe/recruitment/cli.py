"""`renshe recruitment …`: import the published occupation classification table (职业分类大典) from CSV or
XLSX (whole file or nothing), and bring the hub's national job search up to date from the national store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from renshe.core import clikit, db, tabular
from renshe.core.clikit import fail_domain
from renshe.core.errors import DomainError
from renshe.recruitment import jobs, service

recruitment_app = typer.Typer(help="Public recruitment (公共招聘): occupations and the national job search",
                              no_args_is_help=True)
console = Console(soft_wrap=True, highlight=False)
OCCUPATIONS = tabular.Spec("occupations", "职业分类", (
    tabular.Column("code", "职业编码", True, ("编码", "代码")),
    tabular.Column("name", "职业名称", True, ("名称",)),
))


@recruitment_app.command("import-occupations")
def import_occupations(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV 或 XLSX：职业编码、职业名称两列")],
    as_user: Annotated[str | None, typer.Option("--as", help="以该经办人员身份执行（默认系统）")] = None,
) -> None:
    """Import the full published table: codes like 2-02-10-03 with their names; a bad row refuses the file."""
    try:
        with db.unit_of_work() as session:
            actor = clikit.acting_as(session, as_user)
            with tabular.open_rows(path, OCCUPATIONS) as rows:
                found = [(r.number, r.values["code"], r.values["name"]) for r in rows]
            done = service.import_occupations(session, actor=actor, rows=found)
    except DomainError as exc:
        raise fail_domain(exc) from None
    console.print(f"职业分类导入完成：读取{done['rows']}行，新增{done['added']}条，更新{done['updated']}条")


@recruitment_app.command("sync-national")
def sync_national(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """At the ministry hub: index every province's new and closed postings from the national store."""
    with db.unit_of_work() as session:
        totals = jobs.sync_national(session)
    if as_json:
        typer.echo(json.dumps(totals))
        return
    console.print(f"全国岗位同步：读取事件{totals['read']}条，入库{totals['stored']}个岗位，下架{totals['closed']}个")


@recruitment_app.command("match")
def match(
    top: Annotated[int, typer.Option(min=1, max=50, help="每位求职者推荐的岗位数")] = 10,
    chunk: Annotated[int, typer.Option(min=1, max=2000, help="每批求职者人数")] = jobs.MATCH_CHUNK,
    as_user: Annotated[str | None, typer.Option("--as", help="以该经办人员身份执行（默认系统）")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Match every seeker against every open posting and keep each one's best TOP (resumes after a stop)."""
    with db.unit_of_work() as session:
        actor = clikit.acting_as(session, as_user)
    try:
        with Progress(TextColumn("岗位匹配"), BarColumn(), TextColumn("{task.completed}/{task.total}人"),
                      console=console) as bar:
            task = bar.add_task("岗位匹配", total=None)
            done = jobs.match_batch(actor=actor, top=top, chunk=chunk,
                                    progress=lambda n, total: bar.update(task, completed=n, total=total))
    except DomainError as exc:
        raise fail_domain(exc) from None
    if as_json:
        typer.echo(json.dumps({"run": done.run_id, "status": done.status, "seekers": done.done,
                               "postings": done.postings}))
        return
    console.print(f"岗位匹配完成：{done.done}位求职者，{done.postings}个在招岗位，每人推荐前{top}个")


def register(app: typer.Typer) -> None:
    """Add this capability's sub-commands to the `renshe` command."""
    app.add_typer(recruitment_app, name="recruitment")
