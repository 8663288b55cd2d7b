"""`renshe sharing …`: consumer applications of the data-sharing gateway."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from renshe.core import db
from renshe.core.auth import SYSTEM
from renshe.core.errors import DomainError
from renshe.sharing import service

sharing_app = typer.Typer(help="数据共享：共享目录与调用方应用", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(sharing_app, name="sharing")


@sharing_app.command("add-consumer")
def add_consumer(
    name: Annotated[str, typer.Option(help="调用方应用名称，如 某市市场监管局")],
    grant: Annotated[list[str], typer.Option(help="授权的资源简称，可重复，如 identity-verification")],
    purpose: Annotated[str, typer.Option(help="用途")] = "依法履职核验",
    legal_basis: Annotated[str, typer.Option(help="法律依据")] = "《社会保险法》及相关规定",
) -> None:
    """Register a consumer application; prints JSON with client_id and client_secret (shown once)."""
    try:
        with db.unit_of_work() as session:
            consumer, secret = service.add_consumer(session, actor=SYSTEM, name=name, grants=grant, purpose=purpose,
                                                    legal_basis=legal_basis)
            client_id = consumer.client_id
    except DomainError as exc:
        typer.echo(f"✗ {exc.code}: {exc.detail} " + "; ".join(e.message for e in exc.errors), err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps({"client_id": client_id, "client_secret": secret, "name": name, "grants": grant},
                          ensure_ascii=False))


@sharing_app.command("catalog")
def list_catalog() -> None:
    """Print the local catalog (national base plus local resources) as JSON."""
    with db.unit_of_work() as session:
        rows = [service.resource_out(r).model_dump(mode="json") for r in service.catalog(session)]
    typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
