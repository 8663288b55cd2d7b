"""Who may do what with labour contracts: decided here only (the services call it).

The employer's agent acts for its own unit; a clerk with `employment.write` may draft and terminate for an
employer in their jurisdiction but never signs for it. The worker reads and signs only their own contracts;
staff with `employer.read` read the contracts and warnings of their jurisdiction."""

from __future__ import annotations

from renshe.contracts.models import LabourContract
from renshe.core.auth import Principal


def may_act_for(actor: Principal, *, employer_public_id: str, employer_division: str) -> bool:
    if actor.kind == "employer":
        return actor.subject == employer_public_id
    return actor.kind in {"staff", "system"} and actor.has("employment.write") and actor.can_reach(employer_division)


def may_sign_for_employer(actor: Principal, row: LabourContract) -> bool:
    return (actor.kind == "employer" and actor.subject == row.employer_public_id) or actor.kind == "system"


def may_read(actor: Principal, row: LabourContract) -> bool:
    if actor.kind == "citizen":
        return actor.subject == row.person_public_id
    if actor.kind == "employer":
        return actor.subject == row.employer_public_id
    return actor.kind in {"staff", "system"} and actor.has("employer.read") and actor.can_reach(row.employer_division)


def may_see_warnings(actor: Principal) -> bool:
    return actor.kind in {"staff", "system"} and actor.has("employer.read")
