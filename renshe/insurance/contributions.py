"""Contribution declaration, assessment and collection (缴费申报、核定、征收对账).

- A declaration (缴费基数申报) gives each insured person of a unit a monthly base for a year (from a month
  on, for a supplementary declaration). It is refused whole when any row is bad, with every bad row
  named, and is idempotent by its key (the file's digest or the client's id): the same file posts once.
  Each base is held within the floor and cap of the average wage in force (rules.clamp_base), and the
  clamp is kept with the line.
- An assessment (核定) computes the month's amounts due per person and side in one INSERT … SELECT, as
  integer fen rounded half-up (the same rounding as rules.contribution_amounts). Dues are append-only:
  re-assessing after a new declaration adds the differences; re-assessing without one does nothing.
- Receipts from the tax bureau (税务征收) are imported (whole or nothing, each receipt number once) and
  reconciled per unit, month and type: paid, partly paid, unpaid; receipts that match nothing are listed.
- Arrears carry the late surcharge (社会保险法 art. 86) computed to the day by rules.late_surcharge.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import CursorResult, func, insert, select, text
from sqlalchemy.orm import Session

from renshe.core import audit, ids, labels, tabular
from renshe.core.auth import Principal
from renshe.core.errors import FieldError, Forbidden, ValidationFailed
from renshe.core.events import record_event
from renshe.core.trace import Step
from renshe.insurance import parameters, payers, policy, rules
from renshe.insurance.models import Assessment, Declaration, DeclaredBase, Due, InsuranceRelation, InsuredUnit, Receipt
from renshe.registry import service as registry

MAX_ROWS = 20000
MAX_LISTED = 1000
PPM = 1_000_000
SIDE_LABELS = labels.register("insurance.side", {"employer": "单位缴费", "individual": "个人缴费"})
STATUS_LABELS = labels.register(
    "insurance.payment_status", {"paid": "已足额缴纳", "partly": "部分缴纳", "unpaid": "未缴纳", "none": "无应缴"})


def month_start(value: date) -> date:
    return date(value.year, value.month, 1)


def month_end(month: date) -> date:
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def parse_month(value: Any, *, field_name: str = "month") -> date:
    """A month written YYYY-MM (or a date) as its first day."""
    if isinstance(value, datetime):
        return date(value.year, value.month, 1)
    if isinstance(value, date):
        return date(value.year, value.month, 1)
    try:
        year, month = str(value).strip().split("-")[:2]
        return date(int(year), int(month), 1)
    except (ValueError, TypeError):
        raise ValidationFailed([FieldError(field_name, "renshe:insurance/month", "月份应写作YYYY-MM")]) from None


def _fen(value: Any) -> int:
    """Yuan (at most two decimals) as fen; ValueError otherwise."""
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not amount.is_finite():
        raise ValueError("not a number")
    return rules.fen_of(amount)


# ---------------------------------------------------------------- declarations


@dataclass(frozen=True)
class DeclarationRow:
    row: int
    id_number: str
    declared: Any  # yuan, as written
    from_month: Any = 1


@dataclass
class DeclarationResult:
    declaration: Declaration
    created: bool
    lines: list[DeclaredBase] = field(default_factory=list)


COLUMNS = {"id_number": ("身份证号码", "公民身份号码", "id_number"), "declared": ("月缴费工资", "申报工资", "declared"),
           "from_month": ("起始月份", "from_month"), "name": ("姓名", "name")}


def read_declaration_xlsx(data: bytes) -> list[DeclarationRow]:
    """The rows of a declaration workbook (first sheet, first row names the columns)."""
    try:
        tabular.check_xlsx(io.BytesIO(data))  # a zip bomb is refused before openpyxl unpacks it
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError):
        raise ValidationFailed([FieldError("file", "renshe:insurance/xlsx", "文件不是有效的XLSX工作簿")]) from None
    lines = book.worksheets[0].iter_rows(values_only=True)
    header = [str(c).strip() if c is not None else "" for c in next(lines, ())]
    where: dict[str, int] = {}
    for name, aliases in COLUMNS.items():
        for i, h in enumerate(header):
            if h in aliases:
                where[name] = i
    missing = [COLUMNS[c][0] for c in ("id_number", "declared") if c not in where]
    if missing:
        raise ValidationFailed([FieldError("file", "renshe:insurance/xlsx-columns",
                                           f"第1行缺少列：{'、'.join(missing)}")])
    rows: list[DeclarationRow] = []
    for number, line in enumerate(lines, start=2):
        cells = list(line)
        if all(c in (None, "") for c in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise ValidationFailed([FieldError("file", "renshe:insurance/xlsx-size", f"一次最多申报{MAX_ROWS}人")])

        def cell(name: str, cells: list[Any] = cells) -> Any:
            i = where.get(name)
            return cells[i] if i is not None and i < len(cells) else None

        rows.append(DeclarationRow(row=number, id_number=str(cell("id_number") or "").strip(),
                                   declared=cell("declared"), from_month=cell("from_month") or 1))
    return rows


def owner_of(unit: InsuredUnit) -> str:
    return f"unit:{unit.id}"


def declare(session: Session, *, actor: Principal, unit: InsuredUnit, year: int, rows: Sequence[DeclarationRow],
            key: str, kind: str = "annual") -> DeclarationResult:
    """Record a unit's base declaration for `year`: whole or nothing, every bad row named, once per key."""
    if not policy.can(actor, "declaration.submit", division_code=unit.division_code,
                      employer_public_id=unit.employer_public_id):
        raise Forbidden("无权为该单位申报缴费基数", code="renshe:insurance/declaration-permission")
    if kind not in {"annual", "supplementary"}:
        raise ValidationFailed([FieldError("kind", "renshe:insurance/declaration-kind", "申报类型应为年度或补充申报")])
    if not 1990 <= year <= date.today().year + 1:
        raise ValidationFailed([FieldError("year", "renshe:insurance/year", "申报年度不正确")])
    owner = owner_of(unit)
    existing = session.scalar(select(Declaration).where(Declaration.owner == owner, Declaration.key == key))
    if existing is not None:
        return DeclarationResult(existing, created=False)
    if not rows:
        raise ValidationFailed([FieldError("file", "renshe:insurance/declaration-empty", "申报文件中没有人员")])
    parameters.load_defaults(session)
    relations = {r.person_id: r for r in session.scalars(select(InsuranceRelation).where(
        InsuranceRelation.unit_id == unit.id, InsuranceRelation.start_date <= date(year, 12, 31),
        (InsuranceRelation.end_date.is_(None)) | (InsuranceRelation.end_date >= date(year, 1, 1)))
        .order_by(InsuranceRelation.start_date))}
    errors: list[FieldError] = []
    seen: dict[tuple[int, int], int] = {}
    lines: list[dict[str, Any]] = []
    limits: dict[int, tuple[parameters.Value, Decimal, Decimal]] = {}

    def bad(row: DeclarationRow, name: str, code: str, message: str) -> None:
        if len(errors) < MAX_LISTED:
            errors.append(FieldError(f"row {row.row}.{name}", code, f"第{row.row}行：{message}"))

    for row in rows:
        try:
            number = ids.parse_resident_id(row.id_number).number
        except ids.IdentifierError:
            bad(row, "id_number", "renshe:insurance/id-number", "身份证号码不正确")
            continue
        try:
            declared = _fen(row.declared)
        except ValueError:
            bad(row, "declared", "renshe:insurance/amount", "月缴费工资应为金额（元，最多两位小数）")
            continue
        if declared < 0:
            bad(row, "declared", "renshe:insurance/amount", "月缴费工资不能为负数")
            continue
        try:
            from_month = int(str(row.from_month).strip())
        except ValueError:
            from_month = 0
        if not 1 <= from_month <= 12:
            bad(row, "from_month", "renshe:insurance/from-month", "起始月份应为1到12")
            continue
        person = registry.find_by_id_number(session, id_number=number)
        relation = relations.get(person.id) if person is not None else None
        if relation is None:
            bad(row, "id_number", "renshe:insurance/no-relation",
                f"该人员（{ids.parse_resident_id(number).number[:6]}…）在本单位{year}年没有参保关系，请先办理增员")
            continue
        if (relation.person_id, from_month) in seen:
            bad(row, "id_number", "renshe:insurance/duplicate", f"与第{seen[(relation.person_id, from_month)]}行重复")
            continue
        seen[(relation.person_id, from_month)] = row.row
        if from_month not in limits:
            on = date(year, from_month, 1)
            wage = parameters.lookup(session, province=unit.province, key="average_wage", on=on)
            floor = parameters.lookup(session, province=unit.province, key="base_floor_ratio", on=on).decimal
            cap = parameters.lookup(session, province=unit.province, key="base_cap_ratio", on=on).decimal
            limits[from_month] = (wage, floor, cap)
        wage, floor, cap = limits[from_month]
        clamped = rules.clamp_base(declared_fen=declared, average_wage_fen=rules.fen_of(wage.decimal),
                                   floor_share=floor, cap_share=cap)
        lines.append({"relation_id": relation.id, "person_id": relation.person_id, "year": year,
                      "from_month": from_month, "declared_fen": declared, "base_fen": clamped.base_fen,
                      "clamp": clamped.clamp, "floor_fen": clamped.floor_fen, "cap_fen": clamped.cap_fen,
                      "wage_parameter_id": wage.id})
    if errors:
        raise ValidationFailed(errors, detail=f"申报文件有{len(errors)}处错误，全部未申报，请修改后重新上传")
    declaration = Declaration(owner=owner, unit_id=unit.id, year=year, key=key, kind=kind, rows=len(lines),
                              submitted_by=actor.subject)
    session.add(declaration)
    session.flush()
    for line in lines:
        line["declaration_id"] = declaration.id
    session.execute(insert(DeclaredBase), lines)
    session.flush()
    audit.record(session, actor=actor, action="insurance.declaration.submit", entity_type="insured_unit",
                 entity_id=unit.public_id, after={"declaration": declaration.public_id, "year": year, "kind": kind,
                                                  "rows": len(lines),
                                                  "clamped": sum(1 for x in lines if x["clamp"])})
    record_event(session, "insurance.declaration_submitted", {"declaration": declaration.public_id,
                                                              "unit": unit.public_id, "year": year,
                                                              "rows": len(lines)})
    return DeclarationResult(declaration, created=True)


