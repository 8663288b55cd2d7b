"""Pages of wage payment monitoring.

工资支付监控 (`/staff/wages`): the county supervisor's worklist (open warnings, red first, and open arrears
clues with their deadlines), the scan, and the projects of the jurisdiction; a project's page
(`/staff/wages/projects/{id}`) with firms, workers, attendance (file import), the special account, deposits, pay
sheets and warnings; the project's rights notice board (维权信息告示牌) to print, with a QR code.
拖欠工资线索反映 (`/wages/clues`): the public form from a phone, signed in or not, prefilled from the notice
board's QR code; the tracking number; the public progress lookup (`/wages/clues/track`)."""

from __future__ import annotations

import base64
import io
from typing import Annotated

import segno
from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from renshe.core import tabular
from renshe.core.auth import Principal
from renshe.core.errors import DomainError, FieldError
from renshe.core.http import DbSession, MaybePrincipal, form_errors, page_errors, require_kind, savepoint, templates
from renshe.core.settings import get_settings
from renshe.wages import clues, jobs, rules, schemas, service

router = APIRouter(include_in_schema=False)
Staff = Annotated[Principal, require_kind("staff")]



def _worklist(request: Request, session: Session, principal: Principal, *, errors: list[FieldError] | None = None,
              saved: str = "", status_code: int = 200) -> Response:
    found, _ = service.warnings(session, actor=principal, state="open", limit=100)
    warnings = sorted((service.warning_out(w) for w in found), key=lambda w: (w.level != "red", w.month))
    open_clues, _ = clues.worklist(session, actor=principal, limit=100)
    projects, next_cursor = service.projects(session, actor=principal, limit=50)
    return templates.render(request, "wages_staff.html", status_code=status_code, page_title="农民工工资支付监控",
                            warnings=warnings, clues=[clues.clue_out(session, c) for c in open_clues],
                            projects=[service.project_out(p) for p in projects], next_cursor=next_cursor,
                            today=service.today(), errors=errors or [], saved=saved)


@router.get("/staff/wages")
def staff_page(request: Request, session: DbSession, principal: Staff) -> Response:
    return _worklist(request, session, principal)


@router.post("/staff/wages/scan")
def staff_scan(request: Request, session: DbSession, principal: Staff) -> Response:
    try:
        with savepoint(session):
            result = jobs.scan_in(session, actor=principal, on=service.today())
    except DomainError as exc:
        return _worklist(request, session, principal, errors=page_errors(exc, "scan"), status_code=422)
    return _worklist(request, session, principal, saved=f"扫描完成：新增预警{result.raised}条")


@router.post("/staff/wages/warnings/{public_id}/close")
def staff_close_warning(request: Request, public_id: str, session: DbSession, principal: Staff,
                        outcome: Annotated[str, Form(max_length=500)] = "") -> Response:
    try:
        with savepoint(session):
            _, project = service.close_warning(session, actor=principal, public_id=public_id, outcome=outcome)
    except DomainError as exc:
        return _worklist(request, session, principal, errors=page_errors(exc, "outcome"), status_code=422)
    return _worklist(request, session, principal, saved=f"{project.name}：预警已办结")


@router.post("/staff/wages/clues/{tracking_number}/take-up")
def staff_take_up(request: Request, tracking_number: str, session: DbSession, principal: Staff) -> Response:
    try:
        with savepoint(session):
            clues.take_up(session, actor=principal, tracking_number=tracking_number)
    except DomainError as exc:
        return _worklist(request, session, principal, errors=page_errors(exc, "clue"), status_code=422)
    return _worklist(request, session, principal, saved=f"线索{tracking_number}：已开始核查")


@router.post("/staff/wages/clues/{tracking_number}/close")
def staff_close_clue(request: Request, tracking_number: str, session: DbSession, principal: Staff,
                     outcome: Annotated[str, Form(max_length=500)] = "") -> Response:
    try:
        with savepoint(session):
            clues.close(session, actor=principal, tracking_number=tracking_number, outcome=outcome)
    except DomainError as exc:
        return _worklist(request, session, principal, errors=page_errors(exc, "outcome"), status_code=422)
    return _worklist(request, session, principal, saved=f"线索{tracking_number}：已办结，反映人可凭查询编号查看结果")


def _project(request: Request, session: Session, principal: Principal, public_id: str, *,
             errors: list[FieldError] | None = None, saved: str = "", status_code: int = 200) -> Response:
    project = service.get_project(session, actor=principal, public_id=public_id)
    found, _ = service.warnings(session, actor=principal, state=None, project=project, limit=100)
    return templates.render(
        request, "wages_project.html", status_code=status_code, page_title=project.name,
        project=service.project_out(project), firms=service.firms(session, project=project),
        workers=service.workers(session, project=project), account=service.account_of(session, project=project),
        deposits=service.deposits_of(session, project=project),
        sheets=[service.sheet_out(t) for t in service.sheets_of(session, project=project)],
        attendance=service.attendance_months(session, project=project),
        warnings=[service.warning_out(w) for w in found], yuan=rules.yuan, errors=errors or [], saved=saved)


