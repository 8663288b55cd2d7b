"""National pooling and fund monitoring: a province node reports its fund figures through the federation
(an outbox event `pooling.fund_reported`, relayed to JetStream and stored once by the ministry hub), and the
hub computes the national position, each province's indicators, warnings and the central adjustment."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from sqlalchemy.orm import Session

from renshe.core import audit
from renshe.core.auth import Principal, deny
from renshe.core.errors import FieldError, ValidationFailed
from renshe.core.events import record_event
from renshe.core.settings import get_settings
from renshe.federation import service as federation
from renshe.hall.interprovince.service import province_name
from renshe.insurance import service as insurance
from renshe.pension import service as pension
from renshe.pooling import rules

TOPIC = "pooling.fund_reported"


def _month_bounds(period: str) -> tuple[date, date]:
    try:
        year, month = (int(part) for part in period.split("-"))
        start = date(year, month, 1)
    except ValueError:
        raise ValidationFailed([FieldError("period", "renshe:pooling/period", "统计期应为YYYY-MM")]) from None
    end = date(year + (month == 12), month % 12 + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def province_figures(session: Session, *, period: str) -> rules.Figures:
    """This province's figures for the month PERIOD, from the ledger."""
    start, end = _month_bounds(period)
    province = get_settings().province_code
    found = insurance.fund_figures(session, start=start, end=end)
    wage = insurance.parameter(session, province=province, key="average_wage",
                               on=datetime(end.year, end.month, end.day))
    # benefit expenditure: the pensions paid into cards (the ledger's figures hold the transfers out)
    paid_now = pension.pensions_paid(session, province=province, since=start, end=end)
    paid_ever = pension.pensions_paid(session, province=province, since=None, end=end)
    return rules.Figures(province, period, found.income_fen, found.expenditure_fen + paid_now,
                         found.balance_fen - paid_ever, found.insured, found.retired,
                         rules.fen(wage.decimal * 100 * 12))


def report(session: Session, *, actor: Principal, period: str) -> rules.Figures:
    """Report the month's figures to the ministry hub (through the outbox and the federation relay)."""
    if actor.kind not in {"system", "staff"} or (actor.kind == "staff" and not actor.has("import.run")):
        raise deny(actor, entity_type="pooling_report", entity_id=period, action="pooling.report",
                   detail="无权上报基金监测数据")
    figures = province_figures(session, period=period)
    payload = {"period": figures.period, "income_fen": figures.income_fen, "expenditure_fen": figures.expenditure_fen,
               "balance_fen": figures.balance_fen, "insured": figures.insured, "retired": figures.retired,
               "average_wage_fen": figures.average_wage_fen}
    record_event(session, TOPIC, payload)
    audit.record(session, actor=actor, action="pooling.report", entity_type="pooling_report", entity_id=period,
                 after=payload)
    return figures


@dataclass(frozen=True)
class ProvinceRow:
    figures: rules.Figures
    name: str
    capacity_months: Decimal | None
    dependency_ratio: Decimal | None
    warnings: list[rules.Warning]
    reported_at: datetime


@dataclass(frozen=True)
class National:
    rows: list[ProvinceRow]
    income_fen: int
    expenditure_fen: int
    balance_fen: int
    insured: int
    retired: int
    capacity_months: Decimal | None
    dependency_ratio: Decimal | None
    adjustment: rules.Adjustment | None


