"""JSON routes of 超期督办: the watch list, notices, the overdue scan and on-time statistics."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from renshe.core.http import CurrentPrincipal, DbSession
from renshe.hall import schemas
from renshe.hall.applications import reading
from renshe.hall.oversight import service as supervision

router = APIRouter(tags=["hall 一网通办"])  # included under /api/v1/hall by renshe.hall.api
Limit = Annotated[int, Query(ge=1, le=200, description="每页条数")]


# ---------------------------------------------------------------- 超期督办


@router.get("/supervision", response_model=schemas.ApplicationPage,
            summary="超期督办：本辖区及下级临近到期或已超期的办件 Overdue / near-due applications (supervisors)")
def watch(session: DbSession, principal: CurrentPrincipal,
          kind: Annotated[Literal["overdue", "near"], Query(description="overdue 已超期 | near 临近到期")] = "overdue",
          item: str | None = None, limit: Limit = 50, cursor: str | None = None) -> schemas.ApplicationPage:
    rows, next_cursor = supervision.watch_list(session, actor=principal, kind=kind, item_code=item, limit=limit,
                                               cursor=cursor)
    return schemas.ApplicationPage(items=reading.summaries(session, rows), next_cursor=next_cursor)


class NoticeIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)
    message: str = Field(min_length=1, max_length=2000, description="督办意见")


class NoticeOut(BaseModel):
    application: str
    number: str
    level: int = Field(description="1 为向办理机构督办，2 起为逐级升级督办")
    handling_division: str
    supervising_division: str
    issued_by: str
    issued_on: date
    escalate_on: date
    message: str
    status: str


def _notice_out(notice: Any, application: Any) -> NoticeOut:
    return NoticeOut(application=application.public_id, number=application.number, level=notice.level,
                     handling_division=notice.handling_division, supervising_division=notice.supervising_division,
                     issued_by=notice.issued_by, issued_on=notice.issued_on, escalate_on=notice.escalate_on,
                     message=notice.message, status=notice.status)


@router.post("/supervision/{public_id}/notices", response_model=NoticeOut, status_code=status.HTTP_201_CREATED,
             summary="发出督办通知 Send a supervision notice to the handling office")
def notice(public_id: str, data: NoticeIn, session: DbSession, principal: CurrentPrincipal) -> NoticeOut:
    application = reading.get_application(session, actor=principal, public_id=public_id)
    made = supervision.issue_notice(session, actor=principal, application=application, message=data.message)
    return _notice_out(made, application)


@router.get("/supervision/notices", response_model=list[NoticeOut],
            summary="待办督办通知（本机构及下级） Open notices addressed to the caller's division")
def notices(session: DbSession, principal: CurrentPrincipal) -> list[NoticeOut]:
    return [_notice_out(n, a) for n, a in supervision.open_notices(session, actor=principal)]


@router.post("/supervision/scan", summary="超期扫描与升级督办（幂等） Scan for overdue applications and escalate")
def scan(session: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    result = supervision.scan(session, actor=principal)
    return result.as_dict()


class StatOut(BaseModel):
    division_code: str
    division_name: str
    item_code: str | None
    item_name: str | None
    decided: int
    on_time: int
    on_time_rate: float = Field(description="按时办结率（%）= 承诺时限内办结数 / 办结数")
    average_workdays: float = Field(description="平均办理工作日（扣除补正暂停）")


@router.get("/supervision/stats", summary="按时办结统计（按机构、事项） On-time statistics per office and item")
def stats(session: DbSession, principal: CurrentPrincipal, since: date | None = None,
          until: date | None = None) -> dict[str, list[StatOut]]:
    offices, items = supervision.statistics(session, actor=principal, since=since, until=until)

    def out(row: supervision.StatRow) -> StatOut:
        return StatOut(division_code=row.division_code, division_name=row.division_name, item_code=row.item_code,
                       item_name=row.item_name, decided=row.decided, on_time=row.on_time,
                       on_time_rate=row.on_time_rate, average_workdays=row.average_workdays)

    return {"offices": [out(r) for r in offices], "items": [out(r) for r in items]}
