"""Rules of the data-sharing gateway: the catalog, consumers and grants (deny by default), services,
and the call log. After X-Road: every call is logged, a consumer sees only what it was granted."""

from __future__ import annotations

import json
import math
import re
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer as Integer_
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.core import audit, crypto, ids
from renshe.core.auth import Principal, hash_password, verify_password
from renshe.core.context import current
from renshe.core.db import utcnow
from renshe.core.errors import (
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)
from renshe.registry import service as registry
from renshe.sharing import schemas
from renshe.sharing.models import CallLogEntry, Consumer, Grant, ShareResource, ShareResourceVersion

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


def add_consumer(
    session: Session, *, actor: Principal, name: str, grants: list[str], purpose: str, legal_basis: str,
    rate_per_minute: int = 600, daily_quota: int = 100_000,
) -> tuple[Consumer, str]:
    """Register a consumer application with its grants; returns it and its secret (shown once)."""
    actor.require("user.manage")
    ensure_national_catalog(session)
    if not name.strip():
        raise ValidationFailed([FieldError("name", "renshe:sharing/name", "请填写应用名称")])
    if not 1 <= rate_per_minute <= 1_000_000 or not 1 <= daily_quota <= 100_000_000:
        raise ValidationFailed([FieldError("rate_per_minute", "renshe:sharing/limits",
                                           "每分钟限额须在1至1000000之间，每日配额须在1至100000000之间")])
    known = {r.short_name: r for r in session.scalars(select(ShareResource))}
    unknown = [g for g in grants if g not in known]
    if unknown:
        raise ValidationFailed([FieldError("grant", "renshe:sharing/unknown-resource",
                                           f"目录中没有资源：{', '.join(unknown)}")])
    refused = [g for g in grants if known[g].sharing_type == "none"]
    if refused:
        raise Conflict(f"不予共享的资源不能授权：{', '.join(refused)}", code="renshe:sharing/not-shareable")
    secret = secrets.token_urlsafe(32)
    consumer = Consumer(client_id=f"c{secrets.token_hex(8)}", secret_hash=hash_password(secret), name=name.strip(),
                        rate_per_minute=rate_per_minute, daily_quota=daily_quota)
    session.add(consumer)
    session.flush()
    for short_name in dict.fromkeys(grants):
        session.add(Grant(consumer_id=consumer.id, resource_id=known[short_name].id, purpose=purpose,
                          legal_basis=legal_basis))
    session.flush()
    audit.record(session, actor=actor, action="sharing.add_consumer", entity_type="consumer",
                 entity_id=consumer.client_id, after={"name": consumer.name, "grants": grants, "purpose": purpose})
    return consumer, secret


def authenticate_consumer(session: Session, *, client_id: str, client_secret: str) -> Principal:
    consumer = session.scalar(select(Consumer).where(Consumer.client_id == client_id))
    if consumer is None or not consumer.active or not verify_password(consumer.secret_hash, client_secret):
        error = Unauthorized("client_id 或 client_secret 错误", code="renshe:sharing/bad-client")
        error.audit = {"actor": Principal(kind="consumer", subject=client_id[:40], display_name=""),
                       "action": "sharing.token", "entity_type": "consumer", "entity_id": client_id[:40]}
        raise error
    return Principal(kind="consumer", subject=consumer.client_id, display_name=consumer.name)


@dataclass(frozen=True)
class Authorised:
    resource: ShareResource
    purpose: str


_recent_calls: dict[str, deque[float]] = defaultdict(deque)


def enforce_limits(session: Session, *, client_id: str, rate_per_minute: int, daily_quota: int) -> None:
    """429 with Retry-After past the per-minute rate (counted in this process) or the daily quota."""
    now = time.monotonic()
    window = _recent_calls[client_id]
    while window and window[0] <= now - 60:
        window.popleft()
    if len(window) >= rate_per_minute:
        raise TooManyRequests(f"超过每分钟{rate_per_minute}次的调用频率限制",
                              retry_after=math.ceil(60 - (now - window[0])), code="renshe:sharing/rate-limited")
    local_now = datetime.now(SHANGHAI)
    midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    used = _calls_today(session, client_id, midnight, now)
    if used >= daily_quota:
        tomorrow = midnight + timedelta(days=1)
        raise TooManyRequests(f"今日调用已达配额{daily_quota}次，请明日再试",
                              retry_after=math.ceil((tomorrow - local_now).total_seconds()),
                              code="renshe:sharing/quota-exceeded")
    window.append(now)
    _usage[client_id][2] += 1


