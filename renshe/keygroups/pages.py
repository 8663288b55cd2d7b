"""Pages of the key-group labour database.

重点群体就业服务 (`/staff/keygroups`): the clerk's worklist of people of the jurisdiction not served in the
last N days and not employed (filters, paging), the XLSX export, the CSV/XLSX import (whole file or nothing,
each bad row named) and the form to enter a person. `/staff/keygroups/records/{id}`: the record with its
groups and services, the add-service form and the state a clerk records.
我的就业服务 (`/citizen/keygroups`): the citizen's groups and the services they received."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from renshe.core import tabular
from renshe.core.auth import Principal
from renshe.core.errors import DomainError, FieldError
from renshe.core.http import DbSession, WriteSession, form_errors, page_errors, require_kind, savepoint, templates
from renshe.keygroups import rules, schemas, service

router = APIRouter(include_in_schema=False)
Citizen = Annotated[Principal, require_kind("citizen")]
Staff = Annotated[Principal, require_kind("staff")]
F6 = Annotated[str, Form(max_length=6)]
F32 = Annotated[str, Form(max_length=32)]
F100 = Annotated[str, Form(max_length=100)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"



def _days(value: str) -> int:
    return int(value) if value.isdigit() and 1 <= int(value) <= 366 else rules.catalog().unserved_days


def _staff(request: Request, session: Session, principal: Principal, *, days: int, group: str = "",
           cursor: str | None = None, errors: list[FieldError] | None = None, saved: str = "",
           form: dict[str, str] | None = None, status_code: int = 200) -> Response:
    chosen = group if group in service.GROUP_LABELS else ""
    rows, next_cursor = service.worklist(session, actor=principal, days=days, group=chosen or None, cursor=cursor)
    return templates.render(request, "keygroups_staff.html", status_code=status_code, page_title="重点群体就业服务",
                            records=service.outs(session, rows), next_cursor=next_cursor, days=days, group=chosen,
                            catalog=rules.catalog(), groups=service.GROUP_LABELS, states=service.STATE_LABELS,
                            errors=errors or [], saved=saved, form=form or {})


@router.get("/staff/keygroups")
def staff_page(request: Request, session: DbSession, principal: Staff, days: str = "", group: str = "",
               cursor: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    return _staff(request, session, principal, days=_days(days), group=group, cursor=cursor)


@router.get("/staff/keygroups/export.xlsx")
def staff_export(session: WriteSession, principal: Staff, days: str = "", group: str = "") -> Response:
    content = service.export_worklist(session, actor=principal, days=_days(days),
                                      group=group if group in service.GROUP_LABELS else None)
    return Response(content, media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="keygroups-worklist.xlsx"'})


@router.post("/staff/keygroups/records")
def staff_create(request: Request, session: DbSession, principal: Staff, id_number: Annotated[str, Form(max_length=18)],
                 name: Annotated[str, Form(max_length=64)], group: F32, division_code: F6 = "",
                 state: Annotated[str, Form(max_length=16)] = "unemployed", graduation_year: F6 = "",
                 school: F100 = "", major: F100 = "", education: F32 = "", origin_county: F6 = "",
                 work_county: F6 = "", category: F32 = "") -> Response:
    offered = {"graduation_year": graduation_year, "school": school, "major": major, "education": education,
               "origin_county": origin_county, "work_county": work_county, "category": category}
    form = {"id_number": id_number, "name": name, "group": group, "division_code": division_code, "state": state,
            **offered}
    found = rules.catalog().groups.get(group)
    attributes = {a.field: offered.get(a.field, "") for a in found.attributes} if found else {}
    days = rules.catalog().unserved_days
    try:
        data = schemas.RecordIn(id_number=id_number.strip(), name=name.strip(), division_code=division_code.strip(),
                                state=state, groups=[schemas.MembershipIn(group=group, attributes=attributes)])
    except ValidationError as exc:
        return _staff(request, session, principal, days=days, errors=form_errors(exc), form=form, status_code=422)
    try:
        with savepoint(session):
            row = service.create_record(session, actor=principal, data=data)
    except DomainError as exc:
        return _staff(request, session, principal, days=days, errors=page_errors(exc, "id_number"), form=form,
                      status_code=422)
    return _record(request, session, principal, row.public_id,
                   saved=f"{row.person_name}已录入重点群体信息库，并已告知本人")


@router.post("/staff/keygroups/import")
def staff_import(request: Request, session: DbSession, principal: Staff,
                 file: Annotated[UploadFile, File()]) -> Response:
    days = rules.catalog().unserved_days
    try:
        with savepoint(session), tabular.saved_upload(file.file, filename=file.filename) as path:
            done = service.import_file(session, actor=principal, path=path, filename=file.filename)
    except DomainError as exc:
        errors = page_errors(exc, "file")
        return _staff(request, session, principal, days=days, status_code=422,
                      errors=[FieldError("file", exc.code, exc.detail), *errors] if exc.errors else errors)
    return _staff(request, session, principal, days=days,
                  saved=f"导入完成：读取{done.rows}行，新增{done.created}人，更新{done.updated}人")


def _record(request: Request, session: Session, principal: Principal, public_id: str, *,
            errors: list[FieldError] | None = None, saved: str = "", status_code: int = 200) -> Response:
    row = service.get_record(session, actor=principal, public_id=public_id)
    return templates.render(request, "keygroups_record.html", status_code=status_code, page_title="重点群体人员记录",
                            record=service.outs(session, [row], services=True)[0], kinds=service.KIND_LABELS,
                            states=service.STATE_LABELS, today=service.today().isoformat(), errors=errors or [],
                            saved=saved)


@router.get("/staff/keygroups/records/{public_id}")
def staff_record(request: Request, public_id: str, session: DbSession, principal: Staff) -> Response:
    return _record(request, session, principal, public_id)


@router.post("/staff/keygroups/records/{public_id}/services")
def staff_serve(request: Request, public_id: str, session: DbSession, principal: Staff, kind: F32,
                served_on: Annotated[str, Form(max_length=10)], note: Annotated[str, Form(max_length=500)] = ""
                ) -> Response:
    try:
        data = schemas.ServiceIn(served_on=date.fromisoformat(served_on), kind=kind, note=note)
    except ValueError:
        return _record(request, session, principal, public_id, status_code=422, errors=[
            FieldError("served_on", "renshe:keygroups/served-on", "服务日期格式应为 YYYY-MM-DD")])
    try:
        with savepoint(session):
            done = service.add_service(session, actor=principal, public_id=public_id, data=data)
    except DomainError as exc:
        return _record(request, session, principal, public_id, errors=page_errors(exc, "kind"), status_code=422)
    return _record(request, session, principal, public_id,
                   saved=f"已记录{service.KIND_LABELS[done.kind]}服务，并已告知本人")


@router.post("/staff/keygroups/records/{public_id}/state")
def staff_state(request: Request, public_id: str, session: DbSession, principal: Staff,
                state: Annotated[str, Form(max_length=16)]) -> Response:
    try:
        with savepoint(session):
            service.set_state(session, actor=principal, public_id=public_id, state=state)
    except DomainError as exc:
        return _record(request, session, principal, public_id, errors=page_errors(exc, "state"), status_code=422)
    return _record(request, session, principal, public_id, saved="就业状态已记录")


@router.get("/citizen/keygroups")
def citizen_page(request: Request, session: DbSession, principal: Citizen) -> Response:
    row = service.mine(session, actor=principal)
    record = service.outs(session, [row], services=True)[0] if row is not None else None
    return templates.render(request, "keygroups_citizen.html", page_title="我的就业服务", record=record)
