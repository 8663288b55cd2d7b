"""Pure rules of the enterprise employee basic pension (企业职工基本养老保险): retirement age and month,
minimum contribution months, the account divisor, the benefit formula and the pooled-fund transfer.

Nothing here touches the database. Every parameter (divisor table, cohort rules, minimum-months
schedule, coefficients) comes in a `PensionParameters` with the source document of each part; the
national defaults are `renshe/pension/data/national.json`, loaded by `national()`. A province's own
values (from the insurance parameter store) are passed in the same shape, so each function takes
`params` as a keyword with the national default.

Money is Decimal yuan. Each amount (basic, account, transitional pension, transfer) is computed from its
inputs in one expression and rounded half-up to 0.01 once, at the end of its own formula; the trace
shows the intermediate values unrounded where they are exact and to four places where they repeat.

Sources, and where they differ from `domain-rules.md`:
- Retirement ages: the NPC Standing Committee decision of 2024-09-13 and the State Council measures
  annexed to it (附件1-3 are exactly `n = (year - Y0) * 12 + month`, one month per 4 (or 2) months of
  birth cohort, capped); the retirement month is the birth month plus the age in months.
- Flexible retirement: article 2 and 3 of the same measures (early: at most 3 years and never below the
  old age, minimum contribution years met; late: at most 3 years, with the employer's agreement).
- Minimum contribution months: article 4 and annex 4 (15 years until 2029, +6 months a year from 2030,
  20 years from 2039), by the year of retirement.
- Basic and account pension: 国发〔2005〕38号 art. 6 and its divisor table; the month interpolation of the
  divisor follows domain-rules.md (its primary text was not located: the table is data, overridable).
- Transitional pension: the coefficient is provincial (国发〔2005〕38号 leaves it to the provinces, which
  use 1.0 %-1.4 %); the national default here is 1.2 %, the middle of that range, shown as such.
- Pooled-fund transfer: 国办发〔2009〕66号 art. 4 (12 % of the actual bases from 1998, months pro rata).
- Yearly adjustment: each year's national notice sets the overall level (2023 3.8 %, 2024 3 %, 2025 2 %,
  as reported, not checked against the notices) and the method (定额调整、挂钩调整、适当倾斜); the amounts
  are each province's scheme, so `adjust` takes the province's `AdjustmentScheme` as data and no amounts
  are shipped as defaults.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources
from typing import Any

from renshe.core.errors import DomainError, FieldError
from renshe.core.trace import Step, show

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
SEXES = {"male": "男", "female": "女"}


class PensionRuleError(DomainError):
    """An input or request the pension rules refuse; `rule` becomes the code `renshe:pension/<rule>`."""

    def __init__(self, rule: str, field_name: str, message: str) -> None:
        code = f"renshe:pension/{rule}"
        super().__init__(code, message, 422, "不符合养老保险规则", [FieldError(field_name, code, message)])


def money(value: Decimal) -> Decimal:
    """Round an amount of yuan half-up to the fen."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------- months and ages


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month (YYYY-MM)."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} outside 1..12")

    @property
    def index(self) -> int:
        return self.year * 12 + self.month - 1

    @classmethod
    def of_index(cls, index: int) -> Month:
        year, month0 = divmod(index, 12)
        return cls(year, month0 + 1)

    def plus(self, months: int) -> Month:
        return Month.of_index(self.index + months)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


MONTH_TEXT = re.compile(r"([0-9]{4})-([0-9]{1,2})")  # ASCII digits: \d also matches other scripts


def parse_month(text: str, *, field_name: str = "birth") -> Month:
    """`YYYY-MM` (1900-2100), or a refusal naming the field."""
    found = MONTH_TEXT.fullmatch(text.strip())
    if found is None or not 1 <= int(found[2]) <= 12 or not 1900 <= int(found[1]) <= 2100:
        raise PensionRuleError("month-format", field_name, f"年月“{text}”格式不正确，应为YYYY-MM，如1965-01")
    return Month(int(found[1]), int(found[2]))


