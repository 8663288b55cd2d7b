"""The key groups as data (`data/groups.json`) and the pure checks on them: a membership's attributes, the
hard-to-employ category's own rule (大龄失业人员: women 40+, men 50+), and the employment state derived from
shared data.

The groups, the hard-to-employ categories, the service kinds and the states are provincial configuration
(《就业促进法》第五十二条: the province sets who counts as hard to employ); the shipped file is the national
default, each category saying where it comes from."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.resources import files
from typing import Any

from renshe.core import divisions

NOT_EMPLOYED = "unemployed"
EMPLOYED = "employed"
REGISTRY = "registry"  # the state was derived from an employment relation in the registry
CLERK = "clerk"  # the state was recorded by a clerk (or an import)


@dataclass(frozen=True)
class Attribute:
    field: str
    label: str
    type: str  # text | year | choice | county | category
    required: bool
    choices: Mapping[str, str]


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    source: str
    female_min: int | None
    male_min: int | None


@dataclass(frozen=True)
class Group:
    code: str
    name: str
    follow_up: str
    basis: str
    attributes: tuple[Attribute, ...]
    categories: Mapping[str, Category]


@dataclass(frozen=True)
class Catalog:
    note: str
    groups: Mapping[str, Group]
    service_kinds: Mapping[str, str]
    states: Mapping[str, str]
    unserved_days: int  # the worklist's default: no service in this many days


@dataclass(frozen=True)
class Problem:
    """One broken rule: the field it names, the rule's code and a sentence in Chinese."""

    field: str
    rule: str
    message: str


@cache
def catalog() -> Catalog:
    raw = json.loads(files("renshe.keygroups").joinpath("data/groups.json").read_text(encoding="utf-8"))
    groups = {}
    for g in raw["groups"]:
        attributes = tuple(Attribute(a["field"], a["label"], a["type"], bool(a["required"]),
                                     dict(a.get("choices", {}))) for a in g["attributes"])
        categories = {c["code"]: Category(c["code"], c["name"], c["source"],
                                          c.get("rule", {}).get("female_min"), c.get("rule", {}).get("male_min"))
                      for c in g.get("categories", [])}
        groups[g["code"]] = Group(g["code"], g["name"], g["follow_up"], g["basis"], attributes, categories)
    states = dict(raw["states"])
    if NOT_EMPLOYED not in states or EMPLOYED not in states:
        raise ValueError("groups.json: the states must include unemployed and employed")
    return Catalog(raw["note"], groups, dict(raw["service_kinds"]), states, int(raw.get("unserved_days", 30)))


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def check_membership(group_code: str, attributes: Mapping[str, str], *, birth_date: date, male: bool,
                     on: date) -> tuple[dict[str, str], list[Problem]]:
    """The membership's attributes cleaned (only the group's own fields, trimmed) and every broken rule."""
    group = catalog().groups.get(group_code)
    if group is None:
        names = "、".join(g.name for g in catalog().groups.values())
        return {}, [Problem("group", "group", f"重点群体应为{names}之一")]
    clean: dict[str, str] = {}
    problems: list[Problem] = []
    for attribute in group.attributes:
        value = str(attributes.get(attribute.field, "") or "").strip()
        if not value:
            if attribute.required:
                problems.append(Problem(attribute.field, "required", f"{group.name}须填写“{attribute.label}”"))
            continue
        problem = _check_value(group, attribute, value, birth_date=birth_date, male=male, on=on)
        if problem is not None:
            problems.append(problem)
            continue
        clean[attribute.field] = value
    return clean, problems


def _check_value(group: Group, attribute: Attribute, value: str, *, birth_date: date, male: bool,
                 on: date) -> Problem | None:
    label = f"“{attribute.label}”"
    if len(value) > 100:
        return Problem(attribute.field, "too-long", f"{label}不能超过100个字")
    if attribute.type == "year":
        if not value.isdigit() or not 1950 <= int(value) <= on.year + 1:
            return Problem(attribute.field, "year", f"{label}应为1950至{on.year + 1}之间的四位年份")
    elif attribute.type == "choice":
        if value not in attribute.choices:
            return Problem(attribute.field, "choice", f"{label}应为{'、'.join(attribute.choices.values())}之一")
    elif attribute.type == "county":
        found = divisions.get(value)
        if found is None or found.level != "county":
            return Problem(attribute.field, "county", f"{label}应为县级行政区划代码（6位，如 110105）")
    elif attribute.type == "category":
        category = group.categories.get(value)
        if category is None:
            names = "、".join(c.name for c in group.categories.values())
            return Problem(attribute.field, "category", f"{label}应为{names}之一")
        least = category.male_min if male else category.female_min
        age = age_on(birth_date, on)
        if least is not None and age < least:
            return Problem(attribute.field, "category-age",
                           f"{category.name}须女性年满{category.female_min}周岁、男性年满{category.male_min}周岁，"
                           f"该人员为{'男' if male else '女'}性，现年{age}周岁")
    return None


def effective_state(stored: str, source: str, *, employed_now: bool) -> tuple[str, str]:
    """(state, source) as shown: an open employment relation in the registry means employed, whatever was
    recorded; a state the registry once set to employed falls back to not employed when the relation ended.
    Any other recorded state (灵活就业, 升学, 参军 ...) stands as the clerk recorded it."""
    if employed_now:
        return EMPLOYED, REGISTRY
    if stored == EMPLOYED and source == REGISTRY:
        return NOT_EMPLOYED, REGISTRY
    return stored, source


def describe(group_code: str, attributes: Mapping[str, Any]) -> str:
    """The membership in one line a person reads (labels, not codes)."""
    group = catalog().groups.get(group_code)
    if group is None:
        return ""
    parts = []
    for attribute in group.attributes:
        value = str(attributes.get(attribute.field, "") or "")
        if not value:
            continue
        if attribute.type == "choice":
            value = attribute.choices.get(value, value)
        elif attribute.type == "category":
            found = group.categories.get(value)
            value = found.name if found else value
        elif attribute.type == "county":
            value = f"{divisions.full_name(value)}（{value}）"
        parts.append(f"{attribute.label}：{value}")
    return "；".join(parts)
