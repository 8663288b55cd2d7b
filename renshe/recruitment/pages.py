"""Pages of public recruitment (公共招聘).

- 岗位搜索 `/jobs`: anyone; Chinese full text with filters, facet counts and paging; a signed-in citizen
  saves the search. 岗位详情 `/jobs/{id}`: the contact phone unmasked once the seeker has applied; apply and
  report a fake posting.
- 我的求职 `/citizen/jobs`: the job-seeking profile, recommended jobs with the score explained, saved
  searches and applications with the employers' answers.
- 单位招聘 `/employer/jobs`: post, see moderation results, withdraw; `/employer/jobs/{id}`: applicants (with
  their phone) and answers, candidates recommended by the matching.
- 招聘审核 `/staff/jobs`: the clerk's moderation queue and the reports to check."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from renshe.core.auth import Principal
from renshe.core.errors import DomainError, FieldError
from renshe.core.http import DbSession, MaybePrincipal, form_errors, page_errors, require_kind, savepoint, templates
from renshe.recruitment import schemas, seeking, service

router = APIRouter(include_in_schema=False)
NAMES = {"title": "岗位名称", "description": "岗位职责与任职要求", "occupation_code": "职业类别",
         "division_code": "工作地点",
         "salary_min": "月薪下限", "salary_max": "月薪上限", "education": "学历要求", "headcount": "招聘人数",
         "expires_on": "截止日期", "kind": "类型", "contact_name": "联系人", "contact_phone": "联系电话",
         "salary_expected": "期望月薪", "q": "关键词", "division": "地区代码", "occupation": "职业类别"}
Citizen = Annotated[Principal, require_kind("citizen")]
Employer = Annotated[Principal, require_kind("employer")]
Staff = Annotated[Principal, require_kind("staff")]
F2 = Annotated[str, Form(max_length=2)]
F6 = Annotated[str, Form(max_length=6)]
F12 = Annotated[str, Form(max_length=12)]
F100 = Annotated[str, Form(max_length=100)]



def _criteria(q: str, division: str, occupation: str, salary_min: str, education: str, kind: str
              ) -> tuple[schemas.SearchIn, list[FieldError]]:
    try:
        amount = Decimal(salary_min) if salary_min.strip() else None
    except InvalidOperation:
        return schemas.SearchIn(q=q[:100]), [FieldError("salary_min", "renshe:recruitment/salary", "期望月薪应为数字")]
    try:
        return schemas.SearchIn(q=q, division=division, occupation=occupation, salary_min=amount,
                                education=education, kind=kind), []
    except ValidationError as exc:
        return schemas.SearchIn(q=q[:100]), form_errors(exc, NAMES)


def _choices(session: Session) -> dict[str, Any]:
    return {"occupations": service.all_occupations(session), "educations": service.EDUCATION_LABELS,
            "kinds": service.KIND_LABELS}


@router.get("/jobs")
def search_page(request: Request, session: DbSession, principal: MaybePrincipal,
                q: Annotated[str, Query(max_length=100)] = "", division: Annotated[str, Query(max_length=6)] = "",
                occupation: Annotated[str, Query(max_length=12)] = "",
                salary_min: Annotated[str, Query(max_length=12)] = "",
                education: Annotated[str, Query(max_length=2)] = "", kind: Annotated[str, Query(max_length=12)] = "",
                cursor: Annotated[str | None, Query(max_length=40)] = None, saved: str = "") -> Response:
    criteria, errors = _criteria(q, division, occupation, salary_min, education, kind)
    found = service.search(session, criteria=criteria, cursor=cursor) if not errors else None
    query = {k: v for k, v in criteria.model_dump(mode="json").items() if v not in ("", None)}
    return templates.render(request, "jobs_search.html", page_title="岗位搜索", criteria=criteria, query=query,
                            found=found, items=[service.out(session, r, actor=principal) for r in found.rows]
                            if found else [], errors=errors, citizen=principal is not None and
                            principal.kind == "citizen", saved=saved, **_choices(session))


@router.post("/jobs/saved-searches")
def save_search(request: Request, session: DbSession, principal: Citizen,
                name: Annotated[str, Form(max_length=64)], q: F100 = "",
                division: F6 = "", occupation: F12 = "",
                salary_min: F12 = "", education: F2 = "",
                kind: F12 = "") -> Response:
    criteria, errors = _criteria(q, division, occupation, salary_min, education, kind)
    if not errors:
        try:
            with savepoint(session):
                seeking.save_search(session, actor=principal, name=name or q or "我的搜索", criteria=criteria)
        except DomainError as exc:
            errors = page_errors(exc, "name")
    if errors:
        return _citizen(request, session, principal, errors=errors, status_code=422)
    return RedirectResponse("/citizen/jobs?saved=search", status_code=303)


def _detail(request: Request, session: Session, principal: Principal | None, public_id: str, *,
            errors: list[FieldError] | None = None, saved: str = "", status_code: int = 200) -> Response:
    row = service.get_posting(session, actor=principal, public_id=public_id)
    return templates.render(request, "jobs_detail.html", status_code=status_code, page_title=row.title,
                            p=service.out(session, row, actor=principal), errors=errors or [], saved=saved,
                            citizen=principal is not None and principal.kind == "citizen",
                            reasons=service.REPORT_REASONS)


@router.get("/jobs/{public_id}")
def detail_page(request: Request, public_id: str, session: DbSession, principal: MaybePrincipal) -> Response:
    return _detail(request, session, principal, public_id)


@router.post("/jobs/{public_id}/apply")
def apply(request: Request, public_id: str, session: DbSession, principal: Citizen,
          message: Annotated[str, Form(max_length=500)] = "") -> Response:
    try:
        with savepoint(session):
            seeking.apply(session, actor=principal, public_id=public_id, message=message)
    except DomainError as exc:
        return _detail(request, session, principal, public_id, errors=page_errors(exc, "message"), status_code=422)
    return _detail(request, session, principal, public_id, saved="已投递，单位的联系电话已向您显示，单位答复后会通知您")


@router.post("/jobs/{public_id}/report")
def report(request: Request, public_id: str, session: DbSession, principal: Citizen,
           reason: Annotated[str, Form(max_length=16)], detail: Annotated[str, Form(max_length=500)] = "") -> Response:
    try:
        with savepoint(session):
            seeking.report(session, actor=principal, public_id=public_id, reason=reason, detail=detail)
    except DomainError as exc:
        return _detail(request, session, principal, public_id, errors=page_errors(exc, "reason"), status_code=422)
    return _detail(request, session, principal, public_id, saved="举报已提交，经办人员核查后会通知您结果")


def _citizen(request: Request, session: Session, principal: Principal, *, errors: list[FieldError] | None = None,
             saved: str = "", status_code: int = 200) -> Response:
    profile = seeking.profile_of(session, actor=principal)
    matches = [(s, service.out(session, p, actor=principal))
               for s, p in seeking.recommendations(session, actor=principal)]
    return templates.render(request, "jobs_citizen.html", status_code=status_code, page_title="我的求职",
                            profile=seeking.profile_out(session, profile) if profile else None, matches=matches,
                            searches=[seeking.saved_out(r) for r in seeking.saved_searches(session, actor=principal)],
                            applications=[seeking.application_out(session, a, p, actor=principal)
                                          for a, p in seeking.my_applications(session, actor=principal)],
                            errors=errors or [], saved=saved, **_choices(session))


@router.get("/citizen/jobs")
def citizen_page(request: Request, session: DbSession, principal: Citizen, saved: str = "") -> Response:
    notes = {"search": "搜索条件已保存", "profile": "求职意向已保存，推荐岗位已更新", "deleted": "已删除该搜索条件"}
    return _citizen(request, session, principal, saved=notes.get(saved, ""))


@router.post("/citizen/jobs/profile")
def citizen_profile(request: Request, session: DbSession, principal: Citizen,
                    occupation_code: F12, division_code: F6,
                    salary_expected: F12 = "0",
                    education: F2 = "") -> Response:
    try:
        data = schemas.ProfileIn(occupation_code=occupation_code, division_code=division_code,
                                 salary_expected=Decimal(salary_expected or "0"), education=education)
        with savepoint(session):
            seeking.set_profile(session, actor=principal, data=data)
    except (ValidationError, InvalidOperation) as exc:
        errors = form_errors(exc, NAMES) if isinstance(exc, ValidationError) else [
            FieldError("salary_expected", "renshe:recruitment/salary", "期望月薪应为数字")]
        return _citizen(request, session, principal, errors=errors, status_code=422)
    except DomainError as exc:
        return _citizen(request, session, principal, errors=page_errors(exc, "occupation_code"), status_code=422)
    return RedirectResponse("/citizen/jobs?saved=profile", status_code=303)


@router.post("/citizen/jobs/saved-searches/{public_id}/delete")
def citizen_delete_search(request: Request, public_id: str, session: DbSession, principal: Citizen) -> Response:
    try:
        with savepoint(session):
            seeking.delete_saved_search(session, actor=principal, public_id=public_id)
    except DomainError as exc:
        return _citizen(request, session, principal, errors=page_errors(exc, "search"), status_code=422)
    return RedirectResponse("/citizen/jobs?saved=deleted", status_code=303)


def _employer(request: Request, session: Session, principal: Principal, *, errors: list[FieldError] | None = None,
              saved: str = "", form: dict[str, str] | None = None, status_code: int = 200) -> Response:
    postings = [service.out(session, r, actor=principal) for r in service.employer_postings(session, actor=principal)]
    default_expiry = (service.today() + timedelta(days=60)).isoformat()
    return templates.render(request, "jobs_employer.html", status_code=status_code, page_title="单位招聘",
                            postings=postings, errors=errors or [], saved=saved, form=form or {},
                            default_expiry=default_expiry, **_choices(session))


@router.get("/employer/jobs")
def employer_page(request: Request, session: DbSession, principal: Employer, saved: str = "") -> Response:
    return _employer(request, session, principal,
                     saved={"posted": "岗位已提交，经办机构审核通过后发布", "withdrawn": "岗位已下架"}.get(saved, ""))


@router.post("/employer/jobs")
def employer_post(request: Request, session: DbSession, principal: Employer,
                  title: F100 = "", description: Annotated[str, Form(max_length=5000)] = "",
                  occupation_code: F12 = "",
                  division_code: F6 = "",
                  salary_min: F12 = "", salary_max: F12 = "",
                  education: F2 = "", headcount: Annotated[str, Form(max_length=3)] = "",
                  expires_on: Annotated[str, Form(max_length=10)] = "", kind: F12 = "job",
                  contact_name: Annotated[str, Form(max_length=32)] = "",
                  contact_phone: Annotated[str, Form(max_length=11)] = "") -> Response:
    form = {"title": title, "description": description, "occupation_code": occupation_code,
            "division_code": division_code, "salary_min": salary_min, "salary_max": salary_max, "education": education,
            "headcount": headcount, "expires_on": expires_on, "kind": kind, "contact_name": contact_name,
            "contact_phone": contact_phone}
    try:
        data = schemas.PostingIn.model_validate(form)
        with savepoint(session):
            service.post(session, actor=principal, data=data)
    except ValidationError as exc:
        return _employer(request, session, principal, errors=form_errors(exc, NAMES), form=form, status_code=422)
    except DomainError as exc:
        return _employer(request, session, principal, errors=page_errors(exc, "title"), form=form, status_code=422)
    return RedirectResponse("/employer/jobs?saved=posted", status_code=303)


@router.post("/employer/jobs/{public_id}/withdraw")
def employer_withdraw(request: Request, public_id: str, session: DbSession, principal: Employer,
                      confirm: Annotated[str, Form(max_length=3)] = "") -> Response:
    if confirm != "yes":
        return _employer(request, session, principal, status_code=422, errors=[
            FieldError("confirm", "renshe:recruitment/confirm", "请勾选“确认下架”后再提交")])
    try:
        with savepoint(session):
            service.withdraw(session, actor=principal, public_id=public_id)
    except DomainError as exc:
        return _employer(request, session, principal, errors=page_errors(exc, "posting"), status_code=422)
    return RedirectResponse("/employer/jobs?saved=withdrawn", status_code=303)


def _employer_posting(request: Request, session: Session, principal: Principal, public_id: str, *,
                      errors: list[FieldError] | None = None, saved: str = "", status_code: int = 200) -> Response:
    row = service.get_posting(session, actor=principal, public_id=public_id)
    return templates.render(
        request, "jobs_employer_posting.html", status_code=status_code, page_title=f"应聘情况：{row.title}",
        p=service.out(session, row, actor=principal),
        applications=[seeking.application_out(session, a, row, actor=principal)
                      for a in seeking.applications_for(session, actor=principal, public_id=public_id)],
        matches=[(s, c) for s, c in seeking.candidates(session, actor=principal, public_id=public_id)],
        division_name=seeking.division_name, errors=errors or [], saved=saved,
        answers={k: v for k, v in service.APPLICATION_LABELS.items() if k != "submitted"})


@router.get("/employer/jobs/{public_id}")
def employer_posting(request: Request, public_id: str, session: DbSession, principal: Employer) -> Response:
    return _employer_posting(request, session, principal, public_id)


@router.post("/employer/jobs/applications/{application_id}/answer")
def employer_answer(request: Request, application_id: str, session: DbSession, principal: Employer,
                    posting: Annotated[str, Form(max_length=32)], state: F12,
                    answer: Annotated[str, Form(max_length=500)] = "") -> Response:
    try:
        with savepoint(session):
            seeking.answer(session, actor=principal, public_id=application_id, state=state, text=answer)
    except DomainError as exc:
        return _employer_posting(request, session, principal, posting, errors=page_errors(exc, "state"),
                                 status_code=422)
    return _employer_posting(request, session, principal, posting, saved="已答复，并已通知求职者")


def _staff(request: Request, session: Session, principal: Principal, *, errors: list[FieldError] | None = None,
           saved: str = "", cursor: str | None = None, status_code: int = 200) -> Response:
    rows, next_cursor = service.moderation_queue(session, actor=principal, cursor=cursor)
    return templates.render(request, "jobs_staff.html", status_code=status_code, page_title="招聘审核",
                            pending=[service.out(session, r, actor=principal) for r in rows], next_cursor=next_cursor,
                            reports=[seeking.report_out(r, p)
                                     for r, p in seeking.open_reports(session, actor=principal)],
                            errors=errors or [], saved=saved)


@router.get("/staff/jobs")
def staff_page(request: Request, session: DbSession, principal: Staff,
               cursor: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    return _staff(request, session, principal, cursor=cursor)


@router.post("/staff/jobs/{public_id}/moderate")
def staff_moderate(request: Request, public_id: str, session: DbSession, principal: Staff,
                   decision: Annotated[str, Form(pattern="^(publish|reject)$")],
                   note: Annotated[str, Form(max_length=500)] = "") -> Response:
    try:
        with savepoint(session):
            row = service.moderate(session, actor=principal, public_id=public_id, approve=decision == "publish",
                                   note=note)
    except DomainError as exc:
        return _staff(request, session, principal, errors=page_errors(exc, "note"), status_code=422)
    return _staff(request, session, principal, saved=f"“{row.title}”{service.STATE_LABELS[row.state]}")


@router.post("/staff/jobs/reports/{public_id}")
def staff_report(request: Request, public_id: str, session: DbSession, principal: Staff,
                 decision: Annotated[str, Form(pattern="^(uphold|dismiss)$")],
                 outcome: Annotated[str, Form(max_length=500)] = "") -> Response:
    try:
        with savepoint(session):
            row = seeking.handle_report(session, actor=principal, public_id=public_id, upheld=decision == "uphold",
                                        outcome=outcome)
    except DomainError as exc:
        return _staff(request, session, principal, errors=page_errors(exc, "outcome"), status_code=422)
    return _staff(request, session, principal, saved=f"举报已处理：{service.REPORT_STATES[row.state]}，并已告知举报人")

