"""好差评 (国办发〔2019〕51号, GB/T 39044-2020): one rating per handled application on five levels with
indicator scores, a rectification case (整改) for every bad review with a callback, a deadline, an
outcome and publication, and the satisfaction dashboards.

Online (一事一评) the applicant rates on the application page; at the window (一次一评) the clerk opens a
tablet page `/hall/rate/{token}` whose signed token names the application. The database holds one
rating per application (unique constraint) whatever the channel.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from renshe.core import audit, divisions, labels
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import Conflict, FieldError, NotFound, Unauthorized, ValidationFailed
from renshe.core.events import record_event
from renshe.core.settings import get_settings
from renshe.hall import clock, policy
from renshe.hall.models import Application, HallItem, Rectification, Review

LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
BAD_LEVELS = frozenset({1, 2})
ONLINE_INDICATORS = {"overall": "整体满意度", "efficiency": "办事效率", "guide_accuracy": "办事指南精确度",
                     "convenience": "办事便捷度", "usability": "平台操作性"}
WINDOW_INDICATORS = {"efficiency": "办事效率", "service": "服务质量", "attitude": "服务态度"}
OUTCOMES = {"rectified": "已整改", "explained": "已解释说明", "unfounded": "经核实不属实", "appealed": "恶意差评已申诉"}
STATUS_LABELS = labels.register(
    "hall.review_status", {"open": "待回访", "called_back": "已回访，整改中", "closed": "已办结"})
TOKEN_MINUTES = 30


def rectify_workdays() -> int:
    """RENSHE_HALL_RECTIFY_DAYS (default 15, provinces use 5 to 15): the rectification deadline."""
    return get_settings().hall_rectify_days


def indicators(channel: str) -> dict[str, str]:
    return WINDOW_INDICATORS if channel == "window" else ONLINE_INDICATORS


def tablet_actor(*, clerk: str, application: Application) -> Principal:
    """Who rates on the window tablet: the tablet itself, acting for the clerk who opened it."""
    return Principal(kind="system", subject=f"window:{clerk}", display_name="窗口评价器",
                     division_code=application.division_code, roles=("system",))


def application_of(session: Session, case_: Rectification) -> Application | None:
    """The application a rectification case is about."""
    return session.get(Application, case_.application_id)


def case_of(session: Session, review: Review) -> str | None:
    """The public id of the rectification case a bad review opened, if any."""
    return session.scalar(select(Rectification.public_id).where(Rectification.review_id == review.id))


def review_of(session: Session, application: Application) -> Review | None:
    return session.scalar(select(Review).where(Review.application_id == application.id))


def can_rate(application: Application) -> bool:
    return application.decision is not None and application.decided_at is not None


# ---------------------------------------------------------------- window tokens (一次一评)


def _key() -> bytes:
    return hmac.new(get_settings().key_bytes("token"), b"hall.rate", hashlib.sha256).digest()


def window_token(*, actor: Principal, application: Application) -> str:
    """A clerk opens the rating tablet for a decided application at the window."""
    policy.require(actor, "review.window_token", application)
    if not can_rate(application):
        raise Conflict("办件尚未办结，办结后才能评价", code="renshe:hall/rate-not-decided")
    body = f"{application.public_id}.{int(time.time()) + TOKEN_MINUTES * 60}.{actor.subject}"
    mac = hmac.new(_key(), body.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(body.encode() + b"|" + mac).decode().rstrip("=")


def read_token(token: str) -> tuple[str, str]:
    """(application public id, clerk) from a valid, unexpired tablet token; 401 otherwise."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        body, mac = raw[:-17], raw[-16:]
        if raw[-17:-16] != b"|" or not hmac.compare_digest(
                hmac.new(_key(), body, hashlib.sha256).digest()[:16], mac):
            raise ValueError("signature")
        public_id, expires, clerk = body.decode().split(".", 2)
    except (ValueError, UnicodeDecodeError):
        raise Unauthorized("评价链接无效", code="renshe:hall/rate-token") from None
    if int(expires) < time.time():
        raise Unauthorized("评价链接已过期，请工作人员重新打开评价页", code="renshe:hall/rate-token-expired")
    return public_id, clerk


