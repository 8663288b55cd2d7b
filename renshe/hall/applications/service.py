"""Applications of the service hall (办件): the one way an application is created (online, by proxy, at
the window, or received from another province), and the workflow with its clock. The only code that
writes applications, their transitions and decision snapshots.

Every deadline counts working days through `core.workdays`; every transition is audited, recorded in
`hall_transitions` and emitted as a `hall.*` event; a decision keeps an encrypted snapshot of what it was
made on.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.core import audit, crypto
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import Conflict, DomainError, FieldError, Forbidden, ValidationFailed
from renshe.core.events import record_event
from renshe.hall import claims, clock, forms, peers, policy, schemas
from renshe.hall.applications import consent
from renshe.hall.applications.materials import (
    CertificateMatch,
    Upload,
    certificate_materials,
    check_uploads,
    materials_of,
    store_certificates,
    store_uploads,
)
from renshe.hall.applications.reading import (
    ACTION_LABELS,
    FORM_PURPOSE,
    form_data,
    form_fields,
    open_sealed,
    prefill_for,
    provenance,
    seal,
    state_label,
    workflow_of,
)
from renshe.hall.catalog import service as catalog
from renshe.hall.models import Application, DecisionSnapshot, HallItem, Material, Transition
from renshe.registry import service as registry
from renshe.sharing import service as sharing

SNAPSHOT_PURPOSE = "hall.decision"
EVENT_NAMES = {
    "submit": "submitted", "accept": "accepted", "reject": "rejected", "request_supplement": "supplement_requested",
    "resubmit": "resubmitted", "review": "reviewed", "approve": "approved", "refuse": "refused",
    "deliver": "delivered", "withdraw": "withdrawn",
}


def new_number(division: str) -> str:
    """A new application number (办件编号): division, date, six random hex digits."""
    return f"{division}{clock.today():%Y%m%d}{secrets.token_hex(3).upper()}"


def record_transition(session: Session, application: Application, *, actor: Principal, action: str,
                      from_state: str | None, to_state: str, reason: str | None = None,
                      details: dict[str, Any] | None = None) -> Transition:
    """Record one workflow step: the transition row, the audit entry, the `hall.application_*` event, and
    for an application received from another province, the status report back to it (跨省通办)."""
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
        peers.enqueue_status(session, application, seq=seq, label=state_label(application))
    else:  # the origin province tells its own applicant of a forwarded application
        notify_parties(session, application, action=action, reason=reason)
    return step


def _notice_of(application: Application, action: str, reason: str | None) -> tuple[str, str] | None:
    """The title and body of the notice an applicant gets for ACTION, if they get one."""
    item, number = application.item_name, application.number
    if action == "submit" and application.channel == "proxy":
        agent = (application.representation or {}).get("agent_name", "")
        return (f"{agent}以您的名义提交了“{item}”申请",
                f"办件编号{number}。{agent}（{(application.representation or {}).get('relationship_label', '')}）"
                "经您同意为您代办。如您并未同意，请立即拨打12333或到窗口反映；您可在“代办授权”中撤销授权。")
    if action == "accept":
        due = f"，承诺于{application.due_date:%Y年%m月%d日}前办结" if application.due_date else ""
        return f"您的“{item}”申请已受理", f"办件编号{number}已受理{due}。"
    if action == "reject":
        return f"您的“{item}”申请不予受理", f"办件编号{number}不予受理。理由：{reason or '见办件详情'}。"
    if action == "request_supplement":
        wanted = "；".join(application.supplement_request or [])
        return (f"您的“{item}”申请需要补正",
                f"办件编号{number}需要补正：{wanted}。请登录后补正材料，补正期间办理时限暂停计算。")
    if action in ("approve", "refuse"):
        result = "准予办理" if action == "approve" else f"不予办理（理由：{reason or '见办件详情'}）"
        return f"您的“{item}”申请已办结", f"办件编号{number}已办结，结果：{result}。"
    return None


def notify_parties(session: Session, application: Application, *, action: str, reason: str | None = None) -> None:
    """Notify the applicant (and a 代办 agent of what follows the filing) of accepted, 补正, decided, or an
    application filed in their name: a notice in their message centre and a text message, in this transaction."""
    found = _notice_of(application, action, reason)
    if found is None:
        return
    title, body = found
    link = f"/citizen/applications/{application.public_id}"
    kind = "hall.filed_for_you" if action == "submit" else f"hall.{EVENT_NAMES[action]}"
    recipients = [application.applicant_id]
    if action != "submit" and application.agent_id is not None and application.agent_id != application.applicant_id:
        recipients.append(application.agent_id)
    for person_pk in recipients:
        shown = title if person_pk == application.applicant_id else \
            title.replace("您的", f"您为{application.applicant_name}代办的", 1)
        registry.notify(session, person_pk=person_pk, kind=kind, title=shown, body=body, link=link)


def create_application(
    session: Session, *, actor: Principal, item: HallItem, applicant: registry.Person, channel: str,
    data: Mapping[str, Any], uploads: Sequence[Upload] = (), agent: registry.Person | None = None,
    representation: dict[str, Any] | None = None, division_code: str | None = None,
    prefilled: Mapping[str, sharing.Prefilled] | None = None, certified: Sequence[CertificateMatch] | None = None,
    certificate_note: Mapping[str, Any] | None = None, details: Mapping[str, Any] | None = None,
    before_submit: Callable[[Application], object] | None = None, refusal: str = "申请未提交，请按提示修改",
) -> Application:
    """Create an application in state `submitted`: the one way every channel files one (online, 代办, the
    window, and 跨省通办 on both sides).

    The form is validated with the prefilled values locked: PREFILLED, or what the platform holds for the
    applicant. Materials come from uploads and from certificates: CERTIFIED (taken by another province,
    with CERTIFICATE_NOTE), or the applicant's certificates in this province's library. The application
    is numbered in DIVISION_CODE (default: the applicant's residence); BEFORE_SUBMIT runs once it has an
    id and before its first transition is recorded."""
    if item.status != "active":
        raise Conflict("该事项已暂停办理", code="renshe:hall/item-suspended")
    if applicant.status != "normal":
        raise Conflict("申请人的人员状态不是正常，不能申请", code="renshe:hall/applicant-not-active")
    revision = catalog.current_revision(session, item)
    if catalog.lookup_of(revision):
        raise Conflict(f"“{item.name}”为即时查询事项，无需申请，请直接查询", code="renshe:hall/lookup-item")
    if prefilled is None:
        prefilled = prefill_for(session, person=applicant, revision=revision)
    clean, errors = forms.validate(form_fields(revision), data, {k: p.value for k, p in prefilled.items()})
    if certified is None:
        library = certificate_materials(session, person=applicant, revision=revision)
        material_errors, checked = check_uploads(revision, uploads, have=set(), require_all=True, certified=library)
        certificates: Sequence[CertificateMatch] = list(library.values())
    else:
        material_errors, checked = check_uploads(revision, uploads, have={c.material_code for c in certified},
                                                 require_all=True)
        certificates = certified
    errors += material_errors
    if errors:
        raise ValidationFailed(errors, detail=refusal)
    checked_claim = claims.check_submission(session, item_code=item.code, applicant=applicant, data=clean)
    public_id = secrets.token_hex(16)
    division = division_code or applicant.residence_division
    application = Application(
        public_id=public_id, number=new_number(division), item_id=item.id,
        revision_id=revision.id, item_code=item.code, item_name=revision.name, case_type=revision.case_type,
        applicant_id=applicant.id, applicant_name=applicant.name, applicant_id_masked=applicant.id_number_masked,
        agent_id=agent.id if agent else None, channel=channel, created_by=actor.subject,
        division_code=division, state="submitted",
        form_encrypted=seal(clean, f"{FORM_PURPOSE}:{public_id}"), prefill=provenance(prefilled),
        representation=representation, promised_limit_days=revision.promised_limit_days,
        legal_limit_days=revision.legal_limit_days, paused_workdays=0)
    session.add(application)
    session.flush()
    if before_submit is not None:
        before_submit(application)
    stored = store_uploads(session, application, checked, revision=revision, actor=actor, round_no=0)
    from_library = store_certificates(session, application, certificates, actor=actor, round_no=0,
                                      extra=certificate_note)
    step: dict[str, Any] = {"channel": channel, "locked_fields": sorted(prefilled),
                            "materials": [m.sm3 for m in stored]}
    if from_library:
        step["certificates"] = [m.certificate_identifier for m in from_library]
    step.update(details or {})
    step.update(checked_claim)
    record_transition(session, application, actor=actor, action="submit", from_state=None, to_state="submitted",
                      details=step)
    return application


def submit(
    session: Session, *, actor: Principal, item_code: str, data: Mapping[str, Any], uploads: Sequence[Upload] = (),
    representation: schemas.RepresentationIn | None = None,
) -> Application:
    """A citizen applies online for themself, or for a family member with a recorded authorisation (代办)."""
    policy.require(actor, "application.apply")
    me = registry.get_person(session, actor=actor, public_id=actor.subject)
    item = catalog.get_item(session, item_code)
    if representation is None:
        return create_application(session, actor=actor, item=item, applicant=me, channel="online", data=data,
                                  uploads=uploads)
    represented, record = verify_representation(session, agent=me, item=item, data=representation)
    return create_application(session, actor=actor, item=item, applicant=represented, agent=me, channel="proxy",
                              data=data, uploads=uploads, representation=record)


def prefill_of(session: Session, *, actor: Principal, item_code: str) -> dict[str, sharing.Prefilled]:
    """What the platform holds for the citizen's own form of ITEM_CODE (locked on submit), by field."""
    policy.require(actor, "application.prefill")
    person = registry.get_person(session, actor=actor, public_id=actor.subject)
    revision = catalog.current_revision(session, catalog.get_item(session, item_code))
    return prefill_for(session, person=person, revision=revision)


def verify_representation(session: Session, *, agent: registry.Person, item: HallItem,
                          data: schemas.RepresentationIn) -> tuple[registry.Person, dict[str, Any]]:
    """Check the represented person against the person base (one answer for a wrong name or an unknown ID
    number) and their consent to this filing (`consent.require_consent`); the record kept on the application."""
    person = consent.represented_person(session, agent=agent, id_number=data.id_number, name=data.name)
    proof = consent.require_consent(session, agent=agent, grantor=person, item=item, data=data)
    return person, {
        "kind": "family", "agent_name": agent.name, "agent_id_number": agent.id_number_masked,
        "represented_name": person.name, "represented_id_number": person.id_number_masked,
        "relationship": data.relationship, "relationship_label": schemas.RELATIONSHIPS[data.relationship],
        "statement": data.statement, "verified_against": "人员基础库", "verified_at": utcnow().isoformat(),
        **proof,
    }


# ---------------------------------------------------------------- the workflow


def act(
    session: Session, *, actor: Principal, application: Application, action: str, reason: str | None = None,
    supplement: Sequence[str] = (), data: Mapping[str, Any] | None = None, uploads: Sequence[Upload] = (),
    delivery_method: str | None = None, expected_version: int | None = None,
) -> Application:
    """Take one workflow step, if the application's workflow allows it from its state for this caller."""
    if expected_version is not None and expected_version != application.version:
        raise DomainError("renshe:hall/stale", "办件已被他人更新，请刷新后重试", 412, "办件已变更")
    wf = workflow_of(application.revision)
    step = wf.step(action, application.state)
    if step is None:
        label = ACTION_LABELS.get(action, action)
        raise Conflict(f"办件当前状态为“{wf.label_of(application.state)}”，不能进行“{label}”操作"
                       f"（state={application.state}, action={action}）", code="renshe:hall/transition-not-allowed")
    roles = policy.workflow_roles(session, actor, application)
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
    day = clock.today()
    if action == "resubmit":
        details.update(_resubmit(session, actor=actor, application=application, data=data or {}, uploads=uploads))
    if step.supplement_list:
        application.supplement_request = items
        details["supplement"] = items
    cal = clock.calendar(session) if step.clock else None
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
    if action == "approve":
        details.update(claims.approve(session, actor=actor, item_code=application.item_code,
                                      applicant_id=application.applicant_id, number=application.number,
                                      data=form_data(application), today=day))
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
    record_transition(session, application, actor=actor, action=action, from_state=from_state,
                       to_state=step.target, reason=reason, details=details or None)
    return application


_ACTOR_LABELS = {"clerk": "受理人员", "reviewer": "审核人员", "applicant": "申请人"}


def _measure(session: Session, application: Application, day: date) -> None:
    """At the decision: working days taken (less 补正 pauses) and whether it met the promised date."""
    if application.due_date is None:  # decided without the clock running (即办件)
        application.elapsed_workdays, application.on_time = 0, True
        return
    # The due date already moved by the pauses, so the limit plus the days past (or before) it is the time taken.
    taken = application.promised_limit_days + clock.calendar(session).workdays_between(application.due_date, day)
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
    material_errors, checked = check_uploads(revision, uploads, have=have, require_all=True)
    errors += material_errors
    if errors:
        raise ValidationFailed(errors, detail="补正未提交，请按提示修改")
    changed = sorted(k for k in clean if clean.get(k) != current.get(k))
    application.form_encrypted = seal(clean, f"{FORM_PURPOSE}:{application.public_id}")
    round_no = 1 + (session.scalar(select(func.max(Material.round)).where(
        Material.application_id == application.id)) or 0)
    stored = store_uploads(session, application, checked, revision=revision, actor=actor, round_no=round_no)
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
        snapshot_encrypted=seal(data, f"{SNAPSHOT_PURPOSE}:{application.public_id}"),
        snapshot_sm3=crypto.sm3_hex(canonical.encode()))
    session.add(snapshot)
    session.flush()
    return snapshot


def decision_of(session: Session, application: Application) -> DecisionSnapshot | None:
    """The application's latest decision snapshot, if decided."""
    return session.scalar(select(DecisionSnapshot).where(DecisionSnapshot.application_id == application.id)
                          .order_by(DecisionSnapshot.id.desc()).limit(1))


def snapshot_data(application: Application, snapshot: DecisionSnapshot) -> dict[str, Any]:
    """The decision snapshot, checked against its SM3 digest."""
    data = open_sealed(snapshot.snapshot_encrypted, f"{SNAPSHOT_PURPOSE}:{application.public_id}")
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if crypto.sm3_hex(canonical.encode()) != snapshot.snapshot_sm3:
        raise Conflict("决定快照与其摘要不符，可能已被篡改", code="renshe:hall/snapshot-tampered")
    return data
