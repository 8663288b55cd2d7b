"""Inputs and outputs of the service hall API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from renshe.core import labels

CASE_TYPE_LABELS = labels.register("hall.case_type", {"immediate": "即办件", "promised": "承诺件"})
CHANNEL_LABELS = labels.register("hall.channel", {"online": "网上申请", "window": "窗口代录", "proxy": "亲友代办",
                  "xp_collect": "跨省通办（代收代办，转外省办理）", "xp_joint": "跨省通办（两地联办）",
                  "xp_received": "跨省通办（外省转来）"})
DECISION_LABELS = labels.register("hall.decision", {"approved": "准予", "refused": "不予办理"})
RELATIONSHIPS = {"spouse": "配偶", "parent": "父母", "child": "子女", "sibling": "兄弟姐妹",
                 "grandparent": "祖父母、外祖父母", "grandchild": "孙子女、外孙子女", "other": "其他近亲属"}
DELIVERY_METHODS = {"electronic": "电子送达", "window": "窗口领取", "mail": "邮寄送达"}

Action = Literal["accept", "reject", "request_supplement", "resubmit", "review", "approve", "refuse", "deliver",
                 "withdraw"]


class ItemSummary(BaseModel):
    code: str = Field(description="事项编码")
    name: str
    category: str
    case_type: str
    case_type_label: str
    legal_limit_days: int = Field(description="法定时限（工作日）")
    promised_limit_days: int = Field(description="承诺时限（工作日）")
    visits: int = Field(description="跑动次数")
    national_version: int = Field(description="所依据的国家统一规范版本")
    latest_national_version: int
    needs_adaptation: bool = Field(description="国家规范已更新，本地尚未调整")
    adaptation_due: date | None = Field(description="须于此日前完成调整")
    revision: int


class ItemOut(ItemSummary):
    guide: dict[str, Any]
    form: dict[str, Any] = Field(description="JSON Schema (draft 2020-12 子集) 与布局提示")
    materials: list[dict[str, Any]]
    workflow: dict[str, Any]


class ItemList(BaseModel):
    items: list[ItemSummary]


class MaterialIn(BaseModel):
    code: str = Field(description="材料编码（见事项 materials）")
    filename: str = Field(max_length=200)
    content_base64: str = Field(description="文件内容，base64；仅限 PDF、JPG、PNG")


class RepresentationIn(BaseModel):
    """代办: a family member applies for the person named here, with a recorded authorisation."""

    model_config = ConfigDict(str_strip_whitespace=True)

    id_number: str = Field(description="被代办人公民身份号码", max_length=32)
    name: str = Field(description="被代办人姓名", max_length=64)
    relationship: Literal["spouse", "parent", "child", "sibling", "grandparent", "grandchild", "other"]
    statement: str = Field(description="授权声明", min_length=10, max_length=500)
    code: str | None = Field(default=None, max_length=8, description="被代办人手机收到的验证码（同意本次代办）；"
                             "先调用 POST /api/v1/hall/representations/code 发送")
    consent: str | None = Field(default=None, max_length=32,
                                description="页面流程中核验验证码后得到的一次性同意凭证（30分钟内、本事项、一次有效）")


class RepresentationCodeIn(BaseModel):
    """Ask the represented person's consent: a one-time code to the phone on record (nothing else is shown)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    item_code: str = Field(max_length=40)
    id_number: str = Field(description="被代办人公民身份号码", max_length=32)
    name: str = Field(description="被代办人姓名", max_length=64)


class RepresentationCodeOut(BaseModel):
    consent: Literal["standing", "code_sent"] = Field(
        description="standing：被代办人已在本人页面授权您代办该事项，无需验证码；code_sent：验证码已发送至被代办人登记的手机")


AUTHORISATION_STATES = {"active": "有效", "revoked": "已撤销", "expired": "已过期"}


class AuthorisationIn(BaseModel):
    """A standing authorisation (代办授权) the signed-in citizen grants another person."""

    model_config = ConfigDict(str_strip_whitespace=True)

    agent_id_number: str = Field(description="被授权人（代办人）公民身份号码", max_length=32)
    agent_name: str = Field(description="被授权人姓名", max_length=64)
    relationship: Literal["spouse", "parent", "child", "sibling", "grandparent", "grandchild", "other"] = Field(
        description="被授权人是您的……")
    item_code: str | None = Field(default=None, max_length=40, description="授权范围：事项编码；不填为全部事项")
    valid_until: date = Field(description="有效期至（含当日），最长一年")


