"""Node-to-node channel of 跨省通办: peer provinces, HMAC-signed requests, and the outbound queue.

Each peer node is a row (province, base URL, shared secret encrypted at rest). A request carries
`X-Renshe-Node` (the sender's province), `X-Renshe-Timestamp` (Unix seconds) and `X-Renshe-Signature`:
hex HMAC-SHA256 over `METHOD\\nPATH\\nTIMESTAMP\\nSHA256(body)` with the secret shared by the two nodes.
A request older or newer than five minutes is refused, and every receiver is idempotent (by the origin's
application id, and by the sequence number of a status), so a retried message has one effect.

What leaves for a peer is first written to `hall_peer_messages` in the writing transaction, then sent
after commit (a background thread started by the outbox event, or `renshe hall peer-relay`), retried
until the peer answers 2xx. This module depends only on the hall's models and the kernel.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import datetime
from typing import Any

import httpx
import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core import audit, crypto, db, events
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import FieldError, Forbidden, NotFound, Unauthorized, ValidationFailed
from renshe.core.models import OutboxEvent
from renshe.core.settings import get_settings
from renshe.hall.models import Application, InterprovinceLink, PeerMessage, PeerNode
from renshe.hall.settings import hall_settings

NODE_HEADER = "X-Renshe-Node"
TIMESTAMP_HEADER = "X-Renshe-Timestamp"
SIGNATURE_HEADER = "X-Renshe-Signature"
MAX_SKEW_SECONDS = 300
SECRET_PURPOSE = "hall.peer-secret"  # noqa: S105 - an encryption purpose label, not a secret
BODY_PURPOSE = "hall.peer-message"
PATHS = {"application": "/api/v1/hall/interprovince/applications", "status": "/api/v1/hall/interprovince/status"}
QUEUED_TOPIC = "hall.peer_message_queued"
log = structlog.get_logger("renshe.hall.peers")
_delivery_lock = threading.Lock()


def signature(secret: bytes, method: str, path: str, timestamp: str, body: bytes) -> str:
    message = f"{method.upper()}\n{path}\n{timestamp}\n{hashlib.sha256(body).hexdigest()}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def add_peer(session: Session, *, actor: Principal, province_code: str, name: str, base_url: str,
             secret: str) -> PeerNode:
    """Add or update a peer node (administrators); the secret is stored encrypted."""
    if actor.kind != "system" and "admin" not in actor.roles:
        raise Forbidden("只有管理员可以配置跨省通办节点", code="renshe:hall/peer-admin")
    errors = []
    if len(province_code) != 6 or not province_code.isdigit() or not province_code.endswith("0000"):
        errors.append(FieldError("province_code", "renshe:hall/peer-province", "省级区划代码应为6位数字，以0000结尾"))
    elif province_code == get_settings().province_code:
        errors.append(FieldError("province_code", "renshe:hall/peer-self", "不能把本省配置为对端节点"))
    if not base_url.startswith(("http://", "https://")):
        errors.append(FieldError("base_url", "renshe:hall/peer-url", "节点地址应以 http:// 或 https:// 开头"))
    if len(secret) < 16:
        errors.append(FieldError("secret", "renshe:hall/peer-secret", "共享密钥至少16个字符"))
    if errors:
        raise ValidationFailed(errors)
    peer = session.scalar(select(PeerNode).where(PeerNode.province_code == province_code))
    sealed = crypto.cipher().encrypt(secret, purpose=SECRET_PURPOSE)
    if peer is None:
        peer = PeerNode(province_code=province_code, name=name, base_url=base_url.rstrip("/"),
                        secret_encrypted=sealed, active=True)
        session.add(peer)
    else:
        peer.name, peer.base_url, peer.secret_encrypted, peer.active = name, base_url.rstrip("/"), sealed, True
    session.flush()
    audit.record(session, actor=actor, action="hall.peer_configure", entity_type="hall_peer",
                 entity_id=province_code, after={"name": name, "base_url": peer.base_url})
    return peer


def peers(session: Session) -> list[PeerNode]:
    return list(session.scalars(select(PeerNode).where(PeerNode.active.is_(True)).order_by(PeerNode.province_code)))


def get_peer(session: Session, province_code: str) -> PeerNode:
    peer = session.scalar(select(PeerNode).where(PeerNode.province_code == province_code,
                                                 PeerNode.active.is_(True)))
    if peer is None:
        raise NotFound("该省的跨省通办节点", code="renshe:hall/peer-not-found")
    return peer


def _secret(peer: PeerNode) -> bytes:
    return crypto.cipher().decrypt(peer.secret_encrypted, purpose=SECRET_PURPOSE).encode()


def verify(session: Session, *, node: str | None, timestamp: str | None, sig: str | None, method: str,
           path: str, body: bytes) -> PeerNode:
    """The peer that signed this request, or 401."""
    if not node or not timestamp or not sig:
        raise Unauthorized("缺少节点签名", code="renshe:hall/peer-unsigned")
    peer = session.scalar(select(PeerNode).where(PeerNode.province_code == node, PeerNode.active.is_(True)))
    if peer is None:
        raise Unauthorized("未配置的跨省通办节点", code="renshe:hall/peer-unknown")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_SKEW_SECONDS:
        raise Unauthorized("请求时间戳超出允许范围", code="renshe:hall/peer-stale")
    expected = signature(_secret(peer), method, path, timestamp, body)
    if not hmac.compare_digest(expected, sig):
        raise Unauthorized("节点签名无效", code="renshe:hall/peer-signature")
    return peer


def signed_headers(peer: PeerNode, method: str, path: str, body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {NODE_HEADER: get_settings().province_code, TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(_secret(peer), method, path, timestamp, body),
            "Content-Type": "application/json"}


# ---------------------------------------------------------------- outbound queue


def enqueue(session: Session, link: InterprovinceLink, kind: str, body: dict[str, Any]) -> PeerMessage:
    """Queue a message for the peer in the caller's transaction; it is sent after commit."""
    message = PeerMessage(peer_province=link.peer_province, kind=kind, link_id=link.id,
                          body_encrypted=crypto.cipher().encrypt(json.dumps(body, ensure_ascii=False),
                                                                 purpose=BODY_PURPOSE))
    session.add(message)
    session.flush()
    events.record_event(session, QUEUED_TOPIC, {"message": message.id, "peer": link.peer_province, "kind": kind})
    return message


