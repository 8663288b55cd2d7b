"""The application factory: middleware, error handling, health and metrics, entrances, domain routers."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Annotated

from fastapi import FastAPI, Query, Request
from fastapi.responses import PlainTextResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette._utils import get_route_path
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

from renshe import __version__
from renshe.agencies import api as agencies_api
from renshe.agencies import pages as agencies_pages
from renshe.analytics import pages as analytics_pages
from renshe.archives import api as archives_api
from renshe.archives import pages as archives_pages
from renshe.card import api as card_api
from renshe.card import pages as card_pages
from renshe.certs import api as certs_api
from renshe.certs import pages as certs_pages
from renshe.contracts import api as contracts_api
from renshe.contracts import pages as contracts_pages
from renshe.core import audit, db, messages, staff
from renshe.core import limits as core_limits
from renshe.core.http import ELDERLY_COOKIE, DbSession, MaybePrincipal, templates
from renshe.core.settings import get_settings
from renshe.federation import pages as federation_pages
from renshe.federation import runner as federation_runner
from renshe.hall import api as hall_api
from renshe.hall import pages as hall_pages
from renshe.insurance import api as insurance_api
from renshe.insurance import pages as insurance_pages
from renshe.keygroups import api as keygroups_api
from renshe.keygroups import pages as keygroups_pages
from renshe.pension import api as pension_api
from renshe.pension import pages as pension_pages
from renshe.pooling import api as pooling_api
from renshe.pooling import pages as pooling_pages
from renshe.recruitment import api as recruitment_api
from renshe.recruitment import jobs as recruitment_jobs
from renshe.recruitment import pages as recruitment_pages
from renshe.registry import api as registry_api
from renshe.registry import pages as registry_pages
from renshe.sharing import api as sharing_api
from renshe.sharing import fastpath as sharing_fastpath
from renshe.sharing import jobs as sharing_jobs
from renshe.sharing import pages as sharing_pages
from renshe.sharing import recorder as sharing_recorder
from renshe.subsidies import api as subsidies_api
from renshe.subsidies import pages as subsidies_pages
from renshe.transfer import api as transfer_api
from renshe.transfer import pages as transfer_pages
from renshe.unemployment import api as unemployment_api
from renshe.unemployment import pages as unemployment_pages
from renshe.wages import api as wages_api
from renshe.wages import pages as wages_pages
from renshe.web import admin, auth, calendar_admin, errors, openapi
from renshe.web.bodylimit import BodyLimitMiddleware
from renshe.web.idempotency import IdempotencyMiddleware
from renshe.web.observability import RequestContextMiddleware, configure_logging
from renshe.web.security import SecurityMiddleware

_FAVICON = (files("renshe.web") / "static" / "favicon.ico").read_bytes()
DOMAINS = ("renshe.registry", "renshe.sharing", "renshe.federation", "renshe.certs", "renshe.card", "renshe.hall",
           "renshe.insurance", "renshe.pension", "renshe.transfer", "renshe.pooling",
           "renshe.unemployment", "renshe.subsidies", "renshe.recruitment", "renshe.analytics",
           "renshe.agencies", "renshe.wages", "renshe.contracts", "renshe.keygroups",
           "renshe.archives")


def create_app() -> FastAPI:
    settings = get_settings()
    configure_logging(json=settings.log_json, level=logging.getLevelName(settings.log_level.upper()))
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # With RENSHE_NATS_URL: a province relays its outbox to JetStream, the ministry consumes.
        federation = federation_runner.from_settings(on_applied=_national_views)
        if federation is not None:
            await federation.start()
        core_limits.shared()  # with RENSHE_REDIS_URL: the clients made (and imported) before the first call
        if get_settings().call_log_flush_ms > 0:
            sharing_recorder.writer.start()  # the gateway's call log, written in groups
        stop = asyncio.Event()
        worker = asyncio.create_task(sharing_jobs.run_forever(lambda: db.sessions.factory(), stop)) \
            if get_settings().batch_worker else None
        minutes = get_settings().audit_checkpoint_minutes
        checkpoints = asyncio.create_task(audit.run_checkpoints(stop, minutes=minutes)) if minutes else None
        sign_in_housekeeping = asyncio.create_task(staff.run_housekeeping(stop))  # sessions, sign-in counters
        try:
            yield
        finally:
            stop.set()
            if worker is not None:
                await worker
            if checkpoints is not None:
                await checkpoints
            await sign_in_housekeeping
            if federation is not None:
                await federation.stop()
            await asyncio.to_thread(sharing_recorder.writer.stop)  # a clean shutdown writes what is queued

    app = FastAPI(
        lifespan=lifespan,
        title="renshe 人社信息化便民服务平台",
        version=__version__,
        description="人员与单位基础库、经办、认证与审计的接口。Errors are RFC 9457 problem+json.",
        openapi_url="/openapi.json",
        docs_url=None,  # served by web/openapi.py from the package's own Swagger UI
        redoc_url=None,
    )
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(BodyLimitMiddleware)  # bodies capped per route before anything reads them
    app.add_middleware(SecurityMiddleware)  # cross-site refusal and security headers, after the request id
    app.add_middleware(RequestContextMiddleware)  # added last, so it runs first and sets the request id
    errors.install(app)
    templates.add_package("renshe.web")
    for package in DOMAINS:
        templates.add_package(package)
    # The hottest route first: matched before the ~200 others (identity verification, plain ASGI).
    app.router.routes.append(sharing_fastpath.route())
    app.mount("/static", StaticFiles(packages=[("renshe.web", "static")]), name="static")
    # The hall's routers first: its queue and progress pages are hot, and Starlette matches routes in order.
    app.include_router(hall_api.router)
    app.include_router(hall_pages.router)
    app.include_router(auth.api)
    app.include_router(auth.pages)
    app.include_router(admin.api)
    app.include_router(admin.pages)
    app.include_router(calendar_admin.router)
    app.include_router(registry_api.router)
    app.include_router(registry_pages.router)
    app.include_router(sharing_api.router)
    app.include_router(sharing_api.staff_router)
    app.include_router(sharing_api.me_router)
    app.include_router(sharing_pages.router)
    app.include_router(federation_pages.router)
    app.include_router(federation_pages.api)
    app.include_router(certs_api.router)
    app.include_router(certs_pages.router)
    app.include_router(card_api.router)
    app.include_router(card_pages.router)
    app.include_router(insurance_api.router)
    app.include_router(insurance_pages.router)
    app.include_router(pension_api.router)
    app.include_router(pension_api.insurance_calculators)
    app.include_router(pension_pages.router)
    app.include_router(unemployment_api.router)
    app.include_router(unemployment_pages.router)
    app.include_router(subsidies_api.router)
    app.include_router(subsidies_pages.router)
    app.include_router(recruitment_api.router)
    app.include_router(recruitment_pages.router)
    app.include_router(analytics_pages.router)
    app.include_router(agencies_api.router)
    app.include_router(agencies_pages.router)
    app.include_router(wages_api.router)
    app.include_router(wages_pages.router)
    app.include_router(contracts_api.router)
    app.include_router(contracts_pages.router)
    app.include_router(keygroups_api.router)
    app.include_router(keygroups_pages.router)
    app.include_router(archives_api.router)
    app.include_router(archives_pages.router)
    app.include_router(transfer_api.router)
    app.include_router(pooling_api.router)
    app.include_router(pooling_pages.router)
    app.include_router(transfer_pages.router)
    _install_core_routes(app)
    _gate_included_routers(app)
    openapi.install(app)  # errors documented as they are answered (problem+json)
    return app


def _national_views() -> None:
    """At the hub, after new events reached the national store: the national job search catches up."""
    with db.unit_of_work() as session:
        recruitment_jobs.sync_national(session)


_NAMED_GROUP = re.compile(r"\(\?P<[^>]+>")


def _gate_included_routers(app: FastAPI) -> None:
    """Starlette tries routes one by one, and FastAPI's test of a route inside an included router costs a few
    microseconds: over some 330 routes, a fifth of a page's CPU (py-spy, the statement page). Each included
    router gets a gate tried first: one regular expression, the union of its routes' own path patterns, on the
    path Starlette matches. A path none of them matches skips the router, which is what its routes would
    answer (no match, not even a partial one); any other path goes to the router as before. A router with a
    prefix or a route without a path pattern (a mount), its own or a nested router's, stays ungated.
    """
    for route in app.router.routes:
        patterns = _patterns(route)
        if patterns:
            _gate(route, re.compile("|".join(f"(?:{p})" for p in patterns)))


def _patterns(route: object) -> list[str] | None:
    """The path patterns of every route an included router (and the routers it includes) holds, or None."""
    prefix: object = getattr(getattr(route, "include_context", None), "prefix", None)
    if type(route).__name__ != "_IncludedRouter" or prefix != "":
        return None
    patterns: list[str] = []
    for candidate in route.effective_candidates():  # type: ignore[attr-defined]
        if type(candidate).__name__ == "_IncludedRouter":
            nested = _patterns(candidate)
            if nested is None:
                return None
            patterns += nested
            continue
        original = getattr(candidate, "original_route", None)
        regex = getattr(original, "path_regex", None)
        if not isinstance(original, (APIRoute, Route)) or regex is None:
            return None
        patterns.append(_NAMED_GROUP.sub("(?:", regex.pattern))
    return patterns


def _gate(route: BaseRoute, union: re.Pattern[str]) -> None:
    inner = route.matches

    def matches(scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] in ("http", "websocket") and union.match(get_route_path(scope)) is None:
            return Match.NONE, {}
        return inner(scope)

    route.matches = matches  # type: ignore[method-assign]


def _install_core_routes(app: FastAPI) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz(session: DbSession) -> Response:
        try:
            session.execute(text("SELECT 1"))
            revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception as exc:  # report, do not crash: this is what a load balancer polls
            return JSONResponse({"status": "unavailable", "reason": type(exc).__name__}, status_code=503)
        return JSONResponse({"status": "ready", "schema": revision})

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/", include_in_schema=False)
    def home(request: Request, _principal: MaybePrincipal) -> Response:
        return templates.render(request, "home.html", page_title="首页")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        """Browsers ask for it at the root whatever the page links; a week in the cache."""
        return Response(_FAVICON, media_type="image/vnd.microsoft.icon",
                        headers={"Cache-Control": "public, max-age=604800"})

    @app.get("/elderly", include_in_schema=False)
    def elderly_entry() -> Response:
        """长辈版 / 关怀版 / 亲情版 / 关爱版: turns elderly mode on and opens the home page."""
        return _elderly(on=True, next_url="/")

    @app.get("/prefs/elderly", include_in_schema=False)
    def toggle_elderly(on: Annotated[bool, Query()] = True, next: str = "/") -> Response:
        return _elderly(on=on, next_url=next)

    @app.get("/demo/messages", include_in_schema=False)
    def demo_messages(request: Request, session: DbSession, _principal: MaybePrincipal) -> Response:
        if not get_settings().demo_mode:
            return templates.render(request, "error.html", status_code=404, page_title="页面不存在",
                                    title="页面不存在", detail="演示短信箱只在演示模式下开放", errors=[])
        return templates.render(request, "demo_messages.html", page_title="演示短信箱",
                                messages=messages.recent(session))



def _elderly(*, on: bool, next_url: str) -> Response:
    target = next_url if next_url.startswith("/") and not next_url.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(ELDERLY_COOKIE, "1" if on else "0", max_age=365 * 24 * 3600, samesite="lax")
    return response
