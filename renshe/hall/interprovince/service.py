"""跨省通办: an application filed here for an item another province handles, and the reverse.

Two modes:
- 代收代办 (`collect`): this province collects the application and materials and forwards them; the
  other province handles it in full. The local record mirrors the handler's state for the applicant and
  stays out of this province's work queues.
- 两地联办 (`joint`): both provinces handle their part. The local application runs through this
  province's own workflow; the other province's part is shown beside it.

The handler province receives the application through the signed node-to-node API (`peers`), registers
it in its own queue (idempotent by the origin's application id), and reports every state change back.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core import audit, crypto, divisions
from renshe.core.auth import SYSTEM, Principal
from renshe.core.db import utcnow
from renshe.core.errors import FieldError, ValidationFailed
from renshe.core.events import record_event
from renshe.core.settings import get_settings
from renshe.hall import peers, policy, workflow
from renshe.hall.applications import service as applications
from renshe.hall.applications.materials import CertificateMatch, Upload, material_path, materials_of
from renshe.hall.applications.reading import form_data, form_fields
from renshe.hall.catalog import service as catalog
from renshe.hall.models import Application, InterprovinceLink, PeerNode, Transition
from renshe.registry import schemas as registry_schemas
from renshe.registry import service as registry
from renshe.sharing import service as sharing

MODES = {"collect": "代收代办", "joint": "两地联办"}
CHANNELS = {"collect": "xp_collect", "joint": "xp_joint"}
DEFAULT_STATES = workflow.DEFAULT_LABELS


def province_name(code: str) -> str:
    """A province's name from its GB/T 2260 code."""
    return divisions.full_name(code) or code


def link_of(session: Session, application: Application) -> InterprovinceLink | None:
    """The application's link to the other province, if it is a 跨省通办 application."""
    return session.scalar(select(InterprovinceLink).where(InterprovinceLink.application_id == application.id))


# ---------------------------------------------------------------- origin side (we collect and forward)


def submit_forwarded(
    session: Session, *, actor: Principal, item_code: str, province: str, mode: str, data: Mapping[str, Any],
    uploads: Sequence[Upload] = (), handling_division: str | None = None,
) -> Application:
    """A citizen here applies for an item handled by PROVINCE; the application is forwarded there."""
    policy.require(actor, "interprovince.forward")
    if mode not in MODES:
        raise ValidationFailed([FieldError("mode", "renshe:hall/xp-mode", "办理模式应为代收代办或两地联办")])
    errors = []
    if province == get_settings().province_code:
        errors.append(FieldError("province", "renshe:hall/xp-own", "本省事项请直接申请，无需跨省通办"))
    if handling_division and not handling_division.startswith(province[:2]):
        errors.append(FieldError("handling_division", "renshe:hall/xp-division", "办理地须在所选省份之内"))
    if errors:
        raise ValidationFailed(errors)
    peer = peers.get_peer(session, province)
    me = registry.get_person(session, actor=actor, public_id=actor.subject)
    item = catalog.get_item(session, item_code)
    application = applications.create_application(session, actor=actor, item=item, applicant=me,
                                                  channel=CHANNELS[mode], data=data, uploads=uploads)
    link = InterprovinceLink(application_id=application.id, peer_province=peer.province_code, role="forwarded",
                             mode=mode, origin_ref=application.public_id, remote_state="forwarding",
                             remote_state_label=f"正在转交{province_name(province)}", remote_seq=0)
    session.add(link)
    session.flush()
    phone = (crypto.cipher().decrypt(me.phone_encrypted, purpose=registry.PHONE_PURPOSE)
             if me.phone_encrypted is not None else None)
    payload = {
        "origin_id": application.public_id, "origin_number": application.number, "origin_province":
        get_settings().province_code, "item_code": item.code, "mode": mode,
        "handling_division": handling_division or province,
        "applicant": {"id_number": crypto.cipher().decrypt(me.id_number_encrypted, purpose=registry.ID_PURPOSE),
                      "name": me.name, "phone": phone, "residence_division": me.residence_division},
        "data": form_data(application),
        "materials": [{"code": m.material_code, "filename": m.filename, "sm3": m.sm3,
                       "content_base64": base64.b64encode(material_path(m).read_bytes()).decode()}
                      for m in materials_of(session, application) if m.source == "upload"],
        # Materials taken from this province's certificate library travel as the verified reference.
        "certificates": [{"code": m.material_code, "sm3": m.sm3, **(m.certificate or {})}
                         for m in materials_of(session, application) if m.source == "certificate"],
    }
    peers.enqueue(session, link, "application", payload)
    audit.record(session, actor=actor, action="hall.xp_forward", entity_type="hall_application",
                 entity_id=application.public_id, after={"peer": province, "mode": mode, "item": item.code})
    return application


