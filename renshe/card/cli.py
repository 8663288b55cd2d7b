"""`renshe card …` commands: card status of a person, maintenance of used code nonces, key rotation."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from renshe.card import service
from renshe.core import db
from renshe.core.auth import SYSTEM
from renshe.registry import service as registry

card_app = typer.Typer(help="Social security card and electronic SSC (社会保障卡, 电子社保卡)", no_args_is_help=True)


@card_app.command("status")
def status(id_number: Annotated[str, typer.Argument(help="公民身份号码")]) -> None:
    """Print the card and e-SSC status of one person as JSON (what the data-sharing resource answers)."""
    with db.unit_of_work(write=False) as session:
        person = registry.find_by_id_number(session, id_number=id_number.strip().upper())
        if person is None:
            typer.echo("no person with that resident ID number", err=True)
            raise typer.Exit(1)
        typer.echo(json.dumps(service.card_status_answer(session, person), ensure_ascii=False))


@card_app.command("purge-nonces")
def purge_nonces() -> None:
    """Forget the nonces of codes that have expired (a replay of those is refused as expired anyway)."""
    with db.unit_of_work() as session:
        removed = service.purge_used_nonces(session)
    typer.echo(f"removed {removed} expired nonces")


@card_app.command("rotate-key")
def rotate_key() -> None:
    """Start signing e-SSC codes and sign-in results with a new Ed25519 key; old ones still verify."""
    with db.unit_of_work() as session:
        kid = service.rotate_key(session, actor=SYSTEM)
    typer.echo(f"signing with key {kid}")


def register(app: typer.Typer) -> None:
    """Add this capability's sub-commands to the `renshe` command."""
    app.add_typer(card_app, name="card")
