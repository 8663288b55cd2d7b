"""The anchor of the lookup benchmark: the smallest ASGI application that answers JSON.

Launched exactly like renshe (`uvicorn bare_asgi:create_app --factory`, same loop, same HTTP parser,
same worker count), so the difference in throughput is what renshe does per request.

`create_fastapi_app` is a second reference point: an empty FastAPI application with one `async def`
route and no middleware, i.e. the framework's own floor between the bare app and renshe.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

BODY = b'{"status":"ok","service":"bare-asgi"}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


def create_app() -> ASGIApp:
    """Factory, so uvicorn starts it with `--factory` like renshe.web.app:create_app."""
    return app


def create_fastapi_app() -> ASGIApp:
    """FastAPI with one async JSON route for every path: the framework floor, without renshe."""
    from fastapi import FastAPI

    api = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @api.api_route("/{rest:path}", methods=["GET", "POST"])
    async def anything(rest: str) -> dict[str, str]:
        return {"status": "ok", "service": "fastapi-floor", "path_length": str(len(rest))}

    return api