@router.get("/staff/wages/projects/{public_id}")
def project_page(request: Request, public_id: str, session: DbSession, principal: Staff) -> Response:
    return _project(request, session, principal, public_id)


@router.post("/staff/wages/projects/{public_id}/attendance")
def project_attendance(request: Request, public_id: str, session: DbSession, principal: Staff,
                       file: Annotated[UploadFile, File()]) -> Response:
    try:
        with savepoint(session), tabular.saved_upload(file.file, filename=file.filename) as path:
            report = service.import_attendance(session, actor=principal, project_id=public_id, path=path,
                                               filename=file.filename)
    except DomainError as exc:
        return _project(request, session, principal, public_id, errors=page_errors(exc, "file"), status_code=422)
    return _project(request, session, principal, public_id, saved=f"已导入考勤{report.imported}条")


def qr_data_uri(text: str) -> str:
    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="svg", scale=6, border=2, xmldecl=False,
                                                  svgns=True, dark="#000", light="#fff")
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@router.get("/staff/wages/projects/{public_id}/notice-board")
def notice_board(request: Request, public_id: str, session: DbSession, principal: Staff) -> Response:
    project = service.get_project(session, actor=principal, public_id=public_id)
    link = f"{str(request.base_url).rstrip('/')}/wages/clues?project={project.public_id}"
    return templates.render(request, "wages_notice_board.html", page_title=f"{project.name}维权信息告示牌",
                            project=service.project_out(project), account=service.account_of(session, project=project),
                            firms=service.firms(session, project=project), link=link, qr=qr_data_uri(link),
                            minimum_wage=service.minimum_wage(session, project=project, on=service.today()),
                            yuan=rules.yuan)


# ---------------------------------------------------------------- public: clues


def _clue_form(request: Request, session: Session, *, values: dict[str, str], errors: list[FieldError] | None = None,
               done: schemas.ClueProgress | None = None, status_code: int = 200) -> Response:
    project = clues.project_for_report(session, public_id=values.get("project", ""))
    return templates.render(request, "wages_clue.html", status_code=status_code, page_title="拖欠农民工工资线索反映",
                            values=values, project=service.project_out(project) if project else None,
                            counties=clues.counties(get_settings().province_code), errors=errors or [],
                            err={e.field: e.message for e in errors or []}, done=done)


@router.get("/wages/clues")
def clue_page(request: Request, session: DbSession, _principal: MaybePrincipal, project: str = "") -> Response:
    return _clue_form(request, session, values={"project": project[:32]})


@router.post("/wages/clues")
def clue_post(request: Request, session: DbSession, principal: MaybePrincipal,
              project: Annotated[str, Form(max_length=32)] = "",
              project_name: Annotated[str, Form(max_length=200)] = "",
              employer_name: Annotated[str, Form(max_length=200)] = "",
              amount: Annotated[str, Form(max_length=16)] = "",
              months: Annotated[str, Form(max_length=100)] = "", phone: Annotated[str, Form(max_length=11)] = "",
              county: Annotated[str, Form(max_length=6)] = "") -> Response:
    values = {"project": project, "project_name": project_name, "employer_name": employer_name, "amount": amount,
              "months": months, "phone": phone, "county": county}
    try:
        data = schemas.ClueIn(**values)
    except ValidationError as exc:
        return _clue_form(request, session, values=values, errors=form_errors(exc), status_code=422)
    try:
        with savepoint(session):
            row = clues.report(session, actor=principal, data=data, on=service.today())
    except DomainError as exc:
        return _clue_form(request, session, values=values, errors=page_errors(exc, "project_name"), status_code=422)
    return _clue_form(request, session, values={}, done=clues.progress_out(row))


@router.get("/wages/clues/track")
def clue_track(request: Request, session: DbSession, _principal: MaybePrincipal, number: str = "") -> Response:
    found: schemas.ClueProgress | None = None
    errors: list[FieldError] = []
    if number.strip():
        try:
            found = clues.progress_out(clues.progress(session, tracking_number=number[:20]))
        except DomainError as exc:
            errors = page_errors(exc, "number")
    return templates.render(request, "wages_clue_track.html", status_code=404 if errors else 200,
                            page_title="欠薪线索办理进度查询", number=number[:20], found=found, errors=errors)
