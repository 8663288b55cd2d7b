"""Pages of 一件事: one form for several items, and the joint progress."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from renshe.core.auth import Principal
from renshe.core.errors import FieldError
from renshe.core.http import DbSession, templates
from renshe.hall.applications import materials as materials_
from renshe.hall.applications import reading, web
from renshe.hall.bundles import service as bundles
from renshe.hall.catalog import service as catalog
from renshe.hall.webforms import Body, Citizen, err_map, errors_of, try_write, values_of
from renshe.registry import service as registry

router = APIRouter(include_in_schema=False)


def _bundle_page(request: Request, session: DbSession, principal: Principal, code: str, *, status_code: int = 200,
                 values: dict[str, Any] | None = None, errors: list[FieldError] | None = None) -> Response:
    bundle = bundles.get_bundle(code)
    me = registry.get_person(session, actor=principal, public_id=principal.subject)
    fields, materials = bundles.union_form(session, bundle)
    found: dict[str, Any] = {}
    for item_code in bundle.items:
        revision = catalog.current_revision(session, catalog.get_item(session, item_code))
        for name, p in reading.prefill_for(session, person=me, revision=revision).items():
            found.setdefault(name, p)
    locked = web.locked_values(fields, found)
    groups = web.field_groups(fields)
    items = [catalog.get_item(session, c) for c in bundle.items]
    return templates.render(request, "hall_bundle_apply.html", status_code=status_code,
                            page_title=f"一件事：{bundle.name}", bundle=bundle, items=items, groups=groups,
                            locked=locked, materials=materials, values=values or {}, errors=errors or [],
                            err=err_map(errors or []), max_mb=materials_.max_upload_bytes() // (1024 * 1024))


@router.get("/citizen/hall/bundles/{code}/apply")
def bundle_form(request: Request, code: str, session: DbSession, principal: Citizen) -> Response:
    return _bundle_page(request, session, principal, code)


@router.post("/citizen/hall/bundles/{code}/apply")
def bundle_apply(request: Request, code: str, session: DbSession, principal: Citizen, body: Body) -> Response:
    values = values_of(body)
    made: list[Any] = []
    error = try_write(session, lambda: made.append(bundles.submit(session, actor=principal, code=code, data=values,
                                                                  uploads=web.uploads(body))))
    if error is not None:
        return _bundle_page(request, session, principal, code, status_code=422, values=values,
                            errors=errors_of(error, "form"))
    return RedirectResponse(f"/citizen/bundles/{made[0].public_id}?submitted=1", status_code=303)


@router.get("/citizen/bundles/{public_id}")
def bundle_progress(request: Request, public_id: str, session: DbSession, principal: Citizen,
                    submitted: bool = False) -> Response:
    record = bundles.get_record(session, actor=principal, public_id=public_id)
    subs = bundles.sub_applications(session, record)
    return templates.render(request, "hall_bundle_progress.html", page_title=f"一件事：{record.bundle_name}",
                            record=record, rows=reading.summaries(session, subs),
                            joint=bundles.joint_state(subs), submitted=submitted)
