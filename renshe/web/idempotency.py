"""ASGI middleware applying `Idempotency-Key` to JSON POSTs under /api/ (see docs/api.md)."""

from __future__ import annotations

import hashlib
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from renshe.core import idempotency
from renshe.core.auth import read_token
from renshe.core.context import current
from renshe.core.errors import DomainError

MAX_KEY = 128


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        key = headers.get(b"idempotency-key", b"").decode("latin-1").strip()
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        if not key or "application/json" not in content_type:
            await self.app(scope, receive, send)
            return
        if len(key) > MAX_KEY or not key.isprintable():
            await _problem(send, 400, "renshe:idempotency/key", "Idempotency-Key 应为不超过128个可见字符")
            return
        auth = headers.get(b"authorization", b"").decode("latin-1")
        try:
            principal = read_token(auth[7:].strip()) if auth[:7].lower() == "bearer " else None
        except DomainError:
            principal = None
        who = f"{principal.kind}:{principal.subject}" if principal else "anonymous"

        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        claim = idempotency.claim(scope=who, key=key, method="POST", path=scope["path"],
                                  fingerprint=hashlib.sha256(body).hexdigest())
        if claim.refusal:
            await _problem(send, *claim.refusal)
            return
        if claim.replay is not None:
            record = claim.replay
            await send({"type": "http.response.start", "status": record.status or 200, "headers": [
                (b"content-type", (record.content_type or "application/json").encode()),
                (b"idempotent-replayed", b"true"),
                (b"x-request-id", current.get().request_id.encode())]})
            await send({"type": "http.response.body", "body": record.body or b""})
            return

        record_id = claim.record_id
        if record_id is None:
            raise RuntimeError("an idempotency claim is a refusal, a replay or a reservation")
        sent = False

        async def replay_body() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 500
        response_type: str | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, response_type
            if message["type"] == "http.response.start":
                status = message["status"]
                response_type = dict(message.get("headers", [])).get(b"content-type", b"").decode("latin-1") or None
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_body, capture)
        finally:
            idempotency.settle(record_id, status=status, content_type=response_type, body=b"".join(chunks))


async def _problem(send: Send, status: int, code: str, detail: str) -> None:
    payload = {"type": code, "title": "幂等键冲突" if status != 400 else "请求头有误", "status": status,
               "detail": detail, "instance": current.get().request_id}
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/problem+json"),
                            (b"x-request-id", current.get().request_id.encode())]})
    await send({"type": "http.response.body", "body": json.dumps(payload, ensure_ascii=False).encode()})
