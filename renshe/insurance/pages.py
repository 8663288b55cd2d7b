"""Pages of the social insurance ledger: the staff parameter page (参数管理)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from renshe.core.auth import Principal
from renshe.core.errors import DomainError, FieldError
from renshe.core.http import WriteSession, require_kind, templates
from renshe.insurance import parameters
from renshe.insurance.models import NATIONAL

router = APIRouter(include_in_schema=False)
Staff = Annotated[Principal, require_kind("staff")]
MAX_UPLOAD = 5 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _province_for(principal: Principal, province: str | None) -> str:
    if province:
        return province
    return NATIONAL if principal.division_code == NATIONAL else parameters.province_of(principal.division_code)


def _parameters_page(request: Request, session: WriteSession, principal: Principal, province: str, *,
                     errors: list[FieldError] | None = None, detail: str = "", saved: str = "",
                     values: dict[str, str] | None = None, status_code: int = 200) -> Response:
    parameters.load_defaults(session)
    rows = parameters.history(session, province=province)
    groups: dict[str, list[dict[str, object]]] = {}
    for row in rows:
        groups.setdefault(row.key, []).append({
            "province": parameters.province_name(row.province), "effective_from": row.effective_from.isoformat(),
            "value": row.value, "source": row.source, "entered_by": row.entered_by, "entered_at": row.entered_at,
            "is_table": isinstance(row.value, dict)})
    frozen = parameters.last_assessed_month(session, province=province)
    return templates.render(
        request, "insurance_parameters.html", status_code=status_code, page_title="社会保险参数",
        province=province, province_name=parameters.province_name(province), groups=groups,
        labels={k: s.label for k, s in parameters.SPECS.items()}, can_manage=parameters.can_manage(principal, province),
        frozen=frozen.strftime("%Y年%m月") if frozen else "", errors=errors or [], detail=detail, saved=saved,
        values=values or {}, keys=list(parameters.SPECS))


@router.get("/staff/insurance/parameters")
def parameters_page(request: Request, session: WriteSession, principal: Staff,
                    province: Annotated[str, Query(max_length=6)] = "") -> Response:
    return _parameters_page(request, session, principal, _province_for(principal, province))


@router.post("/staff/insurance/parameters")
def parameters_set(request: Request, session: WriteSession, principal: Staff,
                   province: Annotated[str, Form(max_length=6)], key: Annotated[str, Form(max_length=48)],
                   effective_from: Annotated[str, Form(max_length=10)], value: Annotated[str, Form(max_length=4000)],
                   source: Annotated[str, Form(max_length=300)]) -> Response:
    values = {"key": key, "effective_from": effective_from, "value": value, "source": source}
    try:
        when = date.fromisoformat(effective_from)
        parameters.set_value(session, actor=principal, province=province, key=key, effective_from=when, value=value,
                             source=source)
    except ValueError:
        return _parameters_page(request, session, principal, province, status_code=422, values=values, errors=[
            FieldError("effective_from", "renshe:insurance/date", "生效日期应为YYYY-MM-DD")])
    except DomainError as exc:
        if exc.status == 403:
            raise
        return _parameters_page(request, session, principal, province, status_code=422, values=values,
                                errors=exc.errors or [FieldError("value", exc.code, exc.detail)], detail=exc.detail)
    return RedirectResponse(f"/staff/insurance/parameters?province={province}", status_code=303)


@router.get("/staff/insurance/parameters.xlsx")
def parameters_export(session: WriteSession, principal: Staff,
                      province: Annotated[str, Query(max_length=6)] = "") -> Response:
    shown = _province_for(principal, province)
    parameters.load_defaults(session)
    return Response(parameters.export_xlsx(session, province=shown), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="insurance-parameters-{shown}.xlsx"'})


@router.post("/staff/insurance/parameters/import")
def parameters_import(request: Request, session: WriteSession, principal: Staff,
                            province: Annotated[str, Form(max_length=6)],
                            file: Annotated[UploadFile, File()]) -> Response:
    data = file.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        return _parameters_page(request, session, principal, province, status_code=422, errors=[
            FieldError("file", "renshe:insurance/upload-size", "文件不能超过5MB")])
    try:
        added = parameters.import_xlsx(session, actor=principal, data=data)
    except DomainError as exc:
        if exc.status == 403:
            raise
        return _parameters_page(request, session, principal, province, status_code=422, detail=exc.detail,
                                errors=exc.errors or [FieldError("file", exc.code, exc.detail)])
    return _parameters_page(request, session, principal, province, saved=f"已导入{added}个参数值，导入已记入审计日志")
