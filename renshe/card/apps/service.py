"""Rules of third-party apps (banks, city apps) and e-SSC sign-in: the app starts a request, the
citizen confirms on their e-SSC page, the platform signs the result (an EdDSA JWS) with the card key."""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.card import common, policy, rules, schemas
from renshe.card.essc import keys
from renshe.card.essc import service as essc_service
from renshe.card.lifecycle import service as lifecycle
from renshe.card.models import Card, ElectronicCard, SignInRequest, ThirdPartyApp
from renshe.core import audit, crypto
from renshe.core.auth import Principal
from renshe.core.errors import FieldError, NotFound, Unauthorized, ValidationFailed
from renshe.core.events import record_event
from renshe.core.settings import get_settings
from renshe.registry import service as registry


def _check_callback(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost"}:
        return None
    return "回调地址须为 https 地址"


def register_app(session: Session, *, actor: Principal, data: schemas.AppIn) -> tuple[ThirdPartyApp, str]:
    """Register a bank or city app with its scopes and callback URL; the secret is returned once."""
    policy.require(actor, "card.configure")
    errors: list[FieldError] = []
    if data.kind not in common.APP_KINDS:
        errors.append(FieldError("kind", "renshe:card/app-kind", "应用类型应为 bank、city 或 other"))
    unknown = [s for s in data.scopes if s not in common.APP_SCOPES]
    if unknown or not data.scopes:
        errors.append(FieldError("scopes", "renshe:card/scope", f"未知的授权范围：{', '.join(unknown) or '（空）'}"))
    problem = _check_callback(data.callback_url)
    if problem:
        errors.append(FieldError("callback_url", "renshe:card/callback", problem))
    if errors:
        raise ValidationFailed(errors)
    secret = secrets.token_urlsafe(32)
    app = ThirdPartyApp(app_id=f"a{secrets.token_hex(10)}", secret_hash=common.secret_hash(secret, common.APP_PURPOSE),
                        name=data.name.strip(), kind=data.kind, scopes=list(dict.fromkeys(data.scopes)),
                        callback_url=data.callback_url, created_by=actor.subject)
    session.add(app)
    session.flush()
    audit.record(session, actor=actor, action="card.app_add", entity_type="card_app", entity_id=app.app_id,
                 after={"name": app.name, "kind": app.kind, "scopes": app.scopes, "callback_url": app.callback_url})
    return app, secret


def app_out(app: ThirdPartyApp) -> schemas.AppOut:
    return schemas.AppOut(app_id=app.app_id, name=app.name, kind=app.kind, scopes=app.scopes,
                          callback_url=app.callback_url, active=app.active, created_at=app.created_at)


def list_apps(session: Session, *, actor: Principal) -> list[ThirdPartyApp]:
    policy.require(actor, "card.configure")
    return list(session.scalars(select(ThirdPartyApp).order_by(ThirdPartyApp.id)))


def authenticate_app(session: Session, *, app_id: str | None, secret: str | None) -> ThirdPartyApp:
    app = session.scalar(select(ThirdPartyApp).where(ThirdPartyApp.app_id == app_id)) if app_id else None
    if (app is None or not app.active or not secret
            or not hmac.compare_digest(app.secret_hash, common.secret_hash(secret, common.APP_PURPOSE))):
        error = Unauthorized("应用身份无效", code="renshe:card/app-auth")
        who = (app_id or "-")[:40]
        error.audit = {"actor": Principal(kind="app", subject=who, display_name=""), "action": "card.sign_in",
                       "entity_type": "card_app", "entity_id": who}
        raise error
    return app


def start_sign_in(session: Session, *, app: ThirdPartyApp, scopes: list[str], state: str) -> SignInRequest:
    """An app asks to sign someone in with the e-SSC; the person confirms on their e-SSC page."""
    extra = [s for s in scopes if s not in app.scopes]
    if extra or not scopes:
        raise ValidationFailed([FieldError("scopes", "renshe:card/scope",
                                           f"超出应用登记的授权范围：{', '.join(extra) or '（空）'}")])
    request = SignInRequest(app_id=app.id, scopes=list(dict.fromkeys(scopes)), state=state, status="pending",
                            created_at=common.clock(),
                            expires_at=common.clock() + timedelta(minutes=common.SIGN_IN_MINUTES))
    session.add(request)
    session.flush()
    return request


def sign_in_out(request: SignInRequest) -> schemas.SignInRequestOut:
    return schemas.SignInRequestOut(request_id=request.public_id, status=request.status, scopes=request.scopes,
                                    confirm_url=f"/citizen/card/sign-in/{request.public_id}",
                                    expires_at=request.expires_at, result=request.result_token)


def app_sign_in_request(session: Session, *, app: ThirdPartyApp, request_id: str) -> SignInRequest:
    request = session.scalar(select(SignInRequest).where(SignInRequest.public_id == request_id,
                                                         SignInRequest.app_id == app.id))
    if request is None:
        raise NotFound("该登录请求", code="renshe:card/sign-in-not-found")
    return request


def pending_sign_in(session: Session, *, actor: Principal, request_id: str) -> tuple[SignInRequest, ThirdPartyApp]:
    lifecycle.citizen_person(session, actor)
    request = session.scalar(select(SignInRequest).where(SignInRequest.public_id == request_id))
    if request is None:
        raise NotFound("该登录请求", code="renshe:card/sign-in-not-found")
    app = session.get(ThirdPartyApp, request.app_id)
    if app is None:
        raise NotFound("该应用")
    return request, app


def decide_sign_in(
    session: Session, *, actor: Principal, request_id: str, approve: bool, now: datetime | None = None,
) -> SignInRequest:
    """The citizen confirms (or declines) an app's sign-in; a confirmation yields the signed result."""
    request, app = pending_sign_in(session, actor=actor, request_id=request_id)
    at = common.now_or(now)
    if request.status != "pending":
        raise common.card_error("sign-in-decided", "该登录请求已处理")
    if at >= request.expires_at:
        raise common.card_error("sign-in-expired", "该登录请求已过期，请回到应用重新发起", status=410, title="已过期")
    person = lifecycle.citizen_person(session, actor)
    request.decided_at = at
    request.person_id = person.id
    if not approve:
        request.status = "declined"
    else:
        essc, card = essc_service.my_essc(session, actor=actor)
        if card.status != "active":
            raise common.card_error("card-lost" if card.status == "lost" else "card-inactive",
                                    "社会保障卡不在正常状态，不能用电子社保卡登录")
        request.status = "confirmed"
        request.result_token = _sign_result(session, app=app, request=request, person=person, card=card,
                                            essc=essc, at=at)
    session.flush()
    audit.record(session, actor=actor, action=f"card.sign_in_{request.status}", entity_type="card_app",
                 entity_id=app.app_id, after={"request": request.public_id, "scopes": request.scopes})
    record_event(session, f"card.sign_in_{request.status}", {
        "request": request.public_id, "app": app.app_id, "callback_url": app.callback_url})
    return request


def pairwise_subject(app: ThirdPartyApp, person: registry.Person) -> str:
    """A stable per-app subject: apps cannot correlate users with each other or learn the ID number."""
    return crypto.cipher().blind_index(f"{app.app_id}:{person.public_id}", purpose=common.PAIRWISE_PURPOSE).hex()


def _sign_result(
    session: Session, *, app: ThirdPartyApp, request: SignInRequest, person: registry.Person, card: Card,
    essc: ElectronicCard, at: datetime,
) -> str:
    key = keys.signing_key(session)
    payload: dict[str, object] = {
        "iss": f"renshe:{get_settings().province_code}", "aud": app.app_id, "sub": pairwise_subject(app, person),
        "request_id": request.public_id, "state": request.state, "scope": request.scopes,
        "iat": int(at.timestamp()), "exp": int(at.timestamp()) + common.SIGN_IN_MINUTES * 60,
    }
    if "identity" in request.scopes:
        payload["holder"] = {"name": crypto.mask_name(person.name), "id_number": person.id_number_masked}
    if "name" in request.scopes:
        payload["name"] = person.name
    if "card_status" in request.scopes:
        payload["card_status"] = card.status
        payload["essc_status"] = essc.status
    signing_input = rules.jws_signing_input({"alg": "EdDSA", "kid": str(key.kid), "typ": "JWT"}, payload)
    return f"{signing_input.decode()}.{rules.b64url(key.private.sign(signing_input))}"
