"""The employment supervisor's dashboard (就业监测): registered unemployed, exits by reason, benefit spending,
subsidies paid, postings, applications and hires, month by month over the last twelve months, within the
viewer's jurisdiction. Each figure comes from its own domain's `statistics` function."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from sqlalchemy.orm import Session

from renshe.core import audit, divisions, monthly, tabular
from renshe.core.auth import Principal
from renshe.core.errors import Forbidden
from renshe.recruitment import seeking as recruitment
from renshe.subsidies import service as subsidies
from renshe.unemployment import service as unemployment

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTHS = 12


@dataclass
class Series:
    title: str
    unit: str
    labels: list[str]
    series: list[dict[str, object]]


@dataclass
class Dashboard:
    division: str
    division_name: str
    months: list[str]
    figures: list[tuple[str, str]] = field(default_factory=list)  # (label, value) now
    charts: list[Series] = field(default_factory=list)
    tables: list[tuple[str, list[str], list[list[object]]]] = field(default_factory=list)  # title, header, rows


def yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def build(session: Session, *, actor: Principal) -> Dashboard:
    """The dashboard of ACTOR's jurisdiction (staff who may read persons)."""
    if actor.kind != "staff" or not actor.has("person.read"):
        raise Forbidden("无权查看就业监测", code="renshe:analytics/permission")
    prefix = divisions.scope_prefix(actor.division_code)
    months = monthly.months_back(datetime.now(SHANGHAI).date(), MONTHS)
    jobless = unemployment.statistics(session, prefix=prefix, months=months)
    paid = subsidies.statistics(session, prefix=prefix, months=months)
    market = recruitment.statistics(session, prefix=prefix, months=months)
    short = [m[2:] for m in months]
    board = Dashboard(actor.division_code, divisions.full_name(actor.division_code) or "全国", months)
    board.figures = [
        ("登记失业人员（当前）", f"{jobless['registered_open']} 人"),
        ("领取失业保险金（当前）", f"{jobless['benefit_in_payment']} 人"),
        ("近12个月失业保险金支出", f"{yuan(sum(jobless['benefit_paid_fen'])):,} 元"),
        ("近12个月就业补贴发放", f"{sum(paid['paid'])} 笔，{yuan(sum(paid['paid_fen'])):,} 元"),
        ("在招岗位（当前）", f"{market['open_postings']} 个，{market['open_headcount']} 人"),
        ("近12个月录用", f"{sum(market['hires'])} 人"),
    ]
    board.charts = [
        Series("失业登记与注销（人）", "人", short, [
            {"name": "新登记", "values": jobless["registrations"], "class": "s1"},
            {"name": "注销", "values": jobless["exits"], "class": "s2"}]),
        Series("失业保险金支出（元）", "元", short, [
            {"name": "支出", "values": [int(yuan(v)) for v in jobless["benefit_paid_fen"]], "class": "s1"}]),
        Series("就业补贴发放（笔）", "笔", short, [{"name": "发放", "values": paid["paid"], "class": "s1"}]),
        Series("岗位与投递", "个", short, [
            {"name": "发布岗位", "values": market["published"], "class": "s1"},
            {"name": "投递", "values": market["applications"], "class": "s2"},
            {"name": "录用", "values": market["hires"], "class": "s3"}]),
    ]
    board.tables = [
        ("失业登记注销原因（近12个月）", ["原因", "人数"], [[label, n] for _code, label, n in jobless["exit_reasons"]]),
        ("就业补贴发放（近12个月）", ["政策", "笔数", "金额（元）"],
         [[name, n, yuan(fen)] for _code, name, n, fen in paid["policies"]]),
        ("按月", ["月份", "新登记", "注销", "失业保险金支出（元）", "补贴笔数", "补贴金额（元）", "发布岗位", "投递",
                 "录用"],
         [[m, jobless["registrations"][i], jobless["exits"][i], yuan(jobless["benefit_paid_fen"][i]), paid["paid"][i],
           yuan(paid["paid_fen"][i]), market["published"][i], market["applications"][i], market["hires"][i]]
          for i, m in enumerate(months)]),
    ]
    return board


def workbook(session: Session, *, actor: Principal) -> bytes:
    """The dashboard's figures and tables as XLSX (one sheet each), audited as an export."""
    board = build(session, actor=actor)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("概览")
    sheet.append(tabular.xlsx_row(sheet, ["辖区", board.division_name]))
    for label, value in board.figures:
        sheet.append(tabular.xlsx_row(sheet, [label, value]))
    for title, header, rows in board.tables:
        sheet = book.create_sheet(title[:31].replace("（", "(").replace("）", ")"))
        sheet.append(tabular.xlsx_row(sheet, header))
        for row in rows:
            sheet.append(tabular.xlsx_row(sheet, [float(v) if isinstance(v, Decimal) else v for v in row]))
    out = BytesIO()
    book.save(out)
    audit.record(session, actor=actor, action="analytics.export", entity_type="dashboard", entity_id="employment")
    return out.getvalue()
