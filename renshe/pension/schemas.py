"""Inputs and outputs of the pension calculators (养老金测算), shared by the CLI, the API and the page.

Inputs arrive as text (a query string, a form, a command line) or JSON; every field is read by
`read_*` here into the rules' types, and every broken field is reported at once, each with the stable
code `renshe:pension/<rule>` and a Chinese message. Numbers in a JSON body are taken by their decimal
text (a JSON number is never used as a binary float).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, Field

from renshe.core.errors import DomainError, FieldError
from renshe.core.trace import StepOut
from renshe.insurance import rules as contribution_rules
from renshe.pension import rules

T = TypeVar("T")


def _as_text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    return value


Text = Annotated[str | None, BeforeValidator(_as_text)]


# ---------------------------------------------------------------- reading fields


class _Collector:
    """Reads fields one by one and keeps every refusal, so the caller hears about all bad fields at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def read(self, reader: Callable[[], T]) -> T | None:
        try:
            return reader()
        except DomainError as exc:
            self.errors.extend(exc.errors or [FieldError("body", exc.code, exc.detail)])
            return None

    def done(self) -> None:
        if self.errors:
            first = self.errors[0]
            detail = first.message if len(self.errors) == 1 else f"有{len(self.errors)}项输入不符合要求，请逐项修改"
            raise DomainError(first.code, detail, 422, "输入不符合测算规则", list(self.errors))


def _required(text: str | None, field_name: str, rule: str, label: str) -> str:
    if text is None or not text.strip():
        raise rules.PensionRuleError(rule, field_name, f"请填写{label}")
    if len(text.strip()) > 40:
        raise rules.PensionRuleError(rule, field_name, f"{label}内容过长")
    return text.strip()


def read_decimal(text: str | None, *, field_name: str, rule: str, label: str, positive: bool = True,
                 maximum: Decimal | None = None) -> Decimal:
    """A decimal number (yuan, an index, a coefficient): finite, > 0 (or ≥ 0), at most `maximum`."""
    raw = _required(text, field_name, rule, label)
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        raise rules.PensionRuleError(rule, field_name, f"{label}应为数字，如{_example(rule)}") from None
    if not value.is_finite():
        raise rules.PensionRuleError(rule, field_name, f"{label}应为数字")
    if (value <= 0) if positive else (value < 0):
        raise rules.PensionRuleError(rule, field_name, f"{label}应{'大于0' if positive else '不小于0'}")
    if maximum is not None and value > maximum:
        raise rules.PensionRuleError(rule, field_name, f"{label}不能大于{maximum}")
    return value


def read_int(text: str | None, *, field_name: str, rule: str, label: str, maximum: int) -> int:
    raw = _required(text, field_name, rule, label)
    if not raw.isascii() or not raw.isdigit():
        raise rules.PensionRuleError(rule, field_name, f"{label}应为0或正整数")
    value = int(raw)
    if value > maximum:
        raise rules.PensionRuleError(rule, field_name, f"{label}不能大于{maximum}")
    return value


def _example(rule: str) -> str:
    return {"index": "1.2", "transitional-coefficient": "0.012"}.get(rule, "8000")


def _optional(text: str | None) -> str | None:
    return text.strip() if text is not None and text.strip() else None


# ---------------------------------------------------------------- retirement age (退休年龄测算)


class RetirementAgeIn(BaseModel):
    birth: Text = Field(default=None, description="出生年月 YYYY-MM", examples=["1965-01"])
    sex: Text = Field(default=None, description="性别 male 男 / female 女", examples=["male"])
    original_age: Text = Field(default=None, description="原法定退休年龄 60 / 55 / 50（女职工默认50）")
    requested_month: Text = Field(default=None, description="弹性退休：申请的退休年月 YYYY-MM（可选）")
    contribution_months: Text = Field(default=None, description="弹性提前退休：已缴费月数（含视同）")
    employer_agrees: Text = Field(default=None, description="弹性延迟退休：单位是否同意 true/false")


