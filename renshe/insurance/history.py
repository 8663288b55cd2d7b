"""Historical data import (历史数据入库) and deemed contribution periods (视同缴费年限).

A workbook from the system that kept the records before this ledger, one sheet per kind of row:
- 缴费记录: contribution months per person (month, base, individual part, employer part, unit);
- 账户余额: the individual account balance at a year end (储存额, interest included): the opening entry;
- 视同缴费: deemed periods before the individual account system (start and end month, the document or
  approval number that recognised them); they must end before `account_system_start` (国发〔1997〕26号);
- 控制合计: the file's declared control totals (人数, 缴费月数, 缴费基数合计, 个人缴费合计, 单位缴费合计,
  账户余额合计, 视同缴费月数).

The file is refused whole, every bad row named (sheet, row, field, rule), when a row breaks a rule or a
computed total differs from its control total. Rows that conflict with what the ledger already holds (a
month this ledger or an earlier file already has, a second opening balance, a balance dated after this
ledger's own entries, an overlapping deemed period) are not posted and are listed in the reconciliation
report. The same file twice (by its SHA-256) posts once. History months count as paid months of the record;
their account part is inside the opening balance, so it is never added to the account twice.
"""

from __future__ import annotations

import hashlib
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from renshe.core import audit, crypto, ids, tabular
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import FieldError, Forbidden, NotFound, ValidationFailed
from renshe.core.events import record_event
from renshe.core.settings import get_settings
from renshe.insurance import parameters, rules
from renshe.insurance.models import AccountEntry, DeemedPeriod, Due, HistoryImport, HistoryMonth
from renshe.registry import service as registry

PENSION = "110"
MONTHS, BALANCES, DEEMED, CONTROL = "缴费记录", "账户余额", "视同缴费", "控制合计"
_ID = tabular.Column("id_number", "身份证号码", True, ("公民身份号码",))
_NAME = tabular.Column("name", "姓名")
SPECS = {
    MONTHS: tabular.Spec("insurance-history-months", MONTHS, (
        _ID, _NAME, tabular.Column("month", "费款所属期", True, ("缴费年月",)),
        tabular.Column("base", "缴费基数", True, ("缴费基数（元）",)),
        tabular.Column("individual", "个人缴费", True, ("个人缴费（元）", "记入个人账户（元）")),
        tabular.Column("employer", "单位缴费", False, ("单位缴费（元）",)),
        tabular.Column("unit_name", "单位名称"))),
    BALANCES: tabular.Spec("insurance-history-balances", BALANCES, (
        _ID, _NAME, tabular.Column("as_of", "截至日期", True),
        tabular.Column("balance", "个人账户储存额", True, ("个人账户储存额（元）",)))),
    DEEMED: tabular.Spec("insurance-history-deemed", DEEMED, (
        _ID, _NAME, tabular.Column("start", "起始年月", True), tabular.Column("end", "终止年月", True),
        tabular.Column("document", "认定依据", True, ("批准文号", "认定文件")))),
    CONTROL: tabular.Spec("insurance-history-control", CONTROL, (
        tabular.Column("item", "项目", True), tabular.Column("value", "数值", True))),
}
TOTALS = {"persons": "人数", "months": "缴费月数", "base": "缴费基数合计", "individual": "个人缴费合计",
          "employer": "单位缴费合计", "balance": "账户余额合计", "deemed_months": "视同缴费月数"}
MONEY = {"base", "individual", "employer", "balance"}
NEEDS = {MONTHS: ("months", "base", "individual", "employer"), BALANCES: ("balance",), DEEMED: ("deemed_months",)}
MAX_CONFLICTS_LISTED = 1000


def may_import(actor: Principal) -> bool:
    return actor.kind == "system" or (actor.kind == "staff" and actor.has("import.run"))


def _month(text: str) -> date:
    year, month = (int(p) for p in text.strip().replace("/", "-").split("-")[:2])
    return date(year, month, 1)


