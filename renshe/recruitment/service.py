"""Public recruitment (公共招聘): employers post jobs coded with the national occupation classification, a clerk
moderates them, seekers search with Chinese full text, apply and hear back; fake postings are reported and
taken down; the matching recommends jobs to seekers and candidates to employers with a score that explains
itself. Published postings travel to the ministry hub as `recruitment.posting_published` events and are
searchable there nationally (`jobs.sync_national`).

Who sees the contact phone unmasked: the posting's employer, staff in its jurisdiction, and a seeker who has
applied. The employer sees an applicant's phone only on applications to its own postings."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from renshe.core import audit, crypto, divisions, fulltext, labels, paging, workdays
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from renshe.core.events import record_event
from renshe.core.models import new_public_id
from renshe.core.settings import get_settings
from renshe.recruitment import rules, schemas
from renshe.recruitment.models import (
    JobApplication,
    JobPosting,
    Occupation,
)
from renshe.registry import service as registry

SEARCH_TABLE = "search_job_postings"
SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_DAYS_OPEN = 180
PUBLISHED_TOPIC = "recruitment.posting_published"
CLOSED_TOPIC = "recruitment.posting_closed"

STATE_LABELS = labels.register("recruitment.state", {"pending": "待审核", "published": "已发布", "rejected": "不予发布",
                                                     "withdrawn": "已下架"})
KIND_LABELS = labels.register("recruitment.kind", {"job": "招聘岗位", "internship": "就业见习岗位"})
EDUCATION_LABELS = labels.register("recruitment.education", {"": "不限", **rules.EDUCATION})
APPLICATION_LABELS = labels.register("recruitment.application", {
    "submitted": "已投递", "interview": "邀请面试", "hired": "已录用", "declined": "不合适"})
REPORT_REASONS = labels.register("recruitment.report_reason", {
    "fake": "虚假招聘", "fee": "收取费用或押金", "mismatch": "岗位信息与实际不符", "discrimination": "就业歧视",
    "other": "其他"})
REPORT_STATES = labels.register("recruitment.report_state", {"open": "待核查", "upheld": "举报属实，已下架",
                                                             "dismissed": "经核查不属实"})
PHONE_PURPOSE = "recruitment.contact_phone"


today = workdays.today  # tests replace it to move the clock


def invalid(field: str, rule: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldError(field, f"renshe:recruitment/{rule}", message)])


# ---- the occupation classification (职业分类大典) -------------------------------------------------------

@cache
def shipped_occupations() -> list[dict[str, str]]:
    """The major and middle categories shipped with renshe (data/occupations.json)."""
    data = json.loads((files("renshe.recruitment") / "data" / "occupations.json").read_text("utf-8"))
    return list(data["occupations"])


def occupation_name(session: Session, code: str) -> str:
    return _occupation_names(session).get(code, code)


_NAMES: dict[str, Any] = {"at": 0.0, "names": {}}
NAMES_SECONDS = 300.0  # another worker's import of the classification shows within this long


def _occupation_names(session: Session) -> dict[str, str]:
    """Code → name of the whole classification, read once per NAMES_SECONDS per process."""
    if time.monotonic() - _NAMES["at"] > NAMES_SECONDS or not _NAMES["names"]:
        _NAMES["names"] = dict(session.execute(select(Occupation.code, Occupation.name)).all())
        _NAMES["at"] = time.monotonic()
    return _NAMES["names"]  # type: ignore[no-any-return]


def occupations(session: Session, *, parent: str | None = None) -> list[Occupation]:
    stmt = select(Occupation).order_by(Occupation.code)
    stmt = stmt.where(Occupation.parent_code == parent) if parent else stmt.where(Occupation.level == "major")
    return list(session.scalars(stmt))


def all_occupations(session: Session, *, levels: tuple[str, ...] = ("major", "middle")) -> list[Occupation]:
    return list(session.scalars(select(Occupation).where(Occupation.level.in_(levels)).order_by(Occupation.code)))


def import_occupations(session: Session, *, actor: Principal, rows: list[tuple[int, str, str]]) -> dict[str, int]:
    """Import the published classification table (code, name per row): every row is checked before any is
    written, so a file applies whole or not at all. A code's parent must be known or in the same file."""
    if actor.kind not in {"system", "staff"} or (actor.kind == "staff" and not actor.has("import.run")):
        raise Forbidden("无权导入职业分类", code="renshe:recruitment/permission")
    known = set(session.scalars(select(Occupation.code)))
    incoming = {code.strip() for _, code, _ in rows}
    errors: list[FieldError] = []
    seen: set[str] = set()
    for line, raw_code, name in rows:
        code = raw_code.strip()
        where = f"row {line}"
        if not rules.OCCUPATION_CODE.match(code):
            errors.append(FieldError(where, "renshe:recruitment/occupation-code",
                                     f"第{line}行：职业编码“{code}”格式应为 大类-中类-小类-细类，如 2-02-10-03"))
        elif code in seen:
            errors.append(FieldError(where, "renshe:recruitment/occupation-duplicate", f"第{line}行：编码 {code} 重复"))
        elif (parent := rules.parent_of(code)) and parent not in known and parent not in incoming:
            errors.append(FieldError(where, "renshe:recruitment/occupation-parent",
                                     f"第{line}行：上级编码 {parent} 不在职业分类中，也不在本文件中"))
        if not name.strip() or len(name.strip()) > 100:
            errors.append(FieldError(where, "renshe:recruitment/occupation-name",
                                     f"第{line}行：职业名称应为1至100个字"))
        seen.add(code)
    if errors:
        raise ValidationFailed(errors[:200], detail=f"职业分类文件有 {len(errors)} 处错误，未导入任何一行")
    added = updated = 0
    for _line, raw_code, name in rows:
        code = raw_code.strip()
        row = session.get(Occupation, code)
        if row is None:
            session.add(Occupation(code=code, name=name.strip(), level=rules.level_of(code),
                                   parent_code=rules.parent_of(code)))
            added += 1
        elif row.name != name.strip():
            row.name = name.strip()
            updated += 1
    session.flush()
    _NAMES["at"] = 0.0
    audit.record(session, actor=actor, action="recruitment.import_occupations", entity_type="occupation",
                 entity_id="*", after={"added": added, "updated": updated})
    return {"added": added, "updated": updated, "rows": len(rows)}


