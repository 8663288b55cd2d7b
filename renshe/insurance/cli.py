"""`renshe insurance …` commands: the late-surcharge calculator here; the ledger's commands follow it."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from renshe.core.clikit import fail_domain
from renshe.core.errors import DomainError
from renshe.insurance import rules

insurance_app = typer.Typer(help="Social insurance (社会保险): contributions, accounts", no_args_is_help=True)
console = Console(soft_wrap=True, highlight=False)


@insurance_app.command("surcharge")
def surcharge(
    amount: Annotated[str, typer.Option(help="欠缴金额（元）")],
    days: Annotated[str, typer.Option(help="滞纳天数（缴费期限届满次日起至缴纳之日）")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON")] = False,
) -> None:
    """Late surcharge (滞纳金, 社会保险法 art. 86): amount × 0.05 % × days, half-up to the fen."""
    try:
        found = rules.surcharge_from_text(amount=amount, days=days)
    except DomainError as exc:
        raise fail_domain(exc) from None
    answer = {"amount": rules.yuan(found.amount_fen), "days": found.days,
              "daily_rate": str(rules.SURCHARGE_DAILY_RATE), "surcharge": rules.yuan(found.surcharge_fen),
              "trace": [step.as_dict() for step in found.trace]}
    if as_json:
        typer.echo(json.dumps(answer, ensure_ascii=False))
        return
    console.print(f"欠缴 {answer['amount']} 元，滞纳 {found.days} 天，滞纳金 {answer['surcharge']} 元"
                  f"（{rules.SURCHARGE_SOURCE}）")


def register(app: typer.Typer) -> None:
    """Add this capability's sub-commands to the `renshe` command."""
    app.add_typer(insurance_app, name="insurance")
