"""Forms as data: a JSON Schema (draft 2020-12) subset with layout hints, checked on the server with a
Chinese message per field that names the field and the rule.

Supported keywords: `type` (string, integer, number, boolean), `required`, `properties` with `title`,
`type`, `enum`, `pattern`, `minLength`, `maxLength`, `minimum`, `maximum`, `format: date`; layout hints
`groups` (ordered `{title, fields}`), `widget`, `help`, `enumNames`, `patternHint`; `prefill` naming the
data-sharing field a property maps to, and `pii` (id_number, phone, bank_account) for masking.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from renshe.core.errors import FieldError

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
TYPES = ("string", "integer", "number", "boolean")
WIDGETS = ("text", "textarea", "select", "radio", "date", "checkbox", "number")
PII_KINDS = ("id_number", "phone", "bank_account")
PROPERTY_KEYWORDS = frozenset({
    "title", "type", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum", "format",
    "widget", "help", "enumNames", "patternHint", "prefill", "pii", "description",
})
SCHEMA_KEYWORDS = frozenset({"$schema", "$id", "title", "type", "required", "properties", "groups",
                             "description"})
TRUE_WORDS = frozenset({"true", "on", "1", "yes", "是"})
FALSE_WORDS = frozenset({"false", "off", "0", "no", "否", ""})


class SchemaError(ValueError):
    """An item's form definition uses something outside the supported subset."""


@dataclass(frozen=True)
class FormField:
    name: str
    title: str
    type: str
    required: bool
    group: str
    widget: str
    help: str = ""
    enum: tuple[Any, ...] | None = None
    enum_names: tuple[str, ...] | None = None
    pattern: str | None = None
    pattern_hint: str = ""
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    format: str | None = None
    prefill: str | None = None
    pii: str | None = None

    def label_of(self, value: Any) -> str:
        """The text a person reads for a stored value (enum label, 是/否, the value itself)."""
        if value is None or value == "":
            return ""
        if self.enum is not None and self.enum_names is not None and value in self.enum:
            return self.enum_names[self.enum.index(value)]
        if self.type == "boolean":
            return "是" if value else "否"
        return str(value)

    @property
    def options(self) -> list[tuple[Any, str]]:
        if self.enum is None:
            return []
        names = self.enum_names or tuple(str(v) for v in self.enum)
        return list(zip(self.enum, names, strict=True))


def check_schema(schema: Mapping[str, Any]) -> list[FormField]:
    """Check a form definition against the supported subset; return its fields in display order."""
    unknown = set(schema) - SCHEMA_KEYWORDS
    if unknown:
        raise SchemaError(f"unsupported schema keywords: {sorted(unknown)}")
    if schema.get("$schema", SCHEMA_DIALECT) != SCHEMA_DIALECT or schema.get("type", "object") != "object":
        raise SchemaError("a form is a draft 2020-12 schema of type object")
    properties: Mapping[str, Mapping[str, Any]] = schema.get("properties", {})
    required = set(schema.get("required", []))
    if required - set(properties):
        raise SchemaError(f"required names unknown properties: {sorted(required - set(properties))}")
    groups = schema.get("groups") or [{"title": "", "fields": list(properties)}]
    placed: list[tuple[str, str]] = [(name, g.get("title", "")) for g in groups for name in g["fields"]]
    names = [n for n, _ in placed]
    if sorted(names) != sorted(properties) or len(set(names)) != len(names):
        raise SchemaError("groups must place every property exactly once")
    return [_field(name, properties[name], name in required, group) for name, group in placed]


def _field(name: str, spec: Mapping[str, Any], required: bool, group: str) -> FormField:
    unknown = set(spec) - PROPERTY_KEYWORDS
    if unknown:
        raise SchemaError(f"{name}: unsupported keywords {sorted(unknown)}")
    kind = spec.get("type", "string")
    if kind not in TYPES:
        raise SchemaError(f"{name}: unsupported type {kind!r}")
    if "title" not in spec:
        raise SchemaError(f"{name}: every property needs a title (it names the field in messages)")
    fmt = spec.get("format")
    if fmt not in (None, "date"):
        raise SchemaError(f"{name}: unsupported format {fmt!r}")
    enum = tuple(spec["enum"]) if "enum" in spec else None
    names = tuple(spec["enumNames"]) if "enumNames" in spec else None
    if names is not None and (enum is None or len(names) != len(enum)):
        raise SchemaError(f"{name}: enumNames must match enum")
    pattern = spec.get("pattern")
    if pattern is not None:
        re.compile(pattern)
    if spec.get("pii") not in (None, *PII_KINDS):
        raise SchemaError(f"{name}: unknown pii kind")
    widget = spec.get("widget") or (
        "date" if fmt == "date" else "select" if enum else "checkbox" if kind == "boolean"
        else "number" if kind in ("integer", "number") else "text")
    if widget not in WIDGETS:
        raise SchemaError(f"{name}: unknown widget {widget!r}")
    return FormField(
        name=name, title=spec["title"], type=kind, required=required, group=group, widget=widget,
        help=spec.get("help", ""), enum=enum, enum_names=names, pattern=pattern,
        pattern_hint=spec.get("patternHint", ""), min_length=spec.get("minLength"),
        max_length=spec.get("maxLength"), minimum=spec.get("minimum"), maximum=spec.get("maximum"),
        format=fmt, prefill=spec.get("prefill"), pii=spec.get("pii"),
    )