def _fen(text: str) -> int:
    return rules.fen_of(Decimal(text.strip().replace(",", "")))


def months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


@dataclass
class _Rows:
    months: list[dict[str, Any]]
    balances: list[dict[str, Any]]
    deemed: list[dict[str, Any]]
    control: dict[str, tuple[int, int]]  # total key → (row, value in fen or count)


def _read(session: Session, path: Path, report: tabular.ImportReport, *, province: str, today: date) -> _Rows:
    names = tabular.sheet_names(path)
    if CONTROL not in names or not {MONTHS, BALANCES, DEEMED} & set(names):
        raise tabular.file_error("renshe:insurance/history-sheets",
                                 f"工作簿应有“{CONTROL}”工作表，以及“{MONTHS}”“{BALANCES}”“{DEEMED}”中的至少一个")
    people: dict[str, Any] = {}
    cutoff = _month(str(parameters.lookup(session, province=province, key="account_system_start",
                                          on=today).value))
    rows = _Rows([], [], [], {})
    seen: dict[tuple[str, Any], int] = {}
    for sheet in (MONTHS, BALANCES, DEEMED, CONTROL):
        if sheet not in names:
            continue
        with tabular.open_rows(path, SPECS[sheet], sheet=sheet) as stream:
            for source in stream:
                problems: list[tabular.RowError] = []
                v = source.values

                def bad(name: str, code: str, message: str, problems: list[tabular.RowError] = problems,
                        number: int = source.number, sheet: str = sheet) -> None:
                    problems.append(tabular.RowError(number, f"{sheet}.{name}", f"renshe:insurance/{code}",
                                                     f"{sheet}第{number}行：{message}"))

                if sheet == CONTROL:
                    key = next((k for k, label in TOTALS.items() if label == v["item"]), None)
                    if key is None:
                        bad("item", "control-item", f"项目应为：{'、'.join(TOTALS.values())}")
                    else:
                        try:
                            rows.control[key] = (source.number, _fen(v["value"]) if key in MONEY
                                                 else int(v["value"]))
                        except (ValueError, InvalidOperation):
                            bad("value", "control-value", "数值应为整数或金额（元，最多两位小数）")
                    report.reject(problems)
                    continue
                person = None
                try:
                    number = ids.parse_resident_id(v["id_number"]).number
                    if number not in people:
                        people[number] = registry.find_by_id_number(session, id_number=number)
                    person = people[number]
                    if person is None:
                        bad("id_number", "history-person", "该人员尚未在人员基础库登记")
                    elif v.get("name") and v["name"] != person.name:
                        bad("name", "history-name", "姓名与人员基础库不一致")
                except ids.IdentifierError:
                    bad("id_number", "id-number", "身份证号码不正确")
                record: dict[str, Any] = {"row": source.number, "person": person}
                try:
                    if sheet == MONTHS:
                        record["month"] = _month(v["month"])
                        if not date(1980, 1, 1) <= record["month"] <= today:
                            bad("month", "history-month", "费款所属期应在1980年1月至今之间")
                        record.update(base=_fen(v["base"]), individual=_fen(v["individual"]),
                                      employer=_fen(v["employer"]) if v.get("employer") else 0,
                                      unit_name=v.get("unit_name", "")[:200])
                        if min(record["base"], record["individual"], record["employer"]) < 0:
                            bad("base", "amount", "金额不能为负数")
                        key_seen: tuple[str, Any] = (sheet, (v["id_number"], record["month"]))
                    elif sheet == BALANCES:
                        record["as_of"] = date.fromisoformat(v["as_of"])
                        record["balance"] = _fen(v["balance"])
                        if (record["as_of"].month, record["as_of"].day) != (12, 31) or record["as_of"] >= today:
                            bad("as_of", "history-as-of", "截至日期应为已过去某年的12月31日（年末储存额，含当年利息）")
                        if record["balance"] < 0:
                            bad("balance", "amount", "储存额不能为负数")
                        key_seen = (sheet, v["id_number"])
                    else:
                        record.update(start=_month(v["start"]), end=_month(v["end"]), document=v["document"][:200])
                        if record["end"] < record["start"]:
                            bad("end", "deemed-order", "终止年月不能早于起始年月")
                        elif record["end"] >= cutoff:
                            bad("end", "deemed-after-accounts",
                                f"视同缴费年限应在个人账户制度建立（{cutoff:%Y年%m月}）以前")
                        if not record["document"]:
                            bad("document", "deemed-document", "请填写认定依据（文件名称或批准文号）")
                        record["months"] = months_between(record["start"], record["end"])
                        key_seen = (sheet, (v["id_number"], record["start"]))
                except (ValueError, InvalidOperation, TypeError):
                    bad("value", "history-format", "年月应写作YYYY-MM、日期YYYY-MM-DD、金额为元（最多两位小数）")
                    report.reject(problems)
                    continue
                if key_seen in seen:
                    bad("id_number", "duplicate", f"与第{seen[key_seen]}行重复")
                seen.setdefault(key_seen, source.number)
                report.rows_read += 1
                if problems:
                    report.reject(problems)
                    continue
                {MONTHS: rows.months, BALANCES: rows.balances, DEEMED: rows.deemed}[sheet].append(record)
    by_person: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for d in rows.deemed:
        for other in by_person[d["person"].id]:
            if d["start"] <= other["end"] and other["start"] <= d["end"]:
                report.reject([tabular.RowError(d["row"], f"{DEEMED}.start", "renshe:insurance/deemed-overlap",
                                                f"{DEEMED}第{d['row']}行：与第{other['row']}行的视同缴费期间重叠")])
        by_person[d["person"].id].append(d)
    return rows


