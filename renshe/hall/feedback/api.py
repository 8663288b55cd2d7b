"""JSON routes of 问题反馈: raise a ticket, the tickets in reach, assign, resolve and close."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from renshe.core.http import CurrentPrincipal, DbSession
from renshe.hall.feedback import service as feedback

router = APIRouter(tags=["hall 一网通办"])  # included under /api/v1/hall by renshe.hall.api

# ---------------------------------------------------------------- 问题反馈


class TicketIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)
    kind: Literal["rule_difference", "data_conflict", "system_fault"]
    title: str = Field(max_length=200)
    description: str = Field(max_length=4000)
    item_code: str | None = None
    division_code: str | None = Field(default=None, description="承办区划（默认为提出人所在区划）")


class TicketOut(BaseModel):
    public_id: str
    kind: str
    kind_label: str
    title: str
    description: str
    item_code: str | None
    raised_kind: str
    origin_division: str
    division_code: str
    status: str
    status_label: str
    deadline: date | None
    resolution: str | None
    created_at: datetime


def _ticket_out(t: Any) -> TicketOut:
    return TicketOut(public_id=t.public_id, kind=t.kind, kind_label=feedback.KINDS[t.kind], title=t.title,
                     description=t.description, item_code=t.item_code, raised_kind=t.raised_kind,
                     origin_division=t.origin_division, division_code=t.division_code, status=t.status,
                     status_label=feedback.STATUSES[t.status], deadline=t.deadline, resolution=t.resolution,
                     created_at=t.created_at)


@router.post("/feedback", response_model=TicketOut, status_code=status.HTTP_201_CREATED,
             summary="问题反馈 Raise a ticket (rule difference, data contradiction, system fault)")
def raise_ticket(data: TicketIn, session: DbSession, principal: CurrentPrincipal) -> TicketOut:
    ticket = feedback.raise_ticket(session, actor=principal, kind=data.kind, title=data.title,
                                   description=data.description, item_code=data.item_code,
                                   division_code=data.division_code)
    return _ticket_out(ticket)


@router.get("/feedback", response_model=list[TicketOut], summary="问题反馈列表（上级可见下级） Tickets in reach")
def tickets(session: DbSession, principal: CurrentPrincipal,
            state: Annotated[str | None, Query(alias="status")] = None, kind: str | None = None) -> list[TicketOut]:
    return [_ticket_out(t) for t in feedback.visible(session, actor=principal, status=state, kind=kind)]


class TicketActionIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)
    action: Literal["assign", "resolve", "close"]
    division_code: str = ""
    workdays: int | None = Field(default=None, ge=1, le=60)
    note: str = Field(default="", max_length=4000)


@router.post("/feedback/{public_id}", response_model=TicketOut, summary="分派、答复、关闭 Assign, resolve, close")
def ticket_act(public_id: str, data: TicketActionIn, session: DbSession, principal: CurrentPrincipal) -> TicketOut:
    ticket = feedback.get_ticket(session, actor=principal, public_id=public_id)
    feedback.act(session, actor=principal, ticket=ticket, action=data.action, division_code=data.division_code,
                 workdays=data.workdays, note=data.note)
    return _ticket_out(ticket)
