"""Per-request context (request id, client address) that audit rows and logs carry."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = "-"
    client_addr: str = "-"


_OUTSIDE_REQUESTS = RequestContext()  # frozen: sharing it as the default is safe
current: ContextVar[RequestContext] = ContextVar("renshe_request", default=_OUTSIDE_REQUESTS)