# client id -> [day start, successful calls counted in the log, calls let through here since]
_usage: dict[str, list[Any]] = defaultdict(lambda: [None, 0, 0, 0.0])
QUOTA_RECOUNT_SECONDS = 5.0


def _calls_today(session: Session, client_id: str, midnight: datetime, now: float) -> int:
    """Today's successful calls: recounted from the call log at most every few seconds, plus the calls let
    through by this process since (so a quota holds across worker processes to within that interval)."""
    usage = _usage[client_id]
    if usage[0] != midnight or now - usage[3] >= QUOTA_RECOUNT_SECONDS:
        usage[:] = [midnight, session.scalar(select(func.count(CallLogEntry.id)).where(
            CallLogEntry.consumer == client_id, CallLogEntry.success.is_(True),
            CallLogEntry.requested_at >= midnight)) or 0, 0, now]
    return int(usage[1]) + int(usage[2])


def authorise(session: Session, *, consumer: Principal, short_name: str) -> Authorised:
    """Deny by default: the consumer needs a grant for exactly this resource, within its rate and quota."""
    if consumer.kind != "consumer":
        raise Unauthorized("请使用数据共享应用凭证（client credentials）", code="renshe:sharing/not-a-consumer")
    limits = session.execute(select(Consumer.rate_per_minute, Consumer.daily_quota)
                             .where(Consumer.client_id == consumer.subject, Consumer.active.is_(True))).first()
    if limits is None:
        raise Unauthorized("调用方应用不存在或已停用", code="renshe:sharing/inactive")
    enforce_limits(session, client_id=consumer.subject, rate_per_minute=limits[0], daily_quota=limits[1])
    row = session.execute(
        select(ShareResource, Grant.purpose).join(Grant, Grant.resource_id == ShareResource.id)
        .join(Consumer, Consumer.id == Grant.consumer_id)
        .where(Consumer.client_id == consumer.subject, Consumer.active.is_(True),
               ShareResource.short_name == short_name)).first()
    if row is None:
        if session.scalar(select(ShareResource.id).where(ShareResource.short_name == short_name)) is None:
            raise NotFound("该共享资源", code="renshe:sharing/unknown-resource")
        error = Forbidden(f"本应用未获授权使用资源 {short_name}", code="renshe:sharing/no-grant")
        error.audit = {"actor": consumer, "action": "sharing.call", "entity_type": "resource",
                       "entity_id": short_name}
        raise error
    return Authorised(resource=row[0], purpose=row[1])


def verify_identity(session: Session, *, query: schemas.IdentityQuery) -> schemas.IdentityResult:
    """Compare a name and ID number with the person base; never reveal the stored name."""
    person = registry.person_by_id_number(session, id_number=query.id_number)
    if person is None or person.status == "merged":
        return schemas.IdentityResult(result="not_found")
    return schemas.IdentityResult(result="match" if person.name == query.name else "mismatch")


def log_call(
    session: Session, *, consumer: str, resource: str, purpose: str, subject: str | None, result: str,
    status: int, requested_at: datetime, request_bytes: int, response_bytes: int,
) -> CallLogEntry:
    entry = CallLogEntry(
        consumer=consumer[:40], resource=resource[:64], purpose=purpose[:200],
        subject_masked=crypto.mask_id_number(subject) if subject else "-",
        subject_index=registry.id_index(subject.strip().upper()) if subject else None, result=result[:32],
        status=status,
        success=status < 400, requested_at=requested_at, responded_at=utcnow(), request_bytes=request_bytes,
        response_bytes=response_bytes, request_id=current.get().request_id)
    entry.duration_ms = min(max(0, round((entry.responded_at - requested_at).total_seconds() * 1000)), 2**31 - 1)
    session.add(entry)
    session.flush()
    return entry


# ---------------------------------------------------------------- the call log: search, export, retention, charts


@dataclass(frozen=True)
class CallFilter:
    """What staff search the call log by; every part optional."""

    consumer: str = ""
    resource: str = ""
    outcome: str = ""  # "ok", "error" or "" for both
    subject: str = ""  # a resident ID number: found through its blind index, never stored in clear
    since: date | None = None
    until: date | None = None  # inclusive, a day in Beijing time

    def checked(self) -> CallFilter:
        errors = []
        if self.outcome not in {"", "ok", "error"}:
            errors.append(FieldError("outcome", "renshe:sharing/outcome", "结果须为 ok（成功）或 error（失败）"))
        if self.subject:
            try:
                ids.parse_resident_id(self.subject, field="subject")
            except ids.IdentifierError as exc:
                errors.extend(exc.errors)
        if self.since and self.until and self.since > self.until:
            errors.append(FieldError("until", "renshe:sharing/date-range", "结束日期不能早于开始日期"))
        if errors:
            raise ValidationFailed(errors)
        return self


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