@dataclass(frozen=True, order=True)
class Age:
    """An age in whole years and months, written `60y1m` (六十岁一个月)."""

    months_total: int

    @classmethod
    def of(cls, years: int, months: int = 0) -> Age:
        return cls(years * 12 + months)

    @property
    def years(self) -> int:
        return self.months_total // 12

    @property
    def months(self) -> int:
        return self.months_total % 12

    @property
    def label(self) -> str:
        return f"{self.years}岁{self.months}个月" if self.months else f"{self.years}岁"

    def __str__(self) -> str:
        return f"{self.years}y{self.months}m"


AGE_TEXT = re.compile(r"([0-9]{1,3})(?:\s*y(?:\s*([0-9]{1,2})\s*m)?)?", re.IGNORECASE)


def parse_age(text: str, *, field_name: str = "age") -> Age:
    """`60y1m`, `60y`, `60y0m` or `60`; months 0..11."""
    found = AGE_TEXT.fullmatch(text.strip())
    if found is None or (found[2] is not None and int(found[2]) > 11):
        raise PensionRuleError("age-format", field_name, f"年龄“{text}”格式不正确，应为如60y1m（60岁1个月）")
    return Age.of(int(found[1]), int(found[2] or 0))


# ---------------------------------------------------------------- parameters as data


@dataclass(frozen=True)
class Cohort:
    """How the statutory age of one group rises: from `original_years` by one month per `step_months`
    months of birth after the start of `base_year`, by at most `cap_months`."""

    original_years: int
    label: str
    base_year: int
    step_months: int
    cap_months: int


@dataclass(frozen=True)
class PensionParameters:
    """Every figure the pension rules use, with the document each comes from."""

    name: str
    divisors: Mapping[int, Decimal]
    cohorts: Mapping[int, Cohort]
    flexible_early_months: int
    flexible_late_months: int
    minimum_schedule: Mapping[int, int]  # from this retirement year on: at least these months
    basic_rate_per_year: Decimal
    transitional_coefficient: Decimal
    transfer_rate: Decimal
    transfer_from_year: int
    sources: Mapping[str, str] = field(default_factory=dict)

    def source(self, key: str) -> str:
        return self.sources.get(key, "")


def parameters_from(data: Mapping[str, Any]) -> PensionParameters:
    """Build parameters from the JSON shape of `data/national.json` (a province's set has the same shape)."""
    divisor = data["divisor"]
    retirement = data["retirement"]
    minimum = data["minimum_contribution"]
    table = {int(age): Decimal(months) for age, months in divisor["months_by_age"].items()}
    ages = sorted(table)
    if ages != list(range(ages[0], ages[-1] + 1)):
        raise ValueError("the divisor table must list every whole age between its first and last")
    cohorts = {int(key): Cohort(int(key), c["label"], int(c["base_year"]), int(c["step_months"]),
                                int(c["cap_months"])) for key, c in retirement["cohorts"].items()}
    if any(c.step_months < 1 or c.cap_months < 0 for c in cohorts.values()):
        raise ValueError("a retirement cohort needs a positive step and a cap of zero or more")
    return PensionParameters(
        name=str(data.get("name", "")),
        divisors=table, cohorts=cohorts,
        flexible_early_months=int(retirement["flexible_early_months"]),
        flexible_late_months=int(retirement["flexible_late_months"]),
        minimum_schedule=_minimum_schedule(minimum["months_from_year"]),
        basic_rate_per_year=Decimal(data["basic_pension"]["rate_per_year"]),
        transitional_coefficient=Decimal(data["transitional_pension"]["coefficient"]),
        transfer_rate=Decimal(data["transfer"]["pooled_rate"]),
        transfer_from_year=int(data["transfer"]["from_year"]),
        sources={
            "divisor": divisor["source"], "interpolation": divisor["interpolation_source"],
            "retirement": retirement["source"], "flexible": retirement["flexible_source"],
            "minimum": minimum["source"], "basic": data["basic_pension"]["source"],
            "transitional": data["transitional_pension"]["source"], "transfer": data["transfer"]["source"],
        },
    )


