"""The kernel's toolkit for `renshe` sub-commands: one way to refuse, one way to act as a staff user."""

from __future__ import annotations

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from renshe.core import staff
from renshe.core.auth import SYSTEM, Principal
from renshe.core.errors import DomainError

err = Console(stderr=True, soft_wrap=True)


def fail(code: str, message: str) -> typer.Exit:
    """Print a refusal (Chinese message, stable code) to stderr; the caller raises what this returns."""
    err.print(f"[red]✗[/red] {message} [dim]({code})[/dim]", highlight=False)
    return typer.Exit(1)


def fail_domain(exc: DomainError) -> typer.Exit:
    """A broken rule, then each field or row error it carries on a line of its own."""
    refusal = fail(exc.code, exc.detail)
    for error in exc.errors:
        if error.message != exc.detail:
            err.print(f"  - {error.message}", highlight=False)
    return refusal


def acting_as(session: Session, username: str | None) -> Principal:
    """The system principal, or the named active staff user (whose roles and jurisdiction then apply)."""
    if username is None:
        return SYSTEM
    principal = staff.active_principal(session, username)
    if principal is None:
        raise fail("renshe:auth/unknown-user", f"经办人员 {username} 不存在或已停用")
    return principal
