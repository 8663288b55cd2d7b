from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from renshe.core import fulltext
from renshe.core.migrate import alembic_config
from renshe.metadata import metadata


def _not_search(name: str | None, type_: str, _parents: object) -> bool:
    """Full-text search tables are made per dialect by the migrations, outside the ORM (core/fulltext.py)."""
    return not (type_ == "table" and fulltext.is_search_table(name))


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": _not_search})
        assert compare_metadata(context, metadata) == []


def test_history_is_linear() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    heads = script.get_heads()
    assert len(heads) == 1
    revisions = list(script.walk_revisions())
    assert all(len(r._normalized_down_revisions) <= 1 for r in revisions)
