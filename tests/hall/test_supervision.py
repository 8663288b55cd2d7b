"""超期督办: overdue and near-due applications listed for supervisors of the division and above (not for
another county's clerk), 补正 pauses counted, notices to the handling office seen on its queue, the
periodic scan issuing and escalating notices idempotently (also as `renshe hall scan-overdue`), and the
on-time statistics with a chart and its data table."""

from __future__ import annotations

import json
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from renshe.core import workdays
from renshe.core.auth import SYSTEM, Principal
from renshe.core.errors import Conflict, Forbidden
from renshe.core.models import AuditEntry, OutboxEvent
from renshe.hall import clock
from renshe.hall.applications import reading, service
from renshe.hall.models import Application, SupervisionNotice
from renshe.hall.oversight import service as supervision
from tests import factories
from tests.factories import bearer
from tests.hall.conftest import OTHER_COUNTY, benefit_form, benefit_uploads, citizen_of

ACCEPTED_ON = date(2026, 11, 2)  # a Monday; promised limit 5 working days → due 2026-11-09
LATER = date(2026, 11, 12)  # three working days past due


def _on(monkeypatch: pytest.MonkeyPatch, day: date) -> None:
    monkeypatch.setattr(clock, "today", lambda: day)


def _accepted(session: Session, monkeypatch: pytest.MonkeyPatch, application: Application, clerk: Principal,
              day: date = ACCEPTED_ON) -> Application:
    _on(monkeypatch, day)
    return service.act(session, actor=clerk, application=application, action="accept")


def _other_county_application(session: Session, monkeypatch: pytest.MonkeyPatch, other_clerk: Principal
                              ) -> Application:
    person = factories.person(session, county=OTHER_COUNTY, name="李海淀", phone="13600001108")
    application = service.submit(session, actor=citizen_of(person), item_code="unemployment-benefit",
                                 data=benefit_form(), uploads=benefit_uploads())
    return _accepted(session, monkeypatch, application, other_clerk)


def test_overdue_application_is_listed_for_the_supervisor_not_for_another_countys_clerk(
        session: Session, submitted: Application, clerk: Principal, other_clerk: Principal, supervisor: Principal,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _accepted(session, monkeypatch, submitted, clerk)
    assert submitted.due_date == date(2026, 11, 9)
    other = _other_county_application(session, monkeypatch, other_clerk)
    _on(monkeypatch, LATER)
    overdue, _ = supervision.watch_list(session, actor=supervisor)
    assert {a.number for a in overdue} == {submitted.number, other.number}  # the city sees both counties
    assert reading.deadline(session, submitted).overdue
    # The other county's clerk sees only their own county's overdue work, never this one.
    theirs, _ = reading.queue(session, actor=other_clerk, overdue=True, state="accepted")
    assert [a.number for a in theirs] == [other.number]
    county_supervisor = factories.staff_user(session, username="sup-105", roles=("supervisor",), division="110105")
    assert [a.number for a in supervision.watch_list(session, actor=county_supervisor)[0]] == [submitted.number]
    with pytest.raises(Forbidden):
        supervision.watch_list(session, actor=other_clerk)
    assert supervision.counts(session, actor=supervisor) == {"overdue": 2, "near": 0}


def test_near_due_and_the_supplement_pause(
        session: Session, submitted: Application, clerk: Principal, reviewer: Principal, citizen: Principal,
        supervisor: Principal, monkeypatch: pytest.MonkeyPatch) -> None:
    _accepted(session, monkeypatch, submitted, clerk)
    _on(monkeypatch, date(2026, 11, 5))  # 2 working days left
    assert [a.number for a in supervision.watch_list(session, actor=supervisor, kind="near")[0]] == [submitted.number]
    service.act(session, actor=reviewer, application=submitted, action="request_supplement",
                supplement=["请补充银行卡复印件"])
    _on(monkeypatch, LATER)  # past the original due date, but the clock stopped on 11-05
    assert supervision.watch_list(session, actor=supervisor)[0] == []
    assert not reading.deadline(session, submitted).overdue
    service.act(session, actor=citizen, application=submitted, action="resubmit", data={})
    assert submitted.due_date == workdays.calendar(session).add_workdays(date(2026, 11, 9), 5)
    assert supervision.watch_list(session, actor=supervisor)[0] == []


def test_notice_reaches_the_handling_office_and_is_audited(
        session: Session, submitted: Application, clerk: Principal, supervisor: Principal, other_clerk: Principal,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _accepted(session, monkeypatch, submitted, clerk)
    with pytest.raises(Conflict):  # not yet near due
        supervision.issue_notice(session, actor=supervisor, application=submitted, message="请尽快办理")
    _on(monkeypatch, LATER)
    with pytest.raises(Forbidden):
        supervision.issue_notice(session, actor=clerk, application=submitted, message="请尽快办理")
    notice = supervision.issue_notice(session, actor=supervisor, application=submitted, message="请于两日内办结")
    assert (notice.level, notice.handling_division, notice.supervising_division) == (1, "110105", "110100")
    assert [n.id for n, _ in supervision.open_notices(session, actor=clerk)] == [notice.id]
    assert supervision.open_notices(session, actor=other_clerk) == []
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "hall.supervision_notice")) is not None
    assert session.scalar(select(OutboxEvent).where(OutboxEvent.topic == "hall.supervision_notice_issued"))