def file_key(data: bytes) -> str:
    """The idempotency key of an uploaded file: its SHA-256."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def declared_lines(session: Session, *, declaration: Declaration) -> list[DeclaredBase]:
    return list(session.scalars(select(DeclaredBase).where(DeclaredBase.declaration_id == declaration.id)
                                .order_by(DeclaredBase.id)))


def declarations_of(session: Session, *, unit: InsuredUnit) -> list[Declaration]:
    return list(session.scalars(select(Declaration).where(Declaration.unit_id == unit.id)
                                .order_by(Declaration.id.desc())))


def clamp_trace(line: DeclaredBase) -> list[Step]:
    """The clamp of one declared line, recomputed from what it stored (for the page)."""
    return [Step("floor", "缴费基数下限", "月平均工资 × 下限比例", {}, rules.yuan(line.floor_fen), rules.BASE_SOURCE),
            Step("cap", "缴费基数上限", "月平均工资 × 上限比例", {}, rules.yuan(line.cap_fen), rules.BASE_SOURCE),
            Step("base", "核定缴费基数", "min(max(申报工资, 下限), 上限)",
                 {"declared": rules.yuan(line.declared_fen)}, rules.yuan(line.base_fen), rules.BASE_SOURCE)]


# ---------------------------------------------------------------- assessment


def rates_for(session: Session, *, province: str, insurance_type: str, on: date, flexible: bool
           ) -> tuple[dict[str, tuple[int, int]], dict[str, Any]]:
    """Per side: (rate in ppm, account rate in ppm), and the frozen parameters used."""
    used: dict[str, Any] = {}

    def ppm(key: str) -> int:
        value = parameters.find(session, province=province, key=key, on=on)
        if value is None:
            return 0
        used[key] = value.trace()
        return int(value.decimal * PPM)

    if flexible:
        return {"individual": (ppm("rate.110.flexible"), ppm("rate.110.flexible_account"))}, used
    sides = {"employer": (ppm(f"rate.{insurance_type}.employer"), 0)}
    individual = ppm(f"rate.{insurance_type}.individual")
    if individual:
        # The whole individual part of the pension goes to the account (国发〔2005〕38号).
        sides["individual"] = (individual, individual if insurance_type == "110" else 0)
    return sides, used


# The month's dues of every relation in {scope} (a condition on `r`), each under the assessment `a` made for
# this run ({assessment} joins it: one id for a unit or for flexible workers, or the ids a province's run made
# for each unit), less what earlier assessments of the month hold: only differences are written, so dues stay
# append-only.
ASSESS_SQL = text("""
INSERT INTO ins_dues (assessment_id, unit_id, relation_id, person_id, insurance_type, month, side, base_fen,
                      rate_ppm, amount_fen, account_fen)