@dataclass(frozen=True)
class RetirementQuery:
    birth: rules.Month
    sex: str
    original_age: int | None
    requested_month: rules.Month | None
    contribution_months: int
    employer_agrees: bool


def read_retirement(data: RetirementAgeIn) -> RetirementQuery:
    fields = _Collector()
    birth = fields.read(lambda: rules.parse_month(_required(data.birth, "birth", "month-format", "出生年月"),
                                                  field_name="birth"))
    sex = fields.read(lambda: _sex(data.sex))
    original = fields.read(lambda: _original_age(data.original_age))
    requested_text = _optional(data.requested_month)
    requested = None if requested_text is None else fields.read(
        lambda: rules.parse_month(requested_text, field_name="requested_month"))
    months = 0 if _optional(data.contribution_months) is None else fields.read(lambda: read_int(
        data.contribution_months, field_name="contribution_months", rule="months", label="已缴费月数",
        maximum=1200))
    agrees = (data.employer_agrees or "").strip().lower() in {"true", "1", "yes", "on", "是"}
    fields.done()
    if birth is None or sex is None or months is None:  # unreachable after done(): keeps mypy honest
        raise AssertionError("unreported field error")
    return RetirementQuery(birth, sex, original, requested, months, agrees)


def _sex(text: str | None) -> str:
    value = _required(text, "sex", "sex", "性别").lower()
    value = {"男": "male", "女": "female", "m": "male", "f": "female"}.get(value, value)
    if value not in rules.SEXES:
        raise rules.PensionRuleError("sex", "sex", "性别应为 male（男）或 female（女）")
    return value


def _original_age(text: str | None) -> int | None:
    raw = _optional(text)
    if raw is None:
        return None
    if raw not in {"50", "55", "60"}:
        raise rules.PensionRuleError("original-age", "original_age", "原法定退休年龄应为60、55或50")
    return int(raw)


class FlexibleOut(BaseModel):
    kind: str = Field(description="early / statutory / late")
    kind_label: str
    month: str
    age: str
    age_label: str
    earliest: str = Field(description="最早可弹性提前退休的年月")
    latest: str = Field(description="最晚可弹性延迟退休的年月")
    minimum_contribution_months: int


class RetirementAgeOut(BaseModel):
    birth: str
    sex: str
    sex_label: str
    original_age: int
    cohort_label: str
    delay_months: int
    age: str = Field(examples=["60y1m"])
    age_label: str = Field(examples=["60岁1个月"])
    age_months: int = Field(examples=[721])
    retirement_month: str = Field(examples=["2025-02"])
    minimum_contribution_months: int = Field(examples=[180])
    flexible: FlexibleOut | None = None
    trace: list[StepOut]


def retirement_answer(query: RetirementQuery, *, params: rules.PensionParameters | None = None
                      ) -> RetirementAgeOut:
    found = rules.retirement_age(birth=query.birth, sex=query.sex, original_age=query.original_age, params=params)
    flexible = None
    if query.requested_month is not None:
        chosen = rules.flexible_retirement(
            birth=query.birth, sex=query.sex, original_age=query.original_age, requested=query.requested_month,
            contribution_months=query.contribution_months, employer_agrees=query.employer_agrees, params=params)
        flexible = FlexibleOut(kind=chosen.kind, kind_label=chosen.label, month=str(chosen.month),
                               age=str(chosen.age), age_label=chosen.age.label, earliest=str(chosen.earliest),
                               latest=str(chosen.latest),
                               minimum_contribution_months=chosen.minimum_contribution_months)
    return RetirementAgeOut(
        birth=str(found.birth), sex=found.sex, sex_label=rules.SEXES[found.sex],
        original_age=found.cohort.original_years, cohort_label=found.cohort.label, delay_months=found.delay_months,
        age=str(found.age), age_label=found.age.label, age_months=found.age.months_total,
        retirement_month=str(found.retirement_month), minimum_contribution_months=found.minimum_contribution_months,
        flexible=flexible, trace=[StepOut.of(s) for s in found.trace])


