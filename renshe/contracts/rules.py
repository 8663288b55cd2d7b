"""Labour-contract rules as pure code over the template data (`data/contracts.json`): the required clauses of
《劳动合同法》 art. 17 checked field by field, the term rules, the probation caps of art. 19, and the warning
dates (art. 10 and 82: a written contract within one month of the start; a fixed term ending within 30 days).

Nothing here touches the database: the service calls it and turns the problems into a 422 naming each field."""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

from renshe.core.errors import FieldError

TERM_KINDS = {"fixed": "固定期限", "open_ended": "无固定期限", "task": "以完成一定工作任务为期限"}
EXPIRY_WARNING_DAYS = 30


@dataclass(frozen=True)
class Template:
    code: str
    name: str
    basis: str
    fields: tuple[dict[str, Any], ...]
    defaults: dict[str, Any]

    def field(self, key: str) -> dict[str, Any]:
        return next(f for f in self.fields if f["key"] == key)


@cache
def _data() -> dict[str, Any]:
    text = resources.files("renshe.contracts").joinpath("data/contracts.json").read_text(encoding="utf-8")
    found: dict[str, Any] = json.loads(text)
    return found


def templates() -> dict[str, Template]:
    return {t["code"]: Template(t["code"], t["name"], t["basis"], tuple(t["fields"]), dict(t.get("defaults", {})))
            for t in _data()["templates"]}


def termination_reasons() -> dict[str, str]:
    return dict(_data()["termination_reasons"])


def add_months(day: date, months: int) -> date:
    """The same day MONTHS later (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def probation_cap(term_kind: str, start: date, end: date | None) -> int:
    """The longest probation in months (art. 19): none for a task contract or a term under three months; one
    month under a year; two months under three years; six months for three years or more or open-ended."""
    if term_kind == "task":
        return 0
    if term_kind == "open_ended" or end is None:
        return 6
    if end < add_months(start, 3):
        return 0
    if end < add_months(start, 12):
        return 1
    if end < add_months(start, 36):
        return 2
    return 6


def _error(key: str, rule: str, message: str) -> FieldError:
    return FieldError(f"fields.{key}", f"renshe:contracts/{rule}", message)


def _one(spec: dict[str, Any], raw: Any) -> tuple[Any, FieldError | None]:
    key, label, kind = spec["key"], spec["label"], spec["type"]
    text = "" if raw is None else str(raw).strip()
    if not text:
        if spec.get("required"):
            return None, _error(key, "required", f"请填写“{label}”")
        return None, None
    if kind == "text":
        limit = int(spec.get("max_length", 200))
        if len(text) > limit:
            return None, _error(key, "too-long", f"“{label}”最多{limit}个字")
        return text, None
    if kind == "choice":
        choices: dict[str, str] = spec["choices"]
        if text not in choices:
            return None, _error(key, "choice", f"“{label}”应为：{'、'.join(choices.values())}")
        return text, None
    if kind == "date":
        try:
            return date.fromisoformat(text).isoformat(), None
        except ValueError:
            return None, _error(key, "date", f"“{label}”应为日期（YYYY-MM-DD）")
    try:  # int and fen
        value = int(text)
    except ValueError:
        return None, _error(key, "integer", f"“{label}”应为整数")
    if "min" in spec and value < int(spec["min"]):
        return None, _error(key, "range", f"“{label}”不能小于{spec['min']}")
    if "max" in spec and value > int(spec["max"]):
        return None, _error(key, "range", f"“{label}”不能大于{spec['max']}")
    return value, None


def check(template: Template, values: dict[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """The contract's fields cleaned (defaults filled in) and every problem, each naming its field."""
    clean: dict[str, Any] = {}
    errors: list[FieldError] = []
    unknown = sorted(set(values) - {f["key"] for f in template.fields})
    errors += [_error(k, "unknown-field", f"模板“{template.name}”没有“{k}”这一项") for k in unknown]
    for spec in template.fields:
        raw = values.get(spec["key"])
        if (raw is None or str(raw).strip() == "") and spec["key"] in template.defaults:
            raw = template.defaults[spec["key"]]
        value, problem = _one(spec, raw)
        if problem is not None:
            errors.append(problem)
        elif value is not None:
            clean[spec["key"]] = value
    if errors:
        return clean, errors
    start = date.fromisoformat(clean["start_date"])
    end = date.fromisoformat(clean["end_date"]) if clean.get("end_date") else None
    kind = clean["term_kind"]
    if kind == "fixed" and end is None:
        errors.append(_error("end_date", "end-required", "固定期限劳动合同须填写“合同终止日期”"))
    if kind != "fixed" and end is not None:
        errors.append(_error("end_date", "end-not-allowed", f"{TERM_KINDS[kind]}劳动合同不填写“合同终止日期”"))
    if end is not None and end <= start:
        errors.append(_error("end_date", "end-before-start", "“合同终止日期”应晚于“合同开始日期”"))
    if kind == "task" and not clean.get("task_description"):
        errors.append(_error("task_description", "task-required",
                             "以完成一定工作任务为期限的合同须写明“约定的工作任务”"))
    if not errors:
        cap = probation_cap(kind, start, end)
        if int(clean["probation_months"]) > cap:
            errors.append(_error("probation_months", "probation-cap",
                                 f"按劳动合同法第十九条，本合同期限的试用期最长{cap}个月"))
    return clean, errors


def no_contract_since(on: date) -> date:
    """A relation that started on or before this day has passed the one month for a written contract (art. 10)
    when it still has none on ON (art. 82: double wage from the second month)."""
    return add_months(on, -1)


def expiring_by(on: date) -> date:
    return on + timedelta(days=EXPIRY_WARNING_DAYS)


def field_rows(template: Template, fields: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value as read) of each filled clause, in the template's order, for the document and the pages."""
    rows: list[tuple[str, str]] = []
    for spec in template.fields:
        if spec["key"] not in fields:
            continue
        value = fields[spec["key"]]
        if spec["type"] == "choice":
            text = spec["choices"].get(value, str(value))
        elif spec["type"] == "fen":
            text = f"{int(value) // 100}.{int(value) % 100:02d} 元"
        else:
            text = str(value)
        rows.append((spec["label"].replace("（分）", ""), text))
    return rows
