"""Unemployment registration as a closed loop: registered at the window (API) or through the hall's 失业登记 item,
refused while employed or already registered (the rule named), a service record dated with who served, an exit
with a reason from the national list (audited and told to the person), automatic exit when a pension starts;
another province sees the registration through the sharing catalog's `unemployment-registration` answer."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core.auth import SYSTEM
from renshe.core.errors import DomainError
from renshe.core.events import record_event
from renshe.core.models import AuditEntry
from renshe.hall.applications import service as hall
from renshe.registry.models import Notice
from renshe.sharing import service as sharing
from renshe.unemployment import codes, service
from renshe.unemployment.models import UnemploymentRegistration
from tests.factories import bearer
from tests.unemployment import kit

pytestmark = pytest.mark.usefixtures("call_log_inline")  # the app shares the test connection


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    from renshe.hall import clock
    monkeypatch.setattr(clock, "today", lambda: kit.TODAY)
    monkeypatch.setattr(service, "today", lambda: kit.TODAY)


def test_window_registration_service_record_and_exit_over_the_api(session: Session, client: Any) -> None:
    who = kit.unemployed(session, card=False)
    clerk, _ = kit.staff(session)
    session.commit()
    body = {"id_number": who.id_number, "place": "workplace", "job_intention": "仓储管理"}
    employed = client.post("/api/v1/unemployment/registrations", json=body, headers=bearer(clerk))
    assert employed.status_code == 422
    assert employed.headers["content-type"].startswith("application/problem+json")
    assert employed.json()["type"] == "renshe:unemployment/open-employment"
    assert employed.json()["errors"][0]["field"] == "separation_date"
    kit.end_job(session, who.employer, who.relation)
    session.commit()
    made = client.post("/api/v1/unemployment/registrations", json=body, headers=bearer(clerk))
    assert made.status_code == 201, made.text
    registration = made.json()
    assert (registration["place_label"], registration["channel_label"], registration["status_label"]) == (
        "常住就业地", "窗口办理", "已登记（失业）")
    again = client.post("/api/v1/unemployment/registrations", json=body, headers=bearer(clerk))
    assert (again.status_code, again.json()["type"]) == (409, "renshe:unemployment/already-registered")
    path = f"/api/v1/unemployment/registrations/{registration['public_id']}"
    bad = client.post(f"{path}/services", json={"kind": "massage", "served_on": "2026-12-02", "detail": "x"},
                      headers=bearer(clerk))
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"kind", "detail"}
    served = client.post(f"{path}/services", json={"kind": "job_recommendation", "served_on": "2026-12-02",
                                                   "detail": "推荐某物流公司仓管员岗位", "outcome": "已面试"},
                         headers=bearer(clerk))
    assert served.status_code == 201, served.text
    assert (served.json()["kind_label"], served.json()["served_by"]) == ("职业介绍（推荐岗位）", "unemp-clerk")
    listed = client.get("/api/v1/unemployment/registrations?status=open&limit=1", headers=bearer(clerk)).json()
    assert [r["public_id"] for r in listed["items"]] == [registration["public_id"]]
    # another province (a consumer of the sharing gateway) sees the registration
    answer = sharing.query_person(session, short_name="unemployment-registration", id_number=who.id_number)
    assert answer["found"] is True
    assert answer["registered"] is True
    assert answer["registration"]["division_code"] == "110105"
    no_note = client.post(f"{path}/exit", json={"reason": "other", "on": "2026-12-02"}, headers=bearer(clerk))
    assert (no_note.status_code, no_note.json()["type"]) == (422, "renshe:unemployment/exit-note")
    assert no_note.json()["errors"][0]["field"] == "note"
    exited = client.post(f"{path}/exit", json={"reason": "school", "on": "2026-12-02"}, headers=bearer(clerk))
    assert exited.status_code == 200, exited.text
    assert exited.json()["status_label"] == "已注销"
    assert exited.json()["exit_reason_label"] == codes.EXIT_REASONS["school"]
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "unemployment.exit")) is not None
    notice = session.scalar(select(Notice).where(Notice.person_id == who.person.id,
                                                 Notice.kind == "unemployment.exited"))
    assert notice is not None
    assert "入学" in notice.body
    answer = sharing.query_person(session, short_name="unemployment-registration", id_number=who.id_number)
    assert answer["registered"] is False
    assert answer["last_exit"]["reason"] == "school"
    # the citizen sees it all on their own page
    page = client.get("/citizen/unemployment", headers=bearer(who.citizen))
    assert page.status_code == 200
    assert "推荐某物流公司仓管员岗位" in page.text
    assert "入学" in page.text
    staff_page = client.get(f"/staff/unemployment/registrations/{registration['public_id']}", headers=bearer(clerk))
    assert staff_page.status_code == 200
    assert "已注销" in staff_page.text


def test_hall_registration_item_and_the_exit_when_a_pension_starts(session: Session) -> None:
    kit.load_catalog(session)
    who = kit.unemployed(session, card=False, ended=True)
    clerk, _ = kit.staff(session)
    form = {"separation_date": "2025-05-31", "job_intention": "餐饮服务", "pledge": True}
    application = hall.submit(session, actor=who.citizen, item_code="unemployment-registration", data=form)
    hall.act(session, actor=clerk, application=application, action="accept")
    hall.act(session, actor=clerk, application=application, action="approve", reason="符合登记条件")
    registration = session.scalar(select(UnemploymentRegistration).where(
        UnemploymentRegistration.person_id == who.person.id))
    assert registration is not None
    assert (registration.channel, registration.application_number, registration.job_intention) == (
        "online", application.number, "餐饮服务")
    with pytest.raises(DomainError) as twice:
        hall.submit(session, actor=who.citizen, item_code="unemployment-registration", data=form)
    assert twice.value.code == "renshe:unemployment/already-registered"
    record_event(session, "pension.awarded", {"award": "x", "person": who.person.public_id, "province": "110000",
                                              "start_month": "2026-12", "monthly_fen": 300000})
    kit.deliver(session)
    session.refresh(registration)
    assert (registration.status, registration.exit_reason, registration.exited_on, registration.exited_by) == (
        "exited", "pension", date(2026, 12, 2), SYSTEM.subject)  # the pension's month, not before the registration


def test_another_province_queries_the_registration_through_the_gateway(session: Session, client: Any) -> None:
    who = kit.unemployed(session, card=False, ended=True)
    service.register(session, actor=SYSTEM, person=who.person, data=service.NewRegistration(
        place="residence", division_code="110105", channel="window", registered_on=kit.TODAY,
        job_intention="仓储管理"))
    consumer, secret = sharing.add_consumer(session, actor=SYSTEM, name="浙江省杭州市人力资源和社会保障局",
                                            grants=["unemployment-registration"], purpose="跨省核验失业登记",
                                            legal_basis="《就业服务与就业管理规定》")
    session.commit()
    token = client.post("/share/v1/token", data={"grant_type": "client_credentials",
                                                 "client_id": consumer.client_id, "client_secret": secret})
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    answer = client.post("/share/v1/query/unemployment-registration", headers=headers,
                         json={"id_number": who.id_number})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["found"], body["registered"], body["registration"]["registered_on"]) == (True, True, "2026-12-02")
    assert body["registration"]["division_name"]
    refused = client.post("/share/v1/query/person-basic", headers=headers, json={"id_number": who.id_number})
    assert refused.status_code == 403  # only the granted resource
