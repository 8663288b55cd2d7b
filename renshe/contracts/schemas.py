"""What the labour-contract API answers and takes."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

FieldValue = str | int | None


class DraftIn(BaseModel):
    template: str = Field("standard", max_length=32, description="合同模板代码")
    id_number: str = Field(min_length=1, max_length=32, description="劳动者居民身份证号码")
    employer_credit_code: str | None = Field(None, max_length=18, description="经办人员代单位起草时填写")
    fields: dict[str, FieldValue] = Field(description="合同条款，键为模板中的字段（见 /api/v1/contracts/templates）",
                                          examples=[{"term_kind": "fixed", "start_date": "2026-01-01",
                                                     "end_date": "2028-12-31", "probation_months": 2,
                                                     "employer_address": "杭州市西湖区文三路1号",
                                                     "worker_address": "杭州市西湖区文一路2号",
                                                     "job_content": "软件工程师", "work_place": "杭州市",
                                                     "monthly_wage_fen": 1200000, "pay_day": 10}])


class ChangeIn(BaseModel):
    fields: dict[str, FieldValue] = Field(description="变更或续订后的条款（未填的沿用原合同）")


class SignIn(BaseModel):
    document_sha256: str = Field(min_length=64, max_length=64, description="签署人看到的合同文件 SHA-256")
    confirm: bool = Field(description="已阅读合同全文并同意签署")
    code: str | None = Field(None, max_length=8, description="劳动者签署时的短信验证码")


class TerminateIn(BaseModel):
    terminated_on: date
    reason: str = Field(max_length=32, description="解除或终止原因代码（见 /api/v1/contracts/templates）")
    note: str = Field("", max_length=500)


class FieldSpecOut(BaseModel):
    key: str
    label: str
    type: str
    required: bool
    clause: str
    choices: dict[str, str] | None = None


class TemplateOut(BaseModel):
    code: str
    name: str
    basis: str
    fields: list[FieldSpecOut]
    defaults: dict[str, FieldValue]


class TemplatesOut(BaseModel):
    templates: list[TemplateOut]
    termination_reasons: dict[str, str]


class ClauseOut(BaseModel):
    label: str
    value: str


class SignatureOut(BaseModel):
    role: str
    role_label: str
    signer_name: str
    signed_at: str
    timestamp: str | None
    ed25519_kid: str
    sm2_kid: str


class ContractOut(BaseModel):
    public_id: str
    number: str
    version: int
    kind: str
    kind_label: str
    state: str
    state_label: str
    template: str
    employer_name: str
    employer_credit_code: str
    worker_name: str
    id_number_masked: str
    term_kind: str
    term_kind_label: str
    start_date: date
    end_date: date | None
    monthly_wage: str = Field(description="月工资（元）")
    monthly_wage_fen: int
    clauses: list[ClauseOut]
    document_sha256: str
    final_sha256: str | None
    signatures: list[SignatureOut]
    previous: str | None
    terminated_on: date | None
    termination_reason: str | None
    termination_reason_label: str | None
    created_at: str


class ContractPage(BaseModel):
    items: list[ContractOut]
    next_cursor: str | None


class CheckOut(BaseModel):
    check: str
    label: str
    ok: bool
    detail: str


class VerifyOut(BaseModel):
    valid: bool
    number: str | None
    version: int | None
    state: str | None
    state_label: str | None
    employer_name: str | None
    worker_name: str | None = Field(None, description="劳动者姓名（脱敏）")
    checks: list[CheckOut]


class WarningOut(BaseModel):
    kind: str
    kind_label: str
    employer_name: str
    employer_credit_code: str
    worker_name: str
    id_number_masked: str
    start_date: date
    end_date: date | None
    contract_number: str | None
    relation: str | None
    detail: str


class WarningsOut(BaseModel):
    on: date
    items: list[WarningOut]


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"
