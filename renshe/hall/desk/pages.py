"""The hall's desks (办事大厅): pages that bring the sub-features together. The citizen's hall (the catalog
with its 一件事 bundles), the citizen's applications and their progress (rating included), the staff work
queue and the handling page, and the large-type print views."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from renshe.core.auth import Principal
from renshe.core.errors import FieldError
from renshe.core.http import DbSession, MaybePrincipal, templates
from renshe.hall import policy, schemas, workflow
from renshe.hall.applications import reading, service, web
from renshe.hall.bundles import service as bundles
from renshe.hall.catalog import service as catalog
from renshe.hall.interprovince import service as interprovince
from renshe.hall.models import Application
from renshe.hall.oversight import service as supervision
from renshe.hall.reviews import service as reviews
from renshe.hall.webforms import Body, Citizen, Staff, errors_of, try_write, values_of

router = APIRouter(include_in_schema=False)


@router.get("/citizen/hall")
def catalog_page(request: Request, session: DbSession, principal: MaybePrincipal) -> Response:
    rows = catalog.catalog(session)
    return templates.render(request, "hall_catalog.html", page_title="办事服务（事项目录）", rows=rows,
                            bundles=bundles.definitions(),
                            may={"apply": principal is not None and policy.can(principal, "application.apply")})


def detail_extras(session: DbSession, application: Application, principal: Principal) -> dict[str, Any]:
    """What the application pages show besides the workflow: the rating, notices, the other province."""
    review = reviews.review_of(session, application)
    staff_member = policy.can(principal, "staff.member")
    return {"review": review, "levels": reviews.LEVELS, "can_rate": reviews.can_rate(application) and review is None,
            "rate_indicators": reviews.ONLINE_INDICATORS, "indicator_names": {**reviews.ONLINE_INDICATORS,
                                                                              **reviews.WINDOW_INDICATORS},
            "notices": supervision.notices_of(session, application) if staff_member else [],
            "is_supervisor": supervision.is_supervisor(principal) and staff_member,
            "xp": interprovince.view(session, application)}


@router.get("/citizen/applications")
def my_applications(request: Request, session: DbSession, principal: Citizen) -> Response:
    rows = reading.summaries(session, reading.applications_of(session, actor=principal))
    return templates.render(request, "hall_my_applications.html", page_title="我的办件", rows=rows)


def _detail(session: DbSession, application: Application, principal: Principal, *,
            unmask: bool = False) -> dict[str, Any]:
    # on a screen, the applicant's own numbers are masked until they ask (anyone beside them reads it too)
    out = reading.application_out(session, application, actor=principal, unmask=unmask, mask_own=True)
    groups: list[tuple[str, list[schemas.FieldValue]]] = []
    for value in out.form:
        if not groups or groups[-1][0] != value.group:
            groups.append((value.group, []))
        groups[-1][1].append(value)
    provenance = {name: web.provenance_text(p["resource"], p["source"], p["updated_at"])
                  for name, p in (application.prefill or {}).items()}
    return {"app": out, "groups": groups, "provenance": provenance,
            **detail_extras(session, application, principal)}


@router.get("/citizen/applications/{public_id}")
def my_application(request: Request, public_id: str, session: DbSession, principal: Citizen,
                   submitted: bool = False, unmask: bool = False) -> Response:
    application = reading.get_application(session, actor=principal, public_id=public_id)
    return _citizen_detail(request, session, application, principal, submitted=submitted, unmask=unmask)


def _citizen_detail(request: Request, session: DbSession, application: Application, principal: Principal, *,
                    status_code: int = 200, errors: list[FieldError] | None = None, submitted: bool = False,
                    values: dict[str, Any] | None = None, unmask: bool = False) -> Response:
    context = _detail(session, application, principal, unmask=unmask)
    fields = [f for f in reading.form_fields(application.revision) if f.name not in (application.prefill or {})]
    materials = [m for m in application.revision.materials if not m.get("shared")]
    return templates.render(request, "hall_citizen_application.html", status_code=status_code,
                            page_title=f"办件详情 {application.number}", submitted=submitted, errors=errors or [],
                            err=web.field_errors(errors or []), editable=fields, materials=materials,
                            current=reading.form_data(application) if values is None else values, **context)


@router.post("/citizen/applications/{public_id}/rating")
def citizen_review(request: Request, public_id: str, session: DbSession, principal: Citizen, body: Body) -> Response:
    application = reading.get_application(session, actor=principal, public_id=public_id)
    values = values_of(body)
    scores = {k.removeprefix("score_"): v for k, v in values.items() if k.startswith("score_")}
    try:
        level = int(values.get("level", "0") or 0)
    except ValueError:
        level = 0
    error = try_write(session, lambda: reviews.rate(session, actor=principal, application=application, level=level,
                                                    scores=scores, comment=values.get("comment", "")))
    if error is not None:
        application = reading.get_application(session, actor=principal, public_id=public_id)
        return _citizen_detail(request, session, application, principal, status_code=error.status,
                               errors=errors_of(error, "level"))
    return RedirectResponse(f"/citizen/applications/{public_id}?rated=1", status_code=303)



@router.post("/citizen/applications/{public_id}/{action}")
def citizen_act(request: Request, public_id: str, action: str, session: DbSession, principal: Citizen,
                body: Body) -> Response:
    application = reading.get_application(session, actor=principal, public_id=public_id)
    if action not in ("resubmit", "withdraw"):
        return RedirectResponse(f"/citizen/applications/{public_id}", status_code=303)
    values = values_of(body)
    error = try_write(session, lambda: service.act(session, actor=principal, application=application, action=action,
                                                   data=values, uploads=web.uploads(body)))
    if error is not None:
        application = reading.get_application(session, actor=principal, public_id=public_id)
        return _citizen_detail(request, session, application, principal, status_code=error.status,
                               errors=errors_of(error, "form"), values={**reading.form_data(application), **values})
    return RedirectResponse(f"/citizen/applications/{public_id}", status_code=303)


def _print(request: Request, session: DbSession, application: Application, principal: Principal,
           kind: str) -> Response:
    context = _detail(session, application, principal)
    if kind == "result":
        snapshot = service.decision_of(session, application)
        if snapshot is None:
            return templates.render(request, "error.html", status_code=409, page_title="尚未办结", title="尚未办结",
                                    detail="该办件尚未办结，暂无结果通知书", errors=[])
        context["snapshot"] = snapshot
        return templates.render(request, "hall_print_result.html", page_title=f"结果通知书 {application.number}",
                                **context)
    if application.accepted_at is None:
        return templates.render(request, "error.html", status_code=409, page_title="尚未受理", title="尚未受理",
                                detail="该办件尚未受理，暂无受理回执", errors=[])
    return templates.render(request, "hall_print_receipt.html", page_title=f"受理回执 {application.number}",
                            **context)


@router.get("/citizen/applications/{public_id}/print/{kind}")
def citizen_print(request: Request, public_id: str, kind: str, session: DbSession, principal: Citizen) -> Response:
    application = reading.get_application(session, actor=principal, public_id=public_id)
    return _print(request, session, application, principal, "result" if kind == "result" else "receipt")


# ---------------------------------------------------------------- staff


@router.get("/staff/hall")
def staff_queue(request: Request, session: DbSession, principal: Staff,
                item: Annotated[str, Query(max_length=40)] = "", state: Annotated[str, Query(max_length=32)] = "",
                due: Annotated[str, Query(max_length=10)] = "", cursor: str | None = None) -> Response:
    rows, next_cursor = reading.queue(session, actor=principal, item_code=item or None, state=state or None,
                                      near_due=due == "near", overdue=due == "overdue", cursor=cursor)
    return templates.render(
        request, "hall_queue.html", page_title="一网通办 办件队列",
        rows=reading.summaries(session, rows),
        next_cursor=next_cursor, items=catalog.list_items(session), states=workflow.DEFAULT_LABELS,
        filters={"item": item, "state": state, "due": due},
        default_states=policy.default_states(principal),
        notices=supervision.open_notices(session, actor=principal, limit=20),
        may={"window": policy.can(principal, "window.file"), "oversee": supervision.is_supervisor(principal)},
        division_name=reading.division_name(principal.division_code) or "全国")


@router.get("/staff/hall/applications/{public_id}")
def staff_application(request: Request, public_id: str, session: DbSession, principal: Staff) -> Response:
    application = reading.get_application(session, actor=principal, public_id=public_id)
    return _staff_detail(request, session, application, principal)


def _staff_detail(request: Request, session: DbSession, application: Application, principal: Principal, *,
                  status_code: int = 200, errors: list[FieldError] | None = None) -> Response:
    context = _detail(session, application, principal)
    steps = reading.available_actions(session, principal, application)
    actions = {s.action: s for s in steps}
    blocked = None
    if application.accepted_by == principal.subject and application.state in ("accepted", "reviewed") \
            and "reviewer" in policy.workflow_roles(session, principal, application) \
            and not ({"review", "approve"} & set(actions)):
        blocked = "您是本办件的受理人，按规定不能审核本办件，请交由其他审核人员办理。"
    return templates.render(request, "hall_staff_application.html", status_code=status_code,
                            page_title=f"办件 {application.number}", actions=actions, errors=errors or [],
                            blocked=blocked, deliveries=schemas.DELIVERY_METHODS,
                            may={"oversee": policy.can(principal, "supervision.read_only")}, **context)


@router.post("/staff/hall/applications/{public_id}/act")
def staff_act(request: Request, public_id: str, session: DbSession, principal: Staff, body: Body) -> Response:
    application = reading.get_application(session, actor=principal, public_id=public_id)
    values = values_of(body)
    action = values.get("action", "")
    reason = values.get("reason") or None
    supplement = [line for line in (values.get("supplement") or "").splitlines() if line.strip()]
    version = values.get("version", "")
    steps = [action]
    # 审核并办结: one button records both steps, review then the decision.
    if action in ("review_approve", "review_refuse"):
        steps = ["review", action.removeprefix("review_")]

    def take_steps() -> None:
        for i, step in enumerate(steps):
            service.act(session, actor=principal, application=application, action=step, reason=reason,
                        supplement=supplement, delivery_method=values.get("delivery_method") or None,
                        expected_version=int(version) if version.isdigit() and i == 0 else None)

    error = try_write(session, take_steps, raising=frozenset({401}))
    if error is not None:
        application = reading.get_application(session, actor=principal, public_id=public_id)
        return _staff_detail(request, session, application, principal, status_code=error.status,
                             errors=errors_of(error, "action"))
    return RedirectResponse(f"/staff/hall/applications/{public_id}?done={steps[-1]}", status_code=303)


@router.get("/staff/hall/applications/{public_id}/print/{kind}")
def staff_print(request: Request, public_id: str, kind: str, session: DbSession, principal: Staff) -> Response:
    application = reading.get_application(session, actor=principal, public_id=public_id)
    return _print(request, session, application, principal, "result" if kind == "result" else "receipt")
