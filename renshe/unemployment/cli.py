"""`renshe unemployment …`: the benefit-months calculator (失业保险金领取期限), with `--json`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from renshe.core.clikit import fail_domain
from renshe.core.errors import DomainError
from renshe.unemployment import schemas

unemployment_app = typer.Typer(help="Unemployment insurance (失业保险): calculators", no_args_is_help=True)
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


def register(app: typer.Typer) -> None:
    """Add this capability's sub-commands to the `renshe` command."""
    app.add_typer(unemployment_app, name="unemployment")
