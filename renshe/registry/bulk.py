"""The person base looked up many ID numbers at a time, for batch work in other domains.

Public surface of `registry` for bulk callers (data sharing's batch verification): blind indexes of
many canonical ID numbers, and the persons behind a set of blind indexes in set-based statements.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from sqlalchemy import any_, bindparam, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from renshe.core import crypto
from renshe.registry.models import Person
from renshe.registry.service import ID_PURPOSE

IN_LIST = 10_000  # keys per statement on SQLite (its limit is 32,766 bound parameters)

_BY_LIST = select(Person.id_number_index, Person.name).where(
    Person.id_number_index.in_(bindparam("keys", expanding=True)), Person.status != "merged")
_BY_ARRAY = select(Person.id_number_index, Person.name).where(
    Person.id_number_index == any_(bindparam("keys", type_=postgresql.ARRAY(postgresql.BYTEA))),
    Person.status != "merged")


def id_indexer() -> Callable[[bytes], bytes]:
    """The blind index (`service.id_index`) of a canonical ID number given as ASCII bytes."""
    return crypto.cipher().blind_indexer(purpose=ID_PURPOSE)


def id_indexes(numbers: Iterable[bytes]) -> list[bytes]:
    return list(map(id_indexer(), numbers))


def names_by_index(session: Session, *, indexes: Collection[bytes]) -> dict[bytes, str]:
    """The registered name of each person found, by blind index; merged records are not persons any more
    (their number answers through the record they were merged into) and are left out."""
    if not indexes:
        return {}
    keys = list(indexes)
    if session.get_bind().dialect.name == "postgresql":  # one array parameter, one index scan per key
        return {row[0]: row[1] for row in session.execute(_BY_ARRAY, {"keys": keys})}
    found: dict[bytes, str] = {}
    for start in range(0, len(keys), IN_LIST):
        found.update((row[0], row[1]) for row in session.execute(_BY_LIST, {"keys": keys[start:start + IN_LIST]}))
    return found
