"""The seeker's side of public recruitment and what follows a posting: applications and the employer's answers
(the applicant's phone shown to that employer only, audited), reports of fake postings and the clerk's finding,
saved searches, job-seeking profiles, and the matching that recommends jobs to seekers and candidates to
employers with an explained score (`rules.score`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from renshe.core import audit, crypto, divisions, monthly
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from renshe.core.events import record_event
from renshe.recruitment import rules, schemas, service
from renshe.recruitment.models import JobApplication, JobPosting, Occupation, PostingReport, SavedSearch, SeekerProfile
from renshe.registry import service as registry

# ---- applications -------------------------------------------------------------------------------------

def _person(session: Session, actor: Principal) -> registry.Person:
    if actor.kind != "citizen":
        raise Forbidden("请以个人身份登录", code="renshe:recruitment/citizen-only")
    return registry.person_of(session, principal=actor)


def apply(session: Session, *, actor: Principal, public_id: str, message: str = "") -> JobApplication:
    """A seeker applies once to a published, unexpired posting of this province."""
    person = _person(session, actor)
    row = service.get_posting(session, actor=actor, public_id=public_id)
    if row.state != "published" or row.expires_on < service.today():
        raise Conflict("该岗位已截止或已下架", code="renshe:recruitment/closed")
    if row.employer_id is None:
        raise Conflict(f"该岗位由{divisions.full_name(row.origin_province)}发布，请到发布地的服务平台投递",
                       code="renshe:recruitment/other-province")
    application = JobApplication(posting_id=row.id, person_id=person.id, person_name=person.name,
                                 message=message.strip()[:500], state="submitted")
    try:
        with session.begin_nested():
            session.add(application)
            session.flush()
    except IntegrityError:
        raise Conflict("您已投递过该岗位", code="renshe:recruitment/applied") from None
    row.applications += 1
    session.flush()
    audit.record(session, actor=actor, action="recruitment.apply", entity_type="job_application",
                 entity_id=application.public_id, after={"posting": row.public_id})
    record_event(session, "recruitment.applied", {"application": application.public_id, "posting": row.public_id})
    return application


def answer(session: Session, *, actor: Principal, public_id: str, state: str, text: str = "") -> JobApplication:
    """The employer answers an application; the seeker is told in the message centre."""
    application = session.scalar(select(JobApplication).where(JobApplication.public_id == public_id))
    posting = session.get(JobPosting, application.posting_id) if application else None
    if application is None or posting is None or not service.is_own(actor, posting, session):
        raise NotFound("该求职申请", code="renshe:recruitment/application-not-found")
    if state not in {"interview", "hired", "declined"}:
        raise service.invalid("state", "answer-state", "请选择邀请面试、录用或不合适")
    application.state, application.answer, application.answered_at = state, text.strip()[:500] or None, utcnow()
    session.flush()
    audit.record(session, actor=actor, action="recruitment.answer", entity_type="job_application",
                 entity_id=application.public_id, after={"state": state})
    registry.notify(session, person_pk=application.person_id, kind="recruitment.answered",
                    title=f"{posting.employer_name}回复了您的求职申请",
                    body=f"您投递的“{posting.title}”：{service.APPLICATION_LABELS[state]}。{application.answer or ''}",
                    link="/citizen/jobs")
    return application


def my_applications(session: Session, *, actor: Principal) -> list[tuple[JobApplication, JobPosting]]:
    person = _person(session, actor)
    return [(a, p) for a, p in session.execute(
        select(JobApplication, JobPosting).join(JobPosting, JobPosting.id == JobApplication.posting_id)
        .where(JobApplication.person_id == person.id).order_by(JobApplication.id.desc()).limit(500))]


def applications_for(session: Session, *, actor: Principal, public_id: str) -> list[JobApplication]:
    posting = service.get_row(session, public_id)
    if not (service.is_own(actor, posting, session) or service.staff_reaches(actor, posting)):
        raise NotFound("该岗位", code="renshe:recruitment/not-found")
    return list(session.scalars(select(JobApplication).where(JobApplication.posting_id == posting.id)
                                .order_by(JobApplication.id.desc()).limit(1000)))


def application_out(session: Session, application: JobApplication, posting: JobPosting, *,
                    actor: Principal) -> schemas.ApplicationOut:
    phone = None
    if service.is_own(actor, posting, session):  # the employer reads the applicant's phone on record, audited
        person = registry.person_by_pk(session, application.person_id)
        if person is not None and person.phone_encrypted:
            phone = crypto.cipher().decrypt(person.phone_encrypted, purpose=registry.PHONE_PURPOSE)
            audit.record(session, actor=actor, action="recruitment.reveal_applicant", entity_type="job_application",
                         entity_id=application.public_id)
    return schemas.ApplicationOut(
        public_id=application.public_id, posting_id=posting.public_id, posting_title=posting.title,
        employer_name=posting.employer_name, person_name=application.person_name, applicant_phone=phone,
        message=application.message, state=application.state, state_label=service.APPLICATION_LABELS[application.state],
        answer=application.answer, submitted_at=application.submitted_at.isoformat())


# ---- reports of fake postings -------------------------------------------------------------------------

def report(session: Session, *, actor: Principal, public_id: str, reason: str, detail: str = "") -> PostingReport:
    person = _person(session, actor)
    posting = service.get_posting(session, actor=actor, public_id=public_id)
    if reason not in service.REPORT_REASONS:
        raise service.invalid("reason", "report-reason", "请选择举报原因")
    if reason == "other" and not detail.strip():
        raise service.invalid("detail", "report-detail", "选择“其他”时请说明情况")
    if session.scalar(select(PostingReport.id).where(PostingReport.posting_id == posting.id,
                                                     PostingReport.reporter == person.public_id,
                                                     PostingReport.state == "open")) is not None:
        raise Conflict("您已举报过该岗位，正在核查", code="renshe:recruitment/reported")
    row = PostingReport(posting_id=posting.id, reason=reason, detail=detail.strip()[:500],
                        reporter=person.public_id, state="open")
    session.add(row)
    posting.reports += 1
    session.flush()
    audit.record(session, actor=actor, action="recruitment.report", entity_type="job_posting",
                 entity_id=posting.public_id, after={"reason": reason})
    return row


def open_reports(session: Session, *, actor: Principal) -> list[tuple[PostingReport, JobPosting]]:
    if actor.kind != "staff" or not actor.has("employer.write"):
        raise Forbidden("无权核查举报", code="renshe:recruitment/permission")
    prefix = divisions.scope_prefix(actor.division_code)
    return [(r, p) for r, p in session.execute(
        select(PostingReport, JobPosting).join(JobPosting, JobPosting.id == PostingReport.posting_id)
        .where(PostingReport.state == "open", JobPosting.division_code.startswith(prefix))
        .order_by(PostingReport.id).limit(200))]


def handle_report(session: Session, *, actor: Principal, public_id: str, upheld: bool, outcome: str) -> PostingReport:
    """The clerk's finding: an upheld report takes the posting down (and out of the national search)."""
    row = session.scalar(select(PostingReport).where(PostingReport.public_id == public_id))
    posting = session.get(JobPosting, row.posting_id) if row else None
    if row is None or posting is None or not service.staff_reaches(actor, posting, "employer.write"):
        raise NotFound("该举报", code="renshe:recruitment/report-not-found")
    if row.state != "open":
        raise Conflict("该举报已处理", code="renshe:recruitment/report-handled")
    if not outcome.strip():
        raise service.invalid("outcome", "outcome", "请填写核查结果")
    row.state, row.outcome, row.handled_by, row.handled_at = ("upheld" if upheld else "dismissed",
                                                              outcome.strip()[:500], actor.subject, utcnow())
    if upheld and posting.state in {"pending", "published"}:
        service.close_posting(session, posting, why=f"经举报核查下架：{row.outcome}")
    session.flush()
    audit.record(session, actor=actor, action="recruitment.handle_report", entity_type="job_posting",
                 entity_id=posting.public_id, after={"state": row.state, "outcome": row.outcome})
    reporter = registry.person_pk(session, public_id=row.reporter)
    if reporter is not None:
        registry.notify(session, person_pk=reporter, kind="recruitment.report_handled", title="您的举报已核查",
                        body=f"您举报的“{posting.title}”：{service.REPORT_STATES[row.state]}。{row.outcome}",
                        link="/citizen/jobs")
    return row


