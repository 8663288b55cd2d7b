"""Pages of 转移接续: the citizen applies at the new place and follows each step with its time limit; the
clerk of the old place sees the requests received and issues the certificate and the transfer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from renshe.core.auth import Principal
from renshe.core.errors import FieldError
from renshe.core.http import ReadSession, WriteSession, attempt, require_kind, templates
from renshe.core.settings import get_settings
from renshe.hall import clock, peers
from renshe.hall.interprovince.service import province_name
from renshe.transfer import service
from renshe.transfer.models import PensionTransfer

router = APIRouter(include_in_schema=False)
Staff = Annotated[Principal, require_kind("staff")]
Citizen = Annotated[Principal, require_kind("citizen")]
STEP_ORDER = ("request", "transfer", "take_over")


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}" if fen >= 0 else f"-{yuan(-fen)}"


def _view(case: PensionTransfer) -> dict[str, object]:
    steps = [{"key": key, **case.deadlines[key]} for key in STEP_ORDER if key in (case.deadlines or {})]
    return {"case": case, "state_label": service.state_label(case), "peer_name": province_name(case.peer_province),
            "steps": steps, "account": yuan(case.account_fen), "pooled": yuan(case.pooled_fen),
            "bases": yuan(case.bases_fen)}


def _citizen_page(request: Request, session: WriteSession | ReadSession, principal: Principal, *,
                  errors: list[FieldError] | None = None, status_code: int = 200) -> Response:
    return templates.render(
        request, "transfer_citizen.html", status_code=status_code, page_title="养老保险关系转移接续",
        cases=[_view(c) for c in service.cases(session, actor=principal)], errors=errors or [],
        provinces=[(p.province_code, province_name(p.province_code)) for p in peers.peers(session)],
        here=province_name(get_settings().province_code), today=clock.today().isoformat())


@router.get("/citizen/pension-transfers")
def citizen_page(request: Request, session: ReadSession, principal: Citizen) -> Response:
    return _citizen_page(request, session, principal)


@router.post("/citizen/pension-transfers")
def citizen_apply(request: Request, session: WriteSession, principal: Citizen,
                  old_province: Annotated[str, Form(max_length=6)], from_agency: Annotated[str, Form(max_length=100)],
                  hukou_type: Annotated[str, Form(max_length=8)]) -> Response:
    if hukou_type not in {"urban", "rural"}:
        return _citizen_page(request, session, principal, status_code=422, errors=[
            FieldError("hukou_type", "renshe:transfer/hukou-type", "请选择户籍性质")])
    if len(from_agency.strip()) < 4:
        return _citizen_page(request, session, principal, status_code=422, errors=[
            FieldError("from_agency", "renshe:transfer/agency", "请填写转出地社会保险经办机构（至少4个字）")])
    _, errors = attempt(lambda: service.apply(session, actor=principal, old_province=old_province,
                                              from_agency=from_agency.strip(), hukou_type=hukou_type),
                        field="old_province", session=session)
    if errors:
        return _citizen_page(request, session, principal, errors=errors, status_code=422)
    return RedirectResponse("/citizen/pension-transfers", status_code=303)


def _staff_page(request: Request, session: WriteSession | ReadSession, principal: Principal, *,
                errors: list[FieldError] | None = None, status_code: int = 200) -> Response:
    return templates.render(request, "transfer_staff.html", status_code=status_code, page_title="转移接续经办",
                            cases=[_view(c) for c in service.cases(session, actor=principal)], errors=errors or [],
                            today=clock.today().isoformat())


@router.get("/staff/pension-transfers")
def staff_page(request: Request, session: ReadSession, principal: Staff) -> Response:
    return _staff_page(request, session, principal)


@router.post("/staff/pension-transfers/{public_id}/issue")
def staff_issue(request: Request, public_id: str, session: WriteSession, principal: Staff) -> Response:
    _, errors = attempt(lambda: service.issue(session, actor=principal, public_id=public_id), field="case",
                        session=session)
    if errors:
        return _staff_page(request, session, principal, errors=errors, status_code=409)
    return RedirectResponse("/staff/pension-transfers", status_code=303)