# ---- postings -----------------------------------------------------------------------------------------

def _check_posting(session: Session, data: schemas.PostingIn) -> list[FieldError]:
    errors = list(registry.check_county(data.division_code, "division_code"))
    if session.get(Occupation, data.occupation_code) is None:
        errors.append(FieldError("occupation_code", "renshe:recruitment/occupation",
                                 f"职业编码 {data.occupation_code} 不在职业分类大典（2022）中"))
    if data.salary_min > data.salary_max:
        errors.append(FieldError("salary_max", "renshe:recruitment/salary-range", "月薪上限不能低于下限"))
    if data.education and data.education not in rules.EDUCATION:
        errors.append(FieldError("education", "renshe:recruitment/education", "学历要求应为学历代码表中的一项，或不限"))
    on = today()
    if data.expires_on <= on:
        errors.append(FieldError("expires_on", "renshe:recruitment/expiry-past", "截止日期应晚于今天"))
    elif data.expires_on > on + timedelta(days=MAX_DAYS_OPEN):
        errors.append(FieldError("expires_on", "renshe:recruitment/expiry-far", f"截止日期至多为{MAX_DAYS_OPEN}天后"))
    return errors


def post(session: Session, *, actor: Principal, data: schemas.PostingIn) -> JobPosting:
    """An employer (signed in with its verified credit code) posts a job; it waits for moderation."""
    if actor.kind != "employer":
        raise Forbidden("只有用人单位可以发布岗位", code="renshe:recruitment/employer-only")
    employer = registry.get_employer_of(session, principal=actor)
    if employer.status != "active":
        raise Forbidden("单位状态异常，不能发布岗位", code="renshe:recruitment/employer-inactive")
    errors = _check_posting(session, data)
    if errors:
        raise ValidationFailed(errors)
    province, public_id = get_settings().province_code, new_public_id()
    row = JobPosting(public_id=public_id, source_key=f"{province}:{public_id}", employer_id=employer.id,
                     employer_credit_code=employer.credit_code, employer_name=employer.name,
                     title=data.title.strip(), description=data.description.strip(),
                     occupation_code=data.occupation_code, division_code=data.division_code,
                     salary_min_fen=schemas.fen(data.salary_min), salary_max_fen=schemas.fen(data.salary_max),
                     education=data.education, headcount=data.headcount, expires_on=data.expires_on, kind=data.kind,
                     contact_name=data.contact_name.strip(),
                     contact_phone_encrypted=crypto.cipher().encrypt(data.contact_phone, purpose=PHONE_PURPOSE),
                     contact_phone_masked=crypto.mask_phone(data.contact_phone), state="pending",
                     origin_province=province)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="recruitment.post", entity_type="job_posting", entity_id=row.public_id,
                 after={"title": row.title, "occupation": row.occupation_code, "division": row.division_code})
    return row


