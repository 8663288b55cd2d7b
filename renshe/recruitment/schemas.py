"""What the recruitment API takes and answers. Salaries go in and out in yuan as text (`"8000.00"`) and are
kept in integer fen."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

PHONE_PATTERN = r"^1\d{10}$"


def yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:.2f}"


def fen(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


class PostingIn(BaseModel):
    title: str = Field(min_length=2, max_length=100, description="岗位名称")
    description: str = Field(min_length=10, max_length=5000, description="岗位职责与任职要求")
    occupation_code: str = Field(min_length=1, max_length=12, description="职业分类大典（2022）编码，如 2-02 或 4-03")
    division_code: str = Field(min_length=6, max_length=6, description="工作地点（县级行政区划代码）")
    salary_min: Decimal = Field(gt=0, le=1_000_000, max_digits=9, decimal_places=2, description="月薪下限（元）")
    salary_max: Decimal = Field(gt=0, le=1_000_000, max_digits=9, decimal_places=2, description="月薪上限（元）")
    education: str = Field(default="", max_length=2, description="学历要求（GB/T 4658 代码，空为不限）")
    headcount: int = Field(ge=1, le=999, description="招聘人数")
    expires_on: date = Field(description="截止日期（至多180天后）")
    kind: str = Field(default="job", pattern="^(job|internship)$", description="job 岗位 / internship 就业见习")
    contact_name: str = Field(min_length=1, max_length=32)
    contact_phone: str = Field(pattern=PHONE_PATTERN, description="联系电话：求职者投递后才可见")


class ModerateIn(BaseModel):
    approve: bool
    note: str = Field(default="", max_length=500, description="不予发布时必填：理由")


class ApplyIn(BaseModel):
    message: str = Field(default="", max_length=500, description="求职留言")


class AnswerIn(BaseModel):
    state: str = Field(pattern="^(interview|hired|declined)$",
                       description="interview 邀请面试 / hired 录用 / declined 不合适")
    answer: str = Field(default="", max_length=500)


class ReportIn(BaseModel):
    reason: str = Field(pattern="^(fake|fee|mismatch|discrimination|other)$")
    detail: str = Field(default="", max_length=500)


class HandleReportIn(BaseModel):
    upheld: bool
    outcome: str = Field(min_length=1, max_length=500)


class ProfileIn(BaseModel):
    occupation_code: str = Field(min_length=1, max_length=12)
    division_code: str = Field(min_length=6, max_length=6)
    salary_expected: Decimal = Field(ge=0, le=1_000_000, max_digits=9, decimal_places=2)
    education: str = Field(default="", max_length=2)


class SearchIn(BaseModel):
    """A search's criteria, as typed in the search box and filters, and as saved."""

    q: str = Field(default="", max_length=100, description="关键词（中文分词检索）")
    division: str = Field(default="", max_length=6, pattern=r"^(\d{2}(\d{2}(\d{2})?)?)?$",
                          description="地区代码前缀：省 2 位、市 4 位、县 6 位")
    occupation: str = Field(default="", max_length=12, pattern=r"^([1-8](-\d{2}){0,3})?$")
    salary_min: Decimal | None = Field(default=None, ge=0, le=1_000_000, description="期望月薪不低于（元）")
    education: str = Field(default="", max_length=2, description="我的学历：只看要求不高于它的岗位")
    kind: str = Field(default="", pattern="^(job|internship)?$")


class SaveSearchIn(SearchIn):
    name: str = Field(min_length=1, max_length=64)


class PostingOut(BaseModel):
    public_id: str
    source_key: str
    origin_province: str
    employer_name: str
    employer_credit_code: str
    title: str
    description: str
    occupation_code: str
    occupation_name: str
    division_code: str
    division_name: str
    salary_min: str
    salary_max: str
    education: str
    education_label: str
    headcount: int
    expires_on: date
    kind: str
    kind_label: str
    state: str
    state_label: str
    moderation_note: str | None
    contact_name: str
    contact_phone: str = Field(description="投递后、单位本身和经办人员可见完整号码，其余为掩码")
    contact_visible: bool
    applications: int
    reports: int
    local: bool = Field(description="本节点发布的岗位（可在此投递）；全国检索中来自其他省份的为 false")


class FacetOut(BaseModel):
    value: str
    label: str
    count: int


class SearchOut(BaseModel):
    items: list[PostingOut]
    next_cursor: str | None
    total: int
    total_capped: bool = Field(description="匹配超过 total 条：总数与分面只统计最新的 total 条")
    terms: list[str] = Field(description="关键词分词结果")
    facets: dict[str, list[FacetOut]]


class ApplicationOut(BaseModel):
    public_id: str
    posting_id: str
    posting_title: str
    employer_name: str
    person_name: str
    applicant_phone: str | None = Field(default=None, description="仅向该岗位的单位显示")
    message: str
    state: str
    state_label: str
    answer: str | None
    submitted_at: str


class ReportOut(BaseModel):
    public_id: str
    posting_id: str
    posting_title: str
    reason: str
    reason_label: str
    detail: str
    state: str
    state_label: str
    outcome: str | None


class PartOut(BaseModel):
    feature: str
    label: str
    points: int
    weight: int
    why: str


class MatchOut(BaseModel):
    score: int
    parts: list[PartOut]
    posting: PostingOut | None = None
    person_name: str | None = None
    division_name: str | None = None


class ProfileOut(BaseModel):
    occupation_code: str
    occupation_name: str
    division_code: str
    division_name: str
    salary_expected: str
    education: str
    education_label: str


class OccupationOut(BaseModel):
    code: str
    name: str
    level: str


class SavedSearchOut(BaseModel):
    public_id: str
    name: str
    criteria: SearchIn