def forwarded_answer(session: Session, *, link_id: int, answer: Mapping[str, Any]) -> None:
    """The handler acknowledged our forwarded application: keep its id and number."""
    link = session.get(InterprovinceLink, link_id)
    if link is None:
        return
    link.remote_ref = str(answer.get("remote_id") or "")[:32] or None
    link.remote_number = str(answer.get("remote_number") or "")[:32] or None
    if link.remote_seq == 0:
        link.remote_state = str(answer.get("state") or "submitted")
        link.remote_state_label = f"{province_name(link.peer_province)}已接收：{answer.get('state_label', '')}"
    session.flush()


def apply_status(session: Session, *, peer: PeerNode, payload: Mapping[str, Any]) -> bool:
    """A status report from the handler province; applied once per sequence number, in order."""
    link = session.scalar(select(InterprovinceLink).where(
        InterprovinceLink.peer_province == peer.province_code, InterprovinceLink.role == "forwarded",
        InterprovinceLink.origin_ref == str(payload.get("origin_id", ""))))
    if link is None:
        raise ValidationFailed([FieldError("origin_id", "renshe:hall/xp-unknown", "本省没有该办件")])
    seq = int(payload.get("seq", 0))
    if seq <= link.remote_seq:
        return False  # already applied (a retried or late message)
    application = session.get(Application, link.application_id)
    if application is None:
        raise ValidationFailed([FieldError("origin_id", "renshe:hall/xp-unknown", "本省没有该办件")])
    state = str(payload.get("state", ""))
    label = str(payload.get("state_label") or DEFAULT_STATES.get(state, state))
    link.remote_seq = seq
    link.remote_ref = str(payload.get("remote_id") or link.remote_ref or "")[:32] or None
    link.remote_number = str(payload.get("remote_number") or link.remote_number or "")[:32] or None
    link.remote_state, link.remote_state_label = state, label[:64]
    link.remote_decision = payload.get("decision")
    link.remote_reason = payload.get("reason")
    link.remote_updated_at = utcnow()
    before = application.state
    if link.mode == "collect" and state in DEFAULT_STATES:
        # The handler decides; the record here follows it so the applicant sees one state.
        application.state = state
        application.supplement_request = payload.get("supplement")
        if payload.get("decision") and application.decided_at is None:
            application.decision = str(payload["decision"])
            application.decision_reason = payload.get("reason")
            application.decided_at = utcnow()
            application.decided_by = f"{peer.province_code}:handler"
    session.flush()
    last = session.scalar(select(Transition.seq).where(Transition.application_id == application.id)
                          .order_by(Transition.seq.desc()).limit(1)) or 0
    session.add(Transition(
        application_id=application.id, seq=last + 1, action="remote_status", from_state=before,
        to_state=application.state, actor=f"node:{peer.province_code}", actor_name=f"{peer.name}（跨省通办）",
        actor_kind="system", division_code=peer.province_code, reason=payload.get("reason"),
        details={"remote_state": state, "remote_state_label": label, "remote_seq": seq}))
    session.flush()
    audit.record(session, actor=SYSTEM, action="hall.xp_status", entity_type="hall_application",
                 entity_id=application.public_id, before={"state": before},
                 after={"peer": peer.province_code, "remote_state": state, "seq": seq})
    record_event(session, "hall.application_remote_status", {
        "application": application.public_id, "peer": peer.province_code, "remote_state": state, "seq": seq})
    return True


# ---------------------------------------------------------------- handler side (we handle for the origin)