def get_row(session: Session, public_id: str) -> JobPosting:
    row = session.scalar(select(JobPosting).where(JobPosting.public_id == public_id))
    if row is None:
        raise NotFound("该岗位", code="renshe:recruitment/not-found")
    return row


def is_own(actor: Principal, row: JobPosting, session: Session) -> bool:
    if actor.kind != "employer" or row.employer_id is None:
        return False
    return registry.get_employer_of(session, principal=actor).id == row.employer_id


def staff_reaches(actor: Principal, row: JobPosting, permission: str = "employer.read") -> bool:
    return actor.kind in {"staff", "system"} and actor.has(permission) and actor.can_reach(row.division_code)


def get_posting(session: Session, *, actor: Principal | None, public_id: str) -> JobPosting:
    """A posting as ACTOR may see it: published ones to anyone; others to the employer and staff."""
    row = get_row(session, public_id)
    if row.state == "published" or (actor is not None and (is_own(actor, row, session) or staff_reaches(actor, row))):
        return row
    raise NotFound("该岗位", code="renshe:recruitment/not-found")


def _applied(session: Session, actor: Principal | None, row: JobPosting) -> bool:
    if actor is None or actor.kind != "citizen":
        return False
    person_id = registry.person_pk(session, public_id=actor.subject)
    return person_id is not None and session.scalar(
        select(JobApplication.id).where(JobApplication.posting_id == row.id, JobApplication.person_id == person_id)
    ) is not None


def contact_visible(session: Session, *, actor: Principal | None, row: JobPosting) -> bool:
    if row.contact_phone_encrypted is None or actor is None:
        return False
    return is_own(actor, row, session) or staff_reaches(actor, row) or _applied(session, actor, row)


def out(session: Session, row: JobPosting, *, actor: Principal | None = None, reveal: bool | None = None
        ) -> schemas.PostingOut:
    visible = contact_visible(session, actor=actor, row=row) if reveal is None else reveal
    phone = (crypto.cipher().decrypt(row.contact_phone_encrypted, purpose=PHONE_PURPOSE)
             if visible and row.contact_phone_encrypted else row.contact_phone_masked)
    return schemas.PostingOut(
        public_id=row.public_id, source_key=row.source_key, origin_province=row.origin_province,
        employer_name=row.employer_name, employer_credit_code=row.employer_credit_code, title=row.title,
        description=row.description, occupation_code=row.occupation_code,
        occupation_name=occupation_name(session, row.occupation_code), division_code=row.division_code,
        division_name=divisions.full_name(row.division_code), salary_min=schemas.yuan(row.salary_min_fen),
        salary_max=schemas.yuan(row.salary_max_fen), education=row.education,
        education_label=EDUCATION_LABELS.get(row.education, "其他"), headcount=row.headcount,
        expires_on=row.expires_on, kind=row.kind, kind_label=KIND_LABELS[row.kind], state=row.state,
        state_label=STATE_LABELS[row.state], moderation_note=row.moderation_note, contact_name=row.contact_name,
        contact_phone=phone, contact_visible=visible, applications=row.applications, reports=row.reports,
        local=row.employer_id is not None)


