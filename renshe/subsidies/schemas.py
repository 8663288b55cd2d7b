"""What the subsidy API answers and takes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from renshe.subsidies import rules
from renshe.subsidies.models import SubsidyApplication


class RuleOut(BaseModel):
    rule: str
    label: str
    met: bool
    detail: str


class PolicyOut(BaseModel):
    code: str
    name: str
    amount: str = Field(description="补贴金额（元，演示标准）")
    amount_note: str
    basis: str
    eligible: bool
    rules: list[RuleOut]


class ApplyIn(BaseModel):
    policy: str = Field(min_length=1, max_length=32, description="补贴政策代码，如 startup")


class RefuseIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class ApplicationOut(BaseModel):
    public_id: str
    policy: str
    policy_name: str
    person_name: str
    id_number_masked: str
    division_code: str
    state: str
    state_label: str
    amount: str
    reason: str | None
    card_status: str | None
    submitted_at: str
    decided_at: str | None
    checks: list[RuleOut]


class ApplicationPage(BaseModel):
    items: list[ApplicationOut]
    next_cursor: str | None


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def policy_out(policy: rules.Policy, results: list[rules.Result]) -> PolicyOut:
    return PolicyOut(code=policy.code, name=policy.name, amount=yuan(policy.amount_fen), amount_note=policy.amount_note,
                     basis=policy.basis, eligible=all(r.met for r in results),
                     rules=[RuleOut(rule=r.rule, label=r.label, met=r.met, detail=r.detail) for r in results])


def application_out(row: SubsidyApplication, policy_name: str, state_label: str) -> ApplicationOut:
    latest = [c for c in row.checks if c.get("when") == "decided"] or list(row.checks)
    return ApplicationOut(
        public_id=row.public_id, policy=row.policy, policy_name=policy_name, person_name=row.person_name,
        id_number_masked=row.id_number_masked, division_code=row.division_code, state=row.state,
        state_label=state_label, amount=yuan(row.amount_fen), reason=row.reason, card_status=row.card_status,
        submitted_at=row.submitted_at.isoformat(), decided_at=row.decided_at.isoformat() if row.decided_at else None,
        checks=[RuleOut(rule=str(c["rule"]), label=str(c["label"]), met=bool(c["met"]), detail=str(c["detail"]))
                for c in latest])
