"""Pure rules of social insurance contributions and accounts: base clamp, monthly amounts, the late
surcharge and the yearly account interest. Nothing here touches the database; the ledger
(`insurance.service`) calls these with the parameters in force on the date of effect.

Money is integer fen (分). Rounding is explicit and the same everywhere: each amount is computed
exactly (Decimal) from its inputs and rounded half-up to the fen once, at the end of its own formula
(`round_fen`). Each result carries a trace of `Step`s like the pension rules.

Sources:
- Base floor and cap: 60 % and 300 % of the province's all-caliber average wage (国办发〔2019〕13号).
- Rates: pension 16 % employer and 8 % individual (all of it to the account); flexible workers 20 %,
  8 % of it to the account (国办发〔2019〕13号; 国发〔2005〕38号).
- Late surcharge: 社会保险法 art. 86, 0.05 % (万分之五) a day from the day the arrears began. The days are
  counted as the tax collector counts them (税收征收管理法实施细则 art. 75): from the day after the last day
  for payment up to and including the day of payment, i.e. `paid - due` in calendar days.
- Account interest: 劳办发〔1997〕116号《职工基本养老保险个人账户管理暂行办法》: last year's closing balance
  earns the year's rate in full; the year's own postings earn `rate × 1.083 × 1/2` (the "annual" convention
  here). Provinces differ, so the in-year convention is a parameter: "annual" (1997 formula), "monthly"
  (each month's posting earns rate × remaining months ÷ 12) or "none".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from renshe.core.errors import DomainError, FieldError
from renshe.core.trace import Step, show

BASE_SOURCE = ("国办发〔2019〕13号《降低社会保险费率综合方案》"
               "（缴费基数上下限为全口径城镇单位就业人员平均工资的60%和300%）")
RATE_SOURCE = ("国办发〔2019〕13号；国发〔2005〕38号"
               "（单位16%，个人8%全部记入个人账户；灵活就业人员20%，其中8%记入个人账户）")
SURCHARGE_SOURCE = "《中华人民共和国社会保险法》第八十六条（自欠缴之日起按日加收万分之五滞纳金）"
DAYS_SOURCE = "《税收征收管理法实施细则》第七十五条（自缴纳期限届满次日起至实际缴纳之日止）"
INTEREST_SOURCE = "劳办发〔1997〕116号《职工基本养老保险个人账户管理暂行办法》"
SURCHARGE_DAILY_RATE = Decimal("0.0005")
FLOOR_SHARE = Decimal("0.60")
CAP_SHARE = Decimal("3.00")
ANNUAL_FACTOR = Decimal("1.083")
CONVENTIONS = {"annual": "当年记账额按 利率 × 1.083 × 1/2 计息（劳办发〔1997〕116号）",
               "monthly": "当年每月记账额按 利率 × 当年剩余月数 ÷ 12 计息", "none": "当年记账额当年不计息"}


class InsuranceRuleError(DomainError):
    """An input the contribution rules refuse; `rule` becomes the code `renshe:insurance/<rule>`."""

    def __init__(self, rule: str, field_name: str, message: str) -> None:
        code = f"renshe:insurance/{rule}"
        super().__init__(code, message, 422, "不符合社会保险缴费规则", [FieldError(field_name, code, message)])


def round_fen(value: Decimal) -> int:
    """Round an amount in fen half-up to a whole fen."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def yuan(fen: int) -> str:
    """Integer fen as yuan with two decimals ("1438.85")."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def percent(share: Decimal) -> str:
    """A share as a percentage without trailing zeros ("20%", "0.5%")."""
    text = format((share * 100).normalize(), "f")
    return f"{text}%"


def fen_of(amount: Decimal) -> int:
    """Yuan (at most two decimals) as integer fen; more decimals are refused rather than rounded away."""
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"{amount} has more than two decimals")
    return int(fen)


# ---------------------------------------------------------------- contribution base (缴费基数)


@dataclass(frozen=True)
class ClampedBase:
    declared_fen: int
    floor_fen: int
    cap_fen: int
    base_fen: int
    clamp: str | None  # "floor", "cap" or None
    trace: list[Step]

    @property
    def clamp_label(self) -> str:
        labels = {"floor": "低于下限，按下限核定", "cap": "高于上限，按上限核定"}
        return labels.get(self.clamp or "", "在上下限之间，按申报核定")


def base_limits(average_wage_fen: int, *, floor_share: Decimal = FLOOR_SHARE,
                cap_share: Decimal = CAP_SHARE) -> tuple[int, int]:
    """Floor and cap of the monthly base: 60 % and 300 % of the average monthly wage, half-up to the fen."""
    if average_wage_fen <= 0:
        raise InsuranceRuleError("average-wage", "average_wage", "全口径城镇单位就业人员月平均工资应大于0")
    return round_fen(average_wage_fen * floor_share), round_fen(average_wage_fen * cap_share)


def clamp_base(*, declared_fen: int, average_wage_fen: int, floor_share: Decimal = FLOOR_SHARE,
               cap_share: Decimal = CAP_SHARE, source: str = BASE_SOURCE) -> ClampedBase:
    """The monthly contribution base: the declared wage held within the floor and cap, with the clamp shown."""
    if declared_fen < 0:
        raise InsuranceRuleError("declared-base", "declared_base", "申报缴费工资不能为负数")
    floor, cap = base_limits(average_wage_fen, floor_share=floor_share, cap_share=cap_share)
    base = min(max(declared_fen, floor), cap)
    clamp = "floor" if declared_fen < floor else "cap" if declared_fen > cap else None
    trace = [
        Step("floor", "缴费基数下限", "月平均工资 × 60%，四舍五入到分",
             {"average_wage": yuan(average_wage_fen), "share": show(floor_share)}, yuan(floor), source),
        Step("cap", "缴费基数上限", "月平均工资 × 300%，四舍五入到分",
             {"average_wage": yuan(average_wage_fen), "share": show(cap_share)}, yuan(cap), source),
        Step("base", "核定缴费基数", "min(max(申报工资, 下限), 上限)",
             {"declared": yuan(declared_fen), "floor": yuan(floor), "cap": yuan(cap)}, yuan(base), source),
    ]
    return ClampedBase(declared_fen, floor, cap, base, clamp, trace)


# ---------------------------------------------------------------- monthly amounts (月缴费额)


@dataclass(frozen=True)
class Rates:
    """Contribution rates of one insurance type: the employer's, the individual's, and the part of the
    whole that goes to the individual account."""

    employer: Decimal
    individual: Decimal
    to_account: Decimal
    source: str = RATE_SOURCE


EMPLOYEE_PENSION = Rates(Decimal("0.16"), Decimal("0.08"), Decimal("0.08"))
FLEXIBLE_PENSION = Rates(Decimal("0"), Decimal("0.20"), Decimal("0.08"))


@dataclass(frozen=True)
class Contribution:
    base_fen: int
    employer_fen: int
    individual_fen: int
    account_fen: int  # posted to the individual account
    pooled_fen: int  # to the pooled fund: everything else
    trace: list[Step]

    @property
    def total_fen(self) -> int:
        return self.employer_fen + self.individual_fen


def contribution_amounts(*, base_fen: int, rates: Rates = EMPLOYEE_PENSION) -> Contribution:
    """The month's amounts per side, each base × rate rounded half-up to the fen on its own."""
    if base_fen < 0:
        raise InsuranceRuleError("base", "base", "缴费基数不能为负数")
    for name, rate in (("employer", rates.employer), ("individual", rates.individual),
                       ("to_account", rates.to_account)):
        if not 0 <= rate <= 1:
            raise InsuranceRuleError("rate", name, "费率应在0到1之间")
    if rates.to_account > rates.employer + rates.individual:
        raise InsuranceRuleError("rate", "to_account", "记入个人账户的比例不能大于总费率")
    employer = round_fen(base_fen * rates.employer)
    individual = round_fen(base_fen * rates.individual)
    account = min(round_fen(base_fen * rates.to_account), employer + individual)
    pooled = employer + individual - account
    trace = [
        Step("employer", "单位缴费", "缴费基数 × 单位费率，四舍五入到分",
             {"base": yuan(base_fen), "rate": show(rates.employer)}, yuan(employer), rates.source),
        Step("individual", "个人缴费", "缴费基数 × 个人费率，四舍五入到分",
             {"base": yuan(base_fen), "rate": show(rates.individual)}, yuan(individual), rates.source),
        Step("account", "记入个人账户", "缴费基数 × 记账比例，四舍五入到分",
             {"base": yuan(base_fen), "rate": show(rates.to_account)}, yuan(account), rates.source),
        Step("pooled", "划入统筹基金", "单位缴费 + 个人缴费 − 记入个人账户",
             {"employer": yuan(employer), "individual": yuan(individual), "account": yuan(account)}, yuan(pooled),
             rates.source),
    ]
    return Contribution(base_fen, employer, individual, account, pooled, trace)


