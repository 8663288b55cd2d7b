"""JSON API of the hall's oversight: 超期督办, 好差评 and 整改, 问题反馈, 跨省通办 node-to-node, 一件事."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from renshe.core.errors import FieldError, Forbidden, ValidationFailed
from renshe.core.http import CurrentPrincipal, DbSession
from renshe.hall import bundles, feedback, interprovince, peers, reviews, schemas, service, supervision

router = APIRouter(tags=["hall 一网通办"])  # included by api.router under /api/v1/hall
Limit = Annotated[int, Query(ge=1, le=200, description="每页条数")]


# ---------------------------------------------------------------- 超期督办


@router.get("/supervision", response_model=schemas.ApplicationPage,
            summary="超期督办：本辖区及下级临近到期或已超期的办件 Overdue / near-due applications (supervisors)")
def watch(session: DbSession, principal: CurrentPrincipal,
          kind: Annotated[Literal["overdue", "near"], Query(description="overdue 已超期 | near 临近到期")] = "overdue",
          item: str | None = None, limit: Limit = 50, cursor: str | None = None) -> schemas.ApplicationPage:
    rows, next_cursor = supervision.watch_list(session, actor=principal, kind=kind, item_code=item, limit=limit,
                                               cursor=cursor)
    return schemas.ApplicationPage(items=[service.summary_out(session, a) for a in rows], next_cursor=next_cursor)


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
    application = service.get_application(session, actor=principal, public_id=public_id)
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


# ---------------------------------------------------------------- 好差评


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
    from sqlalchemy import select

    from renshe.hall.models import Rectification

    case_id = session.scalar(select(Rectification.public_id).where(Rectification.review_id == review.id))
    return ReviewOut(application=application.public_id, level=review.level, level_label=reviews.LEVELS[review.level],
                     scores=review.scores, comment=review.comment, channel=review.channel, rated_at=review.rated_at,
                     rectification=case_id)


@router.post("/applications/{public_id}/rating", response_model=ReviewOut, status_code=status.HTTP_201_CREATED,
             responses={409: {"description": "renshe:hall/rate-once 已评价；renshe:hall/rate-not-decided 尚未办结"}},
             summary="好差评（一事一评） Rate a decided application once")
def review(public_id: str, data: ReviewIn, session: DbSession, principal: CurrentPrincipal) -> ReviewOut:
    application = service.get_application(session, actor=principal, public_id=public_id)
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


# ---------------------------------------------------------------- 跨省通办


class ForwardIn(schemas.ApplicationIn):
    province: str = Field(description="办理省份（省级区划代码）")
    mode: Literal["collect", "joint"] = Field(description="collect 代收代办 | joint 两地联办")
    handling_division: str | None = Field(default=None, description="办理地（对方省内的区划代码）")


@router.post("/interprovince/outgoing", status_code=status.HTTP_201_CREATED, response_model=schemas.ApplicationOut,
             summary="跨省通办申请（本省收件，转对方省办理） Apply for an item handled by another province")
def forward(data: ForwardIn, session: DbSession, principal: CurrentPrincipal) -> schemas.ApplicationOut:
    application = interprovince.submit_forwarded(
        session, actor=principal, item_code=data.item_code, province=data.province, mode=data.mode,
        data=data.data, uploads=service.decode_uploads(data.materials), handling_division=data.handling_division)
    return service.application_out(session, application, actor=principal)


async def _signed(request: Request, session: DbSession) -> tuple[Any, dict[str, Any]]:
    body = await request.body()
    peer = peers.verify(session, node=request.headers.get(peers.NODE_HEADER),
                        timestamp=request.headers.get(peers.TIMESTAMP_HEADER),
                        sig=request.headers.get(peers.SIGNATURE_HEADER), method=request.method,
                        path=request.url.path, body=body)
    try:
        payload = json.loads(body)
    except ValueError:
        raise ValidationFailed([FieldError("body", "renshe:hall/xp-json", "请求体不是有效的JSON")]) from None
    return peer, payload


@router.post("/interprovince/applications",
             summary="节点间接口：接收外省转来的申请（HMAC签名，按来源办件编号幂等） Receive a forwarded application")
async def receive(request: Request, session: DbSession, response: Response) -> dict[str, Any]:
    peer, payload = await _signed(request, session)
    from starlette.concurrency import run_in_threadpool

    def work() -> dict[str, Any]:
        application, created = interprovince.receive(session, peer=peer, payload=payload)
        return {"remote_id": application.public_id, "remote_number": application.number, "state": application.state,
               "state_label": service.state_label(application), "created": created}

    out = await run_in_threadpool(work)
    response.status_code = status.HTTP_201_CREATED if out["created"] else status.HTTP_200_OK
    return out


@router.post("/interprovince/status",
             summary="节点间接口：办理省回传办件状态（HMAC签名，按序号幂等） Status callback from the handler")
async def status_callback(request: Request, session: DbSession) -> dict[str, Any]:
    peer, payload = await _signed(request, session)
    from starlette.concurrency import run_in_threadpool

    def work() -> dict[str, Any]:
        applied = interprovince.apply_status(session, peer=peer, payload=payload)
        return {"applied": applied}

    return await run_in_threadpool(work)


@router.get("/interprovince/peers", summary="跨省通办节点 Peer nodes (no secrets)")
def peer_list(session: DbSession, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    if principal.kind not in {"staff", "system"}:
        raise Forbidden("只有经办人员可以查看跨省通办节点", code="renshe:hall/staff-only")
    return [{"province_code": p.province_code, "name": p.name, "base_url": p.base_url}
            for p in peers.peers(session)]


# ---------------------------------------------------------------- 一件事


class BundleIn(BaseModel):
    data: dict[str, Any] = Field(default_factory=dict, description="合并表单的数据（各子事项共用）")
    materials: list[schemas.MaterialIn] = Field(default_factory=list)


@router.post("/bundles/{code}/applications", status_code=status.HTTP_201_CREATED,
             summary="一件事：一表申请，分发到各子事项 Apply for a one-thing bundle")
def bundle_apply(code: str, data: BundleIn, session: DbSession,
                 principal: CurrentPrincipal) -> dict[str, Any]:
    record = bundles.submit(session, actor=principal, code=code, data=data.data,
                            uploads=service.decode_uploads(data.materials))
    subs = bundles.sub_applications(session, record)
    return {"public_id": record.public_id, "bundle": record.bundle_code, "name": record.bundle_name,
           "applications": [service.summary_out(session, a).model_dump(mode="json") for a in subs]}


@router.get("/bundles/applications/{public_id}", summary="一件事办理进度 Joint progress of a bundle")
def bundle_progress(public_id: str, session: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    record = bundles.get_record(session, actor=principal, public_id=public_id)
    subs = bundles.sub_applications(session, record)
    return {"public_id": record.public_id, "bundle": record.bundle_code, "name": record.bundle_name,
            "joint_state": bundles.joint_state(subs),
            "applications": [service.summary_out(session, a).model_dump(mode="json") for a in subs]}
