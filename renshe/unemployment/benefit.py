"""The unemployment insurance benefit (失业保险金): eligibility from the insurance records, months by
《失业保险条例》第十七条 with an earlier spell's unused months, the province's monthly amount, the payments
into the social security card and the medical insurance contributions the fund pays meanwhile; stops and
suspensions. The only code that writes benefits, their payments and medical dues (the monthly run in `jobs`
writes the same rows set-based).

Reads the insurance ledger only through its public service (`months_paid_of_type`, `parameter`), the person
and their employment relations through the registry's service, and pays through the card's service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from renshe.card import service as card
from renshe.core import audit, divisions, paging
from renshe.core.auth import SYSTEM, Principal
from renshe.core.errors import Conflict, DomainError, Forbidden, NotFound
from renshe.core.events import record_event
from renshe.core.trace import Step
from renshe.insurance import parameters
from renshe.insurance import service as insurance
from renshe.registry import service as registry
from renshe.unemployment import codes, policy, registration, rules
from renshe.unemployment.models import BenefitPaymentRow, MedicalContribution, UnemploymentBenefit

UNEMPLOYMENT_INSURANCE = "210"
LEDGER_SOURCE = "个人权益记录（本省社会保险经办系统：失业保险费已足额到账的月份，含历史缴费记录）"
MEDICAL_SOURCE = ("《中华人民共和国社会保险法》第四十八条：失业人员在领取失业保险金期间，参加职工基本医疗保险，"
                  "应当缴纳的基本医疗保险费从失业保险基金中支付，个人不缴纳")
LINK = registration.LINK


def _fail(rule: str, field_name: str, message: str) -> rules.UnemploymentRuleError:
    return rules.UnemploymentRuleError(rule, field_name, message)


def province_of(person: registry.Person) -> str:
    return parameters.province_of(person.residence_division)


def _money(session: Session, *, province: str, key: str, on: date) -> tuple[int, parameters.Value]:
    found = parameters.lookup(session, province=province, key=key, on=on)
    return int(found.decimal * 100), found


@dataclass(frozen=True)
class Decision:
    """What an approval decides on: months (with the carry-over), the monthly amount and the medical
    contribution, each with its trace and the parameter versions used."""

    contribution_months: int
    carried_months: int
    months: int
    monthly_fen: int
    medical_fen: int
    start_month: date
    trace: list[Step]
    parameters: list[dict[str, Any]]


def earlier_unused(session: Session, *, person_id: int) -> tuple[int, date | None]:
    """The months due but not drawn in the person's last spell (应领而未领), and when that spell ended;
    a spell still in payment or suspended is not earlier."""
    last = session.scalar(select(UnemploymentBenefit).where(
        UnemploymentBenefit.person_id == person_id, UnemploymentBenefit.status.in_(("stopped", "ended")))
        .order_by(UnemploymentBenefit.id.desc()).limit(1))
    if last is None:
        return 0, None
    paid = session.scalar(select(func.count()).select_from(BenefitPaymentRow)
                          .where(BenefitPaymentRow.benefit_id == last.id)) or 0
    return max(0, last.months - int(paid)), last.stopped_on or last.end_month


def check_separation(session: Session, *, person: registry.Person, separation_date: date, separation_reason: str,
                     today: date) -> None:
    """The separation's conditions: not in the future, involuntary, reported ended by the employer (no open
    employment relation), and no benefit already in payment."""
    if separation_date > today:
        raise _fail("separation-in-future", "separation_date",
                    f"终止或解除劳动关系日期{separation_date.isoformat()}晚于今天，请在劳动关系终止后再申请")
    if separation_reason not in codes.INVOLUNTARY:
        raise _fail("voluntary-separation", "separation_reason",
                    "非因本人意愿中断就业的，才能领取失业保险金（本人主动辞职的不符合条件）")
    jobs = registration.open_employments(session, person=person)
    if jobs:
        names = "、".join(r.employer.name for r in jobs)
        raise _fail("open-employment", "former_employer",
                    f"您与{names}的劳动关系尚未终止（单位尚未报告解除或终止劳动关系），不能申领失业保险金")
    current = session.scalar(select(UnemploymentBenefit).where(UnemploymentBenefit.open_key == person.id))
    if current is not None:
        raise _fail("benefit-in-payment", "separation_date",
                    f"您正在领取失业保险金（{codes.BENEFIT_STATUS[current.status]}），不能重复申领")


def check_claim(session: Session, *, person: registry.Person, separation_date: date, separation_reason: str,
                today: date) -> Decision:
    """The claim's conditions (《失业保险条例》第十四条), then the months and the amount. A broken rule comes back
    as `renshe:unemployment/<rule>` beside the form field it concerns."""
    check_separation(session, person=person, separation_date=separation_date, separation_reason=separation_reason,
                     today=today)
    unused, earlier_end = earlier_unused(session, person_id=person.id)
    paid = insurance.months_paid_of_type(session, person_id=person.id, insurance_type=UNEMPLOYMENT_INSURANCE,
                                         on=today)
    if earlier_end is not None:  # 重新就业后再次失业的，缴费时间重新计算 (art. 17)
        paid = [m for m in paid if m > earlier_end]
    counted = [m for m in paid if m <= separation_date]
    found = rules.benefit_months(contribution_months=min(len(counted), rules.MAX_CONTRIBUTION_MONTHS),
                                 unused_months=min(unused, rules.CAP_MONTHS))
    if found.entitled_months == 0:
        raise _fail("contribution-months", "former_employer",
                    f"失业前失业保险累计缴费{len(counted)}个月，不足12个月（满一年），不能领取失业保险金"
                    f"（{rules.SOURCE}第十四条）")
    province = province_of(person)
    start = rules.month_start(today)
    amount_fen, amount = _money(session, province=province, key="unemployment.benefit_monthly", on=start)
    wage_fen, wage = _money(session, province=province, key="minimum_wage", on=start)
    line_fen, line = _money(session, province=province, key="subsistence_line", on=start)
    try:
        monthly = rules.monthly_amount(amount_fen=amount_fen, subsistence_fen=line_fen, minimum_wage_fen=wage_fen,
                                       province=parameters.province_name(province),
                                       sources={"amount": f"{amount.source}（{amount.effective_from.isoformat()}起）"})
    except DomainError as exc:
        raise DomainError("renshe:unemployment/amount-configuration",
                          f"{parameters.province_name(province)}的失业保险金标准配置不符合规定：{exc.detail}，"
                          "请由管理员在参数管理中更正", 409, "参数配置有误") from None
    medical_fen, medical = _money(session, province=province, key="unemployment.medical_monthly", on=start)
    ledger = Step("ledger_months", "失业保险累计缴费月数（个人权益记录）",
                  "失业前已足额到账的失业保险缴费月数" + ("（前次领取后重新计算）" if earlier_end else ""),
                  {"separation_date": separation_date.isoformat(),
                   "first": counted[0].isoformat()[:7] if counted else "", "last": counted[-1].isoformat()[:7]
                   if counted else ""}, str(len(counted)), LEDGER_SOURCE)
    medical_step = Step("medical", "代缴职工基本医疗保险费（每月）", "由失业保险基金按月代缴，个人不缴纳",
                        {"parameter_id": str(medical.id)}, rules._yuan(medical_fen), MEDICAL_SOURCE)
    trace = [ledger, *found.trace, *monthly.trace, medical_step]
    return Decision(len(counted), found.months - found.entitled_months, found.months, monthly.monthly_fen,
                    medical_fen, start, trace, [v.trace() for v in (amount, wage, line, medical)])


def grant(session: Session, *, actor: Principal, person: registry.Person, decision: Decision,
          separation_date: date, separation_reason: str, former_employer: str | None,
          application_number: str | None, today: date) -> UnemploymentBenefit:
    """Freeze an approved claim into a benefit (失业保险金核定); register the person as unemployed if they are
    not yet (the claim counts as the registration); pay the first month into the card now."""
    if not policy.can(actor, "grant", division_code=person.residence_division):
        raise Forbidden("无权核定失业保险金", code="renshe:unemployment/permission")
    reg = registration.open_of(session, person_id=person.id)
    if reg is None:
        reg = registration.register(session, actor=SYSTEM, person=person, data=registration.NewRegistration(
            place="residence", division_code=person.residence_division, channel="benefit", registered_on=today,
            job_intention="求职（随失业保险金申领一并登记）", separation_date=separation_date,
            former_employer=former_employer, application_number=application_number))
    benefit = UnemploymentBenefit(
        person_id=person.id, person_public_id=person.public_id, person_name=person.name,
        id_number_masked=person.id_number_masked, division_code=person.residence_division,
        province=province_of(person), registration_id=reg.id, application_number=application_number,
        separation_date=separation_date, separation_reason=separation_reason,
        contribution_months=decision.contribution_months, carried_months=decision.carried_months,
        months=decision.months, monthly_fen=decision.monthly_fen, medical_fen=decision.medical_fen,
        start_month=decision.start_month, end_month=rules.add_months(decision.start_month, decision.months - 1),
        first_payment_on=today, trace=[s.as_dict() for s in decision.trace], parameters=decision.parameters,
        status="in_payment", open_key=person.id, granted_by=actor.subject)
    try:
        with session.begin_nested():
            session.add(benefit)
            session.flush()
    except IntegrityError:
        raise Conflict("该人员正在领取失业保险金，不能重复核定",
                       code="renshe:unemployment/benefit-in-payment") from None
    audit.record(session, actor=actor, action="unemployment.benefit.grant", entity_type="person",
                 entity_id=person.public_id, after={"benefit": benefit.public_id, "months": benefit.months,
                                                    "monthly_fen": benefit.monthly_fen,
                                                    "application": application_number})
    record_event(session, "unemployment.benefit_granted", {
        "benefit": benefit.public_id, "person": person.public_id, "months": benefit.months,
        "monthly_fen": benefit.monthly_fen, "start_month": f"{benefit.start_month:%Y-%m}"})
    pay_month(session, benefit=benefit, month=benefit.start_month, actor=SYSTEM)
    registry.notify(session, person_pk=person.id, kind="unemployment.benefit_granted", title="失业保险金已核定",
                    body=f"【人社服务】您的失业保险金已核定：共{benefit.months}个月，每月"
                         f"{rules._yuan(benefit.monthly_fen)}元，首月已于{today:%Y年%m月%d日}发放至社会保障卡，"
                         "领取期间的职工医疗保险费由失业保险基金代缴。", link=LINK)
    return benefit


def _medical_trace(benefit: UnemploymentBenefit, month: date) -> list[dict[str, Any]]:
    return [Step("medical", "代缴职工基本医疗保险费", "核定时确定的月代缴额",
                 {"benefit": benefit.public_id, "month": f"{month:%Y-%m}"}, rules._yuan(benefit.medical_fen),
                 MEDICAL_SOURCE).as_dict()]


def reference_of(benefit_public_id: str, month: date) -> str:
    return f"unemployment:{benefit_public_id}:{month:%Y-%m}"


def pay_month(session: Session, *, benefit: UnemploymentBenefit, month: date,
              actor: Principal) -> BenefitPaymentRow | None:
    """Pay one month of a benefit into the card, once, with the month's medical contribution due from the fund.
    None when nothing is due (not in payment, outside the period)."""
    existing = session.scalar(select(BenefitPaymentRow).where(
        BenefitPaymentRow.benefit_id == benefit.id, BenefitPaymentRow.month == month))
    if existing is not None:
        return existing
    if benefit.status != "in_payment" or not benefit.start_month <= month <= benefit.end_month:
        return None
    person = registry.person_by_pk(session, benefit.person_id)
    if person is None:
        raise NotFound("领取失业保险金的人员", code="renshe:unemployment/person-not-found")
    reference = reference_of(benefit.public_id, month)
    card.credit_benefit(session, actor=actor, person=person, programme="unemployment", amount_fen=benefit.monthly_fen,
                        period=f"{month:%Y-%m}", reference=reference, description=f"失业保险金（{month:%Y年%m月}）")
    payment = BenefitPaymentRow(benefit_id=benefit.id, person_id=benefit.person_id, month=month,
                                amount_fen=benefit.monthly_fen, reference=reference, paid_by=actor.subject)
    session.add(payment)
    if benefit.medical_fen > 0:
        session.add(MedicalContribution(benefit_id=benefit.id, person_id=benefit.person_id, month=month,
                                        amount_fen=benefit.medical_fen, trace=_medical_trace(benefit, month)))
    if month == benefit.end_month:  # the last month paid: the benefit ends (期满)
        benefit.status = "ended"
        benefit.open_key = None
    session.flush()
    return payment


def _change(session: Session, *, actor: Principal, benefit: UnemploymentBenefit, action: str, to: str,
            reason: str, on: date, note: str | None, labels: dict[str, str]) -> UnemploymentBenefit:
    if not policy.can(actor, action, division_code=benefit.division_code):
        raise Forbidden("无权变更该失业保险金的发放", code="renshe:unemployment/permission")
    if reason not in labels:
        raise _fail(f"{action}-reason", "reason", "请按规定的原因选择")
    note = (note or "").strip() or None
    if reason == "other" and not note:
        raise _fail(f"{action}-note", "note", "原因为“其他”的，请写明具体情况")
    before = benefit.status
    benefit.status = to
    benefit.stop_reason = reason
    benefit.stop_note = note[:300] if note else None
    benefit.stopped_on = on
    benefit.stopped_by = actor.subject
    if to == "stopped":
        benefit.open_key = None
    session.flush()
    audit.record(session, actor=actor, action=f"unemployment.benefit.{action}", entity_type="person",
                 entity_id=benefit.person_public_id, before={"status": before},
                 after={"benefit": benefit.public_id, "status": to, "reason": reason, "on": on.isoformat(),
                        "note": benefit.stop_note})
    record_event(session, f"unemployment.benefit_{to}", {"benefit": benefit.public_id,
                                                         "person": benefit.person_public_id, "reason": reason})
    word = "停止发放" if to == "stopped" else "暂停发放"
    registry.notify(session, person_pk=benefit.person_id, kind=f"unemployment.benefit_{to}",
                    title=f"您的失业保险金已{word}",
                    body=f"【人社服务】自{on:%Y年%m月%d日}起，您的失业保险金{word}，原因：{labels[reason]}。"
                         "如有疑问请联系经办机构或拨打12333。", link=LINK)
    return benefit


def stop(session: Session, *, actor: Principal, benefit: UnemploymentBenefit, reason: str, on: date,
         note: str | None = None) -> UnemploymentBenefit:
    """Stop paying (停止领取失业保险金, 条例第十五条): months from the stop are not paid; the months left are kept
    for a later spell (应领而未领)."""
    if benefit.status in ("stopped", "ended"):
        raise Conflict("该失业保险金已停发或期满", code="renshe:unemployment/benefit-closed")
    return _change(session, actor=actor, benefit=benefit, action="stop", to="stopped", reason=reason, on=on,
                   note=note, labels=codes.STOP_REASONS)


def suspend(session: Session, *, actor: Principal, benefit: UnemploymentBenefit, reason: str, on: date,
            note: str | None = None) -> UnemploymentBenefit:
    """Suspend paying (暂停发放); a resume pays the months left from the month of the resume."""
    if benefit.status != "in_payment":
        raise Conflict("只有发放中的失业保险金可以暂停", code="renshe:unemployment/benefit-not-in-payment")
    return _change(session, actor=actor, benefit=benefit, action="suspend", to="suspended", reason=reason, on=on,
                   note=note, labels=codes.SUSPEND_REASONS)


def paid_months(session: Session, *, benefit_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(BenefitPaymentRow)
                              .where(BenefitPaymentRow.benefit_id == benefit_id)) or 0)


def resume(session: Session, *, actor: Principal, benefit: UnemploymentBenefit, on: date) -> UnemploymentBenefit:
    """Resume a suspended benefit: the months not yet paid run from the month of the resume."""
    if not policy.can(actor, "suspend", division_code=benefit.division_code):
        raise Forbidden("无权变更该失业保险金的发放", code="renshe:unemployment/permission")
    if benefit.status != "suspended":
        raise Conflict("只有暂停发放的失业保险金可以恢复", code="renshe:unemployment/benefit-not-suspended")
    left = benefit.months - paid_months(session, benefit_id=benefit.id)
    start = rules.month_start(on)
    benefit.status = "in_payment"
    benefit.end_month = rules.add_months(start, left - 1) if left > 0 else benefit.end_month
    benefit.stop_reason = benefit.stop_note = benefit.stopped_on = benefit.stopped_by = None
    session.flush()
    audit.record(session, actor=actor, action="unemployment.benefit.resume", entity_type="person",
                 entity_id=benefit.person_public_id, before={"status": "suspended"},
                 after={"benefit": benefit.public_id, "end_month": f"{benefit.end_month:%Y-%m}", "months_left": left})
    registry.notify(session, person_pk=benefit.person_id, kind="unemployment.benefit_resumed",
                    title="您的失业保险金已恢复发放",
                    body=f"【人社服务】您的失业保险金自{start:%Y年%m月}起恢复发放，尚余{left}个月。", link=LINK)
    return benefit


def stop_person(session: Session, *, person_id: int, reason: str, on: date) -> bool:
    """The automatic stop (an employer's hire, a pension award): the person's benefit in payment or suspended."""
    benefit = session.scalar(select(UnemploymentBenefit).where(UnemploymentBenefit.open_key == person_id))
    if benefit is None:
        return False
    stop(session, actor=SYSTEM, benefit=benefit, reason=reason, on=on,
         note="由系统根据" + ("单位用工登记" if reason == "reemployed" else "养老保险待遇核定") + "自动停发")
    return True


def get(session: Session, *, actor: Principal, public_id: str) -> UnemploymentBenefit:
    row = session.scalar(select(UnemploymentBenefit).where(UnemploymentBenefit.public_id == public_id))
    if row is None or not policy.can(actor, "read", division_code=row.division_code,
                                     person_public_id=row.person_public_id):
        raise NotFound("该失业保险金核定记录", code="renshe:unemployment/benefit-not-found")
    return row


def benefits_of(session: Session, *, person_id: int) -> list[UnemploymentBenefit]:
    return list(session.scalars(select(UnemploymentBenefit).where(UnemploymentBenefit.person_id == person_id)
                                .order_by(UnemploymentBenefit.id.desc())))


def benefits(session: Session, *, actor: Principal, status: str | None = None, limit: int = 20,
             cursor: str | None = None) -> tuple[list[UnemploymentBenefit], str | None]:
    """Benefits in the caller's jurisdiction, a page at a time."""
    if actor.kind not in ("staff", "system") or not actor.has("person.read"):
        raise Forbidden("无权查看失业保险金核定记录", code="renshe:unemployment/permission")
    limit = max(1, min(limit, 200))
    stmt = select(UnemploymentBenefit).where(UnemploymentBenefit.id > paging.decode_cursor(cursor))
    if status:
        if status not in codes.BENEFIT_STATUS:
            raise _fail("status", "status", "状态应为 in_payment、suspended、stopped 或 ended")
        stmt = stmt.where(UnemploymentBenefit.status == status)
    if actor.kind == "staff":
        stmt = stmt.where(UnemploymentBenefit.division_code.startswith(divisions.scope_prefix(actor.division_code)))
    rows = list(session.scalars(stmt.order_by(UnemploymentBenefit.id).limit(limit + 1)))
    return rows[:limit], paging.encode_cursor(rows[limit - 1].id) if len(rows) > limit else None


def payments_of(session: Session, *, benefit: UnemploymentBenefit, limit: int = 50,
                cursor: str | None = None) -> tuple[list[BenefitPaymentRow], str | None]:
    limit = max(1, min(limit, 200))
    rows = list(session.scalars(select(BenefitPaymentRow).where(
        BenefitPaymentRow.benefit_id == benefit.id, BenefitPaymentRow.id > paging.decode_cursor(cursor))
        .order_by(BenefitPaymentRow.id).limit(limit + 1)))
    return rows[:limit], paging.encode_cursor(rows[limit - 1].id) if len(rows) > limit else None


def medical_of(session: Session, *, benefit: UnemploymentBenefit) -> list[MedicalContribution]:
    return list(session.scalars(select(MedicalContribution).where(MedicalContribution.benefit_id == benefit.id)
                                .order_by(MedicalContribution.month)))
