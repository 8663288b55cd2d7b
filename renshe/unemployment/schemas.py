"""Inputs and outputs of the unemployment calculators, shared by the CLI and the API. Numbers arrive as text
(a query string, a command line) or JSON; each is read as a whole number, and a bad one is named."""

from __future__ import annotations

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
