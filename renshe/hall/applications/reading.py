"""What citizens and staff see of applications (查看办件): the form as the caller may see it, the work
queue and the citizen's own list, deadlines in working days, the timeline, and the API's views.

Reads only, apart from the audited unmasking of personal numbers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session, defer

from renshe.core import audit, crypto, divisions, labels, paging
from renshe.core.auth import Principal, deny
from renshe.core.errors import NotFound
from renshe.core.settings import get_settings
from renshe.hall import clock, forms, policy, schemas, workflow
from renshe.hall.applications.materials import materials_of
from renshe.hall.models import Application, ItemRevision, Transition
from renshe.registry import service as registry
from renshe.sharing import service as sharing

FORM_PURPOSE = "hall.form"
RUNNING_STATES = frozenset({"accepted", "reviewed"})
PAUSED_STATES = frozenset({"supplement"})
DECIDED_STATES = frozenset({"approved", "refused", "delivered"})
ACTION_LABELS = labels.register("hall.action", {
    "submit": "提交申请", "accept": "受理", "reject": "不予受理", "request_supplement": "要求补正",
    "resubmit": "补正后重新提交", "review": "审核", "approve": "办结：准予", "refuse": "办结：不予办理",
    "deliver": "送达结果", "withdraw": "撤回申请",
})
MASKERS = {"id_number": crypto.mask_id_number, "phone": crypto.mask_phone, "bank_account": crypto.mask_bank_account}


# A list shows summaries: the sealed form and the other large columns load only if a row is opened.
LIST_DEFERRED = tuple(defer(c) for c in (Application.form_encrypted, Application.prefill, Application.representation,
                                          Application.supplement_request, Application.decision_reason))


def near_due_workdays() -> int:
    """RENSHE_HALL_NEAR_DUE_DAYS (default 2): working days left at which an application is near due."""
    return get_settings().hall_near_due_days


_WORKFLOWS: dict[int, tuple[Any, workflow.Workflow]] = {}


def workflow_of(revision: ItemRevision) -> workflow.Workflow:
    """The revision's parsed workflow, kept by revision id (revisions are immutable), so a list page does
    not serialise the 1.9 kB workflow of every row to look up a state label. The stored definition is
    compared (by identity first) so a reused id with another workflow is parsed afresh."""
    found = _WORKFLOWS.get(revision.id)
    if found is not None and (found[0] is revision.workflow or found[0] == revision.workflow):
        return found[1]
    parsed = workflow.parse(revision.workflow)
    if len(_WORKFLOWS) >= 4096:
        _WORKFLOWS.clear()
    _WORKFLOWS[revision.id] = (revision.workflow, parsed)
    return parsed


_FORMS: dict[int, tuple[Any, list[forms.FormField]]] = {}


def form_fields(revision: ItemRevision) -> list[forms.FormField]:
    """The revision's form as fields, in order (checked once per revision, like `workflow_of`)."""
    found = _FORMS.get(revision.id)
    if found is not None and (found[0] is revision.form or found[0] == revision.form):
        return list(found[1])
    fields = forms.check_schema(revision.form)
    if len(_FORMS) >= 4096:
        _FORMS.clear()
    _FORMS[revision.id] = (revision.form, fields)
    return list(fields)


@lru_cache(maxsize=8192)
def division_name(code: str) -> str:
    """A division's full name (北京市朝阳区); the code table is static, so names are kept."""
    return divisions.full_name(code)


def prefill_for(session: Session, *, person: registry.Person, revision: ItemRevision) -> dict[str, sharing.Prefilled]:
    """What the platform holds for the form's prefill fields, by property name, with provenance."""
    wanted = {f.prefill: f.name for f in form_fields(revision) if f.prefill}
    found = sharing.prefill(session, person=person, wanted=list(wanted))
    return {wanted[key]: value for key, value in found.items()}


def provenance(prefilled: Mapping[str, sharing.Prefilled]) -> dict[str, Any]:
    """Where each prefilled value came from, as stored on the application."""
    return {name: {"resource": p.resource, "source": p.source, "updated_at": p.updated_at.isoformat()}
            for name, p in prefilled.items()}


