"""JSON API of the card capability (`/api/v1/card/...`): cards and batches for staff, the citizen's
own card and e-SSC, the scan endpoint for terminals, scenarios, third-party apps, payments into the card."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from anyio import CapacityLimiter, to_thread
from fastapi import APIRouter, Header, Query, status
from pydantic import BaseModel
from starlette.responses import Response

from renshe.card import schemas, service
from renshe.core import db
from renshe.core.auth import Principal
from renshe.core.errors import NotFound
from renshe.core.http import CurrentPrincipal, DbSession, Limit, WriteSession, require_kind
from renshe.registry import service as registry

router = APIRouter(prefix="/api/v1/card", tags=["card 社会保障卡"])
Citizen = Annotated[Principal, require_kind("citizen")]
Staff = Annotated[Principal, require_kind("staff")]


# The scan is the hot path of the card. Its unit of work runs whole in one worker thread: the writer's
# turn, the checks and the commit, with no trip back to the event loop while the turn is held (each
# such trip costs the next writer the loop's latency under load). Only this many threads wait for the
# turn, so scans never fill the thread pool the other routes use; further scans wait on the limiter.
SCANNERS = CapacityLimiter(6)


def _scan_unit(*, key_id: str | None, secret: str | None, code: str) -> service.ScanOutcome:
    with db.unit_of_work() as session:
        return service.scan_at_terminal(session, key_id=key_id, secret=secret, code=code)


def _json(model: BaseModel, status_code: int = 200) -> Response:
    # Serialised in the route's thread: no second thread-pool hop holding the connection.
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json")


# ---------------------------------------------------------------- staff: cards and batches


@router.post("/applications", status_code=status.HTTP_201_CREATED, response_model=schemas.CardOut,
             summary="窗口申领社会保障卡 Apply for a card at the window")
def apply_at_window(data: schemas.CardApplicationIn, session: DbSession, principal: Staff) -> Response:
    person = registry.find_person(session, actor=principal, id_number=data.id_number)
    card = service.apply_for_card(session, actor=principal, person=person, bank_code=data.bank_code)
    out = service.card_out(session, card, actor=principal)
    return _json(out, 201)


@router.get("/cards", response_model=schemas.CardPage, summary="社保卡列表 Cards in jurisdiction")
def list_cards(session: DbSession, principal: Staff,
               status_filter: Annotated[str | None, Query(alias="status", description="卡状态")] = None,
               id_number: Annotated[str | None, Query(description="持卡人公民身份号码")] = None,
               limit: Limit = 20, cursor: str | None = None) -> Response:
    if id_number:
        person = registry.find_person(session, actor=principal, id_number=id_number)
        rows, next_cursor = service.cards_of(session, person), None
    else:
        rows, next_cursor = service.list_cards(session, actor=principal, status=status_filter, limit=limit,
                                               cursor=cursor)
    return _json(schemas.CardPage(items=[service.card_out(session, c, actor=principal) for c in rows],
                                  next_cursor=next_cursor))


@router.get("/cards/{card_id}", response_model=schemas.CardOut, summary="查看社保卡 Get one card")
def get_card(card_id: str, session: DbSession, principal: CurrentPrincipal,
             unmask: Annotated[bool, Query(description="显示完整卡号和银行卡号（需单独授权，记入审计）")] = False,
             ) -> Response:
    card = service.get_card(session, actor=principal, public_id=card_id)
    out = service.card_out(session, card, actor=principal, unmask=unmask)
    return _json(out)


@router.post("/cards/{card_id}/replace", status_code=status.HTTP_201_CREATED, response_model=schemas.CardOut,
             summary="补换社保卡 Replace a card: the old one is cancelled, a new one applied for")
def replace(card_id: str, data: schemas.ReplaceIn, session: DbSession, principal: CurrentPrincipal) -> Response:
    card = service.get_card(session, actor=principal, public_id=card_id)
    new = service.replace_card(session, actor=principal, card=card, reason=data.reason, bank_code=data.bank_code)
    out = service.card_out(session, new, actor=principal)
    return _json(out, 201)


ACTIONS = {"issue": "issue", "activate": "activate", "report-loss": "report_loss", "release": "release",
           "cancel": "cancel"}


@router.post("/cards/{card_id}/{action}", response_model=schemas.CardOut,
             summary="办理社保卡业务 Issue, activate, report loss, release, cancel",
             description="action: issue 发卡, activate 启用, report-loss 挂失, release 解挂, cancel 注销")
def card_action(card_id: str, action: str, session: DbSession, principal: CurrentPrincipal,
                data: schemas.ReasonIn | None = None) -> Response:
    if action not in ACTIONS:
        raise NotFound("该办理事项", code="renshe:card/unknown-action")
    card = service.get_card(session, actor=principal, public_id=card_id)
    card = service.move(session, actor=principal, card=card, action=ACTIONS[action],
                        reason=data.reason if data else "")
    out = service.card_out(session, card, actor=principal)
    return _json(out)


@router.post("/batches", status_code=status.HTTP_201_CREATED, response_model=schemas.BatchOut,
             summary="生成制卡批次 Send pending applications to a card maker")
def create_batch(data: schemas.BatchIn, session: DbSession, principal: Staff) -> Response:
    batch = service.create_batch(session, actor=principal, maker=data.maker, limit=data.limit)
    out = service.batch_out(batch)
    return _json(out, 201)


@router.get("/batches", response_model=schemas.BatchPage, summary="制卡批次 Production batches")
def list_batches(session: DbSession, principal: Staff, limit: Limit = 20, cursor: str | None = None) -> Response:
    rows, next_cursor = service.list_batches(session, actor=principal, limit=limit, cursor=cursor)
    return _json(schemas.BatchPage(items=[service.batch_out(b) for b in rows], next_cursor=next_cursor))


@router.get("/batches/{batch_id}", response_model=schemas.BatchDetail, summary="制卡批次详情 One batch")
def get_batch(batch_id: str, session: DbSession, principal: Staff) -> Response:
    batch = service.get_batch(session, actor=principal, public_id=batch_id)
    cards = [service.card_out(session, c, actor=principal) for c in service.batch_cards(session, batch)]
    return _json(schemas.BatchDetail(**service.batch_out(batch).model_dump(), cards=cards))


@router.post("/batches/{batch_id}/produced", response_model=schemas.BatchOut,
             summary="制卡完成（回盘） Record the maker's return: bank account of every card")
def batch_produced(batch_id: str, data: schemas.BatchProducedIn, session: DbSession, principal: Staff) -> Response:
    batch = service.get_batch(session, actor=principal, public_id=batch_id)
    service.mark_batch_produced(session, actor=principal, batch=batch,
                                accounts=[(c.card_id, c.bank_account) for c in data.cards])
    out = service.batch_out(batch)
    return _json(out)


# ---------------------------------------------------------------- the citizen's own card and e-SSC


@router.get("/me", response_model=schemas.CardOut, summary="我的社保卡 My card")
def my_card(session: DbSession, principal: Citizen) -> Response:
    card = service.my_card(session, actor=principal)
    if card is None:
        raise NotFound("您的社会保障卡，请先申领", code="renshe:card/no-card")
    return _json(service.card_out(session, card, actor=principal))


@router.post("/me/application", status_code=status.HTTP_201_CREATED, response_model=schemas.CardOut,
             summary="网上申领 Apply for my card online")
def apply_online(data: schemas.OnlineApplicationIn, session: DbSession, principal: Citizen) -> Response:
    person = service.citizen_person(session, principal)
    card = service.apply_for_card(session, actor=principal, person=person, bank_code=data.bank_code)
    out = service.card_out(session, card, actor=principal)
    return _json(out, 201)


@router.post("/me/report-loss", response_model=schemas.CardOut, summary="网上挂失 Report my card lost")
def report_loss(session: DbSession, principal: Citizen) -> Response:
    card = service.my_card(session, actor=principal)
    if card is None:
        raise NotFound("您的社会保障卡", code="renshe:card/no-card")
    service.move(session, actor=principal, card=card, action="report_loss")
    out = service.card_out(session, card, actor=principal)
    return _json(out)


@router.post("/me/essc", status_code=status.HTTP_201_CREATED, response_model=schemas.EsscOut,
             summary="签发电子社保卡 Sign my electronic SSC")
def issue_essc(session: DbSession, principal: Citizen) -> Response:
    essc = service.issue_essc(session, actor=principal)
    card = service.my_card(session, actor=principal)
    assert card is not None  # noqa: S101 - issue_essc just checked it
    out = service.essc_out(essc, card)
    return _json(out, 201)


@router.get("/me/essc/code", response_model=schemas.CodeOut,
            summary="电子社保卡二维码 A fresh signed QR code (valid once, for a short time)")
def essc_code(session: WriteSession, principal: Citizen) -> Response:
    issued = service.issue_code(session, actor=principal)  # the first code creates the signing key
    out = schemas.CodeOut(code=issued.code, svg_data_uri=service.qr_svg_data_uri(issued.code),
                          issued_at=issued.issued_at, expires_at=issued.expires_at,
                          valid_seconds=service.code_seconds())
    response = _json(out)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/me/scans", response_model=list[schemas.ScanHistoryItem], summary="用码记录 Where my e-SSC was scanned")
def my_scans(session: DbSession, principal: Citizen, limit: Limit = 50) -> list[schemas.ScanHistoryItem]:
    return service.scan_history(session, actor=principal, limit=limit)


@router.get("/me/payments", response_model=schemas.PaymentPage, summary="待遇进卡记录 Benefits paid into my card")
def my_payments(session: DbSession, principal: Citizen, limit: Limit = 50, cursor: str | None = None) -> Response:
    person = service.citizen_person(session, principal)
    rows, next_cursor = service.payments_of(session, person=person, limit=limit, cursor=cursor)
    return _json(schemas.PaymentPage(items=[service.payment_out(p) for p in rows], next_cursor=next_cursor))


# ---------------------------------------------------------------- terminals: the scan


@router.post("/scan", response_model=schemas.ScanOut,
             summary="扫码核验 A terminal checks a scanned e-SSC code",
             description="Headers X-Terminal-Key and X-Terminal-Secret identify the terminal. A refused code "
                         "answers problem+json: renshe:card/code-expired, code-replayed, code-forged, card-lost, "
                         "card-cancelled, card-inactive. Every scan is logged.")
async def scan(data: schemas.ScanIn,
               x_terminal_key: Annotated[str | None, Header()] = None,
               x_terminal_secret: Annotated[str | None, Header()] = None) -> Response:
    outcome = await to_thread.run_sync(
        partial(_scan_unit, key_id=x_terminal_key, secret=x_terminal_secret, code=data.code), limiter=SCANNERS)
    if outcome.error is not None:
        raise outcome.error  # the scan log was committed with the unit of work, refused or not
    assert outcome.answer is not None  # noqa: S101 - an accepted scan always has its answer
    return _json(outcome.answer)


@router.get("/keys", response_model=schemas.KeySet,
            summary="平台验签公钥 Ed25519 public keys (JWK) for codes and sign-in results")
def keys(session: WriteSession) -> Response:
    out = service.public_keys(session)
    return _json(out)


# ---------------------------------------------------------------- scenarios, terminals and apps (admin)


@router.get("/scenarios", response_model=list[schemas.ScenarioOut], summary="用卡场景 Use scenarios")
def list_scenarios(session: DbSession, _principal: CurrentPrincipal) -> list[schemas.ScenarioOut]:
    return service.scenarios(session)


@router.put("/scenarios/{code}", response_model=schemas.ScenarioOut, summary="开通或关闭场景 Enable or disable")
def toggle_scenario(code: str, data: schemas.ScenarioToggleIn, session: DbSession,
                    principal: Staff) -> schemas.ScenarioOut:
    return service.set_scenario(session, actor=principal, code=code, enabled=data.enabled)


@router.post("/terminals", status_code=status.HTTP_201_CREATED, response_model=schemas.TerminalCreated,
             summary="登记受理终端 Register a scan terminal (secret shown once)")
def add_terminal(data: schemas.TerminalIn, session: DbSession, principal: Staff) -> schemas.TerminalCreated:
    terminal, secret = service.register_terminal(session, actor=principal, data=data)
    return schemas.TerminalCreated(**service.terminal_out(terminal).model_dump(), secret=secret)


@router.get("/terminals", response_model=list[schemas.TerminalOut], summary="受理终端 Terminals")
def terminals(session: DbSession, principal: Staff) -> list[schemas.TerminalOut]:
    return [service.terminal_out(t) for t in service.list_terminals(session, actor=principal)]


@router.post("/terminals/{terminal_id}/{action}", response_model=schemas.TerminalOut,
             summary="停用或启用受理终端 Disable or enable a terminal (action: disable, enable)")
def terminal_active(terminal_id: str, action: str, session: DbSession, principal: Staff) -> schemas.TerminalOut:
    if action not in {"disable", "enable"}:
        raise NotFound("该操作", code="renshe:card/unknown-action")
    terminal = service.set_terminal_active(session, actor=principal, public_id=terminal_id, active=action == "enable")
    return service.terminal_out(terminal)


@router.post("/apps", status_code=status.HTTP_201_CREATED, response_model=schemas.AppCreated,
             summary="登记第三方应用 Register a bank or city app (secret shown once)")
def add_app(data: schemas.AppIn, session: DbSession, principal: Staff) -> schemas.AppCreated:
    app, secret = service.register_app(session, actor=principal, data=data)
    return schemas.AppCreated(**service.app_out(app).model_dump(), secret=secret)


@router.get("/apps", response_model=list[schemas.AppOut], summary="第三方应用 Apps")
def apps(session: DbSession, principal: Staff) -> list[schemas.AppOut]:
    return [service.app_out(a) for a in service.list_apps(session, actor=principal)]


@router.post("/sign-in-requests", status_code=status.HTTP_201_CREATED, response_model=schemas.SignInRequestOut,
             summary="发起电子社保卡登录 An app starts an e-SSC sign-in",
             description="Headers X-App-Id and X-App-Secret. Send the person to `confirm_url`; after they "
                         "confirm, fetch this request again: `result` is an EdDSA JWS to verify with /keys.")
def start_sign_in(data: schemas.SignInRequestIn, session: DbSession,
                  x_app_id: Annotated[str | None, Header()] = None,
                  x_app_secret: Annotated[str | None, Header()] = None) -> schemas.SignInRequestOut:
    app = service.authenticate_app(session, app_id=x_app_id, secret=x_app_secret)
    request = service.start_sign_in(session, app=app, scopes=data.scopes, state=data.state)
    return service.sign_in_out(request)


@router.get("/sign-in-requests/{request_id}", response_model=schemas.SignInRequestOut,
            summary="查询登录结果 An app fetches the signed sign-in result")
def get_sign_in(request_id: str, session: DbSession, x_app_id: Annotated[str | None, Header()] = None,
                x_app_secret: Annotated[str | None, Header()] = None) -> schemas.SignInRequestOut:
    app = service.authenticate_app(session, app_id=x_app_id, secret=x_app_secret)
    return service.sign_in_out(service.app_sign_in_request(session, app=app, request_id=request_id))


# ---------------------------------------------------------------- payments into the card (待遇进卡)


@router.post("/payments", status_code=status.HTTP_201_CREATED, response_model=schemas.PaymentOut,
             summary="待遇进卡 Credit a benefit to a person's card account (idempotent by reference)")
def post_payment(data: schemas.PaymentIn, session: DbSession, principal: Staff) -> Response:
    person = registry.find_person(session, actor=principal, id_number=data.id_number)
    payment, created = service.credit_benefit(
        session, actor=principal, person=person, programme=data.programme, amount_fen=data.amount_fen,
        period=data.period, reference=data.reference, description=data.description)
    out = service.payment_out(payment)
    return _json(out, 201 if created else 200)


@router.get("/payments", response_model=schemas.PaymentPage, summary="待遇进卡记录 Payments of one person")
def list_payments(session: DbSession, principal: Staff,
                  id_number: Annotated[str, Query(description="公民身份号码")],
                  limit: Limit = 50, cursor: str | None = None) -> Response:
    person = registry.find_person(session, actor=principal, id_number=id_number)
    rows, next_cursor = service.payments_of(session, person=person, limit=limit, cursor=cursor)
    return _json(schemas.PaymentPage(items=[service.payment_out(p) for p in rows], next_cursor=next_cursor))
