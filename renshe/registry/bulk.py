"""The person base looked up many ID numbers at a time, for batch work in other domains.

Public surface of `registry` for bulk callers (data sharing's batch verification): blind indexes of
many canonical ID numbers, and the persons behind a set of blind indexes in set-based statements.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import any_, bindparam, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from renshe.core import crypto
from renshe.registry.models import Person
from renshe.registry.service import ID_PURPOSE

IN_LIST = 10_000  # keys per statement on SQLite (its limit is 32,766 bound parameters)
MMAP_BYTES = 256 * 1024 * 1024  # SQLite: the most of the database file mapped during a lookup

# SQLite: the driver's own statement with a list of `?`, bytes bound as they are (SQLAlchemy's expanding
# IN renders and processes each parameter in Python, which cost more than the lookup itself)
# INDEXED BY: SQLite's planner would take the unique index and then read each table row; the covering
# index answers from the index alone (about half the lookup's CPU on a 1,000,000-key batch).
_BY_LIST = ("SELECT id_number_index, name FROM persons INDEXED BY ix_persons_identity "
            "WHERE status != 'merged' AND id_number_index IN ")
_MARKS = {IN_LIST: ",".join("?" * IN_LIST)}  # placeholders only: every value is bound
_BY_ARRAY = select(Person.id_number_index, Person.name).where(
    Person.id_number_index == any_(bindparam("keys", type_=postgresql.ARRAY(postgresql.BYTEA))),
    Person.status != "merged")


def id_indexes(numbers: Sequence[bytes]) -> list[bytes]:
    """The blind indexes (`service.id_index`) of canonical ID numbers given as ASCII bytes, in order."""
    return crypto.cipher().blind_indexes(numbers, purpose=ID_PURPOSE)


def names_by_index(session: Session, *, indexes: Collection[bytes]) -> dict[bytes, str]:
    """The registered name of each person found, by blind index; merged records are not persons any more
    (their number answers through the record they were merged into) and are left out."""
    if not indexes:
        return {}
    keys = list(indexes)
    if session.get_bind().dialect.name == "postgresql":  # one array parameter, one index scan per key
        return {row[0]: row[1] for row in session.execute(_BY_ARRAY, {"keys": keys})}
    cursor = session.connection().connection.cursor()  # the driver's cursor: rows come back as tuples
    found: dict[bytes, str] = {}
    try:
        # probes land all over the base: read its pages through a memory map rather than a read call
        # each (about a third less CPU on the benchmark's base), and put the connection back as it was
        mapped = cursor.execute("PRAGMA mmap_size").fetchone()[0]
        cursor.execute(f"PRAGMA mmap_size={MMAP_BYTES:d}")
        try:
            for start in range(0, len(keys), IN_LIST):
                part = keys[start:start + IN_LIST]
                marks = _MARKS.get(len(part)) or ",".join("?" * len(part))
                cursor.execute(_BY_LIST + "(" + marks + ")", part)
                found.update(cursor.fetchall())
        finally:
            cursor.execute(f"PRAGMA mmap_size={int(mapped):d}")
    finally:
        cursor.close()
    return found
