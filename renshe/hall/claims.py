"""Items whose application is a benefit claim checked against the records (退休申请 / 养老金申领): the
checks run on submission and again at the decision, and the approval grants the benefit.

For the retirement item the pension service decides: the statutory month (a date before it is refused
naming the rule and the month), the flexible early/late rules, the minimum contribution months (with the
options open to the claimant), then at approval the award from the person's own ledger, the closing of
the pension insurance relation and the first payment into the social security card. A broken rule comes
back under its own code (`renshe:pension/<rule>`) beside the form field it concerns.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from renshe.core.auth import Principal
from renshe.core.errors import DomainError, FieldError
from renshe.core.settings import get_settings
from renshe.pension import rules as pension_rules
from renshe.pension import service as pension
from renshe.registry import service as registry

RETIREMENT_ITEMS = frozenset({"retirement"})
FIELDS = {"requested_month": "retirement_date", "months": "retirement_date", "contribution_months": "retirement_date",
          "original_age": "identity", "sex": "identity", "employer_agrees": "employer_agrees",
          "retirement_mode": "retirement_mode", "deemed_months": "retirement_date"}


def is_claim(item_code: str) -> bool:
    return item_code in RETIREMENT_ITEMS


def _original_age(person: registry.Person, identity: str) -> int | None:
    if identity == "flexible":  # 灵活就业人员: men 60, women 55 before the reform
        return 60 if person.sex == "1" else 55
    return pension.ORIGINAL_AGES.get(identity)


def _on_form(exc: DomainError) -> DomainError:
    """The rule's error with its fields renamed to the form's (so the page shows it beside the field)."""
    errors = [FieldError(FIELDS.get(e.field, "retirement_date"), e.code, e.message) for e in exc.errors] or [
        FieldError("retirement_date", exc.code, exc.detail)]
    return DomainError(exc.code, exc.detail, exc.status, exc.title, errors)


def province_of(person: registry.Person) -> str:
    """The province whose parameters apply: the claimant's residence province (this node's, normally)."""
    return person.residence_division[:2] + "0000" if person.residence_division else get_settings().province_code


def _check(session: Session, *, person: registry.Person, data: Mapping[str, Any]) -> pension.PersonEstimate:
    province = province_of(person)
    try:
        requested = date.fromisoformat(str(data.get("retirement_date")))
        original_age = _original_age(person, str(data.get("identity", "")))
        month = pension.claim_month(session, person=person, province=province, original_age=original_age,
                                    mode=str(data.get("retirement_mode", "")), requested=requested)
        return pension.check_retirement(session, person=person, province=province, month=month,
                                        original_age=original_age,
                                        employer_agrees=bool(data.get("employer_agrees")))
    except DomainError as exc:
        if exc.status in (401, 403):
            raise
        raise _on_form(exc) from None


def _summary(found: pension.PersonEstimate) -> dict[str, Any]:
    return {"retirement_month": str(found.retirement_month), "kind": found.kind,
            "kind_label": pension_rules.FLEXIBLE_KINDS[found.kind], "statutory_month":
            str(found.statutory.retirement_month), "months": found.months,
            "minimum_months": found.minimum_months, "monthly": str(found.benefit.total)}


def check_submission(session: Session, *, item_code: str, applicant: registry.Person,
                     data: Mapping[str, Any]) -> dict[str, Any]:
    """The claim's checks before it is filed; what they found goes into the submission's step."""
    if not is_claim(item_code):
        return {}
    return {"pension_check": _summary(_check(session, person=applicant, data=data))}


def approve(session: Session, *, actor: Principal, item_code: str, applicant_id: int, number: str,
            data: Mapping[str, Any], today: date) -> dict[str, Any]:
    """At the approval: the checks again on today's ledger, then the award and its first payment."""
    if not is_claim(item_code):
        return {}
    person = registry.person_by_pk(session, applicant_id)
    if person is None:
        raise DomainError("renshe:hall/applicant-missing", "申请人不在人员基础库中", 409, "无法核定")
    found = _check(session, person=person, data=data)
    award = pension.grant_award(session, actor=actor, person=person, province=province_of(person),
                                found=found, application_number=number, today=today)
    return {"pension_award": award.public_id, "monthly_fen": award.monthly_fen,
            "start_month": pension.month_text(award.start_month), **_summary(found)}
