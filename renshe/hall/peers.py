"""Node-to-node channel of 跨省通办: peer provinces, HMAC-signed requests, and the outbound queue.

Each peer node is a row (province, base URL, shared secret encrypted at rest). A request carries
`X-Renshe-Node` (the sender's province), `X-Renshe-Timestamp` (Unix seconds) and `X-Renshe-Signature`:
hex HMAC-SHA256 over `METHOD\\nPATH\\nTIMESTAMP\\nSHA256(body)` with the secret shared by the two nodes.
A request older or newer than five minutes is refused, and every receiver is idempotent (by the origin's
application id, and by the sequence number of a status), so a retried message has one effect.

What leaves for a peer is first written to `hall_peer_messages` in the writing transaction, then sent
after commit by `interprovince.relay` (a background thread started by the outbox event, or
`renshe hall peer-relay`), retried until the peer answers 2xx. This module depends only on the hall's
models, its policy and the kernel.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core import audit, crypto, events
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import FieldError, NotFound, Unauthorized, ValidationFailed
from renshe.core.settings import get_settings
from renshe.hall import policy
from renshe.hall.models import Application, InterprovinceLink, PeerMessage, PeerNode

NODE_HEADER = "X-Renshe-Node"
TIMESTAMP_HEADER = "X-Renshe-Timestamp"
SIGNATURE_HEADER = "X-Renshe-Signature"
MAX_SKEW_SECONDS = 300
SECRET_PURPOSE = "hall.peer-secret"  # noqa: S105 - an encryption purpose label, not a secret
BODY_PURPOSE = "hall.peer-message"
PATHS = {"application": "/api/v1/hall/interprovince/applications", "status": "/api/v1/hall/interprovince/status",
         "transfer": "/api/v1/pension-transfers/messages"}
QUEUED_TOPIC = "hall.peer_message_queued"


def signature(secret: bytes, method: str, path: str, timestamp: str, body: bytes) -> str:
    message = f"{method.upper()}\n{path}\n{timestamp}\n{hashlib.sha256(body).hexdigest()}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def add_peer(session: Session, *, actor: Principal, province_code: str, name: str, base_url: str,
             secret: str) -> PeerNode:
    """Add or update a peer node (administrators); the secret is stored encrypted."""
    policy.require(actor, "peer.manage", entity_type="hall_peer", entity_id=province_code)
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


def listing(session: Session, *, actor: Principal) -> list[PeerNode]:
    """The configured peer nodes, for staff (no secrets leave this module's callers)."""
    policy.require(actor, "peer.list")
    return peers(session)


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


def enqueue_message(session: Session, *, peer_province: str, kind: str, body: dict[str, Any]) -> PeerMessage:
    """Queue a message that belongs to no hall application (转移接续 steps) in the caller's transaction."""
    if kind not in PATHS:
        raise ValueError(f"unknown peer message kind {kind}")
    get_peer(session, peer_province)
    message = PeerMessage(peer_province=peer_province, kind=kind, link_id=None,
                          body_encrypted=crypto.cipher().encrypt(json.dumps(body, ensure_ascii=False),
                                                                 purpose=BODY_PURPOSE))
    session.add(message)
    session.flush()
    events.record_event(session, QUEUED_TOPIC, {"message": message.id, "peer": peer_province, "kind": kind})
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


def send(peer: PeerNode, kind: str, body: bytes) -> httpx.Response:
    """POST one message body to the peer, signed."""
    path = PATHS[kind]
    return httpx.post(peer.base_url + path, content=body, headers=signed_headers(peer, "POST", path, body),
                      timeout=15)


def pending_count(session: Session) -> int:
    return len(list(session.scalars(select(PeerMessage.id).where(PeerMessage.sent_at.is_(None)).limit(1000))))


def last_seen(value: datetime | None) -> str:
    return value.isoformat() if value else ""