def enqueue_status(session: Session, application: Application, *, seq: int, label: str) -> PeerMessage | None:
    """A received application changed state: report it to the origin province."""
    link = session.scalar(select(InterprovinceLink).where(InterprovinceLink.application_id == application.id))
    if link is None or link.role != "received":
        return None
    return enqueue(session, link, "status", {
        "origin_id": link.origin_ref, "remote_id": application.public_id, "remote_number": application.number,
        "seq": seq, "state": application.state, "state_label": label, "decision": application.decision,
        "reason": application.decision_reason, "supplement": application.supplement_request,
        "at": utcnow().isoformat()})


def _send(peer: PeerNode, kind: str, body: bytes) -> httpx.Response:
    path = PATHS[kind]
    return httpx.post(peer.base_url + path, content=body, headers=signed_headers(peer, "POST", path, body),
                      timeout=15)


def deliver_pending(limit: int = 100) -> int:
    """Send queued messages in order, one peer request each; returns how many the peers acknowledged.

    No database lock is held while a peer is called (the peer may call back at once)."""
    from renshe.hall import interprovince  # applies the answer to a forwarded application

    sent = 0
    with _delivery_lock:
        with db.open_session() as session:
            pending = [(m.id, m.kind, m.peer_province, m.body_encrypted) for m in session.scalars(
                select(PeerMessage).where(PeerMessage.sent_at.is_(None)).order_by(PeerMessage.id).limit(limit))]
            nodes = {p.province_code: p for p in peers(session)}
            session.expunge_all()
            session.rollback()
        for message_id, kind, province, sealed in pending:
            error: str | None = None
            answer: dict[str, Any] | None = None
            peer = nodes.get(province)
            if peer is None:
                error = "peer not configured"
            else:
                body = crypto.cipher().decrypt(sealed, purpose=BODY_PURPOSE).encode()
                try:
                    response = _send(peer, kind, body)
                    if response.is_success:
                        answer = response.json()
                    else:
                        error = f"{response.status_code} {response.text[:500]}"
                except (httpx.HTTPError, ValueError) as exc:
                    error = repr(exc)[:500]
            with db.open_session(write=True) as session:
                message = session.get(PeerMessage, message_id)
                if message is None:
                    session.rollback()
                    continue
                message.attempts += 1
                if error is None:
                    message.sent_at = utcnow()
                    message.last_error = None
                    if kind == "application" and answer is not None:
                        interprovince.forwarded_answer(session, link_id=message.link_id, answer=answer)
                    sent += 1
                else:
                    message.last_error = error
                    log.warning("peer delivery failed", message=message_id, peer=province, error=error)
                session.commit()
            if error is not None:
                break  # keep the order: later messages wait for the next round
    return sent


def _deliver_in_background(_session: Session, _event: OutboxEvent) -> None:
    if hall_settings().peer_delivery != "thread":
        return  # `manual`: tests and operators call deliver_pending / `renshe hall peer-relay` themselves
    threading.Thread(target=_safe_deliver, name="hall-peer-delivery", daemon=True).start()


def _safe_deliver() -> None:
    try:
        deliver_pending()
    except Exception:  # a background sender must not die silently
        log.exception("peer delivery crashed")


def pending_count(session: Session) -> int:
    return len(list(session.scalars(select(PeerMessage.id).where(PeerMessage.sent_at.is_(None)).limit(1000))))


def last_seen(value: datetime | None) -> str:
    return value.isoformat() if value else ""


events.subscribe(QUEUED_TOPIC, _deliver_in_background)
