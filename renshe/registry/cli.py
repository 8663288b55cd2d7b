"""`renshe` sub-commands of the person and employer base."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the root command."""
    del app
