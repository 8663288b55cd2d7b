"""Who may do what in 转移接续: a citizen applies and sees their own cases; staff of this province with the
employment permission handle the cases of this node (issue the certificate and transfer)."""

from __future__ import annotations

from renshe.core.auth import Principal, deny

STAFF_PERMISSION = {"transfer.handle": "employment.write", "transfer.list": "person.read"}


def can(actor: Principal, action: str, *, division_code: str = "") -> bool:
    if actor.kind == "system":
        return True
    if action == "transfer.apply":
        return actor.kind == "citizen"
    permission = STAFF_PERMISSION.get(action)
    return (actor.kind == "staff" and permission is not None and actor.has(permission)
            and actor.can_reach(division_code))


def require(actor: Principal, action: str, *, division_code: str = "") -> None:
    """Raise the audited 403 unless `can`."""
    if not can(actor, action, division_code=division_code):
        raise deny(actor, entity_type="pension_transfer", entity_id=division_code, action=action,
                   detail="无权办理养老保险关系转移接续" if action != "transfer.apply" else "转移接续由参保人本人申请")


def can_see(actor: Principal, *, person_public_id: str) -> bool:
    if actor.kind == "citizen":
        return actor.subject == person_public_id
    return actor.kind in {"staff", "system"}
