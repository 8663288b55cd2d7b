"""Alembic environment: runs against the connection it is given, or RENSHE_DATABASE_URL."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

from renshe.core import fulltext
from renshe.core.db import UTCDateTime, make_engine
from renshe.core.settings import get_settings
from renshe.metadata import metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = make_engine(get_settings().database_url)
    with engine.connect() as conn:
        _migrate(conn)
    engine.dispose()


def _render_item(type_: str, obj: Any, _context: AutogenContext) -> str | Literal[False]:
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _not_search(name: str | None, type_: str, _parents: object) -> bool:
    return not (type_ == "table" and fulltext.is_search_table(name))  # made per dialect, outside the ORM


def _migrate(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
        include_name=_not_search,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