def _event_payload(row: JobPosting) -> dict[str, Any]:
    """What the hub keeps of a posting: everything public, never the contact phone."""
    return {"source_key": row.source_key, "public_id": row.public_id, "province": row.origin_province,
            "employer_credit_code": row.employer_credit_code, "employer_name": row.employer_name,
            "title": row.title, "description": row.description, "occupation_code": row.occupation_code,
            "division_code": row.division_code, "salary_min_fen": row.salary_min_fen,
            "salary_max_fen": row.salary_max_fen, "education": row.education, "headcount": row.headcount,
            "expires_on": row.expires_on.isoformat(), "kind": row.kind, "contact_name": row.contact_name,
            "contact_phone_masked": row.contact_phone_masked}


def filter_terms(*, division: str = "", occupation: str = "", kind: str = "") -> list[str]:
    """Index terms for the filters (place, occupation, kind), so the full-text index drives a filtered search
    too and yields matches newest first: `d33`, `d3301`, `d330106`; `o2`, `o202`, `o20210`; `kjob`."""
    found = [f"d{division[:n]}" for n in (2, 4, 6) if len(division) >= n]
    parts = occupation.split("-") if occupation else []
    found += ["o" + "".join(parts[:n]) for n in range(1, len(parts) + 1)]
    return found + ([f"k{kind}"] if kind else [])


def index(session: Session, rows: list[JobPosting]) -> None:
    """Put ROWS into the full-text index: the words of the title, employer, description and occupation name,
    and the filter terms of its place, occupation and kind."""
    fulltext.put(session, SEARCH_TABLE, [
        (r.id, fulltext.terms(r.title, r.employer_name, r.description, occupation_name(session, r.occupation_code))
         + filter_terms(division=r.division_code, occupation=r.occupation_code, kind=r.kind))
        for r in rows])


def moderate(session: Session, *, actor: Principal, public_id: str, approve: bool, note: str = "") -> JobPosting:
    """The clerk publishes a pending posting, or refuses it with a reason the employer reads."""
    row = get_row(session, public_id)
    if not staff_reaches(actor, row, "employer.write"):
        raise Forbidden("无权审核该岗位", code="renshe:recruitment/permission")
    if row.state != "pending":
        raise Conflict(f"该岗位{STATE_LABELS[row.state]}，不能再次审核", code="renshe:recruitment/moderated")
    if not approve and not note.strip():
        raise invalid("note", "note", "不予发布时请填写理由")
    row.moderated_by, row.moderation_note = actor.subject, note.strip()[:500] or None
    if approve:
        row.state, row.published_at = "published", utcnow()
        session.flush()
        index(session, [row])
        COUNTS.clear()
        record_event(session, PUBLISHED_TOPIC, _event_payload(row))
    else:
        row.state = "rejected"
        session.flush()
    audit.record(session, actor=actor, action="recruitment.moderate", entity_type="job_posting",
                 entity_id=row.public_id, after={"state": row.state, "note": row.moderation_note})
    return row


def close_posting(session: Session, row: JobPosting, *, why: str) -> None:
    row.state = "withdrawn"
    row.moderation_note = why[:500]
    session.flush()
    fulltext.remove(session, SEARCH_TABLE, [row.id])
    COUNTS.clear()
    record_event(session, CLOSED_TOPIC, {"source_key": row.source_key, "reason": why[:200]})


def withdraw(session: Session, *, actor: Principal, public_id: str) -> JobPosting:
    """The employer takes its posting down (filled, or no longer wanted)."""
    row = get_row(session, public_id)
    if not is_own(actor, row, session):
        raise NotFound("该岗位", code="renshe:recruitment/not-found")
    if row.state not in {"pending", "published"}:
        raise Conflict(f"该岗位{STATE_LABELS[row.state]}", code="renshe:recruitment/closed")
    close_posting(session, row, why="单位已下架")
    audit.record(session, actor=actor, action="recruitment.withdraw", entity_type="job_posting",
                 entity_id=row.public_id)
    return row


