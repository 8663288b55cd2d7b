"""The warning rules as data (`data/rules.json`) and the pure month arithmetic of the scan.

Each rule has a stable code (its scan in `jobs.py`), a Chinese name and a level (red or yellow). Wages for a
month are due on the project's agreed pay day of the following month."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.resources import files
from typing import Any

from renshe.core import labels

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_YUAN = re.compile(r"([0-9]{1,11})(?:\.([0-9]{1,2}))?")
KNOWN = ("late_pay", "below_minimum", "headcount_gap", "no_account_or_deposit")
LEVEL_LABELS = labels.register("wages.level", {"red": "红色预警", "yellow": "黄色预警"})


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    level: str
    basis: str


@dataclass(frozen=True)
class Catalog:
    rules: dict[str, Rule]
    clue_deadline_workdays: int


def parse(raw: dict[str, Any]) -> Catalog:
    """Check the rule file: every rule known to the scan, a red or yellow level, no code twice."""
    found: dict[str, Rule] = {}
    for item in raw["rules"]:
        code, level = str(item["code"]), str(item["level"])
        if code not in KNOWN:
            raise ValueError(f"wage warning rule {code!r} has no scan")
        if level not in LEVEL_LABELS:
            raise ValueError(f"wage warning rule {code}: level must be red or yellow, not {level!r}")
        if code in found:
            raise ValueError(f"wage warning rule {code} appears twice")
        found[code] = Rule(code, str(item["name"]), level, str(item.get("basis", "")))
    days = int(raw["clue_deadline_workdays"])
    if not 1 <= days <= 60:
        raise ValueError("clue_deadline_workdays must be 1 to 60")
    return Catalog(found, days)


@cache
def catalog() -> Catalog:
    catalog_ = parse(json.loads(files("renshe.wages").joinpath("data/rules.json").read_text(encoding="utf-8")))
    labels.register("wages.rule", {r.code: r.name for r in catalog_.rules.values()})
    return catalog_


def month_start(day: date) -> date:
    return date(day.year, day.month, 1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def due_date(month: date, pay_day: int) -> date:
    """The day a month's wages are due: the agreed pay day of the following month."""
    following = add_months(month_start(month), 1)
    return date(following.year, following.month, pay_day)


def last_month_due(on: date, pay_day: int) -> date:
    """The latest month whose wages were due before `on` (the due day itself still counts as in time)."""
    current = month_start(on)
    return add_months(current, -1 if on.day > pay_day else -2)


def parse_month(text: str) -> date | None:
    found = _MONTH.fullmatch((text or "").strip())
    if found is None:
        return None
    year, month = int(found.group(1)), int(found.group(2))
    return date(year, month, 1) if 1 <= month <= 12 and year >= 1 else None


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def parse_yuan(text: str) -> int | None:
    """Yuan with at most two decimals as fen, or None."""
    found = _YUAN.fullmatch((text or "").strip().replace(",", ""))
    if found is None:
        return None
    return int(found.group(1)) * 100 + int(((found.group(2) or "") + "00")[:2])