def test_scan_issues_and_escalates_once(
        session: Session, submitted: Application, clerk: Principal, reviewer: Principal,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _accepted(session, monkeypatch, submitted, clerk)
    first = supervision.scan(session, actor=SYSTEM, day=LATER)
    assert (first.overdue, first.issued, first.escalated) == (1, 1, 0)
    assert first.by_division == {"110105": 1}
    again = supervision.scan(session, actor=SYSTEM, day=LATER)
    assert (again.issued, again.escalated, again.closed) == (0, 0, 0)  # idempotent
    notice = session.scalars(select(SupervisionNotice)).one()
    assert notice.supervising_division == "110000"  # 北京's counties sit directly under the province
    assert notice.escalate_on == workdays.calendar(session).add_workdays(LATER, 3)
    late = supervision.scan(session, actor=SYSTEM, day=notice.escalate_on)
    assert late.escalated == 1
    levels = session.scalars(select(SupervisionNotice).order_by(SupervisionNotice.level)).all()
    assert [(n.level, n.handling_division, n.status) for n in levels] == [(1, "110105", "escalated"),
                                                                         (2, "110000", "open")]
    assert supervision.scan(session, actor=SYSTEM, day=notice.escalate_on).escalated == 0
    top = supervision.scan(session, actor=SYSTEM, day=levels[1].escalate_on)
    assert top.escalated == 0  # the province is the top of a province node
    # Decided: the open notice is closed by the next scan.
    _on(monkeypatch, levels[1].escalate_on)
    service.act(session, actor=reviewer, application=submitted, action="review")
    service.act(session, actor=reviewer, application=submitted, action="approve")
    assert supervision.scan(session, actor=SYSTEM, day=levels[1].escalate_on).closed == 1
    assert submitted.on_time is False
    assert submitted.elapsed_workdays == workdays.calendar(session).workdays_between(ACCEPTED_ON,
                                                                                      levels[1].escalate_on)


def test_scan_command_is_idempotent(session: Session, submitted: Application, clerk: Principal,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from renshe.cli import app

    _accepted(session, monkeypatch, submitted, clerk)
    runner = CliRunner()
    first = runner.invoke(app, ["hall", "scan-overdue", "--day", LATER.isoformat(), "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["issued"] == 1
    second = runner.invoke(app, ["hall", "scan-overdue", "--day", LATER.isoformat()])
    assert second.exit_code == 0
    assert "新发督办 0 件" in second.output
    bad = runner.invoke(app, ["hall", "scan-overdue", "--day", "2026-13-01"])
    assert bad.exit_code == 1


def test_statistics_and_pages(
        client: TestClient, session: Session, catalog: int, clerk: Principal, reviewer: Principal,
        supervisor: Principal, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.unemployment import kit as unemployment_kit

    people = [factories.person(session, county="110105", name=f"张{n}", phone="13912345678") for n in "一二三"]
    for i, person in enumerate(people):
        unemployment_kit.insure(session, person, first=date(2025, 1, 1), last=date(2025, 12, 1), ended=True,
                                separated=date(2026, 1, 31))  # the claim's checks pass: it can be approved
        application = service.submit(session, actor=citizen_of(person), item_code="unemployment-benefit",
                                     data=benefit_form(), uploads=benefit_uploads())
        _accepted(session, monkeypatch, application, clerk)
        _on(monkeypatch, date(2026, 11, 4) if i < 2 else LATER)
        service.act(session, actor=reviewer, application=application, action="review")
        service.act(session, actor=reviewer, application=application, action="approve")
    offices, items = supervision.statistics(session, actor=supervisor, since=date(2026, 1, 1),
                                            until=date(2026, 12, 31))
    assert [(r.division_code, r.decided, r.on_time, r.on_time_rate, r.average_workdays) for r in offices] == [
        ("110105", 3, 2, 66.7, round((2 + 2 + 8) / 3, 1))]
    assert items[0].item_name == "失业保险金申领"
    stats = client.get("/api/v1/hall/supervision/stats", params={"since": "2026-01-01", "until": "2026-12-31"},
                       headers=bearer(supervisor)).json()
    assert stats["offices"][0]["on_time_rate"] == 66.7
    page = client.get("/staff/hall/supervision/stats?since=2026-01-01&until=2026-12-31", headers=bearer(supervisor))
    assert page.status_code == 200
    assert 'role="img"' in page.text
    assert 'aria-describedby="table-offices"' in page.text
    assert "66.7%" in page.text
    assert client.get("/staff/hall/supervision", headers=bearer(supervisor)).status_code == 200
    assert client.get("/staff/hall/supervision", headers=bearer(clerk)).status_code == 403


def test_supervision_api_lists_and_notices(
        client: TestClient, session: Session, submitted: Application, clerk: Principal, supervisor: Principal,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _accepted(session, monkeypatch, submitted, clerk)
    _on(monkeypatch, LATER)
    listed = client.get("/api/v1/hall/supervision", headers=bearer(supervisor)).json()["items"]
    assert [a["number"] for a in listed] == [submitted.number]
    assert listed[0]["deadline"]["overdue"] is True
    sent = client.post(f"/api/v1/hall/supervision/{submitted.public_id}/notices", json={"message": "请即办理"},
                       headers=bearer(supervisor))
    assert sent.status_code == 201, sent.text
    seen = client.get("/api/v1/hall/supervision/notices", headers=bearer(clerk)).json()
    assert [n["number"] for n in seen] == [submitted.number]
    queue = client.get("/staff/hall", headers=bearer(clerk))
    assert "督办通知" in queue.text
    assert submitted.number in queue.text
    assert client.get("/api/v1/hall/supervision", headers=bearer(clerk)).status_code == 403


def test_demo_seed_files_sample_applications(session: Session, catalog: int, supervisor: Principal) -> None:
    from renshe.hall import demo as demo_data
    from renshe.hall.reviews import service as reviews

    for n in "甲乙丙丁戊己":
        factories.person(session, county="110105", name=f"示例{n}", phone="13912345678")
    assert demo_data.seed(session) == 6
    assert supervision.counts(session, actor=supervisor)["overdue"] == 2
    assert [c.status for c, _, _ in reviews.cases(session, actor=supervisor)] == ["open"]
