"""Inputs and outputs of the data-sharing gateway."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from renshe.core import labels

SHARING_TYPE_LABELS = labels.register(
    "sharing.type", {"unconditional": "无条件共享", "conditional": "有条件共享", "none": "不予共享"})
# What a call to the gateway came to, as the person looked up and the staff read it: the answers, and the
# refusals (stored as their problem code) in words.
CALL_RESULT_LABELS = labels.register("sharing.result", {
    "match": "核验一致", "mismatch": "核验不一致", "not_found": "未查到", "found": "已查到", "ok": "已查询",
    "renshe:sharing/no-grant": "未获授权，已拒绝", "renshe:sharing/no-grants": "未获授权，已拒绝",
    "renshe:sharing/not-shareable": "不予共享，已拒绝", "renshe:sharing/not-served": "暂不提供，已拒绝",
    "renshe:sharing/purpose": "用途不符，已拒绝", "renshe:sharing/condition": "不符合共享条件，已拒绝",
    "renshe:sharing/rate-limited": "查询过于频繁，已拒绝", "renshe:sharing/quota-exceeded": "超出查询额度，已拒绝",
    "renshe:sharing/inactive": "资源已停用，已拒绝", "renshe:sharing/unknown-resource": "资源不存在，已拒绝",
    "renshe:sharing/unknown-consumer": "查询方未登记，已拒绝", "renshe:sharing/not-a-consumer": "查询方未登记，已拒绝",
}, prefixes={"renshe:": "请求有误，已拒绝", "batch:": "批量核验"}, fallback="已记录")


class ResourceOut(BaseModel):
    code: str
    short_name: str
    name: str
    provider: str
    provider_code: str
    summary: str
    format: str
    items: list[dict[str, Any]]
    sharing_type: str
    sharing_type_label: str
    condition: str
    method: str
    update_cycle: str
    publish_date: date
    version: int
    local: bool
    openapi: str = Field(description="该资源服务的 OpenAPI 文档地址")


class ConsumerCreated(BaseModel):
    client_id: str
    client_secret: str = Field(description="只显示这一次，平台只保存其哈希")
    name: str
    grants: list[str]


class IdentityQuery(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True,
                              json_schema_extra={"examples": [{"name": "王秀英", "id_number": "11010519491231002X"}]})

    name: str = Field(min_length=1, max_length=64)
    id_number: str = Field(min_length=1, max_length=32)


class IdentityResult(BaseModel):
    result: Literal["match", "mismatch", "not_found"]


class ShareToken(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class DataItem(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    type: Literal["string", "integer", "number", "date", "datetime", "boolean", "code"] = "string"
    length: int = Field(default=0, ge=0, le=100_000)


class ResourceIn(BaseModel):
    """A local resource of the catalog (GB/T 21063 fields); code and short name are fixed once created."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40)
    short_name: str = Field(min_length=3, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    provider: str = Field(min_length=1, max_length=200)
    provider_code: str = Field(min_length=18, max_length=18)
    summary: str = Field(default="", max_length=1000)
    items: list[DataItem] = Field(min_length=1)
    sharing_type: Literal["unconditional", "conditional", "none"] = "conditional"
    condition: str = Field(default="", max_length=500)
    method: str = Field(default="接口", max_length=32)
    update_cycle: str = Field(default="实时", max_length=32)


class ResourceVersionOut(BaseModel):
    version: int
    snapshot: dict[str, Any]
    replaced_at: datetime
    replaced_by: str
