"""What the Employment Online API takes and answers."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class InstitutionIn(BaseModel):
    credit_code: str = Field(min_length=18, max_length=18)
    name: str = Field(min_length=2, max_length=200)
    kind: str = Field(pattern="^(public_employment|public_talent)$")
    division_code: str = Field(min_length=6, max_length=6)


class OnboardIn(BaseModel):
    kind: str = Field(pattern="^(public_employment|public_talent|licensed)$")
    licence_number: str | None = Field(default=None, max_length=40, description="人力资源服务许可证编号")
    licence_scope: list[str] = Field(min_length=1, max_length=20, description="许可（职责）范围内的服务项目")
    dispatch_licence: str | None = Field(default=None, max_length=40, description="劳务派遣经营许可证编号")


class ServiceIn(BaseModel):
    kind: str = Field(min_length=1, max_length=24)
    title: str = Field(min_length=2, max_length=100)
    description: str = Field(min_length=5, max_length=2000)
    fee: str = Field(default="免费", max_length=100)


class DecideIn(BaseModel):
    approve: bool
    note: str = Field(default="", max_length=500)


class RateIn(BaseModel):
    stars: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=300)


class Labelled(BaseModel):
    code: str
    label: str


class ServiceOut(BaseModel):
    public_id: str
    kind: str
    kind_label: str
    title: str
    description: str
    fee: str
    state: str


class AgencyOut(BaseModel):
    public_id: str
    name: str
    credit_code: str
    kind: str
    kind_label: str
    division_code: str
    division_name: str
    licence_number: str | None
    dispatch_licence: str | None
    licence_scope: list[Labelled]
    state: str
    state_label: str
    note: str | None
    onboarded_on: date | None
    ratings: int
    rating: str | None = Field(description="平均评分（1-5星），无评价时为 null")
    services: list[ServiceOut]


class CoverageOut(BaseModel):
    city: str
    city_name: str
    institutions: int
    onboard: int
    share: str = Field(description="入驻比例，如 2/3")
    percent: str
    reaches_one_third: bool
    reaches_two_thirds: bool
