"""The unemployment insurance benefit's rules (《失业保险条例》, 国务院令第258号, 1999), pure and traced.

- Benefit months (art. 17): contributions of at least 1 year and under 5 give at most 12 months; 5 years and
  under 10 give 18; 10 years or more give 24. Contribution time is counted in months (12 a year): 59 months
  is under 5 years. After re-employment and a new loss of work, contribution time counts anew, and the
  months of the earlier spell that were due but not drawn may be added, but never beyond 24 months.
- Eligibility (art. 14): contributions of at least 1 year, involuntary separation, registered as unemployed
  and seeking work. Under 12 contribution months there is no benefit.
- The monthly amount (art. 18): set by the province, below the local minimum wage and above the local
  subsistence line (城市居民最低生活保障标准). A province's figure outside that band is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from renshe.core.errors import DomainError, FieldError
from renshe.core.trace import Step

SOURCE = "《失业保险条例》（国务院令第258号）"
MONTHS_SOURCE = f"{SOURCE}第十七条"
AMOUNT_SOURCE = f"{SOURCE}第十八条"
CAP_MONTHS = 24
# (contribution months at least, benefit months at most), from the longest band down
BANDS: tuple[tuple[int, int], ...] = ((120, 24), (60, 18), (12, 12))
MAX_CONTRIBUTION_MONTHS = 12 * 70


class UnemploymentRuleError(DomainError):
    """An input the benefit rules refuse; `rule` becomes the code `renshe:unemployment/<rule>`."""

    def __init__(self, rule: str, field_name: str, message: str) -> None:
        code = f"renshe:unemployment/{rule}"
        super().__init__(code, message, 422, "输入不符合失业保险金规则", [FieldError(field_name, code, message)])


@dataclass(frozen=True)
class BenefitMonths:
    contribution_months: int
    unused_months: int
    entitled_months: int  # by this spell's contributions alone
    months: int  # with the earlier spell's unused months added, capped
    trace: list[Step]


def _band_label(months: int) -> str:
    if months >= 120:
        return "累计缴费满10年"
    if months >= 60:
        return "累计缴费满5年不足10年"
    if months >= 12:
        return "累计缴费满1年不足5年"
    return "累计缴费不足1年"


def entitled_months(contribution_months: int) -> int:
    """The longest benefit period that `contribution_months` of contributions give (art. 17)."""
    return next((months for least, months in BANDS if contribution_months >= least), 0)


def benefit_months(*, contribution_months: int, unused_months: int = 0) -> BenefitMonths:
    """Months of benefit for a new spell: this spell's band plus the earlier spell's unused months, ≤ 24."""
    if not 0 <= contribution_months <= MAX_CONTRIBUTION_MONTHS:
        raise UnemploymentRuleError("contribution-months", "contribution_months",
                                    f"累计缴费月数应在0到{MAX_CONTRIBUTION_MONTHS}之间")
    if not 0 <= unused_months <= CAP_MONTHS:
        raise UnemploymentRuleError("unused-months", "unused_months",
                                    f"前次失业应领未领月数应在0到{CAP_MONTHS}之间")
    entitled = entitled_months(contribution_months)
    band = _band_label(contribution_months)
    trace = [Step("band", "按累计缴费时间确定领取期限", "满1年不足5年：12个月；满5年不足10年：18个月；10年以上：24个月",
                  {"contribution_months": str(contribution_months), "band": band}, str(entitled), MONTHS_SOURCE)]
    if entitled == 0:
        trace.append(Step("not_eligible", "不符合领取条件", "累计缴费不足1年的，不能领取失业保险金",
                          {"contribution_months": str(contribution_months)}, "0", f"{SOURCE}第十四条"))
        return BenefitMonths(contribution_months, unused_months, 0, 0, trace)
    months = min(CAP_MONTHS, entitled + unused_months)
    if unused_months:
        trace.append(Step("carry_over", "与前次应领未领期限合并", "本次期限 + 前次应领未领期限，最长不超过24个月",
                          {"entitled": str(entitled), "unused_months": str(unused_months), "cap": str(CAP_MONTHS)},
                          str(months), MONTHS_SOURCE))
    return BenefitMonths(contribution_months, unused_months, entitled, months, trace)


def check_monthly_amount(*, amount_fen: int, subsistence_fen: int, minimum_wage_fen: int) -> None:
    """A province's monthly benefit must lie above the subsistence line and below the minimum wage (art. 18)."""
    if subsistence_fen <= 0 or minimum_wage_fen <= subsistence_fen:
        raise UnemploymentRuleError("amount-band", "minimum_wage", "最低工资标准应高于城市居民最低生活保障标准")
    if not subsistence_fen < amount_fen < minimum_wage_fen:
        raise UnemploymentRuleError("amount", "amount",
                                    "失业保险金标准应低于当地最低工资标准、高于城市居民最低生活保障标准")


def month_start(day: date) -> date:
    return date(day.year, day.month, 1)


def add_months(month: date, count: int) -> date:
    """The first day of the month `count` months after `month`'s (count may be negative)."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> int:
    """How many months from `first`'s to `last`'s, both counted (0 when last is before first)."""
    return max(0, (last.year * 12 + last.month) - (first.year * 12 + first.month) + 1)


@dataclass(frozen=True)
class MonthlyAmount:
    monthly_fen: int
    trace: list[Step]


def monthly_amount(*, amount_fen: int, subsistence_fen: int, minimum_wage_fen: int, sources: dict[str, str],
                   province: str) -> MonthlyAmount:
    """The province's monthly benefit, checked inside its band (art. 18), with its trace."""
    check_monthly_amount(amount_fen=amount_fen, subsistence_fen=subsistence_fen, minimum_wage_fen=minimum_wage_fen)
    trace = [Step("monthly_amount", "失业保险金月标准",
                  "按省级人民政府确定的标准；低于最低工资标准、高于城市居民最低生活保障标准",
                  {"province": province, "minimum_wage": _yuan(minimum_wage_fen),
                   "subsistence_line": _yuan(subsistence_fen)}, _yuan(amount_fen),
                  f"{AMOUNT_SOURCE}；{sources.get('amount', '')}")]
    return MonthlyAmount(amount_fen, trace)


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"
