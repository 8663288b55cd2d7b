"""The `renshe` command: serve, db, demo, user, audit, check-id, and each domain's sub-commands."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from renshe import calendar_cli
from renshe.card import cli as card_cli
from renshe.certs import cli as certs_cli
from renshe.contracts import cli as contracts_cli
from renshe.core import audit, db, divisions, ids, migrate, staff
from renshe.core.auth import SYSTEM, Role
from renshe.core.errors import DomainError
from renshe.core.settings import get_settings
from renshe.hall import cli as hall_cli
from renshe.insurance import cli as insurance_cli
from renshe.keygroups import cli as keygroups_cli
from renshe.pension import cli as pension_cli
from renshe.pooling import cli as pooling_cli
from renshe.recruitment import cli as recruitment_cli
from renshe.registry import cli as registry_cli
from renshe.sharing import cli as sharing_cli
from renshe.unemployment import cli as unemployment_cli
from renshe.wages import cli as wages_cli

app = typer.Typer(help="renshe 人社信息化便民服务平台", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database schema (Alembic)", no_args_is_help=True)
demo_app = typer.Typer(help="Demo province", no_args_is_help=True)
user_app = typer.Typer(help="Staff users", no_args_is_help=True)
audit_app = typer.Typer(help="Audit log", no_args_is_help=True)
auth_app = typer.Typer(help="Sign-in sessions", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
app.add_typer(auth_app, name="auth")
calendar_cli.register(app)
registry_cli.register(app)
sharing_cli.register(app)
certs_cli.register(app)
card_cli.register(app)
hall_cli.register(app)
insurance_cli.register(app)
pension_cli.register(app)
unemployment_cli.register(app)
recruitment_cli.register(app)
wages_cli.register(app)
contracts_cli.register(app)
keygroups_cli.register(app)
app.add_typer(pooling_cli.app, name="pooling")
console = Console()
err = Console(stderr=True)


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[red]✗[/red] {message}")
    raise typer.Exit(code)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    no_upgrade: Annotated[bool, typer.Option("--no-upgrade", help="Skip applying migrations")] = False,
    role: Annotated[str, typer.Option(help="province, or ministry (the national hub; needs RENSHE_NATS_URL)")]
    = "province",
) -> None:
    """Apply migrations and serve the web application."""
    import uvicorn

    if role not in {"province", "ministry"}:
        _fail("--role is province or ministry")
    if role == "ministry" and not get_settings().nats_url:
        _fail("the ministry hub consumes the provinces' JetStream streams: set RENSHE_NATS_URL")
    os.environ["RENSHE_ROLE"] = role
    get_settings.cache_clear()

    if not no_upgrade:
        migrate.upgrade()
    console.print(f"renshe serving on http://{host}:{port} (database: {_safe_url()})")
    # Workers start by importing the whole platform: on a busy machine that takes longer than uvicorn's
    # default 5 s health check, which then kills and respawns them forever. A minute is generous.
    uvicorn.run("renshe.web.app:create_app", factory=True, host=host, port=port, workers=workers,
                access_log=False, log_level="warning", timeout_worker_healthcheck=60)


def _safe_url() -> str:
    url = get_settings().database_url
    return url.split("@")[-1] if "@" in url else url


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Apply Alembic migrations up to REVISION."""
    migrate.upgrade(revision=revision)
    console.print(f"[green]✓[/green] database at {revision} ({_safe_url()})")


