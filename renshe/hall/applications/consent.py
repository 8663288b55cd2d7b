"""Consent to act for someone (代办授权): nobody files in another person's name without that person's say.

A citizen who applies for someone else (the grantor, 被代办人) proves the grantor's consent in one of two ways:
- a one-time code sent to the grantor's phone on record, which the grantor passes on (one item, used once;
  the pages turn a right code into a 30-minute, one-use consent record so that the form can be filled in);
- a standing authorisation the grantor gave on their own page (/citizen/authorisations): to a named person,
  for one item or all, until a date at most a year ahead, revocable at any time.

Until consent is proven nothing about the grantor is shown, and a wrong name, an unknown ID number and a
person who cannot be represented online all get the same answer, so the form cannot be used to learn whether
a name goes with an ID number. Every filing in the grantor's name is notified to them (`service.notify_parties`).
A clerk's window filing (窗口代录, the person present) is `hall.window` and does not pass through here.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from renshe.core import audit
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import FieldError, NotFound, ValidationFailed
from renshe.hall import clock, policy, schemas
from renshe.hall.catalog import service as catalog
from renshe.hall.models import HallItem, ProxyAuthorisation
from renshe.registry import service as registry

CODE_PURPOSE = "proxy"
CONSENT_MINUTES = 30  # a right code lets the agent fill in the form for this long
STANDING_MAX_DAYS = 366
MISMATCH_CODE = "renshe:hall/represented-mismatch"
MISMATCH = "被代办人的姓名与公民身份号码不匹配或未在平台登记，请核对后重试；如有疑问请到窗口办理"
CONSENT_REQUIRED = "renshe:hall/consent-required"


def _mismatch(field: str = "representation") -> ValidationFailed:
    return ValidationFailed([FieldError(field, MISMATCH_CODE, MISMATCH)], detail=MISMATCH)


def matching_person(session: Session, *, id_number: str, name: str, field: str) -> registry.Person:
    """The person with this ID number and exactly this name, who can be represented online; otherwise the
    one answer that says neither which part was wrong nor anything about the person."""
    person = registry.person_by_id_number(session, id_number=id_number, field=f"{field}.id_number")
    if person is None or person.name != name.strip() or person.status != "normal":
        raise _mismatch(field)
    return person


def represented_person(session: Session, *, agent: registry.Person, id_number: str,
                       name: str) -> registry.Person:
    """The person the agent names, checked as `matching_person`; applying for oneself is refused."""
    person = matching_person(session, id_number=id_number, name=name, field="representation")
    if person.id == agent.id:
        raise ValidationFailed([FieldError("representation.id_number", "renshe:hall/represent-self",
                                           "为本人申请时无需填写代办信息")])
    return person


def _active(stmt: Any, now: datetime) -> Any:
    return stmt.where(ProxyAuthorisation.revoked_at.is_(None), ProxyAuthorisation.expires_at > now)


def standing_grant(session: Session, *, agent: registry.Person, grantor: registry.Person,
                   item_code: str) -> ProxyAuthorisation | None:
    """The grantor's standing authorisation of the agent that covers ITEM_CODE now, if any."""
    stmt = select(ProxyAuthorisation).where(
        ProxyAuthorisation.agent_id == agent.id, ProxyAuthorisation.grantor_id == grantor.id,
        ProxyAuthorisation.kind == "standing",
        or_(ProxyAuthorisation.item_code.is_(None), ProxyAuthorisation.item_code == item_code))
    found: ProxyAuthorisation | None = session.scalar(
        _active(stmt, utcnow()).order_by(ProxyAuthorisation.id.desc()).limit(1))
    return found


def request_consent(session: Session, *, actor: Principal, item_code: str, id_number: str,
                    name: str) -> str:
    """Start a 代办: `standing` if the grantor has authorised the agent for this item, else send the grantor
    a one-time code and answer `code_sent`. Nothing about the grantor is returned."""
    policy.require(actor, "application.apply")
    agent = registry.get_person(session, actor=actor, public_id=actor.subject)
    item = catalog.get_item(session, item_code)
    grantor = represented_person(session, agent=agent, id_number=id_number, name=name)
    if standing_grant(session, agent=agent, grantor=grantor, item_code=item.code) is not None:
        return "standing"
    sent = registry.send_purpose_code(
        session, person=grantor, purpose=CODE_PURPOSE,
        message=f"【人社服务】{agent.name}正在以您的名义申请“{item.name}”，如您同意由其代办，请将验证码{{code}}告诉对方，"
                "{minutes}分钟内有效。如不同意，请勿告知任何人。")
    if not sent:
        raise ValidationFailed([FieldError("representation", "renshe:hall/consent-unreachable",
                                           "无法向被代办人发送验证码，请被代办人本人到窗口办理")])
    audit.record(session, actor=actor, action="hall.proxy_code", entity_type="person", entity_id=grantor.public_id,
                 after={"item": item.code, "agent": agent.public_id})
    return "code_sent"