def application_for_token(session: Session, token: str) -> Application:
    public_id, _ = read_token(token)
    application = session.scalar(select(Application).where(Application.public_id == public_id))
    if application is None:
        raise NotFound("该办件", code="renshe:hall/application-not-found")
    return application


# ---------------------------------------------------------------- rating


def rate(session: Session, *, actor: Principal, application: Application, level: int,
         scores: Mapping[str, Any] | None = None, comment: str = "", channel: str = "online") -> Review:
    """Rate a decided application once. A bad review (不满意, 非常不满意) opens a rectification case."""
    if channel == "online":
        if not (policy.can(actor, "review.rate_online") and policy.can_see(session, actor, application)):
            policy.refuse(actor, "review.rate_online", application)
    elif channel != "window":
        raise ValidationFailed([FieldError("channel", "renshe:hall/rate-channel", "评价渠道无效")])
    if not can_rate(application):
        raise Conflict("办件尚未办结，办结后才能评价", code="renshe:hall/rate-not-decided")
    if review_of(session, application) is not None:
        raise Conflict("该办件已评价，每次办理只能评价一次", code="renshe:hall/rate-once")
    errors = []
    if level not in LEVELS:
        errors.append(FieldError("level", "renshe:hall/rate-level", "请选择评价等级（非常满意至非常不满意）"))
    known = indicators(channel)
    clean: dict[str, int] = {}
    for key, value in (scores or {}).items():
        if value in (None, ""):
            continue
        if key not in known:
            errors.append(FieldError(f"scores.{key}", "renshe:hall/rate-indicator", f"未知的评价指标：{key}"))
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = 0
        if not 1 <= number <= 5:
            errors.append(FieldError(f"scores.{key}", "renshe:hall/rate-score", f"“{known[key]}”应为1至5分"))
            continue
        clean[key] = number
    comment = (comment or "").strip()
    if len(comment) > 500:
        errors.append(FieldError("comment", "renshe:hall/rate-comment", "评价内容不超过500字"))
    if level in BAD_LEVELS and len(comment) < 2:
        errors.append(FieldError("comment", "renshe:hall/rate-reason", "差评请写明不满意的原因，便于回访整改"))
    if errors:
        raise ValidationFailed(errors, detail="评价未提交，请按提示修改")
    day = clock.today()
    review = Review(application_id=application.id, division_code=application.division_code,
                    item_code=application.item_code, level=level, scores=clean, comment=comment, channel=channel,
                    rated_by=actor.subject, rated_on=day)
    try:
        with session.begin_nested():
            session.add(review)
            session.flush()
    except IntegrityError:
        raise Conflict("该办件已评价，每次办理只能评价一次", code="renshe:hall/rate-once") from None
    audit.record(session, actor=actor, action="hall.review", entity_type="hall_application",
                 entity_id=application.public_id, after={"level": level, "channel": channel, "scores": clean})
    record_event(session, "hall.application_reviewed", {
        "application": application.public_id, "item": application.item_code, "division": application.division_code,
        "level": level, "channel": channel})
    if level in BAD_LEVELS:
        _open_case(session, actor=actor, application=application, review=review, day=day)
    return review


def _open_case(session: Session, *, actor: Principal, application: Application, review: Review,
               day: date) -> Rectification:
    deadline = clock.calendar(session).add_workdays(day, rectify_workdays())
    case_ = Rectification(review_id=review.id, application_id=application.id,
                          division_code=application.division_code, item_code=application.item_code, opened_on=day,
                          deadline=deadline, status="open", published=False)
    session.add(case_)
    session.flush()
    audit.record(session, actor=actor, action="hall.rectification_open", entity_type="hall_rectification",
                 entity_id=case_.public_id, after={"application": application.number, "level": review.level,
                                                   "deadline": deadline.isoformat()})
    record_event(session, "hall.rectification_opened", {
        "case": case_.public_id, "application": application.public_id, "division": application.division_code,
        "level": review.level, "deadline": deadline.isoformat()})
    return case_


