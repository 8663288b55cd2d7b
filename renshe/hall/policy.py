"""Who may do what in the service hall: every role, kind and division test of the hall, in one place.

`can(actor, action, target)` answers; `require(actor, action, target)` raises the rule's 403, which the
web layer writes to the audit log (like `core.auth.deny`). The services call these; routes and pages do
not test roles, kinds or divisions themselves. A target is what the rule is about: a division code
(`str`), an application, a ticket's or case's division, or nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from sqlalchemy.orm import Session

from renshe.core import staff
from renshe.core.auth import Principal
from renshe.core.errors import Forbidden
from renshe.hall.models import Application
from renshe.registry import service as registry

STAFF_ROLES = ("clerk", "reviewer", "supervisor", "admin")
SUPERVISOR_ROLES = ("supervisor", "admin")
WORKFLOW_STAFF_ROLES = ("clerk", "reviewer")


def has_role(actor: Principal, *roles: str) -> bool:
    """The system acts with every role; others need one of ROLES."""
    return actor.kind == "system" or any(r in actor.roles for r in roles)


def _is_staff(actor: Principal) -> bool:
    return actor.kind in {"staff", "system"}


def _reaches(actor: Principal, target: Any) -> bool:
    division = target.division_code if isinstance(target, Application) else target
    return isinstance(division, str) and actor.can_reach(division)


def _supervises(actor: Principal) -> bool:
    return actor.kind == "system" or (actor.kind == "staff" and any(r in actor.roles for r in SUPERVISOR_ROLES))


@dataclass(frozen=True)
class Rule:
    """One decision: the test, and the 403 (stable code, Chinese message) when it fails."""

    check: Callable[[Principal, Any], bool]
    code: str
    message: str


RULES: dict[str, Rule] = {
    # 事项目录
    "catalog.manage": Rule(lambda a, _t: has_role(a, "admin"), "renshe:hall/catalog-admin",
                           "只有管理员可以维护事项目录"),
    "catalog.export": Rule(lambda a, _t: a.kind == "system" or has_role(a, *STAFF_ROLES), "renshe:hall/export",
                           "只有经办人员可以导出事项目录"),
    # applying and following
    "application.apply": Rule(lambda a, _t: a.kind == "citizen", "renshe:hall/citizen-only",
                              "请从个人服务入口申请；窗口人员请使用窗口代录"),
    "application.list_own": Rule(lambda a, _t: a.kind == "citizen", "renshe:hall/citizen-only",
                                 "只有本人可以查看自己的办件"),
    "consent.grant": Rule(lambda a, _t: a.kind == "citizen", "renshe:hall/citizen-only",
                          "只有本人可以管理自己的代办授权"),
    "application.prefill": Rule(lambda a, _t: a.kind == "citizen", "renshe:prefill/citizen-only",
                                "只有本人可以查看自己的预填信息"),
    "queue.read": Rule(lambda a, _t: _is_staff(a) and has_role(a, *STAFF_ROLES), "renshe:hall/staff-only",
                       "只有经办人员可以查看办件队列"),
    "queue.all_states": Rule(lambda a, _t: has_role(a, *SUPERVISOR_ROLES), "renshe:hall/supervisor-only",
                             "只有监管人员和管理员可以查看全部状态"),
    "notices.read": Rule(lambda a, _t: _is_staff(a), "renshe:hall/staff-only", "只有经办人员可以查看督办通知"),
    "staff.member": Rule(lambda a, _t: a.kind == "staff", "renshe:hall/staff-only", "只有工作人员可以查看"),
    "staff.view": Rule(lambda a, _t: _is_staff(a), "renshe:hall/staff-only", "只有工作人员可以查看"),
    # 窗口代录
    "window.file": Rule(lambda a, _t: a.kind == "staff" and "clerk" in a.roles, "renshe:hall/clerk-only",
                        "只有受理人员可以在窗口代录申请"),
    "division.reach": Rule(_reaches, "renshe:auth/out-of-jurisdiction", "不在您的辖区内"),
    # 跨省通办 and 一件事
    "interprovince.forward": Rule(lambda a, _t: a.kind == "citizen", "renshe:hall/citizen-only",
                                  "请从个人服务入口申请"),
    "peer.manage": Rule(lambda a, _t: a.kind == "system" or "admin" in a.roles, "renshe:hall/peer-admin",
                        "只有管理员可以配置跨省通办节点"),
    "peer.list": Rule(lambda a, _t: _is_staff(a), "renshe:hall/staff-only", "只有经办人员可以查看跨省通办节点"),
    "bundle.apply": Rule(lambda a, _t: a.kind == "citizen", "renshe:hall/citizen-only", "请从个人服务入口申请"),
    # 超期督办
    "supervision.oversee": Rule(lambda a, _t: _supervises(a), "renshe:hall/supervisor-only",
                                "只有监管人员可以查看和发出督办"),
    "supervision.read_only": Rule(lambda a, _t: a.kind == "staff" and "supervisor" in a.roles,
                                  "renshe:hall/supervisor-only", "监管人员只读"),
    "supervision.notify": Rule(_reaches, "renshe:hall/out-of-reach", "该办件不在您的监管范围内"),
    # 好差评 and 整改
    "review.rate_online": Rule(lambda a, _t: a.kind == "citizen", "renshe:hall/rate-applicant-only",
                               "只有申请人本人可以评价"),
    "review.window_token": Rule(lambda a, t: a.kind == "staff" and _reaches(a, t), "renshe:hall/rate-window",
                                "只有办理机构的工作人员可以发起窗口评价"),
    "rectification.handle": Rule(lambda a, _t: _is_staff(a), "renshe:hall/staff-only", "只有工作人员可以处理整改"),
    # 问题反馈
    "feedback.raise": Rule(lambda a, _t: a.kind in {"staff", "citizen", "system"}, "renshe:hall/feedback-auth",
                           "请登录后反馈问题"),
    "feedback.read": Rule(lambda a, _t: a.kind in {"staff", "citizen", "system"}, "renshe:hall/feedback-auth",
                          "请登录后查看问题反馈"),
    "feedback.supervise": Rule(lambda a, _t: a.kind == "staff" and _supervises(a), "renshe:hall/supervisor-only",
                               "只有监管人员可以分派问题"),
    "feedback.assign": Rule(lambda a, t: _supervises(a) and _reaches(a, t), "renshe:hall/feedback-assign",
                            "只有上级监管人员可以分派问题"),
    "feedback.assign_to": Rule(_reaches, "renshe:hall/feedback-division", "只能分派到本辖区内的有效区划"),
    "feedback.resolve": Rule(lambda a, t: _is_staff(a) and _reaches(a, t), "renshe:hall/feedback-resolve",
                             "只有承办区划的工作人员可以答复"),
    "feedback.see": Rule(lambda a, t: _is_staff(a) and _reaches(a, t), "renshe:hall/feedback-not-found",
                         "该问题反馈不在您的辖区内"),
    "feedback.close_any": Rule(lambda a, t: _supervises(a) and _reaches(a, t), "renshe:hall/feedback-close",
                               "只有提出人或监管人员可以关闭问题"),
}


def can(actor: Principal, action: str, target: Any = None) -> bool:
    """Whether ACTOR may take ACTION on TARGET (a division code, an application, or nothing)."""
    return RULES[action].check(actor, target)


def require(actor: Principal, action: str, target: Any = None, *, entity_type: str = "hall",
            entity_id: str = "") -> None:
    """Raise the rule's 403 (audited by the web layer, like `deny`) unless `can(actor, action, target)`."""
    if not can(actor, action, target):
        refuse(actor, action, target, entity_type=entity_type, entity_id=entity_id)