SELECT t.assessment_id, t.unit_id, t.relation_id, t.person_id, t.insurance_type, :month,
       CAST(:side AS VARCHAR(16)), t.base_fen, :ppm,
       t.amount - COALESCE(t.prior_amount, 0), t.account - COALESCE(t.prior_account, 0)
FROM (
  SELECT a.id AS assessment_id, r.unit_id, r.id AS relation_id, r.person_id, r.insurance_type, b.base_fen,
         (b.base_fen * :ppm + 500000) / 1000000 AS amount, (b.base_fen * :account_ppm + 500000) / 1000000 AS account,
         {prior_amount} AS prior_amount, {prior_account} AS prior_account
  FROM ins_relations r
  JOIN ins_assessments a ON {assessment}
  JOIN ins_declared_bases b ON b.relation_id = r.id
  WHERE {scope} AND r.start_date <= :month_end AND (r.end_date IS NULL OR r.end_date >= :month)
    AND b.id = (SELECT MAX(b2.id) FROM ins_declared_bases b2
                WHERE b2.relation_id = r.id AND b2.year = :year AND b2.from_month <= :month_no)
) t
WHERE t.amount <> COALESCE(t.prior_amount, 0) OR t.account <> COALESCE(t.prior_account, 0)
""")

# What the relation already owes for the month and side under earlier assessments (a correction pays the
# difference); a first assessment of the month has none, and skips the lookups.
_PRIOR = "(SELECT SUM(x.{column}) FROM ins_dues x WHERE x.relation_id = r.id AND x.month = :month AND x.side = :side)"

# Relations assessed before that no longer owe the month (ended earlier, or their base withdrawn): reverse.
REVERSE_SQL = text("""
INSERT INTO ins_dues (assessment_id, unit_id, relation_id, person_id, insurance_type, month, side, base_fen,
                      rate_ppm, amount_fen, account_fen)
