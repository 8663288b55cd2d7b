"""Pages of personnel files (流动人员人事档案).

- 我的人事档案 `/citizen/archive`: where the file is kept, each transfer's progress, and the 存档证明.
- 人事档案管理 `/staff/archives`: receive a file, send one to another institution, record an arrival, and the
  transfers to receive or overdue."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from renshe.archives import service
from renshe.core.auth import Principal
from renshe.core.errors import DomainError, FieldError
from renshe.core.http import DbSession, page_errors, require_kind, savepoint, templates

router = APIRouter(include_in_schema=False)
Citizen = Annotated[Principal, require_kind("citizen")]
Staff = Annotated[Principal, require_kind("staff")]



def _citizen(request: Request, session: Session, principal: Principal, *, errors: list[FieldError] | None = None,
             status_code: int = 200) -> Response:
    row, moves = service.mine(session, actor=principal)
    return templates.render(request, "archives_mine.html", status_code=status_code, page_title="我的人事档案",
                            f=row, keeper=service.keeper_name(session, row.agency_id) if row else "",
                            moves=[(m, service.keeper_name(session, m.to_agency_id)) for m in moves],
                            states=service.STATES, transfer_states=service.TRANSFER_STATES, errors=errors or [])


@router.get("/citizen/archive")
def citizen_page(request: Request, session: DbSession, principal: Citizen) -> Response:
    return _citizen(request, session, principal)


@router.post("/citizen/archive/certificate")
def citizen_certificate(request: Request, session: DbSession, principal: Citizen) -> Response:
    try:
        with savepoint(session):
            issued = service.certificate(session, actor=principal)
    except DomainError as exc:
        return _citizen(request, session, principal, errors=page_errors(exc, "certificate"), status_code=422)
    return RedirectResponse(f"/citizen/certs/{issued.public_id}", status_code=303)


def _staff(request: Request, session: Session, principal: Principal, *, q: str = "",
           errors: list[FieldError] | None = None, saved: str = "", status_code: int = 200) -> Response:
    work = service.worklist(session, actor=principal)
    return templates.render(request, "archives_staff.html", status_code=status_code, page_title="人事档案管理",
                            files=service.files(session, actor=principal, q=q), q=q, keepers=service.keepers(session),
                            incoming=work["incoming"], overdue=work["overdue"], keeper_name=service.keeper_name,
                            session=session, states=service.STATES, today=service.today().isoformat(),
                            errors=errors or [], saved=saved)


@router.get("/staff/archives")
def staff_page(request: Request, session: DbSession, principal: Staff,
               q: Annotated[str, Query(max_length=40)] = "") -> Response:
    return _staff(request, session, principal, q=q)


@router.post("/staff/archives/files")
def staff_receive(request: Request, session: DbSession, principal: Staff,
                  id_number: Annotated[str, Form(max_length=18)] = "", keeper: Annotated[str, Form(max_length=32)] = "",
                  location: Annotated[str, Form(max_length=100)] = "",
                  received_on: Annotated[date | None, Form()] = None,
                  source: Annotated[str, Form(max_length=200)] = "") -> Response:
    try:
        with savepoint(session):
            row = service.receive(session, actor=principal, id_number=id_number, keeper=keeper, location=location,
                                  received_on=received_on or service.today(), source=source)
    except DomainError as exc:
        return _staff(request, session, principal, errors=page_errors(exc, "id_number"), status_code=422)
    return _staff(request, session, principal, saved=f"已接收{row.person_name}的档案，编号{row.file_number}")


@router.post("/staff/archives/files/{public_id}/transfer")
def staff_transfer(request: Request, public_id: str, session: DbSession, principal: Staff,
                   to_keeper: Annotated[str, Form(max_length=32)] = "",
                   tracking_number: Annotated[str, Form(max_length=40)] = "",
                   reason: Annotated[str, Form(max_length=200)] = "") -> Response:
    try:
        with savepoint(session):
            move = service.transfer(session, actor=principal, public_id=public_id, to_keeper=to_keeper,
                                    tracking_number=tracking_number, reason=reason)
    except DomainError as exc:
        return _staff(request, session, principal, errors=page_errors(exc, "to_keeper"), status_code=422)
    return _staff(request, session, principal, saved=f"档案已转递，应于{move.due_on}前送达")


@router.post("/staff/archives/transfers/{public_id}/receive")
def staff_arrival(request: Request, public_id: str, session: DbSession, principal: Staff,
                  location: Annotated[str, Form(max_length=100)] = "") -> Response:
    try:
        with savepoint(session):
            service.receive_transfer(session, actor=principal, public_id=public_id, location=location)
    except DomainError as exc:
        return _staff(request, session, principal, errors=page_errors(exc, "location"), status_code=422)
    return _staff(request, session, principal, saved="档案已接收入库，并已告知本人")