# ---------------------------------------------------------------- rectification (整改)


def cases(session: Session, *, actor: Principal, status: str | None = None,
          limit: int = 100) -> list[tuple[Rectification, Review, Application]]:
    """Rectification cases of the caller's division and below (supervisors see their counties')."""
    policy.require(actor, "rectification.handle")
    prefix = divisions.scope_prefix(actor.division_code)
    stmt = (select(Rectification, Review, Application).join(Review, Review.id == Rectification.review_id)
            .join(Application, Application.id == Rectification.application_id))
    if prefix:
        stmt = stmt.where(Rectification.division_code.startswith(prefix))
    if status:
        stmt = stmt.where(Rectification.status == status)
    return [(r, v, a) for r, v, a in session.execute(stmt.order_by(Rectification.id.desc()).limit(limit))]


def get_case(session: Session, *, actor: Principal, public_id: str) -> Rectification:
    policy.require(actor, "rectification.handle")
    found = session.scalar(select(Rectification).where(Rectification.public_id == public_id))
    if found is None or not policy.can(actor, "division.reach", found.division_code):
        raise NotFound("该整改事项", code="renshe:hall/rectification-not-found")
    return found


def record_callback(session: Session, *, actor: Principal, case_: Rectification, note: str) -> Rectification:
    """回访: the office called the applicant back; what was said."""
    policy.require(actor, "rectification.handle")
    if case_.status == "closed":
        raise Conflict("整改事项已办结", code="renshe:hall/rectification-closed")
    if len(note.strip()) < 4:
        raise ValidationFailed([FieldError("note", "renshe:hall/callback-note", "请填写回访情况（至少4个字）")])
    case_.status, case_.callback_at, case_.callback_by, case_.callback_note = (
        "called_back", utcnow(), actor.subject, note.strip())
    session.flush()
    audit.record(session, actor=actor, action="hall.rectification_callback", entity_type="hall_rectification",
                 entity_id=case_.public_id, after={"note": note.strip()})
    return case_


def close_case(session: Session, *, actor: Principal, case_: Rectification, outcome: str, note: str,
               public_summary: str = "", publish: bool = False) -> Rectification:
    """Record the outcome; on time if closed by the deadline. Publishing needs an anonymised summary."""
    policy.require(actor, "rectification.handle")
    errors = []
    if case_.callback_at is None:
        errors.append(FieldError("outcome", "renshe:hall/callback-first", "请先回访申请人，再填写整改结果"))
    if outcome not in OUTCOMES:
        errors.append(FieldError("outcome", "renshe:hall/outcome", "请选择整改结果"))
    if len(note.strip()) < 4:
        errors.append(FieldError("note", "renshe:hall/outcome-note", "请填写整改情况（至少4个字）"))
    if publish and len(public_summary.strip()) < 4:
        errors.append(FieldError("public_summary", "renshe:hall/public-summary",
                                 "公开整改情况须填写不含个人信息的公开摘要"))
    if case_.status == "closed":
        raise Conflict("整改事项已办结", code="renshe:hall/rectification-closed")
    if errors:
        raise ValidationFailed(errors)
    day = clock.today()
    case_.status, case_.outcome, case_.outcome_note, case_.closed_on = "closed", outcome, note.strip(), day
    case_.on_time = day <= case_.deadline
    case_.published, case_.public_summary = publish, public_summary.strip() or None
    session.flush()
    audit.record(session, actor=actor, action="hall.rectification_close", entity_type="hall_rectification",
                 entity_id=case_.public_id, after={"outcome": outcome, "on_time": case_.on_time, "published": publish})
    record_event(session, "hall.rectification_closed", {
        "case": case_.public_id, "division": case_.division_code, "outcome": outcome, "on_time": case_.on_time,
        "published": publish})
    return case_


