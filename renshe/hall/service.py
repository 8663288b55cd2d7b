"""Rules of the one-network service hall (一网通办): the item catalog and its adaptations, applications,
the workflow with its clock, and what citizens and staff may see. The only code that writes them.

Every deadline counts working days through `core.workdays`; every transition is audited, recorded in
`hall_transitions` and emitted as a `hall.*` event; a decision keeps an encrypted snapshot of what it was
made on.
"""

from __future__ import annotations

import base64
import binascii
import calendar as month_calendar
import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from renshe.certs import service as certs
from renshe.core import audit, crypto, divisions, messages, paging, staff
from renshe.core.auth import Principal, deny
from renshe.core.db import utcnow
from renshe.core.errors import Conflict, DomainError, FieldError, Forbidden, NotFound, ValidationFailed
from renshe.core.events import record_event
from renshe.core.models import OneTimeCode
from renshe.core.settings import get_settings
from renshe.hall import forms, schemas, workflow
from renshe.hall.models import (
    Application,
    DecisionSnapshot,
    HallItem,
    ItemRevision,
    Material,
    NationalSpec,
    Transition,
)
from renshe.hall.settings import hall_settings
from renshe.registry import service as registry
from renshe.sharing import service as sharing

SHANGHAI = ZoneInfo("Asia/Shanghai")
FORM_PURPOSE = "hall.form"
SNAPSHOT_PURPOSE = "hall.decision"
ADAPTATION_MONTHS = 6  # a local adaptation follows a new national version within six months
STAFF_ROLES = ("clerk", "reviewer", "supervisor", "admin")
RUNNING_STATES = frozenset({"accepted", "reviewed"})
PAUSED_STATES = frozenset({"supplement"})
DECIDED_STATES = frozenset({"approved", "refused", "delivered"})
EVENT_NAMES = {
    "submit": "submitted", "accept": "accepted", "reject": "rejected", "request_supplement": "supplement_requested",
    "resubmit": "resubmitted", "review": "reviewed", "approve": "approved", "refuse": "refused",
    "deliver": "delivered", "withdraw": "withdrawn",
}
ACTION_LABELS = {
    "submit": "提交申请", "accept": "受理", "reject": "不予受理", "request_supplement": "要求补正",
    "resubmit": "补正后重新提交", "review": "审核", "approve": "办结：准予", "refuse": "办结：不予办理",
    "deliver": "送达结果", "withdraw": "撤回申请",
}
MAGIC = ((b"%PDF-", "application/pdf", "pdf"), (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
         (b"\xff\xd8\xff", "image/jpeg", "jpg"))


# ---------------------------------------------------------------- settings of this module


def upload_root() -> Path:
    """Where uploaded materials live: RENSHE_HALL_UPLOAD_DIR, else beside the batch directory."""
    explicit = hall_settings().upload_dir
    if explicit:
        return explicit
    return get_settings().batch_dir.parent / "hall-materials"


def max_upload_bytes() -> int:
    """RENSHE_HALL_MAX_UPLOAD_MB (default 10 MiB) per file."""
    return int(hall_settings().max_upload_mb * 1024 * 1024)


def near_due_workdays() -> int:
    """RENSHE_HALL_NEAR_DUE_DAYS (default 2): working days left at which an application is near due."""
    return hall_settings().near_due_days


def today() -> date:
    """Today in Asia/Shanghai (tests replace this to move the clock)."""
    return datetime.now(SHANGHAI).date()


def _local_date(value: datetime) -> date:
    return value.astimezone(SHANGHAI).date()


def _calendar(session: Session) -> Any:
    from renshe.core import workdays

    return workdays.calendar(session)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


def _has_role(actor: Principal, *roles: str) -> bool:
    return actor.kind == "system" or any(r in actor.roles for r in roles)


# ---------------------------------------------------------------- catalog (事项目录)


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


def _check_definition(code: str, *, form: Mapping[str, Any], workflow_def: Mapping[str, Any],
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


def _require_catalog_admin(actor: Principal) -> None:
    if not _has_role(actor, "admin"):
        raise Forbidden("只有管理员可以维护事项目录", code="renshe:hall/catalog-admin")


def load_catalog(session: Session, *, actor: Principal) -> int:
    """Load the shipped national specifications and the province's adaptations (idempotent).

    A national version not yet known is added; a local item is created on first load; a local item
    whose national version is now older is flagged for adaptation. Returns how many rows were added.
    """
    _require_catalog_admin(actor)
    province = get_settings().province_code
    added = 0
    for definition in catalog_files():
        national = definition["national"]
        code = definition["code"]
        wf = workflow.load_definition(national.get("workflow", "default"))
        spec = session.scalar(select(NationalSpec).where(NationalSpec.code == code,
                                                         NationalSpec.version == national["version"]))
        if spec is None:
            _check_definition(code, form=national["form"], workflow_def=wf, legal=national["legal_limit_days"],
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
            _check_definition(code, form=form, workflow_def=spec.workflow, legal=spec.legal_limit_days,
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
    due = add_months(spec.published_on, ADAPTATION_MONTHS)
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
    _require_catalog_admin(actor)
    current = latest_spec(session, code)
    allowed = {"name", "case_type", "legal_limit_days", "guide", "form", "materials"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed([FieldError("changes", "renshe:hall/unknown-change", f"不能修改：{', '.join(unknown)}")])
    values: dict[str, Any] = {name: getattr(current, name) for name in allowed} | dict(changes)
    _check_definition(code, form=values["form"], workflow_def=current.workflow, legal=values["legal_limit_days"],
                      promised=values["legal_limit_days"], case_type=values["case_type"], materials=values["materials"])
    spec = NationalSpec(code=code, version=current.version + 1, workflow=current.workflow, change_note=note,
                        published_on=published_on or today(), **values)
    session.add(spec)
    session.flush()
    flagged = _flag_adaptations(session, spec)
    audit.record(session, actor=actor, action="hall.national_publish", entity_type="hall_item", entity_id=code,
                 after={"version": spec.version, "note": note, "flagged": flagged})
    record_event(session, "hall.national_spec_published",
                 {"code": code, "version": spec.version, "adapt_by": add_months(spec.published_on,
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
    _require_catalog_admin(actor)
    item = get_item(session, code)
    old = current_revision(session, item)
    spec = latest_spec(session, code)
    promised = old.promised_limit_days if promised_limit_days is None else promised_limit_days
    new_form = dict(form) if form is not None else spec.form
    new_materials: Any = list(materials) if materials is not None else spec.materials
    local_guide = {k: v for k, v in old.guide.items() if old.guide.get(k) != spec.guide.get(k)}
    new_guide = {**spec.guide, **local_guide, **(guide or {})}
    _check_definition(code, form=new_form, workflow_def=spec.workflow, legal=spec.legal_limit_days,
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
    if actor.kind != "system" and not _has_role(actor, *STAFF_ROLES):
        raise Forbidden("只有经办人员可以导出事项目录", code="renshe:hall/export")
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
        sheet.append(cells)
    book.save(out)
    return len(rows)


# ---------------------------------------------------------------- materials


@dataclass(frozen=True)
class Upload:
    code: str
    filename: str
    content: bytes


def sniff(content: bytes) -> tuple[str, str] | None:
    """The content type and extension by magic bytes (PDF, PNG, JPEG), or None."""
    for magic, content_type, ext in MAGIC:
        if content.startswith(magic):
            return content_type, ext
    return None


def decode_uploads(materials: Iterable[schemas.MaterialIn]) -> list[Upload]:
    uploads = []
    for i, m in enumerate(materials):
        try:
            content = base64.b64decode(m.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed([FieldError(f"materials.{i}.content_base64", "renshe:hall/material-encoding",
                                               "材料内容不是有效的base64编码")]) from None
        uploads.append(Upload(m.code, m.filename, content))
    return uploads


@dataclass(frozen=True)
class CertificateMatch:
    """What the certificate library holds for one material that names certificate types: the certificate
    that satisfies it (`satisfied`), or the newest one that does not (revoked, suspended, expired)."""

    material_code: str
    material_name: str
    satisfied: bool
    identifier: str
    name: str
    number: str
    type_code: str
    issuer: str
    valid_until: str | None
    status: str  # the library's state today: valid | suspended | revoked | expired | unknown
    status_label: str
    reason: str
    jws_sm3: str

    def record(self) -> dict[str, Any]:
        """What an application keeps of the certificate (its state when it was taken)."""
        return {"identifier": self.identifier, "name": self.name, "number": self.number, "type_code": self.type_code,
                "issuer": self.issuer, "valid_until": self.valid_until, "status": self.status,
                "status_label": self.status_label, "checked_at": utcnow().isoformat(), "source": "电子证照库"}


def certificate_materials(
    session: Session, *, person: registry.Person, revision: ItemRevision,
) -> dict[str, CertificateMatch]:
    """For each material naming certificate types, the person's certificate for it, by material code.

    A valid certificate satisfies the material (taken from the library, nothing to upload); a suspended,
    revoked or expired one is returned unsatisfied, so the form can say why an upload is needed."""
    found: dict[str, CertificateMatch] = {}
    for spec in revision.materials:
        types = spec.get("certificate_types") or []
        if spec.get("shared") or not types:
            continue
        states = certs.holdings(session, person=person, type_codes=types)
        if not states or states[0].certificate is None:
            continue
        state, cert = states[0], states[0].certificate
        found[spec["code"]] = CertificateMatch(
            material_code=spec["code"], material_name=spec["name"], satisfied=state.result == "valid",
            identifier=cert.identifier, name=cert.name, number=cert.number, type_code=cert.type_code,
            issuer=cert.issuer_name, valid_until=cert.valid_until.isoformat() if cert.valid_until else None,
            status=state.result, status_label=state.label, reason=state.reason,
            jws_sm3=crypto.sm3_hex(cert.jws.encode()))
    return found


def _check_uploads(revision: ItemRevision, uploads: Sequence[Upload], *, have: set[str],
                   require_all: bool, certified: Mapping[str, CertificateMatch] | None = None,
                   ) -> tuple[list[FieldError], list[tuple[Upload, str, str]]]:
    known = {m["code"]: m for m in revision.materials}
    by_certificate = {code: match for code, match in (certified or {}).items() if match.satisfied}
    limit = max_upload_bytes()
    errors: list[FieldError] = []
    checked = []
    for upload in uploads:
        field = f"materials.{upload.code}"
        spec = known.get(upload.code)
        if spec is None or spec.get("shared"):
            errors.append(FieldError(field, "renshe:hall/material-unknown", f"本事项不需要提交材料“{upload.code}”"))
            continue
        if upload.code in by_certificate:
            match = by_certificate[upload.code]
            errors.append(FieldError(field, "renshe:hall/material-from-certificate",
                                     f"“{spec['name']}”已从电子证照库获取（{match.name}，证照标识{match.identifier}），"
                                     "无需上传"))
            continue
        if not upload.content:
            errors.append(FieldError(field, "renshe:hall/material-empty", f"“{spec['name']}”文件为空"))
            continue
        if len(upload.content) > limit:
            errors.append(FieldError(field, "renshe:hall/material-too-large",
                                     f"“{spec['name']}”超过{limit // (1024 * 1024)}MB，请压缩后再上传"))
            continue
        kind = sniff(upload.content)
        if kind is None:
            errors.append(FieldError(field, "renshe:hall/material-type",
                                     f"“{spec['name']}”只能是PDF、JPG或PNG文件（按文件内容识别，不看扩展名）"))
            continue
        checked.append((upload, *kind))
    if require_all:
        supplied = have | {u.code for u, _, _ in checked} | set(by_certificate)
        for spec in revision.materials:
            if spec.get("required") and not spec.get("shared") and spec["code"] not in supplied:
                unusable = (certified or {}).get(spec["code"])
                if unusable is not None:
                    errors.append(FieldError(
                        f"materials.{spec['code']}", "renshe:hall/material-certificate-not-valid",
                        f"电子证照库中的“{unusable.name}”（证照标识{unusable.identifier}）{unusable.status_label}，"
                        f"不能作为“{spec['name']}”，请上传“{spec['name']}”（必交材料）"))
                else:
                    errors.append(FieldError(f"materials.{spec['code']}", "renshe:hall/material-missing",
                                             f"请上传“{spec['name']}”（必交材料）"))
    return errors, checked


def _store_certificates(session: Session, application: Application, matches: Iterable[CertificateMatch], *,
                        actor: Principal, round_no: int, extra: Mapping[str, Any] | None = None) -> list[Material]:
    """Record the certificates that satisfy materials: the identifier and its state, no file."""
    stored = []
    for match in matches:
        if not match.satisfied:
            continue
        material = Material(application_id=application.id, material_code=match.material_code,
                            name=match.material_name, filename=f"{match.name}（{match.number}）"[:200],
                            content_type="application/jose", size=0, sm3=match.jws_sm3, stored_as="",
                            round=round_no, uploaded_by=actor.subject, source="certificate",
                            certificate_identifier=match.identifier, certificate={**match.record(), **(extra or {})})
        session.add(material)
        stored.append(material)
    session.flush()
    return stored


def _store(session: Session, application: Application, checked: Sequence[tuple[Upload, str, str]], *,
           revision: ItemRevision, actor: Principal, round_no: int) -> list[Material]:
    names = {m["code"]: m["name"] for m in revision.materials}
    folder = upload_root() / application.public_id
    stored = []
    for upload, content_type, ext in checked:
        digest = crypto.sm3_hex(upload.content)
        relative = f"{application.public_id}/{digest}.{ext}"
        folder.mkdir(parents=True, exist_ok=True)
        target = upload_root() / relative
        if not target.exists():
            target.write_bytes(upload.content)
        material = Material(application_id=application.id, material_code=upload.code, name=names[upload.code],
                            filename=Path(upload.filename).name[:200] or f"{upload.code}.{ext}",
                            content_type=content_type, size=len(upload.content), sm3=digest, stored_as=relative,
                            round=round_no, uploaded_by=actor.subject)
        session.add(material)
        stored.append(material)
    session.flush()
    return stored


def materials_of(session: Session, application: Application) -> list[Material]:
    return list(session.scalars(select(Material).where(Material.application_id == application.id)
                                .order_by(Material.round, Material.id)))


def material_path(material: Material) -> Path:
    return upload_root() / material.stored_as


# ---------------------------------------------------------------- forms and prefill


def form_fields(revision: ItemRevision) -> list[forms.FormField]:
    return forms.check_schema(revision.form)


def prefill_for(session: Session, *, person: registry.Person, revision: ItemRevision) -> dict[str, sharing.Prefilled]:
    """What the platform holds for the form's prefill fields, by property name, with provenance."""
    wanted = {f.prefill: f.name for f in form_fields(revision) if f.prefill}
    found = sharing.prefill(session, person=person, wanted=list(wanted))
    return {wanted[key]: value for key, value in found.items()}


def _provenance(prefilled: Mapping[str, sharing.Prefilled]) -> dict[str, Any]:
    return {name: {"resource": p.resource, "source": p.source, "updated_at": p.updated_at.isoformat()}
            for name, p in prefilled.items()}


def _seal(data: Mapping[str, Any], purpose: str) -> bytes:
    return crypto.cipher().encrypt(json.dumps(data, ensure_ascii=False, sort_keys=True), purpose=purpose)


def _open(token: bytes, purpose: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(crypto.cipher().decrypt(token, purpose=purpose))
    return loaded


def form_data(application: Application) -> dict[str, Any]:
    """The application's form values in full (for the service itself and the applicant)."""
    return _open(application.form_encrypted, f"{FORM_PURPOSE}:{application.public_id}")


MASKERS = {"id_number": crypto.mask_id_number, "phone": crypto.mask_phone, "bank_account": crypto.mask_bank_account}


def form_view(session: Session, application: Application, *, actor: Principal,
              unmask: bool = False) -> list[schemas.FieldValue]:
    """The form as the caller may see it: personal numbers masked unless it is the applicant's own view,
    or staff with the unmask grant asked for it (audited)."""
    own = actor.kind == "citizen" and actor.subject == _applicant_public_id(session, application)
    reveal = own
    if unmask and actor.kind == "staff":
        if not staff.has_grant(session, actor, "pii.unmask"):
            raise deny(actor, entity_type="hall_application", entity_id=application.public_id,
                                action="hall.unmask", detail="您未被授予查看完整个人信息的权限")
        audit.record(session, actor=actor, action="hall.unmask", entity_type="hall_application",
                     entity_id=application.public_id)
        reveal = True
    values = form_data(application)
    provenance = application.prefill or {}
    out = []
    for field in form_fields(application.revision):
        value = values.get(field.name)
        masked = bool(field.pii) and value is not None and not reveal
        shown = MASKERS[field.pii](str(value)) if masked and field.pii else value
        display = field.label_of(shown) if not masked else str(shown)
        if field.name == "residence_division" and isinstance(value, str) and value:
            display = f"{value} {divisions.full_name(value)}"
        src = provenance.get(field.name)
        out.append(schemas.FieldValue(
            name=field.name, title=field.title, group=field.group, value=shown, display=display,
            locked=src is not None, masked=masked,
            provenance=schemas.PrefillSource(resource=src["resource"], source=src["source"],
                                             updated_at=datetime.fromisoformat(src["updated_at"])) if src else None))
    return out


# ---------------------------------------------------------------- applying


def _new_number(division: str) -> str:
    return f"{division}{today():%Y%m%d}{secrets.token_hex(3).upper()}"


def _record_transition(session: Session, application: Application, *, actor: Principal, action: str,
                       from_state: str | None, to_state: str, reason: str | None = None,
                       details: dict[str, Any] | None = None) -> Transition:
    seq = (session.scalar(select(func.max(Transition.seq)).where(Transition.application_id == application.id))
           or 0) + 1
    step = Transition(application_id=application.id, seq=seq, action=action, from_state=from_state,
                      to_state=to_state, actor=actor.subject, actor_name=actor.display_name or actor.subject,
                      actor_kind=actor.kind, division_code=actor.division_code, reason=reason, details=details)
    session.add(step)
    session.flush()
    audit.record(session, actor=actor, action=f"hall.{action}", entity_type="hall_application",
                 entity_id=application.public_id,
                 before={"state": from_state} if from_state else None,
                 after={"state": to_state, "number": application.number, "item": application.item_code,
                        **({"reason": reason} if reason else {}), **(details or {})})
    record_event(session, f"hall.application_{EVENT_NAMES[action]}", {
        "application": application.public_id, "number": application.number, "item": application.item_code,
        "division": application.division_code, "from": from_state, "to": to_state, "action": action,
        "due_date": application.due_date.isoformat() if application.due_date else None})
    if application.channel == "xp_received":  # tell the origin province (跨省通办 status flows back)
        from renshe.hall import peers

        peers.enqueue_status(session, application, seq=seq, label=state_label(application))
    return step


def _create(
    session: Session, *, actor: Principal, item: HallItem, applicant: registry.Person, agent: registry.Person | None,
    channel: str, data: Mapping[str, Any], uploads: Sequence[Upload], representation: dict[str, Any] | None,
) -> Application:
    if item.status != "active":
        raise Conflict("该事项已暂停办理", code="renshe:hall/item-suspended")
    if applicant.status != "normal":
        raise Conflict("申请人的人员状态不是正常，不能申请", code="renshe:hall/applicant-not-active")
    revision = current_revision(session, item)
    prefilled = prefill_for(session, person=applicant, revision=revision)
    clean, errors = forms.validate(form_fields(revision), data, {k: p.value for k, p in prefilled.items()})
    certified = certificate_materials(session, person=applicant, revision=revision)
    material_errors, checked = _check_uploads(revision, uploads, have=set(), require_all=True, certified=certified)
    errors += material_errors
    if errors:
        raise ValidationFailed(errors, detail="申请未提交，请按提示修改")
    public_id = secrets.token_hex(16)
    application = Application(
        public_id=public_id, number=_new_number(applicant.residence_division), item_id=item.id,
        revision_id=revision.id, item_code=item.code, item_name=revision.name, case_type=revision.case_type,
        applicant_id=applicant.id, applicant_name=applicant.name, applicant_id_masked=applicant.id_number_masked,
        agent_id=agent.id if agent else None, channel=channel, created_by=actor.subject,
        division_code=applicant.residence_division, state="submitted",
        form_encrypted=_seal(clean, f"{FORM_PURPOSE}:{public_id}"), prefill=_provenance(prefilled),
        representation=representation, promised_limit_days=revision.promised_limit_days,
        legal_limit_days=revision.legal_limit_days, paused_workdays=0)
    session.add(application)
    session.flush()
    stored = _store(session, application, checked, revision=revision, actor=actor, round_no=0)
    from_library = _store_certificates(session, application, certified.values(), actor=actor, round_no=0)
    details: dict[str, Any] = {"channel": channel, "locked_fields": sorted(prefilled),
                               "materials": [m.sm3 for m in stored]}
    if from_library:
        details["certificates"] = [m.certificate_identifier for m in from_library]
    _record_transition(session, application, actor=actor, action="submit", from_state=None, to_state="submitted",
                       details=details)
    return application


def submit(
    session: Session, *, actor: Principal, item_code: str, data: Mapping[str, Any], uploads: Sequence[Upload] = (),
    representation: schemas.RepresentationIn | None = None,
) -> Application:
    """A citizen applies online for themself, or for a family member with a recorded authorisation (代办)."""
    if actor.kind != "citizen":
        raise Forbidden("请从个人服务入口申请；窗口人员请使用窗口代录", code="renshe:hall/citizen-only")
    me = registry.get_person(session, actor=actor, public_id=actor.subject)
    item = get_item(session, item_code)
    if representation is None:
        return _create(session, actor=actor, item=item, applicant=me, agent=None, channel="online", data=data,
                       uploads=uploads, representation=None)
    represented, record = verify_representation(session, agent=me, data=representation)
    return _create(session, actor=actor, item=item, applicant=represented, agent=me, channel="proxy", data=data,
                   uploads=uploads, representation=record)


def verify_representation(session: Session, *, agent: registry.Person,
                          data: schemas.RepresentationIn) -> tuple[registry.Person, dict[str, Any]]:
    """Check the represented person against the person base: ID number and name must match."""
    person = registry.person_by_id_number(session, id_number=data.id_number, field="representation.id_number")
    if person is None or person.name != data.name.strip():
        raise ValidationFailed([FieldError("representation.name", "renshe:hall/represented-mismatch",
                                           "被代办人的姓名与公民身份号码不一致，或尚未在人员基础库登记")])
    if person.id == agent.id:
        raise ValidationFailed([FieldError("representation.id_number", "renshe:hall/represent-self",
                                           "为本人申请时无需填写代办信息")])
    if person.status != "normal":
        raise ValidationFailed([FieldError("representation.id_number", "renshe:hall/represented-not-active",
                                           "被代办人的人员状态不是正常，请到窗口办理")])
    return person, {
        "kind": "family", "agent_name": agent.name, "agent_id_number": agent.id_number_masked,
        "represented_name": person.name, "represented_id_number": person.id_number_masked,
        "relationship": data.relationship, "relationship_label": schemas.RELATIONSHIPS[data.relationship],
        "statement": data.statement, "verified_against": "人员基础库", "verified_at": utcnow().isoformat(),
    }


def _window_subject(person: registry.Person) -> str:
    return f"hall:{person.id_number_index.hex()}"  # the ID number's blind index


def _window_code_hash(subject: str, code: str) -> str:
    return crypto.cipher().blind_index(f"{subject}:{code}", purpose="hall.window-otp").hex()


def _require_clerk(actor: Principal) -> None:
    if actor.kind != "staff" or "clerk" not in actor.roles:
        raise Forbidden("只有受理人员可以在窗口代录申请", code="renshe:hall/clerk-only")


def send_window_code(session: Session, *, actor: Principal, id_number: str, item_code: str) -> str:
    """A clerk applies for a citizen at the window: send the citizen a one-time code to confirm with."""
    _require_clerk(actor)
    item = get_item(session, item_code)
    person = registry.person_by_id_number(session, id_number=id_number)
    if person is None or not actor.can_reach(person.residence_division):
        raise ValidationFailed([FieldError("id_number", "renshe:hall/person-not-found",
                                           "本辖区人员基础库中没有该身份号码，请先办理人员登记")])
    if person.phone_encrypted is None:
        raise ValidationFailed([FieldError("id_number", "renshe:hall/no-phone",
                                           "该人员没有登记手机号码，无法发送确认验证码，请先变更人员信息")])
    settings = get_settings()
    subject = _window_subject(person)
    for old in session.scalars(select(OneTimeCode).where(OneTimeCode.subject == subject,
                                                         OneTimeCode.used.is_(False))):
        old.used = True
    code = f"{secrets.randbelow(1_000_000):06d}"
    session.add(OneTimeCode(subject=subject, code_hash=_window_code_hash(subject, code),
                            expires_at=utcnow() + timedelta(seconds=settings.otp_ttl_seconds)))
    phone = crypto.cipher().decrypt(person.phone_encrypted, purpose=registry.PHONE_PURPOSE)
    minutes = max(1, settings.otp_ttl_seconds // 60)
    messages.send(session, phone=phone, purpose="hall_window_confirm",
                  body=f"【人社服务】窗口工作人员正在为您办理“{item.name}”，确认验证码为{code}，{minutes}分钟内有效。"
                       "如非本人在窗口办理，请勿告知他人。")
    audit.record(session, actor=actor, action="hall.window_code", entity_type="person", entity_id=person.public_id,
                 after={"item": item.code})
    session.flush()
    return crypto.mask_phone(phone)


WINDOW_CODE_ERROR = "renshe:hall/window-code"


def _check_window_code(session: Session, *, person: registry.Person, code: str) -> None:
    """Raise (after counting the attempt) unless the code is right; the caller commits the count."""
    settings = get_settings()
    subject = _window_subject(person)
    challenge = session.scalar(select(OneTimeCode).where(OneTimeCode.subject == subject, OneTimeCode.used.is_(False))
                               .order_by(OneTimeCode.id.desc()).limit(1))
    message = None
    if challenge is None:
        message = "请先向申请人发送确认验证码"
    elif challenge.expires_at < utcnow():
        message = "验证码已过期，请重新发送"
    elif challenge.attempts >= settings.otp_max_attempts:
        message = "验证码错误次数过多，请重新发送"
    elif not secrets.compare_digest(challenge.code_hash, _window_code_hash(subject, code.strip())):
        challenge.attempts += 1
        session.flush()
        message = "验证码错误，请请申请人核对手机短信"
    if message is not None:
        raise ValidationFailed([FieldError("code", WINDOW_CODE_ERROR, message)], detail=message)
    if challenge is not None:
        challenge.used = True


def submit_at_window(
    session: Session, *, actor: Principal, item_code: str, id_number: str, code: str, data: Mapping[str, Any],
    uploads: Sequence[Upload] = (),
) -> Application:
    """File an application at the window for a citizen who confirms with the code sent to their phone."""
    _require_clerk(actor)
    item = get_item(session, item_code)
    person = registry.person_by_id_number(session, id_number=id_number)
    if person is None or not actor.can_reach(person.residence_division):
        raise ValidationFailed([FieldError("id_number", "renshe:hall/person-not-found",
                                           "本辖区人员基础库中没有该身份号码")])
    _check_window_code(session, person=person, code=code)
    record = {"kind": "window", "clerk": actor.subject, "clerk_name": actor.display_name,
              "confirmed_by": "申请人手机短信验证码", "confirmed_at": utcnow().isoformat()}
    return _create(session, actor=actor, item=item, applicant=person, agent=None, channel="window", data=data,
                   uploads=uploads, representation=record)


# ---------------------------------------------------------------- seeing applications


def _applicant_public_id(session: Session, application: Application) -> str:
    return registry.public_id_of(session, application.applicant_id)


def _is_party(session: Session, actor: Principal, application: Application) -> bool:
    if actor.kind != "citizen":
        return False
    person_id = registry.person_pk(session, public_id=actor.subject)
    return person_id is not None and person_id in (application.applicant_id, application.agent_id)


def can_see(session: Session, actor: Principal, application: Application) -> bool:
    if actor.kind == "citizen":
        return _is_party(session, actor, application)
    if actor.kind in {"staff", "system"}:
        return _has_role(actor, *STAFF_ROLES) and actor.can_reach(application.division_code)
    return False


def get_application(session: Session, *, actor: Principal, public_id: str) -> Application:
    application = session.scalar(select(Application).where(Application.public_id == public_id))
    if application is None:
        raise NotFound("该办件", code="renshe:hall/application-not-found")
    if not can_see(session, actor, application):
        if actor.kind == "staff":
            raise deny(actor, entity_type="hall_application", entity_id=public_id, action="hall.read",
                                detail="该办件不在您的辖区内，无权查看")
        raise NotFound("该办件", code="renshe:hall/application-not-found")
    return application


def find_by_number(session: Session, *, actor: Principal, number: str) -> Application:
    application = session.scalar(select(Application).where(Application.number == number.strip().upper()))
    if application is None or not can_see(session, actor, application):
        raise NotFound("该办件", code="renshe:hall/application-not-found")
    return application


def default_states(actor: Principal) -> tuple[str, ...] | None:
    """The states a role works on; None means every state (supervisors and administrators read all)."""
    if _has_role(actor, "supervisor", "admin"):
        return None
    states: list[str] = []
    if "clerk" in actor.roles:
        states += ["submitted", "approved", "refused"]
    if "reviewer" in actor.roles:
        states += ["accepted", "reviewed"]
    return tuple(states)


def queue(
    session: Session, *, actor: Principal, item_code: str | None = None, state: str | None = None,
    near_due: bool = False, overdue: bool = False, limit: int = 20, cursor: str | None = None,
) -> tuple[list[Application], str | None]:
    """The caller's work queue, scoped to their division and below before it is paged."""
    if actor.kind not in {"staff", "system"} or not _has_role(actor, *STAFF_ROLES):
        raise Forbidden("只有经办人员可以查看办件队列", code="renshe:hall/staff-only")
    limit = max(1, min(limit, 200))
    stmt: Select[Any] = select(Application).where(Application.id > paging.decode_cursor(cursor))
    scope = in_division(Application.division_code, actor.division_code)
    if scope is not None:
        stmt = stmt.where(scope)
    stmt = stmt.where(Application.channel != "xp_collect")  # handled by the other province (代收代办)
    if state:
        stmt = stmt.where(Application.state == state)
    else:
        states = default_states(actor)
        if states is not None:
            stmt = stmt.where(Application.state.in_(states))
    if item_code:
        stmt = stmt.where(Application.item_code == item_code)
    now = today()
    if overdue:
        stmt = stmt.where(overdue_condition(now))
    elif near_due:
        horizon = _calendar(session).add_workdays(now, near_due_workdays())
        stmt = stmt.where(or_(overdue_condition(now), and_(Application.state.in_(RUNNING_STATES),
                                                           Application.due_date <= horizon)))
    rows = list(session.scalars(stmt.order_by(Application.id).limit(limit + 1)))
    next_cursor = paging.encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def in_division(column: Any, division_code: str) -> Any:
    """SQL: COLUMN (a division code) at DIVISION_CODE or below, as an equality or a range an index can
    serve (LIKE 'prefix%' cannot use one on SQLite); None for the ministry (everything)."""
    prefix = divisions.scope_prefix(division_code)
    if not prefix:
        return None
    if len(prefix) == 6:
        return column == prefix
    return and_(column >= prefix, column < prefix + ":")  # ':' sorts right after '9'


def overdue_condition(day: date) -> Any:
    """SQL: past the promised date on DAY; a paused (补正) application only if it was overdue when paused."""
    return or_(and_(Application.state.in_(RUNNING_STATES), Application.due_date < day),
               and_(Application.state.in_(PAUSED_STATES), Application.due_date < Application.paused_since))


def applications_of(session: Session, *, actor: Principal, limit: int = 100) -> list[Application]:
    """A citizen's own applications and those they filed for others, newest first."""
    if actor.kind != "citizen":
        raise Forbidden("只有本人可以查看自己的办件", code="renshe:hall/citizen-only")
    person_id = registry.person_pk(session, public_id=actor.subject)
    stmt = (select(Application).where(or_(Application.applicant_id == person_id, Application.agent_id == person_id))
            .order_by(Application.id.desc()).limit(limit))
    return list(session.scalars(stmt))


def deadline(session: Session, application: Application) -> schemas.DeadlineOut:
    """Where the application stands against its promised limit, in working days."""
    running = application.state in RUNNING_STATES
    paused = application.state in PAUSED_STATES
    now = today()
    remaining = None
    due = application.due_date
    if due is not None and (running or paused):
        remaining = _calendar(session).workdays_between(now, due)
    if due is not None and application.decided_at is not None:
        overdue = _local_date(application.decided_at) > due
    elif paused:  # the clock stopped: overdue only if it was already overdue when the pause began
        overdue = due is not None and application.paused_since is not None and application.paused_since > due
    else:
        overdue = due is not None and running and now > due
    return schemas.DeadlineOut(
        promised_limit_days=application.promised_limit_days, legal_limit_days=application.legal_limit_days,
        accepted_on=_local_date(application.accepted_at) if application.accepted_at else None, due_date=due,
        paused_workdays=application.paused_workdays, paused=paused, remaining_workdays=remaining,
        overdue=overdue, near_due=running and remaining is not None and 0 <= remaining <= near_due_workdays()
        and not overdue,
        running=running)


def state_label(application: Application) -> str:
    return workflow.parsed(application.revision.workflow).label_of(application.state)


def summary_out(session: Session, application: Application) -> schemas.ApplicationSummary:
    return schemas.ApplicationSummary(
        public_id=application.public_id, number=application.number, item_code=application.item_code,
        item_name=application.item_name, case_type=application.case_type, state=application.state,
        state_label=state_label(application), channel=application.channel,
        channel_label=schemas.CHANNEL_LABELS[application.channel], applicant_name=application.applicant_name,
        applicant_id_number=application.applicant_id_masked, division_code=application.division_code,
        division_name=divisions.full_name(application.division_code), submitted_at=application.submitted_at,
        accepted_at=application.accepted_at, decided_at=application.decided_at, decision=application.decision,
        deadline=deadline(session, application))


def timeline(session: Session, application: Application) -> list[schemas.TransitionOut]:
    wf = workflow.parsed(application.revision.workflow)
    rows = session.scalars(select(Transition).where(Transition.application_id == application.id)
                           .order_by(Transition.seq))
    return [schemas.TransitionOut(
        seq=t.seq, action=t.action, label=ACTION_LABELS.get(t.action, t.action), from_state=t.from_state,
        to_state=t.to_state, to_state_label=wf.label_of(t.to_state), actor_name=t.actor_name,
        actor_kind=t.actor_kind, reason=t.reason, details=t.details, at=t.at) for t in rows]


def actor_roles(session: Session, actor: Principal, application: Application) -> set[str]:
    """The workflow roles the caller holds for this application."""
    if actor.kind == "citizen":
        return {"applicant"} if _is_party(session, actor, application) else set()
    if actor.kind in {"staff", "system"} and actor.can_reach(application.division_code):
        return {r for r in actor.roles if r in ("clerk", "reviewer")} | (
            {"clerk", "reviewer"} if actor.kind == "system" else set())
    return set()


def available_actions(session: Session, actor: Principal, application: Application) -> list[workflow.Step]:
    wf = workflow.parsed(application.revision.workflow)
    roles = actor_roles(session, actor, application)
    steps = [s for s in wf.steps if application.state in s.sources and roles & set(s.actors)]
    return [s for s in steps if not any(getattr(application, h) == actor.subject for h in s.distinct_from)]


def application_out(session: Session, application: Application, *, actor: Principal,
                    unmask: bool = False) -> schemas.ApplicationOut:
    materials = [schemas.MaterialOut(code=m.material_code, name=m.name, filename=m.filename,
                                     content_type=m.content_type, size=m.size, sm3=m.sm3, round=m.round,
                                     uploaded_at=m.uploaded_at, source=m.source,
                                     certificate=schemas.CertificateRef.model_validate(m.certificate)
                                     if m.source == "certificate" and m.certificate else None)
                 for m in materials_of(session, application)]
    staff_view = actor.kind in {"staff", "system"}
    return schemas.ApplicationOut(
        **summary_out(session, application).model_dump(),
        form=form_view(session, application, actor=actor, unmask=unmask), materials=materials,
        timeline=timeline(session, application), decision_reason=application.decision_reason,
        supplement_request=application.supplement_request, representation=application.representation,
        accepted_by=application.accepted_by if staff_view else None,
        reviewed_by=application.reviewed_by if staff_view else None,
        decided_by=application.decided_by if staff_view else None, delivered_at=application.delivered_at,
        available_actions=sorted({s.action for s in available_actions(session, actor, application)}),
        version=application.version)


# ---------------------------------------------------------------- the workflow


def act(
    session: Session, *, actor: Principal, application: Application, action: str, reason: str | None = None,
    supplement: Sequence[str] = (), data: Mapping[str, Any] | None = None, uploads: Sequence[Upload] = (),
    delivery_method: str | None = None, expected_version: int | None = None,
) -> Application:
    """Take one workflow step, if the application's workflow allows it from its state for this caller."""
    if expected_version is not None and expected_version != application.version:
        raise DomainError("renshe:hall/stale", "办件已被他人更新，请刷新后重试", 412, "办件已变更")
    wf = workflow.parsed(application.revision.workflow)
    step = wf.step(action, application.state)
    if step is None:
        label = ACTION_LABELS.get(action, action)
        raise Conflict(f"办件当前状态为“{wf.label_of(application.state)}”，不能进行“{label}”操作"
                       f"（state={application.state}, action={action}）", code="renshe:hall/transition-not-allowed")
    roles = actor_roles(session, actor, application)
    if not roles & set(step.actors):
        error = Forbidden(f"“{step.label}”须由{'、'.join(_ACTOR_LABELS[a] for a in step.actors)}办理",
                          code="renshe:hall/not-your-step")
        error.audit = {"actor": actor, "action": f"hall.{action}", "entity_type": "hall_application",
                       "entity_id": application.public_id}
        raise error
    for handler in step.distinct_from:
        if getattr(application, handler) == actor.subject:
            error = Forbidden("受理与审核（办结）不能由同一人办理，请交由其他审核人员",
                              code="renshe:hall/same-handler")
            error.audit = {"actor": actor, "action": f"hall.{action}", "entity_type": "hall_application",
                           "entity_id": application.public_id}
            raise error
    reason = (reason or "").strip() or None
    if step.reason_required and not reason:
        raise ValidationFailed([FieldError("reason", "renshe:hall/reason-required", f"请填写“{step.label}”的理由")])
    items = [s.strip() for s in supplement if s and s.strip()]
    if step.supplement_list and not items:
        raise ValidationFailed([FieldError("supplement", "renshe:hall/supplement-required",
                                           "请逐项列明需要补正的内容")])
    details: dict[str, Any] = {}
    from_state = application.state
    now = utcnow()
    day = today()
    if action == "resubmit":
        details.update(_resubmit(session, actor=actor, application=application, data=data or {}, uploads=uploads))
    if step.supplement_list:
        application.supplement_request = items
        details["supplement"] = items
    cal = _calendar(session) if step.clock else None
    if step.clock == "start" and cal is not None:
        application.accepted_at = now
        application.accepted_by = actor.subject
        application.due_date = cal.add_workdays(day, application.promised_limit_days)
        details["due_date"] = application.due_date.isoformat()
    elif step.clock == "pause":
        application.paused_since = day
    elif step.clock == "resume" and cal is not None and application.paused_since is not None \
            and application.due_date is not None:
        # The working days spent waiting for the applicant do not count: the due date moves by them.
        paused = max(0, cal.workdays_between(application.paused_since, day))
        application.paused_workdays += paused
        application.paused_since = None
        application.due_date = cal.add_workdays(application.due_date, paused)
        details.update(paused_workdays=paused, due_date=application.due_date.isoformat())
    elif step.clock == "stop":
        application.closed_at = now
    if action == "resubmit":
        application.supplement_request = None
    if action == "review":
        application.reviewed_by = actor.subject
    if action in ("approve", "refuse"):
        application.decided_at = now
        application.decided_by = actor.subject
        application.decision = "approved" if action == "approve" else "refused"
        application.decision_reason = reason
        _measure(session, application, day)
        if application.reviewed_by is None and "reviewer" in roles:
            application.reviewed_by = actor.subject
        details["result_number"] = _snapshot(session, application, actor=actor).result_number
    if action == "deliver":
        method = delivery_method or "electronic"
        if method not in schemas.DELIVERY_METHODS:
            raise ValidationFailed([FieldError("delivery_method", "renshe:hall/delivery", "送达方式无效")])
        application.delivered_at = now
        application.delivery_method = method
        details["delivery_method"] = method
    if action == "reject":
        application.closed_at = now
        application.decision_reason = reason
    application.state = step.target
    session.flush()
    _record_transition(session, application, actor=actor, action=action, from_state=from_state,
                       to_state=step.target, reason=reason, details=details or None)
    return application


_ACTOR_LABELS = {"clerk": "受理人员", "reviewer": "审核人员", "applicant": "申请人"}


def _measure(session: Session, application: Application, day: date) -> None:
    """At the decision: working days taken (less 补正 pauses) and whether it met the promised date."""
    if application.due_date is None:  # decided without the clock running (即办件)
        application.elapsed_workdays, application.on_time = 0, True
        return
    # The due date already moved by the pauses, so the limit plus the days past (or before) it is the time taken.
    taken = application.promised_limit_days + _calendar(session).workdays_between(application.due_date, day)
    application.elapsed_workdays = max(0, taken)
    application.on_time = day <= application.due_date


def _resubmit(session: Session, *, actor: Principal, application: Application, data: Mapping[str, Any],
              uploads: Sequence[Upload]) -> dict[str, Any]:
    """Apply the applicant's corrections: changed form values (locked ones stay) and new materials."""
    revision = application.revision
    current = form_data(application)
    merged = {**current, **dict(data)}
    locked = {name: current.get(name) for name in (application.prefill or {})}
    clean, errors = forms.validate(form_fields(revision), merged, locked)
    have = {m.material_code for m in materials_of(session, application)}
    material_errors, checked = _check_uploads(revision, uploads, have=have, require_all=True)
    errors += material_errors
    if errors:
        raise ValidationFailed(errors, detail="补正未提交，请按提示修改")
    changed = sorted(k for k in clean if clean.get(k) != current.get(k))
    application.form_encrypted = _seal(clean, f"{FORM_PURPOSE}:{application.public_id}")
    round_no = 1 + (session.scalar(select(func.max(Material.round)).where(
        Material.application_id == application.id)) or 0)
    stored = _store(session, application, checked, revision=revision, actor=actor, round_no=round_no)
    return {"changed_fields": changed, "materials": [m.sm3 for m in stored]}


def _snapshot(session: Session, application: Application, *, actor: Principal) -> DecisionSnapshot:
    """Freeze what the decision was made on (form data, material digests, prefill provenance)."""
    data = {
        "application": application.number, "item": application.item_code,
        "revision": application.revision.revision, "national_version": application.revision.national_version,
        "decision": application.decision, "reason": application.decision_reason, "decided_by": actor.subject,
        "decided_at": application.decided_at.isoformat() if application.decided_at else None,
        "accepted_by": application.accepted_by, "due_date": application.due_date.isoformat()
        if application.due_date else None, "paused_workdays": application.paused_workdays,
        "form": form_data(application), "prefill": application.prefill,
        "materials": [{"code": m.material_code, "filename": m.filename, "sm3": m.sm3, "size": m.size,
                       "round": m.round, "source": m.source,
                       **({"certificate": {k: (m.certificate or {}).get(k) for k in (
                           "identifier", "name", "number", "issuer", "status", "status_label", "checked_at")}}
                          if m.source == "certificate" else {})}
                      for m in materials_of(session, application)],
    }
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    snapshot = DecisionSnapshot(
        application_id=application.id, decision=application.decision or "", reason=application.decision_reason,
        decided_by=actor.subject, decided_at=application.decided_at or utcnow(),
        result_number=f"{application.number}-J",
        snapshot_encrypted=_seal(data, f"{SNAPSHOT_PURPOSE}:{application.public_id}"),
        snapshot_sm3=crypto.sm3_hex(canonical.encode()))
    session.add(snapshot)
    session.flush()
    return snapshot


def decision_of(session: Session, application: Application) -> DecisionSnapshot | None:
    return session.scalar(select(DecisionSnapshot).where(DecisionSnapshot.application_id == application.id)
                          .order_by(DecisionSnapshot.id.desc()).limit(1))


def snapshot_data(application: Application, snapshot: DecisionSnapshot) -> dict[str, Any]:
    """The decision snapshot, checked against its SM3 digest."""
    data = _open(snapshot.snapshot_encrypted, f"{SNAPSHOT_PURPOSE}:{application.public_id}")
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if crypto.sm3_hex(canonical.encode()) != snapshot.snapshot_sm3:
        raise Conflict("决定快照与其摘要不符，可能已被篡改", code="renshe:hall/snapshot-tampered")
    return data


# ---------------------------------------------------------------- demo


def demo_seed(session: Session, *, actor: Principal) -> int:
    """Load the item catalog into a fresh demo province (the demo's `seed` calls this), then a few sample
    applications: overdue, near due, decided and rated (one badly, so a rectification case is open)."""
    added = load_catalog(session, actor=actor)
    from renshe.hall import demo_data

    demo_data.seed(session)
    return added
