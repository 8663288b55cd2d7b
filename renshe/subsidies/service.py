"""Employment-support subsidies: eligibility shown before applying, the application checked against shared
data, the clerk's decision (checked again), and one payment into the social security card.

A broken rule refuses with `renshe:subsidies/<rule>` and a sentence naming it. The same policy is paid once per
person: an open or paid application holds `grant_key`, and the card payment's reference
`subsidy:<policy>:<person>` is unique too."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from renshe.card import service as card
from renshe.certs import service as certs
from renshe.core import audit, divisions, labels, monthly, paging, workdays
from renshe.core.auth import SYSTEM, Principal
from renshe.core.db import utcnow
from renshe.core.errors import Conflict, DomainError, FieldError, Forbidden, NotFound
from renshe.core.events import record_event
from renshe.insurance import service as insurance
from renshe.keygroups import service as keygroups
from renshe.registry import service as registry
from renshe.subsidies import rules, schemas
from renshe.subsidies.models import SubsidyApplication
from renshe.unemployment import service as unemployment

STATE_LABELS = labels.register("subsidies.state", {"submitted": "待审核", "paid": "已发放", "refused": "不予发放"})
SHANGHAI = ZoneInfo("Asia/Shanghai")


today = workdays.today  # tests replace it to move the clock


@cache
def policies() -> dict[str, rules.Policy]:
    return rules.load()


def policy_of(code: str) -> rules.Policy:
    found = policies().get(code)
    if found is None:
        raise DomainError("renshe:subsidies/policy", "没有这项补贴政策", 422, "输入有误",
                          [FieldError("policy", "renshe:subsidies/policy", "请选择补贴政策目录中的一项")])
    return found


def _claimed(session: Session, *, policy: str, person_id: int, besides: int | None = None) -> bool:
    stmt = select(SubsidyApplication.id).where(SubsidyApplication.grant_key == f"{policy}:{person_id}")
    if besides is not None:
        stmt = stmt.where(SubsidyApplication.id != besides)
    return session.scalar(stmt.limit(1)) is not None


def facts_of(session: Session, *, person: registry.Person, policy: rules.Policy, on: date,
             besides: int | None = None) -> rules.Facts:
    """What the shared data says: the person base, unemployment registration, employment relations reported
    by employers, and the months paid in the insurance ledger (when a rule asks for them)."""
    wanted = [r for r in policy.rules if r["rule"] == "contributed"]
    paid: tuple[date, ...] = ()
    if wanted:
        paid = tuple(insurance.months_paid_of_type(session, person_id=person.id,
                                                   insurance_type=str(wanted[0]["insurance_type"]), on=on))
    asks = {r["rule"] for r in policy.rules}
    held = tuple((c.type_key, c.issue_date) for c in certs.certificates_of(session, person=person)
                 if c.status == "valid") if "certificate" in asks else ()
    return rules.Facts(
        status=person.status, birth_date=person.birth_date, male=person.sex == "1",
        registered_unemployed=unemployment.open_of(session, person_id=person.id) is not None,
        employed=bool(unemployment.open_employments(session, person=person)), paid_months=paid,
        claimed=_claimed(session, policy=policy.code, person_id=person.id, besides=besides),
        key_groups=keygroups.groups_of(session, person_id=person.id) if "key_group" in asks else {},
        certificates=held)


def eligibility(session: Session, *, actor: Principal) -> list[tuple[rules.Policy, list[rules.Result]]]:
    """Each policy with every rule checked for the signed-in citizen (shown before they apply)."""
    person = _citizen(session, actor)
    on = today()
    return [(p, rules.check(p, facts_of(session, person=person, policy=p, on=on), on)) for p in policies().values()]


def _citizen(session: Session, actor: Principal) -> registry.Person:
    if actor.kind != "citizen":
        raise Forbidden("补贴由本人申领", code="renshe:subsidies/permission")
    return registry.get_person(session, actor=actor, public_id=actor.subject)


def _refusal(failed: list[rules.Result]) -> DomainError:
    first = failed[0]
    errors = [FieldError("policy", f"renshe:subsidies/{r.rule}", f"不符合“{r.label}”：{r.detail}") for r in failed]
    return DomainError(f"renshe:subsidies/{first.rule}", f"不符合申领条件：{first.label}（{first.detail}）", 422,
                       "不符合补贴申领条件", errors)


def _checks_json(results: list[rules.Result], when: str) -> list[dict[str, object]]:
    return [{"rule": r.rule, "label": r.label, "met": r.met, "detail": r.detail, "when": when} for r in results]


def apply(session: Session, *, actor: Principal, policy_code: str) -> SubsidyApplication:
    """The citizen applies: refused with every broken rule named, or filed for the clerk's review."""
    policy = policy_of(policy_code)
    person = _citizen(session, actor)
    on = today()
    results = rules.check(policy, facts_of(session, person=person, policy=policy, on=on), on)
    failed = [r for r in results if not r.met]
    if failed:
        raise _refusal(failed)
    row = SubsidyApplication(policy=policy.code, person_id=person.id, person_public_id=person.public_id,
                             person_name=person.name, id_number_masked=person.id_number_masked,
                             division_code=person.residence_division, grant_key=f"{policy.code}:{person.id}",
                             state="submitted", amount_fen=policy.amount_fen,
                             checks=_checks_json(results, "submitted"))
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # the same application submitted twice at once: the second finds the first
        raise _refusal([rules.Result("once", "未重复申领", False, "已申领或正在申领本项补贴，不能重复申领")]) from None
    audit.record(session, actor=actor, action="subsidies.apply", entity_type="subsidy_application",
                 entity_id=row.public_id, after={"policy": policy.code})
    record_event(session, "subsidies.applied", {"application": row.public_id, "policy": policy.code})
    registry.notify(session, person_pk=person.id, kind="subsidies.applied", title=f"{policy.name}申请已提交",
                    body=f"您的{policy.name}申请已提交，等待审核。", link="/citizen/subsidies")
    return row


