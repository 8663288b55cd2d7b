"""JSON API of wage payment monitoring (`/api/v1/wages/...`).

Staff record projects, firms, real-name workers, attendance files, the special account, deposits and pay
sheets; supervisors run the scan and close warnings and clues of their jurisdiction (cursor paging). Anyone
reports an arrears clue and follows it by tracking number. Broken rules are problem+json with
`renshe:wages/<rule>` (an attendance file refused whole is `renshe:import/rejected`, naming every row)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel
from starlette.responses import Response

from renshe.core import tabular
from renshe.core.auth import Principal
from renshe.core.http import DbSession, MaybePrincipal, require_kind
from renshe.wages import clues, jobs, schemas, service

router = APIRouter(prefix="/api/v1/wages", tags=["wages 农民工工资支付监控"])
Staff = Annotated[Principal, require_kind("staff")]
WRITE: dict[int | str, dict[str, Any]] = {
    422: {"description": "输入不符合规则（problem+json，type 为 renshe:wages/<rule>）"},
    403: {"description": "无权办理"}, 404: {"description": "未找到或不在辖区内"},
    409: {"description": "重复或状态冲突"}}


def _json(model: BaseModel, status_code: int = 200) -> Response:
    return Response(model.model_dump_json(), media_type="application/json", status_code=status_code)


@router.post("/projects", response_model=schemas.ProjectOut, status_code=201, responses=WRITE,
             summary="登记在建工程项目 Register a construction project")
def create_project(data: schemas.ProjectIn, session: DbSession, principal: Staff) -> Response:
    return _json(service.project_out(service.create_project(session, actor=principal, data=data)), 201)


@router.get("/projects", response_model=schemas.ProjectPage, summary="辖区内的项目 Projects of my jurisdiction")
def list_projects(session: DbSession, principal: Staff, cursor: str | None = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 20) -> Response:
    rows, next_cursor = service.projects(session, actor=principal, cursor=cursor, limit=limit)
    return _json(schemas.ProjectPage(items=[service.project_out(r) for r in rows], next_cursor=next_cursor))


@router.get("/projects/{public_id}", response_model=schemas.ProjectOut, responses=WRITE, summary="项目 A project")
def get_project(public_id: str, session: DbSession, principal: Staff) -> Response:
    return _json(service.project_out(service.get_project(session, actor=principal, public_id=public_id)))


@router.post("/projects/{public_id}/firms", response_model=schemas.FirmOut, status_code=201, responses=WRITE,
             summary="登记参建（分包）单位 Add a subcontractor")
def add_firm(public_id: str, data: schemas.FirmIn, session: DbSession, principal: Staff) -> Response:
    return _json(service.firm_out(service.add_firm(session, actor=principal, project_id=public_id, data=data)), 201)


@router.post("/projects/{public_id}/workers", response_model=schemas.WorkerOut, status_code=201, responses=WRITE,
             summary="农民工实名登记 Register a worker by real name")
def register_worker(public_id: str, data: schemas.WorkerIn, session: DbSession, principal: Staff) -> Response:
    row = service.register_worker(session, actor=principal, project_id=public_id, data=data)
    return _json(service.worker_out(session, row), 201)


class ImportOut(BaseModel):
    rows_read: int
    imported: int


@router.post("/projects/{public_id}/attendance", response_model=ImportOut, responses=WRITE,
             summary="导入实名制考勤（CSV/XLSX，整文件导入或全部不导入） Import attendance")
def import_attendance(public_id: str, session: DbSession, principal: Staff,
                      file: Annotated[UploadFile, File()]) -> Response:
    with tabular.saved_upload(file.file, filename=file.filename) as path:
        report = service.import_attendance(session, actor=principal, project_id=public_id, path=path,
                                           filename=file.filename)
    return _json(ImportOut(rows_read=report.rows_read, imported=report.imported))


@router.put("/projects/{public_id}/special-account", response_model=schemas.ProjectOut, responses=WRITE,
            summary="登记工资专用账户 Record the wage special account")
def open_account(public_id: str, data: schemas.AccountIn, session: DbSession, principal: Staff) -> Response:
    service.open_account(session, actor=principal, project_id=public_id, data=data)
    return _json(service.project_out(service.get_project(session, actor=principal, public_id=public_id)))


@router.post("/projects/{public_id}/deposits", response_model=schemas.ProjectOut, status_code=201, responses=WRITE,
             summary="登记工资保证金 Record a wage deposit")
def add_deposit(public_id: str, data: schemas.DepositIn, session: DbSession, principal: Staff) -> Response:
    service.add_deposit(session, actor=principal, project_id=public_id, data=data)
    return _json(service.project_out(service.get_project(session, actor=principal, public_id=public_id)), 201)


@router.post("/projects/{public_id}/pay-sheets", response_model=schemas.PaySheetOut, status_code=201,
             responses=WRITE, summary="登记月度工资支付表 Record a month's pay sheet")
def record_pay_sheet(public_id: str, data: schemas.PaySheetIn, session: DbSession, principal: Staff) -> Response:
    row = service.record_pay_sheet(session, actor=principal, project_id=public_id, data=data)
    project = service.get_project(session, actor=principal, public_id=public_id)
    totals = next(t for t in service.sheets_of(session, project=project) if t.sheet.id == row.id)
    return _json(service.sheet_out(totals), 201)


@router.post("/scans", response_model=schemas.ScanOut, responses=WRITE,
             summary="执行工资支付预警扫描 Run the warning scan over my jurisdiction")
def run_scan(session: DbSession, principal: Staff, on: date | None = None) -> Response:
    result = jobs.scan_in(session, actor=principal, on=on or service.today())
    return _json(schemas.ScanOut(on=result.on, raised=result.raised, by_rule=result.by_rule))


@router.get("/warnings", response_model=schemas.WarningPage, summary="预警工作台 Warnings of my jurisdiction")
def list_warnings(session: DbSession, principal: Staff,
                  state: Annotated[str | None, Query(pattern="^(open|closed)$")] = "open",
                  cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 20) -> Response:
    rows, next_cursor = service.warnings(session, actor=principal, state=state, cursor=cursor, limit=limit)
    return _json(schemas.WarningPage(items=[service.warning_out(r) for r in rows], next_cursor=next_cursor))


@router.post("/warnings/{public_id}/close", response_model=schemas.WarningOut, responses=WRITE,
             summary="预警处置办结 Close a warning with its outcome")
def close_warning(public_id: str, data: schemas.CloseIn, session: DbSession, principal: Staff) -> Response:
    return _json(service.warning_out(service.close_warning(session, actor=principal, public_id=public_id,
                                                           outcome=data.outcome)))


@router.post("/clues", response_model=schemas.ClueProgress, status_code=201, responses=WRITE,
             summary="反映拖欠农民工工资线索（无需登录） Report unpaid wages")
def report_clue(data: schemas.ClueIn, session: DbSession, principal: MaybePrincipal) -> Response:
    row = clues.report(session, actor=principal, data=data, on=service.today())
    return _json(clues.progress_out(row), 201)


@router.get("/clues", response_model=schemas.CluePage, summary="辖区内的欠薪线索 Clues of my jurisdiction")
def list_clues(session: DbSession, principal: Staff,
               state: Annotated[str | None, Query(pattern="^(received|handling|closed)$")] = None,
               cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 20) -> Response:
    rows, next_cursor = clues.worklist(session, actor=principal, state=state, cursor=cursor, limit=limit)
    return _json(schemas.CluePage(items=[clues.clue_out(session, r) for r in rows], next_cursor=next_cursor))


@router.get("/clues/{tracking_number}", response_model=schemas.ClueProgress, responses=WRITE,
            summary="按查询编号查看线索办理进度（无需登录） Progress of a clue")
def clue_progress(tracking_number: str, session: DbSession) -> Response:
    return _json(clues.progress_out(clues.progress(session, tracking_number=tracking_number)))


@router.post("/clues/{tracking_number}/take-up", response_model=schemas.ClueOut, responses=WRITE,
             summary="开始核查线索 Take up a clue")
def take_up_clue(tracking_number: str, session: DbSession, principal: Staff) -> Response:
    return _json(clues.clue_out(session, clues.take_up(session, actor=principal, tracking_number=tracking_number)))


@router.post("/clues/{tracking_number}/close", response_model=schemas.ClueOut, responses=WRITE,
             summary="线索办结 Close a clue with its outcome")
def close_clue(tracking_number: str, data: schemas.CloseIn, session: DbSession, principal: Staff) -> Response:
    return _json(clues.clue_out(session, clues.close(session, actor=principal, tracking_number=tracking_number,
                                                      outcome=data.outcome)))
