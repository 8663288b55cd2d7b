"""The gateway's call log: search, export, retention and the dashboard's figures."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import IO, Any

from sqlalchemy import Integer as Integer_
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.core import audit, ids, tabular
from renshe.core.auth import SYSTEM, Principal
from renshe.core.db import utcnow
from renshe.core.errors import (
    FieldError,
    ValidationFailed,
)
from renshe.registry import service as registry
from renshe.sharing import policy
from renshe.sharing.catalog import SHANGHAI
from renshe.sharing.models import CallCount, CallLogEntry, Consumer, ShareResource

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


def search_calls(session: Session, *, actor: Principal, filters: CallFilter = CallFilter(), limit: int = 50,
                 cursor: str | None = None) -> tuple[list[CallLogEntry], str | None]:
    """A page of the call log, newest first; `cursor` is the next page's opaque position."""
    policy.require(actor, "monitor")
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
    return search_calls(session, actor=SYSTEM, filters=CallFilter(consumer=consumer or ""), limit=limit)[0]


CALL_COLUMNS = (("requested_at", "请求时间"), ("responded_at", "响应时间"), ("duration_ms", "耗时(毫秒)"),
                ("consumer", "调用方"), ("resource", "资源"), ("purpose", "用途"), ("subject_masked", "对象(脱敏)"),
                ("result", "结果"), ("status", "状态码"), ("success", "成功"), ("request_bytes", "请求字节"),
                ("response_bytes", "响应字节"), ("request_id", "请求编号"))


def export_calls(session: Session, *, actor: Principal, filters: CallFilter, fmt: str, out: IO[bytes]) -> int:
    """Write the matching calls (oldest first) as CSV or XLSX, streaming: memory does not grow with the log."""
    policy.require(actor, "monitor")
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
        import io

        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
        writer = tabular.SafeCsvWriter(text)
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
        sheet.append(tabular.xlsx_row(sheet, cells(entry)))
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
    session.execute(delete(CallCount).where(CallCount.day < cutoff.astimezone(SHANGHAI).date()))
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


def call_stats(session: Session, *, actor: Principal, days: int = 14, today: date | None = None,
               ) -> list[ConsumerStats]:
    """Per consumer over the last `days` days (Beijing time): volume per day, errors, latency (avg, p95, max)."""
    policy.require(actor, "monitor")
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