def receive(session: Session, *, peer: PeerNode, payload: Mapping[str, Any]) -> tuple[Application, bool]:
    """Register an application forwarded by PEER in our queue; idempotent by the origin's id."""
    origin_id = str(payload.get("origin_id", ""))
    if not origin_id or len(origin_id) > 32:
        raise ValidationFailed([FieldError("origin_id", "renshe:hall/xp-origin", "缺少来源办件编号")])
    existing = session.scalar(select(InterprovinceLink).where(
        InterprovinceLink.peer_province == peer.province_code, InterprovinceLink.role == "received",
        InterprovinceLink.origin_ref == origin_id))
    if existing is not None:
        found = session.get(Application, existing.application_id)
        if found is not None:
            return found, False
    mode = str(payload.get("mode", "collect"))
    if mode not in MODES:
        raise ValidationFailed([FieldError("mode", "renshe:hall/xp-mode", "办理模式无效")])
    item = catalog.get_item(session, str(payload.get("item_code", "")))
    revision = catalog.current_revision(session, item)
    applicant = payload.get("applicant") or {}
    person = registry.find_by_id_number(session, id_number=str(applicant.get("id_number", "")))
    if person is None:
        person = registry.register_person(session, actor=SYSTEM, source="interprovince",
                                          data=registry_schemas.PersonIn(
                                              id_number=str(applicant.get("id_number", "")),
                                              name=str(applicant.get("name", "")), phone=applicant.get("phone"),
                                              residence_division=str(applicant.get("residence_division", ""))))
    province = get_settings().province_code
    division = str(payload.get("handling_division") or province)
    if not division.startswith(province[:2]) or divisions.get(division) is None:
        division = province
    data = dict(payload.get("data") or {})
    now = utcnow()
    # The origin province's values are locked here as it locked them, with the origin as their source.
    locked = {f.name: sharing.Prefilled(value=data[f.name], resource="interprovince", source=peer.name,
                                        updated_at=now)
              for f in form_fields(revision) if f.prefill and f.name in data}
    uploads = [Upload(str(m.get("code", "")), str(m.get("filename", "")),
                      base64.b64decode(str(m.get("content_base64", "")))) for m in payload.get("materials", [])]
    actor = Principal(kind="system", subject=f"node:{peer.province_code}", display_name=f"{peer.name}（跨省通办）",
                      division_code=peer.province_code, roles=("system",))

    def link(application: Application) -> None:
        session.add(InterprovinceLink(
            application_id=application.id, peer_province=peer.province_code, role="received", mode=mode,
            origin_ref=origin_id, remote_ref=origin_id,
            remote_number=str(payload.get("origin_number") or "")[:32] or None, remote_seq=0))
        session.flush()

    application = applications.create_application(
        session, actor=actor, item=item, applicant=person, channel="xp_received", data=data, uploads=uploads,
        division_code=division, prefilled=locked,
        certified=_forwarded_certificates(revision, payload.get("certificates") or [], peer),
        certificate_note={"verified_by": peer.name},
        representation={"kind": "interprovince", "origin_province": peer.province_code, "origin_name": peer.name,
                        "origin_number": payload.get("origin_number"), "mode": mode, "mode_label": MODES[mode]},
        details={"origin": peer.province_code, "mode": mode}, before_submit=link,
        refusal="跨省转来的申请不符合本省事项要求")
    return application, True


def _forwarded_certificates(revision: Any, refs: Sequence[Any], peer: PeerNode) -> list[CertificateMatch]:
    """Certificates the origin province took from its library, for materials that accept them here too."""
    accepting = {m["code"]: m for m in revision.materials if m.get("certificate_types") and not m.get("shared")}
    found = []
    for ref in refs:
        if not isinstance(ref, Mapping):
            continue
        spec = accepting.get(str(ref.get("code", "")))
        if spec is None or ref.get("status") != "valid" or ref.get("type_code") not in spec["certificate_types"]:
            continue
        found.append(CertificateMatch(
            material_code=spec["code"], material_name=spec["name"], satisfied=True,
            identifier=str(ref.get("identifier", ""))[:100], name=str(ref.get("name", ""))[:100],
            number=str(ref.get("number", ""))[:64], type_code=str(ref.get("type_code", "")),
            issuer=str(ref.get("issuer", ""))[:200], valid_until=ref.get("valid_until"), status="valid",
            status_label=str(ref.get("status_label") or "有效"),
            reason=f"{peer.name}电子证照库核验有效", jws_sm3=str(ref.get("sm3", ""))[:64]))
    return found


def view(session: Session, application: Application) -> dict[str, Any] | None:
    """What pages show about the other province's part, or None for a local application."""
    link = link_of(session, application)
    if link is None:
        return None
    updated: datetime | None = link.remote_updated_at
    return {"role": link.role, "mode": link.mode, "mode_label": MODES.get(link.mode, link.mode),
            "peer": link.peer_province, "peer_name": province_name(link.peer_province),
            "remote_number": link.remote_number, "remote_state": link.remote_state,
            "remote_state_label": link.remote_state_label, "remote_decision": link.remote_decision,
            "remote_reason": link.remote_reason, "updated_at": updated}
