"""Employment Online (就业在线): institutions onboard with their licences checked, publish services within
their licence, are listed and rated; the share of public institutions onboard per city is measured against
the action plan's targets (one third, two thirds).

- A clerk lists the region's public employment and talent service institutions (the measure's denominator).
- An institution or agency, signed in as its unit (credit code), applies to onboard: kind, licence number
  and scope. A licensed agency needs its 人力资源服务许可证; labour dispatch needs the 劳务派遣经营许可证;
  some services are for public institutions only. A clerk of its county approves or refuses with a reason.
- An onboard institution publishes services inside its scope; anyone lists them; a signed-in citizen rates an
  institution once (1 to 5 stars, changeable)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from functools import cache
from importlib.resources import files
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from renshe.agencies import schemas
from renshe.agencies.models import Agency as Agency  # named by the personnel files
from renshe.agencies.models import AgencyRating, AgencyService
from renshe.core import audit, divisions, ids, labels, workdays
from renshe.core.auth import Principal
from renshe.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from renshe.core.events import record_event
from renshe.registry import service as registry

SHANGHAI = ZoneInfo("Asia/Shanghai")


@cache
def catalog() -> dict[str, Any]:
    return dict(json.loads((files("renshe.agencies") / "data" / "agencies.json").read_text("utf-8")))


KINDS = labels.register("agencies.kind", catalog()["kinds"])
SERVICES = labels.register("agencies.service", catalog()["services"])
STATES = labels.register("agencies.state", {"listed": "未入驻", "pending": "入驻待审核", "onboard": "已入驻",
                                            "refused": "入驻未通过", "suspended": "已暂停"})
PUBLIC = ("public_employment", "public_talent")


today = workdays.today  # tests replace it to move the clock


def _staff(actor: Principal, division_code: str | None = None) -> None:
    if actor.kind not in {"staff", "system"} or not actor.has("employer.write") or (
            division_code is not None and not actor.can_reach(division_code)):
        raise Forbidden("无权办理就业在线机构入驻", code="renshe:agencies/permission")


def _get(session: Session, public_id: str) -> Agency:
    row = session.scalar(select(Agency).where(Agency.public_id == public_id))
    if row is None:
        raise NotFound("该机构", code="renshe:agencies/not-found")
    return row


def list_institution(session: Session, *, actor: Principal, data: schemas.InstitutionIn) -> Agency:
    """A clerk lists a public institution of the region before it onboards (it counts in the coverage)."""
    errors: list[FieldError] = []
    try:
        code = ids.parse_credit_code(data.credit_code).code
    except ids.IdentifierError as exc:
        errors += exc.errors
        code = data.credit_code
    errors += registry.check_county(data.division_code, "division_code")
    if data.kind not in PUBLIC:
        errors.append(FieldError("kind", "renshe:agencies/kind", "只登记公共就业服务机构或公共人才服务机构"))
    if errors:
        raise ValidationFailed(errors)
    _staff(actor, data.division_code)
    if session.scalar(select(Agency.id).where(Agency.credit_code == code)) is not None:
        raise Conflict("该统一社会信用代码的机构已登记", code="renshe:agencies/exists")
    row = Agency(credit_code=code, name=data.name.strip(), kind=data.kind, division_code=data.division_code,
                 licence_scope=[], state="listed")
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="agencies.list", entity_type="agency", entity_id=row.public_id,
                 after={"name": row.name, "kind": row.kind})
    return row


def check_licence(data: schemas.OnboardIn) -> list[FieldError]:
    """The licence rules of an application (人力资源市场暂行条例 art. 18; 劳动合同法 art. 57)."""
    errors: list[FieldError] = []
    if data.kind not in KINDS:
        errors.append(FieldError("kind", "renshe:agencies/kind", "请选择机构类别"))
    unknown = [s for s in data.licence_scope if s not in SERVICES]
    if unknown or not data.licence_scope:
        errors.append(FieldError("licence_scope", "renshe:agencies/scope", "请选择许可（或职责）范围内的服务项目"))
    if data.kind == "licensed" and not (data.licence_number or "").strip():
        errors.append(FieldError("licence_number", "renshe:agencies/licence-required",
                                 "经营性人力资源服务机构须填写人力资源服务许可证编号"))
    if data.kind == "licensed" and set(data.licence_scope) & set(catalog()["public_only"]):
        errors.append(FieldError("licence_scope", "renshe:agencies/public-only",
                                 "流动人员人事档案管理仅由公共人才服务机构办理"))
    if "labour_dispatch" in data.licence_scope and not (data.dispatch_licence or "").strip():
        errors.append(FieldError("dispatch_licence", "renshe:agencies/dispatch-licence",
                                 "经营劳务派遣须填写劳务派遣经营许可证编号"))
    return errors


def apply(session: Session, *, actor: Principal, data: schemas.OnboardIn) -> Agency:
    """The unit signed in applies to onboard (again, after a refusal)."""
    if actor.kind != "employer":
        raise Forbidden("请以机构（单位）身份登录后申请入驻", code="renshe:agencies/employer-only")
    employer = registry.get_employer_of(session, principal=actor)
    errors = check_licence(data)
    if errors:
        raise ValidationFailed(errors)
    row = session.scalar(select(Agency).where(Agency.credit_code == employer.credit_code))
    if row is not None and row.state in {"pending", "onboard"}:
        raise Conflict(f"本机构{STATES[row.state]}", code="renshe:agencies/applied")
    if row is None:
        row = Agency(credit_code=employer.credit_code, division_code=employer.division_code)
        session.add(row)
    row.name, row.kind, row.state = employer.name, data.kind, "pending"
    row.licence_number = (data.licence_number or "").strip() or None
    row.dispatch_licence = (data.dispatch_licence or "").strip() or None
    row.licence_scope, row.applied_at, row.note = list(dict.fromkeys(data.licence_scope)), datetime.now(SHANGHAI), None
    session.flush()
    audit.record(session, actor=actor, action="agencies.apply", entity_type="agency", entity_id=row.public_id,
                 after={"kind": row.kind, "licence": row.licence_number, "scope": row.licence_scope})
    return row


def mine(session: Session, *, actor: Principal) -> Agency | None:
    employer = registry.get_employer_of(session, principal=actor)
    return session.scalar(select(Agency).where(Agency.credit_code == employer.credit_code))


def decide(session: Session, *, actor: Principal, public_id: str, approve: bool, note: str = "") -> Agency:
    row = _get(session, public_id)
    _staff(actor, row.division_code)
    if row.state != "pending":
        raise Conflict(f"该机构{STATES[row.state]}，无需审核", code="renshe:agencies/decided")
    if not approve and not note.strip():
        raise ValidationFailed([FieldError("note", "renshe:agencies/note", "不予入驻时请填写理由")])
    row.state, row.decided_by = ("onboard" if approve else "refused"), actor.subject
    row.note = note.strip()[:500] or None
    row.onboarded_on = today() if approve else None
    session.flush()
    audit.record(session, actor=actor, action="agencies.decide", entity_type="agency", entity_id=row.public_id,
                 after={"state": row.state, "note": row.note})
    if approve:
        record_event(session, "agencies.onboarded", {"agency": row.public_id, "kind": row.kind,
                                                     "division": row.division_code})
    return row


def pending(session: Session, *, actor: Principal) -> list[Agency]:
    _staff(actor)
    prefix = divisions.scope_prefix(actor.division_code)
    return list(session.scalars(select(Agency).where(Agency.state == "pending",
                                                     Agency.division_code.startswith(prefix))
                                .order_by(Agency.applied_at).limit(200)))


def publish(session: Session, *, actor: Principal, data: schemas.ServiceIn) -> AgencyService:
    """An onboard institution publishes a service inside its licence (or public remit)."""
    row = mine(session, actor=actor) if actor.kind == "employer" else None
    if row is None or row.state != "onboard":
        raise Conflict("机构入驻审核通过后才能发布服务", code="renshe:agencies/not-onboard")
    if data.kind not in row.licence_scope:
        raise ValidationFailed([FieldError("kind", "renshe:agencies/outside-scope",
                                           f"“{SERVICES.get(data.kind, data.kind)}”不在本机构许可（职责）范围内")])
    service = AgencyService(agency_id=row.id, kind=data.kind, title=data.title.strip(),
                            description=data.description.strip(), fee=data.fee.strip() or "免费", state="published")
    session.add(service)
    session.flush()
    audit.record(session, actor=actor, action="agencies.publish", entity_type="agency_service",
                 entity_id=service.public_id, after={"kind": service.kind, "title": service.title})
    return service


def withdraw(session: Session, *, actor: Principal, public_id: str) -> AgencyService:
    row = mine(session, actor=actor) if actor.kind == "employer" else None
    service = session.scalar(select(AgencyService).where(AgencyService.public_id == public_id))
    if row is None or service is None or service.agency_id != row.id:
        raise NotFound("该服务", code="renshe:agencies/service-not-found")
    service.state = "withdrawn"
    session.flush()
    audit.record(session, actor=actor, action="agencies.withdraw", entity_type="agency_service",
                 entity_id=service.public_id)
    return service


def services_of(session: Session, agency: Agency, *, all_states: bool = False) -> list[AgencyService]:
    stmt = select(AgencyService).where(AgencyService.agency_id == agency.id)
    if not all_states:
        stmt = stmt.where(AgencyService.state == "published")
    return list(session.scalars(stmt.order_by(AgencyService.id)))


def listing(session: Session, *, division: str = "", service_kind: str = "", kind: str = "") -> list[Agency]:
    """Onboard institutions, best rated first, filtered by place (a code prefix), a service and a kind."""
    stmt = select(Agency).where(Agency.state == "onboard")
    if division:
        stmt = stmt.where(Agency.division_code.startswith(division))
    if kind:
        stmt = stmt.where(Agency.kind == kind)
    if service_kind:
        stmt = stmt.where(Agency.id.in_(select(AgencyService.agency_id).where(
            AgencyService.kind == service_kind, AgencyService.state == "published")))
    average = case((Agency.ratings > 0, Agency.rating_sum * 1.0 / Agency.ratings), else_=0)
    return list(session.scalars(stmt.order_by(average.desc(), Agency.id).limit(200)))


def get_listed(session: Session, *, public_id: str) -> Agency:
    row = _get(session, public_id)
    if row.state != "onboard":
        raise NotFound("该机构", code="renshe:agencies/not-found")
    return row


def rate(session: Session, *, actor: Principal, public_id: str, stars: int, comment: str = "") -> Agency:
    if actor.kind != "citizen":
        raise Forbidden("请以个人身份登录后评价", code="renshe:agencies/citizen-only")
    person = registry.person_of(session, principal=actor)
    row = get_listed(session, public_id=public_id)
    if not 1 <= stars <= 5:
        raise ValidationFailed([FieldError("stars", "renshe:agencies/stars", "评分应为1至5星")])
    found = session.scalar(select(AgencyRating).where(AgencyRating.agency_id == row.id,
                                                      AgencyRating.person_id == person.id))
    if found is None:
        session.add(AgencyRating(agency_id=row.id, person_id=person.id, stars=stars, comment=comment.strip()[:300]))
        row.ratings += 1
        row.rating_sum += stars
    else:
        row.rating_sum += stars - found.stars
        found.stars, found.comment = stars, comment.strip()[:300]
    session.flush()
    audit.record(session, actor=actor, action="agencies.rate", entity_type="agency", entity_id=row.public_id,
                 after={"stars": stars})
    return row


def comments(session: Session, agency: Agency, limit: int = 20) -> list[AgencyRating]:
    return list(session.scalars(select(AgencyRating).where(AgencyRating.agency_id == agency.id,
                                                           AgencyRating.comment != "")
                                .order_by(AgencyRating.id.desc()).limit(limit)))


@dataclass(frozen=True)
class Coverage:
    city: str
    city_name: str
    institutions: int
    onboard: int
    share: Fraction
    third: bool
    two_thirds: bool


def coverage(session: Session, *, actor: Principal) -> list[Coverage]:
    """Per city of the viewer's jurisdiction: public employment and talent institutions listed, onboard, the
    share, and whether it reaches one third and two thirds."""
    if actor.kind not in {"staff", "system"} or not actor.has("employer.read"):
        raise Forbidden("无权查看入驻情况", code="renshe:agencies/permission")
    prefix = divisions.scope_prefix(actor.division_code)
    city = func.substr(Agency.division_code, 1, 4)
    rows = session.execute(select(city, func.count(), func.sum(case((Agency.state == "onboard", 1), else_=0)))
                           .where(Agency.kind.in_(PUBLIC), Agency.division_code.startswith(prefix))
                           .group_by(city).order_by(city)).all()
    found = []
    for code, total, onboard in rows:
        share = Fraction(int(onboard or 0), int(total)) if total else Fraction(0)
        found.append(Coverage(str(code), divisions.full_name(f"{code}00"), int(total), int(onboard or 0), share,
                              share >= Fraction(1, 3), share >= Fraction(2, 3)))
    return found


def out(session: Session, row: Agency) -> schemas.AgencyOut:
    return schemas.AgencyOut(
        public_id=row.public_id, name=row.name, credit_code=row.credit_code, kind=row.kind, kind_label=KINDS[row.kind],
        division_code=row.division_code, division_name=divisions.full_name(row.division_code),
        licence_number=row.licence_number, dispatch_licence=row.dispatch_licence,
        licence_scope=[schemas.Labelled(code=s, label=SERVICES.get(s, "其他")) for s in row.licence_scope or []],
        state=row.state, state_label=STATES[row.state], note=row.note, onboarded_on=row.onboarded_on,
        ratings=row.ratings, rating=f"{row.rating_sum / row.ratings:.1f}" if row.ratings else None,
        services=[schemas.ServiceOut(public_id=s.public_id, kind=s.kind, kind_label=SERVICES.get(s.kind, "其他"),
                                     title=s.title, description=s.description, fee=s.fee, state=s.state)
                  for s in services_of(session, row)])
