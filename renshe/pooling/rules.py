"""Pure rules of national pooling and fund monitoring (全国统筹、基金监测预警).

- Months of payment capacity (可支付月数) = balance ÷ monthly expenditure; dependency ratio (制度赡养比) =
  insured ÷ retired. Warnings fire when a dated threshold (data, `data/rules.json`) is crossed.
- Central adjustment (中央调剂) by the published method of 国发〔2018〕18号: each province pays in
  average wage × 90 % × insured × rate; the fund is paid out in full (以收定支) as retirees × the national
  per-capita amount (total paid in ÷ total retirees). Money in integer fen, half-up; the fen lost or won by
  rounding is reported as `residual_fen`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("data") / "rules.json"


@cache
def _data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return loaded


def fen(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Figures:
    """One province's reported fund figures for a period (money in fen)."""

    province: str
    period: str  # YYYY-MM
    income_fen: int
    expenditure_fen: int  # in the period (one month)
    balance_fen: int
    insured: int
    retired: int
    average_wage_fen: int = 0  # yearly average wage used for the central adjustment


def capacity_months(balance_fen: int, monthly_expenditure_fen: int) -> Decimal | None:
    """可支付月数, to two places; None when nothing is paid out."""
    if monthly_expenditure_fen <= 0:
        return None
    return (Decimal(balance_fen) / Decimal(monthly_expenditure_fen)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def dependency_ratio(insured: int, retired: int) -> Decimal | None:
    """制度赡养比 (insured per retiree), to two places; None with no retirees."""
    if retired <= 0:
        return None
    return (Decimal(insured) / Decimal(retired)).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass(frozen=True)
class Threshold:
    metric: str
    level: str  # warning | severe
    below: Decimal
    effective_from: date
    label: str
    source: str


def thresholds() -> list[Threshold]:
    return [Threshold(t["metric"], t["level"], Decimal(t["below"]), date.fromisoformat(t["effective_from"]),
                      t["label"], t["source"]) for t in _data()["thresholds"]]


@dataclass(frozen=True)
class Warning:
    province: str
    metric: str
    level: str
    value: str
    label: str
    source: str


LEVEL_LABELS = {"warning": "预警", "severe": "严重预警"}


def warnings(figures: Figures, *, on: date, rules: Sequence[Threshold] | None = None) -> list[Warning]:
    """The thresholds in force ON that the figures cross: per metric, the most severe one crossed."""
    values = {"capacity_months": capacity_months(figures.balance_fen, figures.expenditure_fen),
              "dependency_ratio": dependency_ratio(figures.insured, figures.retired)}
    in_force: dict[tuple[str, str], Threshold] = {}
    for rule in rules if rules is not None else thresholds():
        key = (rule.metric, rule.level)
        if rule.effective_from <= on and (key not in in_force or in_force[key].effective_from < rule.effective_from):
            in_force[key] = rule
    found: dict[str, Warning] = {}
    for rule in sorted(in_force.values(), key=lambda r: r.below):
        value = values.get(rule.metric)
        if value is not None and value < rule.below and rule.metric not in found:
            found[rule.metric] = Warning(figures.province, rule.metric, rule.level, str(value), rule.label, rule.source)
    return [found[metric] for metric in values if metric in found]


@dataclass(frozen=True)
class Scheme:
    effective_from: date
    rate: Decimal
    wage_share: Decimal
    source: str


def scheme_for(on: date) -> Scheme:
    """The central adjustment scheme in force ON."""
    schemes = [Scheme(date.fromisoformat(s["effective_from"]), Decimal(s["rate"]), Decimal(s["wage_share"]),
                      s["source"]) for s in _data()["central_adjustment"]]
    applicable = [s for s in schemes if s.effective_from <= on]
    if not applicable:
        raise ValueError(f"no central adjustment scheme in force on {on.isoformat()}")
    return max(applicable, key=lambda s: s.effective_from)


@dataclass(frozen=True)
class Share:
    province: str
    contribution_fen: int  # 上解额
    allocation_fen: int  # 拨付额
    net_fen: int  # allocation − contribution: > 0 the province receives


@dataclass(frozen=True)
class Adjustment:
    scheme: Scheme
    per_capita_fen: Decimal  # 全国人均拨付额 (exact, before rounding each allocation)
    total_fen: int
    shares: list[Share]
    residual_fen: int  # total paid in − total paid out after rounding


def central_adjustment(figures: Sequence[Figures], *, scheme: Scheme) -> Adjustment:
    """中央调剂 for one year from each province's average wage, insured and retirees (国发〔2018〕18号)."""
    contributions = {f.province: fen(Decimal(f.average_wage_fen) * scheme.wage_share * f.insured * scheme.rate)
                     for f in figures}
    total = sum(contributions.values())
    retirees = sum(f.retired for f in figures)
    per_capita = Decimal(total) / Decimal(retirees) if retirees else Decimal(0)
    shares = []
    for f in figures:
        allocation = fen(per_capita * f.retired)
        shares.append(Share(f.province, contributions[f.province], allocation, allocation - contributions[f.province]))
    return Adjustment(scheme, per_capita, total, shares, total - sum(s.allocation_fen for s in shares))
