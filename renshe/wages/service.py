"""Wage payment monitoring: projects, participating firms, real-name workers, attendance imports, the special
account and deposit, monthly pay sheets, and the supervisor's warnings (raised by `jobs.scan`).

Every broken rule is a domain error with a stable code `renshe:wages/<rule>`; nothing here commits."""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.core import audit, divisions, ids, paging, tabular, workdays
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import Conflict, DomainError, FieldError, Forbidden, NotFound, ValidationFailed
from renshe.core.events import record_event
from renshe.insurance import parameters
from renshe.registry import service as registry
from renshe.wages import policy, rules, schemas
from renshe.wages.models import (
    WageAccount,
    WageAttendance,
    WageDeposit,
    WageFirm,
    WagePayLine,
    WagePaySheet,
    WageProject,
    WageWarning,
    WageWorker,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
ATTENDANCE = tabular.Spec("wages.attendance", "实名制考勤", (
    tabular.Column("id_number", "公民身份号码", required=True, aliases=("身份证号", "身份证号码")),
    tabular.Column("month", "月份", required=True, aliases=("考勤月份",)),
    tabular.Column("days", "出勤天数", required=True, aliases=("天数",)),
))


today = workdays.today  # tests replace it to move the clock


def _fail(field: str, rule: str, message: str, status: int = 422) -> DomainError:
    code = f"renshe:wages/{rule}"
    return DomainError(code, message, status, "输入有误", [FieldError(field, code, message)])


def _require(actor: Principal, action: str, division_code: str) -> None:
    if not policy.can(actor, action, division_code=division_code):
        raise Forbidden("无权办理该项目的农民工工资支付监控业务", code="renshe:wages/permission")


def county(code: str, *, field: str = "division_code") -> str:
    """A county-level division code in force, or a 422 naming the field."""
    found = divisions.get(code)
    if found is None or not found.current or divisions.level_of(code) != "county" or divisions.is_placeholder(found):
        raise _fail(field, "county", "请填写现行的县级行政区划代码（6位）")
    return code


def division_name(code: str) -> str:
    return divisions.full_name(code) if divisions.get(code) else code


# ---------------------------------------------------------------- projects and firms


def create_project(session: Session, *, actor: Principal, data: schemas.ProjectIn) -> WageProject:
    county(data.division_code)
    _require(actor, "record", data.division_code)
    code = ids.parse_credit_code(data.contractor_credit_code, field="contractor_credit_code").code
    row = WageProject(name=data.name.strip(), division_code=data.division_code, contractor_credit_code=code,
                      contractor_name=data.contractor_name.strip(), start_date=data.start_date, pay_day=data.pay_day,
                      state=data.state, created_by=actor.subject)
    session.add(row)
    session.flush()
    session.add(WageFirm(project_id=row.id, credit_code=code, name=row.contractor_name, role="general"))
    session.flush()
    audit.record(session, actor=actor, action="wages.project.create", entity_type="wage_project",
                 entity_id=row.public_id, after={"name": row.name, "division_code": row.division_code,
                                                 "contractor": code, "pay_day": row.pay_day})
    record_event(session, "wages.project_registered", {"project": row.public_id, "division": row.division_code})
    return row


def get_project(session: Session, *, actor: Principal, public_id: str, action: str = "read") -> WageProject:
    row = session.scalar(select(WageProject).where(WageProject.public_id == public_id))
    if row is None or not policy.can(actor, "read", division_code=row.division_code):
        raise NotFound("该项目", code="renshe:wages/project-not-found")
    _require(actor, action, row.division_code)
    return row


def projects(session: Session, *, actor: Principal, cursor: str | None = None, limit: int = 50
             ) -> tuple[list[WageProject], str | None]:
    """Projects of the caller's jurisdiction, newest first, a page at a time."""
    if actor.kind not in ("staff", "system") or not actor.has("employer.read"):
        raise Forbidden("无权查看项目", code="renshe:wages/permission")
    limit = max(1, min(limit, 200))
    stmt = select(WageProject).where(
        WageProject.division_code.startswith(divisions.scope_prefix(actor.division_code))).order_by(
        WageProject.id.desc())
    after = paging.decode_cursor(cursor)
    if after:
        stmt = stmt.where(WageProject.id < after)
    rows = list(session.scalars(stmt.limit(limit + 1)))
    return rows[:limit], paging.encode_cursor(rows[limit - 1].id) if len(rows) > limit else None


def add_firm(session: Session, *, actor: Principal, project_id: str, data: schemas.FirmIn) -> WageFirm:
    project = get_project(session, actor=actor, public_id=project_id, action="record")
    code = ids.parse_credit_code(data.credit_code, field="credit_code").code
    if session.scalar(select(WageFirm.id).where(WageFirm.project_id == project.id, WageFirm.credit_code == code)):
        raise Conflict("该单位已是本项目的参建单位", code="renshe:wages/firm-duplicate")
    row = WageFirm(project_id=project.id, credit_code=code, name=data.name.strip(), role="sub")
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="wages.firm.add", entity_type="wage_project",
                 entity_id=project.public_id, after={"firm": code, "name": row.name})
    return row