def _filtered(stmt: Any, filters: CallFilter) -> Any:
    if filters.consumer:
        stmt = stmt.where(CallLogEntry.consumer == filters.consumer)
    if filters.resource:
        stmt = stmt.where(CallLogEntry.resource == filters.resource)
    if filters.outcome:
        stmt = stmt.where(CallLogEntry.success.is_(filters.outcome == "ok"))
    if filters.subject:
        stmt = stmt.where(CallLogEntry.subject_index == registry.id_index(
            ids.parse_resident_id(filters.subject).number))
    if filters.since:
        stmt = stmt.where(CallLogEntry.requested_at >= _day_start(filters.since))
    if filters.until:
        stmt = stmt.where(CallLogEntry.requested_at < _day_start(filters.until + timedelta(days=1)))
    return stmt


def search_calls(session: Session, *, filters: CallFilter = CallFilter(), limit: int = 50,
                 cursor: str | None = None) -> tuple[list[CallLogEntry], str | None]:
    """A page of the call log, newest first; `cursor` is the next page's opaque position."""
    filters = filters.checked()
    stmt = _filtered(select(CallLogEntry), filters).order_by(CallLogEntry.id.desc()).limit(min(limit, 500) + 1)
    if cursor:
        if not cursor.isdigit():
            raise ValidationFailed([FieldError("cursor", "renshe:pagination/cursor", "分页位置无效")])
        stmt = stmt.where(CallLogEntry.id < int(cursor))
    rows = list(session.scalars(stmt))
    more = len(rows) > min(limit, 500)
    rows = rows[:min(limit, 500)]
    return rows, (str(rows[-1].id) if more and rows else None)


def call_log(session: Session, *, consumer: str | None = None, limit: int = 100) -> list[CallLogEntry]:
    return search_calls(session, filters=CallFilter(consumer=consumer or ""), limit=limit)[0]


CALL_COLUMNS = (("requested_at", "请求时间"), ("responded_at", "响应时间"), ("duration_ms", "耗时(毫秒)"),
                ("consumer", "调用方"), ("resource", "资源"), ("purpose", "用途"), ("subject_masked", "对象(脱敏)"),
                ("result", "结果"), ("status", "状态码"), ("success", "成功"), ("request_bytes", "请求字节"),
                ("response_bytes", "响应字节"), ("request_id", "请求编号"))


def export_calls(session: Session, *, filters: CallFilter, fmt: str, out: IO[bytes]) -> int:
    """Write the matching calls (oldest first) as CSV or XLSX, streaming: memory does not grow with the log."""
    filters = filters.checked()
    if fmt not in {"csv", "xlsx"}:
        raise ValidationFailed([FieldError("format", "renshe:sharing/format", "导出格式须为 csv 或 xlsx")])
    stmt = _filtered(select(CallLogEntry), filters).order_by(CallLogEntry.id).execution_options(yield_per=2000)

    def cells(entry: CallLogEntry) -> list[Any]:
        row: list[Any] = []
        for key, _label in CALL_COLUMNS:
            value = getattr(entry, key)
            if isinstance(value, datetime):
                value = value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
            elif isinstance(value, bool):
                value = "是" if value else "否"
            row.append(value)
        return row

    count = 0
    if fmt == "csv":
        import csv
        import io

        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
        writer = csv.writer(text)
        writer.writerow([label for _key, label in CALL_COLUMNS])
        for entry in session.scalars(stmt):
            writer.writerow(cells(entry))
            count += 1
        text.detach()
        return count
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("调用日志")
    sheet.append([label for _key, label in CALL_COLUMNS])
    for entry in session.scalars(stmt):
        sheet.append(cells(entry))
        count += 1
    book.save(out)
    return count


def purge_calls(session: Session, *, actor: Principal, now: datetime | None = None) -> int:
    """Delete the calls older than the retention period (RENSHE_CALL_LOG_RETENTION_DAYS); audited."""
    from sqlalchemy import delete

    from renshe.core.settings import get_settings

    days = get_settings().call_log_retention_days
    cutoff = (now or utcnow()) - timedelta(days=days)
    result = session.execute(delete(CallLogEntry).where(CallLogEntry.requested_at < cutoff))
    removed = getattr(result, "rowcount", 0) or 0
    if removed:
        audit.record(session, actor=actor, action="sharing.purge_calls", entity_type="call_log",
                     entity_id=cutoff.date().isoformat(), after={"removed": removed, "retention_days": days})
    return int(removed)