# ---------------------------------------------------------------- divisor (计发月数)


class DivisorIn(BaseModel):
    age: Text = Field(default=None, description="退休年龄，如 60y6m（60岁6个月）", examples=["60y6m"])


class DivisorOut(BaseModel):
    age: str
    age_label: str
    divisor: str = Field(examples=["135.5"])
    trace: list[StepOut]


def read_age(text: str | None) -> rules.Age:
    return rules.parse_age(_required(text, "age", "age-format", "退休年龄"))


def divisor_answer(data: DivisorIn, *, params: rules.PensionParameters | None = None) -> DivisorOut:
    fields = _Collector()
    age = fields.read(lambda: read_age(data.age))
    fields.done()
    if age is None:
        raise AssertionError("unreported field error")
    value, step = rules.divisor(age, params=params)
    return DivisorOut(age=str(age), age_label=age.label, divisor=str(value), trace=[StepOut.of(step)])


# ---------------------------------------------------------------- benefit (养老金测算)


class CalculateIn(BaseModel):
    average_wage: Text = Field(default=None, description="上年度全省全口径城镇单位就业人员月平均工资（元）",
                               examples=["8000"])
    index: Text = Field(default=None, description="本人平均缴费指数", examples=["1.2"])
    months: Text = Field(default=None, description="累计缴费月数（含视同缴费月数）", examples=["360"])
    account_balance: Text = Field(default=None, description="个人账户储存额（元）", examples=["200000"])
    age: Text = Field(default=None, description="退休年龄，如 60y0m", examples=["60y0m"])
    deemed_months: Text = Field(default=None, description="其中视同缴费月数（可选，默认0）")
    transitional_coefficient: Text = Field(default=None, description="过渡性养老金计发系数（可选，默认0.012即1.2%）")


class CalculateOut(BaseModel):
    basic: str = Field(description="基础养老金（元/月）", examples=["2640.00"])
    account: str = Field(description="个人账户养老金（元/月）", examples=["1438.85"])
    transitional: str = Field(description="过渡性养老金（元/月）", examples=["0.00"])
    total: str = Field(description="基本养老金合计（元/月）", examples=["4078.85"])
    divisor: str = Field(description="计发月数", examples=["139.0"])
    trace: list[StepOut]


def calculate_answer(data: CalculateIn, *, params: rules.PensionParameters | None = None) -> CalculateOut:
    fields = _Collector()
    wage = fields.read(lambda: read_decimal(data.average_wage, field_name="average_wage", rule="average-wage",
                                            label="上年度全省月平均工资", maximum=Decimal(1_000_000)))
    index = fields.read(lambda: read_decimal(data.index, field_name="index", rule="index", label="平均缴费指数",
                                             maximum=Decimal(10)))
    months = fields.read(lambda: read_int(data.months, field_name="months", rule="months", label="累计缴费月数",
                                          maximum=1200))
    balance = fields.read(lambda: read_decimal(data.account_balance, field_name="account_balance",
                                               rule="account-balance", label="个人账户储存额", positive=False,
                                               maximum=Decimal(100_000_000)))
    age = fields.read(lambda: read_age(data.age))
    deemed = 0 if _optional(data.deemed_months) is None else fields.read(lambda: read_int(
        data.deemed_months, field_name="deemed_months", rule="deemed-months", label="视同缴费月数", maximum=1200))
    coefficient = None if _optional(data.transitional_coefficient) is None else fields.read(lambda: read_decimal(
        data.transitional_coefficient, field_name="transitional_coefficient", rule="transitional-coefficient",
        label="过渡性养老金计发系数", positive=False, maximum=Decimal("0.1")))
    fields.done()
    if wage is None or index is None or months is None or balance is None or age is None or deemed is None:
        raise AssertionError("unreported field error")
    found = rules.benefit(average_wage=wage, index=index, contribution_months=months, account_balance=balance,
                          age=age, deemed_months=deemed, transitional_coefficient=coefficient, params=params)
    return CalculateOut(basic=str(found.basic), account=str(found.account), transitional=str(found.transitional),
                        total=str(found.total), divisor=str(found.divisor),
                        trace=[StepOut.of(s) for s in found.trace])


