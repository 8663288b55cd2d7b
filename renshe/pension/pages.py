"""The citizen's pension calculator page (养老金测算): statutory retirement age and the monthly pension,
with the trace as a table. Open without sign-in: it computes only from the figures typed in."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from renshe.core.errors import DomainError, FieldError
from renshe.core.http import MaybePrincipal, templates
from renshe.pension import rules, schemas

router = APIRouter(include_in_schema=False)
FORMS = {"retirement": schemas.RetirementAgeIn, "benefit": schemas.CalculateIn}


@router.get("/citizen/pension/calculator")
def calculator(request: Request, _principal: MaybePrincipal) -> Response:
    query = dict(request.query_params)
    form = query.get("form", "")
    values: dict[str, str] = {k: v for k, v in query.items() if k != "form"}
    errors: list[FieldError] = []
    retirement: schemas.RetirementAgeOut | None = None
    benefit: schemas.CalculateOut | None = None
    if form in FORMS:
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
        "default_coefficient": str(rules.national().transitional_coefficient),
        "coefficient_source": rules.national().source("transitional"),
    }
    return templates.render(request, "pension_calculator.html", status_code=422 if errors else 200,
                            page_title="养老金测算", **context)
