"""Bulk inserts for synthetic data (the demo province, benchmarks): rows already checked by the caller
go in through SQLAlchemy Core, without ORM bookkeeping. Never used for data people submit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from renshe.registry.models import Employer, EmploymentRelation, Person


def insert_employers(session: Session, rows: Sequence[dict[str, Any]]) -> list[tuple[int, str]]:
    """Insert employer rows; returns (internal key, division) of every employer now in the base."""
    if rows:
        session.execute(insert(Employer), list(rows))
    return [(row[0], row[1]) for row in session.execute(select(Employer.id, Employer.division_code))]


def insert_persons(session: Session, rows: Sequence[dict[str, Any]], *, keys_for: Sequence[str] = ()) -> dict[str, int]:
    """Insert person rows; returns the internal keys of the persons with the public ids `keys_for`."""
    if rows:
        session.execute(insert(Person.metadata.tables[Person.__tablename__]), list(rows))
    if not keys_for:
        return {}
    found = session.execute(select(Person.public_id, Person.id).where(Person.public_id.in_(list(keys_for))))
    return {row[0]: row[1] for row in found}


def insert_employment_relations(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert employment relation rows (person and employer by internal key)."""
    if rows:
        session.execute(insert(EmploymentRelation.metadata.tables[EmploymentRelation.__tablename__]), list(rows))


def count_persons(session: Session) -> int:
    """How many persons the base holds."""
    return int(session.scalar(select(func.count(Person.id))) or 0)