# ---------------------------------------------------------------- pooled-fund transfer (统筹基金转移额)


class TransferIn(BaseModel):
    monthly_base: Text = Field(default=None, description="月缴费基数（元）", examples=["5000"])
    months: Text = Field(default=None, description="缴费月数", examples=["12"])
    year: Text = Field(default=None, description="缴费年度（可选；1998年以前不计）")


class TransferOut(BaseModel):
    amount: str = Field(description="统筹基金转移额（元）", examples=["7200.00"])
    bases: str = Field(description="计入的缴费基数合计（元）", examples=["60000.00"])
    rate: str = Field(examples=["0.12"])
    trace: list[StepOut]


def transfer_answer(data: TransferIn, *, params: rules.PensionParameters | None = None) -> TransferOut:
    fields = _Collector()
    base = fields.read(lambda: read_decimal(data.monthly_base, field_name="monthly_base", rule="monthly-base",
                                            label="月缴费基数", positive=False, maximum=Decimal(10_000_000)))
    months = fields.read(lambda: read_int(data.months, field_name="months", rule="months", label="缴费月数",
                                          maximum=1200))
    year = None if _optional(data.year) is None else fields.read(lambda: read_int(
        data.year, field_name="year", rule="year", label="缴费年度", maximum=2100))
    fields.done()
    if base is None or months is None:
        raise AssertionError("unreported field error")
    found = rules.pooled_transfer([rules.BasePeriod(base, months, year)], params=params)
    p = params or rules.national()
    return TransferOut(amount=str(found.amount), bases=str(rules.money(found.counted_bases)),
                       rate=str(p.transfer_rate), trace=[StepOut.of(s) for s in found.trace])


# ---------------------------------------------------------------- late surcharge (滞纳金), an insurance rule


class SurchargeIn(BaseModel):
    amount: Text = Field(default=None, description="欠缴金额（元）", examples=["10000"])
    days: Text = Field(default=None, description="滞纳天数", examples=["30"])


class SurchargeOut(BaseModel):
    amount: str = Field(examples=["10000.00"])
    days: int = Field(examples=[30])
    daily_rate: str = Field(examples=["0.0005"])
    surcharge: str = Field(description="滞纳金（元）", examples=["150.00"])
    trace: list[StepOut]


def surcharge_answer(data: SurchargeIn) -> SurchargeOut:
    found = contribution_rules.surcharge_from_text(amount=data.amount, days=data.days)
    return SurchargeOut(amount=contribution_rules.yuan(found.amount_fen), days=found.days,
                        daily_rate=str(contribution_rules.SURCHARGE_DAILY_RATE),
                        surcharge=contribution_rules.yuan(found.surcharge_fen),
                        trace=[StepOut.of(s) for s in found.trace])


# ---------------------------------------------------------------- a person's estimate from the ledger (按权益记录测算)


class EstimateIn(BaseModel):
    original_age: Text = Field(default=None, description="原法定退休年龄 60 / 55 / 50（女职工默认50）")
    deemed_months: Text = Field(default=None, description="视同缴费月数（经办机构认定的，可选）")
    requested_month: Text = Field(default=None, description="弹性退休：申请的退休年月 YYYY-MM（可选）")
    employer_agrees: Text = Field(default=None, description="弹性延迟退休：单位是否同意 true/false")


@dataclass(frozen=True)
class EstimateQuery:
    original_age: int | None
    deemed_months: int
    requested_month: rules.Month | None
    employer_agrees: bool