def firm_out(row: WageFirm) -> schemas.FirmOut:
    return schemas.FirmOut(credit_code=row.credit_code, name=row.name, role=row.role,
                           role_label=schemas.FIRM_ROLES[row.role])


def worker_out(session: Session, row: WageWorker) -> schemas.WorkerOut:
    firm = session.get(WageFirm, row.firm_id)
    return schemas.WorkerOut(public_id=row.public_id, name=row.name, id_number_masked=row.id_number_masked,
                             firm_name=firm.name if firm else "", trade=row.trade, entered_on=row.entered_on)


def firms(session: Session, *, project: WageProject) -> list[WageFirm]:
    return list(session.scalars(select(WageFirm).where(WageFirm.project_id == project.id).order_by(WageFirm.id)))


# ---------------------------------------------------------------- workers and attendance


def _person(session: Session, id_number: str, field: str) -> registry.Person:
    person = registry.person_by_id_number(session, id_number=id_number, field=field)
    if person is None:
        raise _fail(field, "person-unknown", "人员基础库中没有该公民身份号码，请先办理人员登记")
    return person


def register_worker(session: Session, *, actor: Principal, project_id: str, data: schemas.WorkerIn) -> WageWorker:
    """Real-name registration of a worker from the person base, in one of the project's firms."""
    project = get_project(session, actor=actor, public_id=project_id, action="record")
    person = _person(session, data.id_number, "id_number")
    code = ids.parse_credit_code(data.firm_credit_code, field="firm_credit_code").code
    firm = session.scalar(select(WageFirm).where(WageFirm.project_id == project.id, WageFirm.credit_code == code))
    if firm is None:
        raise _fail("firm_credit_code", "firm-unknown", "该单位不是本项目的参建单位，请先登记参建单位")
    if session.scalar(select(WageWorker.id).where(WageWorker.project_id == project.id,
                                                  WageWorker.person_id == person.id)):
        raise Conflict("该工人已在本项目实名登记", code="renshe:wages/worker-duplicate")
    row = WageWorker(project_id=project.id, firm_id=firm.id, person_id=person.id, person_public_id=person.public_id,
                     name=person.name, id_number_masked=person.id_number_masked, trade=data.trade.strip(),
                     entered_on=data.entered_on)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="wages.worker.register", entity_type="wage_project",
                 entity_id=project.public_id, after={"worker": row.public_id, "firm": code})
    return row


def workers(session: Session, *, project: WageProject) -> list[tuple[WageWorker, str]]:
    return [(w, name) for w, name in session.execute(
        select(WageWorker, WageFirm.name).join(WageFirm, WageFirm.id == WageWorker.firm_id)
        .where(WageWorker.project_id == project.id).order_by(WageWorker.id))]


def _workers_by_person(session: Session, project: WageProject) -> dict[int, int]:
    return dict(session.execute(select(WageWorker.person_id, WageWorker.id)
                                .where(WageWorker.project_id == project.id)).all())


def _row_person(session: Session, id_number: str, number: int) -> tuple[int | None, tabular.RowError | None]:
    try:
        person = registry.person_by_id_number(session, id_number=id_number, field="id_number")
    except DomainError as exc:
        return None, tabular.RowError(number, "id_number", exc.code, exc.detail)
    if person is None:
        return None, tabular.RowError(number, "id_number", "renshe:wages/person-unknown",
                                      "人员基础库中没有该公民身份号码")
    return person.id, None


