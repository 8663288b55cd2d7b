"""What the application forms' pages share: the form with its locked (prefilled) values and their sources,
uploaded files, the proxy (代办) fields, and errors shown beside fields."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from renshe.core import divisions
from renshe.core.errors import DomainError, FieldError
from renshe.core.http import local_time
from renshe.hall import forms, schemas
from renshe.hall.applications import materials, reading
from renshe.hall.catalog import service as catalog
from renshe.sharing import service as sharing

SOURCES = {"demo": "演示数据", "import": "批量导入", "窗口登记": "窗口登记", "window": "窗口登记"}
PROXY_FIELDS = ("rep_id_number", "rep_name", "rep_relationship", "rep_statement", "rep_consent")


@lru_cache
def resource_names() -> dict[str, str]:
    """The sharing catalog's resource names by short name."""
    return {r["short_name"]: r["name"] for r in sharing.national_catalog()}


def provenance_text(resource: str, source: str, updated_at: str) -> str:
    """Where a locked value came from, in words."""
    when = local_time(datetime.fromisoformat(updated_at)) if updated_at else ""
    return f"来源：{resource_names().get(resource, resource)}（{SOURCES.get(source, source)}），更新于 {when}"


def uploads(body: FormData) -> list[materials.Upload]:
    """Files posted as `material:<code>`; an over-size file is cut at the limit + 1 byte (refused later)."""
    limit = materials.max_upload_bytes()
    found = []
    for key, value in body.multi_items():
        if key.startswith("material:") and isinstance(value, UploadFile) and value.filename:
            found.append(materials.Upload(key.split(":", 1)[1], value.filename, value.file.read(limit + 1)))
    return found


def field_errors(errors: list[FieldError]) -> dict[str, str]:
    """The first message for each field (an API field `data.x` is the page's `x`)."""
    found: dict[str, str] = {}
    for e in errors:
        key = e.field.removeprefix("data.")
        found.setdefault(key, e.message)
    return found


def locked_values(fields: list[forms.FormField], prefilled: dict[str, sharing.Prefilled]) -> dict[str, dict[str, str]]:
    """How each prefilled field is shown and its source. Personal numbers are masked on the form, the
    person's own too (anyone beside them reads the screen): a locked field's
    submitted value is ignored, the platform's is used."""
    locked: dict[str, dict[str, str]] = {}
    by_name = {f.name: f for f in fields}
    for name, p in prefilled.items():
        field = by_name.get(name)
        if field is None:
            continue
        value = p.value
        if field.pii:
            value = reading.MASKERS[field.pii](str(value))
        display = field.label_of(value)
        if name == "residence_division":
            display = f"{value} {divisions.full_name(str(value))}"
        locked[name] = {"display": display,
                        "provenance": provenance_text(p.resource, p.source, p.updated_at.isoformat())}
    return locked


def field_groups(fields: list[forms.FormField]) -> list[tuple[str, list[forms.FormField]]]:
    """The form's fields in their groups, in order."""
    groups: list[tuple[str, list[forms.FormField]]] = []
    for field in fields:
        if not groups or groups[-1][0] != field.group:
            groups.append((field.group, []))
        groups[-1][1].append(field)
    return groups


def form_context(session: Session, *, person: Any, item_code: str) -> dict[str, Any]:
    """What the apply form needs: the item, its fields by group, locked values, materials, certificates."""
    item = catalog.get_item(session, item_code)
    revision = catalog.current_revision(session, item)
    fields = reading.form_fields(revision)
    prefilled = reading.prefill_for(session, person=person, revision=revision)
    certified = materials.certificate_materials(session, person=person, revision=revision) if person else {}
    return {"item": item, "revision": revision, "groups": field_groups(fields),
            "locked": locked_values(fields, prefilled), "materials": list(revision.materials),
            "certified": certified, "max_mb": materials.max_upload_bytes() // (1024 * 1024)}


def representation(values: dict[str, Any]) -> schemas.RepresentationIn:
    """The proxy (代办) fields of the form, validated."""
    return schemas.RepresentationIn.model_validate({
        "id_number": values.get("rep_id_number", ""), "name": values.get("rep_name", ""),
        "relationship": values.get("rep_relationship", ""), "statement": values.get("rep_statement", ""),
        "code": values.get("rep_code") or None, "consent": values.get("rep_consent") or None})


def proxy_errors(exc: Exception) -> list[FieldError]:
    """A rejected representation as messages beside the proxy fields (anything else goes up)."""
    if isinstance(exc, ValidationError):
        names = {"id_number": "被代办人公民身份号码", "name": "被代办人姓名", "relationship": "与被代办人关系",
                 "statement": "授权声明", "code": "验证码", "consent": "同意凭证"}
        return [FieldError(f"rep_{e['loc'][0]}", "renshe:hall/representation",
                           f"请正确填写“{names.get(str(e['loc'][0]), str(e['loc'][0]))}”"
                           + ("（至少10个字）" if e["loc"][0] == "statement" else "")) for e in exc.errors()]
    if isinstance(exc, DomainError):
        return [FieldError("rep_" + e.field.split(".")[-1], e.code, e.message) for e in exc.errors] or [
            FieldError("rep_id_number", exc.code, exc.detail)]
    raise exc
