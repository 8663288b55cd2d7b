"""转移接续 between two province nodes, on the hall's signed node-to-node channel (`hall.peers`).

1. The applicant applies at the new place (hall item 养老保险关系转移接续): a case `in` is opened, the rule of
   国办发〔2009〕66号 第五条 decides whether the relation moves or a temporary account is kept, and the new
   place sends its request (联系函, message `request`) to the old place.
2. The old place registers the case `out` (once per case) and, within its limit, issues the participation
   certificate (参保缴费凭证: months, bases, balance), closes the account by a transfer-out posting and
   sends the certificate and the funds (message `certificate`: the whole balance and 12 % of the bases).
3. The new place posts the transfer in (once per case) and confirms (message `confirm`); both cases are done.

Every message names the case by `ref` (the new place's case id) and a repeated message changes nothing:
each step happens only from the state before it, and each posting's source is unique.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core import audit, crypto
from renshe.core.auth import SYSTEM, Principal
from renshe.core.db import utcnow
from renshe.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from renshe.core.events import record_event
from renshe.core.settings import get_settings
from renshe.hall import clock, peers
from renshe.hall.applications import service as applications
from renshe.hall.interprovince.service import province_name
from renshe.insurance import service as insurance
from renshe.pension import rules as pension_rules
from renshe.registry import service as registry
from renshe.transfer import policy, rules
from renshe.transfer.models import PensionTransfer

ITEM = "pension-transfer"
STATES = {"requested": "已发联系函，待转出地办理", "transferred": "转出地已转出，待转入地接续",
          "completed": "已办结", "temporary": "已建立临时缴费账户（关系保留在原参保地）"}
OUT_STATES = {"requested": "已收到联系函，待出具凭证并转移", "transferred": "已转出，待转入地确认",
              "completed": "已办结"}


def state_label(case: PensionTransfer) -> str:
    return (STATES if case.role == "in" else OUT_STATES).get(case.state, case.state)


def _deadline(session: Session, step: str, start: date) -> dict[str, Any]:
    found = rules.step_deadline(step, start, clock.calendar(session).add_workdays)
    return {"label": found.label, "workdays": found.workdays, "start": start.isoformat(),
            "due": found.due.isoformat(), "source": found.source, "done_on": None}


def _done(case: PensionTransfer, step: str, on: date) -> None:
    deadlines = dict(case.deadlines or {})
    if step in deadlines:
        deadlines[step] = {**deadlines[step], "done_on": on.isoformat(),
                           "late": on.isoformat() > str(deadlines[step]["due"])}
    case.deadlines = deadlines
    case.updated_at = utcnow()


def _sex(code: str) -> str:
    return "male" if code == "1" else "female"


# ---------------------------------------------------------------- new place


def apply(session: Session, *, actor: Principal, old_province: str, from_agency: str,
          hukou_type: str) -> PensionTransfer:
    """The signed-in citizen applies here to bring their pension relation from OLD_PROVINCE."""
    policy.require(actor, "transfer.apply")
    if old_province == get_settings().province_code:
        raise ValidationFailed([FieldError("old_province", "renshe:transfer/same-province",
                                           "转出地与本省相同，省内转移无需跨省办理")])
    peers.get_peer(session, old_province)
    person = registry.person_of(session, principal=actor)
    application = applications.submit(session, actor=actor, item_code=ITEM, data={
        "from_region": province_name(old_province), "from_agency": from_agency, "hukou_type": hukou_type})
    today = clock.today()
    decision = rules.move_decision(sex=_sex(person.sex), birth=person.birth_date, on=today,
                                   new_place=get_settings().province_code,
                                   registration_place=person.residence_division)
    case = PensionTransfer(ref=application.public_id, role="in", peer_province=old_province, person_id=person.id,
                           person_public_id=person.public_id, person_name=person.name,
                           id_number_masked=person.id_number_masked, application_public_id=application.public_id,
                           kind=decision.kind, state="requested" if decision.kind == "transfer" else "temporary",
                           decision={"kind": decision.kind, "label": decision.label, "reason": decision.reason,
                                     "source": decision.source},
                           requested_on=today, deadlines={"request": _deadline(session, "request", today)})
    session.add(case)
    session.flush()
    _done(case, "request", today)
    if decision.kind == "transfer":
        case.deadlines = {**case.deadlines, "transfer": _deadline(session, "transfer", today)}
        peers.enqueue_message(session, peer_province=old_province, kind="transfer", body={
            "type": "request", "ref": case.ref,
            "id_number": crypto.cipher().decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE),
            "name": person.name, "new_province": get_settings().province_code, "requested_on": today.isoformat(),
            "from_agency": from_agency})
    audit.record(session, actor=actor, action="transfer.apply", entity_type="pension_transfer",
                 entity_id=case.public_id, after={"old_province": old_province, "kind": decision.kind})
    record_event(session, "transfer.requested", {"case": case.ref, "old_province": old_province,
                                                 "kind": decision.kind})
    return case


def _take_over(session: Session, *, peer_province: str, payload: Mapping[str, Any]) -> bool:
    case = session.scalar(select(PensionTransfer).where(PensionTransfer.role == "in", PensionTransfer.ref == str(
        payload.get("ref", "")), PensionTransfer.peer_province == peer_province))
    if case is None:
        raise ValidationFailed([FieldError("ref", "renshe:transfer/unknown-case", "本省没有该转移接续业务")])
    if case.state != "requested":
        return False  # a repeated certificate: the funds were taken over once
    today = clock.today()
    months = [insurance.MonthBase(str(m["month"]), int(m["base_fen"])) for m in payload.get("months", [])]
    account = int(payload["account_fen"])
    insurance.post_transfer_in(session, person_id=case.person_id, case=case.ref, on=today, amount_fen=account,
                               months=months, detail={"from_province": peer_province,
                                                      "pooled_fen": int(payload["pooled_fen"])})
    case.months, case.bases_fen = len(months), sum(m.base_fen for m in months)
    case.account_fen, case.pooled_fen = account, int(payload["pooled_fen"])
    case.certificate = dict(payload.get("certificate") or {})
    _done(case, "transfer", date.fromisoformat(str(payload.get("transferred_on", today.isoformat()))))
    case.deadlines = {**case.deadlines, "take_over": _deadline(session, "take_over", today)}
    _done(case, "take_over", today)
    case.state = "completed"
    peers.enqueue_message(session, peer_province=peer_province, kind="transfer", body={
        "type": "confirm", "ref": case.ref, "completed_on": today.isoformat()})
    audit.record(session, actor=SYSTEM, action="transfer.take_over", entity_type="pension_transfer",
                 entity_id=case.public_id, after={"account_fen": account, "pooled_fen": case.pooled_fen,
                                                  "months": case.months})
    record_event(session, "transfer.completed", {"case": case.ref, "account_fen": account,
                                                 "pooled_fen": case.pooled_fen})
    return True


# ---------------------------------------------------------------- old place


def _register_out(session: Session, *, peer_province: str, payload: Mapping[str, Any]) -> bool:
    ref = str(payload.get("ref", ""))
    if not ref or len(ref) > 32:
        raise ValidationFailed([FieldError("ref", "renshe:transfer/ref", "缺少转移接续业务编号")])
    if session.scalar(select(PensionTransfer.id).where(
            PensionTransfer.role == "out", PensionTransfer.ref == ref, PensionTransfer.peer_province == peer_province)):
        return False
    person = registry.person_by_id_number(session, id_number=str(payload.get("id_number", "")))
    if person is None:
        raise ValidationFailed([FieldError("id_number", "renshe:transfer/not-insured-here",
                                           "本省没有该人员的参保记录")])
    requested = date.fromisoformat(str(payload.get("requested_on") or clock.today().isoformat()))
    received = clock.today()
    case = PensionTransfer(ref=ref, role="out", peer_province=peer_province, person_id=person.id,
                           person_public_id=person.public_id, person_name=person.name,
                           id_number_masked=person.id_number_masked, kind="transfer", state="requested",
                           decision={"kind": "transfer", "label": "转移基本养老保险关系"}, requested_on=requested,
                           deadlines={"transfer": _deadline(session, "transfer", received)})
    session.add(case)
    session.flush()
    audit.record(session, actor=SYSTEM, action="transfer.request_received", entity_type="pension_transfer",
                 entity_id=case.public_id, after={"new_province": peer_province})
    return True


def issue(session: Session, *, actor: Principal, public_id: str) -> PensionTransfer:
    """Issue the participation certificate, close the account and send the funds (转出)."""
    case = get_case(session, actor=actor, public_id=public_id)
    policy.require(actor, "transfer.handle", division_code=get_settings().province_code)
    if case.role != "out" or case.state != "requested":
        raise Conflict(f"该业务当前状态为“{state_label(case)}”，不能再次转出", code="renshe:transfer/state")
    today = clock.today()
    facts = insurance.participation(session, person_id=case.person_id)
    periods = [pension_rules.BasePeriod(Decimal(m.base_fen) / 100, 1, int(m.month[:4])) for m in facts.months]
    pooled = pension_rules.pooled_transfer(periods)
    pooled_fen = int(pooled.amount * 100)
    closed = insurance.post_transfer_out(session, person_id=case.person_id, case=case.ref, on=today,
                                         detail={"to_province": case.peer_province, "pooled_fen": pooled_fen})
    if closed is None:
        raise Conflict("该业务已转出", code="renshe:transfer/state")
    bases_fen = sum(m.base_fen for m in facts.months)
    certificate = {"issued_on": today.isoformat(), "issuer": province_name(get_settings().province_code),
                   "months": len(facts.months), "first_month": facts.months[0].month if facts.months else None,
                   "last_month": facts.months[-1].month if facts.months else None, "account_fen": closed,
                   "pooled_fen": pooled_fen, "bases_fen": bases_fen,
                   "pooled_trace": [step.as_dict() for step in pooled.trace[-1:]]}
    case.months, case.bases_fen, case.account_fen, case.pooled_fen = len(facts.months), bases_fen, closed, pooled_fen
    case.certificate = certificate
    case.state = "transferred"
    _done(case, "transfer", today)
    peers.enqueue_message(session, peer_province=case.peer_province, kind="transfer", body={
        "type": "certificate", "ref": case.ref, "account_fen": closed, "pooled_fen": pooled_fen,
        "months": [{"month": m.month, "base_fen": m.base_fen} for m in facts.months], "certificate": certificate,
        "transferred_on": today.isoformat()})
    audit.record(session, actor=actor, action="transfer.issue", entity_type="pension_transfer",
                 entity_id=case.public_id,
                 after={"account_fen": closed, "pooled_fen": pooled_fen, "months": len(facts.months)})
    record_event(session, "transfer.transferred_out", {"case": case.ref, "account_fen": closed,
                                                       "pooled_fen": pooled_fen})
    return case


def _confirmed(session: Session, *, peer_province: str, payload: Mapping[str, Any]) -> bool:
    case = session.scalar(select(PensionTransfer).where(PensionTransfer.role == "out", PensionTransfer.ref == str(
        payload.get("ref", "")), PensionTransfer.peer_province == peer_province))
    if case is None or case.state != "transferred":
        return False
    case.state = "completed"
    case.updated_at = utcnow()
    return True


# ---------------------------------------------------------------- both


HANDLERS = {"request": _register_out, "certificate": _take_over, "confirm": _confirmed}


def receive(session: Session, *, peer_province: str, payload: Mapping[str, Any]) -> bool:
    """A signed message from the peer node; True if it took effect, False for a repeat."""
    handler = HANDLERS.get(str(payload.get("type", "")))
    if handler is None:
        raise ValidationFailed([FieldError("type", "renshe:transfer/message-type", "未知的转移接续消息类型")])
    return handler(session, peer_province=peer_province, payload=payload)


def get_case(session: Session, *, actor: Principal, public_id: str) -> PensionTransfer:
    case = session.scalar(select(PensionTransfer).where(PensionTransfer.public_id == public_id))
    if case is None or not policy.can_see(actor, person_public_id=case.person_public_id):
        raise NotFound("该转移接续业务", code="renshe:transfer/not-found")
    return case


def cases(session: Session, *, actor: Principal, role: str | None = None,
          limit: int = 200) -> list[PensionTransfer]:
    """The cases the actor may see: a citizen their own, staff every case of this node."""
    stmt = select(PensionTransfer).order_by(PensionTransfer.id.desc()).limit(limit)
    if role:
        stmt = stmt.where(PensionTransfer.role == role)
    if actor.kind == "citizen":
        stmt = stmt.where(PensionTransfer.person_public_id == actor.subject)
    else:
        policy.require(actor, "transfer.list", division_code=get_settings().province_code)
    return list(session.scalars(stmt))


def benefit_place(*, places: list[rules.Place], registration_place: str) -> rules.BenefitPlace:
    """待遇领取地 (the pure rule of 第六条)."""
    return rules.benefit_place(places=places, registration_place=registration_place)