def read_estimate(data: EstimateIn) -> EstimateQuery:
    fields = _Collector()
    original = fields.read(lambda: _original_age(data.original_age))
    deemed = 0 if _optional(data.deemed_months) is None else fields.read(lambda: read_int(
        data.deemed_months, field_name="deemed_months", rule="deemed-months", label="视同缴费月数", maximum=1200))
    requested_text = _optional(data.requested_month)
    requested = None if requested_text is None else fields.read(
        lambda: rules.parse_month(requested_text, field_name="requested_month"))
    agrees = (data.employer_agrees or "").strip().lower() in {"true", "1", "yes", "on", "是"}
    fields.done()
    return EstimateQuery(original, deemed or 0, requested, agrees)


class EstimateOut(BaseModel):
    retirement_month: str = Field(description="退休年月", examples=["2043-03"])
    age: str = Field(examples=["63y0m"])
    age_label: str
    kind: str = Field(description="statutory 法定 / early 弹性提前 / late 弹性延迟")
    kind_label: str
    statutory_age: str
    statutory_month: str
    months: int = Field(description="累计缴费月数（含视同）")
    deemed_months: int
    minimum_contribution_months: int
    minimum_met: bool
    index: str = Field(description="本人平均缴费指数（四位小数）")
    account_balance: str
    average_wage: str
    basic: str
    account: str
    transitional: str
    total: str
    divisor: str
    trace: list[StepOut]


# ---------------------------------------------------------------- pensions in payment

AWARD_KIND_LABELS = {"statutory": "按法定退休年龄退休", "early": "弹性提前退休", "late": "弹性延迟退休"}
AWARD_STATUS_LABELS = {"in_payment": "正常发放", "suspended": "暂停发放", "ended": "终止发放"}
PAYMENT_KIND_LABELS = {"monthly": "按月发放", "arrears": "调整补发"}
CARD_STATUS_LABELS = {"credited": "已入账社会保障卡", "held": "暂缓发放（无可用社保卡金融账户）"}


class ParameterUsedOut(BaseModel):
    parameter: str
    label: str
    value: Any = None
    province: str
    effective_from: str | None = Field(None, description="生效日期（参数版本）")
    source: str
    parameter_id: int | None = Field(None, description="参数记录编号（版本）")


class AdjustmentOut(BaseModel):
    year: int
    effective_from: str
    before: str
    increase: str
    after: str
    trace: list[StepOut]


class AwardOut(BaseModel):
    public_id: str
    person_name: str
    id_number_masked: str
    application_number: str | None
    retirement_month: str
    start_month: str
    kind: str
    kind_label: str
    age: str
    months: int
    deemed_months: int
    basic: str = Field(description="基础养老金（元/月，核定时）")
    account: str = Field(description="个人账户养老金（元/月）")
    transitional: str = Field(description="过渡性养老金（元/月）")
    adjustments: str = Field(description="历年调整增加额合计（元/月）")
    monthly: str = Field(description="现月基本养老金（元/月）")
    status: str
    status_label: str
    trace: list[StepOut]
    parameters: list[ParameterUsedOut]
    adjustment_history: list[AdjustmentOut]


class PensionPaymentOut(BaseModel):
    month: str
    kind: str
    kind_label: str
    amount: str
    card_status: str
    card_status_label: str
    reference: str
    paid_at: str


class AwardPage(BaseModel):
    items: list[AwardOut]
    next_cursor: str | None = None


class PaymentPage(BaseModel):
    items: list[PensionPaymentOut]
    next_cursor: str | None = None


class RunIn(BaseModel):
    kind: str = Field(description="pay（按月发放，period=YYYY-MM）或 adjust（待遇调整，period=YYYY）")
    period: str = Field(max_length=7)
    province: str | None = Field(None, max_length=6)


class RunOut(BaseModel):
    kind: str
    kind_label: str
    province: str
    period: str
    status: str
    status_label: str
    total: int
    done: int
    amount: str