def report_out(row: PostingReport, posting: JobPosting) -> schemas.ReportOut:
    return schemas.ReportOut(public_id=row.public_id, posting_id=posting.public_id, posting_title=posting.title,
                             reason=row.reason, reason_label=service.REPORT_REASONS[row.reason], detail=row.detail,
                             state=row.state, state_label=service.REPORT_STATES[row.state], outcome=row.outcome)


# ---- saved searches and the seeker's profile ----------------------------------------------------------

def save_search(session: Session, *, actor: Principal, name: str, criteria: schemas.SearchIn) -> SavedSearch:
    person = _person(session, actor)
    count = session.scalar(select(func.count(SavedSearch.id)).where(SavedSearch.person_id == person.id)) or 0
    if count >= 20:
        raise Conflict("最多保存20个搜索条件，请先删除不用的", code="renshe:recruitment/saved-limit")
    row = SavedSearch(person_id=person.id, name=name.strip()[:64],
                      criteria=criteria.model_dump(mode="json", exclude_defaults=True))
    session.add(row)
    session.flush()
    return row


def saved_searches(session: Session, *, actor: Principal) -> list[SavedSearch]:
    person = _person(session, actor)
    return list(session.scalars(select(SavedSearch).where(SavedSearch.person_id == person.id)
                                .order_by(SavedSearch.id)))


