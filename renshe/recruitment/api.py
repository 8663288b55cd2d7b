"""JSON API of public recruitment (`/api/v1/recruitment/...`).

Anyone searches published postings (Chinese full text with filters and facet counts); an employer signed in
with its credit code posts, withdraws and answers applicants; a clerk moderates postings and handles reports;
a citizen applies, reports a fake posting, keeps a profile, saved searches and sees recommended jobs with the
score explained. Errors are problem+json with `type` `renshe:recruitment/<rule>`."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from starlette.responses import Response

from renshe.core.auth import Principal
from renshe.core.http import CurrentPrincipal, DbSession, Limit, MaybePrincipal, require_kind
from renshe.recruitment import schemas, seeking, service

router = APIRouter(prefix="/api/v1/recruitment", tags=["recruitment 公共招聘"])
WRITE: dict[int | str, dict[str, Any]] = {
    422: {"description": "输入有误（problem+json，type 为 renshe:recruitment/<rule>）"},
    404: {"description": "未找到或无权查看"}, 409: {"description": "状态不允许（已审核、已投递、已截止）"}}
Citizen = Annotated[Principal, require_kind("citizen")]
Employer = Annotated[Principal, require_kind("employer")]
Staff = Annotated[Principal, require_kind("staff")]


def _json(model: BaseModel | list[Any], status_code: int = 200) -> Response:
    if isinstance(model, list):
        body = "[" + ",".join(m.model_dump_json() for m in model) + "]"
        return Response(body, media_type="application/json", status_code=status_code)
    return Response(model.model_dump_json(), media_type="application/json", status_code=status_code)


def search_out(session: DbSession, found: service.Found, principal: Principal | None) -> schemas.SearchOut:
    return schemas.SearchOut(
        items=[service.out(session, r, actor=principal) for r in found.rows], next_cursor=found.next_cursor,
        total=found.total, total_capped=found.capped, terms=found.terms,
        facets={k: [schemas.FacetOut(value=v, label=label, count=n) for v, label, n in rows]
                for k, rows in found.facets.items()})


@router.get("/occupations", response_model=list[schemas.OccupationOut],
            summary="职业分类大典（2022） Occupation classification (majors, or the children of PARENT)")
def occupations(session: DbSession, parent: Annotated[str | None, Query(max_length=12)] = None) -> Response:
    return _json([schemas.OccupationOut(code=o.code, name=o.name, level=o.level)
                  for o in service.occupations(session, parent=parent)])


@router.get("/postings", response_model=schemas.SearchOut, summary="岗位检索 Search published postings")
def search(session: DbSession, principal: MaybePrincipal, limit: Limit = 20, cursor: str | None = None,
           q: Annotated[str, Query(max_length=100)] = "",
           division: Annotated[str, Query(pattern=r"^(\d{2}(\d{2}(\d{2})?)?)?$")] = "",
           occupation: Annotated[str, Query(pattern=r"^([1-8](-\d{2}){0,3})?$")] = "",
           salary_min: Annotated[Decimal | None, Query(ge=0, le=1_000_000)] = None,
           education: Annotated[str, Query(pattern=r"^(\d{2})?$")] = "",
           kind: Annotated[str, Query(pattern="^(job|internship)?$")] = "") -> Response:
    criteria = schemas.SearchIn(q=q, division=division, occupation=occupation, salary_min=salary_min,
                                education=education, kind=kind)
    return _json(search_out(session, service.search(session, criteria=criteria, cursor=cursor, limit=limit),
                            principal))


@router.post("/postings", response_model=schemas.PostingOut, status_code=201, responses=WRITE,
             summary="发布岗位（待审核） Post a job")
def post(data: schemas.PostingIn, session: DbSession, principal: Employer) -> Response:
    row = service.post(session, actor=principal, data=data)
    return _json(service.out(session, row, actor=principal), 201)


@router.get("/postings/mine", response_model=list[schemas.PostingOut], summary="本单位发布的岗位 My postings")
def mine(session: DbSession, principal: Employer) -> Response:
    rows = service.employer_postings(session, actor=principal)
    return _json([service.out(session, r, actor=principal) for r in rows])


@router.get("/moderation", response_model=list[schemas.PostingOut], summary="待审核岗位 Postings to moderate")
def moderation(session: DbSession, principal: Staff, cursor: str | None = None, limit: Limit = 50) -> Response:
    rows, _next = service.moderation_queue(session, actor=principal, cursor=cursor, limit=limit)
    return _json([service.out(session, r, actor=principal) for r in rows])


@router.get("/postings/{public_id}", response_model=schemas.PostingOut, responses=WRITE,
            summary="岗位详情（投递后可见联系电话） A posting")
def posting(public_id: str, session: DbSession, principal: MaybePrincipal) -> Response:
    row = service.get_posting(session, actor=principal, public_id=public_id)
    return _json(service.out(session, row, actor=principal))


@router.post("/postings/{public_id}/moderate", response_model=schemas.PostingOut, responses=WRITE,
             summary="审核岗位 Publish or refuse")
def moderate(public_id: str, data: schemas.ModerateIn, session: DbSession, principal: Staff) -> Response:
    row = service.moderate(session, actor=principal, public_id=public_id, approve=data.approve, note=data.note)
    return _json(service.out(session, row, actor=principal))


@router.post("/postings/{public_id}/withdraw", response_model=schemas.PostingOut, responses=WRITE,
             summary="下架岗位 Withdraw")
def withdraw(public_id: str, session: DbSession, principal: Employer) -> Response:
    return _json(service.out(session, service.withdraw(session, actor=principal, public_id=public_id),
                             actor=principal))


@router.post("/postings/{public_id}/applications", response_model=schemas.ApplicationOut, status_code=201,
             responses=WRITE, summary="投递 Apply")
def apply(public_id: str, data: schemas.ApplyIn, session: DbSession, principal: Citizen) -> Response:
    application = seeking.apply(session, actor=principal, public_id=public_id, message=data.message)
    posting_row = service.get_posting(session, actor=principal, public_id=public_id)
    return _json(seeking.application_out(session, application, posting_row, actor=principal), 201)


@router.get("/postings/{public_id}/applications", response_model=list[schemas.ApplicationOut], responses=WRITE,
            summary="岗位的求职申请（单位可见求职者电话） Applications to a posting")
def applications(public_id: str, session: DbSession, principal: CurrentPrincipal) -> Response:
    posting_row = service.get_posting(session, actor=principal, public_id=public_id)
    return _json([seeking.application_out(session, a, posting_row, actor=principal)
                  for a in seeking.applications_for(session, actor=principal, public_id=public_id)])


@router.post("/applications/{public_id}/answer", response_model=schemas.ApplicationOut, responses=WRITE,
             summary="答复求职者 Answer an applicant")
def answer(public_id: str, data: schemas.AnswerIn, session: DbSession, principal: Employer) -> Response:
    application = seeking.answer(session, actor=principal, public_id=public_id, state=data.state, text=data.answer)
    posting_row = seeking.posting_of(session, application)
    return _json(seeking.application_out(session, application, posting_row, actor=principal))


@router.get("/applications/mine", response_model=list[schemas.ApplicationOut], summary="我的求职申请 My applications")
def my_applications(session: DbSession, principal: Citizen) -> Response:
    return _json([seeking.application_out(session, a, p, actor=principal)
                  for a, p in seeking.my_applications(session, actor=principal)])


@router.post("/postings/{public_id}/reports", response_model=schemas.ReportOut, status_code=201, responses=WRITE,
             summary="举报虚假招聘 Report a posting")
def report(public_id: str, data: schemas.ReportIn, session: DbSession, principal: Citizen) -> Response:
    row = seeking.report(session, actor=principal, public_id=public_id, reason=data.reason, detail=data.detail)
    return _json(seeking.report_out(row, service.get_posting(session, actor=principal, public_id=public_id)), 201)


@router.get("/reports", response_model=list[schemas.ReportOut], summary="待核查的举报 Open reports")
def reports(session: DbSession, principal: Staff) -> Response:
    return _json([seeking.report_out(r, p) for r, p in seeking.open_reports(session, actor=principal)])


@router.post("/reports/{public_id}/handle", response_model=schemas.ReportOut, responses=WRITE,
             summary="核查举报 Handle a report")
def handle(public_id: str, data: schemas.HandleReportIn, session: DbSession, principal: Staff) -> Response:
    row = seeking.handle_report(session, actor=principal, public_id=public_id, upheld=data.upheld,
                                outcome=data.outcome)
    return _json(seeking.report_out(row, seeking.report_posting(session, row)))


@router.get("/profile", response_model=schemas.ProfileOut | None, summary="我的求职意向 My profile")
def profile(session: DbSession, principal: Citizen) -> Response:
    row = seeking.profile_of(session, actor=principal)
    return Response("null", media_type="application/json") if row is None else _json(seeking.profile_out(session, row))


@router.put("/profile", response_model=schemas.ProfileOut, responses=WRITE, summary="填写求职意向 Set my profile")
def set_profile(data: schemas.ProfileIn, session: DbSession, principal: Citizen) -> Response:
    return _json(seeking.profile_out(session, seeking.set_profile(session, actor=principal, data=data)))


@router.get("/recommendations", response_model=list[schemas.MatchOut],
            summary="为我推荐的岗位（含评分说明） Recommended jobs with the score explained")
def recommendations(session: DbSession, principal: Citizen, limit: Annotated[int, Query(ge=1, le=50)] = 10) -> Response:
    return _json([schemas.MatchOut(score=s.total, parts=seeking.score_out(s),
                                   posting=service.out(session, p, actor=principal))
                  for s, p in seeking.recommendations(session, actor=principal, limit=limit)])


@router.get("/postings/{public_id}/candidates", response_model=list[schemas.MatchOut], responses=WRITE,
            summary="岗位的推荐人选 Candidates for a posting")
def candidates(public_id: str, session: DbSession, principal: CurrentPrincipal) -> Response:
    return _json([schemas.MatchOut(score=s.total, parts=seeking.score_out(s), person_name=p.person_name,
                                   division_name=seeking.division_name(p.division_code))
                  for s, p in seeking.candidates(session, actor=principal, public_id=public_id)])


@router.get("/saved-searches", response_model=list[schemas.SavedSearchOut], summary="保存的搜索 Saved searches")
def saved(session: DbSession, principal: Citizen) -> Response:
    return _json([seeking.saved_out(r) for r in seeking.saved_searches(session, actor=principal)])


@router.post("/saved-searches", response_model=schemas.SavedSearchOut, status_code=201, responses=WRITE,
             summary="保存搜索条件 Save a search")
def save(data: schemas.SaveSearchIn, session: DbSession, principal: Citizen) -> Response:
    criteria = schemas.SearchIn.model_validate(data.model_dump(exclude={"name"}))
    return _json(seeking.saved_out(seeking.save_search(session, actor=principal, name=data.name, criteria=criteria)),
                 201)


@router.delete("/saved-searches/{public_id}", status_code=204, responses=WRITE, summary="删除保存的搜索")
def delete_saved(public_id: str, session: DbSession, principal: Citizen) -> Response:
    seeking.delete_saved_search(session, actor=principal, public_id=public_id)
    return Response(status_code=204)