def _check_code(session: Session, *, grantor: registry.Person, code: str) -> None:
    problem = registry.check_purpose_code(session, person=grantor, purpose=CODE_PURPOSE, code=code)
    if problem is not None:
        error = ValidationFailed([FieldError("representation.code", "renshe:hall/consent-code", problem)],
                                 detail=problem)
        error.persist = True  # a wrong code counts against the attempts left: the request still commits
        raise error


def confirm_code(session: Session, *, actor: Principal, item_code: str, data: schemas.RepresentationIn) -> str:
    """The agent enters the code the grantor passed on: a one-use consent for this item, for 30 minutes.
    Returns its id, which the form carries (`representation.consent`) until the application is filed."""
    policy.require(actor, "application.apply")
    agent = registry.get_person(session, actor=actor, public_id=actor.subject)
    item = catalog.get_item(session, item_code)
    grantor = represented_person(session, agent=agent, id_number=data.id_number, name=data.name)
    _check_code(session, grantor=grantor, code=data.code or "")
    consent = ProxyAuthorisation(grantor_id=grantor.id, agent_id=agent.id, kind="code", item_code=item.code,
                                 relation=data.relationship, expires_at=utcnow() + timedelta(minutes=CONSENT_MINUTES))
    session.add(consent)
    session.flush()
    audit.record(session, actor=actor, action="hall.proxy_consent", entity_type="person",
                 entity_id=grantor.public_id, after={"item": item.code, "by": "one-time code"})
    return consent.public_id


def require_consent(session: Session, *, agent: registry.Person, grantor: registry.Person, item: HallItem,
                    data: schemas.RepresentationIn) -> dict[str, Any]:
    """Proof of the grantor's consent to this filing, or the 403-like refusal that reveals nothing.

    A code (API) is checked and used up; a consent record from `confirm_code` is used up; otherwise a
    standing authorisation must cover the item. Returns how consent was proven, for the application."""
    now = utcnow()
    if data.code:
        _check_code(session, grantor=grantor, code=data.code)
        return {"consent": "one_time_code", "consent_label": "被代办人手机验证码", "consented_at": now.isoformat()}
    if data.consent:
        found = session.scalar(_active(select(ProxyAuthorisation).where(
            ProxyAuthorisation.public_id == data.consent, ProxyAuthorisation.kind == "code",
            ProxyAuthorisation.agent_id == agent.id, ProxyAuthorisation.grantor_id == grantor.id,
            ProxyAuthorisation.item_code == item.code, ProxyAuthorisation.used_at.is_(None)), now))
        if found is not None:
            found.used_at = now
            return {"consent": "one_time_code", "consent_label": "被代办人手机验证码",
                    "consented_at": found.created_at.isoformat()}
    grant = standing_grant(session, agent=agent, grantor=grantor, item_code=item.code)
    if grant is not None:
        return {"consent": "standing", "consent_label": "被代办人的代办授权", "authorisation": grant.public_id,
                "authorised_until": valid_until(grant).isoformat()}
    raise ValidationFailed([FieldError("representation.code", CONSENT_REQUIRED,
                                       "须经被代办人同意：请输入发送到被代办人手机的验证码，或请被代办人在本人页面授权您代办")],
                           detail="须经被代办人同意")


def consented_person(session: Session, *, actor: Principal, item_code: str,
                     data: schemas.RepresentationIn) -> registry.Person | None:
    """The represented person if the agent's consent (an unused consent record, or a standing authorisation)
    still holds for ITEM_CODE, without using it up: what a page may show again; None otherwise."""
    agent = registry.get_person(session, actor=actor, public_id=actor.subject)
    person = registry.person_by_id_number(session, id_number=data.id_number, field="representation.id_number")
    if person is None or person.name != data.name.strip() or person.status != "normal" or person.id == agent.id:
        return None
    if data.consent and session.scalar(_active(select(ProxyAuthorisation.id).where(
            ProxyAuthorisation.public_id == data.consent, ProxyAuthorisation.kind == "code",
            ProxyAuthorisation.agent_id == agent.id, ProxyAuthorisation.grantor_id == person.id,
            ProxyAuthorisation.item_code == item_code, ProxyAuthorisation.used_at.is_(None)), utcnow())) is not None:
        return person
    return person if standing_grant(session, agent=agent, grantor=person, item_code=item_code) else None


# ---------------------------------------------------------------- standing authorisations (the grantor's page)


def valid_until(grant: ProxyAuthorisation) -> date:
    """The last day (Asia/Shanghai) an authorisation is valid."""
    return clock.local_date(grant.expires_at - timedelta(microseconds=1))


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=clock.SHANGHAI)