def national(session: Session, *, actor: Principal, on: date) -> National:
    """The national position from the latest report of each province in the hub's store."""
    if actor.kind not in {"system", "staff"} or (actor.kind == "staff" and not actor.has("person.read")):
        raise deny(actor, entity_type="pooling", entity_id="national", action="pooling.read",
                   detail="无权查看全国基金监测")
    rows = []
    for province, payload, at in federation.latest_payloads(session, topic=TOPIC):
        figures = rules.Figures(province, str(payload["period"]), int(payload["income_fen"]),
                                int(payload["expenditure_fen"]), int(payload["balance_fen"]), int(payload["insured"]),
                                int(payload["retired"]), int(payload.get("average_wage_fen", 0)))
        rows.append(ProvinceRow(figures, province_name(province),
                                rules.capacity_months(figures.balance_fen, figures.expenditure_fen),
                                rules.dependency_ratio(figures.insured, figures.retired),
                                rules.warnings(figures, on=on), at))
    total = [r.figures for r in rows]
    expenditure, balance = sum(f.expenditure_fen for f in total), sum(f.balance_fen for f in total)
    insured, retired = sum(f.insured for f in total), sum(f.retired for f in total)
    adjustment = rules.central_adjustment(total, scheme=rules.scheme_for(on)) if total else None
    return National(rows, sum(f.income_fen for f in total), expenditure, balance, insured, retired,
                    rules.capacity_months(balance, expenditure), rules.dependency_ratio(insured, retired), adjustment)


def yuan(value: int) -> str:
    return f"{Decimal(value) / 100:.2f}"


def as_dict(position: National) -> dict[str, Any]:
    shares = {s.province: s for s in (position.adjustment.shares if position.adjustment else [])}

    def row(r: ProvinceRow) -> dict[str, Any]:
        f, share = r.figures, shares.get(r.figures.province)
        return {"province": f.province, "name": r.name, "period": f.period, "income": yuan(f.income_fen),
                "expenditure": yuan(f.expenditure_fen), "balance": yuan(f.balance_fen), "insured": f.insured,
                "retired": f.retired, "capacity_months": str(r.capacity_months) if r.capacity_months else None,
                "dependency_ratio": str(r.dependency_ratio) if r.dependency_ratio else None,
                "warnings": [{"metric": w.metric, "level": w.level, "level_label": rules.LEVEL_LABELS[w.level],
                              "value": w.value, "label": w.label, "source": w.source} for w in r.warnings],
                "adjustment": {"contribution": yuan(share.contribution_fen), "allocation": yuan(share.allocation_fen),
                               "net": yuan(share.net_fen)} if share else None}

    adjustment = position.adjustment
    return {"provinces": [row(r) for r in position.rows],
            "national": {"income": yuan(position.income_fen), "expenditure": yuan(position.expenditure_fen),
                         "balance": yuan(position.balance_fen), "insured": position.insured,
                         "retired": position.retired,
                         "capacity_months": str(position.capacity_months) if position.capacity_months else None,
                         "dependency_ratio": str(position.dependency_ratio) if position.dependency_ratio else None},
            "adjustment": None if adjustment is None else {
                "rate": str(adjustment.scheme.rate), "wage_share": str(adjustment.scheme.wage_share),
                "source": adjustment.scheme.source, "total": yuan(adjustment.total_fen),
                "per_capita": f"{adjustment.per_capita_fen / 100:.2f}", "residual_fen": adjustment.residual_fen}}


def xlsx(position: National) -> bytes:
    """The national position as a workbook (one row per province)."""
    book = Workbook()
    sheet = book.active
    if sheet is None:  # a new workbook always has its first sheet
        sheet = book.create_sheet()
    sheet.title = "基金监测"
    sheet.append(["省份代码", "省份", "统计期", "收入（元）", "支出（元）", "累计结余（元）", "在职参保人数",
                  "离退休人数", "可支付月数",
                  "制度赡养比", "中央调剂上解（元）", "中央调剂拨付（元）", "净额（元）", "预警"])
    for row in as_dict(position)["provinces"]:
        adj = row["adjustment"] or {}
        sheet.append([row["province"], row["name"], row["period"], row["income"], row["expenditure"], row["balance"],
                      row["insured"], row["retired"], row["capacity_months"], row["dependency_ratio"],
                      adj.get("contribution"), adj.get("allocation"), adj.get("net"),
                      "；".join(f"{w['level_label']}：{w['label']}" for w in row["warnings"])])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
