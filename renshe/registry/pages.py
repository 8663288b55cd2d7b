"""Pages of the person and employer base: staff workbench, person and employer pages, citizen and
employer home pages."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from renshe.core import audit, divisions, tabular
from renshe.core.auth import Principal
from renshe.core.errors import DomainError, FieldError
from renshe.core.http import CurrentPrincipal, DbSession, attempt, require_kind, templates
from renshe.registry import jobs, policy, schemas, service

router = APIRouter(include_in_schema=False)
Staff = Annotated[Principal, require_kind("staff")]
Citizen = Annotated[Principal, require_kind("citizen")]
EmployerAgent = Annotated[Principal, require_kind("employer")]


@router.get("/staff")
def workbench(request: Request, session: DbSession, principal: Staff,
              q: Annotated[str, Query(max_length=64)] = "", cursor: str | None = None) -> Response:
    rows, next_cursor = service.search_persons(session, actor=principal, q=q or None, cursor=cursor, limit=20)
    return templates.render(request, "workbench.html", page_title="经办工作台", q=q,
                            persons=[service.person_summary(p) for p in rows], next_cursor=next_cursor,
                            division_name=divisions.full_name(principal.division_code) or "全国")


@router.get("/staff/persons/new")
def new_person_form(request: Request, principal: Staff) -> Response:
    policy.require(principal, "person.write")
    return templates.render(request, "person_new.html", page_title="人员登记", values={}, errors=[],
                            counties=divisions.counties_of(principal.division_code))


@router.post("/staff/persons/new")
def new_person(request: Request, session: DbSession, principal: Staff,
               id_number: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "",
               phone: Annotated[str, Form()] = "", residence_division: Annotated[str, Form()] = "",
               real_name_source: Annotated[str, Form()] = "") -> Response:
    values = {"id_number": id_number, "name": name, "phone": phone, "residence_division": residence_division,
              "real_name_source": real_name_source}
    person, errors = attempt(lambda: service.register_person(
        session, actor=principal, data=schemas.PersonIn.model_validate({
            "id_number": id_number, "name": name, "phone": phone or None, "residence_division": residence_division,
            "real_name_source": real_name_source or None})), field="id_number", session=session)
    if person is not None:
        return RedirectResponse(f"/staff/persons/{person.public_id}?created=1", status_code=303)
    return templates.render(request, "person_new.html", status_code=422, page_title="人员登记", values=values,
                            errors=errors, counties=divisions.counties_of(principal.division_code))


@router.get("/staff/persons/{public_id}")
def person_page(request: Request, public_id: str, session: DbSession, principal: Staff,
                created: bool = False) -> Response:
    person = service.get_person(session, actor=principal, public_id=public_id)
    out = service.person_out(session, person, actor=principal)
    employments = [service.employment_out(r) for r in service.person_employments(session, person=person)]
    history = audit.history(session, entity_type="person", entity_id=person.public_id)
    duplicates = [service.person_summary(p) for p in service.duplicate_candidates(session, actor=principal,
                                                                                   person=person)]
    return templates.render(request, "person.html", page_title=f"人员信息 {out.name}", person=out,
                            employments=employments, history=history, duplicates=duplicates, created=created,
                            can_merge=principal.has("person.merge"))


@router.post("/staff/persons/{public_id}/merge")
def merge_page(request: Request, public_id: str, session: DbSession, principal: Staff,
               duplicate_public_id: Annotated[str, Form()], reason: Annotated[str, Form()] = "",
               confirm: Annotated[str, Form()] = "") -> Response:
    keep = service.get_person(session, actor=principal, public_id=public_id)
    duplicate = service.get_person(session, actor=principal, public_id=duplicate_public_id)
    if confirm != "yes" or len(reason.strip()) < 2:
        return templates.render(request, "person_merge_confirm.html", page_title="确认合并",
                                keep=service.person_out(session, keep, actor=principal),
                                duplicate=service.person_out(session, duplicate, actor=principal), reason=reason,
                                error="请填写合并原因（至少2个字）" if confirm == "yes" else None)
    service.merge_persons(session, actor=principal, keep=keep, duplicate=duplicate, reason=reason.strip())
    return RedirectResponse(f"/staff/persons/{keep.public_id}", status_code=303)


@router.get("/staff/employers")
def employers_page(request: Request, session: DbSession, principal: Staff,
                   q: Annotated[str, Query(max_length=64)] = "", cursor: str | None = None) -> Response:
    rows, next_cursor = service.search_employers(session, actor=principal, q=q or None, cursor=cursor)
    return templates.render(request, "employers.html", page_title="单位查询", q=q,
                            employers=[service.employer_out(e) for e in rows], next_cursor=next_cursor)


@router.get("/staff/employers/new")
def new_employer_form(request: Request, principal: Staff) -> Response:
    policy.require(principal, "employer.write")
    return templates.render(request, "employer_new.html", page_title="单位登记", values={}, errors=[],
                            counties=divisions.counties_of(principal.division_code))


@router.post("/staff/employers/new")
def new_employer(request: Request, session: DbSession, principal: Staff,
                 credit_code: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "",
                 division_code: Annotated[str, Form()] = "", legal_representative: Annotated[str, Form()] = "",
                 agent_password: Annotated[str, Form()] = "") -> Response:
    values = {"credit_code": credit_code, "name": name, "division_code": division_code,
              "legal_representative": legal_representative}
    if agent_password and len(agent_password) < 8:
        errors = [FieldError("agent_password", "renshe:employer/password", "单位经办密码至少8个字符")]
    else:
        employer, errors = attempt(lambda: service.register_employer(
            session, actor=principal, data=schemas.EmployerIn.model_validate(values),
            agent_password=agent_password or None), field="credit_code", session=session)
        if employer is not None:
            return RedirectResponse(f"/staff/employers/{employer.credit_code}", status_code=303)
    return templates.render(request, "employer_new.html", status_code=422, page_title="单位登记", values=values,
                            errors=errors, counties=divisions.counties_of(principal.division_code))


@router.get("/staff/employers/{credit_code}")
def employer_page(request: Request, credit_code: str, session: DbSession, principal: Staff) -> Response:
    employer = service.find_employer(session, actor=principal, credit_code=credit_code)
    relations = [service.employment_out(r) for r in service.employer_employments(session, employer=employer)]
    history = audit.history(session, entity_type="employer", entity_id=employer.public_id)
    return templates.render(request, "employer.html", page_title=f"单位信息 {employer.name}",
                            employer=service.employer_out(employer), relations=relations, history=history)


@router.get("/citizen")
def citizen_home(request: Request, session: DbSession, principal: Citizen,
                 unmask: Annotated[bool, Query(description="显示完整号码（本人操作，记入审计）")] = False) -> Response:
    person = service.get_person(session, actor=principal, public_id=principal.subject)
    employments = [service.employment_out(r) for r in service.person_employments(session, person=person)]
    return templates.render(request, "citizen_home.html", page_title="个人服务",
                            person=service.person_out(session, person, actor=principal, unmask=unmask,
                                                      mask_own=True),
                            employments=employments, unread=service.unread_count(session, actor=principal))


@router.get("/citizen/notices")
def citizen_notices(request: Request, session: DbSession, principal: Citizen, cursor: str | None = None) -> Response:
    """消息中心: the citizen's notices, newest first, unread marked, a page at a time."""
    notices, next_cursor = service.notices_of(session, actor=principal, cursor=cursor, limit=20)
    return templates.render(request, "citizen_notices.html", page_title="消息中心", notices=notices,
                            next_cursor=next_cursor, unread=service.unread_count(session, actor=principal))


