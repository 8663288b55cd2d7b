"""Inputs and outputs of the card capability's API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class CardApplicationIn(BaseModel):
    """A window application (窗口申领) for a person in the clerk's jurisdiction."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"id_number": "110105198005170011",
                                                               "bank_code": "ICBC"}]})
    id_number: str = Field(min_length=15, max_length=18, description="公民身份号码")
    bank_code: str = Field(max_length=16, description="金融功能合作银行代码")


class OnlineApplicationIn(BaseModel):
    """An online application (网上申领) by the citizen for themself."""

    bank_code: str = Field(max_length=16, description="金融功能合作银行代码")


class ReasonIn(BaseModel):
    reason: str = Field(default="", max_length=200, description="原因（注销、补换时填写）")


class ReplaceIn(BaseModel):
    reason: str = Field(default="", max_length=200, description="补换原因，如：遗失、损坏")
    bank_code: str | None = Field(default=None, max_length=16, description="新卡合作银行（不填则沿用原卡）")


class CardOut(BaseModel):
    public_id: str
    person_public_id: str
    holder_name: str
    holder_id_number: str
    holder_id_number_masked: bool
    status: str
    status_label: str
    channel: str
    issuing_division: str
    bank_code: str
    bank_name: str
    card_number: str | None
    card_number_masked: bool
    bank_account: str | None
    bank_account_masked: bool
    batch_id: str | None
    replaces: str | None
    applied_at: datetime
    produced_at: datetime | None
    issued_at: datetime | None
    activated_at: datetime | None
    closed_at: datetime | None
    closed_reason: str | None
    allowed_actions: list[str]
    version: int


class CardPage(BaseModel):
    items: list[CardOut]
    next_cursor: str | None


class BatchIn(BaseModel):
    maker: str = Field(min_length=2, max_length=100, description="制卡机构")
    limit: int = Field(default=500, ge=1, le=5000, description="本批最多编入的申请数")


class ProducedCardIn(BaseModel):
    card_id: str = Field(description="卡片记录编号（申请时返回的 public_id）")
    bank_account: str = Field(max_length=23, description="银行卡号（金融账户）")


class BatchProducedIn(BaseModel):
    cards: list[ProducedCardIn] = Field(description="制卡机构回盘：每张卡的银行卡号，须覆盖本批全部卡片")


class BatchOut(BaseModel):
    public_id: str
    division_code: str
    maker: str
    status: str
    status_label: str
    card_count: int
    created_by: str
    created_at: datetime
    produced_at: datetime | None


class BatchDetail(BatchOut):
    cards: list[CardOut]


class BatchPage(BaseModel):
    items: list[BatchOut]
    next_cursor: str | None


class EsscOut(BaseModel):
    public_id: str
    card_id: str
    status: str
    status_label: str
    issued_at: datetime


class CodeOut(BaseModel):
    code: str = Field(description="二维码内容（已签名，仅可使用一次）")
    svg_data_uri: str = Field(description="二维码图片（SVG data URI）")
    issued_at: datetime
    expires_at: datetime
    valid_seconds: int


class ScanIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "SSC1AQAB..."}]})
    code: str = Field(max_length=400, description="扫描得到的电子社保卡二维码内容")


class HolderOut(BaseModel):
    name: str = Field(description="持卡人姓名（脱敏）")
    id_number: str = Field(description="公民身份号码（脱敏）")


class ScanOut(BaseModel):
    scan_id: str
    result: str
    holder: HolderOut
    card_status: str
    card_status_label: str
    scenario: str
    scenario_label: str
    allowed: bool
    reason: str | None = Field(description="不允许时的原因")
    terminal: str
    division_code: str
    at: datetime


class ScanHistoryItem(BaseModel):
    at: datetime
    terminal: str
    scenario: str
    scenario_label: str
    division_code: str
    division_name: str
    result: str
    result_label: str
    reason: str | None
    allowed: bool | None


class ScenarioOut(BaseModel):
    code: str
    name: str
    summary: str
    scope: str
    same_city_treatment: bool
    enabled: bool


class ScenarioToggleIn(BaseModel):
    enabled: bool


class TerminalIn(BaseModel):
    name: str = Field(min_length=2, max_length=100)
    scenario: str = Field(max_length=32)
    division_code: str = Field(min_length=6, max_length=6)


class TerminalOut(BaseModel):
    public_id: str
    key_id: str
    name: str
    scenario: str
    scenario_label: str
    division_code: str
    active: bool
    created_at: datetime


class TerminalCreated(TerminalOut):
    secret: str = Field(description="终端密钥，只显示这一次")


class AppIn(BaseModel):
    name: str = Field(min_length=2, max_length=100)
    kind: str = Field(description="bank | city | other")
    scopes: list[str] = Field(description="可申请的授权范围")
    callback_url: str = Field(max_length=300)


class AppOut(BaseModel):
    app_id: str
    name: str
    kind: str
    scopes: list[str]
    callback_url: str
    active: bool
    created_at: datetime


class AppCreated(AppOut):
    secret: str = Field(description="应用密钥，只显示这一次")


class SignInRequestIn(BaseModel):
    scopes: list[str] = Field(description="本次申请的授权范围，须在应用登记的范围内")
    state: str = Field(min_length=8, max_length=128, description="应用生成的随机串，原样带回")


class SignInRequestOut(BaseModel):
    request_id: str
    status: str
    scopes: list[str]
    confirm_url: str
    expires_at: datetime
    result: str | None = Field(default=None, description="确认后的签名结果（Ed25519 JWS），用平台公钥验证")


class PublicKeyOut(BaseModel):
    kid: str
    kty: str = "OKP"
    crv: str = "Ed25519"
    alg: str = "EdDSA"
    x: str


class KeySet(BaseModel):
    keys: list[PublicKeyOut]


class PaymentIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id_number": "110105198005170011", "programme": "pension", "amount_fen": 385000, "period": "2026-11",
        "reference": "PEN-2026-11-000001", "description": "2026年11月基本养老金"}]})
    id_number: str = Field(min_length=15, max_length=18)
    programme: str = Field(description="pension | unemployment | subsidy | injury | other")
    amount_fen: int = Field(gt=0, le=100_000_000, description="金额（分）")
    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="所属期 YYYY-MM")
    reference: str = Field(min_length=4, max_length=64, description="付款方业务流水号（幂等键）")
    description: str = Field(default="", max_length=200)


class PaymentOut(BaseModel):
    public_id: str
    reference: str
    programme: str
    programme_label: str
    amount_fen: int
    amount: str
    period: str
    description: str
    status: str
    status_label: str
    bank_account: str | None
    created_at: datetime


class PaymentPage(BaseModel):
    items: list[PaymentOut]
    next_cursor: str | None
