"""The pension of a person from the insurance ledger (按个人权益记录测算): the statutory (or requested
flexible) retirement month from the person's birth, the province's parameters in force on that month,
and the ledger's months, average contribution index and account balance, through `rules.benefit`.

Owns no tables. Reads the insurance ledger only through its public functions (`accounts`, `parameters`)
and the person through the registry's service. Estimates are computed, never stored: the approval of a
retirement (issue 10 point 5, through the hall) will freeze what it decides on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from sqlalchemy.orm import Session

from renshe.core.auth import Principal
from renshe.core.errors import DomainError, Unauthorized
from renshe.core.settings import get_settings
from renshe.core.trace import Step, show
from renshe.insurance import accounts, parameters
from renshe.pension import rules, schemas
from renshe.registry import service as registry

LEDGER_SOURCE = "个人权益记录（本省社会保险经办系统：已到账并记入个人账户的缴费）"
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
        trace=[schemas.StepOut.of(step) for step in found.trace])


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
        raise rules.PensionRuleError(
            "minimum-months", "months",
            f"累计缴费{found.months}个月（含视同），{month.year}年退休须满{found.minimum_months}个月，还差{short}个月："
            "可继续缴费至满足最低缴费年限，或按规定一次性缴纳后办理；也可申请终止基本养老保险关系")
    return found
