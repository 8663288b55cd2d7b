"""Staff pages of historical data import (历史数据入库): upload a workbook, the list of imports, and each
import's reconciliation report (对账报告) as a page and as XLSX. Included by `pages`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from renshe.core import paging, tabular
from renshe.core.auth import Principal
from renshe.core.errors import DomainError, FieldError
from renshe.core.http import DbSession, require_kind, savepoint, templates
from renshe.insurance import history, service

router = APIRouter(include_in_schema=False)
Staff = Annotated[Principal, require_kind("staff")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _page(request: Request, session: Session, principal: Principal, *, cursor: str = "",
          errors: list[FieldError] | None = None, detail: str = "", status_code: int = 200) -> Response:
    rows = history.imports(session, actor=principal, after=paging.decode_cursor(cursor), limit=20)
    return templates.render(
        request, "insurance_history.html", status_code=status_code, page_title="历史数据入库",
        imports=[service.history_out(b) for b in rows], errors=errors or [], detail=detail, sheets=history.SPECS,
        totals=history.TOTALS,
        next_cursor=paging.encode_cursor(rows[-1].id) if len(rows) == 20 else None)


@router.get("/staff/insurance/history")
def history_page(request: Request, session: DbSession, principal: Staff,
                 cursor: Annotated[str, Query(max_length=40)] = "") -> Response:
    return _page(request, session, principal, cursor=cursor)


@router.post("/staff/insurance/history")
def history_upload(request: Request, session: DbSession, principal: Staff,
                   file: Annotated[UploadFile, File()]) -> Response:
    try:
        with savepoint(session), tabular.saved_upload(file.file, filename=file.filename) as path:
            if path.suffix != ".xlsx":
                raise tabular.file_error("renshe:import/file-type", "历史数据文件有多个工作表，只能导入 .xlsx 文件")
            result = service.import_history(session, actor=principal, path=path, filename=file.filename or "")
    except DomainError as exc:
        if exc.status == 403:
            raise
        return _page(request, session, principal, errors=exc.errors or [FieldError("file", exc.code, exc.detail)],
                     detail=exc.detail, status_code=422)
    suffix = "" if result.created else "?again=1"
    return RedirectResponse(f"/staff/insurance/history/{result.batch.public_id}{suffix}", status_code=303)


@router.get("/staff/insurance/history/{public_id}")
def history_report(request: Request, public_id: str, session: DbSession, principal: Staff,
                   again: Annotated[bool, Query()] = False) -> Response:
    batch = history.get_import(session, actor=principal, public_id=public_id)
    return templates.render(request, "insurance_history_report.html", page_title="历史数据入库对账报告",
                            batch=service.history_out(batch), again=again)


@router.get("/staff/insurance/history/{public_id}/report.xlsx")
def history_report_xlsx(public_id: str, session: DbSession, principal: Staff) -> Response:
    batch = history.get_import(session, actor=principal, public_id=public_id)
    return Response(history.report_xlsx(batch), media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="history-{batch.public_id}.xlsx"'})
