"""Pages of the social insurance ledger: parameters (参数管理), the employer's insurance (参保登记、增减员、
基数申报、缴费情况), the clerk's workbench (核定、征收对账、记账、计息) and the citizen's 个人权益记录."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from renshe.core.auth import Principal
from renshe.core.errors import DomainError, FieldError, ValidationFailed
from renshe.core.http import DbSession, ReadSession, WriteSession, require_kind, savepoint, templates
from renshe.insurance import (
    accounts,
    contributions,
    enrolment,
    flexible,
    history_pages,
    jobs,
    parameters,
    rules,
    schemas,
    service,
)
from renshe.insurance.models import NATIONAL, InsuredUnit

router = APIRouter(include_in_schema=False)
router.include_router(history_pages.router)
Staff = Annotated[Principal, require_kind("staff")]
MAX_UPLOAD = 5 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHANGHAI = ZoneInfo("Asia/Shanghai")


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


# ---------------------------------------------------------------- employer: 参保登记、增减员、申报、缴费情况

Employer = Annotated[Principal, require_kind("employer")]
Citizen = Annotated[Principal, require_kind("citizen")]


def _today() -> date:
    return datetime.now(SHANGHAI).date()


def _unit_view(session: Session, unit: InsuredUnit, *, month: date | None) -> dict[str, object]:
    months = [service.month_out(session, unit=unit, month=m, on=_today())
              for m in contributions.assessed_months(session, unit=unit)]
    shown = month or (contributions.parse_month(months[-1].month) if months else None)
    return {
        "unit": service.unit_out(unit),
        "relations": [service.relation_out(r) for r in enrolment.relations_of_unit(session, unit=unit)],
        "declarations": contributions.declarations_of(session, unit=unit),
        "months": months,
        "month": service.month_out(session, unit=unit, month=shown, on=_today()) if shown else None,
    }


def _employer_page(request: Request, session: Session, principal: Principal, *, unit_id: str = "",
                   month: str = "", errors: list[FieldError] | None = None, detail: str = "", saved: str = "",
                   declared: schemas.DeclarationOut | None = None, status_code: int = 200) -> Response:
    employer = enrolment.employer_for(session, actor=principal)
    units = enrolment.units_of(session, employer=employer)
    chosen = next((u for u in units if u.public_id == unit_id), units[0] if units else None)
    view = _unit_view(session, chosen, month=contributions.parse_month(month) if month else None) if chosen else {}
    registered = {u.insurance_type for u in units}
    return templates.render(
        request, "insurance_employer.html", status_code=status_code, page_title="单位社会保险",
        employer_name=employer.name, units=[service.unit_out(u) for u in units], view=view,
        types=[t for t in enrolment.insurance_types().values()
               if t.code not in registered and t.code in {"110", "210", "310", "410", "510"}],
        enrol_reasons=enrolment.enrol_reasons(), end_reasons=enrolment.end_reasons(),
        codes_source=enrolment.codes_source(), errors=errors or [], detail=detail, saved=saved, declared=declared,
        today=_today().isoformat(), year=_today().year)


def _form_error(exc: DomainError) -> tuple[list[FieldError], str]:
    if exc.status == 403:
        raise exc
    return exc.errors or [FieldError("form", exc.code, exc.detail)], exc.detail


@router.get("/employer/insurance")
def employer_page(request: Request, session: DbSession, principal: Employer,
                  unit: Annotated[str, Query(max_length=32)] = "",
                  month: Annotated[str, Query(max_length=7)] = "") -> Response:
    return _employer_page(request, session, principal, unit_id=unit, month=month)


@router.post("/employer/insurance/units")
def employer_register_unit(request: Request, session: DbSession, principal: Employer,
                           insurance_type: Annotated[str, Form(max_length=3)],
                           registered_on: Annotated[date, Form()]) -> Response:
    try:
        with savepoint(session):
            employer = enrolment.employer_for(session, actor=principal)
            unit = enrolment.register_unit(session, actor=principal, employer=employer, insurance_type=insurance_type,
                                           registered_on=registered_on)
    except DomainError as exc:
        errors, detail = _form_error(exc)
        return _employer_page(request, session, principal, errors=errors, detail=detail, status_code=422)
    return RedirectResponse(f"/employer/insurance?unit={unit.public_id}", status_code=303)


@router.post("/employer/insurance/{unit_id}/enrol")
def employer_enrol(request: Request, unit_id: str, session: DbSession, principal: Employer,
                   id_number: Annotated[str, Form(max_length=18)], start_date: Annotated[date, Form()],
                   reason: Annotated[str, Form(max_length=4)] = "11") -> Response:
    try:
        with savepoint(session):
            unit = enrolment.get_unit(session, actor=principal, public_id=unit_id, action="relation.write")
            enrolment.enrol_employee(session, actor=principal, unit=unit, id_number=id_number, start_date=start_date,
                                     reason=reason)
    except DomainError as exc:
        errors, detail = _form_error(exc)
        return _employer_page(request, session, principal, unit_id=unit_id, errors=errors, detail=detail,
                              status_code=422)
    return RedirectResponse(f"/employer/insurance?unit={unit_id}", status_code=303)


@router.post("/employer/insurance/{unit_id}/relations/{relation_id}/end")
def employer_end(request: Request, unit_id: str, relation_id: str, session: DbSession, principal: Employer,
                 end_date: Annotated[date, Form()], reason: Annotated[str, Form(max_length=4)]) -> Response:
    try:
        with savepoint(session):
            relation = enrolment.get_relation(session, public_id=relation_id)
            enrolment.end_relation(session, actor=principal, relation=relation, end_date=end_date, reason=reason)
    except DomainError as exc:
        errors, detail = _form_error(exc)
        return _employer_page(request, session, principal, unit_id=unit_id, errors=errors, detail=detail,
                              status_code=422)
    return RedirectResponse(f"/employer/insurance?unit={unit_id}", status_code=303)


@router.post("/employer/insurance/{unit_id}/declarations")
def employer_declare(request: Request, unit_id: str, session: DbSession, principal: Employer,
                     year: Annotated[int, Form()], file: Annotated[UploadFile, File()],
                     kind: Annotated[str, Form(max_length=16)] = "annual") -> Response:
    content = file.file.read(MAX_UPLOAD + 1)
    try:
        with savepoint(session):
            if len(content) > MAX_UPLOAD:
                raise ValidationFailed([FieldError("file", "renshe:insurance/upload-size", "文件不能超过5MB")])
            unit = enrolment.get_unit(session, actor=principal, public_id=unit_id, action="declaration.submit")
            result = contributions.declare(session, actor=principal, unit=unit, year=year,
                                           rows=contributions.read_declaration_xlsx(content),
                                           key=contributions.file_key(content), kind=kind)
    except DomainError as exc:
        errors, detail = _form_error(exc)
        return _employer_page(request, session, principal, unit_id=unit_id, errors=errors, detail=detail,
                              status_code=422)
    out = service.declaration_out(session, result)
    saved = (f"已申报{out.rows}人的{year}年缴费基数" if result.created
             else "该文件此前已经申报过，本次未重复申报")
    return _employer_page(request, session, principal, unit_id=unit_id, saved=saved, declared=out)


# ---------------------------------------------------------------- staff: 核定、征收对账、记账、计息


def _staff_page(request: Request, session: Session, principal: Principal, *, credit_code: str = "",
                unit_id: str = "", month: str = "", errors: list[FieldError] | None = None, detail: str = "",
                saved: str = "", imported: schemas.ReceiptsOut | None = None, status_code: int = 200) -> Response:
    units: list[InsuredUnit] = []
    if credit_code:
        try:
            employer = enrolment.employer_for(session, actor=principal, credit_code=credit_code)
            units = enrolment.units_of(session, employer=employer)
        except DomainError as exc:
            more, detail = _form_error(exc)
            errors = (errors or []) + more
    chosen = next((u for u in units if u.public_id == unit_id), units[0] if units else None)
    if chosen is None and unit_id:
        chosen = enrolment.get_unit(session, actor=principal, public_id=unit_id)
    view = _unit_view(session, chosen, month=contributions.parse_month(month) if month else None) if chosen else {}
    registered = {u.insurance_type for u in units}
    return templates.render(
        request, "insurance_staff.html", status_code=status_code, page_title="社会保险经办",
        types=[t for t in enrolment.insurance_types().values()
               if t.code not in registered and t.code in {"110", "210", "310", "410", "510"}],
        enrol_reasons=enrolment.enrol_reasons(), end_reasons=enrolment.end_reasons(), today=_today().isoformat(),
        credit_code=credit_code or (chosen.credit_code if chosen else ""),
        units=[service.unit_out(u) for u in units], view=view, errors=errors or [], detail=detail, saved=saved,
        imported=imported, unmatched=[service.receipt_out(r) for r in contributions.unmatched_receipts(session)],
        runs=jobs.interest_runs(session), province=parameters.province_of(principal.division_code)
        if principal.division_code != NATIONAL else "", year=_today().year - 1, yuan=rules.yuan)


@router.get("/staff/insurance")
def staff_page(request: Request, session: DbSession, principal: Staff,
               credit_code: Annotated[str, Query(max_length=18)] = "",
               unit: Annotated[str, Query(max_length=32)] = "",
               month: Annotated[str, Query(max_length=7)] = "") -> Response:
    return _staff_page(request, session, principal, credit_code=credit_code, unit_id=unit, month=month)


@router.post("/staff/insurance/units")
def staff_register_unit(request: Request, session: DbSession, principal: Staff,
                        credit_code: Annotated[str, Form(max_length=18)],
                        insurance_type: Annotated[str, Form(max_length=3)],
                        registered_on: Annotated[date, Form()]) -> Response:
    try:
        with savepoint(session):
            employer = enrolment.employer_for(session, actor=principal, credit_code=credit_code)
            unit = enrolment.register_unit(session, actor=principal, employer=employer, insurance_type=insurance_type,
                                           registered_on=registered_on)
    except DomainError as exc:
        errors, detail = _form_error(exc)
        return _staff_page(request, session, principal, credit_code=credit_code, errors=errors, detail=detail,
                           status_code=422)
    return RedirectResponse(f"/staff/insurance?credit_code={credit_code}&unit={unit.public_id}", status_code=303)


@router.post("/staff/insurance/{unit_id}/enrol")
def staff_enrol(request: Request, unit_id: str, session: DbSession, principal: Staff,
                id_number: Annotated[str, Form(max_length=18)], start_date: Annotated[date, Form()],
                reason: Annotated[str, Form(max_length=4)] = "11") -> Response:
    try:
        with savepoint(session):
            unit = enrolment.get_unit(session, actor=principal, public_id=unit_id, action="relation.write")
            enrolment.enrol_employee(session, actor=principal, unit=unit, id_number=id_number, start_date=start_date,
                                     reason=reason)
    except DomainError as exc:
        errors, detail = _form_error(exc)
        return _staff_page(request, session, principal, unit_id=unit_id, errors=errors, detail=detail,
                           status_code=422)
    return _staff_page(request, session, principal, unit_id=unit_id, saved="增员已办理，已通知参保人")


@router.post("/staff/insurance/{unit_id}/relations/{relation_id}/end")
def staff_end(request: Request, unit_id: str, relation_id: str, session: DbSession, principal: Staff,
              end_date: Annotated[date, Form()], reason: Annotated[str, Form(max_length=4)]) -> Response:
    try:
        with savepoint(session):
            relation = enrolment.get_relation(session, public_id=relation_id)
            enrolment.end_relation(session, actor=principal, relation=relation, end_date=end_date, reason=reason)
    except DomainError as exc:
        errors, detail = _form_error(exc)
        return _staff_page(request, session, principal, unit_id=unit_id, errors=errors, detail=detail,
                           status_code=422)
    return _staff_page(request, session, principal, unit_id=unit_id, saved="减员已办理，已通知参保人")


@router.post("/staff/insurance/{unit_id}/assess")
def staff_assess(request: Request, unit_id: str, session: DbSession, principal: Staff,
                 month: Annotated[str, Form(max_length=7)]) -> Response:
    try:
        with savepoint(session):
            unit = enrolment.get_unit(session, actor=principal, public_id=unit_id, action="assessment.run")
            result = contributions.assess(session, actor=principal, unit=unit, month=contributions.parse_month(month))
    except DomainError as exc:
        errors, detail = _form_error(exc)
        return _staff_page(request, session, principal, unit_id=unit_id, errors=errors, detail=detail,
                           status_code=422)
    missing = "、".join(r.person_name for r in result.missing_base)
    saved = (f"已核定{month}，写入{result.assessment.rows}条应缴记录" if result.created
             else f"{month}已按最新申报核定过，本次没有变化")
    if missing:
        saved += f"；以下人员尚未申报{month[:4]}年缴费基数，未核定：{missing}"
    return _staff_page(request, session, principal, unit_id=unit_id, month=month, saved=saved)


@router.post("/staff/insurance/{unit_id}/post")
def staff_post(request: Request, unit_id: str, session: DbSession, principal: Staff,
               month: Annotated[str, Form(max_length=7)]) -> Response:
    try:
        with savepoint(session):
            unit = enrolment.get_unit(session, actor=principal, public_id=unit_id, action="assessment.run")
            posted = accounts.post_month(session, actor=principal, unit=unit, month=contributions.parse_month(month),
                                         on=_today())
    except DomainError as exc:
        errors, detail = _form_error(exc)
        return _staff_page(request, session, principal, unit_id=unit_id, month=month, errors=errors, detail=detail,
                           status_code=422)
    return _staff_page(request, session, principal, unit_id=unit_id, month=month,
                       saved=f"已记入个人账户{posted}条" if posted else "该月已全部记账，本次没有新记账")


@router.post("/staff/insurance/receipts")
def staff_receipts(request: Request, session: DbSession, principal: Staff,
                   file: Annotated[UploadFile, File()]) -> Response:
    content = file.file.read(MAX_UPLOAD + 1)
    try:
        with savepoint(session):
            if len(content) > MAX_UPLOAD:
                raise ValidationFailed([FieldError("file", "renshe:insurance/upload-size", "文件不能超过5MB")])
            result = service.import_receipts(session, actor=principal, rows=contributions.read_receipts_xlsx(content),
                                             batch=contributions.file_key(content)[:64])
    except DomainError as exc:
        errors, detail = _form_error(exc)
        return _staff_page(request, session, principal, errors=errors, detail=detail, status_code=422)
    out = schemas.ReceiptsOut(batch=result.batch, added=result.added, skipped=result.skipped,
                              unmatched=[service.receipt_out(r) for r in result.unmatched])
    return _staff_page(request, session, principal, imported=out,
                       saved=f"已导入{result.added}条到账记录，{result.skipped}条此前已导入")


@router.post("/staff/insurance/interest")
def staff_interest(request: Request, session: ReadSession, principal: Staff,
                   province: Annotated[str, Form(max_length=6)], year: Annotated[int, Form()]) -> Response:
    # The batch commits chunk by chunk in units of work of its own (resumable); the request only reads, so it
    # does not hold the writer's turn the batch's chunks wait for.
    try:
        summary = jobs.run_interest(actor=principal, province=province, year=year)
    except DomainError as exc:
        errors, detail = _form_error(exc)
        return _staff_page(request, session, principal, errors=errors, detail=detail, status_code=422)
    return _staff_page(request, session, principal, saved=(
        f"{summary.year}年计息{'已完成' if summary.status == 'done' else '进行中'}：{summary.accounts}个账户，"
        f"利息合计{rules.yuan(summary.interest_fen)}元，记账利率{summary.rate}"))


# ---------------------------------------------------------------- citizen: 个人权益记录、灵活就业参保


def _citizen_page(request: Request, session: Session, principal: Principal, *,
                  errors: list[FieldError] | None = None, detail: str = "", saved: str = "",
                  values: dict[str, str] | None = None, status_code: int = 200) -> Response:
    record = service.record_of(session, actor=principal)
    open_pension = any(r.insurance_type == "110" and r.end_date is None for r in record.relations)
    return templates.render(
        request, "insurance_citizen.html", status_code=status_code, page_title="个人权益记录",
        record=service.record_out(record), relations=[service.relation_out(r) for r in record.relations],
        can_enrol=not open_pension, errors=errors or [], detail=detail, saved=saved, today=_today().isoformat(),
        flexible=service.flexible_view(session, actor=principal), values=values or {},
        from_hall=request.query_params.get("from") == "hall")


@router.get("/citizen/insurance")
def citizen_page(request: Request, session: DbSession, principal: Citizen) -> Response:
    return _citizen_page(request, session, principal)


@router.get("/citizen/insurance/statement.pdf")
def citizen_statement(request: Request, session: WriteSession, principal: Citizen) -> Response:
    try:
        statement = service.issue_statement(session, actor=principal)
    except DomainError as exc:
        errors, detail = _form_error(exc)
        return _citizen_page(request, session, principal, errors=errors, detail=detail, status_code=422)
    return Response(statement.pdf, media_type="application/pdf", headers={
        "Content-Disposition": 'attachment; filename="statement.pdf"', "X-Certificate": statement.identifier,
        "X-Certificate-Reused": "1" if statement.reused else "0"})


@router.post("/citizen/insurance/flexible")
def citizen_flexible(request: Request, session: DbSession, principal: Citizen,
                     start_date: Annotated[date, Form()]) -> Response:
    try:
        with savepoint(session):
            enrolment.enrol_flexible(session, actor=principal, start_date=start_date)
    except DomainError as exc:
        errors, detail = _form_error(exc)
        return _citizen_page(request, session, principal, errors=errors, detail=detail, status_code=422)
    return RedirectResponse("/citizen/insurance", status_code=303)


@router.post("/citizen/insurance/flexible/base")
def citizen_flexible_base(request: Request, session: DbSession, principal: Citizen,
                          year: Annotated[int, Form()], base: Annotated[str, Form(max_length=20)],
                          from_month: Annotated[int, Form()] = 1) -> Response:
    values = {"year": str(year), "base": base, "from_month": str(from_month)}
    try:
        with savepoint(session):
            choice = service.choose_flexible_base(session, actor=principal, year=year, base=base, from_month=from_month)
    except DomainError as exc:
        errors, detail = _form_error(exc)
        return _citizen_page(request, session, principal, errors=errors, detail=detail, values=values,
                             status_code=422)
    saved = (f"已申报{year}年{from_month}月起的月缴费基数{rules.yuan(choice.line.base_fen)}元，"
             f"已核定{choice.assessed_months}个月的应缴费额，请通过税务部门缴费渠道缴纳" if choice.created
             else "该缴费基数此前已经申报，本次未重复申报")
    return _citizen_page(request, session, principal, saved=saved)


@router.post("/staff/insurance/flexible/assess")
def staff_flexible_assess(request: Request, session: DbSession, principal: Staff,
                          province: Annotated[str, Form(max_length=6)], month: Annotated[str, Form(max_length=7)]
                          ) -> Response:
    try:
        with savepoint(session):
            result = flexible.assess(session, actor=principal, province=province,
                                     month=contributions.parse_month(month))
    except DomainError as exc:
        errors, detail = _form_error(exc)
        return _staff_page(request, session, principal, errors=errors, detail=detail, status_code=422)
    return _staff_page(request, session, principal, saved=(
        f"已核定灵活就业人员{month}的缴费，写入{result.assessment.rows}条应缴记录" if result.created
        else f"灵活就业人员{month}已按最新申报核定过，本次没有变化"))