def _local(link: str | None) -> str:
    """A notice's link if it is a path on this site (never another site), else the message centre."""
    return link if link and link.startswith("/") and not link.startswith("//") and "\\" not in link \
        else "/citizen/notices"


@router.post("/citizen/notices/read-all")
def citizen_notices_read_all(session: DbSession, principal: Citizen) -> Response:
    service.mark_all_read(session, actor=principal)
    return RedirectResponse("/citizen/notices", status_code=303)


@router.post("/citizen/notices/{public_id}/read")
def citizen_notice_read(public_id: str, session: DbSession, principal: Citizen,
                        follow: Annotated[str, Form()] = "") -> Response:
    """Mark one notice read; with `follow`, go on to what it is about."""
    notice = service.mark_read(session, actor=principal, public_id=public_id)
    return RedirectResponse(_local(notice.link) if follow else "/citizen/notices", status_code=303)


@router.get("/employer")
def employer_home(request: Request, session: DbSession, principal: EmployerAgent) -> Response:
    employer = service.get_employer_of(session, principal=principal)
    relations = [service.employment_out(r) for r in service.employer_employments(session, employer=employer)]
    return templates.render(request, "employer_home.html", page_title="单位服务",
                            employer=service.employer_out(employer), relations=relations, errors=[], values={})


@router.post("/employer/employments")
def employer_report(request: Request, session: DbSession, principal: EmployerAgent,
                    id_number: Annotated[str, Form()] = "", start_date: Annotated[str, Form()] = "",
                    job_title: Annotated[str, Form()] = "") -> Response:
    employer = service.get_employer_of(session, principal=principal)
    relation, errors = attempt(lambda: service.report_employment(
        session, actor=principal, employer=employer, data=schemas.EmploymentIn.model_validate(
            {"id_number": id_number, "start_date": start_date, "job_title": job_title or None})),
        field="id_number", session=session)
    if relation is not None:
        return RedirectResponse("/employer?reported=1", status_code=303)
    relations = [service.employment_out(r) for r in service.employer_employments(session, employer=employer)]
    return templates.render(request, "employer_home.html", status_code=422, page_title="单位服务",
                            employer=service.employer_out(employer), relations=relations, errors=errors,
                            values={"id_number": id_number, "start_date": start_date, "job_title": job_title})


