"""What the wage monitoring API answers and takes. Money is integer fen (`*_fen`) or a string of yuan."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from renshe.core import labels
from renshe.wages import rules
from renshe.wages.models import WageClue, WageProject, WageWarning

PROJECT_STATES = labels.register("wages.project_state", {"planned": "未开工", "active": "在建", "completed": "已完工"})
FIRM_ROLES = labels.register("wages.firm_role", {"general": "施工总承包单位", "sub": "分包单位"})
WARNING_STATES = labels.register("wages.warning_state", {"open": "待处置", "closed": "已办结"})
CLUE_STATES = labels.register("wages.clue_state", {"received": "已受理，待核查", "handling": "核查处理中",
                                                   "closed": "已办结"})


class ProjectIn(BaseModel):
    name: str = Field(min_length=2, max_length=200, description="项目名称")
    division_code: str = Field(pattern=r"^\d{6}$", description="项目所在县级行政区划代码（属地监管）")
    contractor_credit_code: str = Field(min_length=1, max_length=18, description="施工总承包单位统一社会信用代码")
    contractor_name: str = Field(min_length=2, max_length=200)
    start_date: date = Field(description="开工日期")
    pay_day: int = Field(ge=1, le=28, description="约定的每月工资支付日（次月）")
    state: str = Field(default="active", pattern="^(planned|active|completed)$")


class FirmIn(BaseModel):
    credit_code: str = Field(min_length=1, max_length=18)
    name: str = Field(min_length=2, max_length=200)


class WorkerIn(BaseModel):
    id_number: str = Field(min_length=1, max_length=18, description="公民身份号码（实名登记）")
    firm_credit_code: str = Field(min_length=1, max_length=18, description="所在参建单位的统一社会信用代码")
    trade: str = Field(min_length=1, max_length=64, description="工种")
    entered_on: date = Field(description="进场日期")


class AccountIn(BaseModel):
    bank: str = Field(min_length=2, max_length=100, description="开户银行")
    opened_on: date


class DepositIn(BaseModel):
    amount_fen: int = Field(ge=1, le=10**13, description="工资保证金金额（分）")
    paid_on: date


class PayLineIn(BaseModel):
    id_number: str = Field(min_length=1, max_length=18)
    amount_fen: int = Field(ge=0, le=10**10, description="实发工资（分）")


class PaySheetIn(BaseModel):
    month: str = Field(pattern=r"^\d{4}-\d{2}$", description="工资所属月份 YYYY-MM")
    paid_on: date = Field(description="实际发放日期")
    via_special_account: bool = Field(description="是否通过工资专用账户代发")
    lines: list[PayLineIn] = Field(min_length=1, max_length=5000)


class CloseIn(BaseModel):
    outcome: str = Field(min_length=1, max_length=500, description="处置结果")


class ClueIn(BaseModel):
    project: str = Field(default="", max_length=32, description="项目编号（扫描告示牌二维码时自动填写）")
    project_name: str = Field(min_length=2, max_length=200, description="项目名称或工地地址")
    employer_name: str = Field(min_length=2, max_length=200, description="欠薪单位或包工头")
    amount: str = Field(min_length=1, max_length=16, description="拖欠金额（元）")
    months: str = Field(min_length=1, max_length=100, description="拖欠月份，如2026年9月至11月")
    phone: str = Field(min_length=11, max_length=11, description="联系电话")
    county: str = Field(default="", max_length=6, description="不知道项目编号时，选择项目所在县（区）")


class ProjectOut(BaseModel):
    public_id: str
    name: str
    division_code: str
    division_name: str
    contractor_credit_code: str
    contractor_name: str
    start_date: date
    pay_day: int
    state: str
    state_label: str


class ProjectPage(BaseModel):
    items: list[ProjectOut]
    next_cursor: str | None


class FirmOut(BaseModel):
    credit_code: str
    name: str
    role: str
    role_label: str


class WorkerOut(BaseModel):
    public_id: str
    name: str
    id_number_masked: str
    firm_name: str
    trade: str
    entered_on: date


class PaySheetOut(BaseModel):
    public_id: str
    month: str
    due_on: date
    paid_on: date
    via_special_account: bool
    via_special_account_label: str
    workers: int
    total: str
    average: str


class WarningOut(BaseModel):
    public_id: str
    rule: str
    rule_label: str
    level: str
    level_label: str
    project: str
    project_name: str
    division_code: str
    month: str
    detail: str
    state: str
    state_label: str
    raised_on: date
    outcome: str | None


class WarningPage(BaseModel):
    items: list[WarningOut]
    next_cursor: str | None


class ClueOut(BaseModel):
    tracking_number: str
    project: str | None
    project_name: str
    employer_name: str
    amount: str
    months: str
    phone_masked: str
    division_code: str
    division_name: str
    state: str
    state_label: str
    received_on: date
    deadline: date
    outcome: str | None


class CluePage(BaseModel):
    items: list[ClueOut]
    next_cursor: str | None


class ClueProgress(BaseModel):
    """What anyone holding the tracking number sees: no personal data."""

    tracking_number: str
    state: str
    state_label: str
    division_name: str
    received_on: date
    deadline: date
    outcome: str | None
    steps: list[str]


class ScanOut(BaseModel):
    on: date
    raised: int
    by_rule: dict[str, int]


def project_out(row: WageProject, division_name: str) -> ProjectOut:
    return ProjectOut(public_id=row.public_id, name=row.name, division_code=row.division_code,
                      division_name=division_name, contractor_credit_code=row.contractor_credit_code,
                      contractor_name=row.contractor_name, start_date=row.start_date, pay_day=row.pay_day,
                      state=row.state, state_label=PROJECT_STATES[row.state])


def warning_detail(row: WageWarning) -> str:
    month = f"{row.month:%Y年%m月}"
    if row.rule == "late_pay":
        return f"{month}有考勤，但工资未在约定支付日前通过工资专用账户发放"
    if row.rule == "below_minimum":
        return (f"{month}工资表人均{rules.yuan(row.observed or 0)}元，"
                f"低于当地最低工资标准{rules.yuan(row.expected or 0)}元")
    if row.rule == "headcount_gap":
        return f"{month}考勤{row.expected or 0}人，发放工资仅{row.observed or 0}人"
    missing = [what for bit, what in ((1, "未开设工资专用账户"), (2, "未缴纳工资保证金")) if (row.observed or 0) & bit]
    return f"项目已开工，{'、'.join(missing) or '专用账户或保证金缺失'}"


def warning_out(row: WageWarning, project: WageProject) -> WarningOut:
    return WarningOut(public_id=row.public_id, rule=row.rule, rule_label=labels.label(row.rule, "wages.rule"),
                      level=row.level, level_label=rules.LEVEL_LABELS[row.level], project=project.public_id,
                      project_name=project.name, division_code=row.division_code, month=f"{row.month:%Y-%m}",
                      detail=warning_detail(row), state=row.state, state_label=WARNING_STATES[row.state],
                      raised_on=row.raised_on, outcome=row.outcome)


def clue_out(row: WageClue, project_public_id: str | None, division_name: str) -> ClueOut:
    return ClueOut(tracking_number=row.tracking_number, project=project_public_id, project_name=row.project_name,
                   employer_name=row.employer_name, amount=rules.yuan(row.amount_fen), months=row.months,
                   phone_masked=row.phone_masked, division_code=row.division_code, division_name=division_name,
                   state=row.state, state_label=CLUE_STATES[row.state], received_on=row.received_on,
                   deadline=row.deadline, outcome=row.outcome)


def clue_progress(row: WageClue, division_name: str) -> ClueProgress:
    steps = [f"{row.received_on:%Y-%m-%d} 已受理，转{division_name}人力资源社会保障部门核查，"
             f"应于{row.deadline:%Y-%m-%d}前核查处理"]
    if row.state in ("handling", "closed"):
        steps.append("劳动保障监察机构正在核查处理")
    if row.state == "closed" and row.closed_at is not None:
        steps.append(f"已办结：{row.outcome or ''}")
    return ClueProgress(tracking_number=row.tracking_number, state=row.state, state_label=CLUE_STATES[row.state],
                        division_name=division_name, received_on=row.received_on, deadline=row.deadline,
                        outcome=row.outcome, steps=steps)
