"""Pages of Employment Online (就业在线).

- 人力资源服务机构 `/agencies`: onboard institutions with their services and ratings, filtered by place,
  service and kind; `/agencies/{id}` with the rating form for a signed-in citizen.
- 机构入驻 `/employer/agency`: the unit applies to onboard and publishes its services.
- 机构入驻审核 `/staff/agencies`: listing the region's public institutions, onboarding decisions, and the share
  of public institutions onboard per city against one third and two thirds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from renshe.agencies import schemas, service
from renshe.core.auth import Principal
from renshe.core.errors import DomainError, FieldError
from renshe.core.http import DbSession, MaybePrincipal, form_errors, page_errors, require_kind, savepoint, templates

router = APIRouter(include_in_schema=False)
NAMES = {"kind": "机构类别", "licence_number": "人力资源服务许可证编号", "dispatch_licence": "劳务派遣经营许可证编号",
         "licence_scope": "服务项目", "title": "服务名称", "description": "服务内容", "fee": "收费标准",
         "credit_code": "统一社会信用代码", "name": "机构名称", "division_code": "所在区县"}
Citizen = Annotated[Principal, require_kind("citizen")]
Employer = Annotated[Principal, require_kind("employer")]
Staff = Annotated[Principal, require_kind("staff")]



@router.get("/agencies")
def listing_page(request: Request, session: DbSession, division: Annotated[str, Query(max_length=6)] = "",
                 service_kind: Annotated[str, Query(max_length=24)] = "",
                 kind: Annotated[str, Query(max_length=20)] = "") -> Response:
    division = division if division.isdigit() and len(division) in (2, 4, 6) else ""
    rows = service.listing(session, division=division, service_kind=service_kind if service_kind in service.SERVICES
                           else "", kind=kind if kind in service.KINDS else "")
    return templates.render(request, "agencies_list.html", page_title="人力资源服务机构",
                            agencies=[service.out(session, r) for r in rows], division=division,
                            service_kind=service_kind, kind=kind, kinds=service.KINDS, services=service.SERVICES)


def _detail(request: Request, session: Session, principal: Principal | None, public_id: str, *,
            errors: list[FieldError] | None = None, saved: str = "", status_code: int = 200) -> Response:
    row = service.get_listed(session, public_id=public_id)
    return templates.render(request, "agencies_detail.html", status_code=status_code, page_title=row.name,
                            a=service.out(session, row), comments=service.comments(session, row),
                            citizen=principal is not None and principal.kind == "citizen",
                            errors=errors or [], saved=saved)


@router.get("/agencies/{public_id}")
def detail_page(request: Request, public_id: str, session: DbSession, principal: MaybePrincipal) -> Response:
    return _detail(request, session, principal, public_id)


@router.post("/agencies/{public_id}/rate")
def rate(request: Request, public_id: str, session: DbSession, principal: Citizen,
         stars: Annotated[int, Form(ge=1, le=5)], comment: Annotated[str, Form(max_length=300)] = "") -> Response:
    try:
        with savepoint(session):
            service.rate(session, actor=principal, public_id=public_id, stars=stars, comment=comment)
    except DomainError as exc:
        return _detail(request, session, principal, public_id, errors=page_errors(exc, "stars"), status_code=422)
    return _detail(request, session, principal, public_id, saved="感谢您的评价")


def _employer(request: Request, session: Session, principal: Principal, *, errors: list[FieldError] | None = None,
              saved: str = "", status_code: int = 200) -> Response:
    row = service.mine(session, actor=principal)
    return templates.render(request, "agencies_employer.html", status_code=status_code, page_title="机构入驻",
                            a=service.out(session, row) if row else None, kinds=service.KINDS,
                            services=service.SERVICES, errors=errors or [], saved=saved)


@router.get("/employer/agency")
def employer_page(request: Request, session: DbSession, principal: Employer) -> Response:
    return _employer(request, session, principal)


@router.post("/employer/agency/onboarding")
def employer_apply(request: Request, session: DbSession, principal: Employer,
                   kind: Annotated[str, Form(max_length=20)] = "",
                   licence_number: Annotated[str, Form(max_length=40)] = "",
                   dispatch_licence: Annotated[str, Form(max_length=40)] = "",
                   licence_scope: Annotated[list[str] | None, Form()] = None) -> Response:
    try:
        data = schemas.OnboardIn(kind=kind, licence_number=licence_number, dispatch_licence=dispatch_licence,
                                 licence_scope=licence_scope or [])
        with savepoint(session):
            service.apply(session, actor=principal, data=data)
    except ValidationError as exc:
        return _employer(request, session, principal, errors=form_errors(exc, NAMES), status_code=422)
    except DomainError as exc:
        return _employer(request, session, principal, errors=page_errors(exc, "kind"), status_code=422)
    return _employer(request, session, principal, saved="入驻申请已提交，等待人社部门审核")


@router.post("/employer/agency/services")
def employer_publish(request: Request, session: DbSession, principal: Employer,
                     kind: Annotated[str, Form(max_length=24)] = "", title: Annotated[str, Form(max_length=100)] = "",
                     description: Annotated[str, Form(max_length=2000)] = "",
                     fee: Annotated[str, Form(max_length=100)] = "") -> Response:
    try:
        data = schemas.ServiceIn(kind=kind, title=title, description=description, fee=fee or "免费")
        with savepoint(session):
            service.publish(session, actor=principal, data=data)
    except ValidationError as exc:
        return _employer(request, session, principal, errors=form_errors(exc, NAMES), status_code=422)
    except DomainError as exc:
        return _employer(request, session, principal, errors=page_errors(exc, "kind"), status_code=422)
    return _employer(request, session, principal, saved="服务已发布")


@router.post("/employer/agency/services/{public_id}/withdraw")
def employer_withdraw(request: Request, public_id: str, session: DbSession, principal: Employer) -> Response:
    try:
        with savepoint(session):
            service.withdraw(session, actor=principal, public_id=public_id)
    except DomainError as exc:
        return _employer(request, session, principal, errors=page_errors(exc, "service"), status_code=422)
    return RedirectResponse("/employer/agency", status_code=303)


def _staff(request: Request, session: Session, principal: Principal, *, errors: list[FieldError] | None = None,
           saved: str = "", status_code: int = 200) -> Response:
    return templates.render(request, "agencies_staff.html", status_code=status_code, page_title="机构入驻审核",
                            pending=[service.out(session, r) for r in service.pending(session, actor=principal)],
                            coverage=service.coverage(session, actor=principal), kinds=service.KINDS,
                            errors=errors or [], saved=saved)


@router.get("/staff/agencies")
def staff_page(request: Request, session: DbSession, principal: Staff) -> Response:
    return _staff(request, session, principal)


@router.post("/staff/agencies/institutions")
def staff_list(request: Request, session: DbSession, principal: Staff,
               credit_code: Annotated[str, Form(max_length=18)] = "", name: Annotated[str, Form(max_length=200)] = "",
               kind: Annotated[str, Form(max_length=20)] = "",
               division_code: Annotated[str, Form(max_length=6)] = "") -> Response:
    try:
        data = schemas.InstitutionIn(credit_code=credit_code, name=name, kind=kind, division_code=division_code)
        with savepoint(session):
            row = service.list_institution(session, actor=principal, data=data)
    except ValidationError as exc:
        return _staff(request, session, principal, errors=form_errors(exc, NAMES), status_code=422)
    except DomainError as exc:
        return _staff(request, session, principal, errors=page_errors(exc, "credit_code"), status_code=422)
    return _staff(request, session, principal, saved=f"已登记{row.name}")


@router.post("/staff/agencies/{public_id}/decision")
def staff_decide(request: Request, public_id: str, session: DbSession, principal: Staff,
                 decision: Annotated[str, Form(pattern="^(approve|refuse)$")],
                 note: Annotated[str, Form(max_length=500)] = "") -> Response:
    try:
        with savepoint(session):
            row = service.decide(session, actor=principal, public_id=public_id, approve=decision == "approve",
                                 note=note)
    except DomainError as exc:
        return _staff(request, session, principal, errors=page_errors(exc, "note"), status_code=422)
    return _staff(request, session, principal, saved=f"{row.name}：{service.STATES[row.state]}")
