"""Pages of the card capability: the citizen's card, e-SSC code and sign-in confirmation; the clerk's
card window (with the person's payments into the card) and production batches; the province's scenario
switches; the administrator's scan terminals and third-party apps (secrets shown once)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from renshe.card import policy, rules, schemas, service
from renshe.core import divisions
from renshe.core.auth import Principal
from renshe.core.errors import DomainError, FieldError
from renshe.core.http import DbSession, attempt, require_kind, templates
from renshe.registry import service as registry

router = APIRouter(include_in_schema=False)
Citizen = Annotated[Principal, require_kind("citizen")]
Staff = Annotated[Principal, require_kind("staff")]
NOTICES = {
    "applied": "申领已提交，制卡完成后将通知您领卡。", "lost": "挂失成功，社保卡和电子社保卡已暂停使用。",
    "essc": "电子社保卡签发成功。", "done": "办理成功。", "batch": "制卡批次已生成。", "produced": "已登记制卡完成。",
    "scenario": "场景设置已保存。", "approved": "已确认登录，请返回应用继续操作。", "declined": "已拒绝该登录请求。",
    "terminal-on": "受理终端已启用。", "terminal-off": "受理终端已停用，该终端的扫码请求将被拒绝。",
}


def _notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("ok", ""))


# ---------------------------------------------------------------- citizen


def _citizen_page(request: Request, session: Session, principal: Principal, *, status_code: int = 200,
                  errors: list[FieldError] | None = None) -> Response:
    person = service.citizen_person(session, principal)
    card = service.my_card(session, actor=principal)
    essc = service.essc_of(session, card) if card else None
    payments, _ = service.payments_of(session, person=person, limit=50)
    return templates.render(
        request, "card_citizen.html", status_code=status_code, page_title="我的社保卡",
        card=service.card_out(session, card, actor=principal) if card else None,
        essc=service.essc_out(essc, card) if essc and card else None, banks=service.BANKS,
        payments=[service.payment_out(p) for p in reversed(payments)],
        scans=service.scan_history(session, actor=principal, limit=20), errors=errors or [],
        notice=_notice(request))


@router.get("/citizen/card")
def citizen_card(request: Request, session: DbSession, principal: Citizen) -> Response:
    return _citizen_page(request, session, principal)


@router.post("/citizen/card/apply")
def citizen_apply(request: Request, session: DbSession, principal: Citizen,
                  bank_code: Annotated[str, Form()] = "") -> Response:
    person = service.citizen_person(session, principal)
    card, errors = attempt(lambda: service.apply_for_card(session, actor=principal, person=person,
                                                          bank_code=bank_code), field="bank_code", session=session)
    if card is not None:
        return RedirectResponse("/citizen/card?ok=applied", status_code=303)
    return _citizen_page(request, session, principal, status_code=422, errors=errors)


@router.post("/citizen/card/report-loss")
def citizen_report_loss(request: Request, session: DbSession, principal: Citizen,
                        confirm: Annotated[str, Form()] = "") -> Response:
    card = service.my_card(session, actor=principal)
    if confirm != "yes" or card is None:
        return _citizen_page(request, session, principal, status_code=422, errors=[
            FieldError("confirm", "renshe:card/confirm", "请勾选“确认挂失”后再提交")])
    moved, errors = attempt(lambda: service.move(session, actor=principal, card=card, action="report_loss"),
                            field="confirm", session=session)
    if moved is not None:
        return RedirectResponse("/citizen/card?ok=lost", status_code=303)
    return _citizen_page(request, session, principal, status_code=409, errors=errors)


@router.post("/citizen/card/essc")
def citizen_issue_essc(request: Request, session: DbSession, principal: Citizen) -> Response:
    essc, errors = attempt(lambda: service.issue_essc(session, actor=principal), field="essc", session=session)
    if essc is not None:
        return RedirectResponse("/citizen/card/essc?ok=essc", status_code=303)
    return _citizen_page(request, session, principal, status_code=409, errors=errors)


@router.get("/citizen/card/essc")
def citizen_essc(request: Request, session: DbSession, principal: Citizen) -> Response:
    try:
        service.my_essc(session, actor=principal)
    except DomainError:
        return RedirectResponse("/citizen/card", status_code=303)
    return templates.render(request, "card_essc.html", page_title="电子社保卡", notice=_notice(request),
                            seconds=service.code_seconds())


@router.get("/citizen/card/sign-in/{request_id}")
def sign_in_page(request: Request, request_id: str, session: DbSession, principal: Citizen) -> Response:
    sign_in, app = service.pending_sign_in(session, actor=principal, request_id=request_id)
    return templates.render(request, "card_sign_in.html", page_title="电子社保卡登录确认", sign_in=sign_in,
                            app=app, scopes=[service.APP_SCOPES[s] for s in sign_in.scopes],
                            kind=service.APP_KINDS.get(app.kind, app.kind), errors=[], notice=_notice(request))


@router.post("/citizen/card/sign-in/{request_id}")
def sign_in_decide(request: Request, request_id: str, session: DbSession, principal: Citizen,
                   decision: Annotated[str, Form()] = "") -> Response:
    decided, errors = attempt(lambda: service.decide_sign_in(
        session, actor=principal, request_id=request_id, approve=decision == "approve"),
        field="decision", session=session)
    if decided is not None:
        ok = "approved" if decided.status == "confirmed" else "declined"
        return RedirectResponse(f"/citizen/card/sign-in/{request_id}?ok={ok}", status_code=303)
    sign_in, app = service.pending_sign_in(session, actor=principal, request_id=request_id)
    return templates.render(request, "card_sign_in.html", status_code=409, page_title="电子社保卡登录确认",
                            sign_in=sign_in, app=app, scopes=[service.APP_SCOPES[s] for s in sign_in.scopes],
                            kind=service.APP_KINDS.get(app.kind, app.kind), errors=errors, notice=None)


# ---------------------------------------------------------------- staff


PAYMENTS_PER_PAGE = 20


def _staff_page(request: Request, session: Session, principal: Principal, *, q: str = "", status_code: int = 200,
                errors: list[FieldError] | None = None, values: dict[str, str] | None = None,
                payments_cursor: str | None = None) -> Response:
    person_out = None
    cards: list[Any] = []
    payments: list[schemas.PaymentOut] = []
    payments_next: str | None = None
    q = q.strip()
    if q:
        try:
            person = registry.find_person(session, actor=principal, id_number=q)
        except DomainError as exc:
            if exc.status == 403:
                raise
            errors = [*(errors or []), FieldError("q", exc.code, exc.detail)]
        else:
            person_out = registry.person_out(session, person, actor=principal)
            cards = [service.card_out(session, c, actor=principal) for c in service.cards_of(session, person)]
            try:
                rows, payments_next = service.payments_of(session, person=person, limit=PAYMENTS_PER_PAGE,
                                                          cursor=payments_cursor)
            except DomainError:  # a cursor that does not decode: start at the first page
                rows, payments_next = service.payments_of(session, person=person, limit=PAYMENTS_PER_PAGE)
                payments_cursor = None
            payments = [service.payment_out(p) for p in rows]
    pending, _ = service.list_cards(session, actor=principal, status="applied", limit=1)
    return templates.render(request, "card_staff.html", status_code=status_code, page_title="社保卡业务", q=q,
                            person=person_out, cards=cards, banks=service.BANKS, errors=errors or [],
                            values=values or {}, labels=rules.TRANSITIONS, notice=_notice(request),
                            has_pending=bool(pending), can_handle=policy.can(principal, "card.handle"),
                            can_configure=policy.can(principal, "card.configure"), payments=payments,
                            payments_next=payments_next, payments_paged=bool(payments_cursor))


@router.get("/staff/card")
def staff_card(request: Request, session: DbSession, principal: Staff,
               q: Annotated[str, Query(max_length=18)] = "",
               pcursor: Annotated[str | None, Query(max_length=24)] = None) -> Response:
    return _staff_page(request, session, principal, q=q, payments_cursor=pcursor)


@router.post("/staff/card/apply")
def staff_apply(request: Request, session: DbSession, principal: Staff, id_number: Annotated[str, Form()] = "",
                bank_code: Annotated[str, Form()] = "") -> Response:
    def apply() -> object:
        person = registry.find_person(session, actor=principal, id_number=id_number.strip())
        return service.apply_for_card(session, actor=principal, person=person, bank_code=bank_code)

    card, errors = attempt(apply, field="bank_code", session=session)
    if card is not None:
        return RedirectResponse(f"/staff/card?q={id_number.strip()}&ok=applied", status_code=303)
    return _staff_page(request, session, principal, q=id_number, status_code=422, errors=errors,
                       values={"bank_code": bank_code})


@router.post("/staff/card/cards/{card_id}/{action}")
def staff_action(request: Request, card_id: str, action: str, session: DbSession, principal: Staff,
                 id_number: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = "") -> Response:
    card = service.get_card(session, actor=principal, public_id=card_id)

    def run() -> object:
        if action == "replace":
            return service.replace_card(session, actor=principal, card=card, reason=reason)
        if action not in {"issue", "activate", "report_loss", "release", "cancel"}:
            raise DomainError("renshe:card/unknown-action", "未知的办理事项", 404)
        return service.move(session, actor=principal, card=card, action=action, reason=reason)

    done, errors = attempt(run, field="reason", session=session)
    if done is not None:
        return RedirectResponse(f"/staff/card?q={id_number}&ok=done", status_code=303)
    return _staff_page(request, session, principal, q=id_number, status_code=422, errors=errors)


@router.get("/staff/card/batches")
def batches_page(request: Request, session: DbSession, principal: Staff, cursor: str | None = None) -> Response:
    rows, next_cursor = service.list_batches(session, actor=principal, cursor=cursor, limit=50)
    pending, _ = service.list_cards(session, actor=principal, status="applied", limit=200)
    return templates.render(request, "card_batches.html", page_title="制卡批次", errors=[],
                            batches=[service.batch_out(b) for b in reversed(rows)], next_cursor=next_cursor,
                            pending=len(pending), notice=_notice(request))


@router.post("/staff/card/batches")
def batches_create(request: Request, session: DbSession, principal: Staff,
                   maker: Annotated[str, Form()] = "") -> Response:
    batch, errors = attempt(lambda: service.create_batch(session, actor=principal, maker=maker), field="maker",
                            session=session)
    if batch is not None:
        return RedirectResponse(f"/staff/card/batches/{batch.public_id}?ok=batch", status_code=303)
    rows, next_cursor = service.list_batches(session, actor=principal, limit=50)
    return templates.render(request, "card_batches.html", status_code=422, page_title="制卡批次", errors=errors,
                            batches=[service.batch_out(b) for b in reversed(rows)], next_cursor=next_cursor,
                            pending=0, notice=None)


def _batch_page(request: Request, session: Session, principal: Principal, batch_id: str, *,
                status_code: int = 200, errors: list[FieldError] | None = None,
                values: dict[str, str] | None = None) -> Response:
    batch = service.get_batch(session, actor=principal, public_id=batch_id)
    cards = [service.card_out(session, c, actor=principal) for c in service.batch_cards(session, batch)]
    return templates.render(request, "card_batch.html", status_code=status_code, page_title="制卡批次详情",
                            batch=service.batch_out(batch), cards=cards, errors=errors or [], values=values or {},
                            notice=_notice(request))


@router.get("/staff/card/batches/{batch_id}")
def batch_page(request: Request, batch_id: str, session: DbSession, principal: Staff) -> Response:
    return _batch_page(request, session, principal, batch_id)


@router.post("/staff/card/batches/{batch_id}")
async def batch_produced(request: Request, batch_id: str, session: DbSession, principal: Staff) -> Response:
    form = await request.form()
    accounts = [(str(key)[len("account-"):], str(value).strip()) for key, value in form.items()
                if str(key).startswith("account-")]

    def produce() -> object:
        batch = service.get_batch(session, actor=principal, public_id=batch_id)
        return service.mark_batch_produced(session, actor=principal, batch=batch, accounts=accounts)

    from starlette.concurrency import run_in_threadpool

    done, errors = await run_in_threadpool(lambda: attempt(produce, field="cards", session=session))
    if done is not None:
        return RedirectResponse(f"/staff/card/batches/{batch_id}?ok=produced", status_code=303)
    # name the card a row error belongs to, by its position in the submitted form
    ids = [card_id for card_id, _ in accounts]
    for i, error in enumerate(errors):
        if error.field.startswith("cards[") and "]" in error.field:
            row = int(error.field[6:error.field.index("]")])
            errors[i] = FieldError(f"account-{ids[row]}", error.code, error.message)
    return await run_in_threadpool(lambda: _batch_page(request, session, principal, batch_id, status_code=422,
                                                       errors=errors, values=dict(accounts)))


@router.get("/staff/card/scenarios")
def scenarios_page(request: Request, session: DbSession, principal: Staff) -> Response:
    terminals = service.list_terminals(session, actor=principal) if policy.can(principal, "card.configure") else []
    return templates.render(request, "card_scenarios.html", page_title="用卡场景", errors=[],
                            scenarios=service.scenarios(session), notice=_notice(request),
                            can_configure=policy.can(principal, "card.scenario_set"),
                            terminals=[service.terminal_out(t) for t in terminals])


@router.post("/staff/card/scenarios/{code}")
def scenario_toggle(code: str, session: DbSession, principal: Staff,
                    enabled: Annotated[str, Form()] = "0") -> Response:
    service.set_scenario(session, actor=principal, code=code, enabled=enabled == "1")
    return RedirectResponse("/staff/card/scenarios?ok=scenario", status_code=303)


# ---------------------------------------------------------------- administrator: terminals and apps


def _division_choices(principal: Principal) -> list[tuple[str, str]]:
    """Current cities and counties within the administrator's jurisdiction, where a terminal may stand."""
    prefix = divisions.scope_prefix(principal.division_code)
    return [(d.code, divisions.full_name(d.code) or d.name) for d in divisions.all_divisions()
            if d.code.startswith(prefix) and d.current and d.level in {"city", "county"}
            and not divisions.is_placeholder(d)]