def import_attendance(session: Session, *, actor: Principal, project_id: str, path: Path,
                      filename: str | None = None) -> tabular.ImportReport:
    """Attendance from a CSV or XLSX file (公民身份号码, 月份 YYYY-MM, 出勤天数): the whole file applies or
    nothing does, and every bad row is named with its rule. A worker's month already on file is replaced."""
    project = get_project(session, actor=actor, public_id=project_id, action="record")
    by_person = _workers_by_person(session, project)
    report = tabular.ImportReport(kind=ATTENDANCE.kind)
    good: dict[tuple[int, date], int] = {}
    first_row: dict[tuple[int, date], int] = {}
    with tabular.open_rows(path, ATTENDANCE, filename=filename) as stream:
        report.ignored_columns = stream.ignored_columns
        for source in stream:
            report.rows_read += 1
            errors: list[tabular.RowError] = []
            person_id, error = _row_person(session, source.values["id_number"], source.number)
            if error is not None:
                errors.append(error)
            worker_id = by_person.get(person_id) if person_id is not None else None
            if person_id is not None and worker_id is None:
                errors.append(tabular.RowError(source.number, "id_number", "renshe:wages/worker-unknown",
                                               "该人员未在本项目实名登记"))
            month = rules.parse_month(source.values["month"])
            if month is None:
                errors.append(tabular.RowError(source.number, "month", "renshe:wages/month",
                                               "月份应写作YYYY-MM，如2026-11"))
            raw_days = source.values["days"].strip()
            days = int(raw_days) if raw_days.isascii() and raw_days.isdigit() and len(raw_days) <= 3 else -1
            most = month_calendar.monthrange(month.year, month.month)[1] if month else 31
            if not 0 <= days <= most:
                errors.append(tabular.RowError(source.number, "days", "renshe:wages/days",
                                               f"出勤天数应为0至{most}的整数"))
            if month is not None and month > rules.month_start(today()):
                errors.append(tabular.RowError(source.number, "month", "renshe:wages/future-month",
                                               "不能导入将来月份的考勤"))
            if worker_id is not None and month is not None and (worker_id, month) in first_row:
                errors.append(tabular.RowError(source.number, "id_number", "renshe:wages/duplicate-row",
                                               f"与第{first_row[(worker_id, month)]}行重复（同一工人同一月份）"))
            if errors or worker_id is None or month is None:
                report.reject(errors)
                continue
            first_row[(worker_id, month)] = source.number
            good[(worker_id, month)] = days
    if not report.ok:
        raise tabular.ImportRejected(report)
    if not good:
        raise tabular.file_error("renshe:import/empty", "文件中没有考勤数据")
    existing = {(row.worker_id, row.month): row for row in session.scalars(select(WageAttendance).where(
        WageAttendance.project_id == project.id, WageAttendance.month.in_({m for _, m in good})))}
    for (worker_id, month), days in good.items():
        found = existing.get((worker_id, month))
        if found is not None:
            found.days = days
        else:
            session.add(WageAttendance(project_id=project.id, worker_id=worker_id, month=month, days=days))
    session.flush()
    report.imported = len(good)
    audit.record(session, actor=actor, action="wages.attendance.import", entity_type="wage_project",
                 entity_id=project.public_id, after={"rows": report.imported, "file": filename or path.name})
    return report


# ---------------------------------------------------------------- special account, deposit, pay sheets


def open_account(session: Session, *, actor: Principal, project_id: str, data: schemas.AccountIn) -> WageAccount:
    project = get_project(session, actor=actor, public_id=project_id, action="record")
    row = session.scalar(select(WageAccount).where(WageAccount.project_id == project.id))
    before = {"bank": row.bank, "opened_on": row.opened_on.isoformat()} if row else None
    if row is None:
        row = WageAccount(project_id=project.id, bank=data.bank.strip(), opened_on=data.opened_on)
        session.add(row)
    else:
        row.bank, row.opened_on = data.bank.strip(), data.opened_on
    session.flush()
    audit.record(session, actor=actor, action="wages.account.open", entity_type="wage_project",
                 entity_id=project.public_id, before=before,
                 after={"bank": row.bank, "opened_on": row.opened_on.isoformat()})
    return row


