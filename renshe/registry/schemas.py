"""Inputs and outputs of the person and employer base."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from renshe.core import labels

PHONE = re.compile(r"^1[3-9]\d{9}$")

PERSON_STATUS_LABELS = labels.register("registry.person_status", {
    "normal": "正常",
    "deceased": "死亡",
    "emigrated": "出国（境）定居",
    "missing": "宣告失踪",
    "merged": "已合并",
})
REAL_NAME_LABELS = labels.register(
    "registry.real_name", {"unverified": "未认证", "verified": "已认证", "failed": "认证未通过"})
REAL_NAME_SOURCES = labels.register("registry.real_name_source", {
    "window": "窗口核验", "public_security": "公安比对", "bank": "银行卡核验", "face": "人脸核验",
    "import": "批量导入"})
EMPLOYER_STATUS_LABELS = labels.register(
    "registry.employer_status", {"active": "正常", "suspended": "暂停", "cancelled": "注销"})
SEX_LABELS = labels.register("registry.sex", {"1": "男", "2": "女", "0": "未知", "9": "未说明"})

PersonStatus = Literal["normal", "deceased", "emigrated", "missing"]


class PersonIn(BaseModel):
    """Register a person (人员登记)."""

    model_config = ConfigDict(
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"id_number": "11010519491231002X", "name": "王秀英",
                                          "phone": "13812345678", "residence_division": "110105"}]},
    )

    id_number: str = Field(description="公民身份号码 (GB 11643)", min_length=1, max_length=32)
    name: str = Field(description="姓名", min_length=1, max_length=64)
    phone: str | None = Field(default=None, description="手机号码")
    residence_division: str = Field(description="居住地县级行政区划代码 (GB/T 2260)")
    hukou_division: str | None = Field(default=None, description="户籍地县级行政区划代码")
    sex: Literal["1", "2"] | None = Field(default=None, description="性别 (GB/T 2261.1)，如填写须与身份号码一致")
    birth_date: date | None = Field(default=None, description="出生日期，如填写须与身份号码一致")
    real_name_source: Literal["window", "public_security", "bank", "face"] | None = Field(
        default=None, description="已完成的实名核验方式，如窗口核验原件")

    @field_validator("phone")
    @classmethod
    def _empty_phone(cls, value: str | None) -> str | None:
        return value or None


class PersonUpdate(BaseModel):
    """Change a person's contact, residence or status (变更)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    phone: str | None = None
    residence_division: str | None = None
    hukou_division: str | None = None
    status: PersonStatus | None = None


class DivisionOut(BaseModel):
    code: str
    name: str


class PersonOut(BaseModel):
    public_id: str
    id_number: str
    id_number_masked: bool
    name: str
    sex: str
    sex_label: str
    birth_date: date
    phone: str | None
    phone_masked: bool
    residence_division: DivisionOut
    hukou_division: DivisionOut | None
    status: str
    status_label: str
    real_name_state: str
    real_name_state_label: str
    real_name_source: str | None
    version: int


class PersonSummary(BaseModel):
    public_id: str
    id_number: str
    name: str
    sex_label: str
    birth_date: date
    residence_division: DivisionOut
    status_label: str


class PersonPage(BaseModel):
    items: list[PersonSummary]
    next_cursor: str | None


class MergeIn(BaseModel):
    duplicate_id_number: str = Field(description="要并入本人的重复记录的公民身份号码")
    reason: str = Field(min_length=2, max_length=200, description="合并原因")


class EmployerIn(BaseModel):
    """Register an employer (单位登记)."""

    model_config = ConfigDict(
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"credit_code": "91110105MA00000001", "name": "北京示例科技有限公司",
                                          "division_code": "110105", "legal_representative": "张伟"}]},
    )

    credit_code: str = Field(min_length=1, max_length=32, description="统一社会信用代码 (GB 32100)")
    name: str = Field(min_length=2, max_length=200, description="单位名称")
    division_code: str = Field(description="所在县级行政区划代码")
    legal_representative: str = Field(min_length=1, max_length=64, description="法定代表人")


class EmployerOut(BaseModel):
    public_id: str
    credit_code: str
    name: str
    entity_type: str
    entity_type_label: str
    division: DivisionOut
    legal_representative: str
    status: str
    status_label: str
    version: int


class EmployerPage(BaseModel):
    items: list[EmployerOut]
    next_cursor: str | None


class EmploymentIn(BaseModel):
    """An employer reports a hire (招用登记)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    id_number: str
    start_date: date
    job_title: str | None = Field(default=None, max_length=100)


class EmploymentEnd(BaseModel):
    end_date: date


class EmploymentOut(BaseModel):
    public_id: str
    person_name: str
    person_id_number: str
    employer_name: str
    employer_credit_code: str
    start_date: date
    end_date: date | None
    job_title: str | None
    reported_by: str


class NoticeOut(BaseModel):
    """One notice of the message centre (消息中心)."""

    public_id: str
    kind: str = Field(description="事件类型，如 hall.accepted")
    title: str
    body: str
    link: str | None = Field(description="本站内可查看详情的路径")
    created_at: datetime
    read: bool


class NoticePage(BaseModel):
    items: list[NoticeOut]
    next_cursor: str | None
    unread: int = Field(description="未读消息数")
