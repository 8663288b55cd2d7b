"""Who may do what in data sharing, decided in one place and called by the sharing services.

Actions:
- `call`: a consumer application calls the gateway (`target`: a resource short name, with the
  consumer's `granted` resources); deny by default.
- `manage`: register consumers, add and edit local catalog resources (`user.manage`).
- `monitor`: search, export and chart the call log (`sharing.monitor`).
- `export-catalog` and `read-history`: the catalog export and a resource's past versions (`audit.read`).
- `prefill`: read one's own prefill values (the citizen themself).
"""

from __future__ import annotations

from collections.abc import Mapping

from renshe.core.auth import Principal
from renshe.core.errors import Forbidden

PERMISSIONS = {"manage": "user.manage", "monitor": "sharing.monitor", "export-catalog": "audit.read",
               "read-history": "audit.read"}


def can(actor: Principal, action: str, target: str | None = None, *,
        granted: Mapping[str, str] | None = None) -> bool:
    if action == "call":
        return actor.kind == "consumer" and (target is None or (granted is not None and target in granted))
    if action == "prefill":
        return actor.kind == "citizen"
    permission = PERMISSIONS.get(action)
    return permission is not None and actor.has(permission)


def require(actor: Principal, action: str, target: str | None = None) -> None:
    """403 unless `can`; the message names the missing permission as the kernel's checks do."""
    if can(actor, action, target):
        return
    if action == "prefill":
        raise Forbidden("只有本人可以查看自己的预填信息", code="renshe:prefill/citizen-only")
    raise Forbidden(f"您的角色无“{PERMISSIONS.get(action, action)}”权限", code="renshe:auth/permission")
