"""一件事: several items behind one form and one submission (e.g. 失业一件事 = 失业登记 + 失业保险金申领 +
就业服务). The form is the union of the sub-items' forms, one field per name (and per prefill key); the
materials are the union by code. Submitting files one application per sub-item in one transaction —
all or none — and the bundle page shows each one's progress."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core import audit
from renshe.core.auth import Principal
from renshe.core.errors import FieldError, NotFound, ValidationFailed
from renshe.core.events import record_event
from renshe.hall import forms, policy
from renshe.hall.applications import reading
from renshe.hall.applications import service as applications
from renshe.hall.applications.materials import Upload
from renshe.hall.catalog import service as catalog
from renshe.hall.models import Application, BundleApplication
from renshe.registry import service as registry


@dataclass(frozen=True)
class Bundle:
    code: str
    name: str
    description: str
    items: tuple[str, ...]


def definitions() -> list[Bundle]:
    folder = resources.files("renshe.hall").joinpath("data/bundles")
    loaded = [json.loads(f.read_text(encoding="utf-8")) for f in folder.iterdir() if f.name.endswith(".json")]
    return [Bundle(b["code"], b["name"], b.get("description", ""), tuple(b["items"]))
            for b in sorted(loaded, key=lambda b: (b.get("sort", 999), b["code"]))]


def get_bundle(code: str) -> Bundle:
    for bundle in definitions():
        if bundle.code == code:
            return bundle
    raise NotFound("该“一件事”", code="renshe:hall/bundle-not-found")


def union_form(session: Session, bundle: Bundle) -> tuple[list[forms.FormField], list[dict[str, Any]]]:
    """The union of the sub-items' fields (first definition of a name or prefill key wins, required if any
    sub-item requires it) and materials (by code, required if any requires it)."""
    fields: dict[str, forms.FormField] = {}
    by_prefill: dict[str, str] = {}
    materials: dict[str, dict[str, Any]] = {}
    for code in bundle.items:
        revision = catalog.current_revision(session, catalog.get_item(session, code))
        for f in reading.form_fields(revision):
            name = by_prefill.get(f.prefill, f.name) if f.prefill else f.name
            if name in fields:
                if f.required and not fields[name].required:
                    fields[name] = forms.FormField(**{**fields[name].__dict__, "required": True})
                continue
            fields[name] = f
            if f.prefill:
                by_prefill[f.prefill] = name
        for m in revision.materials:
            known = materials.get(m["code"])
            if known is None:
                materials[m["code"]] = dict(m)
            elif m.get("required") and not known.get("required"):
                known["required"] = True
    return list(fields.values()), list(materials.values())


def submit(session: Session, *, actor: Principal, code: str, data: Mapping[str, Any],
           uploads: Sequence[Upload] = ()) -> BundleApplication:
    """File every sub-application from one form; a broken rule in any of them refuses the whole bundle
    with every field's message (deduplicated)."""
    policy.require(actor, "bundle.apply")
    bundle = get_bundle(code)
    me = registry.get_person(session, actor=actor, public_id=actor.subject)
    record = BundleApplication(bundle_code=bundle.code, bundle_name=bundle.name, applicant_id=me.id,
                               created_by=actor.subject)
    session.add(record)
    session.flush()
    errors: dict[str, FieldError] = {}
    made: list[Application] = []
    for item_code in bundle.items:
        revision = catalog.current_revision(session, catalog.get_item(session, item_code))
        wanted = {m["code"] for m in revision.materials}
        mine = [u for u in uploads if u.code in wanted]
        try:
            with session.begin_nested():
                application = applications.submit(session, actor=actor, item_code=item_code, data=data, uploads=mine)
        except ValidationFailed as exc:
            for e in exc.errors:
                errors.setdefault(e.field, e)
            continue
        application.bundle_id = record.id
        made.append(application)
    if errors:
        raise ValidationFailed(list(errors.values()), detail="申请未提交，请按提示修改")
    session.flush()
    audit.record(session, actor=actor, action="hall.bundle_submit", entity_type="hall_bundle",
                 entity_id=record.public_id, after={"bundle": bundle.code, "applications": [a.number for a in made]})
    record_event(session, "hall.bundle_submitted", {"bundle": record.public_id, "code": bundle.code,
                                                    "applications": [a.public_id for a in made]})
    return record


def get_record(session: Session, *, actor: Principal, public_id: str) -> BundleApplication:
    record = session.scalar(select(BundleApplication).where(BundleApplication.public_id == public_id))
    if record is None or not policy.can(actor, "bundle.apply") or record.created_by != actor.subject:
        raise NotFound("该“一件事”申请", code="renshe:hall/bundle-not-found")
    return record


def sub_applications(session: Session, record: BundleApplication) -> list[Application]:
    return list(session.scalars(select(Application).where(Application.bundle_id == record.id)
                                .order_by(Application.id)))


def joint_state(applications: Sequence[Application]) -> str:
    """One line for the whole bundle."""
    done = sum(1 for a in applications if a.state in reading.DECIDED_STATES)
    if applications and done == len(applications):
        return "全部办结"
    return f"{done}/{len(applications)} 项已办结"