# ---------------------------------------------------------------- late surcharge (滞纳金)


def overdue_days(*, due: date, paid: date) -> int:
    """Days of arrears: from the day after `due` (the last day to pay) to `paid`, inclusive."""
    return max(0, (paid - due).days)


@dataclass(frozen=True)
class Surcharge:
    amount_fen: int
    days: int
    surcharge_fen: int
    trace: list[Step]


def late_surcharge(*, amount_fen: int, days: int, daily_rate: Decimal = SURCHARGE_DAILY_RATE) -> Surcharge:
    """社会保险法 art. 86: the unpaid amount × 0.05 % × days in arrears, half-up to the fen."""
    if amount_fen < 0:
        raise InsuranceRuleError("amount", "amount", "欠缴金额不能为负数")
    if days < 0:
        raise InsuranceRuleError("days", "days", "滞纳天数不能为负数")
    surcharge = round_fen(amount_fen * daily_rate * days)
    trace = [Step("surcharge", "滞纳金", "欠缴金额 × 万分之五 × 滞纳天数，四舍五入到分",
                  {"amount": yuan(amount_fen), "daily_rate": show(daily_rate), "days": str(days)}, yuan(surcharge),
                  SURCHARGE_SOURCE)]
    return Surcharge(amount_fen, days, surcharge, trace)


