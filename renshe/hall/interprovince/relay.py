"""Delivery of the queued peer messages of 跨省通办 (`peers.enqueue`) after commit: a background thread
started by the outbox event `hall.peer_message_queued`, or `renshe hall peer-relay`.

Each round reads what is pending in one unit of work, calls the peers with no database lock held (a peer
may call back at once), then records each answer in a unit of work of its own."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core import crypto, db, events
from renshe.core.db import utcnow
from renshe.core.models import OutboxEvent
from renshe.core.settings import get_settings
from renshe.hall import peers
from renshe.hall.interprovince import service as interprovince
from renshe.hall.models import PeerMessage

log = structlog.get_logger("renshe.hall.relay")
_delivery_lock = threading.Lock()


def deliver_pending(limit: int = 100) -> int:
    """Send queued messages in order, one peer request each; returns how many the peers acknowledged.

    No database lock is held while a peer is called (the peer may call back at once)."""
    sent = 0
    with _delivery_lock:
        with db.unit_of_work(write=False) as session:
            pending = [(m.id, m.kind, m.peer_province, m.body_encrypted) for m in session.scalars(
                select(PeerMessage).where(PeerMessage.sent_at.is_(None)).order_by(PeerMessage.id).limit(limit))]
            nodes = {p.province_code: p for p in peers.peers(session)}
            session.expunge_all()
        for message_id, kind, province, sealed in pending:
            error: str | None = None
            answer: dict[str, Any] | None = None
            peer = nodes.get(province)
            if peer is None:
                error = "peer not configured"
            else:
                body = crypto.cipher().decrypt(sealed, purpose=peers.BODY_PURPOSE).encode()
                try:
                    response = peers.send(peer, kind, body)
                    if response.is_success:
                        answer = response.json()
                    else:
                        error = f"{response.status_code} {response.text[:500]}"
                except (httpx.HTTPError, ValueError) as exc:
                    error = repr(exc)[:500]
            with db.unit_of_work() as session:
                message = session.get(PeerMessage, message_id)
                if message is None:
                    continue
                message.attempts += 1
                if error is None:
                    message.sent_at = utcnow()
                    message.last_error = None
                    if kind == "application" and answer is not None and message.link_id is not None:
                        interprovince.forwarded_answer(session, link_id=message.link_id, answer=answer)
                    sent += 1
                else:
                    message.last_error = error
                    log.warning("peer delivery failed", message=message_id, peer=province, error=error)
            if error is not None:
                break  # keep the order: later messages wait for the next round
    return sent


def _deliver_in_background(_session: Session, _event: OutboxEvent) -> None:
    if get_settings().hall_peer_delivery != "thread":
        return  # `manual`: tests and operators call deliver_pending / `renshe hall peer-relay` themselves
    threading.Thread(target=_safe_deliver, name="hall-peer-delivery", daemon=True).start()


def _safe_deliver() -> None:
    try:
        deliver_pending()
    except Exception:  # a background sender must not die silently
        log.exception("peer delivery crashed")


events.subscribe(peers.QUEUED_TOPIC, _deliver_in_background)
