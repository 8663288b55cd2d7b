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
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

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


async def _principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if token:
        known = tokens.principal(token)
        if known is not None:
            request.state.principal = known
            return known
        principal = read_token(token)
        if principal.kind == "consumer":
            tokens.keep(token, principal)
            request.state.principal = principal
            return principal
    found = await optional_principal(request)  # cookies, staff and citizens: the kernel's own way
    if found is None:
        raise Unauthorized()
    return found


async def serve_identity(request: Request, principal: Principal, query: schemas.IdentityQuery) -> Response:
    """Authorise, answer and log one identity verification (the call is logged however it ends)."""
    started = utcnow()
    size = int(request.headers.get("content-length") or 0)
    subject = gateway.subject_of(query.id_number)
    admitted = False
    purpose = "-"
    try:
        state = await gateway.admit_async(principal)
        admitted = True
        purpose = gateway.grant_for(state, principal, RESOURCE).purpose
        result = gateway.identity_result(None, subject=subject, name=query.name)
    except DomainError as exc:
        await recorder.record_async(_row(principal, purpose, subject, exc.code, exc.status, started, size, 0),
                                    admitted=admitted)
        raise
    body = _BODIES[result]
    await recorder.record_async(_row(principal, purpose, subject, result, 200, started, size, len(body)),
                                admitted=True)
    return Response(body, media_type="application/json")


def _row(principal: Principal, purpose: str, subject: gateway.Subject, result: str, status: int,
         started: Any, size: int, response_bytes: int) -> recorder.Row:
    return recorder.call_row(consumer=principal.subject, resource=RESOURCE, purpose=purpose,
                             subject_masked=subject.masked, subject_index=subject.index, result=result,
                             status=status, requested_at=started, request_bytes=size, response_bytes=response_bytes)


async def verify_identity(scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive)
    principal = await _principal(request)
    raw = await request.body()
    try:
        query = schemas.IdentityQuery.model_validate_json(raw)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False, include_context=False)]
        raise RequestValidationError(errors, body=raw) from None
    response = await serve_identity(request, principal, query)
    await response(scope, receive, send)


class _Endpoint:
    """A plain ASGI app (Starlette would wrap a bare function as a request-response handler)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await verify_identity(scope, receive, send)


def route() -> Route:
    """The endpoint as a route to mount first (the FastAPI route of the same path documents it)."""
    return Route(IDENTITY_PATH, _Endpoint(), methods=["POST"], include_in_schema=False)