class AuthorisationOut(BaseModel):
    public_id: str
    role: Literal["grantor", "agent"] = Field(description="grantor：我授权他人；agent：他人授权我")
    other_name: str = Field(description="对方姓名")
    other_id_number: str = Field(description="对方公民身份号码（已脱敏）")
    relationship: str
    relationship_label: str
    item_code: str | None
    scope_label: str = Field(description="授权范围")
    valid_until: date
    state: Literal["active", "revoked", "expired"]
    state_label: str
    created_at: datetime


class ApplicationIn(BaseModel):
    item_code: str
    data: dict[str, Any] = Field(default_factory=dict, description="表单数据；平台已有（锁定）的字段以平台数据为准")
    materials: list[MaterialIn] = Field(default_factory=list)
    representation: RepresentationIn | None = None


class TransitionIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    reason: str | None = Field(default=None, max_length=2000, description="理由或意见（不予受理、不予办理时必填）")
    supplement: list[str] = Field(default_factory=list, description="需补正的内容（补正时必填）")
    data: dict[str, Any] = Field(default_factory=dict, description="补正时修改的表单数据")
    materials: list[MaterialIn] = Field(default_factory=list, description="补正时上传的材料")
    delivery_method: Literal["electronic", "window", "mail"] | None = None


class PrefillSource(BaseModel):
    resource: str
    source: str
    updated_at: datetime


class FieldValue(BaseModel):
    name: str
    title: str
    group: str
    value: Any
    display: str
    locked: bool
    masked: bool
    provenance: PrefillSource | None = None


class CertificateRef(BaseModel):
    """A certificate of the electronic certificate library taken as a material, as it stood when taken."""

    identifier: str = Field(description="证照标识（可在 /certs/verify?id= 核验当前状态）")
    name: str
    number: str
    issuer: str
    type_code: str | None = None
    valid_until: str | None = None
    status: str = Field(description="提交时的状态：valid")
    status_label: str
    checked_at: datetime
    source: str = "电子证照库"
    verified_by: str | None = Field(default=None, description="跨省转来时：核验证照的来源省份")


class MaterialOut(BaseModel):
    code: str
    name: str
    filename: str
    content_type: str
    size: int
    sm3: str = Field(description="文件的SM3摘要；电子证照为其签发内容（JWS）的SM3摘要")
    round: int
    uploaded_at: datetime
    source: str = Field(default="upload", description="upload 上传 | certificate 电子证照库")
    certificate: CertificateRef | None = None


class TransitionOut(BaseModel):
    seq: int
    action: str
    label: str
    from_state: str | None
    to_state: str
    to_state_label: str
    actor_name: str
    actor_kind: str
    reason: str | None
    details: dict[str, Any] | None
    at: datetime


class DeadlineOut(BaseModel):
    promised_limit_days: int
    legal_limit_days: int
    accepted_on: date | None
    due_date: date | None = Field(description="承诺办结日期（已顺延补正暂停的工作日）")
    paused_workdays: int
    paused: bool
    remaining_workdays: int | None = Field(description="剩余工作日；负数为已超期的工作日数")
    overdue: bool
    near_due: bool
    running: bool


class ApplicationSummary(BaseModel):
    public_id: str
    number: str = Field(description="办件编号")
    item_code: str
    item_name: str
    case_type: str
    state: str
    state_label: str
    channel: str
    channel_label: str
    applicant_name: str
    applicant_id_number: str = Field(description="已脱敏")
    division_code: str
    division_name: str
    submitted_at: datetime
    accepted_at: datetime | None
    decided_at: datetime | None
    decision: str | None
    deadline: DeadlineOut


class ApplicationOut(ApplicationSummary):
    form: list[FieldValue]
    materials: list[MaterialOut]
    timeline: list[TransitionOut]
    decision_reason: str | None
    supplement_request: list[str] | None
    representation: dict[str, Any] | None
    accepted_by: str | None
    reviewed_by: str | None
    decided_by: str | None
    delivered_at: datetime | None
    available_actions: list[str]
    version: int


class ApplicationPage(BaseModel):
    items: list[ApplicationSummary]
    next_cursor: str | None
