"""Pages of electronic labour contracts.

劳动合同（单位） `/employer/contracts`: draft a contract from the template for a person the unit employs, the
unit's contracts with their state, sign after the worker (the document hash shown), terminate, download.
我的劳动合同 `/citizen/contracts`: read the document (its hash shown), get a one-time code, tick the intent box and
sign, download the PDF (free, any time, also after the contract ends).
劳动合同预警 `/staff/contracts/warnings`: relations without a signed contract after one month, terms ending soon."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from renshe.contracts import rules, schemas, service
from renshe.core.auth import Principal
from renshe.core.errors import DomainError, FieldError
from renshe.core.http import DbSession, page_errors, require_kind, savepoint, templates

router = APIRouter(include_in_schema=False)
Citizen = Annotated[Principal, require_kind("citizen")]
Employer = Annotated[Principal, require_kind("employer")]
Staff = Annotated[Principal, require_kind("staff")]



def _pdf(name: str, data: bytes) -> Response:
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# ---------------------------------------------------------------- worker


def _citizen(request: Request, session: Session, principal: Principal, *, errors: list[FieldError] | None = None,
             saved: str = "", status_code: int = 200) -> Response:
    rows = [service.out(r) for r in service.mine(session, actor=principal)]
    return templates.render(request, "contracts_citizen.html", status_code=status_code, page_title="我的劳动合同",
                            contracts=rows, errors=errors or [], saved=saved)


@router.get("/citizen/contracts")
def citizen_page(request: Request, session: DbSession, principal: Citizen) -> Response:
    return _citizen(request, session, principal)


@router.post("/citizen/contracts/{public_id}/code")
def citizen_code(request: Request, public_id: str, session: DbSession, principal: Citizen) -> Response:
    try:
        with savepoint(session):
            service.send_sign_code(session, actor=principal, public_id=public_id)
    except DomainError as exc:
        return _citizen(request, session, principal, errors=page_errors(exc, "code"), status_code=422)
    return _citizen(request, session, principal, saved="验证码已发送到您在人员基础库登记的手机，请在有效期内填写")


@router.post("/citizen/contracts/{public_id}/sign")
def citizen_sign(request: Request, public_id: str, session: DbSession, principal: Citizen,
                 document_sha256: Annotated[str, Form(max_length=64)] = "",
                 confirm: Annotated[str, Form(max_length=8)] = "",
                 code: Annotated[str, Form(max_length=8)] = "") -> Response:
    try:
        with savepoint(session):
            row = service.sign(session, actor=principal, public_id=public_id, data=schemas.SignIn.model_construct(
                document_sha256=document_sha256, confirm=confirm == "yes", code=code))
    except DomainError as exc:
        return _citizen(request, session, principal, errors=page_errors(exc, "code"), status_code=422)
    return _citizen(request, session, principal, saved=f"您已签署劳动合同（编号{row.number}），等待用人单位签署")


@router.get("/citizen/contracts/{public_id}/pdf")
def citizen_pdf(public_id: str, session: DbSession, principal: Citizen) -> Response:
    return _pdf(*service.pdf_of(session, actor=principal, public_id=public_id))


# ---------------------------------------------------------------- employer


def _employer(request: Request, session: Session, principal: Principal, *, errors: list[FieldError] | None = None,
              saved: str = "", values: dict[str, str] | None = None, status_code: int = 200,
              cursor: str | None = None) -> Response:
    rows, next_cursor = service.listing(session, actor=principal, cursor=cursor)
    template = service.template_of("standard")
    return templates.render(request, "contracts_employer.html", status_code=status_code, page_title="劳动合同",
                            contracts=[service.out(r) for r in rows], next_cursor=next_cursor, template=template,
                            values=values or {}, reasons=service.REASON_LABELS, errors=errors or [], saved=saved,
                            err={e.field: e.message for e in errors or []}, today=date.today().isoformat())


@router.get("/employer/contracts")
def employer_page(request: Request, session: DbSession, principal: Employer, cursor: str | None = None) -> Response:
    return _employer(request, session, principal, cursor=cursor)


@router.post("/employer/contracts")
async def employer_draft(request: Request, session: DbSession, principal: Employer) -> Response:
    form = await request.form()
    keys = {f["key"] for f in service.template_of("standard").fields}
    values = {k: str(v)[:1000] for k, v in form.items() if isinstance(v, str)}
    fields: dict[str, str | int | None] = {k: v for k, v in values.items() if k in keys and v.strip()}
    if values.get("monthly_wage_yuan", "").strip():
        fields["monthly_wage_fen"] = _fen(values["monthly_wage_yuan"])
    from starlette.concurrency import run_in_threadpool

    def work() -> Response:
        try:
            with savepoint(session):
                data = schemas.DraftIn.model_construct(template="standard", id_number=values.get("id_number", ""),
                                                       employer_credit_code=None, fields=fields)
                row = service.draft(session, actor=principal, data=data)
        except DomainError as exc:
            return _employer(request, session, principal, errors=page_errors(exc, "id_number"), values=values,
                             status_code=422)
        return _employer(request, session, principal,
                         saved=f"已起草劳动合同（编号{row.number}），已通知{row.worker_name}登录签署")

    return await run_in_threadpool(work)


def _fen(text: str) -> str:
    """Yuan as typed (`8000` or `8000.50`) to fen; anything else is passed on for the rule to name."""
    cleaned = text.strip().replace(",", "")
    whole, _, cents = cleaned.partition(".")
    if whole.isdigit() and (cents == "" or (cents.isdigit() and len(cents) <= 2)):
        return str(int(whole) * 100 + int((cents or "0").ljust(2, "0")))
    return cleaned


@router.post("/employer/contracts/{public_id}/sign")
def employer_sign(request: Request, public_id: str, session: DbSession, principal: Employer,
                  document_sha256: Annotated[str, Form(max_length=64)] = "",
                  confirm: Annotated[str, Form(max_length=8)] = "") -> Response:
    try:
        with savepoint(session):
            row = service.sign(session, actor=principal, public_id=public_id, data=schemas.SignIn.model_construct(
                document_sha256=document_sha256, confirm=confirm == "yes", code=None))
    except DomainError as exc:
        return _employer(request, session, principal, errors=page_errors(exc, "confirm"), status_code=422)
    return _employer(request, session, principal, saved=f"劳动合同（编号{row.number}）双方已签署，已生效")


@router.post("/employer/contracts/{public_id}/terminate")
def employer_terminate(request: Request, public_id: str, session: DbSession, principal: Employer,
                       terminated_on: Annotated[str, Form(max_length=10)] = "",
                       reason: Annotated[str, Form(max_length=32)] = "",
                       note: Annotated[str, Form(max_length=500)] = "") -> Response:
    try:
        day = date.fromisoformat(terminated_on)
    except ValueError:
        return _employer(request, session, principal, status_code=422, errors=[FieldError(
            "terminated_on", "renshe:contracts/date", "请填写解除或终止日期（YYYY-MM-DD）")])
    try:
        with savepoint(session):
            row = service.terminate(session, actor=principal, public_id=public_id,
                                    data=schemas.TerminateIn(terminated_on=day, reason=reason, note=note))
    except DomainError as exc:
        return _employer(request, session, principal, errors=page_errors(exc, "reason"), status_code=422)
    return _employer(request, session, principal,
                     saved=f"劳动合同（编号{row.number}）已解除或终止，用工记录同时终止，并已告知{row.worker_name}")


@router.get("/employer/contracts/{public_id}/pdf")
def employer_pdf(public_id: str, session: DbSession, principal: Employer) -> Response:
    return _pdf(*service.pdf_of(session, actor=principal, public_id=public_id))


# ---------------------------------------------------------------- staff


@router.get("/staff/contracts/warnings")
def staff_warnings(request: Request, session: DbSession, principal: Staff) -> Response:
    found = service.warnings(session, actor=principal)
    return templates.render(request, "contracts_staff.html", page_title="劳动合同预警", on=found.on.isoformat(),
                            warnings=found.items, expiry_days=rules.EXPIRY_WARNING_DAYS)