def _minimum_schedule(table: Mapping[Any, Any]) -> dict[int, int]:
    schedule = {int(year): int(months) for year, months in table.items()}
    if not schedule or any(m < 0 for m in schedule.values()):
        raise ValueError("the minimum contribution schedule needs at least one year and no negative months")
    return dict(sorted(schedule.items()))


def with_overrides(params: PensionParameters, *, divisors: Mapping[Any, Any] | None = None,
                   minimum_schedule: Mapping[Any, Any] | None = None,
                   transitional_coefficient: Decimal | str | None = None,
                   sources: Mapping[str, str] | None = None, name: str | None = None) -> PensionParameters:
    """A province's parameters: the given tables and values (as the parameter store keeps them, keys and
    values as text or numbers) over `params`; `sources` names the document of each replaced part
    (keys "divisor", "minimum", "transitional")."""
    table = dict(params.divisors)
    if divisors is not None:
        table = {int(age): Decimal(str(months)) for age, months in divisors.items()}
        ages = sorted(table)
        if not ages or ages != list(range(ages[0], ages[-1] + 1)):
            raise ValueError("the divisor table must list every whole age between its first and last")
    return replace(
        params, name=params.name if name is None else name, divisors=table,
        minimum_schedule=params.minimum_schedule if minimum_schedule is None else _minimum_schedule(minimum_schedule),
        transitional_coefficient=params.transitional_coefficient if transitional_coefficient is None
        else Decimal(str(transitional_coefficient)),
        sources={**params.sources, **(sources or {})})


@cache
def national() -> PensionParameters:
    """The national default parameters (`renshe/pension/data/national.json`)."""
    text = resources.files("renshe.pension").joinpath("data/national.json").read_text(encoding="utf-8")
    return parameters_from(json.loads(text))


# ---------------------------------------------------------------- minimum contribution months


def minimum_contribution_months(year: int, *, params: PensionParameters | None = None) -> int:
    """最低缴费月数 for a retirement in `year`: 180 until 2029, then +6 a year, 240 from 2039 on."""
    p = params or national()
    schedule = p.minimum_schedule
    applicable = [months for start, months in schedule.items() if start <= year]
    return applicable[-1] if applicable else next(iter(schedule.values()))


# ---------------------------------------------------------------- statutory retirement age


@dataclass(frozen=True)
class RetirementAge:
    birth: Month
    sex: str
    cohort: Cohort
    delay_months: int
    age: Age
    retirement_month: Month
    minimum_contribution_months: int
    trace: list[Step]


def original_age_of(sex: str, original_age: int | None) -> int:
    """The old statutory age of the person: men 60; women 50 (workers, the default) or 55 (cadres)."""
    if sex not in SEXES:
        raise PensionRuleError("sex", "sex", "性别应为 male（男）或 female（女）")
    if original_age is None:
        return 60 if sex == "male" else 50
    allowed = (60,) if sex == "male" else (50, 55)
    if original_age not in allowed:
        raise PensionRuleError("original-age", "original_age", "原法定退休年龄：男职工为60周岁，"
                               "女职工为50周岁（工人岗位）或55周岁（管理和技术岗位）")
    return original_age


