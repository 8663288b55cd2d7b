"""`renshe hall …`: the service hall's item catalog."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from renshe.core import db
from renshe.core.auth import SYSTEM
from renshe.core.errors import DomainError
from renshe.hall import peers
from renshe.hall.catalog import service
from renshe.hall.interprovince import relay
from renshe.hall.oversight import service as supervision

hall_app = typer.Typer(help="一网通办：事项目录、国家规范版本与本地调整", no_args_is_help=True)
console = Console()


def register(app: typer.Typer) -> None:
    """Add this capability's sub-commands to the `renshe` command."""
    app.add_typer(hall_app, name="hall")


def _fail(exc: DomainError) -> None:
    typer.echo(f"✗ {exc.code}: {exc.detail} " + "; ".join(e.message for e in exc.errors), err=True)
    raise typer.Exit(1)


@hall_app.command("load-catalog")
def load_catalog() -> None:
    """Load the shipped items (national versions and this province's adaptations); idempotent."""
    try:
        with db.unit_of_work() as session:
            added = service.load_catalog(session, actor=SYSTEM)
    except DomainError as exc:
        _fail(exc)
        return
    typer.echo(f"✓ 事项目录已加载，新增 {added} 条记录")


@hall_app.command("items")
def items() -> None:
    """List the local catalog with each item's limits and adaptation state."""
    with db.unit_of_work(write=False) as session:
        rows = service.catalog(session)
        table = Table("事项编码", "事项名称", "办件类型", "法定时限", "承诺时限", "国家规范", "调整状态")
        for item, _, s in rows:
            state = f"待调整（{s.adaptation_due} 前）" if s.needs_adaptation else "一致"
            table.add_row(item.code, s.name, s.case_type_label, str(s.legal_limit_days), str(s.promised_limit_days),
                          f"v{s.national_version}/v{s.latest_national_version}", state)
    console.print(table)


@hall_app.command("export")
def export(
    out: Annotated[Path, typer.Option(help="输出文件（.json 或 .xlsx）")],
) -> None:
    """Export the local catalog for reporting upward (本地事项目录上报)."""
    suffix = out.suffix.lower()
    if suffix not in (".json", ".xlsx"):
        typer.echo("✗ 输出文件须以 .json 或 .xlsx 结尾", err=True)
        raise typer.Exit(1)
    with db.unit_of_work(write=False) as session:
        if suffix == ".xlsx":
            count = service.export_xlsx(session, actor=SYSTEM, out=out)
        else:
            rows = service.export_catalog(session, actor=SYSTEM)
            out.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
            count = len(rows)
    typer.echo(f"✓ 已导出 {count} 个事项到 {out}")


@hall_app.command("scan-overdue")
def scan_overdue(
    day: Annotated[str | None, typer.Option(help="按此日期扫描（YYYY-MM-DD，默认今天）")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出JSON")] = False,
) -> None:
    """超期扫描：为新超期的办件发出督办，督办后仍超期的逐级升级；同一天重复运行不重复督办。"""
    from datetime import date

    try:
        when = date.fromisoformat(day) if day else None
    except ValueError:
        typer.echo("✗ 日期格式应为 YYYY-MM-DD", err=True)
        raise typer.Exit(1) from None
    with db.unit_of_work() as session:
        result = supervision.scan(session, actor=SYSTEM, day=when)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    typer.echo(f"✓ {result.day}：已超期 {result.overdue} 件，临近到期 {result.near_due} 件；"
               f"新发督办 {result.issued} 件，升级督办 {result.escalated} 件，解除 {result.closed} 件")


@hall_app.command("add-peer")
def add_peer(
    province: Annotated[str, typer.Option(help="对方省级区划代码，如 330000")],
    url: Annotated[str, typer.Option(help="对方节点地址，如 https://renshe.zj.example")],
    name: Annotated[str, typer.Option(help="对方节点名称")] = "",
) -> None:
    """配置跨省通办对端节点；共享密钥从环境变量 RENSHE_PEER_SECRET 读取（两端相同）。"""
    import os

    from renshe.core import divisions

    secret = os.environ.get("RENSHE_PEER_SECRET", "")
    try:
        with db.unit_of_work() as session:
            peers.add_peer(session, actor=SYSTEM, province_code=province, name=name or divisions.full_name(province),
                           base_url=url, secret=secret)
    except DomainError as exc:
        _fail(exc)
        return
    typer.echo(f"✓ 已配置跨省通办节点 {province} {url}")


@hall_app.command("peer-relay")
def peer_relay() -> None:
    """发送待发的跨省通办消息（转交申请、状态回传），失败的下次重试。"""
    sent = relay.deliver_pending(limit=1000)
    typer.echo(f"✓ 已发送 {sent} 条跨省通办消息")