def _coerce(field: FormField, raw: Any) -> tuple[Any, str | None]:
    """Turn submitted text (or JSON values) into the field's type; the message if it cannot be."""
    title = field.title
    if field.type == "boolean":
        if isinstance(raw, bool):
            return raw, None
        text = str(raw).strip().lower()
        if text in TRUE_WORDS:
            return True, None
        if text in FALSE_WORDS:
            return False, None
        return None, f"“{title}”应选择是或否"
    if field.type in ("integer", "number"):
        if isinstance(raw, bool):
            return None, f"“{title}”应为{'整数' if field.type == 'integer' else '数字'}"
        if isinstance(raw, int | float) and not (field.type == "integer" and isinstance(raw, float)
                                                 and not raw.is_integer()):
            return (int(raw) if field.type == "integer" else raw), None
        text = str(raw).strip()
        try:
            return (int(text) if field.type == "integer" else float(text)), None
        except ValueError:
            return None, f"“{title}”应为{'整数' if field.type == 'integer' else '数字'}"
    if not isinstance(raw, str):
        return None, f"“{title}”应为文本"
    return raw.strip(), None


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def check_value(field: FormField, raw: Any) -> tuple[Any, str | None, str | None]:
    """Check one submitted value; return (clean value, rule code, Chinese message)."""
    title = field.title
    if _is_blank(raw) or (field.type == "boolean" and field.required and raw in (False, "false", "off")):
        if field.required:
            verb = "请确认" if field.type == "boolean" else "请选择" if field.enum else "请填写"
            return None, "required", f"{verb}“{title}”（必填项）"
        return None, None, None
    value, problem = _coerce(field, raw)
    if problem:
        return None, "type", problem
    if field.enum is not None and value not in field.enum:
        return None, "enum", f"“{title}”的取值不在可选范围内，请从列表中选择"
    if isinstance(value, str):
        if field.min_length is not None and len(value) < field.min_length:
            return None, "min-length", f"“{title}”至少应有{field.min_length}个字符"
        if field.max_length is not None and len(value) > field.max_length:
            return None, "max-length", f"“{title}”最多{field.max_length}个字符"
        if field.format == "date":
            try:
                date.fromisoformat(value)
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                    raise ValueError(value)
            except ValueError:
                return None, "date", f"“{title}”应为有效日期，格式为YYYY-MM-DD"
        if field.pattern is not None and not re.search(field.pattern, value):
            hint = field.pattern_hint or "不符合规定格式"
            return None, "pattern", f"“{title}”格式不正确：{hint}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if field.minimum is not None and value < field.minimum:
            return None, "minimum", f"“{title}”不能小于{_num(field.minimum)}"
        if field.maximum is not None and value > field.maximum:
            return None, "maximum", f"“{title}”不能大于{_num(field.maximum)}"
    return value, None, None


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def validate(
    fields: list[FormField], submitted: Mapping[str, Any], locked: Mapping[str, Any], *, prefix: str = "data.",
) -> tuple[dict[str, Any], list[FieldError]]:
    """Check submitted values against the form. A locked field always takes the platform's value,
    whatever was submitted for it; unknown submitted names are ignored."""
    clean: dict[str, Any] = {}
    errors: list[FieldError] = []
    for field in fields:
        if field.name in locked:
            clean[field.name] = locked[field.name]
            continue
        value, code, message = check_value(field, submitted.get(field.name))
        if code is not None and message is not None:
            errors.append(FieldError(f"{prefix}{field.name}", f"renshe:hall/form-{code}", message))
        elif value is not None:
            clean[field.name] = value
    return clean, errors
