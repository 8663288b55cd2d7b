"""Who may do what with unemployment registrations and benefits (`can(actor, action, division_code)`).

A citizen reads their own registration, benefit and payments and applies for them (through the hall);
staff in jurisdiction read ("person.read") and serve, register, exit, suspend and stop ("person.write");
the monthly payment run belongs to staff who run batches ("import.run"); the system (the hall's decision,
event subscribers, the demo seed) does everything."""

from __future__ import annotations

from renshe.core.auth import Principal

STAFF_PERMISSION = {"read": "person.read", "register": "person.write", "serve": "person.write",
                    "exit": "person.write", "grant": "person.read", "suspend": "person.write",
                    "stop": "person.write", "run.pay": "import.run", "run.read": "person.read"}


def can(actor: Principal, action: str, *, division_code: str, person_public_id: str | None = None) -> bool:
    """True if `actor` may do `action` on a target in `division_code` (of the person, if any)."""
    if actor.kind == "system":
        return True
    if actor.kind == "staff":
        permission = STAFF_PERMISSION.get(action)
        return permission is not None and actor.has(permission) and actor.can_reach(division_code)
    if actor.kind == "citizen":
        return action == "read" and person_public_id is not None and actor.subject == person_public_id
    return False
