"""JSON API of the social insurance ledger (`/api/v1/insurance/...`). Each route has its page in pages.py."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import BaseModel
from starlette.responses import Response

from renshe.core import paging, tabular
from renshe.core.auth import Principal
from renshe.core.errors import FieldError, ValidationFailed
from renshe.core.http import CurrentPrincipal, DbSession, WriteSession, require_kind
from renshe.insurance import contributions, enrolment, history, jobs, rules, schemas, service
from renshe.insurance import flexible as flexible_ledger

router = APIRouter(prefix="/api/v1/insurance", tags=["insurance 社会保险"])
Citizen = Annotated[Principal, require_kind("citizen")]
Staff = Annotated[Principal, require_kind("staff")]
MAX_UPLOAD = 16 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _json(model: BaseModel, status_code: int = 200) -> Response:
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json")


@router.post("/units", status_code=201, response_model=schemas.UnitOut, summary="单位参保登记 Register an insured unit")
def register_unit(data: schemas.UnitIn, session: DbSession, principal: CurrentPrincipal) -> Response:
    employer = enrolment.employer_for(session, actor=principal, credit_code=data.credit_code)
    unit = enrolment.register_unit(session, actor=principal, employer=employer, insurance_type=data.insurance_type,
                                   registered_on=data.registered_on)
    return _json(service.unit_out(unit), 201)


@router.post("/units/{unit_id}/relations", status_code=201, response_model=schemas.RelationOut,
             summary="增员 Enrol an employee")
def enrol(unit_id: str, data: schemas.EnrolIn, session: DbSession, principal: CurrentPrincipal) -> Response:
    unit = enrolment.get_unit(session, actor=principal, public_id=unit_id, action="relation.write")
    relation = enrolment.enrol_employee(session, actor=principal, unit=unit, id_number=data.id_number,
                                        start_date=data.start_date, reason=data.reason)
    return _json(service.relation_out(relation), 201)


@router.post("/relations/{relation_id}/end", response_model=schemas.RelationOut, summary="减员 End a relation")
def end(relation_id: str, data: schemas.EndIn, session: DbSession, principal: CurrentPrincipal) -> Response:
    relation = enrolment.get_relation(session, public_id=relation_id)
    relation = enrolment.end_relation(session, actor=principal, relation=relation, end_date=data.end_date,
                                      reason=data.reason)
    return _json(service.relation_out(relation))


@router.post("/me/flexible", status_code=201, response_model=schemas.RelationOut,
             summary="灵活就业人员参保 Enrol as a flexible worker")
def flexible(data: schemas.FlexibleIn, session: DbSession, principal: Citizen) -> Response:
    relation = enrolment.enrol_flexible(session, actor=principal, start_date=data.start_date)
    return _json(service.relation_out(relation), 201)


@router.post("/units/{unit_id}/declarations", status_code=201, response_model=schemas.DeclarationOut,
             summary="缴费基数申报 Declare bases (JSON)")
def declare(unit_id: str, data: schemas.DeclarationIn, session: DbSession, principal: CurrentPrincipal) -> Response:
    unit = enrolment.get_unit(session, actor=principal, public_id=unit_id, action="declaration.submit")
    rows = [contributions.DeclarationRow(row=i + 1, id_number=r.id_number, declared=r.declared,
                                         from_month=r.from_month) for i, r in enumerate(data.rows)]
    result = contributions.declare(session, actor=principal, unit=unit, year=data.year, rows=rows, key=data.key,
                                   kind=data.kind)
    return _json(service.declaration_out(session, result), 201 if result.created else 200)


@router.post("/units/{unit_id}/declarations/upload", status_code=201, response_model=schemas.DeclarationOut,
             summary="缴费基数申报 Declare bases (XLSX upload)")
def declare_upload(unit_id: str, session: DbSession, principal: CurrentPrincipal,
                   year: Annotated[int, Form()], file: Annotated[UploadFile, File()],
                   kind: Annotated[str, Form()] = "annual") -> Response:
    unit = enrolment.get_unit(session, actor=principal, public_id=unit_id, action="declaration.submit")
    content = file.file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise ValidationFailed([FieldError("file", "renshe:insurance/upload-size", "文件不能超过16MB")])
    result = contributions.declare(session, actor=principal, unit=unit, year=year,
                                   rows=contributions.read_declaration_xlsx(content),
                                   key=contributions.file_key(content), kind=kind)
    return _json(service.declaration_out(session, result), 201 if result.created else 200)


@router.post("/units/{unit_id}/assessments", response_model=schemas.AssessmentOut, summary="核定 Assess a month")
def assess(unit_id: str, data: schemas.AssessIn, session: DbSession, principal: Staff) -> Response:
    unit = enrolment.get_unit(session, actor=principal, public_id=unit_id, action="assessment.run")
    result = contributions.assess(session, actor=principal, unit=unit, month=contributions.parse_month(data.month))
    a = result.assessment
    return _json(schemas.AssessmentOut(public_id=a.public_id, month=a.month.strftime("%Y-%m"), created=result.created,
                                       rows=a.rows, missing_base=[r.person_name for r in result.missing_base]),
                 201 if result.created else 200)


@router.get("/units/{unit_id}/months/{month}", response_model=schemas.MonthOut,
            summary="月度应缴、实缴、欠费与滞纳金 A month's dues, payments, arrears and surcharge")
def month(unit_id: str, month: str, session: DbSession, principal: CurrentPrincipal,
          on: date | None = None) -> Response:
    unit = enrolment.get_unit(session, actor=principal, public_id=unit_id)
    return _json(service.month_out(session, unit=unit, month=contributions.parse_month(month),
                                   on=on or date.today()))


@router.post("/receipts", response_model=schemas.ReceiptsOut, summary="导入税务征收到账数据 Import receipts")
def receipts(data: schemas.ReceiptsIn, session: DbSession, principal: Staff) -> Response:
    rows = [contributions.ReceiptRow(row=i + 1, receipt_no=r.receipt_no, payer_code=r.payer_code.upper(),
                                     insurance_type=r.insurance_type, month=r.month, amount=r.amount,
                                     paid_on=r.paid_on) for i, r in enumerate(data.receipts)]
    result = service.import_receipts(session, actor=principal, rows=rows, batch=data.batch)
    return _json(schemas.ReceiptsOut(batch=result.batch, added=result.added, skipped=result.skipped,
                                     unmatched=[service.receipt_out(r) for r in result.unmatched]))


@router.get("/me/record", response_model=schemas.RecordOut, summary="个人权益记录 My record")
def my_record(session: DbSession, principal: Citizen) -> Response:
    return _json(service.record_out(service.record_of(session, actor=principal)))


@router.get("/me/statement.pdf", summary="个人权益记录单（PDF，带可核验二维码） My statement")
def my_statement(session: WriteSession, principal: Citizen) -> Response:
    statement = service.issue_statement(session, actor=principal)
    return Response(statement.pdf, media_type="application/pdf", headers={
        "Content-Disposition": 'attachment; filename="statement.pdf"', "X-Certificate": statement.identifier,
        "X-Certificate-Reused": "1" if statement.reused else "0"})


@router.post("/interest-runs", response_model=schemas.InterestOut, summary="个人账户年度计息 Credit a year's interest")
def interest(data: schemas.InterestIn, principal: Staff) -> Response:
    # The batch commits chunk by chunk in units of work of its own (resumable), not in the request's.
    summary = jobs.run_interest(actor=principal, province=data.province, year=data.year)
    return _json(schemas.InterestOut(province=summary.province, year=summary.year, status=summary.status,
                                     accounts=summary.accounts, interest=rules.yuan(summary.interest_fen),
                                     rate=summary.rate))


@router.post("/me/flexible/bases", response_model=schemas.FlexibleChoiceOut, status_code=201,
             summary="灵活就业人员缴费基数申报 Choose my monthly base as a flexible worker")
def flexible_base(data: schemas.FlexibleBaseIn, session: DbSession, principal: Citizen) -> Response:
    choice = service.choose_flexible_base(session, actor=principal, year=data.year, base=data.base,
                                          from_month=data.from_month)
    view = service.flexible_view(session, actor=principal)
    return _json(schemas.FlexibleChoiceOut(
        declaration=choice.declaration.public_id, year=choice.line.year, from_month=choice.line.from_month,
        base=rules.yuan(choice.line.base_fen), created=choice.created, assessed_months=choice.assessed_months,
        months=view.months if view else []), 201 if choice.created else 200)


@router.get("/me/flexible/months", response_model=list[schemas.FlexibleMonthOut],
            summary="灵活就业人员缴费月份 My flexible-worker months: due, paid, last day to pay")
def flexible_months(session: DbSession, principal: Citizen) -> Response:
    view = service.flexible_view(session, actor=principal)
    body = [m.model_dump(mode="json") for m in (view.months if view else [])]
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")


@router.post("/flexible-assessments", response_model=schemas.FlexibleAssessOut,
             summary="核定灵活就业人员某月缴费 Assess a month of every flexible worker of a province")
def flexible_assess(data: schemas.FlexibleAssessIn, session: DbSession, principal: Staff) -> Response:
    result = flexible_ledger.assess(session, actor=principal, province=data.province,
                             month=contributions.parse_month(data.month))
    return _json(schemas.FlexibleAssessOut(assessment=result.assessment.public_id, month=data.month,
                                           created=result.created, rows=result.assessment.rows),
                 201 if result.created else 200)


_HISTORY_RESPONSES: dict[int | str, dict[str, str]] = {
    422: {"description": "有不符合要求的行或合计与控制合计不一致，全部未导入；errors 逐项列出（工作表、行号、字段）"},
    413: {"description": "文件过大"},
}


@router.post("/history-imports", response_model=schemas.HistoryImportOut, status_code=201,
             responses=_HISTORY_RESPONSES, summary="历史数据入库 Import historical contribution data (XLSX)")
def history_import(session: DbSession, principal: Staff, file: Annotated[UploadFile, File()]) -> Response:
    with tabular.saved_upload(file.file, filename=file.filename) as path:
        if path.suffix != ".xlsx":
            raise tabular.file_error("renshe:import/file-type", "历史数据文件有多个工作表，只能导入 .xlsx 文件")
        result = service.import_history(session, actor=principal, path=path, filename=file.filename or "")
    out = service.history_out(result.batch)
    out.created = result.created
    return _json(out, 201 if result.created else 200)


@router.get("/history-imports", response_model=schemas.HistoryImportPage, summary="历史数据入库批次 Import list")
def history_imports(session: DbSession, principal: Staff, cursor: str | None = None,
                    limit: Annotated[int, Query(ge=1, le=200)] = 20) -> Response:
    rows = history.imports(session, actor=principal, after=paging.decode_cursor(cursor), limit=limit)
    return _json(schemas.HistoryImportPage(items=[service.history_out(b) for b in rows],
                                           next_cursor=paging.encode_cursor(rows[-1].id) if len(rows) == limit
                                           else None))


@router.get("/history-imports/{public_id}", response_model=schemas.HistoryImportOut,
            summary="历史数据入库对账报告 The reconciliation report of an import")
def history_report(public_id: str, session: DbSession, principal: Staff) -> Response:
    return _json(service.history_out(history.get_import(session, actor=principal, public_id=public_id)))


@router.get("/history-imports/{public_id}/report.xlsx", summary="对账报告（XLSX） The report as a workbook",
            response_class=Response, responses={200: {"description": "对账报告", "content": {XLSX: {}}}})
def history_report_xlsx(public_id: str, session: DbSession, principal: Staff) -> Response:
    batch = history.get_import(session, actor=principal, public_id=public_id)
    return Response(history.report_xlsx(batch), media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="history-{batch.public_id}.xlsx"'})
