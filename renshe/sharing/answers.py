"""Status queries about a person: one registration point where capabilities say how they answer a
catalog resource; the gateway serves them with grants and logging."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from renshe.core.errors import (
    NotFound,
)
from renshe.registry import service as registry

# ---------------------------------------------------------------- status queries, one registration point

Answer = Callable[[Session, registry.Person], dict[str, Any]]
_ANSWERS: dict[str, Answer] = {}


def register_answer(short_name: str, answer: Answer) -> None:
    """A capability registers how it answers a catalog resource about a person (card status,
    certificates, unemployment, pension… as they land); the gateway serves it with grants and logging."""
    _ANSWERS[short_name] = answer


def answerable() -> list[str]:
    return sorted(_ANSWERS)


def query_person(session: Session, *, short_name: str, id_number: str) -> dict[str, Any]:
    """Answer a registered resource about the person with this resident ID number."""
    answer = _ANSWERS.get(short_name)
    if answer is None:
        raise NotFound("该资源的查询服务（尚未开通）", code="renshe:sharing/not-served")
    person = registry.person_by_id_number(session, id_number=id_number)
    if person is None or person.status == "merged":
        return {"found": False}
    return {"found": True, **answer(session, person)}


def _person_basic(_session: Session, person: registry.Person) -> dict[str, Any]:
    # Masked as for any caller without the unmask grant: consumers never receive full numbers.
    return {
        "name": person.name, "sex": person.sex, "birth_date": person.birth_date.isoformat(),
        "residence_division": person.residence_division, "status": person.status,
        "id_number": person.id_number_masked, "real_name_state": person.real_name_state,
    }


def _employment_status(session: Session, person: registry.Person) -> dict[str, Any]:
    current_jobs = [r for r in registry.person_employments(session, person=person) if r.end_date is None]
    return {
        "employed": bool(current_jobs),
        "employers": [{"credit_code": r.employer.credit_code, "name": r.employer.name,
                       "since": r.start_date.isoformat()} for r in current_jobs],
    }


register_answer("person-basic", _person_basic)
register_answer("employment-status", _employment_status)