def seal(data: Mapping[str, Any], purpose: str) -> bytes:
    """Encrypt a form or snapshot (JSON) for PURPOSE."""
    return crypto.cipher().encrypt(json.dumps(data, ensure_ascii=False, sort_keys=True), purpose=purpose)


def open_sealed(token: bytes, purpose: str) -> dict[str, Any]:
    """Decrypt what `seal` wrote for PURPOSE."""
    loaded: dict[str, Any] = json.loads(crypto.cipher().decrypt(token, purpose=purpose))
    return loaded


def form_data(application: Application) -> dict[str, Any]:
    """The application's form values in full (for the service itself and the applicant)."""
    return open_sealed(application.form_encrypted, f"{FORM_PURPOSE}:{application.public_id}")


def form_view(session: Session, application: Application, *, actor: Principal,
              unmask: bool = False, mask_own: bool = False) -> list[schemas.FieldValue]:
    """The form as the caller may see it: personal numbers masked, except the applicant's own through the
    API (their own app); pages pass `mask_own`, so the applicant's screen shows them only when they ask
    (`unmask`, audited, as staff with the unmask grant)."""
    reveal = False
    audited = False
    if unmask and policy.can(actor, "staff.member"):
        if not policy.may_unmask(session, actor):
            raise deny(actor, entity_type="hall_application", entity_id=application.public_id,
                                action="hall.unmask", detail="您未被授予查看完整个人信息的权限")
        reveal = audited = True
    elif policy.is_applicant(session, actor, application):
        reveal = unmask or not mask_own
        audited = unmask and mask_own
    if audited:
        audit.record(session, actor=actor, action="hall.unmask", entity_type="hall_application",
                     entity_id=application.public_id)
    values = form_data(application)
    provenance = application.prefill or {}
    out = []
    for field in form_fields(application.revision):
        value = values.get(field.name)
        masked = bool(field.pii) and value is not None and not reveal
        shown = MASKERS[field.pii](str(value)) if masked and field.pii else value
        display = field.label_of(shown) if not masked else str(shown)
        if field.name == "residence_division" and isinstance(value, str) and value:
            display = f"{value} {division_name(value)}"
        src = provenance.get(field.name)
        out.append(schemas.FieldValue(
            name=field.name, title=field.title, group=field.group, value=shown, display=display,
            locked=src is not None, masked=masked,
            provenance=schemas.PrefillSource(resource=src["resource"], source=src["source"],
                                             updated_at=datetime.fromisoformat(src["updated_at"])) if src else None))
    return out



def get_application(session: Session, *, actor: Principal, public_id: str) -> Application:
    """One application the caller may see; staff outside its division get an audited 403."""
    application = session.scalar(select(Application).where(Application.public_id == public_id))
    if application is None:
        raise NotFound("该办件", code="renshe:hall/application-not-found")
    if not policy.can_see(session, actor, application):
        if policy.can(actor, "staff.member"):
            raise deny(actor, entity_type="hall_application", entity_id=public_id, action="hall.read",
                       detail="该办件不在您的辖区内，无权查看")
        raise NotFound("该办件", code="renshe:hall/application-not-found")
    return application


def find_by_number(session: Session, *, actor: Principal, number: str) -> Application:
    """One application by its number (办件编号), if the caller may see it."""
    application = session.scalar(select(Application).where(Application.number == number.strip().upper()))
    if application is None or not policy.can_see(session, actor, application):
        raise NotFound("该办件", code="renshe:hall/application-not-found")
    return application