SELECT MAX(a.id), MAX(d.unit_id), d.relation_id, MAX(d.person_id), MAX(d.insurance_type), :month,
       CAST(:side AS VARCHAR(16)), 0, 0,
       -SUM(d.amount_fen), -SUM(d.account_fen)
FROM ins_relations r CROSS JOIN ins_dues d
JOIN ins_assessments a ON {assessment}
WHERE d.relation_id = r.id AND {scope} AND d.month = :month AND d.side = :side AND d.assessment_id <> a.id
  AND NOT EXISTS (SELECT 1 FROM ins_dues n WHERE n.assessment_id = a.id AND n.relation_id = d.relation_id
                  AND n.side = :side)
  AND NOT (r.start_date <= :month_end AND (r.end_date IS NULL OR r.end_date >= :month)
           AND EXISTS (SELECT 1 FROM ins_declared_bases b WHERE b.relation_id = r.id AND b.year = :year
                       AND b.from_month <= :month_no))
GROUP BY d.relation_id
HAVING SUM(d.amount_fen) <> 0 OR SUM(d.account_fen) <> 0
""")


def assess_dues(session: Session, *, sides: dict[str, tuple[int, int]], month: date, scope: str,
                assessment: str, values: dict[str, Any], first: bool = False) -> int:
    """Write the month's dues (and reversals) for the relations in `scope` under the assessments picked by
    `assessment` (SQL conditions on `r` and `a`, with their values); returns the rows written. `first`: the
    caller knows no relation in scope has dues for the month yet (no earlier assessment of it), so there is
    nothing owed before to subtract and nothing to reverse."""
    rows = 0
    prior = ("0", "0") if first else (_PRIOR.format(column="amount_fen"), _PRIOR.format(column="account_fen"))
    for side, (ppm, account_ppm) in sides.items():
        bound = {**values, "month": month, "month_end": month_end(month), "side": side, "ppm": ppm,
                 "account_ppm": account_ppm, "year": month.year, "month_no": month.month}
        for statement in (ASSESS_SQL,) if first else (ASSESS_SQL, REVERSE_SQL):
            done = session.execute(text(statement.text.replace("{scope}", scope).replace("{assessment}", assessment)
                                        .replace("{prior_amount}", prior[0]).replace("{prior_account}", prior[1])),
                                   bound)
            rows += cast("CursorResult[Any]", done).rowcount or 0
    return rows


@dataclass
class AssessmentResult:
    assessment: Assessment
    created: bool
    missing_base: list[InsuranceRelation]


def assess(session: Session, *, actor: Principal, unit: InsuredUnit, month: date) -> AssessmentResult:
    """核定 one month of a unit, set-based and idempotent per (unit, month, latest declaration)."""
    if not policy.can(actor, "assessment.run", division_code=unit.division_code,
                      employer_public_id=unit.employer_public_id):
        raise Forbidden("无权核定该单位的缴费", code="renshe:insurance/assessment-permission")
    month = month_start(month)
    parameters.load_defaults(session)
    owner = owner_of(unit)
    basis = session.scalar(select(func.max(Declaration.id)).where(Declaration.unit_id == unit.id,
                                                                  Declaration.year == month.year)) or 0
    missing = missing_bases(session, unit=unit, month=month)
    existing = session.scalar(select(Assessment).where(Assessment.owner == owner, Assessment.month == month,
                                                       Assessment.basis == basis))
    if existing is not None:
        return AssessmentResult(existing, created=False, missing_base=missing)
    sides, used = rates_for(session, province=unit.province, insurance_type=unit.insurance_type, on=month,
                         flexible=False)
    assessment = Assessment(owner=owner, unit_id=unit.id, month=month, basis=basis, rows=0, parameters=used,
                            assessed_by=actor.subject)
    session.add(assessment)
    session.flush()
    rows = assess_dues(session, sides=sides, month=month, scope="r.unit_id = :unit",
                       assessment="a.id = :assessment", values={"unit": unit.id, "assessment": assessment.id})
    assessment.rows = rows
    session.flush()
    audit.record(session, actor=actor, action="insurance.assessment.run", entity_type="insured_unit",
                 entity_id=unit.public_id, after={"assessment": assessment.public_id,
                                                  "month": month.strftime("%Y-%m"), "rows": rows, "basis": basis})
    record_event(session, "insurance.month_assessed", {"assessment": assessment.public_id, "unit": unit.public_id,
                                                       "month": month.strftime("%Y-%m"), "rows": rows})
    return AssessmentResult(assessment, created=True, missing_base=missing)


def missing_bases(session: Session, *, unit: InsuredUnit, month: date) -> list[InsuranceRelation]:
    """Relations that owe the month but have no declared base for it (not assessed until declared)."""
    declared = select(DeclaredBase.relation_id).where(DeclaredBase.year == month.year,
                                                      DeclaredBase.from_month <= month.month)
    return list(session.scalars(select(InsuranceRelation).where(
        InsuranceRelation.unit_id == unit.id, InsuranceRelation.start_date <= month_end(month),
        (InsuranceRelation.end_date.is_(None)) | (InsuranceRelation.end_date >= month),
        InsuranceRelation.id.not_in(declared))))


@dataclass(frozen=True)
class DueLine:
    relation_id: int
    person_name: str
    id_number_masked: str
    base_fen: int
    employer_fen: int
    individual_fen: int
    account_fen: int


def dues_of_month(session: Session, *, unit: InsuredUnit, month: date) -> list[DueLine]:
    """What each person owes for the month (the sum of the append-only rows), per side."""
    month = month_start(month)
    stmt = (select(Due.relation_id, Due.side, func.sum(Due.amount_fen), func.sum(Due.account_fen),
                   func.max(Due.base_fen), func.max(Due.id))
            .where(Due.unit_id == unit.id, Due.month == month).group_by(Due.relation_id, Due.side))
    found: dict[int, dict[str, Any]] = {}
    for relation_id, side, amount, account, _base, _last in session.execute(stmt):
        entry = found.setdefault(relation_id, {"employer": 0, "individual": 0, "account": 0})
        entry[side] = int(amount)
        entry["account"] += int(account)
    if not found:
        return []
    relations = {r.id: r for r in session.scalars(select(InsuranceRelation).where(
        InsuranceRelation.id.in_(found)))}
    latest_base: dict[int, int] = {}
    for rid, base in session.execute(select(Due.relation_id, Due.base_fen).where(Due.id.in_(
            select(func.max(Due.id)).where(Due.unit_id == unit.id, Due.month == month, Due.base_fen > 0)
            .group_by(Due.relation_id)))):
        latest_base[rid] = base
    return [DueLine(rid, relations[rid].person_name, relations[rid].id_number_masked, int(latest_base.get(rid, 0)),
                    v["employer"], v["individual"], v["account"])
            for rid, v in sorted(found.items())]


# ---------------------------------------------------------------- receipts and reconciliation


@dataclass(frozen=True)
class ReceiptRow:
    row: int
    receipt_no: str
    payer_code: str
    insurance_type: str
    month: Any
    amount: Any
    paid_on: Any


RECEIPT_COLUMNS = {"receipt_no": ("票据号", "receipt_no"),
                   "payer_code": ("缴费人识别号", "统一社会信用代码", "payer_code"),
                   "insurance_type": ("险种", "险种代码", "insurance_type"), "month": ("费款所属期", "month"),
                   "amount": ("金额", "金额（元）", "amount"), "paid_on": ("入库日期", "paid_on")}


def read_receipts_xlsx(data: bytes) -> list[ReceiptRow]:
    try:
        tabular.check_xlsx(io.BytesIO(data))  # a zip bomb is refused before openpyxl unpacks it
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError):
        raise ValidationFailed([FieldError("file", "renshe:insurance/xlsx", "文件不是有效的XLSX工作簿")]) from None
    lines = book.worksheets[0].iter_rows(values_only=True)
    header = [str(c).strip() if c is not None else "" for c in next(lines, ())]
    where = {name: i for name, aliases in RECEIPT_COLUMNS.items() for i, h in enumerate(header) if h in aliases}
    missing = [RECEIPT_COLUMNS[c][0] for c in RECEIPT_COLUMNS if c not in where]
    if missing:
        raise ValidationFailed([FieldError("file", "renshe:insurance/xlsx-columns",
                                           f"第1行缺少列：{'、'.join(missing)}")])
    rows: list[ReceiptRow] = []
    for number, line in enumerate(lines, start=2):
        cells = list(line)
        if all(c in (None, "") for c in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise ValidationFailed([FieldError("file", "renshe:insurance/xlsx-size", f"一次最多{MAX_ROWS}行")])
        got = {name: cells[i] if i < len(cells) else None for name, i in where.items()}
        rows.append(ReceiptRow(row=number, receipt_no=str(got["receipt_no"] or "").strip(),
                               payer_code=str(got["payer_code"] or "").strip().upper(),
                               insurance_type=str(got["insurance_type"] or "").strip(), month=got["month"],
                               amount=got["amount"], paid_on=got["paid_on"]))
    return rows


@dataclass
class ReceiptImport:
    batch: str
    added: int
    skipped: int
    unmatched: list[Receipt]


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip())


def import_receipts(session: Session, *, actor: Principal, rows: Sequence[ReceiptRow], batch: str) -> ReceiptImport:
    """Import tax-bureau receipts whole or nothing; a receipt number already imported is skipped (idempotent)."""
    if not actor.kind == "system" and not (actor.kind == "staff" and actor.has("import.run")):
        raise Forbidden("导入征收数据需要经办导入权限", code="renshe:insurance/receipt-permission")
    errors: list[FieldError] = []
    parsed: list[dict[str, Any]] = []
    numbers: dict[str, int] = {}
    for row in rows:
        problems: list[FieldError] = []

        def problem(name: str, code: str, message: str, row: ReceiptRow = row, problems: list[FieldError] = problems
                    ) -> None:
            problems.append(FieldError(f"row {row.row}.{name}", f"renshe:insurance/{code}",
                                       f"第{row.row}行：{message}"))

        if not row.receipt_no or len(row.receipt_no) > 40:
            problem("receipt_no", "receipt-no", "票据号为空或过长")
        elif row.receipt_no in numbers:
            problem("receipt_no", "duplicate", f"票据号与第{numbers[row.receipt_no]}行重复")
        if len(row.payer_code) != 18:
            problem("payer_code", "payer", "缴费人识别号应为18位统一社会信用代码或身份证号码")
        if row.insurance_type not in {"110", "210", "310", "410", "510"}:
            problem("insurance_type", "type", "险种代码不正确")
        try:
            month = parse_month(row.month)
        except ValidationFailed:
            problem("month", "month", "费款所属期应为YYYY-MM")
            month = date(1900, 1, 1)
        try:
            amount = _fen(row.amount)
            if amount <= 0:
                raise ValueError("not positive")
        except ValueError:
            problem("amount", "amount", "金额应为大于0的数（元，最多两位小数）")
            amount = 0
        try:
            paid_on = _as_date(row.paid_on)
        except (ValueError, TypeError):
            problem("paid_on", "paid-on", "入库日期应为YYYY-MM-DD")
            paid_on = date(1900, 1, 1)
        if problems:
            errors.extend(problems[: max(0, MAX_LISTED - len(errors))])
            continue
        numbers[row.receipt_no] = row.row
        parsed.append({"receipt_no": row.receipt_no, "payer_code": row.payer_code,
                       "insurance_type": row.insurance_type, "month": month, "amount_fen": amount,
                       "paid_on": paid_on})
    if errors:
        raise ValidationFailed(errors, detail=f"征收数据有{len(errors)}处错误，全部未导入，请修改后重新导入")
    known = set(session.scalars(select(Receipt.receipt_no).where(Receipt.receipt_no.in_(list(numbers)))))
    fresh = [p for p in parsed if p["receipt_no"] not in known]
    units = {(u.credit_code, u.insurance_type): u for u in session.scalars(select(InsuredUnit).where(
        InsuredUnit.credit_code.in_({p["payer_code"] for p in fresh})))}
    for p in fresh:
        unit = units.get((p["payer_code"], p["insurance_type"]))
        owed = unit is not None and session.scalar(select(func.count()).select_from(Due).where(
            Due.unit_id == unit.id, Due.month == p["month"])) != 0
        p.update(batch=batch, unit_id=unit.id if unit else None, relation_id=None, matched=bool(owed),
                 imported_by=actor.subject)
    payers.match_flexible(session, [p for p in fresh if p["unit_id"] is None])
    if fresh:
        session.execute(insert(Receipt), fresh)
        session.flush()
    audit.record(session, actor=actor, action="insurance.receipts.import", entity_type="receipt_batch",
                 entity_id=batch, after={"added": len(fresh), "skipped": len(parsed) - len(fresh),
                                         "unmatched": sum(1 for p in fresh if not p["matched"])})
    unmatched = list(session.scalars(select(Receipt).where(Receipt.batch == batch, Receipt.matched.is_(False))
                                     .order_by(Receipt.id)))
    return ReceiptImport(batch, len(fresh), len(parsed) - len(fresh), unmatched)


def unmatched_receipts(session: Session, *, limit: int = 500) -> list[Receipt]:
    return list(session.scalars(select(Receipt).where(Receipt.matched.is_(False)).order_by(Receipt.id.desc())
                                .limit(limit)))


@dataclass(frozen=True)
class MonthPosition:
    month: date
    due_fen: int
    paid_fen: int
    status: str
    due_date: date
    surcharge: rules.Surcharge | None

    @property
    def outstanding_fen(self) -> int:
        return max(0, self.due_fen - self.paid_fen)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def due_date_of(session: Session, *, province: str, month: date) -> date:
    """The last day to pay a month: the configured day of the following month."""
    day = int(parameters.lookup(session, province=province, key="payment_due_day", on=month).decimal)
    following = month_end(month).toordinal() + 1
    nxt = date.fromordinal(following)
    return date(nxt.year, nxt.month, day)


def position(session: Session, *, unit: InsuredUnit, month: date, on: date) -> MonthPosition:
    """Reconciliation of one month of a unit as of `on`: due, paid, status, and the late surcharge to the day
    (on each late payment for its days late, and on what is still unpaid up to `on`)."""
    month = month_start(month)
    due = int(session.scalar(select(func.coalesce(func.sum(Due.amount_fen), 0)).where(
        Due.unit_id == unit.id, Due.month == month)) or 0)
    receipts = list(session.scalars(select(Receipt).where(
        Receipt.unit_id == unit.id, Receipt.month == month, Receipt.matched.is_(True)).order_by(Receipt.paid_on)))
    paid = sum(r.amount_fen for r in receipts if r.paid_on <= on)
    status = "none" if due == 0 else "paid" if paid >= due else "partly" if paid > 0 else "unpaid"
    deadline = due_date_of(session, province=unit.province, month=month)
    rate = parameters.lookup(session, province=unit.province, key="late_surcharge_daily_rate", on=month).decimal
    surcharge_fen = 0
    trace: list[Step] = []
    left = due
    for receipt in receipts:
        if receipt.paid_on > on or left <= 0:
            continue
        part = min(left, receipt.amount_fen)
        left -= part
        days = rules.overdue_days(due=deadline, paid=receipt.paid_on)
        if days:
            late = rules.late_surcharge(amount_fen=part, days=days, daily_rate=rate)
            surcharge_fen += late.surcharge_fen
            trace.extend(late.trace)
    if left > 0:
        days = rules.overdue_days(due=deadline, paid=on)
        if days:
            late = rules.late_surcharge(amount_fen=left, days=days, daily_rate=rate)
            surcharge_fen += late.surcharge_fen
            trace.extend(late.trace)
    surcharge = rules.Surcharge(left, rules.overdue_days(due=deadline, paid=on), surcharge_fen, trace) \
        if surcharge_fen else None
    return MonthPosition(month, due, paid, status, deadline, surcharge)


def assessed_months(session: Session, *, unit: InsuredUnit) -> list[date]:
    return list(session.scalars(select(Due.month).where(Due.unit_id == unit.id).distinct().order_by(Due.month)))


def positions(session: Session, *, unit: InsuredUnit, on: date) -> Iterator[MonthPosition]:
    for month in assessed_months(session, unit=unit):
        yield position(session, unit=unit, month=month, on=on)