def get(session: Session, *, actor: Principal, public_id: str) -> SubsidyApplication:
    row = session.scalar(select(SubsidyApplication).where(SubsidyApplication.public_id == public_id))
    if row is None or not _may_read(actor, row):
        raise NotFound("该补贴申请", code="renshe:subsidies/not-found")
    return row


def _may_read(actor: Principal, row: SubsidyApplication) -> bool:
    if actor.kind == "citizen":
        return actor.subject == row.person_public_id
    return actor.kind == "staff" and actor.has("person.read") and actor.can_reach(row.division_code)


def _may_decide(actor: Principal, row: SubsidyApplication) -> None:
    if not (actor.kind == "staff" and actor.has("person.write") and actor.can_reach(row.division_code)):
        raise Forbidden("无权审核该补贴申请", code="renshe:subsidies/permission")
    if row.state != "submitted":
        raise Conflict(f"该申请{STATE_LABELS[row.state]}，不能再次审核", code="renshe:subsidies/decided")


def approve(session: Session, *, actor: Principal, public_id: str) -> SubsidyApplication:
    """The clerk approves: every rule is checked again on today's data (a person who died or found a job
    since is refused, naming the rule), then the subsidy is paid once into the card."""
    row = get(session, actor=actor, public_id=public_id)
    _may_decide(actor, row)
    policy = policy_of(row.policy)
    person = registry.person_by_pk(session, row.person_id)
    if person is None:
        raise NotFound("申请人", code="renshe:subsidies/person-not-found")
    on = today()
    results = rules.check(policy, facts_of(session, person=person, policy=policy, on=on, besides=row.id), on)
    row.checks = [*row.checks, *_checks_json(results, "decided")]
    failed = [r for r in results if not r.met]
    if failed:
        return _close(session, actor=actor, row=row, policy=policy,
                      reason="；".join(f"不符合“{r.label}”：{r.detail}" for r in failed))
    reference = f"subsidy:{row.policy}:{row.person_public_id}"
    paid, _ = card.credit_benefit(session, actor=SYSTEM, person=person, programme="subsidy",
                                  amount_fen=row.amount_fen, period=f"{on:%Y-%m}", reference=reference,
                                  description=policy.name)
    row.state, row.card_reference, row.card_status = "paid", reference, paid.status
    row.decided_by, row.decided_at = actor.subject, utcnow()
    session.flush()
    audit.record(session, actor=actor, action="subsidies.approve", entity_type="subsidy_application",
                 entity_id=row.public_id, after={"policy": row.policy, "amount_fen": row.amount_fen,
                                                 "card": paid.status})
    record_event(session, "subsidies.paid", {"application": row.public_id, "policy": row.policy,
                                             "amount_fen": row.amount_fen})
    registry.notify(session, person_pk=row.person_id, kind="subsidies.paid", title=f"{policy.name}已发放",
                    body=f"您的{policy.name}{schemas.yuan(row.amount_fen)}元已审核通过，{_card_text(paid.status)}。",
                    link="/citizen/subsidies")
    return row


