"""Items whose application is a benefit claim checked against the records (退休申请 / 养老金申领, 失业登记,
失业保险金申领): the checks run on submission and again at the decision, and the approval grants the benefit.

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

from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core.auth import Principal
from renshe.core.errors import DomainError, FieldError
from renshe.core.settings import get_settings
from renshe.hall import clock
from renshe.hall.models import Application
from renshe.pension import rules as pension_rules
from renshe.pension import service as pension
from renshe.registry import service as registry
from renshe.unemployment import service as unemployment

RETIREMENT_ITEMS = frozenset({"retirement"})
FIELDS = {"requested_month": "retirement_date", "months": "retirement_date", "contribution_months": "retirement_date",
          "original_age": "identity", "sex": "identity", "employer_agrees": "employer_agrees",
          "retirement_mode": "retirement_mode", "deemed_months": "retirement_date"}


UNEMPLOYMENT_ITEMS = frozenset({unemployment.BENEFIT_ITEM, unemployment.REGISTRATION_ITEM})
OPEN_STATES = ("submitted", "supplement_pre", "accepted", "supplement", "reviewed")


def is_claim(item_code: str) -> bool:
    return item_code in RETIREMENT_ITEMS or item_code in UNEMPLOYMENT_ITEMS


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
    if item_code in UNEMPLOYMENT_ITEMS:
        return _unemployment_check(session, item_code=item_code, person=applicant, data=data, number=None)
    return {"pension_check": _summary(_check(session, person=applicant, data=data))}


def approve(session: Session, *, actor: Principal, item_code: str, applicant_id: int, number: str,
            data: Mapping[str, Any], today: date) -> dict[str, Any]:
    """At the approval: the checks again on today's ledger, then the award and its first payment."""
    if not is_claim(item_code):
        return {}
    person = registry.person_by_pk(session, applicant_id)
    if person is None:
        raise DomainError("renshe:hall/applicant-missing", "申请人不在人员基础库中", 409, "无法核定")
    if item_code in UNEMPLOYMENT_ITEMS:
        return _unemployment_approve(session, actor=actor, item_code=item_code, person=person, number=number,
                                     data=data, today=today)
    found = _check(session, person=person, data=data)
    award = pension.grant_award(session, actor=actor, person=person, province=province_of(person),
                                found=found, application_number=number, today=today)
    return {"pension_award": award.public_id, "monthly_fen": award.monthly_fen,
            "start_month": pension.month_text(award.start_month), **_summary(found)}


# ---------------------------------------------------------------- 失业登记 and 失业保险金申领

def _open_elsewhere(session: Session, *, item_code: str, person: registry.Person, number: str | None) -> None:
    """A second application for the same item while one is still open is refused (one claim at a time)."""
    stmt = select(Application.number).where(Application.item_code == item_code,
                                             Application.applicant_id == person.id,
                                             Application.state.in_(OPEN_STATES))
    if number is not None:
        stmt = stmt.where(Application.number != number)
    other = session.scalar(stmt.limit(1))
    if other is not None:
        code = "renshe:unemployment/open-application"
        message = f"您已有一件同类申请正在办理（办件编号{other}），办结前不能再次申请"
        raise DomainError(code, message, 422, "输入不符合失业保险金规则",
                          [FieldError("separation_date", code, message)])


def _separation(data: Mapping[str, Any]) -> date:
    try:
        return date.fromisoformat(str(data.get("separation_date")))
    except ValueError:
        code = "renshe:unemployment/separation-date"
        raise DomainError(code, "终止或解除劳动关系日期格式应为YYYY-MM-DD", 422, "输入不符合失业保险金规则",
                          [FieldError("separation_date", code, "日期格式应为YYYY-MM-DD")]) from None


def _unemployment_check(session: Session, *, item_code: str, person: registry.Person, data: Mapping[str, Any],
                        number: str | None, today: date | None = None) -> dict[str, Any]:
    """On submission (and again at the decision): one open application at a time, no separation date in the
    future, no employment relation still open, an involuntary reason, no benefit already in payment. The
    contribution months, and so the months and the amount, are the decision's: they are shown on the
    submission when they already qualify, and a shortfall is refused at the decision with its rule."""
    today = today or clock.today()
    _open_elsewhere(session, item_code=item_code, person=person, number=number)
    if item_code == unemployment.REGISTRATION_ITEM:
        form = unemployment.registration_form(person, dict(data), today, number)
        unemployment.check_registration(session, person=person, data=form)
        return {"unemployment_check": {"division_code": form.division_code, "job_intention": form.job_intention}}
    separation, reason = _separation(data), str(data.get("separation_reason", ""))
    unemployment.check_separation(session, person=person, separation_date=separation, separation_reason=reason,
                                  today=today)
    try:
        found = unemployment.check_claim(session, person=person, separation_date=separation,
                                         separation_reason=reason, today=today)
    except DomainError as exc:
        if exc.code != "renshe:unemployment/contribution-months":
            raise
        return {"unemployment_check": {"contribution_rule": exc.detail}}
    return {"unemployment_check": {"contribution_months": found.contribution_months, "months": found.months,
                                   "carried_months": found.carried_months, "monthly_fen": found.monthly_fen,
                                   "monthly": f"{found.monthly_fen // 100}.{found.monthly_fen % 100:02d}"}}


def _unemployment_approve(session: Session, *, actor: Principal, item_code: str, person: registry.Person,
                          number: str, data: Mapping[str, Any], today: date) -> dict[str, Any]:
    checked = _unemployment_check(session, item_code=item_code, person=person, data=data, number=number,
                                  today=today)
    if item_code == unemployment.REGISTRATION_ITEM:
        row = unemployment.registration_of_application(session, actor=actor, person=person, data=dict(data),
                                                       number=number, on=today)
        return {"unemployment_registration": row.public_id, **checked}
    found = unemployment.check_claim(session, person=person, separation_date=_separation(data),
                                     separation_reason=str(data.get("separation_reason", "")), today=today)
    benefit = unemployment.grant(session, actor=actor, person=person, decision=found,
                                 separation_date=_separation(data),
                                 separation_reason=str(data.get("separation_reason", "")),
                                 former_employer=str(data.get("former_employer") or "") or None,
                                 application_number=number, today=today)
    return {"unemployment_benefit": benefit.public_id, "months": benefit.months, "monthly_fen": benefit.monthly_fen,
            "monthly": f"{benefit.monthly_fen // 100}.{benefit.monthly_fen % 100:02d}",
            "start_month": f"{benefit.start_month:%Y-%m}", "first_payment_on": benefit.first_payment_on.isoformat(),
            **checked}