@dataclass(frozen=True)
class PublicCase:
    item_name: str
    division_name: str
    level_label: str
    opened_on: date
    closed_on: date | None
    outcome_label: str
    summary: str


def public_cases(session: Session, *, limit: int = 100) -> list[PublicCase]:
    """Published rectifications, anonymised: no name, number or comment, only the office's summary."""
    names = dict(session.execute(select(HallItem.code, HallItem.name)).all())
    rows = session.execute(select(Rectification, Review.level).join(Review, Review.id == Rectification.review_id)
                           .where(Rectification.published.is_(True)).order_by(Rectification.closed_on.desc())
                           .limit(limit))
    return [PublicCase(names.get(r.item_code, r.item_code), divisions.full_name(r.division_code), LEVELS[level],
                       r.opened_on, r.closed_on, OUTCOMES.get(r.outcome or "", ""), r.public_summary or "")
            for r, level in rows]


# ---------------------------------------------------------------- dashboards


@dataclass(frozen=True)
class Satisfaction:
    key: str
    label: str
    count: int
    average: float  # mean level, 1 to 5
    satisfied: int  # 非常满意 + 满意 + 基本满意
    bad: int

    @property
    def rate(self) -> float:
        return round(100.0 * self.satisfied / self.count, 1) if self.count else 0.0


def dashboard(session: Session, *, actor: Principal, since: date | None = None) -> dict[str, Any]:
    """Satisfaction by item, office and month, and the rectification on-time rate, in the caller's reach."""
    policy.require(actor, "rectification.handle")
    since = since or clock.today() - timedelta(days=365)
    prefix = divisions.scope_prefix(actor.division_code)
    scope = [Review.rated_on >= since] + ([Review.division_code.startswith(prefix)] if prefix else [])
    good = func.sum(case((Review.level >= 3, 1), else_=0))
    bad = func.sum(case((Review.level <= 2, 1), else_=0))
    names = dict(session.execute(select(HallItem.code, HallItem.name)).all())

    def grouped(column: Any) -> list[tuple[Any, int, float, int, int]]:
        stmt = select(column, func.count(), func.avg(Review.level), good, bad).where(*scope).group_by(column)
        return [(k, int(n), float(avg or 0), int(g or 0), int(b or 0)) for k, n, avg, g, b in
                session.execute(stmt.order_by(column))]

    by_item = [Satisfaction(k, names.get(k, k), n, round(a, 2), g, b) for k, n, a, g, b in grouped(Review.item_code)]
    by_office = [Satisfaction(k, divisions.full_name(k), n, round(a, 2), g, b)
                 for k, n, a, g, b in grouped(Review.division_code)]
    months: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0, 0])
    for day, n, a, g, b in grouped(Review.rated_on):
        month = day.strftime("%Y-%m")
        months[month][0] += n
        months[month][1] += a * n
        months[month][2] += g
        months[month][3] += b
    by_month = [Satisfaction(m, m, int(v[0]), round(v[1] / v[0], 2) if v[0] else 0.0, int(v[2]), int(v[3]))
                for m, v in sorted(months.items())]
    rect_scope = [Rectification.division_code.startswith(prefix)] if prefix else []
    closed, on_time, open_count = session.execute(select(
        func.sum(case((Rectification.status == "closed", 1), else_=0)),
        func.sum(case((Rectification.on_time.is_(True), 1), else_=0)),
        func.sum(case((Rectification.status != "closed", 1), else_=0))).where(*rect_scope)).one()
    closed, on_time, open_count = int(closed or 0), int(on_time or 0), int(open_count or 0)
    return {"by_item": by_item, "by_office": by_office, "by_month": by_month,
            "rectification": {"closed": closed, "on_time": on_time, "open": open_count,
                              "on_time_rate": round(100.0 * on_time / closed, 1) if closed else 0.0}}
