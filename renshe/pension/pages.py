"""The citizen's pension calculator page (养老金测算): statutory retirement age and the monthly pension,
with the trace as a table. Open without sign-in (it computes from the figures typed in); a signed-in
citizen also gets the estimate from their own insurance record.

我的养老金 (`/citizen/pension`): the citizen's award by component, its trace, the parameter versions, the
adjustments and the payments received. 养老金发放经办 (`/staff/pension`): the awards of the clerk's
jurisdiction, and the payment and adjustment runs with their progress (run or resume one)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from renshe.core.auth import Principal
from renshe.core.errors import DomainError, FieldError
from renshe.core.http import DbSession, MaybePrincipal, ReadSession, require_kind, templates
from renshe.core.settings import get_settings
from renshe.pension import jobs, rules, schemas, service

router = APIRouter(include_in_schema=False)
SHANGHAI = ZoneInfo("Asia/Shanghai")
FORMS = {"retirement": schemas.RetirementAgeIn, "benefit": schemas.CalculateIn, "mine": schemas.EstimateIn}


@router.get("/citizen/pension/calculator")
def calculator(request: Request, session: DbSession, principal: MaybePrincipal) -> Response:
    query = dict(request.query_params)
    form = query.get("form", "")
    values: dict[str, str] = {k: v for k, v in query.items() if k != "form"}
    errors: list[FieldError] = []
    retirement: schemas.RetirementAgeOut | None = None
    benefit: schemas.CalculateOut | None = None
    mine: schemas.EstimateOut | None = None
    citizen = principal is not None and principal.kind == "citizen"
    if form == "mine" and principal is not None and citizen:
        try:
            mine = service.estimate_out(service.citizen_estimate(session, actor=principal, query=schemas.read_estimate(
                schemas.EstimateIn(original_age=values.get("original_age"),
                                   deemed_months=values.get("deemed_months")))))
        except DomainError as exc:
            if exc.status in (401, 403):
                raise
            errors = exc.errors or [FieldError("form", exc.code, exc.detail)]
    elif form in ("retirement", "benefit"):
        try:
            if form == "retirement":
                retirement = schemas.retirement_answer(schemas.read_retirement(schemas.RetirementAgeIn(
                    birth=values.get("birth"), sex=values.get("sex"), original_age=values.get("original_age"))))
            else:
                benefit = schemas.calculate_answer(schemas.CalculateIn(**{
                    name: values.get(name) for name in schemas.CalculateIn.model_fields}))
        except DomainError as exc:
            errors = exc.errors or [FieldError("form", exc.code, exc.detail)]
    context: dict[str, Any] = {
        "form": form, "values": values, "errors": errors, "retirement": retirement, "benefit": benefit,
        "mine": mine, "citizen": citizen,
        "default_coefficient": str(rules.national().transitional_coefficient),
        "coefficient_source": rules.national().source("transitional"),
    }
    return templates.render(request, "pension_calculator.html", status_code=422 if errors else 200,
                            page_title="养老金测算", **context)


# ---------------------------------------------------------------- pensions in payment

Citizen = Annotated[Principal, require_kind("citizen")]
Staff = Annotated[Principal, require_kind("staff")]


@router.get("/citizen/pension")
def citizen_pension(request: Request, session: DbSession, principal: Citizen, cursor: str | None = None) -> Response:
    """我的养老金: the award by component, its trace and parameter versions, adjustments, payments received."""
    found = service.award_of(session, actor=principal, person_public_id=principal.subject)
    award = service.award_out(session, found) if found is not None else None
    payments: list[schemas.PensionPaymentOut] = []
    next_cursor = None
    if found is not None:
        rows, next_cursor = service.payments_of(session, award=found, cursor=cursor, limit=24)
        payments = [service.payment_out(p) for p in rows]
    return templates.render(request, "pension_mine.html", page_title="我的养老金", award=award, payments=payments,
                            next_cursor=next_cursor, staff_view=False)


def _staff_page(request: Request, session: Session, principal: Principal, *, cursor: str | None = None,
                errors: list[FieldError] | None = None, saved: str = "", status_code: int = 200) -> Response:
    rows, next_cursor = service.awards(session, actor=principal, cursor=cursor, limit=50)
    today = clock_today()
    return templates.render(
        request, "pension_staff.html", status_code=status_code, page_title="养老金发放经办",
        awards=[service.award_out(session, a) for a in rows], next_cursor=next_cursor,
        runs=[jobs.run_out(r) for r in jobs.runs(session, actor=principal)], errors=errors or [], saved=saved,
        month=service.month_text(today), year=today.year)


def clock_today() -> date:
    return datetime.now(SHANGHAI).date()


@router.get("/staff/pension")
def staff_pension(request: Request, session: DbSession, principal: Staff, cursor: str | None = None) -> Response:
    """Awards in the clerk's jurisdiction, and the payment and adjustment runs with their progress."""
    return _staff_page(request, session, principal, cursor=cursor)


@router.get("/staff/pension/awards/{public_id}")
def staff_award(request: Request, public_id: str, session: DbSession, principal: Staff,
                cursor: str | None = None) -> Response:
    found = service.get_award(session, actor=principal, public_id=public_id)
    rows, next_cursor = service.payments_of(session, award=found, cursor=cursor, limit=24)
    return templates.render(request, "pension_mine.html", page_title="养老金核定",
                            award=service.award_out(session, found), payments=[service.payment_out(p) for p in rows],
                            next_cursor=next_cursor, staff_view=True)


@router.post("/staff/pension/runs")
def staff_run(request: Request, session: ReadSession, principal: Staff,
              kind: Annotated[str, Form(max_length=8)], period: Annotated[str, Form(max_length=7)]) -> Response:
    # The batch commits chunk by chunk in units of work of its own (resumable); the request only reads.
    try:
        summary = jobs.start(actor=principal, data=schemas.RunIn(kind=kind, period=period.strip()),
                             province=get_settings().province_code)
    except DomainError as exc:
        if exc.status in (401, 403):
            raise
        return _staff_page(request, session, principal, errors=exc.errors or [FieldError("period", exc.code,
                                                                                          exc.detail)],
                           status_code=422)
    out = jobs.run_out(summary)
    return _staff_page(request, session, principal, saved=(
        f"{out.period}{out.kind_label}{out.status_label}：{out.done}/{out.total}笔，合计{out.amount}元"))
