"""Notices to persons (消息中心): the one way any domain tells a citizen that something happened to them.

`notify` stores the notice (shown newest first on the citizen's message centre, /citizen/notices) and sends
it as a text message to the phone on record through `core.messages`, in the caller's transaction: a notice
exists exactly when what it tells of was committed. The hall, insurance, pension and the card call it
through `renshe.registry.service`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from renshe.core import audit, crypto, messages, paging
from renshe.core.auth import SYSTEM, Principal, deny
from renshe.core.db import utcnow
from renshe.core.errors import NotFound
from renshe.registry.models import Notice, Person
from renshe.registry.service.common import PHONE_PURPOSE

TEXT_LIMIT = 300  # characters of the text message (the full body stays in the message centre)


@dataclass(frozen=True)
class NoticeView:
    """One notice as its person sees it."""

    public_id: str
    kind: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read: bool


def notify(session: Session, *, person_pk: int, kind: str, title: str, body: str, link: str | None = None) -> str:
    """Tell the person PERSON_PK (`registry.person_pk`) something: store a notice and text it to their phone.

    KIND names the event (`<domain>.<event>`, e.g. `hall.accepted`, `pension.decided`); TITLE is one short
    line (at most 200 characters), BODY the whole message (at most 1,000), LINK a path on this site where it
    can be followed (e.g. `/citizen/applications/<id>`). The text message carries the title and body, never
    the link. Nothing is committed here: the caller's unit of work commits the notice with its cause.
    Returns the notice's public id."""
    person = session.get(Person, person_pk)
    if person is None:
        raise NotFound("该人员", code="renshe:person/not-found")
    notice = Notice(person_id=person.id, kind=kind[:48], title=title[:200], body=body[:1000], link=link,
                    texted=False)
    if person.phone_encrypted is not None and person.status == "normal":
        phone = crypto.cipher().decrypt(person.phone_encrypted, purpose=PHONE_PURPOSE)
        text = f"【人社服务】{title}。{body}"
        if len(text) > TEXT_LIMIT:
            text = text[:TEXT_LIMIT - 1] + "…"
        messages.send(session, phone=phone, body=text + "详情请登录个人服务“消息中心”查看。",
                      purpose=f"notice:{kind}"[:32])
        notice.texted = True
    session.add(notice)
    session.flush()
    audit.record(session, actor=SYSTEM, action="notice.send", entity_type="person", entity_id=person.public_id,
                 after={"notice": notice.public_id, "kind": notice.kind, "title": notice.title,
                        "texted": notice.texted})
    return notice.public_id


def _own_pk(session: Session, actor: Principal) -> int:
    """The citizen's own person key; anyone else is refused (audited)."""
    if actor.kind != "citizen":
        raise deny(actor, entity_type="notice", entity_id="", action="notice.read",
                   detail="只有本人可以查看自己的消息")
    pk = session.scalar(select(Person.id).where(Person.public_id == actor.subject))
    if pk is None:
        raise NotFound("该人员", code="renshe:person/not-found")
    return pk


def _view(notice: Notice) -> NoticeView:
    return NoticeView(public_id=notice.public_id, kind=notice.kind, title=notice.title, body=notice.body,
                      link=notice.link, created_at=notice.created_at, read=notice.read_at is not None)


def notices_of(session: Session, *, actor: Principal, limit: int = 20,
               cursor: str | None = None) -> tuple[list[NoticeView], str | None]:
    """The citizen's own notices, newest first, one page (`core.paging` cursor: continue below its id)."""
    pk = _own_pk(session, actor)
    limit = max(1, min(limit, 100))
    stmt = select(Notice).where(Notice.person_id == pk)
    after = paging.decode_cursor(cursor)
    if after:
        stmt = stmt.where(Notice.id < after)
    rows = list(session.scalars(stmt.order_by(Notice.id.desc()).limit(limit + 1)))
    next_cursor = paging.encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return [_view(n) for n in rows[:limit]], next_cursor


def unread_count(session: Session, *, actor: Principal) -> int:
    """How many of the citizen's notices are unread."""
    pk = _own_pk(session, actor)
    return session.scalar(select(func.count()).select_from(Notice)
                          .where(Notice.person_id == pk, Notice.read_at.is_(None))) or 0


def mark_read(session: Session, *, actor: Principal, public_id: str) -> NoticeView:
    """Mark one of the citizen's own notices read; another person's notice is not found."""
    pk = _own_pk(session, actor)
    notice = session.scalar(select(Notice).where(Notice.public_id == public_id, Notice.person_id == pk))
    if notice is None:
        raise NotFound("该消息", code="renshe:notice/not-found")
    if notice.read_at is None:
        notice.read_at = utcnow()
        session.flush()
    return _view(notice)


def mark_all_read(session: Session, *, actor: Principal) -> int:
    """Mark every unread notice of the citizen read; returns how many."""
    pk = _own_pk(session, actor)
    result = session.execute(update(Notice).where(Notice.person_id == pk, Notice.read_at.is_(None))
                             .values(read_at=utcnow()).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