def add_deposit(session: Session, *, actor: Principal, project_id: str, data: schemas.DepositIn) -> WageDeposit:
    project = get_project(session, actor=actor, public_id=project_id, action="record")
    row = WageDeposit(project_id=project.id, amount_fen=data.amount_fen, paid_on=data.paid_on)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="wages.deposit.add", entity_type="wage_project",
                 entity_id=project.public_id, after={"amount_fen": row.amount_fen, "paid_on": row.paid_on.isoformat()})
    return row


def account_of(session: Session, *, project: WageProject) -> WageAccount | None:
    return session.scalar(select(WageAccount).where(WageAccount.project_id == project.id))


def deposits_of(session: Session, *, project: WageProject) -> list[WageDeposit]:
    return list(session.scalars(select(WageDeposit).where(WageDeposit.project_id == project.id)
                                .order_by(WageDeposit.paid_on)))


def record_pay_sheet(session: Session, *, actor: Principal, project_id: str, data: schemas.PaySheetIn
                     ) -> WagePaySheet:
    """A month's pay sheet with one line per registered worker; refused whole with every bad line named."""
    project = get_project(session, actor=actor, public_id=project_id, action="record")
    month = rules.parse_month(data.month)
    if month is None:
        raise _fail("month", "month", "工资所属月份应写作YYYY-MM，如2026-11")
    if session.scalar(select(WagePaySheet.id).where(WagePaySheet.project_id == project.id,
                                                    WagePaySheet.month == month)):
        raise Conflict(f"本项目{month:%Y年%m月}的工资表已登记", code="renshe:wages/sheet-duplicate")
    by_person = _workers_by_person(session, project)
    errors: list[FieldError] = []
    lines: dict[int, int] = {}
    for index, line in enumerate(data.lines):
        field = f"lines[{index}].id_number"
        try:
            person = registry.person_by_id_number(session, id_number=line.id_number, field=field)
        except DomainError as exc:
            errors.extend(exc.errors or [FieldError(field, exc.code, exc.detail)])
            continue
        worker_id = by_person.get(person.id) if person is not None else None
        if worker_id is None:
            errors.append(FieldError(field, "renshe:wages/worker-unknown",
                                     f"第{index + 1}行：该人员未在本项目实名登记"))
        elif worker_id in lines:
            errors.append(FieldError(field, "renshe:wages/duplicate-line", f"第{index + 1}行：同一工人重复列入工资表"))
        else:
            lines[worker_id] = line.amount_fen
    if errors:
        raise ValidationFailed(errors, "工资表中有不符合要求的行，整张工资表未登记")
    row = WagePaySheet(project_id=project.id, month=month, due_on=rules.due_date(month, project.pay_day),
                       paid_on=data.paid_on, via_special_account=data.via_special_account, created_by=actor.subject)
    session.add(row)
    session.flush()
    session.add_all(WagePayLine(sheet_id=row.id, worker_id=w, amount_fen=amount) for w, amount in lines.items())
    session.flush()
    audit.record(session, actor=actor, action="wages.sheet.record", entity_type="wage_project",
                 entity_id=project.public_id, after={"month": f"{month:%Y-%m}", "lines": len(lines),
                                                     "total_fen": sum(lines.values()),
                                                     "via_special_account": data.via_special_account})
    return row


@dataclass(frozen=True)
class SheetTotals:
    sheet: WagePaySheet
    workers: int
    total_fen: int


def sheets_of(session: Session, *, project: WageProject) -> list[SheetTotals]:
    found = session.execute(
        select(WagePaySheet, func.count(WagePayLine.id), func.coalesce(func.sum(WagePayLine.amount_fen), 0))
        .join(WagePayLine, WagePayLine.sheet_id == WagePaySheet.id)
        .where(WagePaySheet.project_id == project.id).group_by(WagePaySheet.id).order_by(WagePaySheet.month.desc()))
    return [SheetTotals(sheet, int(n), int(total)) for sheet, n, total in found]