@router.post("/employer/employments/{relation_id}/end")
def employer_end(relation_id: str, session: DbSession, principal: EmployerAgent,
                 end_date: Annotated[date, Form()]) -> Response:
    employer = service.get_employer_of(session, principal=principal)
    service.end_employment(session, actor=principal, employer=employer, relation_id=relation_id, end_date=end_date)
    return RedirectResponse("/employer?ended=1", status_code=303)


@router.get("/me")
def me(principal: CurrentPrincipal) -> Response:
    target = {"staff": "/staff", "citizen": "/citizen", "employer": "/employer"}.get(principal.kind, "/")
    return RedirectResponse(target, status_code=303)


# ---------------------------------------------------------------- bulk import and export


def _imports_page(request: Request, principal: Principal, *, status_code: int = 200, kind: str = "persons",
                  **context: object) -> Response:
    return templates.render(request, "imports.html", status_code=status_code, page_title="批量导入导出",
                            kind=kind, specs=jobs.SPECS, max_mb=tabular.MAX_UPLOAD_BYTES // (1024 * 1024),
                            can_import=principal.has("import.run"), can_export=principal.has("export.run"),
                            **context)


@router.get("/staff/imports")
def imports_form(request: Request, principal: Staff) -> Response:
    return _imports_page(request, principal)


@router.post("/staff/imports")
def imports_upload(request: Request, session: DbSession, principal: Staff,
                   kind: Annotated[str, Form()] = "persons",
                   file: Annotated[UploadFile | None, File()] = None) -> Response:
    policy.require(principal, "import.run")
    if kind not in jobs.SPECS:
        kind = "persons"
    spec = jobs.SPECS[kind]
    if file is None or not file.filename:
        return _imports_page(request, principal, status_code=422, kind=kind, errors=[
            FieldError("file", "renshe:import/no-file", "请选择要导入的 .csv 或 .xlsx 文件")])
    try:
        with tabular.saved_upload(file.file, filename=file.filename) as path:
            report = jobs.import_file(session, actor=principal, kind=kind, path=path)
    except tabular.ImportRejected as exc:
        rows = [(e.row, spec.label_of(e.field), e.field, e.code, e.message) for e in exc.report.errors]
        return _imports_page(request, principal, status_code=422, kind=kind, filename=file.filename,
                             rejected=exc.report, detail=exc.detail, rows=rows)
    except DomainError as exc:
        if exc.status in (401, 403):
            raise
        return _imports_page(request, principal, status_code=exc.status, kind=kind, filename=file.filename,
                             errors=exc.errors or [FieldError("file", exc.code, exc.detail)])
    return _imports_page(request, principal, kind=kind, filename=file.filename, report=report,
                         label=spec.label)


@router.get("/staff/persons/{public_id}/edit")
def edit_person_form(request: Request, public_id: str, session: DbSession, principal: Staff) -> Response:
    policy.require(principal, "person.write")
    person = service.get_person(session, actor=principal, public_id=public_id)
    out = service.person_out(session, person, actor=principal)
    return templates.render(request, "person_edit.html", page_title=f"变更人员信息 {out.name}", person=out,
                            errors=[], values={}, counties=divisions.counties_of(principal.division_code),
                            statuses=schemas.PERSON_STATUS_LABELS)


@router.post("/staff/persons/{public_id}/edit")
def edit_person(request: Request, public_id: str, session: DbSession, principal: Staff,
                version: Annotated[int, Form()], phone: Annotated[str, Form()] = "",
                residence_division: Annotated[str, Form()] = "", status: Annotated[str, Form()] = "") -> Response:
    person = service.get_person(session, actor=principal, public_id=public_id)
    values = {"phone": phone, "residence_division": residence_division, "status": status}
    updated, errors = attempt(lambda: service.update_person(
        session, actor=principal, person=person, expected_version=version,
        changes=schemas.PersonUpdate.model_validate({
            "phone": phone.strip() or None,
            "residence_division": residence_division if residence_division != person.residence_division else None,
            "status": status if status and status != person.status else None})), field="version", session=session)
    if updated is not None:
        return RedirectResponse(f"/staff/persons/{public_id}?updated=1", status_code=303)
    person = service.get_person(session, actor=principal, public_id=public_id)
    return templates.render(request, "person_edit.html", status_code=422, page_title="变更人员信息",
                            person=service.person_out(session, person, actor=principal), errors=errors,
                            values=values, counties=divisions.counties_of(principal.division_code),
                            statuses=schemas.PERSON_STATUS_LABELS)