def retirement_age(*, birth: Month, sex: str, original_age: int | None = None,
                   params: PensionParameters | None = None) -> RetirementAge:
    """The statutory retirement age and month under the 2024-09-13 decision."""
    p = params or national()
    years = original_age_of(sex, original_age)
    cohort = p.cohorts.get(years)
    if cohort is None:
        raise PensionRuleError("original-age", "original_age", f"参数中没有原法定退休年龄{years}周岁的规则")
    n = (birth.year - cohort.base_year) * 12 + birth.month
    steps = -(-n // cohort.step_months) if n > 0 else 0  # ceil(n / step) for n > 0
    delay = min(cohort.cap_months, steps)
    age = Age.of(years, delay)
    month = birth.plus(age.months_total)
    minimum = minimum_contribution_months(month.year, params=p)
    source = p.source("retirement")
    trace = [
        Step("cohort", "适用人群", "按性别和原法定退休年龄", {"sex": sex, "original_age": str(years)},
             cohort.label, source),
        Step("cohort_offset", "出生月序数 n", "n = (出生年 − Y0) × 12 + 出生月",
             {"birth": str(birth), "Y0": str(cohort.base_year)}, str(n), source),
        Step("delay_months", "延迟月数", "min(上限, max(0, ⌈n ÷ 步长⌉))",
             {"n": str(n), "step_months": str(cohort.step_months), "cap_months": str(cohort.cap_months)},
             str(delay), source),
        Step("retirement_age", "法定退休年龄", "原法定退休年龄 + 延迟月数", {"original_age": str(years),
             "delay_months": str(delay)}, f"{age}（{age.label}）", source),
        Step("retirement_month", "退休时间", "出生年月 + 法定退休年龄", {"birth": str(birth), "age": str(age)},
             str(month), source),
        Step("minimum_contribution_months", "最低缴费月数",
             "按退休年份查最低缴费月数表（2029年及以前180个月，2030年起每年增加6个月，最高240个月）",
             {"year": str(month.year)}, str(minimum), p.source("minimum")),
    ]
    return RetirementAge(birth, sex, cohort, delay, age, month, minimum, trace)


@dataclass(frozen=True)
class FlexibleRetirement:
    kind: str  # "early", "statutory" or "late"
    label: str
    statutory: RetirementAge
    month: Month
    age: Age
    earliest: Month
    latest: Month
    minimum_contribution_months: int


FLEXIBLE_KINDS = {"early": "弹性提前退休", "statutory": "按法定退休年龄退休", "late": "弹性延迟退休"}


def flexible_retirement(*, birth: Month, sex: str, requested: Month, contribution_months: int,
                        employer_agrees: bool, original_age: int | None = None,
                        params: PensionParameters | None = None) -> FlexibleRetirement:
    """Check a requested retirement month against the flexible-retirement rules; refuse naming the rule.

    Early: at most 3 years before the statutory month, never below the old statutory age, and the
    minimum contribution months of the requested year met. Late: at most 3 years after, with the
    employer's agreement (协商一致).
    """
    p = params or national()
    statutory = retirement_age(birth=birth, sex=sex, original_age=original_age, params=p)
    old_age_month = birth.plus(statutory.cohort.original_years * 12)
    earliest = max(statutory.retirement_month.plus(-p.flexible_early_months), old_age_month)
    latest = statutory.retirement_month.plus(p.flexible_late_months)
    minimum = minimum_contribution_months(requested.year, params=p)
    kind = "statutory"
    if requested < statutory.retirement_month:
        kind = "early"
        if requested < old_age_month:
            raise PensionRuleError("flexible-below-original-age", "requested_month",
                                   f"弹性提前退休的年龄不得低于原法定退休年龄{statutory.cohort.original_years}周岁"
                                   f"（最早{earliest}）")
        if requested < earliest:
            raise PensionRuleError("flexible-early-limit", "requested_month",
                                   f"弹性提前退休最长不超过3年（最早{earliest}）")
        if contribution_months < minimum:
            raise PensionRuleError("flexible-minimum-months", "contribution_months",
                                   f"弹性提前退休须达到最低缴费年限：{requested.year}年为{minimum}个月，"
                                   f"您已缴费{contribution_months}个月")
    elif requested > statutory.retirement_month:
        kind = "late"
        if requested > latest:
            raise PensionRuleError("flexible-late-limit", "requested_month",
                                   f"弹性延迟退休最长不超过3年（最晚{latest}）")
        if not employer_agrees:
            raise PensionRuleError("flexible-late-consent", "employer_agrees",
                                   "弹性延迟退休须所在单位与职工协商一致")
    age = Age(requested.index - birth.index)
    return FlexibleRetirement(kind, FLEXIBLE_KINDS[kind], statutory, requested, age, earliest, latest, minimum)


# ---------------------------------------------------------------- divisor (计发月数)


def divisor(age: Age, *, params: PensionParameters | None = None) -> tuple[Decimal, Step]:
    """The account divisor at `age`: the table's whole-age value, interpolated linearly by month, to 0.1."""
    p = params or national()
    low, high = min(p.divisors), max(p.divisors)
    if not Age.of(low) <= age <= Age.of(high):
        raise PensionRuleError("age-range", "age", f"计发月数表覆盖{low}岁至{high}岁，{age.label}不在其中")
    base = p.divisors[age.years]
    if age.months == 0:
        value = base.quantize(TENTH, rounding=ROUND_HALF_UP)
        return value, Step("divisor", "计发月数", "按退休年龄查表", {"age": str(age)}, str(value),
                           p.source("divisor"))
    following = p.divisors[age.years + 1]
    value = (base + (following - base) * age.months / 12).quantize(TENTH, rounding=ROUND_HALF_UP)
    step = Step("divisor", "计发月数", "D(岁) + (D(岁+1) − D(岁)) × 月 ÷ 12，保留一位小数",
                {"age": str(age), f"D({age.years})": str(base), f"D({age.years + 1})": str(following),
                 "months": str(age.months)}, str(value), f"{p.source('divisor')}；{p.source('interpolation')}")
    return value, step


# ---------------------------------------------------------------- the benefit (养老金计发)


@dataclass(frozen=True)
class Benefit:
    basic: Decimal
    account: Decimal
    transitional: Decimal
    total: Decimal
    divisor: Decimal
    trace: list[Step]


def benefit(*, average_wage: Decimal, index: Decimal, contribution_months: int, account_balance: Decimal,
            age: Age, deemed_months: int = 0, transitional_coefficient: Decimal | None = None,
            deemed_index: Decimal | None = None, params: PensionParameters | None = None) -> Benefit:
    """The monthly pension at retirement: basic + account + transitional, each rounded to the fen.

    `contribution_months` counts every month of contribution years, deemed months included (累计缴费年限
    含视同缴费年限); `deemed_months` is the deemed part of them, the base of the transitional pension.
    `deemed_index` is the index of the deemed years (视同缴费指数) where the province sets one; else the
    person's own average index `index`.
    """
    p = params or national()
    if average_wage <= 0:
        raise PensionRuleError("average-wage", "average_wage", "上年度全省全口径城镇单位就业人员月平均工资应大于0")
    if index <= 0:
        raise PensionRuleError("index", "index", "本人平均缴费指数应大于0")
    if contribution_months < 0:
        raise PensionRuleError("months", "months", "累计缴费月数不能为负数")
    if account_balance < 0:
        raise PensionRuleError("account-balance", "account_balance", "个人账户储存额不能为负数")
    if not 0 <= deemed_months <= contribution_months:
        raise PensionRuleError("deemed-months", "deemed_months",
                               "视同缴费月数应在0到累计缴费月数之间（累计缴费月数含视同缴费月数）")
    coefficient = p.transitional_coefficient if transitional_coefficient is None else transitional_coefficient
    if not 0 <= coefficient < 1:
        raise PensionRuleError("transitional-coefficient", "transitional_coefficient",
                               "过渡性养老金计发系数应在0到1之间，如0.012表示1.2%")
    z_deemed = index if deemed_index is None else deemed_index
    if z_deemed <= 0:
        raise PensionRuleError("deemed-index", "deemed_index", "视同缴费指数应大于0")
    c = average_wage
    rate = p.basic_rate_per_year
    indexed = c * index
    years = Decimal(contribution_months) / 12
    basic = money((c + indexed) * contribution_months * rate / 24)
    d, divisor_step = divisor(age, params=p)
    account = money(account_balance / d)
    deemed_years = Decimal(deemed_months) / 12
    transitional = money(c * z_deemed * deemed_months * coefficient / 12)
    total = basic + account + transitional
    basic_source = p.source("basic")
    trace = [
        Step("average_wage", "上年度全省全口径城镇单位就业人员月平均工资 C", "参数", {}, show(c), basic_source),
        Step("index", "本人平均缴费指数 Z", "各年缴费基数 ÷ 当年平均工资 的平均值", {}, show(index), basic_source),
        Step("indexed_wage", "本人指数化月平均缴费工资", "C × Z", {"C": show(c), "Z": show(index)}, show(indexed),
             basic_source),
        Step("contribution_years", "累计缴费年限 N（含视同缴费年限）", "累计缴费月数 ÷ 12",
             {"months": str(contribution_months)}, show(years), basic_source),
        Step("basic", "基础养老金", "(C + C × Z) ÷ 2 × N × 1%，四舍五入到分",
             {"C": show(c), "C×Z": show(indexed), "N": show(years), "rate": show(rate)}, str(basic), basic_source),
        divisor_step,
        Step("account", "个人账户养老金", "个人账户储存额 ÷ 计发月数，四舍五入到分",
             {"account_balance": show(account_balance), "divisor": str(d)}, str(account), p.source("divisor")),
        Step("transitional", "过渡性养老金", "C × 视同缴费指数 × 视同缴费年限 × 计发系数，四舍五入到分",
             {"C": show(c), "Z": show(z_deemed), "deemed_years": show(deemed_years),
              "coefficient": show(coefficient)}, str(transitional), p.source("transitional")),
        Step("total", "基本养老金合计", "基础养老金 + 个人账户养老金 + 过渡性养老金",
             {"basic": str(basic), "account": str(account), "transitional": str(transitional)}, str(total),
             basic_source),
    ]
    return Benefit(basic, account, transitional, total, d, trace)


# ---------------------------------------------------------------- pooled-fund transfer (转移接续)


@dataclass(frozen=True)
class BasePeriod:
    """Months contributed at one monthly base; `year` None means a period the caller knows is from 1998 on."""

    monthly_base: Decimal
    months: int
    year: int | None = None


@dataclass(frozen=True)
class Transfer:
    amount: Decimal
    counted_bases: Decimal
    trace: list[Step]


def pooled_transfer(periods: Sequence[BasePeriod], *, params: PensionParameters | None = None) -> Transfer:
    """The pooled fund that moves with a person: 12 % of the actual bases from 1998 on, months pro rata."""
    p = params or national()
    source = p.source("transfer")
    trace: list[Step] = []
    counted = Decimal(0)
    for number, period in enumerate(periods, start=1):
        if period.monthly_base < 0:
            raise PensionRuleError("monthly-base", "monthly_base", "月缴费基数不能为负数")
        if not 0 <= period.months <= 12 * 100:
            raise PensionRuleError("months", "months", "缴费月数应为0或正整数")
        if period.year is not None and period.year < p.transfer_from_year:
            trace.append(Step(f"period_{number}", f"第{number}段缴费（{period.year}年）",
                              f"{p.transfer_from_year}年以前不计",
                              {"monthly_base": show(period.monthly_base), "months": str(period.months)}, "0",
                              source))
            continue
        bases = period.monthly_base * period.months
        counted += bases
        trace.append(Step(f"period_{number}", f"第{number}段缴费" + (f"（{period.year}年）" if period.year else ""),
                          "月缴费基数 × 缴费月数", {"monthly_base": show(period.monthly_base),
                                             "months": str(period.months)}, show(bases), source))
    amount = money(counted * p.transfer_rate)
    trace.append(Step("pooled_transfer", "统筹基金转移额", "Σ 缴费基数 × 12%，四舍五入到分",
                      {"bases": show(counted), "rate": show(p.transfer_rate)}, str(amount), source))
    return Transfer(amount, counted, trace)


# ---------------------------------------------------------------- yearly adjustment (养老金调整)


@dataclass(frozen=True)
class AgeTilt:
    """倾斜调整: this many yuan a month more for a retiree aged `from_age` or older (the highest band reached)."""

    from_age: int
    amount: Decimal


@dataclass(frozen=True)
class AdjustmentScheme:
    """One year's provincial adjustment scheme (调整方案), as the province publishes it under the national
    notice: a fixed amount (定额), amounts linked to contribution years and to the pension itself (挂钩),
    and tilts for the old (倾斜). Who retired by `retired_by` is adjusted, from `effective_from`."""

    effective_from: date
    retired_by: date
    fixed: Decimal
    per_contribution_year: Decimal
    proportional: Decimal
    age_tilts: tuple[AgeTilt, ...]
    source: str
    national_rate: Decimal | None = None  # the national overall level of the year, for display


@dataclass(frozen=True)
class Adjustment:
    eligible: bool
    increase: Decimal
    new_pension: Decimal
    trace: list[Step]


def scheme_for(schemes: Sequence[AdjustmentScheme], on: date) -> AdjustmentScheme | None:
    """The scheme in force on `on`: the latest whose date of effect is not after it."""
    applicable = [s for s in schemes if s.effective_from <= on]
    return max(applicable, key=lambda s: s.effective_from) if applicable else None


def adjust(*, scheme: AdjustmentScheme, pension: Decimal, contribution_months: int, birth: Month,
           retired: Month) -> Adjustment:
    """The yearly increase of a pension in payment: fixed + per whole contribution year + share of the
    pension (half-up to the fen) + the tilt of the highest age band reached in the year of effect."""
    if pension < 0 or contribution_months < 0:
        raise PensionRuleError("adjustment-input", "pension", "养老金和缴费月数不能为负数")
    cutoff = Month(scheme.retired_by.year, scheme.retired_by.month)
    if retired > cutoff:
        step = Step("eligible", "调整范围", "退休时间不晚于方案规定的时间",
                    {"retired": str(retired), "retired_by": scheme.retired_by.isoformat()}, "不在本次调整范围",
                    scheme.source)
        return Adjustment(False, Decimal("0.00"), pension, [step])
    years = contribution_months // 12
    age = scheme.effective_from.year - birth.year  # age reached in the year of effect (周岁, by year)
    tilt = max((t for t in scheme.age_tilts if age >= t.from_age), key=lambda t: t.from_age, default=None)
    linked_years = money(scheme.per_contribution_year * years)
    linked_share = money(pension * scheme.proportional)
    tilt_amount = money(tilt.amount) if tilt else Decimal("0.00")
    increase = money(scheme.fixed) + linked_years + linked_share + tilt_amount
    trace = [
        Step("fixed", "定额调整", "每人每月", {}, str(money(scheme.fixed)), scheme.source),
        Step("linked_years", "与缴费年限挂钩", "每满一年缴费年限的金额 × 缴费年限（整年）",
             {"per_year": show(scheme.per_contribution_year), "years": str(years)}, str(linked_years), scheme.source),
        Step("linked_share", "与基本养老金水平挂钩", "本人月基本养老金 × 比例，四舍五入到分",
             {"pension": show(pension), "share": show(scheme.proportional)}, str(linked_share), scheme.source),
        Step("tilt", "高龄倾斜", "达到的最高年龄段的金额", {"age": str(age)}, str(tilt_amount), scheme.source),
        Step("increase", "本次调整增加额", "定额 + 挂钩 + 倾斜",
             {"fixed": str(money(scheme.fixed)), "linked_years": str(linked_years),
              "linked_share": str(linked_share), "tilt": str(tilt_amount)}, str(increase), scheme.source),
        Step("new_pension", "调整后月基本养老金", "调整前 + 增加额", {"before": show(pension)},
             str(money(pension + increase)), scheme.source),
    ]
    return Adjustment(True, increase, money(pension + increase), trace)
