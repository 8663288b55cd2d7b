"""The pension of a person from the insurance ledger (按个人权益记录测算): the statutory (or requested
flexible) retirement month from the person's birth, the province's parameters in force on that month,
and the ledger's months, average contribution index and account balance, through `rules.benefit`.

Reads the insurance ledger only through its public functions (`accounts`, `parameters`, `service`) and
the person through the registry's service. Estimates are computed, never stored; the approval of a
retirement through the hall (`claim_month`, `check_retirement`, then `grant_award`) freezes what it
decided on into an award, and pays each month into the social security card once (`pay_month`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.card import service as card
from renshe.core import audit, crypto, divisions, messages, paging
from renshe.core.auth import SYSTEM, Principal
from renshe.core.errors import Conflict, DomainError, Forbidden, NotFound, Unauthorized
from renshe.core.events import record_event
from renshe.core.settings import get_settings
from renshe.core.trace import Step, StepOut, show
from renshe.insurance import accounts, parameters
from renshe.insurance import service as insurance
from renshe.pension import policy, rules, schemas
from renshe.pension.models import PensionAdjustment, PensionAward, PensionPayment
from renshe.registry import service as registry

LEDGER_SOURCE = "个人权益记录（本省社会保险经办系统：已到账并记入个人账户的缴费）"
LUMP_SUM_BEFORE = date(2011, 7, 1)  # 社会保险法施行前参保 (人社部令第13号第二条)
TABLE_KEYS = {"divisor_table": "divisor", "minimum_months_schedule": "minimum",
              "transitional_coefficient": "transitional"}


class PersonLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def sex(self) -> str: ...  # GB/T 2261.1: 1 male, 2 female
    @property
    def birth_date(self) -> date: ...


def parameters_for(session: Session, *, province: str, on: date) -> rules.PensionParameters:
    """The pension parameters in force in `province` on `on`: the national defaults with the province's
    (or the national store's) divisor table, minimum-months schedule and transitional coefficient."""
    found = {key: parameters.find(session, province=province, key=key, on=on) for key in TABLE_KEYS}
    sources = {TABLE_KEYS[key]: f"{value.source}（{parameters.province_name(value.province)}，"
                                f"{value.effective_from.isoformat()}起施行）"
               for key, value in found.items() if value is not None}
    divisor_value, minimum_value, coefficient_value = (found[key] for key in TABLE_KEYS)
    return rules.with_overrides(
        rules.national(), name=province,
        divisors=divisor_value.value if divisor_value is not None else None,
        minimum_schedule=minimum_value.value if minimum_value is not None else None,
        transitional_coefficient=coefficient_value.value if coefficient_value is not None else None,
        sources=sources)


@dataclass(frozen=True)
class PersonEstimate:
    statutory: rules.RetirementAge
    retirement_month: rules.Month
    age: rules.Age
    kind: str  # statutory | early | late
    months: int  # paid months from the ledger plus deemed months
    deemed_months: int
    index: Decimal
    balance: Decimal
    average_wage: Decimal
    minimum_months: int
    benefit: rules.Benefit
    trace: list[Step]

    @property
    def minimum_met(self) -> bool:
        return self.months >= self.minimum_months


def estimate(session: Session, *, person: PersonLike, province: str, original_age: int | None = None,
             requested_month: rules.Month | None = None, employer_agrees: bool = False,
             deemed_months: int | None = None) -> PersonEstimate:
    """The person's monthly pension if they retired in the statutory month (or `requested_month`, checked
    against the flexible-retirement rules), from their ledger as it stands today. The deemed months are the
    ledger's (视同缴费年限 recognised there) unless `deemed_months` is given (a what-if)."""
    if deemed_months is None:
        deemed_months = accounts.deemed_months(session, person_id=person.id)
    if deemed_months < 0:
        raise rules.PensionRuleError("deemed-months", "deemed_months", "视同缴费月数不能为负数")
    sex = {"1": "male", "2": "female"}.get(person.sex)
    if sex is None:
        raise rules.PensionRuleError("sex", "sex", "人员基础信息中的性别不明，无法确定法定退休年龄")
    birth = rules.Month(person.birth_date.year, person.birth_date.month)
    draft = rules.retirement_age(birth=birth, sex=sex, original_age=original_age)
    on = date((requested_month or draft.retirement_month).year, (requested_month or draft.retirement_month).month, 1)
    params = parameters_for(session, province=province, on=on)
    statutory = rules.retirement_age(birth=birth, sex=sex, original_age=original_age, params=params)
    paid = accounts.months_contributed(session, person_id=person.id)
    months = paid + deemed_months
    month, kind = statutory.retirement_month, "statutory"
    if requested_month is not None:
        chosen = rules.flexible_retirement(birth=birth, sex=sex, original_age=original_age,
                                           requested=requested_month, contribution_months=months,
                                           employer_agrees=employer_agrees, params=params)
        month, kind = chosen.month, chosen.kind
    if paid == 0:
        raise DomainError("renshe:pension/no-contributions",
                          "个人权益记录中还没有已到账的养老保险缴费，暂时无法测算", 422, "无法测算")
    index = accounts.average_contribution_index(session, person_id=person.id, province=province)
    if index is None:
        raise DomainError("renshe:pension/no-average-wage",
                          "缺少缴费年度的社会平均工资参数，无法计算平均缴费指数", 422, "无法测算")
    wage = parameters.lookup(session, province=province, key="average_wage", on=on)
    balance = Decimal(accounts.balance_fen(session, person_id=person.id)) / 100
    age = rules.Age(month.index - birth.index)
    found = rules.benefit(average_wage=wage.decimal, index=index, contribution_months=months, account_balance=balance,
                          age=age, deemed_months=deemed_months, params=params)
    minimum = rules.minimum_contribution_months(month.year, params=params)
    ledger = [
        Step("ledger_months", "已缴费月数（个人权益记录）", "已到账并记账的缴费月数（含历史数据入库的月份）", {},
             str(paid), LEDGER_SOURCE),
        Step("ledger_deemed", "视同缴费月数", "个人权益记录中认定的视同缴费年限（或测算时填写的月数）", {},
             str(deemed_months), LEDGER_SOURCE),
        Step("ledger_index", "本人平均缴费指数（个人权益记录）", "各年月平均缴费基数 ÷ 当年社会平均工资 的平均值", {},
             show(index), LEDGER_SOURCE),
        Step("ledger_balance", "个人账户储存额（个人权益记录）", "截至今日的储存额，未预测今后的缴费和利息", {},
             str(rules.money(balance)), LEDGER_SOURCE),
        Step("average_wage_parameter", "计发基数（全省月平均工资）", "退休当月适用的参数",
             {"on": on.isoformat(), "province": parameters.province_name(wage.province)}, show(wage.decimal),
             f"{wage.source}（{wage.effective_from.isoformat()}起施行）"),
        Step("minimum_met", "最低缴费年限", "累计缴费月数（含视同）≥ 最低缴费月数",
             {"months": str(months), "minimum": str(minimum)}, "已达到" if months >= minimum else "未达到",
             params.source("minimum")),
    ]
    return PersonEstimate(statutory, month, age, kind, months, deemed_months, index, balance, wage.decimal, minimum,
                          found, [*statutory.trace, *ledger, *found.trace])


def citizen_estimate(session: Session, *, actor: Principal, query: schemas.EstimateQuery) -> PersonEstimate:
    """The signed-in citizen's own estimate, in this deployment's province."""
    if actor.kind != "citizen":
        raise Unauthorized("请使用个人入口登录", code="renshe:auth/wrong-entrance")
    person = registry.get_person(session, actor=actor, public_id=actor.subject)
    return estimate(session, person=person, province=get_settings().province_code, original_age=query.original_age,
                    requested_month=query.requested_month, employer_agrees=query.employer_agrees,
                    deemed_months=query.deemed_months or None)


def estimate_out(found: PersonEstimate) -> schemas.EstimateOut:
    return schemas.EstimateOut(
        retirement_month=str(found.retirement_month), age=str(found.age), age_label=found.age.label, kind=found.kind,
        kind_label=rules.FLEXIBLE_KINDS[found.kind], statutory_age=str(found.statutory.age),
        statutory_month=str(found.statutory.retirement_month), months=found.months,
        deemed_months=found.deemed_months, minimum_contribution_months=found.minimum_months,
        minimum_met=found.minimum_met, index=show(found.index), account_balance=str(rules.money(found.balance)),
        average_wage=str(rules.money(found.average_wage)), basic=str(found.benefit.basic),
        account=str(found.benefit.account), transitional=str(found.benefit.transitional),
        total=str(found.benefit.total), divisor=str(found.benefit.divisor),
        trace=[StepOut.of(step) for step in found.trace])


def check_retirement(session: Session, *, person: PersonLike, province: str, month: rules.Month,
                     original_age: int | None = None, employer_agrees: bool = False,
                     deemed_months: int | None = None) -> PersonEstimate:
    """The checks of a retirement claim (退休申请) for `month`, then its amount and trace: refused before the
    statutory month unless the flexible-early rules allow it, after it beyond the flexible-late rules, and
    when the minimum contribution months are not met (the claimant may keep paying or pay the rest at once).
    The hall's approval calls this and freezes the result."""
    found = estimate(session, person=person, province=province, original_age=original_age, requested_month=month,
                     employer_agrees=employer_agrees, deemed_months=deemed_months)
    if not found.minimum_met:
        short = found.minimum_months - found.months
        options = ["继续缴费（可按灵活就业人员身份缴费）至满足最低缴费年限后办理"]
        since = insurance.insured_since(session, person_id=person.id)
        if since is not None and since < LUMP_SUM_BEFORE:
            options.append("2011年7月1日前参保的，可延长缴费五年后仍不足的，一次性缴费补足（人社部令第13号第二条）")
        options.append("转入城乡居民基本养老保险，按城乡居民养老保险规定享受待遇（人社部发〔2014〕17号）")
        options.append("书面申请终止基本养老保险关系，个人账户储存额一次性支付给本人")
        raise rules.PensionRuleError(
            "minimum-months", "months",
            f"累计缴费{found.months}个月（含视同），{month.year}年退休须满{found.minimum_months}个月，还差{short}个月"
            f"（{params_source(found)}）。可选择：" + "；".join(f"{n}. {o}" for n, o in enumerate(options, 1)))
    return found


def params_source(found: PersonEstimate) -> str:
    step = next((s for s in found.trace if s.name == "minimum_met"), None)
    return step.source if step is not None and step.source else "最低缴费年限规定"


# ---------------------------------------------------------------- the retirement claim through the hall

MODES = {"statutory", "early", "late"}
ORIGINAL_AGES = {"male": 60, "female_cadre": 55, "female_worker": 50}


def claim_month(session: Session, *, person: PersonLike, province: str, mode: str, requested: date,
                original_age: int | None = None) -> rules.Month:
    """The retirement month a claim (退休申请) asks for: the statutory month when retiring at the statutory
    age (a date before it is refused naming the rule and the month), the requested month for a flexible
    early or late retirement (the flexible rules are checked by `check_retirement`)."""
    if mode not in MODES:
        raise rules.PensionRuleError("retirement-mode", "retirement_mode",
                                     "退休类型应为按法定退休年龄、弹性提前或弹性延迟")
    sex = {"1": "male", "2": "female"}.get(person.sex)
    if sex is None:
        raise rules.PensionRuleError("sex", "sex", "人员基础信息中的性别不明，无法确定法定退休年龄")
    birth = rules.Month(person.birth_date.year, person.birth_date.month)
    draft = rules.retirement_age(birth=birth, sex=sex, original_age=original_age)
    on = date(draft.retirement_month.year, draft.retirement_month.month, 1)
    statutory = rules.retirement_age(birth=birth, sex=sex, original_age=original_age,
                                     params=parameters_for(session, province=province, on=on))
    month = rules.Month(requested.year, requested.month)
    due = statutory.retirement_month
    if mode == "statutory" and month < due:
        raise rules.PensionRuleError(
            "before-statutory-month", "retirement_date",
            f"尚未达到法定退休年龄：按《全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄的决定》，"
            f"您的法定退休年龄为{statutory.age.label}，法定退休月份为{due}，申请的{month}早于该月份。"
            "符合条件的可选择“弹性提前退休”（最多提前3年，且不低于原法定退休年龄）")
    if mode == "early" and month >= due:
        raise rules.PensionRuleError("flexible-early-month", "retirement_date",
                                     f"弹性提前退休的月份应早于法定退休月份{due}")
    if mode == "late" and month <= due:
        raise rules.PensionRuleError("flexible-late-month", "retirement_date",
                                     f"弹性延迟退休的月份应晚于法定退休月份{due}")
    return due if mode == "statutory" else month


# ---------------------------------------------------------------- the award and its payments

def _fen(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


def month_start(month: rules.Month) -> date:
    return date(month.year, month.month, 1)


def next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def month_text(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _parameter_versions(session: Session, *, province: str, on: date) -> list[dict[str, Any]]:
    """Each parameter the award used, with its value, source and version (parameter id and date of effect)."""
    used: list[dict[str, Any]] = []
    for key in ("average_wage", *TABLE_KEYS):
        found = parameters.find(session, province=province, key=key, on=on)
        if found is not None:
            used.append(found.trace())
    national = rules.national()
    for key, label in (("retirement", "法定退休年龄规则"), ("flexible", "弹性退休规则"),
                       ("basic", "基础养老金计发办法"), ("divisor", "计发月数表（全国默认）"),
                       ("transitional", "过渡性养老金（全国默认系数）")):
        used.append({"parameter": f"national.{key}", "label": label, "value": None, "province": "000000",
                     "effective_from": None, "source": national.source(key), "parameter_id": None,
                     "version": "renshe/pension/data/national.json"})
    return used


def grant_award(session: Session, *, actor: Principal, person: Any, province: str, found: PersonEstimate,
                application_number: str | None, today: date) -> PensionAward:
    """Freeze an approved retirement into an award (基本养老金核定): components in fen, the trace, the
    parameter versions; close the person's pension insurance relations (减员：退休); pay the first month
    into the card when it has begun."""
    if not policy.can(actor, "award.grant", division_code=person.residence_division):
        raise Forbidden("无权核定养老金", code="renshe:pension/award-permission")
    if session.scalar(select(PensionAward.id).where(PensionAward.person_id == person.id)) is not None:
        raise Conflict("该人员已核定基本养老金，不能重复核定", code="renshe:pension/already-awarded")
    retired = month_start(found.retirement_month)
    benefit = found.benefit
    award = PensionAward(
        person_id=person.id, person_public_id=person.public_id, person_name=person.name,
        id_number_masked=person.id_number_masked, division_code=person.residence_division, province=province,
        application_number=application_number, birth_month=f"{person.birth_date:%Y-%m}", retirement_month=retired,
        start_month=next_month(retired), kind=found.kind, age=str(found.age), months=found.months,
        deemed_months=found.deemed_months, basic_fen=_fen(benefit.basic), account_fen=_fen(benefit.account),
        transitional_fen=_fen(benefit.transitional), awarded_fen=_fen(benefit.total), monthly_fen=_fen(benefit.total),
        trace=[step.as_dict() for step in found.trace],
        parameters=_parameter_versions(session, province=province, on=retired), status="in_payment",
        granted_by=actor.subject)
    session.add(award)
    session.flush()
    end = date.fromordinal(next_month(retired).toordinal() - 1)
    closed = insurance.retire_relations(session, actor=SYSTEM, person_id=person.id, on=end)
    audit.record(session, actor=actor, action="pension.award", entity_type="person", entity_id=person.public_id,
                 after={"award": award.public_id, "application": application_number, "monthly_fen": award.monthly_fen,
                        "retirement_month": month_text(retired), "relations_closed": closed})
    record_event(session, "pension.awarded", {"award": award.public_id, "person": person.public_id,
                                              "province": province, "start_month": month_text(award.start_month),
                                              "monthly_fen": award.monthly_fen})
    if award.start_month <= today:
        pay_month(session, award=award, month=award.start_month, actor=SYSTEM)
    _notify(session, person, f"【人社服务】您的基本养老金已核定：每月{award.monthly_fen / 100:.2f}元，自"
                             f"{award.start_month:%Y年%m月}起按月发放至社会保障卡。详情请登录“个人服务—我的养老金”查看。")
    return award


def _notify(session: Session, person: Any, body: str) -> None:
    if getattr(person, "phone_encrypted", None):
        phone = crypto.cipher().decrypt(person.phone_encrypted, purpose=registry.PHONE_PURPOSE)
        messages.send(session, phone=phone, body=body, purpose="pension_award")


def amount_for(session: Session, *, award: PensionAward, month: date) -> int:
    """The monthly amount in force for `month`: the award plus every adjustment effective by then."""
    increase = session.scalar(select(func.coalesce(func.sum(PensionAdjustment.increase_fen), 0)).where(
        PensionAdjustment.award_id == award.id, PensionAdjustment.effective_from <= month))
    return award.awarded_fen + int(increase or 0)


def pay_month(session: Session, *, award: PensionAward, month: date, actor: Principal,
              kind: str = "monthly", amount_fen: int | None = None, label: str = "基本养老金") -> PensionPayment | None:
    """Pay one month of an award into the card (养老金进卡), once: the same award, month and kind is paid
    once (the card payment's reference is the same too). None when nothing is due (suspended, not begun)."""
    existing = session.scalar(select(PensionPayment).where(
        PensionPayment.award_id == award.id, PensionPayment.month == month, PensionPayment.kind == kind))
    if existing is not None:
        return existing
    if award.status != "in_payment" or month < award.start_month:
        return None
    amount = amount_for(session, award=award, month=month) if amount_fen is None else amount_fen
    if amount <= 0:
        return None
    person = registry.person_by_pk(session, award.person_id)
    if person is None:
        raise NotFound("领取养老金的人员", code="renshe:pension/person-not-found")
    reference = f"pension-{kind}:{award.public_id}:{month_text(month)}"
    paid, _ = card.credit_benefit(session, actor=actor, person=person, programme="pension", amount_fen=amount,
                                  period=month_text(month), reference=reference,
                                  description=f"{label}（{month:%Y年%m月}）")
    payment = PensionPayment(award_id=award.id, month=month, kind=kind, amount_fen=amount, reference=reference,
                             card_status=paid.status, card_payment=paid.public_id, paid_by=actor.subject)
    session.add(payment)
    session.flush()
    return payment


def award_of(session: Session, *, actor: Principal, person_public_id: str) -> PensionAward | None:
    """The person's award, for the person themself or staff in jurisdiction."""
    award = session.scalar(select(PensionAward).where(PensionAward.person_public_id == person_public_id))
    if award is not None and not policy.can(actor, "award.read", division_code=award.division_code,
                                            person_public_id=award.person_public_id):
        raise NotFound("该养老金核定记录", code="renshe:pension/award-not-found")
    return award


def get_award(session: Session, *, actor: Principal, public_id: str) -> PensionAward:
    award = session.scalar(select(PensionAward).where(PensionAward.public_id == public_id))
    if award is None or not policy.can(actor, "award.read", division_code=award.division_code,
                                       person_public_id=award.person_public_id):
        raise NotFound("该养老金核定记录", code="renshe:pension/award-not-found")
    return award


def awards(session: Session, *, actor: Principal, limit: int = 50,
           cursor: str | None = None) -> tuple[list[PensionAward], str | None]:
    """Awards in the caller's jurisdiction, a page at a time."""
    if actor.kind not in ("staff", "system") or not actor.has("person.read"):
        raise Forbidden("无权查看养老金核定记录", code="renshe:pension/award-permission")
    limit = max(1, min(limit, 200))
    stmt = select(PensionAward).where(PensionAward.id > paging.decode_cursor(cursor))
    if actor.kind == "staff":
        stmt = stmt.where(PensionAward.division_code.startswith(divisions.scope_prefix(actor.division_code)))
    rows = list(session.scalars(stmt.order_by(PensionAward.id).limit(limit + 1)))
    return rows[:limit], paging.encode_cursor(rows[limit - 1].id) if len(rows) > limit else None


def payments_of(session: Session, *, award: PensionAward, limit: int = 50,
                cursor: str | None = None) -> tuple[list[PensionPayment], str | None]:
    limit = max(1, min(limit, 200))
    rows = list(session.scalars(select(PensionPayment).where(
        PensionPayment.award_id == award.id, PensionPayment.id > paging.decode_cursor(cursor))
        .order_by(PensionPayment.id).limit(limit + 1)))
    return rows[:limit], paging.encode_cursor(rows[limit - 1].id) if len(rows) > limit else None


def scheme_from(found: parameters.Value) -> rules.AdjustmentScheme:
    """The scheme one version of the `pension_adjustment` parameter holds."""
    data = found.value
    return rules.AdjustmentScheme(
        effective_from=found.effective_from, retired_by=date.fromisoformat(data["retired_by"]),
        fixed=Decimal(data["fixed"]), per_contribution_year=Decimal(data["per_contribution_year"]),
        proportional=Decimal(data["proportional"]),
        age_tilts=tuple(rules.AgeTilt(int(age), Decimal(amount)) for age, amount in data["age_tilts"].items()),
        source=f"{found.source}（{parameters.province_name(found.province)}，{found.effective_from.isoformat()}起，"
               f"参数版本{found.id}）",
        national_rate=Decimal(data["national_rate"]) if data.get("national_rate") else None)


def adjustment_of(session: Session, adjustment: PensionAdjustment, award: PensionAward) -> rules.Adjustment:
    """The computation behind an adjustment, with its trace, rebuilt from the award, the amount before and the
    scheme version the batch used (the same rules the batch's SQL computes in integers)."""
    scheme = scheme_from(parameters.value_of(session, parameter_id=adjustment.scheme_parameter_id))
    return rules.adjust(scheme=scheme, pension=Decimal(adjustment.before_fen) / 100,
                        contribution_months=award.months, birth=rules.parse_month(award.birth_month),
                        retired=rules.Month(award.retirement_month.year, award.retirement_month.month))


def adjustments_of(session: Session, *, award: PensionAward) -> list[PensionAdjustment]:
    return list(session.scalars(select(PensionAdjustment).where(PensionAdjustment.award_id == award.id)
                                .order_by(PensionAdjustment.year)))


# ---------------------------------------------------------------- outputs (API and pages)

def _yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:.2f}"


def award_out(session: Session, award: PensionAward) -> schemas.AwardOut:
    history = adjustments_of(session, award=award)
    return schemas.AwardOut(
        public_id=award.public_id, person_name=award.person_name, id_number_masked=award.id_number_masked,
        application_number=award.application_number, retirement_month=month_text(award.retirement_month),
        start_month=month_text(award.start_month), kind=award.kind, kind_label=schemas.AWARD_KIND_LABELS[award.kind],
        age=award.age, months=award.months, deemed_months=award.deemed_months, basic=_yuan(award.basic_fen),
        account=_yuan(award.account_fen), transitional=_yuan(award.transitional_fen),
        adjustments=_yuan(award.monthly_fen - award.awarded_fen), monthly=_yuan(award.monthly_fen),
        status=award.status, status_label=schemas.AWARD_STATUS_LABELS.get(award.status, award.status),
        trace=[StepOut(**step) for step in award.trace],
        parameters=[schemas.ParameterUsedOut(**{k: v for k, v in p.items() if k != "version"})
                    for p in award.parameters],
        adjustment_history=[schemas.AdjustmentOut(
            year=a.year, effective_from=a.effective_from.isoformat(), before=_yuan(a.before_fen),
            increase=_yuan(a.increase_fen), after=_yuan(a.after_fen),
            trace=[StepOut.of(s) for s in adjustment_of(session, a, award).trace])
            for a in history])


def payment_out(payment: PensionPayment) -> schemas.PensionPaymentOut:
    return schemas.PensionPaymentOut(
        month=month_text(payment.month), kind=payment.kind, kind_label=schemas.PAYMENT_KIND_LABELS[payment.kind],
        amount=_yuan(payment.amount_fen), card_status=payment.card_status,
        card_status_label=schemas.CARD_STATUS_LABELS.get(payment.card_status, payment.card_status),
        reference=payment.reference, paid_at=payment.paid_at.isoformat())


def own_award(session: Session, *, actor: Principal) -> PensionAward:
    """The signed-in citizen's award (404 when none)."""
    if actor.kind != "citizen":
        raise Unauthorized("请使用个人入口登录", code="renshe:auth/wrong-entrance")
    award = award_of(session, actor=actor, person_public_id=actor.subject)
    if award is None:
        raise NotFound("您的养老金核定记录（尚未办理退休）", code="renshe:pension/award-not-found")
    return award


def pensions_paid(session: Session, *, province: str, since: date | None, end: date) -> int:
    """Pensions paid into cards (monthly and arrears) for months from `since` (or ever) to `end`, in fen: the
    fund's benefit expenditure (养老金支出) for the fund report."""
    stmt = (select(func.coalesce(func.sum(PensionPayment.amount_fen), 0))
            .join(PensionAward, PensionAward.id == PensionPayment.award_id)
            .where(PensionAward.province == province, PensionPayment.month <= end))
    if since is not None:
        stmt = stmt.where(PensionPayment.month >= since)
    return int(session.scalar(stmt) or 0)