def queue(
    session: Session, *, actor: Principal, item_code: str | None = None, state: str | None = None,
    near_due: bool = False, overdue: bool = False, limit: int = 20, cursor: str | None = None,
) -> tuple[list[Application], str | None]:
    """The caller's work queue, scoped to their division and below before it is paged."""
    policy.require(actor, "queue.read")
    limit = max(1, min(limit, 200))
    stmt: Select[Any] = select(Application).options(*LIST_DEFERRED).where(
        Application.id > paging.decode_cursor(cursor))
    scope = in_division(Application.division_code, actor.division_code)
    if scope is not None:
        stmt = stmt.where(scope)
    stmt = stmt.where(Application.channel != "xp_collect")  # handled by the other province (代收代办)
    if state:
        stmt = stmt.where(Application.state == state)
    else:
        states = policy.default_states(actor)
        if states is not None:
            stmt = stmt.where(Application.state.in_(states))
    if item_code:
        stmt = stmt.where(Application.item_code == item_code)
    now = clock.today()
    if overdue:
        stmt = stmt.where(overdue_condition(now))
    elif near_due:
        horizon = clock.calendar(session).add_workdays(now, near_due_workdays())
        stmt = stmt.where(or_(overdue_condition(now), and_(Application.state.in_(RUNNING_STATES),
                                                           Application.due_date <= horizon)))
    rows = list(session.scalars(stmt.order_by(Application.id).limit(limit + 1)))
    next_cursor = paging.encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def listing(
    session: Session, *, actor: Principal, item_code: str | None = None, state: str | None = None,
    near_due: bool = False, overdue: bool = False, limit: int = 20, cursor: str | None = None,
) -> tuple[list[Application], str | None]:
    """The caller's list: a citizen's own applications (newest first, one page), else the work queue."""
    if policy.can(actor, "application.list_own"):
        return applications_of(session, actor=actor, limit=limit), None
    return queue(session, actor=actor, item_code=item_code, state=state, near_due=near_due, overdue=overdue,
                 limit=limit, cursor=cursor)


def in_division(column: Any, division_code: str) -> Any:
    """SQL: COLUMN (a division code) at DIVISION_CODE or below, as an equality or a range an index can
    serve (LIKE 'prefix%' cannot use one on SQLite); None for the ministry (everything)."""
    prefix = divisions.scope_prefix(division_code)
    if not prefix:
        return None
    if len(prefix) == 6:
        return column == prefix
    return and_(column >= prefix, column < prefix + ":")  # ':' sorts right after '9'


def overdue_condition(day: date) -> Any:
    """SQL: past the promised date on DAY; a paused (补正) application only if it was overdue when paused."""
    return or_(and_(Application.state.in_(RUNNING_STATES), Application.due_date < day),
               and_(Application.state.in_(PAUSED_STATES), Application.due_date < Application.paused_since))


def applications_of(session: Session, *, actor: Principal, limit: int = 100) -> list[Application]:
    """A citizen's own applications and those they filed for others, newest first."""
    policy.require(actor, "application.list_own")
    person_id = registry.person_pk(session, public_id=actor.subject)
    stmt = (select(Application).options(*LIST_DEFERRED)
            .where(or_(Application.applicant_id == person_id, Application.agent_id == person_id))
            .order_by(Application.id.desc()).limit(limit))
    return list(session.scalars(stmt))


def deadline(session: Session, application: Application) -> schemas.DeadlineOut:
    """Where the application stands against its promised limit, in working days."""
    running = application.state in RUNNING_STATES
    paused = application.state in PAUSED_STATES
    now = clock.today()
    remaining = None
    due = application.due_date
    if due is not None and (running or paused):
        remaining = clock.calendar(session).workdays_between(now, due)
    if due is not None and application.decided_at is not None:
        overdue = clock.local_date(application.decided_at) > due
    elif paused:  # the clock stopped: overdue only if it was already overdue when the pause began
        overdue = due is not None and application.paused_since is not None and application.paused_since > due
    else:
        overdue = due is not None and running and now > due
    return schemas.DeadlineOut(
        promised_limit_days=application.promised_limit_days, legal_limit_days=application.legal_limit_days,
        accepted_on=clock.local_date(application.accepted_at) if application.accepted_at else None, due_date=due,
        paused_workdays=application.paused_workdays, paused=paused, remaining_workdays=remaining,
        overdue=overdue, near_due=running and remaining is not None and 0 <= remaining <= near_due_workdays()
        and not overdue,
        running=running)


