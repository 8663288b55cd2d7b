"""Identity verification (`POST /share/v1/verify/identity`) as a plain ASGI endpoint.

Mounted ahead of every router (`route()`), inside renshe's middleware (request id, metrics, logs,
idempotency) and error handlers, it does what the FastAPI route in `api.py` declares, without the
framework's dependency solving and thread-pool hops that profiles showed to be most of a call's cost:
the same token check, the same consumer limits and grant (cached, `gateway`), the ID number parsed and
blind-indexed once, one indexed Core read, the call queued for the call-log writer. Errors are raised to
the same handlers (problem+json, audited denials) after the call is logged, as on every gateway route.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from renshe.core import staff
from renshe.core.auth import Principal, read_token
from renshe.core.db import utcnow
from renshe.core.errors import DomainError, Unauthorized
from renshe.core.http import optional_principal
from renshe.sharing import gateway, recorder, schemas

IDENTITY_PATH = "/share/v1/verify/identity"
RESOURCE = "identity-verification"
_BODIES = {result: json.dumps({"result": result}).encode() for result in ("match", "mismatch", "not_found")}


class TokenCache:
    """Consumer tokens already checked, with their expiry: the signature and claims are read once per
    token, not once per call. Bounded; staff and citizen tokens are not kept (their principal is
    reloaded from the database by the kernel)."""

    LIMIT = 10_000

    def __init__(self) -> None:
        self._tokens: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def principal(self, token: str) -> Principal | None:
        entry = self._tokens.get(token)
        if entry is None:
            return None
        if entry[0] < time.time():
            with self._lock:
                self._tokens.pop(token, None)
            return None
        return entry[1]

    def keep(self, token: str, principal: Principal) -> None:
        body = token.split(".", 1)[0]
        expires = float(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["exp"])
        with self._lock:
            if len(self._tokens) >= self.LIMIT:
                self._tokens.clear()
            self._tokens[token] = (expires, principal)

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


tokens = TokenCache()


def _bearer(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"authorization":
            text = value.decode("latin-1")
            return text[7:].strip() if text[:7].lower() == "bearer " else ""
    return ""


async def _principal(scope: Scope, receive: Receive) -> Principal:
    token = _bearer(scope)
    state = scope.setdefault("state", {})
    if token:
        known = tokens.principal(token)
        if known is not None:
            await _alive(known)
            state["principal"] = known
            return known
        principal = read_token(token)
        if principal.kind == "consumer":
            await _alive(principal)
            tokens.keep(token, principal)
            state["principal"] = principal
            return principal
    found = await optional_principal(Request(scope, receive))  # cookies, staff, citizens: the kernel's way
    if found is None:
        raise Unauthorized()
    return found


async def _alive(principal: Principal) -> None:
    """A revoked token is refused: its session's state is cached per process for SESSION_TTL (5 s), so a
    call costs a dictionary look-up, and one indexed read every 5 s per token (in the thread pool)."""
    sid = principal.session_id
    if sid is not None and not staff.session_cached_alive(sid):
        await run_in_threadpool(staff.require_session, sid)


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionAbortedError("the client went away")
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def serve_identity(request: Request, principal: Principal, query: schemas.IdentityQuery) -> Response:
    """Authorise, answer and log one identity verification (the call is logged however it ends)."""
    body = await answer_identity(principal, query, int(request.headers.get("content-length") or 0))
    return Response(body, media_type="application/json")


async def answer_identity(principal: Principal, query: schemas.IdentityQuery, size: int) -> bytes:
    """The answer's JSON body; raises the call's domain error after logging it."""
    started = utcnow()
    subject = gateway.subject_of(query.id_number)
    admitted = False
    purpose = "-"
    try:
        state = await gateway.admit_async(principal)
        admitted = True
        purpose = gateway.grant_for(state, principal, RESOURCE).purpose
        result = await gateway.identity_result_async(subject=subject, name=query.name)
    except DomainError as exc:
        await recorder.record_async(_row(principal, purpose, subject, exc.code, exc.status, started, size, 0),
                                    admitted=admitted)
        raise
    body = _BODIES[result]
    await recorder.record_async(_row(principal, purpose, subject, result, 200, started, size, len(body)),
                                admitted=True)
    return body


def _row(principal: Principal, purpose: str, subject: gateway.Subject, result: str, status: int,
         started: Any, size: int, response_bytes: int) -> recorder.Row:
    return recorder.call_row(consumer=principal.subject, resource=RESOURCE, purpose=purpose,
                             subject_masked=subject.masked, subject_index=subject.index, result=result,
                             status=status, requested_at=started, request_bytes=size, response_bytes=response_bytes)


async def verify_identity(scope: Scope, receive: Receive, send: Send) -> None:
    principal = await _principal(scope, receive)
    raw = await _body(receive)
    try:
        query = schemas.IdentityQuery.model_validate_json(raw)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False, include_context=False)]
        raise RequestValidationError(errors, body=raw) from None
    body = await answer_identity(principal, query, len(raw))
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class _Endpoint:
    """A plain ASGI app (Starlette would wrap a bare function as a request-response handler)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await verify_identity(scope, receive, send)


def route() -> Route:
    """The endpoint as a route to mount first (the FastAPI route of the same path documents it)."""
    return Route(IDENTITY_PATH, _Endpoint(), methods=["POST"], include_in_schema=False)