def delete_saved_search(session: Session, *, actor: Principal, public_id: str) -> None:
    person = _person(session, actor)
    row = session.scalar(select(SavedSearch).where(SavedSearch.public_id == public_id,
                                                   SavedSearch.person_id == person.id))
    if row is None:
        raise NotFound("该搜索条件", code="renshe:recruitment/saved-not-found")
    session.delete(row)
    session.flush()


def set_profile(session: Session, *, actor: Principal, data: schemas.ProfileIn) -> SeekerProfile:
    person = _person(session, actor)
    errors = list(registry.check_county(data.division_code, "division_code"))
    if session.get(Occupation, data.occupation_code) is None:
        errors.append(FieldError("occupation_code", "renshe:recruitment/occupation",
                                 f"职业编码 {data.occupation_code} 不在职业分类大典（2022）中"))
    if data.education and data.education not in rules.EDUCATION:
        errors.append(FieldError("education", "renshe:recruitment/education", "学历应为学历代码表中的一项"))
    if errors:
        raise ValidationFailed(errors)
    row = session.get(SeekerProfile, person.id) or SeekerProfile(person_id=person.id)
    row.person_name, row.occupation_code, row.division_code = person.name, data.occupation_code, data.division_code
    row.salary_expected_fen, row.education, row.updated_at = schemas.fen(data.salary_expected), data.education, utcnow()
    session.add(row)
    session.flush()
    return row


def profile_of(session: Session, *, actor: Principal) -> SeekerProfile | None:
    return session.get(SeekerProfile, _person(session, actor).id)


def profile_out(session: Session, row: SeekerProfile) -> schemas.ProfileOut:
    return schemas.ProfileOut(occupation_code=row.occupation_code,
                              occupation_name=service.occupation_name(session, row.occupation_code),
                              division_code=row.division_code, division_name=divisions.full_name(row.division_code),
                              salary_expected=schemas.yuan(row.salary_expected_fen), education=row.education,
                              education_label=service.EDUCATION_LABELS.get(row.education, "其他"))


# ---- matching -----------------------------------------------------------------------------------------

CANDIDATE_POOL = 2000


def seeker_of(row: SeekerProfile) -> rules.Seeker:
    return rules.Seeker(row.occupation_code, row.division_code, row.salary_expected_fen, row.education)


def job_of(row: JobPosting) -> rules.Job:
    return rules.Job(row.occupation_code, row.division_code, row.salary_max_fen, row.education)