def _totals(rows: _Rows) -> dict[str, int]:
    return {"persons": len({r["person"].id for r in rows.months + rows.balances + rows.deemed}),
            "months": len(rows.months), "base": sum(r["base"] for r in rows.months),
            "individual": sum(r["individual"] for r in rows.months),
            "employer": sum(r["employer"] for r in rows.months),
            "balance": sum(r["balance"] for r in rows.balances),
            "deemed_months": sum(r["months"] for r in rows.deemed)}


def _check_control(rows: _Rows, totals: dict[str, int], report: tabular.ImportReport, present: set[str]) -> None:
    needed = {"persons", *(key for sheet in present for key in NEEDS.get(sheet, ()))}
    for key in sorted(needed):
        found = rows.control.get(key)
        shown = rules.yuan if key in MONEY else str
        if found is None:
            report.reject([tabular.RowError(1, f"{CONTROL}.item", "renshe:insurance/control-missing",
                                            f"{CONTROL}：缺少“{TOTALS[key]}”")])
        elif found[1] != totals[key]:
            report.reject([tabular.RowError(found[0], f"{CONTROL}.value", "renshe:insurance/control-total",
                                            f"{CONTROL}第{found[0]}行：“{TOTALS[key]}”为{shown(found[1])}，"
                                            f"文件中实际为{shown(totals[key])}，文件不完整或有误")])


@dataclass
class HistoryResult:
    batch: HistoryImport
    created: bool


