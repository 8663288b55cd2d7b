"""Text search on user input: LIKE patterns whose `%` and `_` (and the escape character) are literal.

Every search field that ends in a LIKE goes through these two functions, never a bare `.startswith(q)`,
`.contains(q)` or `.like(f"{q}%")`: typed into a search box, `%` would otherwise match every record in
reach. SQLAlchemy's `autoescape` escapes the bound value (escape character `/`) and adds `ESCAPE '/'`,
on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlalchemy.sql.elements import SQLCoreOperations


def starts_with(column: SQLCoreOperations[str], text: str) -> ColumnElement[bool]:
    """`column LIKE '<text>%' ESCAPE '/'` with every wildcard in `text` taken literally."""
    return column.startswith(text, autoescape=True)


def contains(column: SQLCoreOperations[str], text: str) -> ColumnElement[bool]:
    """`column LIKE '%<text>%' ESCAPE '/'` with every wildcard in `text` taken literally."""
    return column.contains(text, autoescape=True)