def recommendations(session: Session, *, actor: Principal, limit: int = 10
                    ) -> list[tuple[rules.Score, JobPosting]]:
    """The seeker's best-scoring open postings: the pool is postings in the seeker's province or in their
    occupation's major category (newest CANDIDATE_POOL), each scored by `rules.score`."""
    profile = profile_of(session, actor=actor)
    if profile is None:
        return []
    pool = session.scalars(select(JobPosting).where(
        JobPosting.state == "published", JobPosting.expires_on >= service.today(),
        (JobPosting.division_code.startswith(profile.division_code[:2])
         | JobPosting.occupation_code.startswith(profile.occupation_code[:1])))
        .order_by(JobPosting.id.desc()).limit(CANDIDATE_POOL))
    seeker = seeker_of(profile)
    scored = sorted(((rules.score(seeker, job_of(p)), p) for p in pool), key=lambda sp: (-sp[0].total, -sp[1].id))
    return scored[:limit]


def candidates(session: Session, *, actor: Principal, public_id: str, limit: int = 20
               ) -> list[tuple[rules.Score, SeekerProfile]]:
    """For the employer or a clerk: the seekers whose profiles score best against a posting."""
    posting = service.get_row(session, public_id)
    if not (service.is_own(actor, posting, session) or service.staff_reaches(actor, posting)):
        raise NotFound("该岗位", code="renshe:recruitment/not-found")
    pool = session.scalars(select(SeekerProfile).where(and_(
        SeekerProfile.division_code.startswith(posting.division_code[:2]) |
        SeekerProfile.occupation_code.startswith(posting.occupation_code[:1])))
        .order_by(SeekerProfile.updated_at.desc()).limit(CANDIDATE_POOL))
    job = job_of(posting)
    scored = sorted(((rules.score(seeker_of(s), job), s) for s in pool), key=lambda ss: (-ss[0].total, ss[1].person_id))
    return scored[:limit]


def score_out(score: rules.Score) -> list[schemas.PartOut]:
    return [schemas.PartOut(feature=p.feature, label=p.label, points=p.points, weight=p.weight, why=p.why)
            for p in score.parts]


def posting_of(session: Session, application: JobApplication) -> JobPosting:
    found = session.get(JobPosting, application.posting_id)
    if found is None:
        raise NotFound("该岗位", code="renshe:recruitment/not-found")
    return found


def report_posting(session: Session, row: PostingReport) -> JobPosting:
    found = session.get(JobPosting, row.posting_id)
    if found is None:
        raise NotFound("该岗位", code="renshe:recruitment/not-found")
    return found


def division_name(code: str) -> str:
    return divisions.full_name(code)


def saved_out(row: SavedSearch) -> schemas.SavedSearchOut:
    return schemas.SavedSearchOut(public_id=row.public_id, name=row.name,
                                  criteria=schemas.SearchIn.model_validate(row.criteria))


def statistics(session: Session, *, prefix: str, months: list[str]) -> dict[str, Any]:
    """For the supervisor's dashboard, within the division PREFIX: open postings and their headcount now,
    and postings published, applications and hires a month over MONTHS. Postings from other provinces (the
    hub's national index) count where they are."""
    since = datetime.combine(monthly.first_day(months), datetime.min.time(), service.SHANGHAI)
    post = JobPosting
    mine = post.division_code.startswith(prefix)
    open_now = session.execute(select(func.count(), func.sum(post.headcount)).where(
        mine, post.state == "published", post.expires_on >= service.today())).one()
    published = session.execute(select(func.date(post.published_at), func.count())
                                .where(mine, post.published_at >= since).group_by(func.date(post.published_at))).all()
    app = JobApplication
    applied = session.execute(select(func.date(app.submitted_at), func.count()).join(post, post.id == app.posting_id)
                              .where(mine, app.submitted_at >= since).group_by(func.date(app.submitted_at))).all()
    hired = session.execute(select(func.date(app.answered_at), func.count()).join(post, post.id == app.posting_id)
                            .where(mine, app.state == "hired", app.answered_at >= since)
                            .group_by(func.date(app.answered_at))).all()
    return {"open_postings": int(open_now[0] or 0), "open_headcount": int(open_now[1] or 0),
            "published": monthly.by_month([(d, n) for d, n in published], months),
            "applications": monthly.by_month([(d, n) for d, n in applied], months),
            "hires": monthly.by_month([(d, n) for d, n in hired], months)}