def employer_postings(session: Session, *, actor: Principal) -> list[JobPosting]:
    employer = registry.get_employer_of(session, principal=actor)
    return list(session.scalars(select(JobPosting).where(JobPosting.employer_id == employer.id)
                                .order_by(JobPosting.id.desc()).limit(500)))


def moderation_queue(session: Session, *, actor: Principal, cursor: str | None = None, limit: int = 50
                     ) -> tuple[list[JobPosting], str | None]:
    if actor.kind != "staff" or not actor.has("employer.write"):
        raise Forbidden("无权审核岗位", code="renshe:recruitment/permission")
    stmt = (select(JobPosting).where(JobPosting.state == "pending", JobPosting.employer_id.is_not(None),
                                     JobPosting.division_code.startswith(divisions.scope_prefix(actor.division_code)))
            .order_by(JobPosting.id))
    after = paging.decode_cursor(cursor)
    if after:
        stmt = stmt.where(JobPosting.id > after)
    rows = list(session.scalars(stmt.limit(limit + 1)))
    return rows[:limit], paging.encode_cursor(rows[limit - 1].id) if len(rows) > limit else None


# ---- search -------------------------------------------------------------------------------------------

@dataclass
class Found:
    rows: list[JobPosting]
    next_cursor: str | None
    total: int
    terms: list[str]
    facets: dict[str, list[tuple[str, str, int]]]
    capped: bool = False


def _conditions(criteria: schemas.SearchIn) -> list[ColumnElement[bool]]:
    """The filters the full-text index does not hold (place, occupation and kind are its filter terms)."""
    where: list[ColumnElement[bool]] = [JobPosting.state == "published", JobPosting.expires_on >= today()]
    if criteria.salary_min is not None:
        where.append(JobPosting.salary_max_fen >= schemas.fen(criteria.salary_min))
    if criteria.education:
        if criteria.education not in rules.EDUCATION:
            raise invalid("education", "education", "学历应为学历代码表中的一项")
        ranks = [code for code in rules.EDUCATION if rules.meets_education(criteria.education, code)]
        where.append(JobPosting.education.in_(["", *ranks]))
    return where


COUNT_LIMIT = 1000  # the total and the facets are exact up to this many matches; above, "1000+" of the newest


def search(session: Session, *, criteria: schemas.SearchIn, cursor: str | None = None, limit: int = 20,
           facets: bool = True) -> Found:
    """Published, unexpired postings matching every word of the query and the filters, newest first, with
    the total and facet counts (by city, occupation major category and education). Both come from one pass
    over the newest COUNT_LIMIT + 1 matches: exact up to COUNT_LIMIT; beyond, the total reads COUNT_LIMIT
    with `capped` set and the facets count the newest COUNT_LIMIT. With words, the full-text index drives
    the query (`fulltext.match`: on SQLite, FTS5 yields matches newest first and the query stops early)."""
    words = fulltext.query_terms(criteria.q) if criteria.q.strip() else []
    if criteria.q.strip() and not words:
        return Found([], None, 0, [], {})
    where = _conditions(criteria)
    key: Any = JobPosting.id
    base = select(JobPosting.id)
    matching = words + filter_terms(division=criteria.division, occupation=criteria.occupation, kind=criteria.kind)
    if matching:
        found = fulltext.match(session.get_bind().dialect.name, SEARCH_TABLE, matching)
        key = found.key
        base = base.join(found.source, found.key == JobPosting.id)
        where.append(found.condition)
    base = base.where(*where).order_by(key.desc())
    page = base.with_only_columns(JobPosting)
    before = paging.decode_cursor(cursor)
    if before:
        page = page.where(key < before)
    rows = list(session.scalars(page.limit(limit + 1)))
    key_of = (tuple(matching), criteria.salary_min, criteria.education, today(), facets)
    counts = COUNTS.get(key_of)
    if counts is None:
        newest = session.execute(base.with_only_columns(JobPosting.division_code, JobPosting.occupation_code,
                                                        JobPosting.education).limit(COUNT_LIMIT + 1)).all()
        counted = _facets(session, [(r[0], r[1], r[2]) for r in newest[:COUNT_LIMIT]]) if facets and newest else {}
        counts = COUNTS.put(key_of, (min(len(newest), COUNT_LIMIT), len(newest) > COUNT_LIMIT, counted))
    total, capped, counted = counts
    return Found(rows[:limit], paging.encode_cursor(rows[limit - 1].id) if len(rows) > limit else None,
                 total, words, counted, capped=capped)