def _card_text(status: str) -> str:
    return "已发放至社会保障卡" if status == "credited" else "暂缓发放（请先启用社会保障卡金融账户）"


def refuse(session: Session, *, actor: Principal, public_id: str, reason: str) -> SubsidyApplication:
    row = get(session, actor=actor, public_id=public_id)
    _may_decide(actor, row)
    if not reason.strip():
        raise DomainError("renshe:subsidies/reason", "请填写不予发放的理由", 422, "输入有误",
                          [FieldError("reason", "renshe:subsidies/reason", "请填写不予发放的理由")])
    return _close(session, actor=actor, row=row, policy=policy_of(row.policy), reason=reason.strip()[:500])


def _close(session: Session, *, actor: Principal, row: SubsidyApplication, policy: rules.Policy,
           reason: str) -> SubsidyApplication:
    row.state, row.grant_key, row.reason = "refused", None, reason[:500]
    row.decided_by, row.decided_at = actor.subject, utcnow()
    session.flush()
    audit.record(session, actor=actor, action="subsidies.refuse", entity_type="subsidy_application",
                 entity_id=row.public_id, after={"policy": row.policy, "reason": row.reason})
    registry.notify(session, person_pk=row.person_id, kind="subsidies.refused", title=f"{policy.name}不予发放",
                    body=f"您的{policy.name}申请不予发放：{row.reason}", link="/citizen/subsidies")
    return row


def mine(session: Session, *, actor: Principal) -> list[SubsidyApplication]:
    person = _citizen(session, actor)
    return list(session.scalars(select(SubsidyApplication).where(SubsidyApplication.person_id == person.id)
                                .order_by(SubsidyApplication.id.desc())))


def worklist(session: Session, *, actor: Principal, state: str | None = None, cursor: str | None = None,
             limit: int = 50) -> tuple[list[SubsidyApplication], str | None]:
    """Applications in the clerk's jurisdiction, newest first, a page at a time."""
    if actor.kind != "staff" or not actor.has("person.read"):
        raise Forbidden("无权查看补贴申请", code="renshe:subsidies/permission")
    limit = max(1, min(limit, 200))
    stmt = select(SubsidyApplication).order_by(SubsidyApplication.id.desc())
    after = paging.decode_cursor(cursor)
    if after:
        stmt = stmt.where(SubsidyApplication.id < after)
    if state:
        stmt = stmt.where(SubsidyApplication.state == state)
    stmt = stmt.where(SubsidyApplication.division_code.startswith(divisions.scope_prefix(actor.division_code)))
    rows = list(session.scalars(stmt.limit(limit + 1)))
    return rows[:limit], paging.encode_cursor(rows[limit - 1].id) if len(rows) > limit else None


def out(row: SubsidyApplication) -> schemas.ApplicationOut:
    return schemas.application_out(row, policy_of(row.policy).name, STATE_LABELS[row.state])


def statistics(session: Session, *, prefix: str, months: list[str]) -> dict[str, Any]:
    """For the supervisor's dashboard, within the division PREFIX: subsidies paid a month (count and fen) over
    MONTHS, and per policy since the first of them."""
    since = datetime.combine(monthly.first_day(months), datetime.min.time(), SHANGHAI)
    row = SubsidyApplication
    where = (row.division_code.startswith(prefix), row.state == "paid", row.decided_at >= since)
    days = session.execute(select(func.date(row.decided_at), func.count(), func.sum(row.amount_fen)).where(*where)
                           .group_by(func.date(row.decided_at))).all()
    per_policy = session.execute(select(row.policy, func.count(), func.sum(row.amount_fen)).where(*where)
                                 .group_by(row.policy).order_by(row.policy)).all()
    return {"paid": monthly.by_month([(d, n) for d, n, _ in days], months),
            "paid_fen": monthly.by_month([(d, f) for d, _, f in days], months),
            "policies": [(str(p), policy_of(str(p)).name if str(p) in policies() else str(p), int(n), int(f or 0))
                         for p, n, f in per_policy]}
