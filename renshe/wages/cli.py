"""`renshe wages …`: the warning scan (`scan [--date YYYY-MM-DD]`), printing how many warnings were raised."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer
from rich.console import Console

from renshe.core import clikit, db
from renshe.core.clikit import fail_domain
from renshe.core.errors import DomainError
from renshe.wages import jobs, rules, service

wages_app = typer.Typer(help="Migrant workers' wage payment monitoring (农民工工资支付监控)", no_args_is_help=True)
console = Console(soft_wrap=True, highlight=False)


@wages_app.command("scan")
def scan(
    on: Annotated[str | None, typer.Option("--date", help="扫描日期 YYYY-MM-DD（默认今天）")] = None,
    as_user: Annotated[str | None, typer.Option("--as", help="以该监管人员身份执行（默认系统，全部项目）")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON")] = False,
) -> None:
    """Scan every project for wage payment warnings; a second scan on the same data raises nothing new."""
    try:
        day = date.fromisoformat(on) if on else service.today()
    except ValueError:
        raise clikit.fail("renshe:wages/date", "扫描日期应写作YYYY-MM-DD") from None
    with db.unit_of_work() as session:
        actor = clikit.acting_as(session, as_user)
    try:
        result = jobs.scan(actor=actor, on=day)
    except DomainError as exc:
        raise fail_domain(exc) from None
    if as_json:
        typer.echo(json.dumps({"on": day.isoformat(), "raised": result.raised, "by_rule": result.by_rule}))
        return
    console.print(f"{day.isoformat()}工资支付预警扫描完成：新增预警{result.raised}条")
    for code, count in result.by_rule.items():
        rule = rules.catalog().rules[code]
        console.print(f"  {rule.name}（{rules.LEVEL_LABELS[rule.level]}）：{count}条")


def register(app: typer.Typer) -> None:
    """Add this capability's sub-commands to the `renshe` command."""
    app.add_typer(wages_app, name="wages")
