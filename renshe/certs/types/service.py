"""The configured certificate types (renshe/certs/data/types.json) and the check of their fields."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

from renshe.certs import identifiers
from renshe.core.errors import FieldError, ValidationFailed


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    type: str  # text | choice | date
    required: bool
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    hint: str = ""


@dataclass(frozen=True)
class CertType:
    key: str
    code: str
    name: str
    name_en: str
    holder_code_type: str
    validity_years: int | None
    issuer_level: str
    number_prefix: str
    fields: tuple[FieldSpec, ...]


@cache
def cert_types() -> dict[str, CertType]:
    """The configured certificate types (renshe/certs/data/types.json), checked once."""
    text = resources.files("renshe.certs").joinpath("data/types.json").read_text(encoding="utf-8")
    data = json.loads(text)
    found: dict[str, CertType] = {}
    for item in data["types"]:
        code = str(item["code"])
        if len(code) != 21 or not identifiers.credit_code_ok(code[:18]) or not code[18:].isdigit():
            raise ValueError(f"certificate type {item['key']}: {code} is not a GB/T 36904 type code")
        found[item["key"]] = CertType(
            key=item["key"], code=code, name=item["name"], name_en=item["name_en"],
            holder_code_type=item["holder_code_type"], validity_years=item["validity_years"],
            issuer_level=item["issuer_level"], number_prefix=item["number_prefix"],
            fields=tuple(FieldSpec(f["name"], f["label"], f["type"], bool(f["required"]),
                                   tuple(f.get("choices", ())), f.get("pattern"), f.get("hint", ""))
                         for f in item["fields"]))
    return found


def cert_type(key: str) -> CertType:
    found = cert_types().get(key)
    if found is None:
        raise ValidationFailed([FieldError("type", "renshe:certs/unknown-type", f"没有证照类型“{key}”")])
    return found


def check_fields(kind: CertType, values: dict[str, str]) -> dict[str, str]:
    """The type's fields from `values`, trimmed; every broken rule reported at once."""
    errors: list[FieldError] = []
    clean: dict[str, str] = {}
    unknown = sorted(set(values) - {f.name for f in kind.fields})
    if unknown:
        errors.append(FieldError("fields", "renshe:certs/unknown-field",
                                 f"{kind.name}没有信息项：{'、'.join(unknown)}"))
    for spec in kind.fields:
        value = (values.get(spec.name) or "").strip()
        where = f"fields.{spec.name}"
        if not value:
            if spec.required:
                errors.append(FieldError(where, "renshe:certs/required", f"请填写{spec.label}"))
            continue
        if len(value) > 100:
            errors.append(FieldError(where, "renshe:certs/too-long", f"{spec.label}不能超过100个字"))
        elif spec.type == "choice" and value not in spec.choices:
            errors.append(FieldError(where, "renshe:certs/choice", f"{spec.label}应为：{'、'.join(spec.choices)}"))
        elif spec.type == "date":
            try:
                date.fromisoformat(value)
            except ValueError:
                errors.append(FieldError(where, "renshe:certs/date", f"{spec.label}应为日期，格式YYYY-MM-DD"))
        elif spec.pattern and not re.match(spec.pattern, value):
            errors.append(FieldError(where, "renshe:certs/pattern", f"{spec.label}格式不正确：{spec.hint}"))
        clean[spec.name] = value
    if errors:
        raise ValidationFailed(errors)
    return clean