def grant(session: Session, *, actor: Principal, data: schemas.AuthorisationIn) -> ProxyAuthorisation:
    """The signed-in citizen authorises another person to file applications in their name (代办授权)."""
    policy.require(actor, "consent.grant")
    me = registry.get_person(session, actor=actor, public_id=actor.subject)
    errors = []
    today = clock.today()
    last = today + timedelta(days=STANDING_MAX_DAYS - 1)
    if data.valid_until < today or data.valid_until > last:
        errors.append(FieldError("valid_until", "renshe:hall/authorisation-period",
                                 f"有效期须在今天至{last:%Y年%m月%d日}之间（最长一年）"))
    item_code = data.item_code or None
    if item_code is not None:
        try:
            item_code = catalog.get_item(session, item_code).code
        except NotFound:
            errors.append(FieldError("item_code", "renshe:hall/item-not-found", "授权范围中的事项不存在"))
    if errors:
        raise ValidationFailed(errors)
    agent = matching_person(session, id_number=data.agent_id_number, name=data.agent_name, field="agent")
    if agent.id == me.id:
        raise ValidationFailed([FieldError("agent_id_number", "renshe:hall/represent-self", "不能授权给本人")])
    record = ProxyAuthorisation(grantor_id=me.id, agent_id=agent.id, kind="standing", item_code=item_code,
                                relation=data.relationship, expires_at=_end_of(data.valid_until))
    session.add(record)
    session.flush()
    audit.record(session, actor=actor, action="hall.authorisation_grant", entity_type="hall_authorisation",
                 entity_id=record.public_id, after={"agent": agent.public_id, "item": item_code,
                                                    "valid_until": data.valid_until.isoformat()})
    scope = _scope_label(session, item_code)
    registry.notify(session, person_pk=agent.id, kind="hall.authorised", title=f"{me.name}授权您代办{scope}",
                    body=f"{me.name}授权您以其名义在网上办理{scope}，有效期至{data.valid_until:%Y年%m月%d日}，授权人可随时撤销。",
                    link="/citizen/authorisations")
    return record


def revoke(session: Session, *, actor: Principal, public_id: str) -> ProxyAuthorisation:
    """The grantor withdraws a standing authorisation; it stops working at once."""
    policy.require(actor, "consent.grant")
    me = registry.get_person(session, actor=actor, public_id=actor.subject)
    record = session.scalar(select(ProxyAuthorisation).where(
        ProxyAuthorisation.public_id == public_id, ProxyAuthorisation.grantor_id == me.id,
        ProxyAuthorisation.kind == "standing"))
    if record is None:
        raise NotFound("该授权", code="renshe:hall/authorisation-not-found")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        session.flush()
        audit.record(session, actor=actor, action="hall.authorisation_revoke", entity_type="hall_authorisation",
                     entity_id=record.public_id, before={"state": "active"}, after={"state": "revoked"})
    return record


def _scope_label(session: Session, item_code: str | None) -> str:
    if item_code is None:
        return "全部事项"
    try:
        return f"“{catalog.get_item(session, item_code).name}”"
    except NotFound:
        return item_code


def authorisation_out(session: Session, record: ProxyAuthorisation, *, me: int) -> schemas.AuthorisationOut:
    """A standing authorisation as its grantor or agent (person key ME) sees it."""
    role: Literal["grantor", "agent"] = "grantor" if record.grantor_id == me else "agent"
    other = registry.person_by_pk(session, record.agent_id if role == "grantor" else record.grantor_id)
    state: Literal["active", "revoked", "expired"] = (
        "revoked" if record.revoked_at else ("expired" if record.expires_at <= utcnow() else "active"))
    return schemas.AuthorisationOut(
        public_id=record.public_id, role=role, other_name=other.name if other else "",
        other_id_number=other.id_number_masked if other else "", relationship=record.relation,
        relationship_label=schemas.RELATIONSHIPS.get(record.relation, record.relation), item_code=record.item_code,
        scope_label=_scope_label(session, record.item_code), valid_until=valid_until(record), state=state,
        state_label=schemas.AUTHORISATION_STATES[state], created_at=record.created_at)


def authorisations_of(session: Session, *, actor: Principal) -> list[schemas.AuthorisationOut]:
    """The citizen's standing authorisations, given and received, newest first."""
    policy.require(actor, "consent.grant")
    me = registry.get_person(session, actor=actor, public_id=actor.subject)
    rows = session.scalars(select(ProxyAuthorisation).where(
        ProxyAuthorisation.kind == "standing",
        or_(ProxyAuthorisation.grantor_id == me.id, ProxyAuthorisation.agent_id == me.id))
        .order_by(ProxyAuthorisation.id.desc()).limit(200))
    return [authorisation_out(session, r, me=me.id) for r in rows]