def read_yuan_fen(text: str | None, *, field_name: str, label: str) -> int:
    """An amount of yuan typed by a person ("10000", "10,000.5") as integer fen; at most two decimals."""
    raw = (text or "").strip().replace(",", "")
    rule = field_name.replace("_", "-")
    if not raw:
        raise InsuranceRuleError(rule, field_name, f"请填写{label}")
    try:
        value = Decimal(raw) if len(raw) <= 40 else Decimal("NaN")
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise InsuranceRuleError(rule, field_name, f"{label}应为金额（元），最多两位小数，如10000.00")
    if not 0 <= value <= 1_000_000_000:  # before scaling: 1e999999 yuan would overflow, not be refused
        raise InsuranceRuleError(rule, field_name, f"{label}应在0到10亿元之间")
    try:
        return fen_of(value)
    except ValueError:
        raise InsuranceRuleError(rule, field_name, f"{label}最多两位小数（到分）") from None


def read_days(text: str | None, *, field_name: str = "days", label: str = "滞纳天数") -> int:
    raw = (text or "").strip()
    if not raw.isascii() or not raw.isdigit() or int(raw) > 36_500:
        raise InsuranceRuleError("days", field_name, f"{label}应为0到36500之间的整数")
    return int(raw)


def surcharge_from_text(*, amount: str | None, days: str | None) -> Surcharge:
    """The late surcharge on typed input (CLI, API, page), every bad field reported at once."""
    errors: list[FieldError] = []
    amount_fen = days_count = 0
    try:
        amount_fen = read_yuan_fen(amount, field_name="amount", label="欠缴金额")
    except InsuranceRuleError as exc:
        errors.extend(exc.errors)
    try:
        days_count = read_days(days)
    except InsuranceRuleError as exc:
        errors.extend(exc.errors)
    if errors:
        detail = errors[0].message if len(errors) == 1 else f"有{len(errors)}项输入不符合要求，请逐项修改"
        raise DomainError(errors[0].code, detail, 422, "输入不符合测算规则", errors)
    return late_surcharge(amount_fen=amount_fen, days=days_count)