_LABELS: dict[tuple[int, str], workflow.Workflow] = {}


def state_label(application: Application) -> str:
    """The application's state in the words of its workflow, kept per revision: a list page neither
    loads each row's revision nor serialises its workflow."""
    key = (application.revision_id, application.item_code)
    wf = _LABELS.get(key)
    if wf is None:
        wf = workflow_of(application.revision)
        if len(_LABELS) >= 4096:
            _LABELS.clear()
        _LABELS[key] = wf
    return wf.label_of(application.state)


def summary_out(session: Session, application: Application) -> schemas.ApplicationSummary:
    """One row of a list: the application with its state label and deadline."""
    return schemas.ApplicationSummary(
        public_id=application.public_id, number=application.number, item_code=application.item_code,
        item_name=application.item_name, case_type=application.case_type, state=application.state,
        state_label=state_label(application), channel=application.channel,
        channel_label=schemas.CHANNEL_LABELS[application.channel], applicant_name=application.applicant_name,
        applicant_id_number=application.applicant_id_masked, division_code=application.division_code,
        division_name=division_name(application.division_code), submitted_at=application.submitted_at,
        accepted_at=application.accepted_at, decided_at=application.decided_at, decision=application.decision,
        deadline=deadline(session, application))


def summaries(session: Session, applications: list[Application]) -> list[schemas.ApplicationSummary]:
    """The rows of a list page."""
    return [summary_out(session, a) for a in applications]


def timeline(session: Session, application: Application) -> list[schemas.TransitionOut]:
    """The application's transitions, oldest first, with their labels."""
    wf = workflow_of(application.revision)
    rows = session.scalars(select(Transition).where(Transition.application_id == application.id)
                           .order_by(Transition.seq))
    return [schemas.TransitionOut(
        seq=t.seq, action=t.action, label=ACTION_LABELS.get(t.action, t.action), from_state=t.from_state,
        to_state=t.to_state, to_state_label=wf.label_of(t.to_state), actor_name=t.actor_name,
        actor_kind=t.actor_kind, reason=t.reason, details=t.details, at=t.at) for t in rows]


def available_actions(session: Session, actor: Principal, application: Application) -> list[workflow.Step]:
    """The workflow steps the caller may take now (maker-checker applied)."""
    wf = workflow_of(application.revision)
    roles = policy.workflow_roles(session, actor, application)
    steps = [s for s in wf.steps if application.state in s.sources and roles & set(s.actors)]
    return [s for s in steps if not any(getattr(application, h) == actor.subject for h in s.distinct_from)]


def application_out(session: Session, application: Application, *, actor: Principal,
                    unmask: bool = False, mask_own: bool = False) -> schemas.ApplicationOut:
    """The whole application as the caller may see it."""
    materials = [schemas.MaterialOut(code=m.material_code, name=m.name, filename=m.filename,
                                     content_type=m.content_type, size=m.size, sm3=m.sm3, round=m.round,
                                     uploaded_at=m.uploaded_at, source=m.source,
                                     certificate=schemas.CertificateRef.model_validate(m.certificate)
                                     if m.source == "certificate" and m.certificate else None)
                 for m in materials_of(session, application)]
    staff_view = policy.can(actor, "staff.view")
    return schemas.ApplicationOut(
        **summary_out(session, application).model_dump(),
        form=form_view(session, application, actor=actor, unmask=unmask, mask_own=mask_own), materials=materials,
        timeline=timeline(session, application), decision_reason=application.decision_reason,
        supplement_request=application.supplement_request, representation=application.representation,
        accepted_by=application.accepted_by if staff_view else None,
        reviewed_by=application.reviewed_by if staff_view else None,
        decided_by=application.decided_by if staff_view else None, delivered_at=application.delivered_at,
        available_actions=sorted({s.action for s in available_actions(session, actor, application)}),
        version=application.version)
