"""Inputs and outputs of the unemployment calculators, shared by the CLI and the API. Numbers arrive as text
(a query string, a command line) or JSON; each is read as a whole number, and a bad one is named."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field

from renshe.core.errors import DomainError, FieldError
from renshe.core.trace import StepOut
from renshe.unemployment import rules


def _as_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


Text = Annotated[str | None, BeforeValidator(_as_text)]


class BenefitMonthsIn(BaseModel):
    contribution_months: Text = Field(default=None, description="累计缴费月数", examples=["60"])
    unused_months: Text = Field(default="0", description="前次失业应领而未领的月数", examples=["0"])


class BenefitMonthsOut(BaseModel):
    contribution_months: int
    unused_months: int
    entitled_months: int = Field(description="按本次累计缴费时间确定的最长期限")
    months: int = Field(description="最长领取期限（含前次应领未领，最长24个月）", examples=[18])
    trace: list[StepOut]


def _whole(text: str | None, *, field_name: str, rule: str, label: str, required: bool, maximum: int) -> int:
    value = (text or "").strip()
    if not value:
        if required:
            raise rules.UnemploymentRuleError(rule, field_name, f"请填写{label}")
        return 0
    if not value.isascii() or not value.isdigit() or len(value) > 4:
        raise rules.UnemploymentRuleError(rule, field_name, f"{label}应为不超过4位的非负整数")
    if int(value) > maximum:
        raise rules.UnemploymentRuleError(rule, field_name, f"{label}应在0到{maximum}之间")
    return int(value)


def benefit_months_answer(data: BenefitMonthsIn) -> BenefitMonthsOut:
    errors: list[FieldError] = []
    numbers: dict[str, int] = {}
    for field_name, rule, label, required, maximum in (
            ("contribution_months", "contribution-months", "累计缴费月数", True, rules.MAX_CONTRIBUTION_MONTHS),
            ("unused_months", "unused-months", "前次应领未领月数", False, rules.CAP_MONTHS)):
        try:
            numbers[field_name] = _whole(getattr(data, field_name), field_name=field_name, rule=rule, label=label,
                                         required=required, maximum=maximum)
        except DomainError as exc:
            errors.extend(exc.errors)
    if errors:
        detail = errors[0].message if len(errors) == 1 else f"有{len(errors)}项输入不符合要求，请逐项修改"
        raise DomainError(errors[0].code, detail, 422, "输入不符合失业保险金规则", errors)
    found = rules.benefit_months(contribution_months=numbers["contribution_months"],
                                 unused_months=numbers["unused_months"])
    return BenefitMonthsOut(contribution_months=found.contribution_months, unused_months=found.unused_months,
                            entitled_months=found.entitled_months, months=found.months,
                            trace=[StepOut.of(s) for s in found.trace])


# ---------------------------------------------------------------- registrations, benefits, payments

class RegistrationIn(BaseModel):
    """A registration at the window (窗口办理失业登记) for a person in the person base."""

    id_number: str = Field(description="公民身份号码", examples=["110105198005170019"])
    place: str = Field(default="residence", description="登记地类型：residence 常住地 / workplace 常住就业地")
    division_code: str | None = Field(default=None, description="登记地行政区划代码（默认：本人居住地）")
    separation_date: date | None = Field(default=None, description="失业日期")
    former_employer: str | None = Field(default=None, max_length=200)
    job_intention: str = Field(description="求职意向", examples=["仓储管理"])


class ServiceIn(BaseModel):
    kind: str = Field(description="服务类型：job_recommendation / training_referral / counselling / startup / "
                                  "public_post / follow_up", examples=["job_recommendation"])
    served_on: date = Field(description="服务日期")
    detail: str = Field(description="服务内容", examples=["推荐某物流公司仓管员岗位"])
    outcome: str | None = Field(default=None, description="服务结果")


class ReasonIn(BaseModel):
    reason: str = Field(description="原因代码（见 reason 列表）", examples=["other"])
    on: date = Field(description="生效日期")
    note: str | None = Field(default=None, max_length=300, description="说明（原因为“其他”时必填）")


class ResumeIn(BaseModel):
    on: date = Field(description="恢复发放日期")


class ServiceOut(BaseModel):
    public_id: str
    kind: str
    kind_label: str
    served_on: str
    detail: str
    outcome: str | None
    served_by: str


class RegistrationOut(BaseModel):
    public_id: str
    person_name: str
    id_number_masked: str
    division_code: str
    place: str
    place_label: str
    channel: str
    channel_label: str
    registered_on: str
    separation_date: str | None
    former_employer: str | None
    job_intention: str
    status: str
    status_label: str
    exit_reason: str | None
    exit_reason_label: str | None
    exit_note: str | None
    exited_on: str | None
    services: list[ServiceOut] = Field(default_factory=list)


class RegistrationPage(BaseModel):
    items: list[RegistrationOut]
    next_cursor: str | None


class BenefitOut(BaseModel):
    public_id: str
    person_name: str
    id_number_masked: str
    application_number: str | None
    separation_date: str
    separation_reason: str
    separation_reason_label: str
    contribution_months: int
    carried_months: int
    months: int
    months_paid: int
    monthly: str = Field(description="月标准（元）", examples=["1800.00"])
    monthly_fen: int
    medical_monthly: str
    start_month: str
    end_month: str
    first_payment_on: str
    status: str
    status_label: str
    stop_reason: str | None
    stop_reason_label: str | None
    stop_note: str | None
    stopped_on: str | None
    trace: list[StepOut]


class BenefitPage(BaseModel):
    items: list[BenefitOut]
    next_cursor: str | None


class PaymentOut(BaseModel):
    month: str
    amount: str
    amount_fen: int
    reference: str
    card_status: str
    card_status_label: str
    paid_at: str


class PaymentPage(BaseModel):
    items: list[PaymentOut]
    next_cursor: str | None


class MedicalOut(BaseModel):
    month: str
    amount: str
    payer: str
    payer_label: str
    trace: list[StepOut]


class MineOut(BaseModel):
    registrations: list[RegistrationOut]
    benefits: list[BenefitOut]
    payments: list[PaymentOut]
    medical: list[MedicalOut]


class RunIn(BaseModel):
    month: str = Field(description="发放月份 YYYY-MM", examples=["2026-12"])


class RunOut(BaseModel):
    province: str
    period: str
    status: str
    status_label: str
    total: int
    done: int
    paid: int
    amount: str