def import_file(session: Session, *, actor: Principal, path: Path, filename: str) -> HistoryResult:
    """Import a historical data workbook: whole or not at all, conflicts listed, once per file."""
    if not may_import(actor):
        raise Forbidden("历史数据入库需要经办导入权限", code="renshe:insurance/history-permission")
    key = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    existing = session.scalar(select(HistoryImport).where(HistoryImport.key == key))
    if existing is not None:
        return HistoryResult(existing, created=False)
    parameters.load_defaults(session)
    province = get_settings().province_code
    today = date.today()
    report = tabular.ImportReport("insurance-history")
    rows = _read(session, path, report, province=province, today=today)
    totals = _totals(rows)
    _check_control(rows, totals, report, set(tabular.sheet_names(path)))
    if not report.ok:
        raise tabular.ImportRejected(report)
    conflicts: list[dict[str, Any]] = []

    def conflict(sheet: str, record: dict[str, Any], what: str, reason: str) -> None:
        conflicts.append({"sheet": sheet, "row": record["row"], "person": crypto.mask_name(record["person"].name),
                          "id_number_masked": record["person"].id_number_masked, "what": what, "reason": reason})

    persons = list({r["person"].id for r in rows.months + rows.balances + rows.deemed})
    had_history = {(p, m) for p, m in session.execute(select(HistoryMonth.person_id, HistoryMonth.month).where(
        HistoryMonth.person_id.in_(persons), HistoryMonth.insurance_type == PENSION))}
    had_ledger = {(p, m) for p, m, total in session.execute(
        select(Due.person_id, Due.month, func.sum(Due.amount_fen)).where(
            Due.person_id.in_(persons), Due.insurance_type == PENSION).group_by(Due.person_id, Due.month))
        if total > 0}
    months = []
    for r in rows.months:
        where = (r["person"].id, r["month"])
        if where in had_history:
            conflict(MONTHS, r, f"{r['month']:%Y-%m}", "已有该月的历史缴费记录（此前入库），未重复入库")
        elif where in had_ledger:
            conflict(MONTHS, r, f"{r['month']:%Y-%m}", "本系统已有该月的缴费记录，以本系统记录为准")
        else:
            months.append(r)
    first_entry: dict[int, date] = {}
    for pid, first in session.execute(select(AccountEntry.person_id, func.min(AccountEntry.entry_date)).where(
            AccountEntry.person_id.in_(persons)).group_by(AccountEntry.person_id)):
        first_entry[pid] = first
    openings = set(session.scalars(select(AccountEntry.person_id).where(
        AccountEntry.person_id.in_(persons), AccountEntry.kind == "opening")))
    balances = []
    for r in rows.balances:
        pid = r["person"].id
        if pid in openings:
            conflict(BALANCES, r, rules.yuan(r["balance"]), "已有期初余额，未重复入库")
        elif pid in first_entry and first_entry[pid] <= r["as_of"]:
            conflict(BALANCES, r, rules.yuan(r["balance"]),
                     f"本系统已有{first_entry[pid]:%Y-%m-%d}的账户记录，早于截至日期，需人工核对")
        else:
            balances.append(r)
    earlier = defaultdict(list)
    for d in session.scalars(select(DeemedPeriod).where(DeemedPeriod.person_id.in_(persons))):
        earlier[d.person_id].append(d)
    contributed = had_history | had_ledger | {(r["person"].id, r["month"]) for r in months}
    deemed = []
    for r in rows.deemed:
        span = f"{r['start']:%Y-%m}至{r['end']:%Y-%m}"
        if any(r["start"] <= d.end_month and d.start_month <= r["end"] for d in earlier[r["person"].id]):
            conflict(DEEMED, r, span, "与已认定的视同缴费期间重叠，未入库")
        elif any(p == r["person"].id and r["start"] <= m <= r["end"] for p, m in contributed):
            conflict(DEEMED, r, span, "期间内已有实际缴费记录，视同缴费不能与实际缴费重叠")
        else:
            deemed.append(r)
    posted = _totals(_Rows(months, balances, deemed, {}))
    batch = HistoryImport(
        key=key, province=province, filename=filename[:200], persons=posted["persons"], months=posted["months"],
        base_fen=posted["base"], individual_fen=posted["individual"], employer_fen=posted["employer"],
        balances=len(balances), balance_fen=posted["balance"], deemed_months=posted["deemed_months"],
        conflicts=len(conflicts), imported_by=actor.subject,
        report={"file": totals, "control": {k: v for k, (_, v) in rows.control.items()}, "posted": posted,
                "conflicts": conflicts[:MAX_CONFLICTS_LISTED]})
    session.add(batch)
    session.flush()
    if months:
        session.execute(insert(HistoryMonth), [
            {"import_id": batch.id, "person_id": r["person"].id, "insurance_type": PENSION, "month": r["month"],
             "base_fen": r["base"], "individual_fen": r["individual"], "employer_fen": r["employer"],
             "unit_name": r["unit_name"]} for r in months])
    if balances:
        session.execute(insert(AccountEntry), [
            {"person_id": r["person"].id, "kind": "opening", "entry_date": r["as_of"], "year": r["as_of"].year,
             "amount_fen": r["balance"], "source": f"opening:{r['person'].id}",
             "detail": {"import": batch.public_id, "as_of": r["as_of"].isoformat()}, "posted_at": utcnow()}
            for r in balances])
    if deemed:
        session.execute(insert(DeemedPeriod), [
            {"import_id": batch.id, "person_id": r["person"].id, "start_month": r["start"], "end_month": r["end"],
             "months": r["months"], "document": r["document"], "created_by": actor.subject, "created_at": utcnow()}
            for r in deemed])
    session.flush()
    audit.record(session, actor=actor, action="insurance.history.import", entity_type="history_import",
                 entity_id=batch.public_id, after={"file": filename[:200], "posted": posted,
                                                   "conflicts": len(conflicts)})
    record_event(session, "insurance.history_imported", {"import": batch.public_id, "persons": posted["persons"],
                                                         "months": posted["months"], "conflicts": len(conflicts)})
    return HistoryResult(batch, created=True)


