"""Pages of employment-support subsidies.

就业补贴申领 (`/citizen/subsidies`): each policy with every rule checked on the citizen's own data before they
apply, the apply button where every rule is met, and their applications with the result.
就业补贴审核 (`/staff/subsidies`): the applications of the clerk's jurisdiction with the checks, approve (paid
once into the card, every rule checked again) or refuse with a reason."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from renshe.core.auth import Principal
from renshe.core.errors import DomainError, FieldError
from renshe.core.http import DbSession, page_errors, require_kind, savepoint, templates
from renshe.subsidies import schemas, service

router = APIRouter(include_in_schema=False)
Citizen = Annotated[Principal, require_kind("citizen")]
Staff = Annotated[Principal, require_kind("staff")]



def _citizen(request: Request, session: Session, principal: Principal, *, errors: list[FieldError] | None = None,
             saved: str = "", status_code: int = 200) -> Response:
    found = [schemas.policy_out(p, results) for p, results in service.eligibility(session, actor=principal)]
    return templates.render(request, "subsidies_citizen.html", status_code=status_code, page_title="就业补贴申领",
                            policies=found,
                            applications=[service.out(r) for r in service.mine(session, actor=principal)],
                            errors=errors or [], saved=saved)


@router.get("/citizen/subsidies")
def citizen_page(request: Request, session: DbSession, principal: Citizen) -> Response:
    return _citizen(request, session, principal)


@router.post("/citizen/subsidies")
def citizen_apply(request: Request, session: DbSession, principal: Citizen,
                  policy: Annotated[str, Form(max_length=32)]) -> Response:
    try:
        with savepoint(session):
            row = service.apply(session, actor=principal, policy_code=policy)
    except DomainError as exc:
        return _citizen(request, session, principal, errors=page_errors(exc, "policy"), status_code=422)
    return _citizen(request, session, principal, saved=f"{service.policy_of(row.policy).name}申请已提交，等待审核")


def _staff(request: Request, session: Session, principal: Principal, *, state: str | None = "submitted",
           cursor: str | None = None, errors: list[FieldError] | None = None, saved: str = "",
           status_code: int = 200) -> Response:
    rows, next_cursor = service.worklist(session, actor=principal, state=state, cursor=cursor)
    return templates.render(request, "subsidies_staff.html", status_code=status_code, page_title="就业补贴审核",
                            applications=[service.out(r) for r in rows], next_cursor=next_cursor, state=state or "",
                            states=service.STATE_LABELS, errors=errors or [], saved=saved)


@router.get("/staff/subsidies")
def staff_page(request: Request, session: DbSession, principal: Staff, state: str = "submitted",
               cursor: str | None = None) -> Response:
    return _staff(request, session, principal, state=state if state in service.STATE_LABELS else None,
                  cursor=cursor)


@router.post("/staff/subsidies/{public_id}/approve")
def staff_approve(request: Request, public_id: str, session: DbSession, principal: Staff) -> Response:
    try:
        with savepoint(session):
            row = service.approve(session, actor=principal, public_id=public_id)
    except DomainError as exc:
        return _staff(request, session, principal, errors=page_errors(exc, "application"), status_code=422)
    done = "已审核通过并发放至社会保障卡" if row.state == "paid" else f"复核不符合条件，不予发放：{row.reason}"
    return _staff(request, session, principal, saved=f"{row.person_name}：{done}，并已告知本人")


@router.post("/staff/subsidies/{public_id}/refuse")
def staff_refuse(request: Request, public_id: str, session: DbSession, principal: Staff,
                 reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    try:
        with savepoint(session):
            row = service.refuse(session, actor=principal, public_id=public_id, reason=reason)
    except DomainError as exc:
        return _staff(request, session, principal, errors=page_errors(exc, "reason"), status_code=422)
    return _staff(request, session, principal, saved=f"{row.person_name}：不予发放，并已告知本人")
