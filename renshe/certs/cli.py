"""`renshe certs …` commands.

    renshe certs check-identifier VALUE          validate a GB/T 36904 identifier, explain a failure
    renshe certs types                           the configured certificate types
    renshe certs keys                            the published keys (JSON, as /.well-known/renshe/keys)
    renshe certs rotate-keys [--as USERNAME]     retire the active keys, make new ones
    renshe certs issuer CODE NAME [--as USER]    configure the province's issuing authority
    renshe certs verify VALUE [--offline --keys F --status-list F …]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from renshe.certs import identifiers, service, verifier
from renshe.core import clikit, db, ids
from renshe.core.auth import SYSTEM
from renshe.core.errors import DomainError

app = typer.Typer(help="电子证照库：证照标识校验、发证密钥、核验", no_args_is_help=True)
console = Console()
err = Console(stderr=True)
AsUser = Annotated[str | None, typer.Option("--as", help="以该经办人员的身份执行（默认：系统）")]


def register(app_: typer.Typer) -> None:
    """Add this capability's sub-commands to the `renshe` command."""
    app_.add_typer(app, name="certs")


_fail = clikit.fail
_actor = clikit.acting_as


@app.command("check-identifier")
def check_identifier(value: Annotated[str, typer.Argument(help="证照标识，如 1.2.156.3005.2.…")]) -> None:
    """Validate a certificate identifier (GB/T 36904; check character ISO/IEC 7064 MOD 37,36)."""
    try:
        parsed = identifiers.parse(value)
    except ids.IdentifierError as exc:
        err.print(f"[red]✗[/red] {exc.detail}")
        err.print(f"  rule: {exc.code} — {exc.message_en}")
        raise typer.Exit(1) from None
    kind = next((t for t in service.cert_types().values() if t.code == parsed.type_code), None)
    table = Table(show_header=False)
    table.add_row("证照标识", parsed.value)
    table.add_row("证照类型代码", f"{parsed.type_code}{f'（{kind.name}）' if kind else '（本平台未配置该类型）'}")
    table.add_row("发证机关代码", parsed.issuer_code)
    table.add_row("流水号", parsed.serial)
    table.add_row("版本号", f"{parsed.version:03d}")
    table.add_row("校验位", f"{parsed.check}（正确）")
    console.print("[green]✓[/green] 证照标识格式和校验位正确")
    console.print(table)


@app.command("types")
def types() -> None:
    """List the configured certificate types."""
    table = Table("key", "类型代码", "名称", "有效期", "信息项")
    for t in service.cert_types().values():
        table.add_row(t.key, t.code, t.name, f"{t.validity_years}年" if t.validity_years else "长期",
                      "、".join(f.label for f in t.fields))
    console.print(table)


@app.command("keys")
def keys() -> None:
    """Print the published keys (JWKS) as JSON."""
    with db.unit_of_work() as session:
        service.signing_keys(session, service.default_issuer(session))
        found = service.published_keys(session)
    typer.echo(json.dumps(found, ensure_ascii=False, indent=2))


@app.command("rotate-keys")
def rotate_keys(as_user: AsUser = None) -> None:
    """Retire the active signing keys and make new ones (old certificates keep verifying)."""
    try:
        with db.unit_of_work() as session:
            ed, sm = service.rotate_keys(session, actor=_actor(session, as_user))
            kids = (ed.kid, sm.kid)
    except DomainError as exc:
        raise _fail(exc.code, exc.detail) from None
    console.print(f"[green]✓[/green] 新密钥已启用：Ed25519 {kids[0]}，SM2 {kids[1]}")
    console.print("旧密钥已停用但仍然发布，用于核验已签发的证照")


@app.command("issuer")
def issuer(code: Annotated[str, typer.Argument(help="发证机关统一社会信用代码")],
           name: Annotated[str, typer.Argument(help="发证机关名称")],
           seal_name: Annotated[str | None, typer.Option(help="印章名称")] = None, as_user: AsUser = None) -> None:
    """Configure the province's issuing authority (its credit code goes into new identifiers)."""
    try:
        with db.unit_of_work() as session:
            found = service.set_issuer(session, actor=_actor(session, as_user), code=code, name=name,
                                       seal_name=seal_name)
            shown = f"{found.name}（{found.code}）"
    except DomainError as exc:
        raise _fail(exc.code, exc.detail) from None
    console.print(f"[green]✓[/green] 发证机关：{shown}；已生成新的签名密钥")


@app.command("verify")
def verify(
    value: Annotated[str, typer.Argument(help="JWS、二维码内容（RS1:…）或证照标识")],
    offline: Annotated[bool, typer.Option("--offline", help="只用密钥文件和状态列表文件核验")] = False,
    keys_file: Annotated[Path | None, typer.Option("--keys", help="JWKS 文件（/.well-known/renshe/keys）")] = None,
    status_list: Annotated[list[Path] | None, typer.Option("--status-list", help="状态列表文件（vc+jwt）")] = None,
) -> None:
    """Verify a certificate online (against the library) or offline (keys and cached status lists)."""
    if offline:
        if keys_file is None:
            raise _fail("renshe:certs/keys", "离线核验需要 --keys 指定的密钥文件")
        outcome = verifier.verify_offline(value, jwks=json.loads(keys_file.read_text()),
                                          status_lists=[p.read_text().strip() for p in status_list or []])
        result, label, reason = outcome.result, outcome.label, outcome.reason
    else:
        with db.unit_of_work() as session:
            found = service.verify(session, value=value, channel="cli", actor=SYSTEM)
            result, label, reason = found.result, found.label, found.reason
    typer.echo(json.dumps({"result": result, "result_label": label, "reason": reason}, ensure_ascii=False))
    if result != "valid":
        raise typer.Exit(1)
