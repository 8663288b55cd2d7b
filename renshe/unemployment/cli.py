"""`renshe unemployment …`: the benefit-months calculator (失业保险金领取期限), with `--json`; the monthly
benefit payment run (`pay --month YYYY-MM`, resumable after a kill)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from renshe.core import clikit, db
from renshe.core.clikit import fail_domain
from renshe.core.errors import DomainError
from renshe.core.settings import get_settings
from renshe.unemployment import jobs, schemas

unemployment_app = typer.Typer(help="Unemployment insurance (失业保险): calculators and the monthly payment run",
                               no_args_is_help=True)
console = Console(soft_wrap=True, highlight=False)


@unemployment_app.command("benefit-months")
def benefit_months(
    contribution_months: Annotated[str, typer.Option(help="累计缴费月数")],
    unused_months: Annotated[str, typer.Option(help="前次失业应领而未领的月数")] = "0",
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON")] = False,
) -> None:
    """Months of unemployment benefit by 《失业保险条例》 art. 17 (with an earlier spell's unused months, ≤ 24)."""
    try:
        answer = schemas.benefit_months_answer(schemas.BenefitMonthsIn(contribution_months=contribution_months,
                                                                       unused_months=unused_months))
    except DomainError as exc:
        raise fail_domain(exc) from None
    if as_json:
        typer.echo(answer.model_dump_json())
        return
    console.print(f"累计缴费{answer.contribution_months}个月：最长领取失业保险金{answer.months}个月")
    for step in answer.trace:
        console.print(f"  {step.label}：{step.formula} → {step.value}（{step.source}）")


@unemployment_app.command("pay")
def pay(
    month: Annotated[str, typer.Option(help="发放月份 YYYY-MM")],
    province: Annotated[str, typer.Option(help="省级行政区划代码（默认本部署的省份）")] = "",
    chunk: Annotated[int, typer.Option(help="每批笔数")] = jobs.CHUNK,
    as_user: Annotated[str | None, typer.Option("--as", help="以该经办人员身份执行（默认系统）")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON")] = False,
) -> None:
    """Pay a month's unemployment benefit into the card of every recipient in payment; resumes after a kill."""
    where = province or get_settings().province_code
    with db.unit_of_work() as session:
        actor = clikit.acting_as(session, as_user)
    try:
        with Progress(TextColumn("失业保险金发放"), BarColumn(), TextColumn("{task.completed}/{task.total}笔"),
                      console=console) as bar:
            task = bar.add_task("失业保险金发放", total=None)
            summary = jobs.run_payments(actor=actor, province=where, month=month, chunk_size=chunk,
                                        progress=lambda done, total: bar.update(task, completed=done, total=total))
    except DomainError as exc:
        raise fail_domain(exc) from None
    if as_json:
        typer.echo(json.dumps({"province": summary.province, "period": summary.period, "status": summary.status,
                               "total": summary.total, "done": summary.done, "paid": summary.paid,
                               "amount": f"{summary.amount_fen / 100:.2f}"}, ensure_ascii=False))
        return
    console.print(f"{summary.period}失业保险金发放{'完成' if summary.status == 'done' else '未完成'}："
                  f"本批发放{summary.paid}笔，合计{summary.amount_fen / 100:.2f}元")


def register(app: typer.Typer) -> None:
    """Add this capability's sub-commands to the `renshe` command."""
    app.add_typer(unemployment_app, name="unemployment")