def _terminals_page(request: Request, session: Session, principal: Principal, *, status_code: int = 200,
                    errors: list[FieldError] | None = None, values: dict[str, str] | None = None,
                    created: schemas.TerminalCreated | None = None) -> Response:
    rows = service.list_terminals(session, actor=principal)
    last = service.last_scans(session, rows)
    terminals = [(service.terminal_out(t), last.get(t.id)) for t in rows]
    return templates.render(request, "card_terminals.html", status_code=status_code, page_title="受理终端",
                            terminals=terminals, scenarios=[s for s in service.scenarios(session) if s.enabled],
                            division_choices=_division_choices(principal), errors=errors or [],
                            values=values or {}, created=created, notice=_notice(request))


@router.get("/staff/card/terminals")
def terminals_page(request: Request, session: DbSession, principal: Staff) -> Response:
    return _terminals_page(request, session, principal)


@router.post("/staff/card/terminals")
def terminals_create(request: Request, session: DbSession, principal: Staff, name: Annotated[str, Form()] = "",
                     scenario: Annotated[str, Form()] = "", division_code: Annotated[str, Form()] = "") -> Response:
    policy.require(principal, "card.configure")
    values = {"name": name, "scenario": scenario, "division_code": division_code}
    errors: list[FieldError] = []
    if not 2 <= len(name.strip()) <= 100:
        errors.append(FieldError("name", "renshe:card/terminal-name", "请填写终端名称（2至100个字）"))
    if scenario not in {s.code for s in service.scenarios(session) if s.enabled}:
        errors.append(FieldError("scenario", "renshe:card/scenario", "请选择已开通的用卡场景"))
    if division_code not in dict(_division_choices(principal)):
        errors.append(FieldError("division_code", "renshe:card/terminal-division", "请选择本辖区内的市或区县"))
    if not errors:
        made, errors = attempt(lambda: service.register_terminal(session, actor=principal, data=schemas.TerminalIn(
            name=name.strip(), scenario=scenario, division_code=division_code)), field="name", session=session)
        if made is not None:
            terminal, secret = made
            created = schemas.TerminalCreated(**service.terminal_out(terminal).model_dump(), secret=secret)
            return _terminals_page(request, session, principal, created=created)
    return _terminals_page(request, session, principal, status_code=422, errors=errors, values=values)


