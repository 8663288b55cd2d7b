"""`renshe contracts …`: the warnings list (`warnings`, as the staff page shows it) and the check of a signed
contract PDF (`verify FILE`: document unchanged, both signatures and their time statements valid, the file the
one the platform issued), each with `--json`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from renshe.contracts import service
from renshe.core import clikit, db
from renshe.core.clikit import fail, fail_domain
from renshe.core.errors import DomainError

contracts_app = typer.Typer(help="Electronic labour contracts (电子劳动合同): warnings and verification",
                            no_args_is_help=True)
console = Console(soft_wrap=True, highlight=False)


@contracts_app.command("warnings")
def warnings(
    on: Annotated[str | None, typer.Option(help="截至日期 YYYY-MM-DD（默认今天）")] = None,
    as_user: Annotated[str | None, typer.Option("--as", help="以该经办人员身份查看（默认系统）")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON")] = False,
) -> None:
    """Relations open over a month without a signed contract, and fixed terms ending within 30 days."""
    try:
        day = date.fromisoformat(on) if on else None
    except ValueError:
        raise fail("renshe:contracts/date", "日期应为 YYYY-MM-DD") from None
    with db.unit_of_work() as session:
        actor = clikit.acting_as(session, as_user)
        try:
            found = service.warnings(session, actor=actor, on=day)
        except DomainError as exc:
            raise fail_domain(exc) from None
    if as_json:
        typer.echo(json.dumps({"on": found.on.isoformat(), "items": [w.model_dump(mode="json") for w in found.items]},
                              ensure_ascii=False))
        return
    console.print(f"截至{found.on:%Y-%m-%d}，劳动合同预警{len(found.items)}条")
    for w in found.items:
        console.print(f"  {w.kind_label}：{w.employer_name}（{w.employer_credit_code}）"
                      f" {w.worker_name}（{w.id_number_masked}），{w.detail}")


@contracts_app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(help="电子劳动合同PDF文件", exists=True, dir_okay=False, readable=True)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON")] = False,
) -> None:
    """Check a signed contract PDF; exits 1 when any check fails."""
    data = file.read_bytes()
    with db.unit_of_work() as session:
        result = service.verify_file(session, data=data)
    if as_json:
        typer.echo(result.model_dump_json())
    else:
        console.print(f"{'核验通过' if result.valid else '核验未通过'}：合同编号{result.number or '—'}"
                      f"，第{result.version or '—'}版，{result.state_label or '—'}")
        for check in result.checks:
            console.print(f"  {'✔' if check.ok else '✖'} {check.label}：{check.detail}")
    if not result.valid:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this capability's sub-commands to the `renshe` command."""
    app.add_typer(contracts_app, name="contracts")
