"""好差评: one rating per decided application, refused before the decision and the second time; a bad
review opens a rectification case with a callback, a working-day deadline, an outcome and publication;
the dashboards count by item, office and month; the window tablet page rates through a signed token."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from renshe.core import workdays
from renshe.core.auth import Principal
from renshe.core.errors import Conflict, Forbidden, Unauthorized, ValidationFailed
from renshe.core.models import AuditEntry, OutboxEvent
from renshe.hall import clock
from renshe.hall.applications import service
from renshe.hall.models import Application, Rectification, Review
from renshe.hall.reviews import service as reviews
from tests.factories import bearer
from tests.hall.test_api import citizen_headers


def decide(session: Session, application: Application, clerk: Principal, reviewer: Principal) -> Application:
    service.act(session, actor=clerk, application=application, action="accept")
    service.act(session, actor=reviewer, application=application, action="review")
    return service.act(session, actor=reviewer, application=application, action="approve", reason="符合条件")


def test_rating_before_the_decision_is_refused(session: Session, submitted: Application, citizen: Principal,
                                              clerk: Principal) -> None:
    with pytest.raises(Conflict) as early:
        reviews.rate(session, actor=citizen, application=submitted, level=5)
    assert early.value.code == "renshe:hall/rate-not-decided"
    service.act(session, actor=clerk, application=submitted, action="accept")
    with pytest.raises(Conflict):
        reviews.rate(session, actor=citizen, application=submitted, level=5)


def test_rating_twice_is_refused_and_the_database_holds_one(
        session: Session, submitted: Application, citizen: Principal, clerk: Principal, reviewer: Principal) -> None:
    decide(session, submitted, clerk, reviewer)
    review = reviews.rate(session, actor=citizen, application=submitted, level=4,
                          scores={"overall": 4, "efficiency": "5"}, comment="办得快")
    assert review.scores == {"overall": 4, "efficiency": 5}
    with pytest.raises(Conflict) as twice:
        reviews.rate(session, actor=citizen, application=submitted, level=1, comment="再评一次")
    assert twice.value.code == "renshe:hall/rate-once"
    duplicate = Review(application_id=submitted.id, division_code="110105", item_code="x", level=3, scores={},
                       comment="", channel="window", rated_by="x", rated_on=date.today())
    nested = session.begin_nested()
    session.add(duplicate)
    with pytest.raises(IntegrityError):  # the unique constraint, not only the check
        session.flush()
    nested.rollback()
    assert session.query(Rectification).count() == 0  # a good review opens no case


def test_only_the_applicant_rates_online_and_values_are_checked(
        session: Session, submitted: Application, citizen: Principal, clerk: Principal, reviewer: Principal) -> None:
    decide(session, submitted, clerk, reviewer)
    with pytest.raises(Forbidden):
        reviews.rate(session, actor=clerk, application=submitted, level=5)
    with pytest.raises(ValidationFailed) as bad:
        reviews.rate(session, actor=citizen, application=submitted, level=2, scores={"overall": 9, "made_up": 3})
    assert {e.field for e in bad.value.errors} == {"scores.overall", "scores.made_up", "comment"}


def test_bad_review_opens_a_rectification_case_seen_up_the_hierarchy(
        session: Session, submitted: Application, citizen: Principal, clerk: Principal, reviewer: Principal,
        supervisor: Principal, other_clerk: Principal, monkeypatch: pytest.MonkeyPatch) -> None:
    decide(session, submitted, clerk, reviewer)
    monkeypatch.setattr(clock, "today", lambda: date(2026, 9, 25))  # before the National Day holidays
    reviews.rate(session, actor=citizen, application=submitted, level=1, comment="态度生硬，多次让我跑腿")
    case = session.query(Rectification).one()
    assert case.status == "open"
    assert case.deadline == workdays.calendar(session).add_workdays(date(2026, 9, 25), 15)
    assert case.deadline == date(2026, 10, 22)  # 15 working days across the National Day holidays
    assert [c.public_id for c, _, _ in reviews.cases(session, actor=supervisor)] == [case.public_id]
    assert [c.public_id for c, _, _ in reviews.cases(session, actor=clerk)] == [case.public_id]
    assert reviews.cases(session, actor=other_clerk) == []
    topics = [e.topic for e in session.query(OutboxEvent).order_by(OutboxEvent.id)]
    assert "hall.application_reviewed" in topics
    assert "hall.rectification_opened" in topics

    with pytest.raises(ValidationFailed):  # no outcome before the callback
        reviews.close_case(session, actor=clerk, case_=case, outcome="rectified", note="已整改")
    reviews.record_callback(session, actor=clerk, case_=case, note="已电话回访，申请人反映窗口解释不清")
    with pytest.raises(ValidationFailed) as summary:  # publishing needs an anonymised summary
        reviews.close_case(session, actor=clerk, case_=case, outcome="rectified", note="已组织窗口培训", publish=True)
    assert summary.value.errors[0].field == "public_summary"
    reviews.close_case(session, actor=clerk, case_=case, outcome="rectified", note="已组织窗口人员业务培训",
                       public_summary="窗口一次性告知不到位，已组织业务培训并完善告知单", publish=True)
    assert case.status == "closed"
    assert case.on_time is True
    public = reviews.public_cases(session)
    assert len(public) == 1
    assert public[0].summary == "窗口一次性告知不到位，已组织业务培训并完善告知单"
    assert "王秀英" not in repr(public[0])
    assert "跑腿" not in repr(public[0])
    actions = {a.action for a in session.query(AuditEntry).filter(AuditEntry.action.like("hall.rectification%"))}
    assert actions == {"hall.rectification_open", "hall.rectification_callback", "hall.rectification_close"}
    board = reviews.dashboard(session, actor=supervisor, since=date(2026, 1, 1))
    assert board["rectification"] == {"closed": 1, "on_time": 1, "open": 0, "on_time_rate": 100.0}
    assert [(s.label, s.count, s.bad) for s in board["by_item"]] == [("失业保险金申领", 1, 1)]
    assert [s.key for s in board["by_month"]] == ["2026-09"]


def test_rectification_deadline_is_configurable(
        session: Session, submitted: Application, citizen: Principal, clerk: Principal, reviewer: Principal,
        monkeypatch: pytest.MonkeyPatch) -> None:
    decide(session, submitted, clerk, reviewer)
    monkeypatch.setenv("RENSHE_HALL_RECTIFY_DAYS", "5")
    monkeypatch.setattr(clock, "today", lambda: date(2026, 11, 2))
    reviews.rate(session, actor=citizen, application=submitted, level=2, comment="材料要求不清楚")
    assert session.query(Rectification).one().deadline == date(2026, 11, 9)


def test_rating_over_http_twice_is_409_and_pages_render(
        client: TestClient, session: Session, submitted: Application, citizen: Principal, clerk: Principal,
        reviewer: Principal, supervisor: Principal) -> None:
    url = f"/api/v1/hall/applications/{submitted.public_id}/rating"
    early = client.post(url, json={"level": 5}, headers=citizen_headers(citizen))
    assert early.status_code == 409
    assert early.json()["type"] == "renshe:hall/rate-not-decided"
    decide(session, submitted, clerk, reviewer)
    first = client.post(url, json={"level": 1, "comment": "办理太慢了", "scores": {"efficiency": 1}},
                        headers=citizen_headers(citizen))
    assert first.status_code == 201, first.text
    assert first.json()["rectification"]
    again = client.post(url, json={"level": 5}, headers=citizen_headers(citizen))
    assert again.status_code == 409
    assert again.json()["type"] == "renshe:hall/rate-once"
    cases = client.get("/api/v1/hall/rectifications", headers=bearer(supervisor)).json()
    assert [c["level_label"] for c in cases] == ["非常不满意"]
    page = client.get("/staff/hall/reviews", headers=bearer(supervisor))
    assert page.status_code == 200, page.text
    assert "<svg" in page.text
    assert 'role="img"' in page.text
    assert "table-sat-items" in page.text
    detail = client.get(f"/staff/hall/rectifications/{cases[0]['public_id']}", headers=bearer(supervisor))
    assert detail.status_code == 200
    dash = client.get("/api/v1/hall/reviews/dashboard", headers=bearer(supervisor)).json()
    assert dash["by_item"][0]["bad"] == 1
    assert client.get("/hall/rectified").status_code == 200


def test_window_tablet_rates_once_through_a_signed_token(
        client: TestClient, session: Session, submitted: Application, clerk: Principal, reviewer: Principal) -> None:
    decide(session, submitted, clerk, reviewer)
    opened = client.post(f"/staff/hall/applications/{submitted.public_id}/rate-window", headers=bearer(clerk),
                         follow_redirects=False)
    assert opened.status_code == 303
    url = opened.headers["location"]
    assert re.fullmatch(r"/hall/rate/[A-Za-z0-9_-]+", url)
    assert "请您对本次服务作出评价" in client.get(url).text
    missing = client.post(url, data={"comment": ""})
    assert missing.status_code == 422
    assert "请选择评价等级" in missing.text
    done = client.post(url, data={"level": "5", "score_attitude": "5"}, follow_redirects=False)
    assert done.status_code == 303
    assert session.query(Review).one().channel == "window"
    assert "感谢您的评价" in client.get(url).text
    assert client.post(url, data={"level": "1", "comment": "再来一次"}).status_code == 409
    with pytest.raises(Unauthorized):
        reviews.read_token(url.rsplit("/", 1)[1][:-2] + "AA")


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=80))
def test_no_forged_token_is_accepted(token: str) -> None:
    with pytest.raises(Unauthorized):
        reviews.read_token(token)
