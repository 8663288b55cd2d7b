"""What the key-group API answers and takes."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class MembershipIn(BaseModel):
    group: str = Field(min_length=1, max_length=32, description="重点群体代码：graduate | migrant | hard_to_employ")
    attributes: dict[str, str] = Field(default_factory=dict, max_length=10,
                                       description="该群体的属性，如 graduation_year、school、major、education")


class RecordIn(BaseModel):
    id_number: str = Field(min_length=15, max_length=18, description="公民身份号码")
    name: str = Field(min_length=1, max_length=64, description="姓名（须与人员基础库一致）")
    division_code: str = Field(default="", max_length=6, description="负责的县级行政区划（默认经办人所在县）")
    state: str = Field(default="unemployed", max_length=16,
                       description="就业状态：unemployed | employed | flexible | study | military | other")
    groups: list[MembershipIn] = Field(min_length=1, max_length=5)

    model_config = {"json_schema_extra": {"examples": [{
        "id_number": "110105200105170013", "name": "张三", "division_code": "110105", "state": "unemployed",
        "groups": [{"group": "graduate", "attributes": {"graduation_year": "2026", "school": "北京大学",
                                                        "major": "计算机科学与技术", "education": "bachelor"}}]}]}}


class StateIn(BaseModel):
    state: str = Field(min_length=1, max_length=16,
                       description="就业状态：unemployed | flexible | study | military | other（已就业由劳动关系判定）")


class ServiceIn(BaseModel):
    served_on: date = Field(description="服务日期 YYYY-MM-DD")
    kind: str = Field(min_length=1, max_length=32,
                      description="服务类型：policy | guidance | job_referral | training_referral | "
                                  "internship_referral | assistance | other")
    note: str = Field(default="", max_length=500, description="服务内容")


class MembershipOut(BaseModel):
    group: str
    group_label: str
    attributes: dict[str, str]
    summary: str
    since: str


class ServiceOut(BaseModel):
    public_id: str
    served_on: str
    kind: str
    kind_label: str
    note: str
    served_by: str
    served_by_name: str


class RecordOut(BaseModel):
    public_id: str
    person_name: str
    id_number_masked: str
    division_code: str
    division_name: str
    state: str
    state_label: str
    state_source: str
    state_source_label: str
    groups: list[MembershipOut]
    last_served_on: str | None
    registered_unemployed: bool | None = Field(default=None, description="是否有有效的失业登记（详情中给出）")
    services: list[ServiceOut] | None = None


class RecordPage(BaseModel):
    items: list[RecordOut]
    next_cursor: str | None


class ImportOut(BaseModel):
    rows: int
    created: int
    updated: int


class RefreshOut(BaseModel):
    employed: int
    not_employed: int