# ---------------------------------------------------------------- yearly interest (个人账户记账利息)


@dataclass(frozen=True)
class Posting:
    """One month's posting into the account in the interest year (month 1..12)."""

    month: int
    amount_fen: int


@dataclass(frozen=True)
class Interest:
    opening_fen: int
    postings_fen: int
    interest_on_balance_fen: int
    interest_on_postings_fen: int
    closing_fen: int
    trace: list[Step]

    @property
    def interest_fen(self) -> int:
        return self.interest_on_balance_fen + self.interest_on_postings_fen


def credit_interest(*, opening_fen: int, rate: Decimal, postings: Sequence[Posting] = (),
                    convention: str = "annual", rate_source: str = "当年记账利率（人力资源社会保障部、财政部公布）"
                    ) -> Interest:
    """A year's interest on the account: the opening balance at the full rate, the year's postings by the
    in-year `convention`; the closing balance is opening + postings + interest."""
    if any(not 1 <= p.month <= 12 for p in postings):
        raise InsuranceRuleError("posting-month", "postings", "记账月份应在1到12之间")
    return interest_from_sums(opening_fen=opening_fen, rate=rate, posted_fen=sum(p.amount_fen for p in postings),
                              month_weighted_fen=sum(p.amount_fen * (12 - p.month) for p in postings),
                              convention=convention, rate_source=rate_source)


def interest_from_sums(*, opening_fen: int, rate: Decimal, posted_fen: int, month_weighted_fen: int,
                       convention: str = "annual", rate_source: str = "当年记账利率（人力资源社会保障部、财政部公布）"
                       ) -> Interest:
    """`credit_interest` from the year's sums: the postings' total and Σ amount × (12 − month). The yearly
    batch computes the same figures in SQL (`insurance.jobs`), and a property test holds the two equal."""
    if convention not in CONVENTIONS:
        raise InsuranceRuleError("interest-convention", "convention", "当年记账额计息方式应为 annual、monthly 或 none")
    if opening_fen < 0:
        raise InsuranceRuleError("balance", "opening", "个人账户上年末储存额不能为负数")
    if not -1 < rate < 1:
        raise InsuranceRuleError("rate", "rate", "记账利率应在-100%到100%之间，如0.0262")
    posted = posted_fen
    on_balance = round_fen(opening_fen * rate)
    if convention == "annual":
        on_postings = round_fen(posted * rate * ANNUAL_FACTOR / 2)
        formula = "当年记账额 × 利率 × 1.083 × 1/2"
    elif convention == "monthly":
        on_postings = round_fen(month_weighted_fen * rate / 12)
        formula = "Σ 每月记账额 × 利率 × (12 − 记账月) ÷ 12"
    else:
        on_postings = 0
        formula = "当年记账额当年不计息"
    closing = opening_fen + posted + on_balance + on_postings
    trace = [
        Step("interest_on_balance", "上年末储存额利息", "上年末储存额 × 记账利率，四舍五入到分",
             {"opening": yuan(opening_fen), "rate": show(rate)}, yuan(on_balance), f"{INTEREST_SOURCE}；{rate_source}"),
        Step("interest_on_postings", "当年记账额利息", formula + "，四舍五入到分",
             {"postings": yuan(posted), "rate": show(rate), "convention": convention}, yuan(on_postings),
             f"{INTEREST_SOURCE}；{CONVENTIONS[convention]}"),
        Step("closing", "本年末储存额", "上年末储存额 + 当年记账额 + 利息",
             {"opening": yuan(opening_fen), "postings": yuan(posted), "interest": yuan(on_balance + on_postings)},
             yuan(closing), INTEREST_SOURCE),
    ]
    return Interest(opening_fen, posted, on_balance, on_postings, closing, trace)
