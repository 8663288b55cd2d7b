"""JSON API of Employment Online (`/api/v1/agencies/...`): the public list of onboard institutions with their
services and ratings; applying to onboard (as the institution's unit); the clerk's listing, decisions and the
coverage measure; a citizen's rating. Errors are problem+json with `type` `renshe:agencies/<rule>`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from starlette.responses import Response

from renshe.agencies import schemas, service
from renshe.core.auth import Principal
from renshe.core.http import DbSession, require_kind

router = APIRouter(prefix="/api/v1/agencies", tags=["agencies 就业在线"])
WRITE: dict[int | str, dict[str, Any]] = {
    422: {"description": "输入有误（problem+json，type 为 renshe:agencies/<rule>）"},
    404: {"description": "未找到"}, 409: {"description": "状态不允许"}}
Citizen = Annotated[Principal, require_kind("citizen")]
Employer = Annotated[Principal, require_kind("employer")]
Staff = Annotated[Principal, require_kind("staff")]


def _json(model: BaseModel | list[Any], status_code: int = 200) -> Response:
    if isinstance(model, list):
        return Response("[" + ",".join(m.model_dump_json() for m in model) + "]", media_type="application/json",
                        status_code=status_code)
    return Response(model.model_dump_json(), media_type="application/json", status_code=status_code)


@router.get("", response_model=list[schemas.AgencyOut], summary="已入驻机构 Onboard institutions")
def listing(session: DbSession, division: Annotated[str, Query(pattern=r"^(\d{2}(\d{2}(\d{2})?)?)?$")] = "",
            service_kind: Annotated[str, Query(max_length=24)] = "",
            kind: Annotated[str, Query(pattern="^(public_employment|public_talent|licensed)?$")] = "") -> Response:
    rows = service.listing(session, division=division, service_kind=service_kind, kind=kind)
    return _json([service.out(session, r) for r in rows])


@router.get("/coverage", response_model=list[schemas.CoverageOut],
            summary="公共就业和人才服务机构入驻比例 Share of public institutions onboard per city")
def coverage(session: DbSession, principal: Staff) -> Response:
    return _json([schemas.CoverageOut(city=c.city, city_name=c.city_name, institutions=c.institutions,
                                      onboard=c.onboard, share=f"{c.onboard}/{c.institutions}",
                                      percent=f"{float(c.share) * 100:.1f}%", reaches_one_third=c.third,
                                      reaches_two_thirds=c.two_thirds)
                  for c in service.coverage(session, actor=principal)])


@router.post("/institutions", response_model=schemas.AgencyOut, status_code=201, responses=WRITE,
             summary="登记辖区公共就业和人才服务机构 List a public institution")
def list_institution(data: schemas.InstitutionIn, session: DbSession, principal: Staff) -> Response:
    return _json(service.out(session, service.list_institution(session, actor=principal, data=data)), 201)


@router.post("/onboarding", response_model=schemas.AgencyOut, status_code=201, responses=WRITE,
             summary="申请入驻 Apply to onboard")
def apply(data: schemas.OnboardIn, session: DbSession, principal: Employer) -> Response:
    return _json(service.out(session, service.apply(session, actor=principal, data=data)), 201)


@router.post("/services", response_model=schemas.ServiceOut, status_code=201, responses=WRITE,
             summary="发布服务 Publish a service")
def publish(data: schemas.ServiceIn, session: DbSession, principal: Employer) -> Response:
    row = service.publish(session, actor=principal, data=data)
    return _json(schemas.ServiceOut(public_id=row.public_id, kind=row.kind, kind_label=service.SERVICES[row.kind],
                                    title=row.title, description=row.description, fee=row.fee, state=row.state), 201)


@router.get("/{public_id}", response_model=schemas.AgencyOut, responses=WRITE, summary="机构详情 An institution")
def detail(public_id: str, session: DbSession) -> Response:
    return _json(service.out(session, service.get_listed(session, public_id=public_id)))


@router.post("/{public_id}/decision", response_model=schemas.AgencyOut, responses=WRITE,
             summary="入驻审核 Approve or refuse onboarding")
def decide(public_id: str, data: schemas.DecideIn, session: DbSession, principal: Staff) -> Response:
    row = service.decide(session, actor=principal, public_id=public_id, approve=data.approve, note=data.note)
    return _json(service.out(session, row))


@router.post("/{public_id}/ratings", response_model=schemas.AgencyOut, responses=WRITE, summary="评价 Rate")
def rate(public_id: str, data: schemas.RateIn, session: DbSession, principal: Citizen) -> Response:
    row = service.rate(session, actor=principal, public_id=public_id, stars=data.stars, comment=data.comment)
    return _json(service.out(session, row))