@dataclass
class ConsumerStats:
    consumer: str
    name: str
    calls: int
    errors: int
    avg_ms: float
    p95_ms: int
    max_ms: int
    per_day: list[tuple[date, int, int]]  # (day, successful calls, failed calls)

    @property
    def error_rate(self) -> float:
        return self.errors / self.calls if self.calls else 0.0


def call_stats(session: Session, *, days: int = 14, today: date | None = None) -> list[ConsumerStats]:
    """Per consumer over the last `days` days (Beijing time): volume per day, errors, latency (avg, p95, max)."""
    if not 1 <= days <= 92:
        raise ValidationFailed([FieldError("days", "renshe:sharing/days", "统计天数须在1至92之间")])
    last = today or datetime.now(SHANGHAI).date()
    first = last - timedelta(days=days - 1)
    since = _day_start(first)
    names: dict[str, str] = dict(session.execute(select(Consumer.client_id, Consumer.name)).all())
    window = CallLogEntry.requested_at >= since
    totals = session.execute(
        select(CallLogEntry.consumer, func.count(), func.sum(func.cast(~CallLogEntry.success, Integer_)),
               func.avg(CallLogEntry.duration_ms), func.max(CallLogEntry.duration_ms))
        .where(window).group_by(CallLogEntry.consumer)).all()
    out: dict[str, ConsumerStats] = {}
    for consumer, calls, errors, avg_ms, max_ms in totals:
        offset = max(0, math.ceil(0.95 * calls) - 1)
        p95 = session.scalar(select(CallLogEntry.duration_ms).where(window, CallLogEntry.consumer == consumer)
                             .order_by(CallLogEntry.duration_ms).offset(offset).limit(1)) or 0
        out[consumer] = ConsumerStats(consumer, names.get(consumer, consumer), int(calls), int(errors or 0),
                                      round(float(avg_ms or 0), 1), int(p95), int(max_ms or 0),
                                      [(first + timedelta(days=i), 0, 0) for i in range(days)])
    for i in range(days):
        day = first + timedelta(days=i)
        rows = session.execute(
            select(CallLogEntry.consumer, CallLogEntry.success, func.count())
            .where(CallLogEntry.requested_at >= _day_start(day),
                   CallLogEntry.requested_at < _day_start(day + timedelta(days=1)))
            .group_by(CallLogEntry.consumer, CallLogEntry.success)).all()
        for consumer, success, count in rows:
            stats = out.get(consumer)
            if stats is None:
                continue
            _day, ok, failed = stats.per_day[i]
            stats.per_day[i] = (day, ok + (count if success else 0), failed + (0 if success else count))
    return sorted(out.values(), key=lambda s: -s.calls)


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
    actor.require("user.manage")
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
    actor.require("user.manage")
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
        sheet.append(values)
    book.save(out)
    return len(rows)


@dataclass(frozen=True)
class ConsumerView:
    client_id: str
    name: str
    active: bool
    grants: list[str]


def consumers(session: Session) -> list[ConsumerView]:
    rows = session.execute(
        select(Consumer.client_id, Consumer.name, Consumer.active, ShareResource.short_name)
        .outerjoin(Grant, Grant.consumer_id == Consumer.id)
        .outerjoin(ShareResource, ShareResource.id == Grant.resource_id).order_by(Consumer.id))
    found: dict[str, ConsumerView] = {}
    for client_id, name, active, short_name in rows:
        view = found.setdefault(client_id, ConsumerView(client_id, name, active, []))
        if short_name:
            view.grants.append(short_name)
    return list(found.values())


# ---------------------------------------------------------------- status queries, one registration point

Answer = Callable[[Session, registry.Person], dict[str, Any]]
_ANSWERS: dict[str, Answer] = {}


def register_answer(short_name: str, answer: Answer) -> None:
    """A capability registers how it answers a catalog resource about a person (card status,
    certificates, unemployment, pension… as they land); the gateway serves it with grants and logging."""
    _ANSWERS[short_name] = answer


def answerable() -> list[str]:
    return sorted(_ANSWERS)


