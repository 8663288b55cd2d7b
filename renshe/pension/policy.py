"""Who may do what with pensions in payment (`can(actor, action, division_code)`).

A citizen reads their own award and payments; staff read awards in their jurisdiction ("person.read")
and run the payment and adjustment batches of their province ("import.run", as the interest batch);
the system (the hall's approval, the demo seed) does everything."""

from __future__ import annotations

from renshe.core.auth import Principal

STAFF_PERMISSION = {"award.read": "person.read", "award.grant": "person.read", "run.pay": "import.run",
                    "run.adjust": "import.run", "run.read": "person.read"}


def can(actor: Principal, action: str, *, division_code: str, person_public_id: str | None = None) -> bool:
    """True if `actor` may do `action` on a target in `division_code` (of the person, if any)."""
    if actor.kind == "system":
        return True
    if actor.kind == "staff":
        permission = STAFF_PERMISSION.get(action)
        return permission is not None and actor.has(permission) and actor.can_reach(division_code)
    if actor.kind == "citizen":
        return action == "award.read" and person_public_id is not None and actor.subject == person_public_id
    return False
