"""Inputs and outputs of the ledger's JSON API (amounts are decimal strings in yuan with two places)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class UnitIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    insurance_type: str = Field(pattern=r"^[0-9]{3}$", description="险种类型代码，如110", examples=["110"])
    registered_on: date
    credit_code: str | None = Field(default=None, description="统一社会信用代码（经办人员代单位办理时填写）")


class UnitOut(BaseModel):
    public_id: str
    employer_name: str
    credit_code: str
    insurance_type: str
    insurance_type_label: str
    registered_on: date


class EnrolIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    id_number: str = Field(max_length=18)
    start_date: date
    reason: str = Field(default="11", max_length=4, description="增员原因代码")


class EndIn(BaseModel):
    end_date: date
    reason: str = Field(max_length=4, description="减员原因代码")


class FlexibleIn(BaseModel):
    start_date: date


class RelationOut(BaseModel):
    public_id: str
    person_name: str
    id_number_masked: str
    insurance_type: str
    kind: str
    kind_label: str
    start_date: date
    start_reason: str
    end_date: date | None
    end_reason: str | None


class DeclarationRowIn(BaseModel):
    id_number: str = Field(max_length=18)
    declared: str = Field(description="月缴费工资（元）", examples=["8000.00"])
    from_month: int = Field(default=1, ge=1, le=12)


class DeclarationIn(BaseModel):
    key: str = Field(min_length=1, max_length=80, description="申报编号：同一编号只申报一次")
    year: int
    kind: str = Field(default="annual", pattern="^(annual|supplementary)$")
    rows: list[DeclarationRowIn] = Field(max_length=20000)


class DeclaredLineOut(BaseModel):
    person_id_masked: str
    from_month: int
    declared: str
    base: str
    clamp: str | None
    clamp_label: str
    floor: str
    cap: str


class DeclarationOut(BaseModel):
    public_id: str
    year: int
    kind: str
    rows: int
    created: bool
    lines: list[DeclaredLineOut]


class AssessIn(BaseModel):
    month: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}$", examples=["2024-03"])


class DueOut(BaseModel):
    person_name: str
    id_number_masked: str
    base: str
    employer: str
    individual: str
    account: str


class MonthOut(BaseModel):
    month: str
    due: str
    paid: str
    outstanding: str
    status: str
    status_label: str
    due_date: date
    surcharge: str
    surcharge_trace: list[dict[str, object]]
    dues: list[DueOut]


class AssessmentOut(BaseModel):
    public_id: str
    month: str
    created: bool
    rows: int
    missing_base: list[str]


class ReceiptIn(BaseModel):
    receipt_no: str = Field(max_length=40)
    payer_code: str = Field(max_length=18)
    insurance_type: str = Field(max_length=3)
    month: str
    amount: str
    paid_on: str


class ReceiptsIn(BaseModel):
    batch: str = Field(min_length=1, max_length=64)
    receipts: list[ReceiptIn] = Field(max_length=20000)


class ReceiptOut(BaseModel):
    receipt_no: str
    payer_code: str
    insurance_type: str
    month: str
    amount: str
    paid_on: date


class ReceiptsOut(BaseModel):
    batch: str
    added: int
    skipped: int
    unmatched: list[ReceiptOut]


class YearOut(BaseModel):
    year: int
    months: int
    contributions: str
    interest: str
    closing: str
    rate: str


class RecordLineOut(BaseModel):
    month: str
    unit: str
    base: str
    individual: str
    employer: str
    account: str
    posted: bool
    source: str = "ledger"
    source_label: str = "本系统记录"


class DeemedOut(BaseModel):
    start_month: str
    end_month: str
    months: int
    document: str


class RecordOut(BaseModel):
    months: int
    years_text: str
    balance: str
    lines: list[RecordLineOut]
    years: list[YearOut]
    deemed_months: int = 0
    total_months: int = 0
    total_text: str = ""
    deemed: list[DeemedOut] = Field(default_factory=list)


class InterestIn(BaseModel):
    province: str = Field(pattern=r"^[0-9]{2}0000$")
    year: int


class InterestOut(BaseModel):
    province: str
    year: int
    status: str
    accounts: int
    interest: str
    rate: str


class FlexibleBaseIn(BaseModel):
    year: int = Field(description="缴费年度", examples=[2026])
    base: str = Field(max_length=20, description="月缴费基数（元），在全省月平均工资的60%至300%之间",
                      examples=["8000.00"])
    from_month: int = Field(default=1, ge=1, le=12, description="自该月起适用")


class FlexibleBaseOut(BaseModel):
    year: int
    from_month: int
    base: str


class FlexibleMonthOut(BaseModel):
    month: str
    base: str
    due: str
    account: str
    paid: str
    deadline: date
    status: str
    status_label: str


class FlexibleChoiceOut(BaseModel):
    declaration: str
    year: int
    from_month: int
    base: str
    created: bool
    assessed_months: int
    months: list[FlexibleMonthOut]


class FlexibleAssessIn(BaseModel):
    province: str = Field(pattern=r"^[0-9]{2}0000$")
    month: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}$")


class FlexibleAssessOut(BaseModel):
    assessment: str
    month: str
    created: bool
    rows: int


class HistoryTotalOut(BaseModel):
    item: str
    file: str
    control: str
    posted: str


class HistoryConflictOut(BaseModel):
    sheet: str
    row: int
    person: str
    id_number_masked: str
    what: str
    reason: str


class HistoryImportOut(BaseModel):
    public_id: str
    filename: str
    imported_at: datetime
    persons: int
    months: int
    base: str
    individual: str
    employer: str
    balances: int
    balance: str
    deemed_months: int
    conflicts_total: int
    totals: list[HistoryTotalOut]
    conflicts: list[HistoryConflictOut]
    created: bool = True


class HistoryImportPage(BaseModel):
    items: list[HistoryImportOut]
    next_cursor: str | None
