"""The ministry hub's page: national counts per province and event, and each province's lag."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.responses import Response

from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.http import CurrentPrincipal, DbSession, require_kind, templates
from renshe.core.settings import get_settings
from renshe.federation import service

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/hub", tags=["federation 联网上报"])
Staff = Annotated[Principal, require_kind("staff")]


class ProvinceLag(BaseModel):
    province: str
    events: int
    pending: int
    last_delay_ms: int
    seconds_since_last_event: float | None


def _lags(session: DbSession) -> list[ProvinceLag]:
    now = utcnow()
    return [ProvinceLag(province=p.province, events=p.events, pending=p.pending, last_delay_ms=p.last_delay_ms,
                        seconds_since_last_event=(now - p.last_received_at).total_seconds()
                        if p.last_received_at else None)
            for p in service.province_status(session)]


@api.get("/provinces", response_model=list[ProvinceLag], summary="各省上报情况 Per-province counts and lag")
def provinces(session: DbSession, principal: CurrentPrincipal) -> list[ProvinceLag]:
    principal.require("audit.read")
    return _lags(session)


@router.get("/staff/hub")
def hub_page(request: Request, session: DbSession, principal: Staff) -> Response:
    principal.require("audit.read")
    return templates.render(request, "hub.html", page_title="联网数据准实时上报", lags=_lags(session),
                            counts=service.national_counts(session), role=get_settings().role,
                            nats=bool(get_settings().nats_url))
