"""`renshe sharing …`: consumer applications of the data-sharing gateway."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from renshe.core import clikit, db
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
    rate_per_minute: Annotated[int, typer.Option(help="每分钟调用上限")] = 600,
    daily_quota: Annotated[int, typer.Option(help="每日调用配额")] = 100_000,
) -> None:
    """Register a consumer application; prints JSON with client_id and client_secret (shown once)."""
    try:
        with db.unit_of_work() as session:
            consumer, secret = service.add_consumer(session, actor=SYSTEM, name=name, grants=grant, purpose=purpose,
                                                    legal_basis=legal_basis, rate_per_minute=rate_per_minute,
                                                    daily_quota=daily_quota)
            client_id = consumer.client_id
    except DomainError as exc:
        raise clikit.fail_domain(exc) from None
    typer.echo(json.dumps({"client_id": client_id, "client_secret": secret, "name": name, "grants": grant},
                          ensure_ascii=False))


@sharing_app.command("catalog")
def list_catalog() -> None:
    """Print the local catalog (national base plus local resources) as JSON."""
    with db.unit_of_work() as session:
        rows = [service.resource_out(r).model_dump(mode="json") for r in service.catalog(session)]
    typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))


@sharing_app.command("add-resource")
def add_resource(
    code: Annotated[str, typer.Option(help="资源代码（分类码+顺序码）")],
    short_name: Annotated[str, typer.Option(help="简称，如 local-talent-subsidy")],
    name: Annotated[str, typer.Option(help="资源名称")],
    provider: Annotated[str, typer.Option(help="提供方名称")],
    provider_code: Annotated[str, typer.Option(help="提供方统一社会信用代码")],
    summary: Annotated[str, typer.Option(help="摘要")],
    item: Annotated[list[str], typer.Option(help="信息项 name:type:length，可重复")],
    sharing_type: Annotated[str, typer.Option(help="unconditional / conditional / none")] = "conditional",
    condition: Annotated[str, typer.Option(help="共享条件")] = "依法履职需要",
) -> None:
    """Add a local resource to the catalog."""
    items = []
    for spec in item:
        parts = spec.split(":")
        items.append({"name": parts[0], "type": parts[1] if len(parts) > 1 else "string",
                      "length": int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 0})
    try:
        with db.unit_of_work() as session:
            service.add_local_resource(session, actor=SYSTEM, data=service.LocalResource(
                code=code, short_name=short_name, name=name, provider=provider, provider_code=provider_code,
                summary=summary, items=items, sharing_type=sharing_type, condition=condition))
    except DomainError as exc:
        raise clikit.fail_domain(exc) from None
    typer.echo(f"✓ added {short_name}")


@sharing_app.command("export-catalog")
def export_catalog(out: Annotated[str, typer.Argument(help="输出文件 .json 或 .xlsx")]) -> None:
    """Export the local catalog (national base plus local resources) for reporting to the ministry."""
    fmt = out.rsplit(".", 1)[-1].lower()
    try:
        with db.unit_of_work() as session, open(out, "wb") as handle:
            count = service.export_catalog(session, fmt=fmt, out=handle)
    except DomainError as exc:
        raise clikit.fail_domain(exc) from None
    typer.echo(f"✓ {count} resources written to {out}")


@sharing_app.command("revoke-tokens")
def revoke_tokens(client_id: Annotated[str, typer.Option(help="调用方应用的 client_id")]) -> None:
    """End every access token of a consumer at once (refused on every worker within 5 s)."""
    try:
        with db.unit_of_work() as session:
            ended = service.revoke_tokens(session, actor=SYSTEM, client_id=client_id)
    except DomainError as exc:
        raise clikit.fail_domain(exc) from None
    typer.echo(f"{ended} tokens of {client_id} revoked")