class _Counts:
    """The total and facets of recent searches, per process, for `search_counts_seconds` (as a search
    engine's request cache keeps aggregations): the page of postings itself is always read live. A
    moderation or a closing here clears it; another worker's shows within the time."""

    def __init__(self, size: int = 1024) -> None:
        self._entries: OrderedDict[Any, tuple[float, Any]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] < time.monotonic():
                return None
            return found[1]

    def put(self, key: Any, value: Any) -> Any:
        seconds = get_settings().search_counts_seconds
        if seconds > 0:
            with self._lock:
                self._entries[key] = (time.monotonic() + seconds, value)
                self._entries.move_to_end(key)
                while len(self._entries) > self._size:
                    self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


COUNTS = _Counts()


def _facets(session: Session, matches: list[tuple[str, str, str]]) -> dict[str, list[tuple[str, str, int]]]:
    """Counts by city, occupation major category and education of MATCHES (division, occupation, education)."""
    found: dict[str, list[tuple[str, str, int]]] = {}
    for name, values in (("city", [m[0][:4] for m in matches]), ("occupation", [m[1][:1] for m in matches]),
                         ("education", [m[2] for m in matches])):
        counts = Counter(values).most_common(20)
        found[name] = [(value, _facet_label(session, name, value), n) for value, n in counts]
    return found


def _facet_label(session: Session, name: str, value: str) -> str:
    if name == "city":
        return divisions.full_name(value + "00")
    if name == "occupation":
        return occupation_name(session, value)
    return EDUCATION_LABELS.get(value, "其他")


# ---- the national store (ministry hub) ----------------------------------------------------------------

def apply_national(session: Session, events: list[tuple[str, str, dict[str, Any]]]) -> dict[str, int]:
    """Apply provinces' posting events (province, topic, payload) to this node's postings and index: a
    published posting is stored once by its source key (a repeat updates it); a closed one leaves the search."""
    stored = closed = 0
    for province, topic, payload in events:
        key = str(payload.get("source_key", ""))
        if not key.startswith(f"{province}:"):
            continue  # a province speaks for its own postings only
        row = session.scalar(select(JobPosting).where(JobPosting.source_key == key))
        if row is not None and row.employer_id is not None:
            continue  # a posting made on this node is kept by this node
        if topic == CLOSED_TOPIC:
            if row is not None and row.state == "published":
                row.state, row.moderation_note = "withdrawn", str(payload.get("reason", ""))[:500]
                session.flush()
                fulltext.remove(session, SEARCH_TABLE, [row.id])
                closed += 1
            continue
        if row is None:
            row = JobPosting(source_key=key, origin_province=province, employer_id=None)
            session.add(row)
        row.public_id = str(payload["public_id"])
        row.employer_credit_code, row.employer_name = payload["employer_credit_code"], payload["employer_name"]
        row.title, row.description = payload["title"], payload["description"]
        row.occupation_code, row.division_code = payload["occupation_code"], payload["division_code"]
        row.salary_min_fen, row.salary_max_fen = int(payload["salary_min_fen"]), int(payload["salary_max_fen"])
        row.education, row.headcount = payload["education"], int(payload["headcount"])
        row.expires_on, row.kind = date.fromisoformat(payload["expires_on"]), payload["kind"]
        row.contact_name, row.contact_phone_masked = payload["contact_name"], payload["contact_phone_masked"]
        row.contact_phone_encrypted, row.state, row.published_at = None, "published", utcnow()
        session.flush()
        index(session, [row])
        stored += 1
    COUNTS.clear()
    return {"stored": stored, "closed": closed}


def salary_text(row: JobPosting) -> str:
    low, high = Decimal(row.salary_min_fen) / 100, Decimal(row.salary_max_fen) / 100
    return f"{low:,.0f}–{high:,.0f} 元/月"

