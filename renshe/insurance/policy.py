"""Who may do what in the social insurance ledger (`can(actor, action, division_code, employer_id)`).

Staff act within their jurisdiction with the registry's write permissions (a clerk who records
employment also records the insurance relation that follows it); an employer's agent acts for its own
employer only; a citizen acts for themself (flexible enrolment, their own record)."""

from __future__ import annotations

from renshe.core.auth import Principal

STAFF_PERMISSION = {
    "unit.register": "employer.write",
    "relation.write": "employment.write",
    "declaration.submit": "employment.write",
    "assessment.run": "employment.write",
    "receipt.import": "import.run",
    "interest.run": "import.run",
    "ledger.read": "person.read",
}


def can(actor: Principal, action: str, *, division_code: str, employer_public_id: str | None = None) -> bool:
    """True if `actor` may do `action` on a target in `division_code` (of the employer, if any)."""
    if actor.kind == "system":
        return True
    if actor.kind == "staff":
        permission = STAFF_PERMISSION.get(action)
        return permission is not None and actor.has(permission) and actor.can_reach(division_code)
    if actor.kind == "employer":
        return (employer_public_id is not None and actor.subject == employer_public_id
                and action in {"unit.register", "relation.write", "declaration.submit", "ledger.read"})
    return False
