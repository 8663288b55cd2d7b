"""Eligibility rules of the subsidy policies, as data (`data/policies.json`) checked against facts gathered
from shared data (the person base, unemployment registration, employment relations, the insurance ledger).

Each rule answers met or not with a sentence a person understands; the policy is open to someone only when
every rule is met. The checks here are pure: `service.facts_of` gathers the facts."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib.resources import files
from typing import Any


@dataclass(frozen=True)
class Facts:
    """What the shared data says about the person on the day of the check."""

    status: str  # the person base's status: normal | deceased | emigrated | missing
    birth_date: date
    male: bool
    registered_unemployed: bool
    employed: bool
    paid_months: tuple[date, ...]  # months paid in full of the policy's insurance type, if it asks for one
    claimed: bool  # an application for this policy is open or was paid
    key_groups: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # group → attributes (重点群体)
    certificates: tuple[tuple[str, date], ...] = ()  # valid certificates held: (type key, issue date)


@dataclass(frozen=True)
class Result:
    rule: str
    label: str
    met: bool
    detail: str


@dataclass(frozen=True)
class Policy:
    code: str
    name: str
    amount_fen: int
    amount_note: str
    basis: str
    rules: tuple[Mapping[str, Any], ...]


def load() -> dict[str, Policy]:
    raw = json.loads(files("renshe.subsidies").joinpath("data/policies.json").read_text(encoding="utf-8"))
    policies = {p["code"]: Policy(p["code"], p["name"], int(p["amount_fen"]), p["amount_note"], p["basis"],
                                  tuple(p["rules"])) for p in raw["policies"]}
    for policy in policies.values():
        unknown = [r["rule"] for r in policy.rules if r["rule"] not in CHECKS]
        if unknown:
            raise ValueError(f"policy {policy.code}: unknown rules {unknown}")
    return policies


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _alive(f: Facts, _rule: Mapping[str, Any], _on: date) -> Result:
    met = f.status == "normal"
    return Result("alive", "人员状态正常", met,
                  "人员基础库状态正常" if met else "人员基础库显示该人员已死亡、出境定居或失踪")


def _age(f: Facts, r: Mapping[str, Any], on: date) -> Result:
    age = age_on(f.birth_date, on)
    met = int(r["min"]) <= age < int(r["max"])
    return Result("age", f"年龄{r['min']}至{r['max']}周岁", met, f"现年{age}周岁")


def _age_by_sex(f: Facts, r: Mapping[str, Any], on: date) -> Result:
    age, least = age_on(f.birth_date, on), int(r["male_min"] if f.male else r["female_min"])
    met = least <= age < int(r["max"])
    return Result("age_by_sex", f"就业困难人员年龄（女性{r['female_min']}、男性{r['male_min']}周岁以上，"
                                f"不满{r['max']}周岁）", met, f"{'男' if f.male else '女'}，现年{age}周岁")


def _registered(f: Facts, _rule: Mapping[str, Any], _on: date) -> Result:
    met = f.registered_unemployed
    return Result("registered_unemployed", "已办理失业登记", met, "失业登记有效" if met else "未查到有效的失业登记")


def _not_employed(f: Facts, _rule: Mapping[str, Any], _on: date) -> Result:
    met = not f.employed
    return Result("not_employed", "未与用人单位建立劳动关系", met,
                  "未查到在职的劳动关系" if met else "查到用人单位报告的在职劳动关系，本政策不适用于单位在职人员")


def _contributed(f: Facts, r: Mapping[str, Any], on: date) -> Result:
    months, within = int(r["months"]), int(r["within_months"])
    first = date(on.year, on.month, 1)
    start_index = first.year * 12 + first.month - 1 - within
    recent = [m for m in f.paid_months if m.year * 12 + m.month - 1 >= start_index]
    met = len(recent) >= months
    return Result("contributed", f"近{within}个月缴纳养老保险费至少{months}个月", met,
                  f"近{within}个月足额缴费{len(recent)}个月")


def _key_group(f: Facts, r: Mapping[str, Any], on: date) -> Result:
    """In key group r["group"]; with r["categories"], in one of those categories; with r["graduating"], in the
    year of graduation (毕业年度)."""
    attributes = f.key_groups.get(str(r["group"]))
    label = str(r.get("label", r["group"]))
    if attributes is None:
        return Result("key_group", label, False, "重点群体劳动者信息库中没有相应记录")
    wanted = r.get("categories")
    if wanted and attributes.get("category") not in wanted:
        return Result("key_group", label, False, "重点群体信息库中的认定类别不在本政策范围内")
    if r.get("graduating") and attributes.get("graduation_year") != str(on.year):
        return Result("key_group", label, False, f"毕业年份为{attributes.get('graduation_year', '未登记')}，"
                                                 f"不在毕业年度（{on.year}年）内")
    return Result("key_group", label, True, "重点群体劳动者信息库中有相应记录")


def _certificate(f: Facts, r: Mapping[str, Any], on: date) -> Result:
    """Holds a valid certificate of one of r["types"] issued within r["within_months"]."""
    within = int(r["within_months"])
    month = on.year * 12 + on.month - 1 - within  # the first day of the month WITHIN months back
    since = date(month // 12, month % 12 + 1, 1)
    found = [issued for key, issued in f.certificates if key in r["types"] and issued >= since]
    return Result("certificate", f"近{within}个月取得职业资格证书或职业技能等级证书", bool(found),
                  f"电子证照库中有{found[0]}颁发的证书" if found else "电子证照库中没有近期取得的相应证书")


def _once(f: Facts, _rule: Mapping[str, Any], _on: date) -> Result:
    met = not f.claimed
    return Result("once", "未重复申领", met, "未申领过本项补贴" if met else "已申领或正在申领本项补贴，不能重复申领")


CHECKS: dict[str, Callable[[Facts, Mapping[str, Any], date], Result]] = {
    "alive": _alive, "age": _age, "age_by_sex": _age_by_sex, "registered_unemployed": _registered,
    "not_employed": _not_employed, "contributed": _contributed, "once": _once, "key_group": _key_group,
    "certificate": _certificate}


def check(policy: Policy, facts: Facts, on: date) -> list[Result]:
    """Every rule of the policy with its result, in the policy's order."""
    return [CHECKS[r["rule"]](facts, r, on) for r in policy.rules]