@router.post("/staff/card/terminals/{terminal_id}/active")
def terminal_toggle(terminal_id: str, session: DbSession, principal: Staff,
                    active: Annotated[str, Form()] = "0") -> Response:
    on = active == "1"
    service.set_terminal_active(session, actor=principal, public_id=terminal_id, active=on)
    return RedirectResponse(f"/staff/card/terminals?ok={'terminal-on' if on else 'terminal-off'}", status_code=303)


def _apps_page(request: Request, session: Session, principal: Principal, *, status_code: int = 200,
               errors: list[FieldError] | None = None, values: dict[str, Any] | None = None,
               created: schemas.AppCreated | None = None) -> Response:
    apps = [service.app_out(a) for a in service.list_apps(session, actor=principal)]
    return templates.render(request, "card_apps.html", status_code=status_code, page_title="第三方应用",
                            apps=apps, kinds=service.APP_KINDS, scope_labels=service.APP_SCOPES,
                            errors=errors or [], values=values or {"scopes": []}, created=created)


@router.get("/staff/card/apps")
def apps_page(request: Request, session: DbSession, principal: Staff) -> Response:
    return _apps_page(request, session, principal)


@router.post("/staff/card/apps")
def apps_create(request: Request, session: DbSession, principal: Staff, name: Annotated[str, Form()] = "",
                kind: Annotated[str, Form()] = "", callback_url: Annotated[str, Form()] = "",
                scopes: Annotated[list[str] | None, Form()] = None) -> Response:
    policy.require(principal, "card.configure")
    chosen = list(scopes or [])
    values: dict[str, Any] = {"name": name, "kind": kind, "callback_url": callback_url, "scopes": chosen}
    errors: list[FieldError] = []
    if not 2 <= len(name.strip()) <= 100:
        errors.append(FieldError("name", "renshe:card/app-name", "请填写应用名称（2至100个字）"))
    if kind not in service.APP_KINDS:
        errors.append(FieldError("kind", "renshe:card/app-kind", "请选择应用类型"))
    if not chosen:
        errors.append(FieldError("scopes", "renshe:card/scope", "请至少勾选一项授权范围"))
    if not callback_url.strip() or len(callback_url.strip()) > 300:
        errors.append(FieldError("callback_url", "renshe:card/callback",
                                 "请填写回调地址（https 地址，不超过300个字符）"))
    if not errors:
        made, errors = attempt(lambda: service.register_app(session, actor=principal, data=schemas.AppIn(
            name=name.strip(), kind=kind, scopes=chosen, callback_url=callback_url.strip())), field="name",
            session=session)
        if made is not None:
            app, secret = made
            created = schemas.AppCreated(**service.app_out(app).model_dump(), secret=secret)
            return _apps_page(request, session, principal, created=created)
    return _apps_page(request, session, principal, status_code=422, errors=errors, values=values)