def refuse(actor: Principal, action: str, target: Any = None, *, entity_type: str = "hall",
           entity_id: str = "") -> NoReturn:
    """Raise ACTION's 403 (audited by the web layer), for a service that decided with `can` and more."""
    rule = RULES[action]
    error = Forbidden(rule.message, code=rule.code)
    if isinstance(target, Application):
        entity_type, entity_id = "hall_application", target.public_id
    error.audit = {"actor": actor, "action": f"hall.{action}", "entity_type": entity_type,
                   "entity_id": entity_id or (target if isinstance(target, str) else "")}
    raise error


_PERSON_KEY = "renshe.hall.citizen_person"


def _person_of_citizen(session: Session, actor: Principal) -> int | None:
    """The citizen's person key, looked up once per unit of work (a page asks several times)."""
    known: dict[str, int | None] = session.info.setdefault(_PERSON_KEY, {})
    if actor.subject not in known:
        known[actor.subject] = registry.person_pk(session, public_id=actor.subject)
    return known[actor.subject]


def is_party(session: Session, actor: Principal, application: Application) -> bool:
    """The citizen is the applicant or the agent (代办人) of the application."""
    if actor.kind != "citizen":
        return False
    person_id = _person_of_citizen(session, actor)
    return person_id is not None and person_id in (application.applicant_id, application.agent_id)


def is_applicant(session: Session, actor: Principal, application: Application) -> bool:
    """The citizen is the applicant themself (their own view: personal numbers shown in full)."""
    return actor.kind == "citizen" and _person_of_citizen(session, actor) == application.applicant_id


def can_see(session: Session, actor: Principal, application: Application) -> bool:
    """Citizens see their own and represented applications; staff those of their division and below."""
    if actor.kind == "citizen":
        return is_party(session, actor, application)
    if _is_staff(actor):
        return has_role(actor, *STAFF_ROLES) and actor.can_reach(application.division_code)
    return False


def may_unmask(session: Session, actor: Principal) -> bool:
    """Staff with the `pii.unmask` grant may see an application's personal numbers in full (audited)."""
    return actor.kind == "staff" and staff.has_grant(session, actor, "pii.unmask")


def workflow_roles(session: Session, actor: Principal, application: Application) -> set[str]:
    """The workflow roles (applicant, clerk, reviewer) the caller holds for this application."""
    if actor.kind == "citizen":
        return {"applicant"} if is_party(session, actor, application) else set()
    if _is_staff(actor) and actor.can_reach(application.division_code):
        return {r for r in actor.roles if r in WORKFLOW_STAFF_ROLES} | (
            set(WORKFLOW_STAFF_ROLES) if actor.kind == "system" else set())
    return set()


def default_states(actor: Principal) -> tuple[str, ...] | None:
    """The states a role works on; None means every state (supervisors and administrators read all)."""
    if can(actor, "queue.all_states"):
        return None
    states: list[str] = []
    if "clerk" in actor.roles:
        states += ["submitted", "approved", "refused"]
    if "reviewer" in actor.roles:
        states += ["accepted", "reviewed"]
    return tuple(states)
