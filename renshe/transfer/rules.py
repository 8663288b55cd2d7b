"""Pure rules of the cross-province transfer (转移接续) of the enterprise employee pension.

Sources (quoted where used):
- 《城镇企业职工基本养老保险关系转移接续暂行办法》（国办发〔2009〕66号）:
  第五条 the relation moves with the person, except men aged 50+ and women aged 40+ who keep it at the old
  place and get a temporary contribution account (临时基本养老保险缴费账户) at the new place, unless the new
  place is their household registration place (户籍所在地);
  第六条 the place where the benefit is claimed (待遇领取地);
  第八条 the process: the new place checks the application and sends the request (联系函) within 15 working
  days, the old place completes the transfer within 15 working days of the request, the new place completes
  the take-over within 15 working days of receiving the relation and the funds.
- 《关于城镇企业职工基本养老保险关系转移接续若干问题的通知》（人社部发〔2016〕5号）: the same process and
  limits, a temporary account's contributions and interest follow the relation when the person moves on.

No database here; the service reads the facts and calls these functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

SOURCE_66 = "国办发〔2009〕66号"
SOURCE_2016 = "人社部发〔2016〕5号"

# Working days each step may take, with the article that sets it.
STEP_LIMITS: dict[str, tuple[int, str, str]] = {
    "request": (15, "转入地审核申请并发出联系函", f"{SOURCE_66}第八条（二）；{SOURCE_2016}"),
    "transfer": (15, "转出地出具参保缴费凭证并转移关系和基金", f"{SOURCE_66}第八条（三）；{SOURCE_2016}"),
    "take_over": (15, "转入地接续关系并记账", f"{SOURCE_66}第八条（四）；{SOURCE_2016}"),
}

BENEFIT_YEARS = 10  # 第六条: cumulative contribution years at a place that make it the benefit place
TEMPORARY_AGE = {"male": 50, "female": 40}  # 第五条


def age_on(birth: date, day: date) -> int:
    """Whole years of age (周岁) on DAY."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@dataclass(frozen=True)
class MoveDecision:
    """Whether the relation moves (`transfer`) or stays, with a temporary account at the new place (`temporary`)."""

    kind: str  # transfer | temporary
    label: str
    reason: str
    source: str


def move_decision(*, sex: str, birth: date, on: date, new_place: str, registration_place: str) -> MoveDecision:
    """第五条: men 50+ and women 40+ moving to a place that is not their registration place keep the relation at
    the old place; the new place opens a temporary account. Places are compared by province code prefix."""
    if sex not in TEMPORARY_AGE:
        raise ValueError("sex must be male or female")
    age = age_on(birth, on)
    limit = TEMPORARY_AGE[sex]
    source = f"{SOURCE_66}第五条"
    at_home = new_place[:2] == registration_place[:2]
    if age >= limit and not at_home:
        who = "男" if sex == "male" else "女"
        return MoveDecision("temporary", "保留原参保关系，转入地建立临时基本养老保险缴费账户",
                            f"{who}性{age}周岁，已满{limit}周岁，且转入地不是户籍所在地", source)
    if age >= limit:
        return MoveDecision("transfer", "转移基本养老保险关系",
                            f"已满{limit}周岁，但转入地是户籍所在地，关系随同转移", source)
    return MoveDecision("transfer", "转移基本养老保险关系", f"{age}周岁，未满{limit}周岁，关系随同转移", source)


@dataclass(frozen=True)
class Place:
    """A place where the person contributed, in the order the person was insured there."""

    code: str  # the province code of the place (or a finer division code)
    months: int  # cumulative contribution months under the relation there (temporary accounts excluded)
    temporary: bool = False  # a temporary account only: never a relation place


@dataclass(frozen=True)
class BenefitPlace:
    place: str
    rule: int  # the item of 第六条 that decided
    reason: str
    source: str


def benefit_place(*, places: Sequence[Place], registration_place: str) -> BenefitPlace:
    """待遇领取地 under 第六条. PLACES are in order, the relation's current place last (temporary account places
    are skipped: their contributions follow the relation).

    (一) relation at the registration place → there; (二) otherwise, 10+ years at the relation's place → there;
    (三) otherwise, back to the latest earlier place with 10+ years; (四) otherwise the registration place."""
    source = f"{SOURCE_66}第六条"
    relation_places = [p for p in places if not p.temporary]
    if not relation_places:
        return BenefitPlace(registration_place, 4, "没有基本养老保险关系所在地，归集到户籍所在地", source)
    current = relation_places[-1]
    if current.code[:2] == registration_place[:2]:
        return BenefitPlace(current.code, 1, "基本养老保险关系在户籍所在地", source)
    threshold = BENEFIT_YEARS * 12
    totals: dict[str, int] = {}
    for place in relation_places:
        totals[place.code] = totals.get(place.code, 0) + place.months
    if totals[current.code] >= threshold:
        return BenefitPlace(current.code, 2, f"在关系所在地累计缴费满{BENEFIT_YEARS}年", source)
    for place in reversed(relation_places[:-1]):
        if place.code != current.code and totals[place.code] >= threshold:
            return BenefitPlace(place.code, 3, f"转回上一个缴费年限满{BENEFIT_YEARS}年的原参保地", source)
    return BenefitPlace(registration_place, 4, f"每个参保地累计缴费均不满{BENEFIT_YEARS}年，归集到户籍所在地", source)


@dataclass(frozen=True)
class StepDeadline:
    step: str
    label: str
    workdays: int
    due: date
    source: str


def step_deadline(step: str, start: date, add_workdays: object) -> StepDeadline:
    """The last day of STEP begun on START, counted in working days by ADD_WORKDAYS (the hall's calendar)."""
    workdays, label, source = STEP_LIMITS[step]
    if not callable(add_workdays):
        raise TypeError("add_workdays must be callable")
    due = add_workdays(start, workdays)
    if not isinstance(due, date):
        raise TypeError("add_workdays must return a date")
    return StepDeadline(step, label, workdays, due, source)
