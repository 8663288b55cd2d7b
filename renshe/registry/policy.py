"""Who may do what in the person base, the employer base and employment relations: decided here only.

Services call these; routes and pages do not test kinds, roles or divisions themselves.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core.auth import Principal, deny
from renshe.registry.models import Employer, EmploymentRelation, Person


def can_see_person(actor: Principal, person: Person, session: Session | None = None) -> bool:
    if actor.kind in {"staff", "system"}:
        return actor.has("person.read") and actor.can_reach(person.residence_division)
    if actor.kind == "citizen":
        return actor.subject == person.public_id
    if actor.kind == "employer" and session is not None:
        stmt = (
            select(EmploymentRelation.id)
            .join(Employer, Employer.id == EmploymentRelation.employer_id)
            .where(Employer.public_id == actor.subject, EmploymentRelation.person_id == person.id)
            .limit(1)
        )
        return session.scalar(stmt) is not None
    return False


def can_see_employer(actor: Principal, employer: Employer) -> bool:
    if actor.kind in {"staff", "system"}:
        return actor.has("employer.read") and actor.can_reach(employer.division_code)
    return actor.kind == "employer" and actor.subject == employer.public_id


def can_report_for(actor: Principal, employer: Employer) -> bool:
    if actor.kind == "employer":
        return actor.subject == employer.public_id
    return actor.has("employment.write") and actor.can_reach(employer.division_code)


def in_jurisdiction(actor: Principal, division_code: str) -> bool:
    """Whether a division (a residence, an employer's seat) is within the caller's jurisdiction."""
    return actor.can_reach(division_code)


def can(actor: Principal, action: str, target: object = None, *, session: Session | None = None) -> bool:
    """Whether `actor` may do `action` (a permission such as `person.read`) on `target`.

    A person, an employer or a division code as the target adds the jurisdiction check."""
    if isinstance(target, Person) and action == "person.read":
        return can_see_person(actor, target, session)
    if isinstance(target, Employer):
        if action == "employer.read":
            return can_see_employer(actor, target)
        if action == "employment.write":
            return can_report_for(actor, target)
    if isinstance(target, str):
        return actor.has(action) and in_jurisdiction(actor, target)
    return actor.has(action)


def require(actor: Principal, action: str, target: object = None, *, session: Session | None = None,
            entity_type: str = "", entity_id: str = "", detail: str = "无权执行此操作") -> None:
    """Raise the audited 403 unless `can(actor, action, target)`; without a target, the permission."""
    if target is None:
        actor.require(action)
        return
    if not can(actor, action, target, session=session):
        raise deny(actor, entity_type=entity_type, entity_id=entity_id, action=action, detail=detail)
