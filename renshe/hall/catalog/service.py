"""The item catalog of the service hall (事项目录): national specifications, the province's local items and
their immutable revisions, adaptations to a new national version, and the catalog export. The only code
that writes the catalog tables."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.certs import service as certs
from renshe.core import audit, tabular
from renshe.core.auth import Principal
from renshe.core.errors import FieldError, NotFound, ValidationFailed
from renshe.core.events import record_event
from renshe.core.settings import get_settings
from renshe.hall import clock, forms, policy, schemas, workflow
from renshe.hall.models import HallItem, ItemRevision, NationalSpec

ADAPTATION_MONTHS = 6  # a local adaptation follows a new national version within six months


def catalog_files() -> list[dict[str, Any]]:
    """The item definitions shipped with the code (data/items/*.json), in catalog order."""
    folder = resources.files("renshe.hall").joinpath("data/items")
    items = [json.loads(f.read_text(encoding="utf-8")) for f in folder.iterdir() if f.name.endswith(".json")]
    return sorted(items, key=lambda i: (i.get("sort", 999), i["code"]))


MATERIAL_KEYS = frozenset({"code", "name", "required", "form", "copies", "note", "shared", "certificate_types"})


def check_materials(materials: Any) -> list[FieldError]:
    """Check an item's material list (申请材料): what is wrong, one Chinese message per problem.

    Each material is an object with a `code` (lower-case letters, digits, underscores; unique), a `name`,
    optional `required` / `shared` (true or false), `form`, `copies`, `note`, and `certificate_types`: GB/T
    36904 type codes of the certificate library whose valid certificate satisfies it (免于上传)."""
    if not isinstance(materials, list):
        return [FieldError("materials", "renshe:hall/materials-shape", "申请材料应为列表（JSON数组）")]
    known_types = {t.code: t.name for t in certs.cert_types().values()}
    errors: list[FieldError] = []
    seen: set[str] = set()
    for i, m in enumerate(materials, start=1):
        where = f"第{i}项材料"
        if not isinstance(m, dict):
            errors.append(FieldError("materials", "renshe:hall/materials-shape", f"{where}应为对象（JSON对象）"))
            continue
        unknown = sorted(set(m) - MATERIAL_KEYS)
        if unknown:
            errors.append(FieldError("materials", "renshe:hall/materials-key",
                                     f"{where}有不支持的项：{'、'.join(unknown)}"))
        code = m.get("code")
        if not isinstance(code, str) or not code or len(code) > 40 or not all(
                c.islower() or c.isdigit() or c == "_" for c in code) or not code[0].isalpha():
            errors.append(FieldError("materials", "renshe:hall/materials-code",
                                     f"{where}的编码（code）应为小写字母开头的字母、数字或下划线，最多40个字符"))
        elif code in seen:
            errors.append(FieldError("materials", "renshe:hall/materials-duplicate", f"材料编码“{code}”重复"))
        else:
            seen.add(code)
        name = m.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            errors.append(FieldError("materials", "renshe:hall/materials-name",
                                     f"{where}须有名称（name），最多100个字"))
        for flag in ("required", "shared"):
            if flag in m and not isinstance(m[flag], bool):
                errors.append(FieldError("materials", "renshe:hall/materials-flag", f"{where}的{flag}应为true或false"))
        types = m.get("certificate_types")
        if types is not None:
            if not isinstance(types, list) or not types or not all(isinstance(t, str) for t in types):
                errors.append(FieldError("materials", "renshe:hall/materials-certificate",
                                         f"{where}的certificate_types应为证照类型代码的列表"))
            else:
                missing = [t for t in types if t not in known_types]
                if missing:
                    errors.append(FieldError("materials", "renshe:hall/materials-certificate",
                                             f"{where}引用了电子证照库中没有的证照类型代码：{'、'.join(missing)}"))
                if m.get("shared"):
                    errors.append(FieldError("materials", "renshe:hall/materials-certificate",
                                             f"{where}已通过数据共享免交，不能同时由电子证照提供"))
    return errors


def check_definition(code: str, *, form: Mapping[str, Any], workflow_def: Mapping[str, Any],
                      legal: int, promised: int, case_type: str, materials: Any = None) -> None:
    try:
        forms.check_schema(form)
        workflow.parse(workflow_def)
    except (forms.SchemaError, workflow.WorkflowError) as exc:
        raise ValidationFailed([FieldError("form", "renshe:hall/definition", f"事项 {code} 的定义有误：{exc}")]) \
            from None
    if materials is not None:
        material_errors = check_materials(materials)
        if material_errors:
            raise ValidationFailed(material_errors)
    if case_type not in schemas.CASE_TYPE_LABELS:
        raise ValidationFailed([FieldError("case_type", "renshe:hall/case-type", "办件类型应为即办件或承诺件")])
    if promised < 0 or legal < 0:
        raise ValidationFailed([FieldError("promised_limit_days", "renshe:hall/limit-negative", "时限不能为负数")])
    if promised > legal:
        raise ValidationFailed([FieldError(
            "promised_limit_days", "renshe:hall/promised-exceeds-legal",
            f"承诺时限（{promised}个工作日）不能超过法定时限（{legal}个工作日）")])


def latest_spec(session: Session, code: str) -> NationalSpec:
    spec = session.scalar(select(NationalSpec).where(NationalSpec.code == code)
                          .order_by(NationalSpec.version.desc()).limit(1))
    if spec is None:
        raise NotFound("该事项的国家统一规范", code="renshe:hall/spec-not-found")
    return spec


def can_manage(actor: Principal) -> bool:
    """Whether the caller maintains the catalog (publishes national versions, adapts local items)."""
    return policy.can(actor, "catalog.manage")


def require_manager(actor: Principal) -> None:
    """Raise the audited 403 unless the caller maintains the catalog."""
    policy.require(actor, "catalog.manage", entity_type="hall_item")


def load_catalog(session: Session, *, actor: Principal) -> int:
    """Load the shipped national specifications and the province's adaptations (idempotent).

    A national version not yet known is added; a local item is created on first load; a local item
    whose national version is now older is flagged for adaptation. Returns how many rows were added.
    """
    require_manager(actor)
    province = get_settings().province_code
    added = 0
    for definition in catalog_files():
        national = definition["national"]
        code = definition["code"]
        wf = workflow.load_definition(national.get("workflow", "default"))
        spec = session.scalar(select(NationalSpec).where(NationalSpec.code == code,
                                                         NationalSpec.version == national["version"]))
        if spec is None:
            check_definition(code, form=national["form"], workflow_def=wf, legal=national["legal_limit_days"],
                              promised=national["legal_limit_days"], case_type=national["case_type"],
                              materials=national["materials"])
            spec = NationalSpec(
                code=code, version=national["version"], name=national["name"], case_type=national["case_type"],
                legal_limit_days=national["legal_limit_days"], guide=national["guide"], form=national["form"],
                materials=national["materials"], workflow=wf, change_note=national.get("change_note", ""),
                published_on=date.fromisoformat(national["published_on"]))
            session.add(spec)
            session.flush()
            added += 1
            _flag_adaptations(session, spec)
        item = session.scalar(select(HallItem).where(HallItem.code == code, HallItem.division_code == province))
        if item is None:
            local = definition.get("local", {})
            promised = int(local.get("promised_limit_days", spec.legal_limit_days))
            guide = {**spec.guide, **local.get("guide", {})}
            form = local.get("form", spec.form)
            materials = local.get("materials", spec.materials)
            check_definition(code, form=form, workflow_def=spec.workflow, legal=spec.legal_limit_days,
                              promised=promised, case_type=spec.case_type, materials=materials)
            item = HallItem(code=code, division_code=province, name=spec.name,
                            category=definition.get("category", ""), case_type=spec.case_type,
                            legal_limit_days=spec.legal_limit_days, promised_limit_days=promised,
                            based_on_version=spec.version, current_revision=1, sort_order=definition.get("sort", 0))
            session.add(item)
            session.flush()
            session.add(ItemRevision(
                item_id=item.id, revision=1, national_version=spec.version, name=spec.name, case_type=spec.case_type,
                legal_limit_days=spec.legal_limit_days, promised_limit_days=promised, guide=guide, form=form,
                materials=materials, workflow=spec.workflow, note="首次按国家统一规范编制本地事项",
                created_by=actor.subject))
            session.flush()
            added += 1
            audit.record(session, actor=actor, action="hall.item_create", entity_type="hall_item", entity_id=code,
                         after={"division_code": province, "national_version": spec.version,
                                "promised_limit_days": promised})
    return added


def _flag_adaptations(session: Session, spec: NationalSpec) -> int:
    """Flag every local item built on an older version: adapt within six months of publication."""
    due = clock.add_months(spec.published_on, ADAPTATION_MONTHS)
    flagged = 0
    for item in session.scalars(select(HallItem).where(HallItem.code == spec.code,
                                                       HallItem.based_on_version < spec.version)):
        if item.adaptation_due is None:
            item.adaptation_due = due
            flagged += 1
    session.flush()
    return flagged


def publish_national(
    session: Session, *, actor: Principal, code: str, changes: Mapping[str, Any], note: str,
    published_on: date | None = None,
) -> NationalSpec:
    """Publish a new version of a national specification (form, materials, limits, guide fields)."""
    policy.require(actor, "catalog.manage", entity_type="hall_item")
    current = latest_spec(session, code)
    allowed = {"name", "case_type", "legal_limit_days", "guide", "form", "materials"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed([FieldError("changes", "renshe:hall/unknown-change", f"不能修改：{', '.join(unknown)}")])
    values: dict[str, Any] = {name: getattr(current, name) for name in allowed} | dict(changes)
    check_definition(code, form=values["form"], workflow_def=current.workflow, legal=values["legal_limit_days"],
                      promised=values["legal_limit_days"], case_type=values["case_type"], materials=values["materials"])
    spec = NationalSpec(code=code, version=current.version + 1, workflow=current.workflow, change_note=note,
                        published_on=published_on or clock.today(), **values)
    session.add(spec)
    session.flush()
    flagged = _flag_adaptations(session, spec)
    audit.record(session, actor=actor, action="hall.national_publish", entity_type="hall_item", entity_id=code,
                 after={"version": spec.version, "note": note, "flagged": flagged})
    record_event(session, "hall.national_spec_published",
                 {"code": code, "version": spec.version, "adapt_by": clock.add_months(spec.published_on,
                                                                                 ADAPTATION_MONTHS).isoformat()})
    return spec


def get_item(session: Session, code: str) -> HallItem:
    item = session.scalar(select(HallItem).where(HallItem.code == code,
                                                 HallItem.division_code == get_settings().province_code))
    if item is None:
        raise NotFound("该事项", code="renshe:hall/item-not-found")
    return item


def current_revision(session: Session, item: HallItem) -> ItemRevision:
    revision = session.scalar(select(ItemRevision).where(ItemRevision.item_id == item.id,
                                                         ItemRevision.revision == item.current_revision))
    if revision is None:
        raise NotFound("该事项的当前版本", code="renshe:hall/revision-not-found")
    return revision


def adapt_item(
    session: Session, *, actor: Principal, code: str, note: str, promised_limit_days: int | None = None,
    guide: Mapping[str, Any] | None = None, form: Mapping[str, Any] | None = None,
    materials: Sequence[Mapping[str, Any]] | None = None,
) -> ItemRevision:
    """Adapt the local item to the latest national version (本地化调整): a new immutable revision.

    What is not given is taken from the national version (form, materials) or kept (promised limit,
    local guide details). A promised limit longer than the legal one is refused.
    """
    policy.require(actor, "catalog.manage", entity_type="hall_item")
    item = get_item(session, code)
    old = current_revision(session, item)
    spec = latest_spec(session, code)
    promised = old.promised_limit_days if promised_limit_days is None else promised_limit_days
    new_form = dict(form) if form is not None else spec.form
    new_materials: Any = list(materials) if materials is not None else spec.materials
    local_guide = {k: v for k, v in old.guide.items() if old.guide.get(k) != spec.guide.get(k)}
    new_guide = {**spec.guide, **local_guide, **(guide or {})}
    check_definition(code, form=new_form, workflow_def=spec.workflow, legal=spec.legal_limit_days,
                      promised=promised, case_type=spec.case_type, materials=new_materials)
    revision = ItemRevision(
        item_id=item.id, revision=item.current_revision + 1, national_version=spec.version, name=spec.name,
        case_type=spec.case_type, legal_limit_days=spec.legal_limit_days, promised_limit_days=promised,
        guide=new_guide, form=new_form, materials=[dict(m) for m in new_materials], workflow=spec.workflow, note=note,
        created_by=actor.subject)
    session.add(revision)
    before = {"revision": item.current_revision, "national_version": item.based_on_version,
              "promised_limit_days": item.promised_limit_days}
    item.current_revision = revision.revision
    item.based_on_version = spec.version
    item.adaptation_due = None
    item.name, item.case_type = spec.name, spec.case_type
    item.legal_limit_days, item.promised_limit_days = spec.legal_limit_days, promised
    session.flush()
    audit.record(session, actor=actor, action="hall.item_adapt", entity_type="hall_item", entity_id=code,
                 before=before, after={"revision": revision.revision, "national_version": spec.version,
                                       "promised_limit_days": promised, "note": note})
    record_event(session, "hall.item_adapted", {"code": code, "division": item.division_code,
                                                "revision": revision.revision, "national_version": spec.version})
    return revision


def lookup_of(revision: ItemRevision) -> str | None:
    """The page of an instant lookup item (即时查询，如个人权益记录查询打印): the item is answered by that page,
    and no application is filed. Marked in the local item's guide (`lookup`), kept through adaptations."""
    path = revision.guide.get("lookup")
    return path if isinstance(path, str) and path.startswith("/") else None


def list_items(session: Session, *, include_suspended: bool = False) -> list[HallItem]:
    stmt = select(HallItem).where(HallItem.division_code == get_settings().province_code)
    if not include_suspended:
        stmt = stmt.where(HallItem.status == "active")
    return list(session.scalars(stmt.order_by(HallItem.sort_order, HallItem.code)))


def _latest_versions(session: Session) -> dict[str, int]:
    rows = session.execute(select(NationalSpec.code, func.max(NationalSpec.version)).group_by(NationalSpec.code))
    return {code: int(version) for code, version in rows}


def item_summary(item: HallItem, revision: ItemRevision, latest: int) -> schemas.ItemSummary:
    return schemas.ItemSummary(
        code=item.code, name=item.name, category=item.category, case_type=item.case_type,
        case_type_label=schemas.CASE_TYPE_LABELS[item.case_type], legal_limit_days=item.legal_limit_days,
        promised_limit_days=item.promised_limit_days, visits=int(revision.guide.get("visits", 0)),
        national_version=item.based_on_version, latest_national_version=latest,
        needs_adaptation=item.based_on_version < latest, adaptation_due=item.adaptation_due,
        revision=item.current_revision)


def item_out(session: Session, item: HallItem) -> schemas.ItemOut:
    revision = current_revision(session, item)
    latest = latest_spec(session, item.code).version
    return schemas.ItemOut(**item_summary(item, revision, latest).model_dump(), guide=revision.guide,
                           form=revision.form, materials=revision.materials, workflow=revision.workflow)


def catalog(session: Session) -> list[tuple[HallItem, ItemRevision, schemas.ItemSummary]]:
    latest = _latest_versions(session)
    result = []
    for item in list_items(session):
        revision = current_revision(session, item)
        result.append((item, revision, item_summary(item, revision, latest.get(item.code, item.based_on_version))))
    return result


def export_catalog(session: Session, *, actor: Principal) -> list[dict[str, Any]]:
    """The local catalog for reporting upward (本地事项目录上报): one record per item."""
    policy.require(actor, "catalog.export", entity_type="hall_item")
    rows = []
    for item, revision, summary in catalog(session):
        guide = revision.guide
        rows.append({
            "code": item.code, "name": item.name, "division_code": item.division_code, "category": item.category,
            "case_type": item.case_type, "case_type_label": summary.case_type_label,
            "national_version": item.based_on_version, "latest_national_version": summary.latest_national_version,
            "needs_adaptation": summary.needs_adaptation,
            "adaptation_due": item.adaptation_due.isoformat() if item.adaptation_due else None,
            "revision": item.current_revision, "legal_limit_days": item.legal_limit_days,
            "promised_limit_days": item.promised_limit_days, "visits": guide.get("visits", 0),
            "scope": guide.get("scope", ""), "method": guide.get("method", ""),
            "legal_basis": guide.get("legal_basis", []), "conditions": guide.get("conditions", []),
            "materials": [m["name"] for m in revision.materials], "process": guide.get("process", []),
            "fees": guide.get("fees", ""), "result": guide.get("result", ""), "delivery": guide.get("delivery", ""),
            "address_hours": guide.get("address_hours", ""), "enquiry": guide.get("enquiry", ""),
            "progress_lookup": guide.get("progress_lookup", ""), "complaint": guide.get("complaint", ""),
        })
    return rows


EXPORT_COLUMNS = (
    ("code", "事项编码"), ("name", "事项名称"), ("division_code", "实施区划"), ("category", "类别"),
    ("case_type_label", "办件类型"), ("national_version", "依据国家规范版本"),
    ("latest_national_version", "国家规范最新版本"), ("needs_adaptation", "待本地调整"), ("adaptation_due", "调整期限"),
    ("legal_limit_days", "法定时限（工作日）"), ("promised_limit_days", "承诺时限（工作日）"), ("visits", "跑动次数"),
    ("scope", "服务对象"), ("method", "办理形式"),
    ("legal_basis", "设定依据"), ("conditions", "受理条件"), ("materials", "申请材料"), ("process", "办理流程"),
    ("fees", "收费"), ("result", "办理结果"), ("delivery", "送达方式"), ("address_hours", "办理地点和时间"),
    ("enquiry", "咨询方式"), ("progress_lookup", "进度查询"), ("complaint", "监督投诉"),
)


def export_xlsx(session: Session, *, actor: Principal, out: Path) -> int:
    """Write the local catalog as XLSX (openpyxl); returns the number of items."""
    from openpyxl import Workbook

    rows = export_catalog(session, actor=actor)
    book = Workbook()
    sheet = book.active
    sheet.title = "本地事项目录"
    sheet.append([label for _, label in EXPORT_COLUMNS])
    for row in rows:
        cells = []
        for key, _ in EXPORT_COLUMNS:
            value = row[key]
            if isinstance(value, list):
                value = "；".join(str(v) for v in value)
            elif isinstance(value, bool):
                value = "是" if value else "否"
            cells.append(value)
        sheet.append(tabular.xlsx_row(sheet, cells))
    book.save(out)
    return len(rows)
