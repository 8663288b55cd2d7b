"""JSON routes of 好差评 and 整改: rate an application, rectification cases, the satisfaction dashboard."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from renshe.core.http import CurrentPrincipal, DbSession
from renshe.hall.applications import reading
from renshe.hall.reviews import service as reviews

router = APIRouter(tags=["hall 一网通办"])  # included under /api/v1/hall by renshe.hall.api

class ReviewIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)
    level: int = Field(ge=1, le=5, description="5 非常满意，4 满意，3 基本满意，2 不满意，1 非常不满意")
    scores: dict[str, int] = Field(default_factory=dict, description="指标评分（1-5）：overall, efficiency, "
                                   "guide_accuracy, convenience, usability")
    comment: str = Field(default="", max_length=500)


class ReviewOut(BaseModel):
    application: str
    level: int
    level_label: str
    scores: dict[str, int]
    comment: str
    channel: str
    rated_at: datetime
    rectification: str | None = Field(description="差评触发的整改事项编号")


def _review_out(session: DbSession, application: Any, review: Any) -> ReviewOut:
    case_id = reviews.case_of(session, review)
    return ReviewOut(application=application.public_id, level=review.level, level_label=reviews.LEVELS[review.level],
                     scores=review.scores, comment=review.comment, channel=review.channel, rated_at=review.rated_at,
                     rectification=case_id)


@router.post("/applications/{public_id}/rating", response_model=ReviewOut, status_code=status.HTTP_201_CREATED,
             responses={409: {"description": "renshe:hall/rate-once 已评价；renshe:hall/rate-not-decided 尚未办结"}},
             summary="好差评（一事一评） Rate a decided application once")
def review(public_id: str, data: ReviewIn, session: DbSession, principal: CurrentPrincipal) -> ReviewOut:
    application = reading.get_application(session, actor=principal, public_id=public_id)
    made = reviews.rate(session, actor=principal, application=application, level=data.level, scores=data.scores,
                        comment=data.comment)
    return _review_out(session, application, made)


class CaseOut(BaseModel):
    public_id: str
    application_number: str
    item_code: str
    division_code: str
    level: int
    level_label: str
    comment: str
    status: str
    opened_on: date
    deadline: date
    callback_note: str | None
    outcome: str | None
    closed_on: date | None
    on_time: bool | None
    published: bool


@router.get("/rectifications", response_model=list[CaseOut], summary="差评整改（本辖区及下级） Rectification cases")
def rectifications(session: DbSession, principal: CurrentPrincipal,
                   state: Annotated[str | None, Query(alias="status")] = None) -> list[CaseOut]:
    return [CaseOut(public_id=r.public_id, application_number=a.number, item_code=r.item_code,
                    division_code=r.division_code, level=v.level, level_label=reviews.LEVELS[v.level],
                    comment=v.comment,
                    status=r.status, opened_on=r.opened_on, deadline=r.deadline, callback_note=r.callback_note,
                    outcome=r.outcome, closed_on=r.closed_on, on_time=r.on_time, published=r.published)
            for r, v, a in reviews.cases(session, actor=principal, status=state)]


class CaseActionIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)
    action: Literal["callback", "close"]
    note: str = Field(max_length=4000)
    outcome: Literal["rectified", "explained", "unfounded", "appealed"] | None = None
    public_summary: str = Field(default="", max_length=1000, description="公开摘要（不含个人信息）")
    publish: bool = False


@router.post("/rectifications/{public_id}", summary="整改：回访、办结与公开 Record a callback or the outcome")
def rectification_act(public_id: str, data: CaseActionIn, session: DbSession,
                      principal: CurrentPrincipal) -> dict[str, Any]:
    case_ = reviews.get_case(session, actor=principal, public_id=public_id)
    if data.action == "callback":
        reviews.record_callback(session, actor=principal, case_=case_, note=data.note)
    else:
        reviews.close_case(session, actor=principal, case_=case_, outcome=data.outcome or "", note=data.note,
                           public_summary=data.public_summary, publish=data.publish)
    return {"public_id": case_.public_id, "status": case_.status, "on_time": case_.on_time}


@router.get("/reviews/dashboard", summary="好差评统计（按事项、机构、月份）与整改按时率 Satisfaction dashboard")
def dashboard(session: DbSession, principal: CurrentPrincipal, since: date | None = None) -> dict[str, Any]:
    data = reviews.dashboard(session, actor=principal, since=since)

    def rows(values: list[reviews.Satisfaction]) -> list[dict[str, Any]]:
        return [{"key": s.key, "label": s.label, "count": s.count, "average": s.average,
                 "satisfaction_rate": s.rate, "bad": s.bad} for s in values]

    return {"by_item": rows(data["by_item"]), "by_office": rows(data["by_office"]), "by_month": rows(data["by_month"]),
            "rectification": data["rectification"]}
