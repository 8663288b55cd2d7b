"""Inputs and outputs of the 转移接续 routes."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ApplyIn(BaseModel):
    old_province: str = Field(description="转出地（原参保地）省级区划代码", pattern=r"^\d{2}0000$")
    from_agency: str = Field(min_length=4, max_length=100, description="转出地社会保险经办机构")
    hukou_type: Literal["urban", "rural"] = Field(description="urban 城镇户籍 | rural 农村户籍")


class CaseOut(BaseModel):
    public_id: str
    ref: str
    role: str
    role_label: str
    peer_province: str
    peer_name: str
    person_name: str
    id_number_masked: str
    application_public_id: str | None
    kind: str
    kind_label: str
    decision: dict[str, Any]
    state: str
    state_label: str
    requested_on: str
    deadlines: dict[str, Any]
    months: int
    bases_fen: int
    account_fen: int
    pooled_fen: int
    certificate: dict[str, Any] | None


class PlaceIn(BaseModel):
    code: str = Field(pattern=r"^\d{6}$", description="参保地区划代码")
    months: int = Field(ge=0, le=1200, description="在该地累计缴费月数")
    temporary: bool = Field(default=False, description="仅为临时缴费账户")


class BenefitPlaceIn(BaseModel):
    places: list[PlaceIn] = Field(description="按参保先后排列，最后一个为当前关系所在地")
    registration_place: str = Field(pattern=r"^\d{6}$", description="户籍所在地区划代码")


class BenefitPlaceOut(BaseModel):
    place: str
    place_name: str
    rule: int
    reason: str
    source: str
