"""Who may do what in wage monitoring, decided in one place (`can`).

- read: staff (or the system) with `employer.read` whose jurisdiction reaches the project's county;
- record: clerks and administrators (`employer.write`) enter projects, firms, workers, attendance, accounts,
  deposits and pay sheets of their jurisdiction;
- supervise: supervisors and administrators (and the system) run the scan, close warnings and handle clues of
  their jurisdiction."""

from __future__ import annotations

from renshe.core.auth import Principal

SUPERVISING_ROLES = frozenset({"supervisor", "admin", "system"})


def can(actor: Principal, action: str, *, division_code: str) -> bool:
    if actor.kind not in ("staff", "system") or not actor.can_reach(division_code):
        return False
    if action == "read":
        return actor.has("employer.read")
    if action == "record":
        return actor.has("employer.write")
    if action == "supervise":
        return bool(SUPERVISING_ROLES.intersection(actor.roles))
    return False
