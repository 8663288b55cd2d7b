"""The demo province's labour contract: the sample employer and one of its current employees sign a fixed-term
contract through the real service (each with their own keys, timestamped, the final PDF signed by the
platform). Called with one line from `renshe/demo.py`."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from renshe.contracts import rules, schemas, service
from renshe.core import crypto
from renshe.core.auth import SYSTEM, Principal
from renshe.registry import service as registry


def seed(session: Session, *, today: date, employer_credit_code: str | None) -> str | None:
    """A signed (effective) contract at the sample employer; returns its number (None when there is no one)."""
    if not employer_credit_code:
        return None
    employer = registry.find_employer(session, actor=SYSTEM, credit_code=employer_credit_code)
    relations = registry.employer_employments(session, employer=employer, current_only=True, limit=1)
    if not relations:
        return None
    relation = relations[0]
    id_number = crypto.cipher().decrypt(relation.person.id_number_encrypted, purpose=registry.ID_PURPOSE)
    agent = Principal(kind="employer", subject=employer.public_id, display_name=employer.name,
                      division_code=employer.division_code)
    row = service.draft(session, actor=agent, data=schemas.DraftIn(id_number=id_number, fields={
        "term_kind": "fixed", "start_date": relation.start_date.isoformat(),
        "end_date": rules.add_months(today, 24).isoformat(), "probation_months": 0,
        "employer_address": f"{employer.name}注册地址", "worker_address": "（以人员基础库登记地址为准）",
        "job_content": relation.job_title or "职工", "work_place": "用人单位所在地",
        "monthly_wage_fen": 800_000, "pay_day": 15}))
    return service.demo_sign_both(session, actor=SYSTEM, public_id=row.public_id).number
