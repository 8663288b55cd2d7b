"""The data-sharing catalog: the national base resources, local resources and their versions,
and the catalog export (GB/T 21063 fields)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core import audit, ids, tabular
from renshe.core.auth import Principal
from renshe.core.errors import (
    Conflict,
    FieldError,
    NotFound,
    ValidationFailed,
)
from renshe.sharing import policy, schemas
from renshe.sharing.models import Consumer, Grant, ShareResource, ShareResourceVersion

SHANGHAI = ZoneInfo("Asia/Shanghai")
MINISTRY_NAME = "人力资源和社会保障部"
MINISTRY_CODE = "11100000000013338W"
CATALOG_DATE = date(2026, 11, 28)  # when this base catalog version was published with the code


def national_catalog() -> list[dict[str, Any]]:
    text = resources.files("renshe.sharing").joinpath("data/national_catalog.json").read_text(encoding="utf-8")
    loaded: list[dict[str, Any]] = json.loads(text)
    return loaded


def ensure_national_catalog(session: Session) -> int:
    """Add the national base resources that are missing (idempotent); returns how many were added."""
    present = {r.short_name: r for r in session.scalars(select(ShareResource))}
    added = 0
    for item in national_catalog():
        known = present.get(item["short_name"])
        if known is not None:
            changes = {key: item[key] for key in ("name", "summary", "items", "sharing_type", "condition", "method",
                                                  "update_cycle") if item[key] != getattr(known, key)}
            if changes and not known.local:  # the national base moved on: a new version, the old one kept
                _new_version(session, known, changes, "national-catalog")
                session.flush()
            continue
        session.add(ShareResource(
            code=item["code"], short_name=item["short_name"], name=item["name"], provider=MINISTRY_NAME,
            provider_code=MINISTRY_CODE, summary=item["summary"], format="JSON", items=item["items"],
            sharing_type=item["sharing_type"], condition=item["condition"], method=item["method"],
            update_cycle=item["update_cycle"], publish_date=CATALOG_DATE, version=1, local=False))
        added += 1
    if added:
        session.flush()
    return added


def resource_out(resource: ShareResource) -> schemas.ResourceOut:
    return schemas.ResourceOut(
        code=resource.code, short_name=resource.short_name, name=resource.name, provider=resource.provider,
        provider_code=resource.provider_code, summary=resource.summary, format=resource.format, items=resource.items,
        sharing_type=resource.sharing_type, sharing_type_label=schemas.SHARING_TYPE_LABELS[resource.sharing_type],
        condition=resource.condition, method=resource.method, update_cycle=resource.update_cycle,
        publish_date=resource.publish_date, version=resource.version, local=resource.local,
        openapi=f"/openapi.json#share-{resource.short_name}",
    )


def catalog(session: Session) -> list[ShareResource]:
    ensure_national_catalog(session)
    return list(session.scalars(select(ShareResource).order_by(ShareResource.code)))


def allowed_resources(session: Session, *, consumer: Principal) -> list[ShareResource]:
    stmt = (select(ShareResource).join(Grant, Grant.resource_id == ShareResource.id)
            .join(Consumer, Consumer.id == Grant.consumer_id)
            .where(Consumer.client_id == consumer.subject).order_by(ShareResource.code))
    return list(session.scalars(stmt))



@dataclass(frozen=True)
class LocalResource:
    """A province's own resource, added to the catalog beside the national base."""

    code: str
    short_name: str
    name: str
    provider: str
    provider_code: str
    summary: str
    items: list[dict[str, Any]]
    sharing_type: str = "conditional"
    condition: str = ""
    method: str = "接口"
    update_cycle: str = "实时"


SHORT_NAME = re.compile(r"^[a-z][a-z0-9-]{2,63}$")
ITEM_TYPES = ("string", "integer", "number", "date", "datetime", "boolean", "code")


def parse_items(text: str) -> tuple[list[dict[str, Any]], list[FieldError]]:
    """Data items written one per line as `name:type:length` (e.g. `人员姓名:string:50`)."""
    items: list[dict[str, Any]] = []
    errors: list[FieldError] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("：", ":").split(":")]
        kind = parts[1] if len(parts) > 1 and parts[1] else "string"
        length = parts[2] if len(parts) > 2 else "0"
        if not parts[0] or kind not in ITEM_TYPES or not length.isdigit():
            errors.append(FieldError("items", "renshe:sharing/item-line",
                                     f"信息项第{number}行应为 名称:类型:长度，类型为{'、'.join(ITEM_TYPES)}之一"))
            continue
        items.append({"name": parts[0], "type": kind, "length": int(length)})
    return items, errors


def _resource_errors(data: LocalResource) -> list[FieldError]:
    errors = []
    if not SHORT_NAME.match(data.short_name):
        errors.append(FieldError("short_name", "renshe:sharing/short-name", "简称须为3至64位小写字母、数字或连字符"))
    if data.sharing_type not in schemas.SHARING_TYPE_LABELS:
        errors.append(FieldError("sharing_type", "renshe:sharing/sharing-type",
                                 "共享类型须为 unconditional、conditional 或 none"))
    if data.sharing_type == "conditional" and not data.condition.strip():
        errors.append(FieldError("condition", "renshe:sharing/condition", "有条件共享须写明共享条件"))
    if not data.name.strip() or not data.code.strip():
        errors.append(FieldError("name", "renshe:sharing/name", "请填写资源代码和名称"))
    try:
        ids.parse_credit_code(data.provider_code, field="provider_code")
    except ids.IdentifierError as exc:
        errors.extend(exc.errors)
    if not data.items or any(not isinstance(i, dict) or not i.get("name") for i in data.items):
        errors.append(FieldError("items", "renshe:sharing/items", "至少列出一个信息项（name、type、length）"))
    return errors