def sheet_out(totals: SheetTotals) -> schemas.PaySheetOut:
    s = totals.sheet
    return schemas.PaySheetOut(public_id=s.public_id, month=f"{s.month:%Y-%m}", due_on=s.due_on, paid_on=s.paid_on,
                               via_special_account=s.via_special_account,
                               via_special_account_label="是" if s.via_special_account else "否",
                               workers=totals.workers, total=rules.yuan(totals.total_fen),
                               average=rules.yuan(totals.total_fen // max(totals.workers, 1)))


def attendance_months(session: Session, *, project: WageProject) -> list[tuple[date, int, int]]:
    """Each month with attendance: (month, workers attending, days in all)."""
    return [(m, int(n), int(d)) for m, n, d in session.execute(
        select(WageAttendance.month, func.count(WageAttendance.id), func.sum(WageAttendance.days))
        .where(WageAttendance.project_id == project.id, WageAttendance.days > 0)
        .group_by(WageAttendance.month).order_by(WageAttendance.month.desc()))]


def minimum_wage(session: Session, *, project: WageProject, on: date) -> int | None:
    """The monthly minimum wage (fen) in force for the project's province on `on` (national default else)."""
    found = parameters.find(session, province=parameters.province_of(project.division_code), key="minimum_wage",
                            on=on)
    return int(found.decimal * 100) if found is not None else None


def project_out(row: WageProject) -> schemas.ProjectOut:
    return schemas.project_out(row, division_name(row.division_code))


# ---------------------------------------------------------------- warnings


def warnings(session: Session, *, actor: Principal, state: str | None = "open", project: WageProject | None = None,
             cursor: str | None = None, limit: int = 50) -> tuple[list[tuple[WageWarning, WageProject]], str | None]:
    """The county supervisor's warnings, red first then newest, scoped by the jurisdiction in SQL."""
    if actor.kind not in ("staff", "system") or not actor.has("employer.read"):
        raise Forbidden("无权查看工资支付预警", code="renshe:wages/permission")
    limit = max(1, min(limit, 200))
    stmt = (select(WageWarning, WageProject).join(WageProject, WageProject.id == WageWarning.project_id)
            .where(WageWarning.division_code.startswith(divisions.scope_prefix(actor.division_code)))
            .order_by(WageWarning.id.desc()))
    after = paging.decode_cursor(cursor)
    if after:
        stmt = stmt.where(WageWarning.id < after)
    if state:
        stmt = stmt.where(WageWarning.state == state)
    if project is not None:
        stmt = stmt.where(WageWarning.project_id == project.id)
    rows = [(w, p) for w, p in session.execute(stmt.limit(limit + 1))]
    return rows[:limit], paging.encode_cursor(rows[limit - 1][0].id) if len(rows) > limit else None


def close_warning(session: Session, *, actor: Principal, public_id: str, outcome: str
                  ) -> tuple[WageWarning, WageProject]:
    found = session.execute(select(WageWarning, WageProject).join(WageProject, WageProject.id == WageWarning.project_id)
                            .where(WageWarning.public_id == public_id)).first()
    if found is None or not policy.can(actor, "read", division_code=found[0].division_code):
        raise NotFound("该预警", code="renshe:wages/warning-not-found")
    row, project = found
    _require(actor, "supervise", row.division_code)
    if row.state != "open":
        raise Conflict("该预警已办结", code="renshe:wages/warning-closed")
    text = outcome.strip()
    if not text:
        raise _fail("outcome", "outcome", "请填写处置结果")
    row.state, row.outcome, row.closed_by, row.closed_at = "closed", text[:500], actor.subject, utcnow()
    session.flush()
    audit.record(session, actor=actor, action="wages.warning.close", entity_type="wage_warning",
                 entity_id=row.public_id, before={"state": "open"}, after={"state": "closed", "outcome": row.outcome})
    record_event(session, "wages.warning_closed", {"warning": row.public_id, "rule": row.rule})
    return row, project


def warning_out(pair: tuple[WageWarning, WageProject]) -> schemas.WarningOut:
    rules.catalog()  # the rule labels are registered with the catalog
    return schemas.warning_out(*pair)