@demo_app.command("seed")
def demo_seed(
    persons: Annotated[int, typer.Option(min=1, max=10_000_000, help="How many persons")] = 2000,
    province: Annotated[str | None, typer.Option(help="Province code, e.g. 110000 (default RENSHE_PROVINCE_CODE)")]
    = None,
    seed: Annotated[int, typer.Option(help="PRNG seed: the same seed gives the same province")] = 2026,
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Do nothing if demo data exists")] = False,
) -> None:
    """Create a deterministic synthetic province with staff, persons, employers and employment."""
    from renshe import demo

    settings = get_settings()
    if not settings.demo_mode:
        _fail("demo seed creates accounts with the password 'demo'; set RENSHE_DEMO_MODE=1 to allow it")
    code = province or settings.province_code
    division = divisions.get(code)
    if division is None or division.level != "province":
        _fail(f"{code} is not a province code (GB/T 2260), e.g. 110000 北京市, 440000 广东省")
    migrate.upgrade()
    with db.unit_of_work() as session:
        if demo.is_seeded(session):
            if if_empty:
                console.print("demo data already present; nothing to do")
                return
            _fail("the database already holds demo data; remove var/renshe.db to start again")
        with Progress(TextColumn("[bold]生成演示数据"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=False) as bar:
            task = bar.add_task("persons", total=persons)
            report = demo.seed(session, persons=persons, province=code, seed_value=seed,
                               progress=lambda n: bar.update(task, completed=n))
    _print_demo_report(report)


def _print_demo_report(report: object) -> None:
    from renshe.demo import SeedReport

    if not isinstance(report, SeedReport):
        raise TypeError(report)
    console.print(f"[green]✓[/green] {divisions.full_name(report.province)}: {report.persons} persons, "
                  f"{report.employers} employers, {report.relations} employment relations")
    table = Table(title="演示账号 (password: demo, demo mode only)")
    table.add_column("username")
    table.add_column("role")
    table.add_column("division")
    shown = report.staff[:1] + [s for s in report.staff if s[1] == "supervisor"][:2] + \
        [s for s in report.staff if s[1] == "clerk"][:3] + [s for s in report.staff if s[1] == "reviewer"][:1]
    for username, role, division in shown:
        table.add_row(username, role, f"{division} {divisions.full_name(division)}")
    console.print(table)
    console.print(f"… {len(report.staff)} staff accounts in all: clerk-<county code>, reviewer-<county code>, "
                  "supervisor-<city code>, admin")
    if report.sample_person:
        name, number, county = report.sample_person
        console.print(f"sample citizen: {name} {number} ({divisions.full_name(county)}); sign-in codes appear "
                      "at /demo/messages")
    if report.sample_employer:
        console.print(f"sample employer: {report.sample_employer[0]} {report.sample_employer[1]} (password demo)")
    for what, name, number in report.ledger_citizens:
        console.print(f"{what}: {name} {number}")
    if report.sample_retiree:
        console.print(f"sample retiree ({report.retirees} pensions in payment): {report.sample_retiree[0]} "
                      f"{report.sample_retiree[1]}, see /citizen/pension")


@user_app.command("create")
def user_create(
    username: str,
    role: Annotated[list[Role], typer.Option("--role", help="clerk, reviewer, supervisor, admin")],
    division: Annotated[str, typer.Option(help="Division code of the user (000000 for the ministry)")],
    display_name: Annotated[str | None, typer.Option(help="Name shown on pages")] = None,
    totp: Annotated[bool, typer.Option(help="Require a TOTP code at sign-in")] = False,
) -> None:
    """Create a staff user; the password is read from RENSHE_NEW_PASSWORD or asked for."""
    password = os.environ.get("RENSHE_NEW_PASSWORD") or typer.prompt("password", hide_input=True,
                                                                      confirmation_prompt=True)
    try:
        with db.unit_of_work() as session:
            user = staff.create_user(session, actor=SYSTEM, new=staff.NewStaff(
                username=username, display_name=display_name or username, password=password,
                roles=tuple(r.value for r in role), division_code=division, with_totp=totp))
            secret = user.totp_secret
    except DomainError as exc:
        _fail(f"{exc.detail} " + "; ".join(e.message for e in exc.errors))
    console.print(f"[green]✓[/green] created {username}")
    if secret:
        import pyotp

        console.print(f"TOTP secret: {secret}\nprovisioning URI: "
                      f"{pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name='renshe')}")


@user_app.command("grant")
def user_grant(
    username: str,
    permission: Annotated[str, typer.Option(help="The named permission, e.g. pii.unmask")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log)")],
) -> None:
    """Grant a named permission (such as pii.unmask) to one user."""
    try:
        with db.unit_of_work() as session:
            staff.grant(session, actor=SYSTEM, username=username, permission=permission, reason=reason)
    except DomainError as exc:
        _fail(f"{exc.detail} " + "; ".join(e.message for e in exc.errors))
    console.print(f"[green]✓[/green] {username} may now {permission}")


@audit_app.command("verify")
def audit_verify() -> None:
    """Walk the keyed hash chain and check it against the signed checkpoints; name the first break."""
    with db.unit_of_work(write=False) as session:
        report = audit.verify(session)
    if report.ok:
        console.print(f"[green]✓[/green] audit chain intact: {report.checked} entries, {report.checkpoints} "
                      f"signed checkpoints ({report.uncovered} entries after the newest checkpoint)")
        return
    where = f" at entry {report.broken_at}" if report.broken_at is not None else ""
    _fail(f"audit chain broken{where}: {report.reason} ({report.checked} entries before it are intact)", code=2)


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Write a signed checkpoint (row count, last hash, time) to RENSHE_AUDIT_CHECKPOINT_DIR."""
    with db.unit_of_work(write=False) as session:
        checkpoint = audit.write_checkpoint(session)
    if checkpoint is None:
        console.print("audit log is empty: no checkpoint written")
        return
    console.print(f"[green]✓[/green] checkpoint {checkpoint.seq}: {checkpoint.rows} entries up to "
                  f"{checkpoint.last_id} at {checkpoint.at} ({get_settings().checkpoint_dir})")


@auth_app.command("purge-sessions")
def auth_purge_sessions(
    older_than_days: Annotated[int | None, typer.Option(
        min=0, help="Delete sessions that ended this many days ago (default RENSHE_SESSION_RETENTION_DAYS)")] = None,
) -> None:
    """Mark idle and expired sign-in sessions ended, delete old ones and expired sign-in counters."""
    from renshe.core import limits

    days = get_settings().session_retention_days if older_than_days is None else older_than_days
    with db.unit_of_work() as session:
        marked, deleted = staff.purge_sessions(session, actor=SYSTEM, older_than_days=days)
        counters = limits.purge_counters(session)
    console.print(f"[green]✓[/green] {marked} sessions marked ended, {deleted} older than {days} days deleted, "
                  f"{counters} expired sign-in counters deleted")


@app.command("check-id")
def check_id(value: str) -> None:
    """Check a resident ID number (GB 11643) or unified social credit code (GB 32100)."""
    compact = value.strip().upper()
    try:
        person = ids.parse_resident_id(compact)
    except ids.IdentifierError as id_error:
        try:
            code = ids.parse_credit_code(compact)
        except ids.IdentifierError as code_error:
            # Report the rule of the kind the value looks like: any letter but a final X means a credit code.
            letters = compact[:-1] + ("" if compact.endswith("X") else compact[-1:])
            exc = code_error if any(c.isalpha() for c in letters) else id_error
            err.print(f"[red]✗ invalid[/red] {exc.code}: {exc.detail} / {exc.message_en}")
            raise typer.Exit(1) from None
        console.print(f"统一社会信用代码 unified social credit code: {code.code}")
        console.print(f"  登记管理机关行政区划 area: {code.area_code} {code.area_name}")
        console.print(f"  机构类别 entity type: {code.entity_type} {code.entity_type_label}")
        return
    console.print(f"公民身份号码 resident ID: {person.number}")
    console.print(f"  出生日期 birth date: {person.birth_date.isoformat()}")
    console.print(f"  性别 sex: {person.sex_label} ({'male' if person.sex == '1' else 'female'})")
    console.print(f"  地址码 birthplace: {person.area_code} {person.birthplace}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
