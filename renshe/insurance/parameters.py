"""Parameters of the social insurance ledger as dated data (参数管理): one loader, one lookup, one
writer, XLSX export and import.

A value belongs to a province (or to the national defaults, province `000000`) and holds from its date
of effect until the next value of the same key. The lookup takes the date of effect of what is being
computed, never the date of entry. Values are never edited: a change is a new row from a date, and a
date inside a period already assessed is refused, so a computed past period is never rewritten.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from renshe.core import audit, divisions, tabular
from renshe.core.auth import SYSTEM, Principal
from renshe.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from renshe.core.events import record_event
from renshe.insurance.models import NATIONAL, Assessment, InsuranceParameter, InsuredUnit

MAX_IMPORT_ROWS = 5000


@dataclass(frozen=True)
class Spec:
    """What a parameter key means and which values it takes."""

    label: str
    kind: str  # ratio | money | integer | table | choice | month
    low: Decimal | None = None
    high: Decimal | None = None
    choices: tuple[str, ...] = ()


SPECS: dict[str, Spec] = {
    "average_wage": Spec("全口径城镇就业人员月平均工资（元/月，缴费基数用）", "money", Decimal(1), Decimal(1_000_000)),
    "base_floor_ratio": Spec("缴费基数下限比例", "ratio", Decimal("0.40"), Decimal("1.00")),
    "base_cap_ratio": Spec("缴费基数上限比例", "ratio", Decimal("1.00"), Decimal("5.00")),
    "rate.110.employer": Spec("养老保险单位缴费比例", "ratio", Decimal(0), Decimal("0.20")),
    "rate.110.individual": Spec("养老保险个人缴费比例", "ratio", Decimal(0), Decimal("0.08")),
    "rate.110.flexible": Spec("灵活就业人员养老保险缴费比例", "ratio", Decimal(0), Decimal("0.20")),
    "rate.110.flexible_account": Spec("灵活就业人员记入个人账户比例", "ratio", Decimal(0), Decimal("0.08")),
    "rate.210.employer": Spec("失业保险单位缴费比例", "ratio", Decimal(0), Decimal("0.02")),
    "rate.210.individual": Spec("失业保险个人缴费比例", "ratio", Decimal(0), Decimal("0.01")),
    "rate.410.employer": Spec("工伤保险单位缴费比例（行业基准费率）", "ratio", Decimal("0.002"), Decimal("0.019")),
    "rate.310.employer": Spec("职工医疗保险单位缴费比例", "ratio", Decimal(0), Decimal("0.12")),
    "rate.310.individual": Spec("职工医疗保险个人缴费比例", "ratio", Decimal(0), Decimal("0.04")),
    "late_surcharge_daily_rate": Spec("滞纳金日费率", "ratio", Decimal(0), Decimal("0.002")),  # 0.2 % before 2011-07
    "payment_due_day": Spec("次月缴费截止日", "integer", Decimal(1), Decimal(28)),
    "interest_rate": Spec("个人账户记账利率（年）", "ratio", Decimal(0), Decimal("0.20")),
    "interest_convention": Spec("当年记账额计息方式（annual/monthly/none）", "choice",
                                choices=("annual", "monthly", "none")),
    "divisor_table": Spec("个人账户养老金计发月数表", "table"),
    "minimum_months_schedule": Spec("最低缴费月数（按退休年份）", "table"),
    "transitional_coefficient": Spec("过渡性养老金计发系数", "ratio", Decimal("0.005"), Decimal("0.02")),
    "flexible_payment_window": Spec("灵活就业人员缴费期限（year-end当年年底前 / due-day次月截止日前）", "choice",
                                    choices=("year-end", "due-day")),
    "account_system_start": Spec("个人账户制度建立月份（视同缴费年限截止，YYYY-MM）", "month"),
    "minimum_wage": Spec("月最低工资标准（元/月）", "money", Decimal(1), Decimal(100_000)),
    "subsistence_line": Spec("城市居民最低生活保障标准（元/月）", "money", Decimal(1), Decimal(100_000)),
    "unemployment.benefit_monthly": Spec("失业保险金月标准（元/月，低于最低工资、高于低保标准）", "money",
                                         Decimal(1), Decimal(100_000)),
    "unemployment.medical_monthly": Spec("失业保险基金为领取人代缴职工医疗保险费（元/月）", "money", Decimal(0),
                                         Decimal(100_000)),
    "pension_adjustment": Spec("基本养老金调整方案（定额、挂钩、高龄倾斜；生效日期即调整起始日）", "scheme"),
}
SCHEME_MONEY = ("fixed", "per_contribution_year")
NOT_ASSESSED = frozenset({"pension_adjustment", "minimum_wage", "subsistence_line", "unemployment.benefit_monthly",
                          "unemployment.medical_monthly"})


@dataclass(frozen=True)
class Value:
    """A parameter value with where it came from (for traces)."""

    id: int
    province: str
    key: str
    effective_from: date
    value: Any
    source: str

    @property
    def decimal(self) -> Decimal:
        return Decimal(str(self.value))

    def trace(self) -> dict[str, Any]:
        return {"parameter": self.key, "label": SPECS[self.key].label if self.key in SPECS else self.key,
                "value": self.value, "province": self.province,
                "effective_from": self.effective_from.isoformat(), "source": self.source, "parameter_id": self.id}


def province_name(province: str) -> str:
    if province == NATIONAL:
        return "全国默认"
    division = divisions.get(province)
    return division.name if division else province


def province_of(division_code: str) -> str:
    """The province (xx0000) a division belongs to."""
    return division_code[:2] + "0000"


def label(key: str) -> str:
    spec = SPECS.get(key)
    return spec.label if spec else key


@cache
def _shipped() -> dict[str, Any]:
    text = resources.files("renshe.insurance").joinpath("data/parameters.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def load_defaults(session: Session) -> int:
    """Load the shipped national defaults that are not in the database yet (idempotent); returns how many."""
    have = {(k, d) for k, d in session.execute(select(InsuranceParameter.key, InsuranceParameter.effective_from)
                                                .where(InsuranceParameter.province == NATIONAL))}
    added = 0
    for row in _shipped()["national"]:
        when = date.fromisoformat(row["effective_from"])
        if (row["key"], when) in have:
            continue
        value = check_value(row["key"], row["value"], field="value")
        session.add(InsuranceParameter(province=NATIONAL, key=row["key"], effective_from=when, value=value,
                                       source=row["source"], entered_by=SYSTEM.subject))
        added += 1
    if added:
        session.flush()
        audit.record(session, actor=SYSTEM, action="insurance.parameters.load", entity_type="insurance_parameter",
                     entity_id=NATIONAL, after={"added": added})
    return added


def _as_value(row: InsuranceParameter) -> Value:
    return Value(id=row.id, province=row.province, key=row.key, effective_from=row.effective_from,
                 value=row.value, source=row.source)


def find(session: Session, *, province: str, key: str, on: date) -> Value | None:
    """The value in force on `on` in the province (its own, else the national default), or None."""
    for where in (province, NATIONAL) if province != NATIONAL else (NATIONAL,):
        row = session.scalar(select(InsuranceParameter).where(
            InsuranceParameter.province == where, InsuranceParameter.key == key,
            InsuranceParameter.effective_from <= on).order_by(InsuranceParameter.effective_from.desc()).limit(1))
        if row is not None:
            return _as_value(row)
    return None


def lookup(session: Session, *, province: str, key: str, on: date) -> Value:
    """The value in force on `on`; a clear error when none is configured."""
    found = find(session, province=province, key=key, on=on)
    if found is None:
        raise Conflict(f"{province_name(province)}尚未配置{on.isoformat()}适用的“{label(key)}”，"
                       "请由管理员在参数管理中设置", code="renshe:insurance/parameter-missing")
    return found


def check_value(key: str, raw: Any, *, field: str) -> Any:
    """The canonical stored form of a value for `key` (decimal string or table); every rule checked."""
    spec = SPECS.get(key)
    if spec is None:
        raise ValidationFailed([FieldError("key", "renshe:insurance/parameter-unknown", f"没有参数“{key}”")])
    if spec.kind == "table":
        table = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(table, dict) or not table:
            raise ValidationFailed([FieldError(field, "renshe:insurance/parameter-table",
                                               f"{spec.label}应为非空的对照表（JSON对象）")])
        try:
            return {str(k): str(Decimal(str(v))) if key == "divisor_table" else int(v) for k, v in table.items()}
        except (InvalidOperation, ValueError, TypeError):
            raise ValidationFailed([FieldError(field, "renshe:insurance/parameter-table",
                                               f"{spec.label}中有不是数字的值")]) from None
    if spec.kind == "month":
        text = str(raw).strip()
        try:
            year, month = (int(part) for part in text.split("-"))
            date(year, month, 1)
        except ValueError:
            raise ValidationFailed([FieldError(field, "renshe:insurance/parameter-month",
                                               f"{spec.label}应写作YYYY-MM")]) from None
        return f"{year:04d}-{month:02d}"
    if spec.kind == "scheme":
        return _check_scheme(spec, raw, field)
    if spec.kind == "choice":
        if str(raw).strip() not in spec.choices:
            raise ValidationFailed([FieldError(field, "renshe:insurance/parameter-choice",
                                               f"{spec.label}应为：{'、'.join(spec.choices)}")])
        return str(raw).strip()
    try:
        number = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValidationFailed([FieldError(field, "renshe:insurance/parameter-number",
                                           f"{spec.label}应为数字")]) from None
    if not number.is_finite():
        raise ValidationFailed([FieldError(field, "renshe:insurance/parameter-number", f"{spec.label}应为数字")])
    if spec.kind == "integer" and number != number.to_integral_value():
        raise ValidationFailed([FieldError(field, "renshe:insurance/parameter-integer", f"{spec.label}应为整数")])
    if spec.kind == "money" and number.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationFailed([FieldError(field, "renshe:insurance/parameter-money", f"{spec.label}最多两位小数")])
    if (spec.low is not None and number < spec.low) or (spec.high is not None and number > spec.high):
        raise ValidationFailed([FieldError(field, "renshe:insurance/parameter-range",
                                           f"{spec.label}应在{spec.low}至{spec.high}之间（国家规定范围）")])
    return str(number)


def _check_scheme(spec: Spec, raw: Any, field: str) -> dict[str, Any]:
    """An adjustment scheme: who retired by `retired_by` gets `fixed` + `per_contribution_year` × whole
    years + `proportional` × pension + the highest `age_tilts` band reached (yuan a month)."""
    def bad(message: str) -> ValidationFailed:
        return ValidationFailed([FieldError(field, "renshe:insurance/parameter-scheme", f"{spec.label}：{message}")])
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise bad("应为JSON对象") from None
    if not isinstance(data, dict):
        raise bad("应为JSON对象")
    try:
        retired_by = date.fromisoformat(str(data.get("retired_by", ""))).isoformat()
        money = {key: Decimal(str(data.get(key, "0"))) for key in SCHEME_MONEY}
        proportional = Decimal(str(data.get("proportional", "0")))
        tilts = {str(int(age)): str(Decimal(str(amount))) for age, amount in (data.get("age_tilts") or {}).items()}
        national_rate = str(Decimal(str(data["national_rate"]))) if data.get("national_rate") else None
    except (ValueError, InvalidOperation, TypeError, AttributeError):
        raise bad("retired_by应为YYYY-MM-DD，金额和比例应为数字，age_tilts为“年龄: 金额”") from None
    if any(v < 0 or v > 10000 for v in money.values()) or not 0 <= proportional <= Decimal("0.2") \
            or any(Decimal(v) < 0 for v in tilts.values()):
        raise bad("金额应在0至10000元之间，比例应在0至0.2之间")
    clean: dict[str, Any] = {"retired_by": retired_by, **{k: str(v) for k, v in money.items()},
                             "proportional": str(proportional), "age_tilts": tilts}
    if national_rate is not None:
        clean["national_rate"] = national_rate
    return clean


def _check_province(province: str) -> None:
    if province != NATIONAL and (len(province) != 6 or not province.endswith("0000")
                                 or divisions.get(province) is None):
        raise ValidationFailed([FieldError("province", "renshe:insurance/province", "省份代码应为有效的xx0000")])


def can_manage(actor: Principal, province: str) -> bool:
    """Administrators set parameters within their jurisdiction; national ones only from the ministry."""
    if actor.kind == "system":
        return True
    if actor.kind != "staff" or "admin" not in actor.roles:
        return False
    return (province == NATIONAL and actor.division_code == divisions.MINISTRY) or (
        province != NATIONAL and actor.can_reach(province))


def last_assessed_month(session: Session, *, province: str) -> date | None:
    """The latest month assessed in the province (any province, for the national defaults)."""
    stmt = select(func.max(Assessment.month)).select_from(Assessment).outerjoin(
        InsuredUnit, InsuredUnit.id == Assessment.unit_id)
    if province != NATIONAL:
        stmt = stmt.where(or_(InsuredUnit.province == province, Assessment.owner.startswith(f"flex:{province}:")))
    result: date | None = session.scalar(stmt)
    return result


def set_value(session: Session, *, actor: Principal, province: str, key: str, effective_from: date, value: Any,
              source: str) -> Value:
    """Record a new value from a date of effect (audited; a period already assessed is refused)."""
    _check_province(province)
    if not can_manage(actor, province):
        raise Forbidden("只有本辖区的管理员可以设置社会保险参数", code="renshe:insurance/parameter-permission")
    clean = check_value(key, value, field="value")
    source = source.strip()
    if not source or len(source) > 300:
        raise ValidationFailed([FieldError("source", "renshe:insurance/parameter-source",
                                           "请填写依据文件（文号或名称，不超过300字）")])
    # An adjustment scheme takes effect from 1 January as published mid-year: the pension batch pays the
    # months already paid as arrears (补发), never rewriting them, so assessed months do not freeze it.
    frozen = last_assessed_month(session, province=province) if key not in NOT_ASSESSED else None
    if frozen is not None and effective_from <= _month_end(frozen):
        raise Conflict(f"{frozen.strftime('%Y年%m月')}及以前已经核定，新参数只能从之后的日期起生效，不改写已核定的期间",
                       code="renshe:insurance/parameter-frozen")
    existing = session.scalar(select(InsuranceParameter).where(
        InsuranceParameter.province == province, InsuranceParameter.key == key,
        InsuranceParameter.effective_from == effective_from))
    if existing is not None:
        raise Conflict(f"“{label(key)}”在{effective_from.isoformat()}已有生效值，请换一个生效日期",
                       code="renshe:insurance/parameter-exists")
    before = find(session, province=province, key=key, on=effective_from)
    row = InsuranceParameter(province=province, key=key, effective_from=effective_from, value=clean, source=source,
                             entered_by=actor.subject)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="insurance.parameter.set", entity_type="insurance_parameter",
                 entity_id=f"{province}:{key}",
                 before=({"value": before.value, "effective_from": before.effective_from.isoformat()}
                         if before else None),
                 after={"value": clean, "effective_from": effective_from.isoformat(), "source": source})
    record_event(session, "insurance.parameter_set", {"province": province, "key": key,
                                                      "effective_from": effective_from.isoformat()})
    return _as_value(row)


def _month_end(month: date) -> date:
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def history(session: Session, *, province: str, key: str | None = None) -> list[InsuranceParameter]:
    """Every value of the province and of the national defaults, by key then date of effect."""
    stmt = select(InsuranceParameter).where(InsuranceParameter.province.in_({province, NATIONAL}))
    if key:
        stmt = stmt.where(InsuranceParameter.key == key)
    return list(session.scalars(stmt.order_by(InsuranceParameter.key, InsuranceParameter.effective_from,
                                              InsuranceParameter.province)))


# ---------------------------------------------------------------- XLSX

COLUMNS = ("province", "key", "effective_from", "value", "source")
HEADERS = ("省份代码", "参数", "生效日期", "值", "依据")


def export_xlsx(session: Session, *, province: str) -> bytes:
    """The province's parameter set and the national defaults as a workbook (re-importable)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("参数")
    sheet.append([*HEADERS, "说明"])
    for row in history(session, province=province):
        value = json.dumps(row.value, ensure_ascii=False) if isinstance(row.value, dict) else row.value
        sheet.append(tabular.xlsx_row(sheet, [row.province, row.key, row.effective_from.isoformat(), value,
                                              row.source, label(row.key)]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rows(data: bytes) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        tabular.check_xlsx(io.BytesIO(data))  # a zip bomb is refused before openpyxl unpacks it
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError):
        raise ValidationFailed([FieldError("file", "renshe:insurance/xlsx", "文件不是有效的XLSX工作簿")]) from None
    sheet = book.worksheets[0]
    lines = sheet.iter_rows(values_only=True)
    header = [str(c).strip() if c is not None else "" for c in next(lines, ())]
    names = {h: COLUMNS[HEADERS.index(h)] if h in HEADERS else h for h in header}
    missing = [HEADERS[i] for i, c in enumerate(COLUMNS) if c not in names.values()]
    if missing:
        raise ValidationFailed([FieldError("file", "renshe:insurance/xlsx-columns",
                                           f"第1行缺少列：{'、'.join(missing)}")])
    for number, line in enumerate(lines, start=2):
        values = {names[h]: v for h, v in zip(header, line, strict=False) if h}
        if all(v in (None, "") for v in values.values()):
            continue
        yield number, values


def import_xlsx(session: Session, *, actor: Principal, data: bytes) -> int:
    """Apply a parameter workbook whole or not at all; rows already present unchanged are skipped.

    Every bad row is named. Returns how many new values were recorded."""
    parsed: list[tuple[int, str, str, date, Any, str]] = []
    errors: list[FieldError] = []
    for number, values in _rows(data):
        if len(parsed) + len(errors) >= MAX_IMPORT_ROWS:
            errors.append(FieldError(f"row {number}", "renshe:insurance/xlsx-size", f"最多{MAX_IMPORT_ROWS}行"))
            break
        where = f"第{number}行"
        try:
            province = str(values.get("province") or "").strip()
            _check_province(province)
            key = str(values.get("key") or "").strip()
            raw_when = values.get("effective_from")
            when = raw_when.date() if isinstance(raw_when, datetime) else (
                raw_when if isinstance(raw_when, date) else date.fromisoformat(str(raw_when).strip()))
            value = check_value(key, values.get("value"), field="value")
            source = str(values.get("source") or "").strip()
            if not source:
                raise ValidationFailed([FieldError("source", "renshe:insurance/parameter-source", "缺少依据")])
            parsed.append((number, province, key, when, value, source))
        except ValidationFailed as exc:
            errors.extend(FieldError(f"row {number}.{e.field}", e.code, f"{where}：{e.message}") for e in exc.errors)
        except (ValueError, TypeError):
            errors.append(FieldError(f"row {number}.effective_from", "renshe:insurance/xlsx-date",
                                     f"{where}：生效日期应为YYYY-MM-DD"))
    if errors:
        raise ValidationFailed(errors, detail=f"参数文件有{len(errors)}处错误，未导入任何参数")
    added = 0
    savepoint = session.begin_nested()  # whole or nothing, even inside the caller's transaction
    for number, province, key, when, value, source in parsed:
        existing = session.scalar(select(InsuranceParameter).where(
            InsuranceParameter.province == province, InsuranceParameter.key == key,
            InsuranceParameter.effective_from == when))
        if existing is not None:
            if existing.value != value:
                errors.append(FieldError(f"row {number}.value", "renshe:insurance/parameter-exists",
                                         f"第{number}行：{when.isoformat()}已有不同的生效值，参数不改写，请换生效日期"))
            continue
        try:
            set_value(session, actor=actor, province=province, key=key, effective_from=when, value=value,
                      source=source)
        except (Conflict, Forbidden) as exc:
            errors.append(FieldError(f"row {number}", exc.code, f"第{number}行：{exc.detail}"))
            continue
        added += 1
    if errors:
        savepoint.rollback()
        raise ValidationFailed(errors, detail=f"参数文件有{len(errors)}处错误，未导入任何参数")
    savepoint.commit()
    return added


def value_of(session: Session, *, parameter_id: int) -> Value:
    """One parameter version by its id, with where it came from (a batch's trace names the version it used)."""
    return _as_value(get(session, parameter_id=parameter_id))


def get(session: Session, *, parameter_id: int) -> InsuranceParameter:
    row = session.get(InsuranceParameter, parameter_id)
    if row is None:
        raise NotFound("该参数")
    return row