def add_local_resource(session: Session, *, actor: Principal, data: LocalResource) -> ShareResource:
    """Add a local resource (本地扩展目录); its code and short name must be new."""
    policy.require(actor, "manage")
    ensure_national_catalog(session)
    errors = _resource_errors(data)
    if errors:
        raise ValidationFailed(errors)
    clash = session.scalar(select(ShareResource.id).where(
        (ShareResource.code == data.code) | (ShareResource.short_name == data.short_name)))
    if clash:
        raise Conflict("资源代码或简称已存在", code="renshe:sharing/duplicate-resource")
    resource = ShareResource(
        code=data.code, short_name=data.short_name, name=data.name, provider=data.provider,
        provider_code=data.provider_code, summary=data.summary, format="JSON", items=data.items,
        sharing_type=data.sharing_type, condition=data.condition, method=data.method,
        update_cycle=data.update_cycle, publish_date=date.today(), version=1, local=True)
    session.add(resource)
    session.flush()
    audit.record(session, actor=actor, action="sharing.add_resource", entity_type="resource",
                 entity_id=resource.short_name, after={"code": resource.code, "name": resource.name})
    return resource


EDITABLE = ("name", "provider", "provider_code", "summary", "items", "sharing_type", "condition", "method",
            "update_cycle")


def _snapshot(resource: ShareResource) -> dict[str, Any]:
    return {"code": resource.code, "publish_date": resource.publish_date.isoformat(),
            **{key: getattr(resource, key) for key in EDITABLE}}


def _new_version(session: Session, resource: ShareResource, changes: dict[str, Any], by: str) -> None:
    """Keep the current version in the history, apply the changes, publish the next version today."""
    session.add(ShareResourceVersion(resource_id=resource.id, version=resource.version, snapshot=_snapshot(resource),
                                     replaced_by=by[:64]))
    for key, value in changes.items():
        setattr(resource, key, value)
    resource.version += 1
    resource.publish_date = date.today()


def update_local_resource(session: Session, *, actor: Principal, short_name: str, data: LocalResource,
                          expected_version: int | None = None) -> ShareResource:
    """Edit a local resource: a new version (the old one kept in its history). The code and short name stay;
    national resources change only with the national base catalog."""
    policy.require(actor, "manage")
    resource = get_resource(session, short_name=short_name)
    if not resource.local:
        raise Conflict("国家基础目录的资源随国家目录更新，本地不能修改", code="renshe:sharing/national-resource")
    if expected_version is not None and expected_version != resource.version:
        raise Conflict(f"该资源已被他人修改为第{resource.version}版，请刷新后再改", code="renshe:sharing/stale-version")
    errors = _resource_errors(LocalResource(**{**data.__dict__, "code": resource.code, "short_name": short_name}))
    if errors:
        raise ValidationFailed(errors)
    changes = {key: getattr(data, key) for key in EDITABLE if getattr(data, key) != getattr(resource, key)}
    if not changes:
        return resource
    before = {key: getattr(resource, key) for key in changes}
    _new_version(session, resource, changes, actor.subject)
    session.flush()
    audit.record(session, actor=actor, action="sharing.update_resource", entity_type="resource",
                 entity_id=short_name, before=before, after={**changes, "version": resource.version})
    return resource


def get_resource(session: Session, *, short_name: str) -> ShareResource:
    resource = session.scalar(select(ShareResource).where(ShareResource.short_name == short_name))
    if resource is None:
        raise NotFound("该共享资源", code="renshe:sharing/unknown-resource")
    return resource


def resource_history(session: Session, *, resource: ShareResource) -> list[ShareResourceVersion]:
    return list(session.scalars(select(ShareResourceVersion).where(ShareResourceVersion.resource_id == resource.id)
                                .order_by(ShareResourceVersion.version.desc())))


EXPORT_COLUMNS = (
    ("code", "资源代码"), ("name", "资源名称"), ("short_name", "简称"), ("provider", "提供方"),
    ("provider_code", "提供方代码"), ("summary", "摘要"), ("format", "资源格式"), ("items", "信息项"),
    ("sharing_type_label", "共享类型"), ("condition", "共享条件"), ("method", "共享方式"),
    ("update_cycle", "更新周期"), ("publish_date", "发布日期"), ("version", "版本"), ("local", "本地扩展"),
)


def export_catalog(session: Session, *, fmt: str, out: IO[bytes]) -> int:
    """Write the local catalog (national base plus local resources) as JSON or XLSX for reporting upward."""
    rows = [resource_out(r).model_dump(mode="json") for r in catalog(session)]
    if fmt == "json":
        out.write(json.dumps(rows, ensure_ascii=False, indent=2).encode())
        return len(rows)
    if fmt != "xlsx":
        raise ValidationFailed([FieldError("format", "renshe:sharing/format", "导出格式须为 json 或 xlsx")])
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("共享目录")
    sheet.append([label for _key, label in EXPORT_COLUMNS])
    for row in rows:
        values = []
        for key, _label in EXPORT_COLUMNS:
            value = row[key]
            if key == "items":
                value = "；".join(f"{i['name']}({i.get('type', '')},{i.get('length', '')})" for i in value)
            elif key == "local":
                value = "是" if value else "否"
            values.append(value)
        sheet.append(tabular.xlsx_row(sheet, values))
    book.save(out)
    return len(rows)
