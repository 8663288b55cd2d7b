"""Who may do what with social security cards (`can(actor, action, target)`); the services call
`require`, which raises the refusal the rule names: an audited `deny` for a record outside the
caller's jurisdiction, a plain 403 for a missing permission or a citizen acting for someone else,
a 404 where the record's existence must not leak.

The kernel's roles carry no card permissions of their own: window work (申领、发卡、挂失…) needs the
clerk's "person.write", configuration (scenarios, terminals, apps) the administrator's "user.manage".

Actions and their targets:
- `card.apply` (Person), `card.<transition>` such as `card.report_loss` or `card.produce` (Person):
  a citizen for themself (window-only transitions refused), staff with "person.write" in
  jurisdiction (`card.batch` is the batch as a whole, below);
- `card.payment` (Person): staff or the system only, then as window work;
- `card.read` (CardOf): the holder, or staff with "person.read" in jurisdiction;
- `card.list`: "person.read"; `card.batch_read` (division code): "person.read" in jurisdiction;
- `card.batch`: staff with "person.write"; `card.batch_produce` and `card.handle` (window work at
  all, before a person is named): "person.write";
- `card.configure`: "user.manage"; `card.terminal_add` and `card.terminal_change` (division code):
  "user.manage" in jurisdiction; `card.scenario_set`: "user.manage" at province or ministry level.
"""

from __future__ import annotations

from dataclasses import dataclass

from renshe.card import rules
from renshe.core import divisions
from renshe.core.auth import Principal, deny
from renshe.core.errors import DomainError, Forbidden, NotFound
from renshe.registry.service import Person

HANDLE = "person.write"
READ = "person.read"
CONFIGURE = "user.manage"
OFFICIALS = frozenset({"staff", "system"})


@dataclass(frozen=True)
class CardOf:
    """A card (by public id) with its holder: what reading a card is decided on."""

    card_id: str
    holder: Person


Target = Person | CardOf | str | None


def can(actor: Principal, action: str, target: Target = None) -> bool:
    """True if `actor` may do `action` on `target`."""
    return refusal(actor, action, target) is None


def require(actor: Principal, action: str, target: Target = None) -> None:
    """Raise the refusal of `action` on `target`, if there is one (denials are audited)."""
    problem = refusal(actor, action, target)
    if problem is not None:
        raise problem


def refusal(actor: Principal, action: str, target: Target = None) -> DomainError | None:
    """Why `actor` may not do `action` on `target`, or None."""
    if action == "card.apply":
        if actor.kind == "citizen":
            return _own(actor, _person(target), "只能为本人申领社会保障卡")
        return _window(actor, _person(target), action)
    if action == "card.payment":
        if actor.kind not in OFFICIALS:
            return Forbidden("待遇进卡由经办机构发起", code="renshe:card/staff-only")
        return _window(actor, _person(target), action)
    if action == "card.read":
        if not isinstance(target, CardOf):
            raise TypeError("card.read is decided on a CardOf target")
        if actor.kind == "citizen":
            return None if actor.subject == target.holder.public_id else NotFound(
                "该社会保障卡", code="renshe:card/not-found")
        if actor.kind in OFFICIALS and actor.has(READ) and actor.can_reach(target.holder.residence_division):
            return None
        return deny(actor, entity_type="card", entity_id=target.card_id, action=action,
                    detail="该卡持卡人不在您的辖区内，无权查看")
    if action == "card.list":
        return _permission(actor, READ)
    if action == "card.batch_read":
        return _permission(actor, READ) or (None if actor.can_reach(_division(target)) else NotFound(
            "该制卡批次", code="renshe:card/batch-not-found"))
    if action == "card.batch":
        return _permission(actor, HANDLE) or (None if actor.kind in OFFICIALS else Forbidden(
            "制卡批次由经办人员办理", code="renshe:card/staff-only"))
    if action in {"card.handle", "card.batch_produce"}:
        return _permission(actor, HANDLE)
    if action == "card.configure":
        return _permission(actor, CONFIGURE)
    if action == "card.terminal_add":
        division = _division(target)
        return _permission(actor, CONFIGURE) or (None if actor.can_reach(division) else deny(
            actor, entity_type="division", entity_id=division, action=action,
            detail="不能在本辖区以外登记受理终端"))
    if action == "card.terminal_change":
        return _permission(actor, CONFIGURE) or (None if actor.can_reach(_division(target)) else NotFound(
            "该受理终端", code="renshe:card/terminal-not-found"))
    if action == "card.scenario_set":
        return _permission(actor, CONFIGURE) or (
            None if divisions.level_of(actor.division_code) in {"province", "ministry"}
            else Forbidden("用卡场景由省级管理员开通或关闭", code="renshe:card/province-only"))
    if action.startswith("card.") and action[5:] in rules.TRANSITIONS:
        transition = rules.TRANSITIONS[action[5:]]
        if actor.kind == "citizen":
            problem = _own(actor, _person(target), "只能办理本人的社会保障卡")
            if problem is None and not transition.citizen_may:
                problem = Forbidden(f"“{transition.label}”须到服务窗口办理", code="renshe:card/window-only")
            return problem
        return _window(actor, _person(target), action)
    raise ValueError(f"unknown card action {action!r}")


def offered(actor: Principal, transition: str) -> bool:
    """Whether a lifecycle move is offered to this kind of caller at all (citizens: online moves only)."""
    return actor.kind != "citizen" or rules.TRANSITIONS[transition].citizen_may


def _person(target: Target) -> Person:
    if not isinstance(target, Person):
        raise TypeError("this card action is decided on a person")
    return target


def _division(target: Target) -> str:
    if not isinstance(target, str):
        raise TypeError("this card action is decided on a division code")
    return target


def _permission(actor: Principal, permission: str) -> DomainError | None:
    return None if actor.has(permission) else Forbidden(f"您的角色无“{permission}”权限",
                                                        code="renshe:auth/permission")


def _own(actor: Principal, person: Person, detail: str) -> DomainError | None:
    return None if actor.subject == person.public_id else Forbidden(detail, code="renshe:card/not-own")


def _window(actor: Principal, person: Person, action: str) -> DomainError | None:
    """Window work on a person's card: "person.write", and the person within the clerk's jurisdiction."""
    if not actor.has(HANDLE):
        return Forbidden("您的角色不能办理社保卡业务", code="renshe:auth/permission")
    if actor.kind in OFFICIALS and actor.can_reach(person.residence_division):
        return None
    return deny(actor, entity_type="person", entity_id=person.public_id, action=action,
                detail="该人员不在您的辖区内，不能办理社保卡业务")
