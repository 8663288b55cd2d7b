"""Inputs and outputs of the certificate library's API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from renshe.core import labels

STATUS_LABELS = labels.register("certs.status", {"valid": "有效", "suspended": "已暂停", "revoked": "已吊销"})
Result = Literal["valid", "revoked", "suspended", "expired", "tampered", "unknown"]


class IssueIn(BaseModel):
    """Issue a certificate to a person in the clerk's jurisdiction."""

    person_id: str = Field(description="人员公开编号（public_id）", min_length=1, max_length=32)
    type: str = Field(description="证照类型，如 vocational-skill-level", max_length=64)
    fields: dict[str, str] = Field(default_factory=dict, description="该类型的证照信息项")
    valid_from: date | None = Field(default=None, description="有效期起始日，默认发证当日")

    model_config = {"json_schema_extra": {"examples": [{
        "person_id": "3f1c0c2e9d8b4a7f9e6d5c4b3a291807", "type": "vocational-skill-level",
        "fields": {"occupation": "电工", "level": "三级/高级工", "evaluator": "某职业技能等级认定中心"}}]}}


class ReasonIn(BaseModel):
    reason: str = Field(min_length=2, max_length=200, description="原因（记入审计）")


class ReissueIn(ReasonIn):
    fields: dict[str, str] | None = Field(default=None, description="新版本的信息项；不填则沿用")


class VerifyIn(BaseModel):
    """A JWS, a QR payload (RS1:…) or an identifier (1.2.156.3005.2.…)."""

    value: str = Field(min_length=1, max_length=20000)

    model_config = {"json_schema_extra": {"examples": [{"value": "1.2.156.3005.2.11100000000013338W003..."}]}}


class CertificateView(BaseModel):
    """What a verifier learns: the holder masked, GB/T 36903 metadata."""

    identifier: str
    name: str
    type: str
    holder: str
    holder_code: str
    holder_code_type: str
    issuer: str
    issuer_code: str
    issue_date: date
    valid_from: date
    valid_until: date | None
    status: str
    status_label: str


class VerifyOut(BaseModel):
    result: Result
    result_label: str
    reason: str
    form: str = Field(description="jws | qr | identifier")
    certificate: CertificateView | None = None
    checked_at: datetime


class CertificateOut(CertificateView):
    """The full record for the holder and for staff (holder code masked unless it is the holder)."""

    public_id: str
    number: str
    version: int
    fields: dict[str, Any]
    signer: str
    signed_at: datetime
    seal_name: str
    status_reason: str | None
    superseded_by: str | None
    jws: str
    qr_payload: str
    seal_signature: dict[str, Any]


class CertificatePage(BaseModel):
    items: list[CertificateView]
    next_cursor: str | None


class LinkIn(BaseModel):
    days: int = Field(default=7, ge=1, le=90, description="有效天数")
    purpose: str = Field(default="", max_length=100, description="用途（仅自己可见）")


class LinkOut(BaseModel):
    url: str
    expires_at: datetime


class VerificationEntry(BaseModel):
    at: datetime
    channel: str
    verifier: str
    result: str