def query_person(session: Session, *, short_name: str, id_number: str) -> dict[str, Any]:
    """Answer a registered resource about the person with this resident ID number."""
    answer = _ANSWERS.get(short_name)
    if answer is None:
        raise NotFound("该资源的查询服务（尚未开通）", code="renshe:sharing/not-served")
    person = registry.person_by_id_number(session, id_number=id_number)
    if person is None or person.status == "merged":
        return {"found": False}
    return {"found": True, **answer(session, person)}


def _person_basic(_session: Session, person: registry.Person) -> dict[str, Any]:
    # Masked as for any caller without the unmask grant: consumers never receive full numbers.
    return {
        "name": person.name, "sex": person.sex, "birth_date": person.birth_date.isoformat(),
        "residence_division": person.residence_division, "status": person.status,
        "id_number": person.id_number_masked, "real_name_state": person.real_name_state,
    }


def _employment_status(session: Session, person: registry.Person) -> dict[str, Any]:
    current_jobs = [r for r in registry.person_employments(session, person=person) if r.end_date is None]
    return {
        "employed": bool(current_jobs),
        "employers": [{"credit_code": r.employer.credit_code, "name": r.employer.name,
                       "since": r.start_date.isoformat()} for r in current_jobs],
    }


register_answer("person-basic", _person_basic)
register_answer("employment-status", _employment_status)


@dataclass(frozen=True)
class Lookup:
    at: datetime
    department: str
    resource: str
    purpose: str
    result: str


def lookups_of(session: Session, *, person: registry.Person, limit: int = 100) -> list[Lookup]:
    """Which departments looked this person up, for what, and when (shown to the person)."""
    stmt = (select(CallLogEntry, Consumer.name, ShareResource.name)
            .join(Consumer, Consumer.client_id == CallLogEntry.consumer)
            .outerjoin(ShareResource, ShareResource.short_name == CallLogEntry.resource)
            .where(CallLogEntry.subject_index == person.id_number_index)
            .order_by(CallLogEntry.id.desc()).limit(limit))
    return [Lookup(entry.requested_at, department, resource or entry.resource, entry.purpose, entry.result)
            for entry, department, resource in session.execute(stmt)]


# ---------------------------------------------------------------- once-only prefill (不得要求群众重复提供)


@dataclass(frozen=True)
class Prefilled:
    value: Any
    resource: str  # the catalog resource the value comes from
    source: str  # how the platform came to hold it
    updated_at: datetime


def _field_sources(person: registry.Person) -> dict[str, tuple[Any, str]]:
    cipher = crypto.cipher()
    phone = cipher.decrypt(person.phone_encrypted, purpose=registry.PHONE_PURPOSE) if person.phone_encrypted else None
    return {
        "name": (person.name, "person-basic"),
        "id_number": (cipher.decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE), "identity-verification"),
        "sex": (person.sex, "person-basic"),
        "birth_date": (person.birth_date.isoformat(), "person-basic"),
        "phone": (phone, "person-basic"),
        "residence_division": (person.residence_division, "person-basic"),
        "hukou_division": (person.hukou_division, "person-basic"),
    }


PREFILL_FIELDS = ("name", "id_number", "sex", "birth_date", "phone", "residence_division", "hukou_division",
                  "employer_credit_code", "employer_name")


def prefill(session: Session, *, person: registry.Person, wanted: list[str]) -> dict[str, Prefilled]:
    """The values the platform already holds for the wanted fields, each with its provenance.

    Full values: the caller is the person themself (or the service hall acting for them), not a
    consumer; fields the platform does not hold are simply absent, to be asked for.
    """
    unknown = [f for f in wanted if f not in PREFILL_FIELDS]
    if unknown:
        raise ValidationFailed([FieldError("fields", "renshe:prefill/unknown-field",
                                           f"不支持预填的字段：{', '.join(unknown)}")])
    source = person.source if person.source != "window" else "窗口登记"
    found: dict[str, Prefilled] = {}
    held = _field_sources(person)
    for name in wanted:
        if name in held and held[name][0] is not None:
            found[name] = Prefilled(held[name][0], held[name][1], source, person.updated_at)
    if {"employer_credit_code", "employer_name"} & set(wanted):
        jobs = [r for r in registry.person_employments(session, person=person) if r.end_date is None]
        if jobs:
            job = jobs[0]
            reported = f"单位报告（{job.reported_by}）"
            for name, value in (("employer_credit_code", job.employer.credit_code),
                                ("employer_name", job.employer.name)):
                if name in wanted:
                    found[name] = Prefilled(value, "employment-status", reported, job.created_at)
    return found
