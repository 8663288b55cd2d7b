"""JSON API of the person and employer base (`/api/v1/persons`, `/api/v1/employers`)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Header, Query, Response, UploadFile, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from renshe.core import reads, tabular
from renshe.core.auth import Principal
from renshe.core.http import CurrentPrincipal, DbSession, Limit, run_write
from renshe.core.http import etag as _etag
from renshe.core.http import if_match as _if_match
from renshe.registry import jobs, policy, schemas, service

router = APIRouter(prefix="/api/v1", tags=["registry 人员与单位"])




@router.post("/persons", status_code=status.HTTP_201_CREATED, response_model=schemas.PersonOut,
             summary="登记人员 Register a person")
def register_person(data: schemas.PersonIn, session: DbSession, principal: CurrentPrincipal,
                    response: Response) -> schemas.PersonOut:
    person = service.register_person(session, actor=principal, data=data)
    out = service.person_out(session, person, actor=principal)
    response.headers["ETag"] = _etag(person.version)
    response.headers["Location"] = f"/api/v1/persons/{data.id_number}"
    return out


@router.get("/persons", response_model=schemas.PersonPage, summary="查询人员 Search persons in jurisdiction")
def search_persons(session: DbSession, principal: CurrentPrincipal,
                   q: Annotated[str | None, Query(description="身份号码或姓名")] = None,
                   division: Annotated[str | None, Query(description="行政区划代码")] = None,
                   limit: Limit = 20, cursor: str | None = None) -> schemas.PersonPage:
    rows, next_cursor = service.search_persons(session, actor=principal, q=q, division=division, limit=limit,
                                               cursor=cursor)
    return schemas.PersonPage(items=[service.person_summary(p) for p in rows], next_cursor=next_cursor)


@router.get("/persons/{id_number}", response_model=schemas.PersonOut, summary="查看人员 Get one person")
async def get_person(id_number: str, principal: CurrentPrincipal,
                     unmask: Annotated[bool, Query(description="显示完整号码（需单独授权，记入审计）")] = False,
                     ) -> Response:
    if unmask:  # checks the named grant and writes the unmasking audit row: a unit of work of its own
        out = await run_write(lambda session: service.person_out(
            session, service.find_person(session, actor=principal, id_number=id_number), actor=principal, unmask=True))
    else:
        # One indexed Core read without a session (inline on SQLite, on a read thread on PostgreSQL: the
        # profile's largest costs), the number blind-indexed once; serialised here, not validated again.
        out = await reads.read_async(lambda reader: service.person_view(reader, actor=principal, id_number=id_number))
    return Response(out.model_dump_json(), media_type="application/json", headers={"ETag": _etag(out.version)})


@router.patch("/persons/{id_number}", response_model=schemas.PersonOut, summary="变更人员信息 Update a person")
def update_person(id_number: str, changes: schemas.PersonUpdate, session: DbSession, principal: CurrentPrincipal,
                  response: Response, if_match: Annotated[str | None, Header()] = None) -> schemas.PersonOut:
    person = service.find_person(session, actor=principal, id_number=id_number)
    person = service.update_person(session, actor=principal, person=person, changes=changes,
                                   expected_version=_if_match(if_match))
    out = service.person_out(session, person, actor=principal)
    response.headers["ETag"] = _etag(person.version)
    return out


@router.get("/persons/{id_number}/employments", response_model=list[schemas.EmploymentOut],
            summary="人员就业记录 Employment history of a person")
def person_employments(id_number: str, session: DbSession, principal: CurrentPrincipal) -> list[schemas.EmploymentOut]:
    person = service.find_person(session, actor=principal, id_number=id_number)
    return [service.employment_out(r) for r in service.person_employments(session, person=person)]


@router.get("/persons/{id_number}/duplicates", response_model=list[schemas.PersonSummary],
            summary="疑似重复记录 Possible duplicates")
def duplicates(id_number: str, session: DbSession, principal: CurrentPrincipal) -> list[schemas.PersonSummary]:
    person = service.find_person(session, actor=principal, id_number=id_number)
    return [service.person_summary(p)
            for p in service.duplicate_candidates(session, actor=principal, person=person)]


@router.post("/persons/{id_number}/merge", response_model=schemas.PersonOut,
             summary="合并重复记录 Merge a duplicate into this person")
def merge(id_number: str, data: schemas.MergeIn, session: DbSession, principal: CurrentPrincipal) -> schemas.PersonOut:
    keep = service.find_person(session, actor=principal, id_number=id_number)
    duplicate = service.find_person(session, actor=principal, id_number=data.duplicate_id_number)
    service.merge_persons(session, actor=principal, keep=keep, duplicate=duplicate, reason=data.reason)
    return service.person_out(session, keep, actor=principal)


@router.post("/employers", status_code=status.HTTP_201_CREATED, response_model=schemas.EmployerOut,
             summary="登记单位 Register an employer")
def register_employer(data: schemas.EmployerIn, session: DbSession, principal: CurrentPrincipal) -> schemas.EmployerOut:
    employer = service.register_employer(session, actor=principal, data=data)
    return service.employer_out(employer)


@router.get("/employers", response_model=schemas.EmployerPage, summary="查询单位 Search employers")
def search_employers(session: DbSession, principal: CurrentPrincipal,
                     q: Annotated[str | None, Query(description="统一社会信用代码或名称")] = None,
                     limit: Limit = 20, cursor: str | None = None) -> schemas.EmployerPage:
    rows, next_cursor = service.search_employers(session, actor=principal, q=q, limit=limit, cursor=cursor)
    return schemas.EmployerPage(items=[service.employer_out(e) for e in rows], next_cursor=next_cursor)


@router.get("/employers/{credit_code}", response_model=schemas.EmployerOut, summary="查看单位 Get one employer")
def get_employer(credit_code: str, session: DbSession, principal: CurrentPrincipal) -> schemas.EmployerOut:
    return service.employer_out(service.find_employer(session, actor=principal, credit_code=credit_code))


@router.get("/employers/{credit_code}/employments", response_model=list[schemas.EmploymentOut],
            summary="单位用工记录 Employment relations of an employer")
def employer_employments(credit_code: str, session: DbSession, principal: CurrentPrincipal,
                         current_only: bool = False) -> list[schemas.EmploymentOut]:
    employer = service.find_employer(session, actor=principal, credit_code=credit_code)
    rows = service.employer_employments(session, employer=employer, current_only=current_only)
    return [service.employment_out(r) for r in rows]


@router.post("/employers/{credit_code}/employments", status_code=status.HTTP_201_CREATED,
             response_model=schemas.EmploymentOut, summary="报告招用 Report a hire")
def report_employment(credit_code: str, data: schemas.EmploymentIn, session: DbSession,
                      principal: CurrentPrincipal) -> schemas.EmploymentOut:
    employer = service.find_employer(session, actor=principal, credit_code=credit_code)
    relation = service.report_employment(session, actor=principal, employer=employer, data=data)
    return service.employment_out(relation)


@router.post("/employers/{credit_code}/employments/{relation_id}/end", response_model=schemas.EmploymentOut,
             summary="报告解除 Report a separation")
def end_employment(credit_code: str, relation_id: str, data: schemas.EmploymentEnd, session: DbSession,
                   principal: CurrentPrincipal) -> schemas.EmploymentOut:
    employer = service.find_employer(session, actor=principal, credit_code=credit_code)
    relation = service.end_employment(session, actor=principal, employer=employer, relation_id=relation_id,
                                      end_date=data.end_date)
    return service.employment_out(relation)


# ---------------------------------------------------------------- bulk import and export

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ImportUpload = Annotated[UploadFile, File(description="CSV（UTF-8 或 GB18030）或 XLSX 文件，第1行为表头")]


class ImportResult(BaseModel):
    """An import that applied: every row of the file is now registered."""

    kind: str = Field(description="persons 人员 / employers 单位")
    rows_read: int = Field(description="读取的数据行数（不含表头和空行）")
    imported: int = Field(description="导入的记录数")
    ignored_columns: list[str] = Field(description="未识别、已忽略的列")


def _import(session: Session, principal: Principal, kind: str, file: UploadFile) -> ImportResult:
    policy.require(principal, "import.run")
    with tabular.saved_upload(file.file, filename=file.filename) as path:
        report = jobs.import_file(session, actor=principal, kind=kind, path=path)
    return ImportResult(kind=report.kind, rows_read=report.rows_read, imported=report.imported,
                        ignored_columns=report.ignored_columns)


_IMPORT_RESPONSES: dict[int | str, dict[str, str]] = {
    422: {"description": "文件中有不符合要求的行，全部未导入；errors 逐项列出，field 形如 `row 3.id_number`"},
    413: {"description": "文件过大"},
}


@router.post("/imports/persons", response_model=ImportResult, responses=_IMPORT_RESPONSES,
             summary="批量导入人员 Import persons from CSV or XLSX (all rows or none)")
def import_persons(file: ImportUpload, session: DbSession, principal: CurrentPrincipal) -> ImportResult:
    return _import(session, principal, "persons", file)


@router.post("/imports/employers", response_model=ImportResult, responses=_IMPORT_RESPONSES,
             summary="批量导入单位 Import employers from CSV or XLSX (all rows or none)")
def import_employers(file: ImportUpload, session: DbSession, principal: CurrentPrincipal) -> ImportResult:
    return _import(session, principal, "employers", file)


def _export(session: Session, principal: Principal, kind: str, exporter: Callable[..., int]) -> FileResponse:
    policy.require(principal, "export.run")
    handle = tempfile.NamedTemporaryFile(prefix="renshe-export-", suffix=".xlsx", delete=False)  # noqa: SIM115
    handle.close()
    path = Path(handle.name)
    try:
        exporter(session, actor=principal, out=path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return FileResponse(path, media_type=XLSX, filename=f"{kind}-{date.today():%Y%m%d}.xlsx",
                        background=BackgroundTask(os.unlink, path))


@router.get("/exports/persons.xlsx", response_class=FileResponse,
            responses={200: {"content": {XLSX: {}}, "description": "XLSX，公民身份号码和手机号码已脱敏"}},
            summary="导出人员 Export persons in jurisdiction (masked)")
def export_persons(session: DbSession, principal: CurrentPrincipal) -> FileResponse:
    return _export(session, principal, "persons", jobs.export_persons_xlsx)


@router.get("/exports/employers.xlsx", response_class=FileResponse,
            responses={200: {"content": {XLSX: {}}, "description": "XLSX"}},
            summary="导出单位 Export employers in jurisdiction")
def export_employers(session: DbSession, principal: CurrentPrincipal) -> FileResponse:
    return _export(session, principal, "employers", jobs.export_employers_xlsx)


@router.get("/me/notices", response_model=schemas.NoticePage, tags=["registry 人员与单位"],
            summary="消息中心 My notices, newest first (citizen)")
def my_notices(session: DbSession, principal: CurrentPrincipal, limit: Limit = 20,
               cursor: str | None = None) -> schemas.NoticePage:
    rows, next_cursor = service.notices_of(session, actor=principal, limit=limit, cursor=cursor)
    return schemas.NoticePage(items=[schemas.NoticeOut(**vars(n)) for n in rows], next_cursor=next_cursor,
                              unread=service.unread_count(session, actor=principal))


@router.post("/me/notices/{public_id}/read", response_model=schemas.NoticeOut,
             summary="标为已读 Mark one of my notices read")
def read_notice(public_id: str, session: DbSession, principal: CurrentPrincipal) -> schemas.NoticeOut:
    return schemas.NoticeOut(**vars(service.mark_read(session, actor=principal, public_id=public_id)))