def get_import(session: Session, *, actor: Principal, public_id: str) -> HistoryImport:
    if not may_import(actor):
        raise Forbidden("查看历史数据入库报告需要经办导入权限", code="renshe:insurance/history-permission")
    found = session.scalar(select(HistoryImport).where(HistoryImport.public_id == public_id))
    if found is None:
        raise NotFound("该历史数据入库批次", code="renshe:insurance/history-not-found")
    return found


def imports(session: Session, *, actor: Principal, after: int = 0, limit: int = 20) -> list[HistoryImport]:
    """Imports, newest first, after a cursor (the last id shown)."""
    if not may_import(actor):
        raise Forbidden("查看历史数据入库需要经办导入权限", code="renshe:insurance/history-permission")
    if not 1 <= limit <= 200:
        raise ValidationFailed([FieldError("limit", "renshe:page/limit", "每页1至200条")])
    stmt = select(HistoryImport).order_by(HistoryImport.id.desc()).limit(limit)
    if after:
        stmt = stmt.where(HistoryImport.id < after)
    return list(session.scalars(stmt))


def summary_rows(batch: HistoryImport) -> list[tuple[str, str, str, str]]:
    """(item, file total, control total, posted) for the report."""
    out = []
    for key, label in TOTALS.items():
        shown = rules.yuan if key in MONEY else str
        control = batch.report["control"].get(key)
        out.append((label, shown(batch.report["file"][key]), shown(control) if control is not None else "—",
                    shown(batch.report["posted"][key])))
    return out


def report_xlsx(batch: HistoryImport) -> bytes:
    """The reconciliation report as a workbook: the totals compared, then every conflict."""
    book = Workbook(write_only=True)
    totals = book.create_sheet("对账汇总")
    totals.append(["文件", batch.filename, "入库批次", batch.public_id, "入库时间", batch.imported_at.isoformat()])
    totals.append(["项目", "文件合计", "控制合计", "入库合计"])
    for row in summary_rows(batch):
        totals.append(list(row))
    listed = book.create_sheet("冲突明细")
    listed.append(["工作表", "行号", "姓名", "身份证号码", "内容", "原因"])
    for c in batch.report["conflicts"]:
        listed.append([c["sheet"], c["row"], c["person"], c["id_number_masked"], c["what"], c["reason"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
