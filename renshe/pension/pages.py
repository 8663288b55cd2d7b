"""The citizen's pension calculator page (养老金测算): statutory retirement age and the monthly pension,
with the trace as a table. Open without sign-in (it computes from the figures typed in); a signed-in
citizen also gets the estimate from their own insurance record."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from renshe.core.errors import DomainError, FieldError
from renshe.core.http import DbSession, MaybePrincipal, templates
from renshe.pension import rules, schemas, service

router = APIRouter(include_in_schema=False)
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
