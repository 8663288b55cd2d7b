"""The workflow: submit, accept, review, decide, deliver; supplement pauses the clock; maker ≠ checker;
queues by division and role; overdue in the data exposed; window and family (代办) applications."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core.auth import Principal
from renshe.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from renshe.core.models import AuditEntry, OutboxEvent, OutgoingMessage
from renshe.hall import clock, schemas
from renshe.hall.applications import materials as hall_materials
from renshe.hall.applications import reading, service
from renshe.hall.models import Application, Transition
from renshe.hall.window import service as window
from renshe.registry.models import Person
from tests import factories
from tests.hall.conftest import OTHER_COUNTY, PDF, benefit_form, benefit_uploads, citizen_of


def _on(monkeypatch: pytest.MonkeyPatch, day: date) -> None:
    monkeypatch.setattr(clock, "today", lambda: day)


def test_locked_fields_come_from_the_platform_whatever_was_submitted(
        session: Session, catalog: int, citizen: Principal, applicant: Person) -> None:
    application = service.submit(session, actor=citizen, item_code="unemployment-benefit",
                                 data=benefit_form(name="冒名顶替", id_number="110105198005170000",
                                                   phone="13000000000"),
                                 uploads=benefit_uploads())
    data = reading.form_data(application)
    assert data["name"] == "王秀英"
    assert data["phone"] == "13912345678"
    assert data["id_number"] != "110105198005170000"
    assert data["id_number"].startswith("110105")
    assert set(application.prefill) >= {"name", "id_number", "sex", "phone", "residence_division"}
    assert application.prefill["name"]["resource"] == "person-basic"
    view = {v.name: v for v in reading.form_view(session, application, actor=citizen)}
    assert view["name"].locked
    assert view["name"].provenance is not None
    assert not view["bank_account"].locked
    assert view["id_number"].value == data["id_number"]  # the applicant sees their own data in full (API)
    # on the applicant's screen, masked until they ask (issue 9, item 18)
    screen = {v.name: v for v in reading.form_view(session, application, actor=citizen, mask_own=True)}
    assert screen["id_number"].masked
    asked = {v.name: v for v in reading.form_view(session, application, actor=citizen, mask_own=True, unmask=True)}
    assert asked["id_number"].value == data["id_number"]


def test_staff_see_personal_numbers_masked(session: Session, submitted: Application, clerk: Principal) -> None:
    view = {v.name: v for v in reading.form_view(session, submitted, actor=clerk)}
    assert view["bank_account"].masked
    assert re.fullmatch(r"6222\*+3445", view["bank_account"].value)
    assert view["phone"].value == "139****5678"
    with pytest.raises(Forbidden):
        reading.form_view(session, submitted, actor=clerk, unmask=True)  # no pii.unmask grant


def test_missing_material_and_wrong_file_type_are_refused_per_field(
        session: Session, catalog: int, citizen: Principal) -> None:
    with pytest.raises(ValidationFailed) as missing:
        service.submit(session, actor=citizen, item_code="unemployment-benefit", data=benefit_form())
    assert [(e.field, e.message) for e in missing.value.errors] == [
        ("materials.separation_proof", "请上传“终止或解除劳动关系证明”（必交材料）")]
    fake = hall_materials.Upload("separation_proof", "证明.pdf", b"MZ\x90\x00 an executable named .pdf")
    with pytest.raises(ValidationFailed) as wrong:
        service.submit(session, actor=citizen, item_code="unemployment-benefit", data=benefit_form(), uploads=[fake])
    assert wrong.value.errors[0].code == "renshe:hall/material-type"


def test_material_size_limit_is_configurable(session: Session, catalog: int, citizen: Principal,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RENSHE_HALL_MAX_UPLOAD_MB", "0.00001")  # about 10 bytes
    with pytest.raises(ValidationFailed) as big:
        service.submit(session, actor=citizen, item_code="unemployment-benefit", data=benefit_form(),
                       uploads=benefit_uploads())
    assert big.value.errors[0].code == "renshe:hall/material-too-large"


def test_full_flow_is_audited_emitted_and_the_decision_keeps_a_snapshot(
        session: Session, submitted: Application, clerk: Principal, reviewer: Principal, citizen: Principal,
        upload_dir: object) -> None:
    app = submitted
    materials = hall_materials.materials_of(session, app)
    assert len(materials) == 1
    assert len(materials[0].sm3) == 64
    assert hall_materials.material_path(materials[0]).read_bytes() == PDF
    service.act(session, actor=clerk, application=app, action="accept")
    assert app.state == "accepted"
    assert app.accepted_by == clerk.subject
    assert app.due_date is not None
    service.act(session, actor=reviewer, application=app, action="review", reason="材料齐全，符合条件")
    service.act(session, actor=reviewer, application=app, action="approve")
    assert app.state == "approved"
    assert app.decision == "approved"
    snapshot = service.decision_of(session, app)
    assert snapshot is not None
    frozen = service.snapshot_data(app, snapshot)
    assert frozen["form"]["name"] == "王秀英"
    assert frozen["materials"][0]["sm3"] == materials[0].sm3
    assert frozen["prefill"]["name"]["resource"] == "person-basic"
    assert frozen["accepted_by"] == clerk.subject
    service.act(session, actor=clerk, application=app, action="deliver", delivery_method="electronic")
    assert app.state == "delivered"

    steps = session.scalars(select(Transition.action).where(Transition.application_id == app.id)
                            .order_by(Transition.seq)).all()
    assert steps == ["submit", "accept", "review", "approve", "deliver"]
    audited = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == app.public_id)).all()
    assert {"hall.submit", "hall.accept", "hall.review", "hall.approve", "hall.deliver"} <= set(audited)
    topics = session.scalars(select(OutboxEvent.topic).where(OutboxEvent.topic.like("hall.%"))).all()
    assert {"hall.application_submitted", "hall.application_accepted", "hall.application_approved",
            "hall.application_delivered"} <= set(topics)
    out = reading.application_out(session, app, actor=citizen)
    assert [t.action for t in out.timeline] == steps
    assert out.decision == "approved"
    assert out.accepted_by is None


def test_the_clerk_who_accepted_cannot_review_even_holding_both_roles(
        session: Session, submitted: Application, clerk_reviewer: Principal, reviewer: Principal) -> None:
    service.act(session, actor=clerk_reviewer, application=submitted, action="accept")
    with pytest.raises(Forbidden) as refused:
        service.act(session, actor=clerk_reviewer, application=submitted, action="review")
    assert refused.value.code == "renshe:hall/same-handler"
    assert "review" not in {s.action for s in reading.available_actions(session, clerk_reviewer, submitted)}
    service.act(session, actor=reviewer, application=submitted, action="review")


def test_a_refused_transition_names_the_state_and_the_action(
        session: Session, submitted: Application, reviewer: Principal) -> None:
    with pytest.raises(Conflict) as refused:
        service.act(session, actor=reviewer, application=submitted, action="approve")
    assert refused.value.code == "renshe:hall/transition-not-allowed"
    assert "已提交，待受理" in refused.value.detail
    assert "办结：准予" in refused.value.detail
    assert "state=submitted" in refused.value.detail
    assert "action=approve" in refused.value.detail


def test_reject_and_refuse_need_a_reason(session: Session, submitted: Application, clerk: Principal) -> None:
    with pytest.raises(ValidationFailed) as missing:
        service.act(session, actor=clerk, application=submitted, action="reject", reason="  ")
    assert missing.value.errors[0].field == "reason"
    service.act(session, actor=clerk, application=submitted, action="reject", reason="不属于本机关受理范围")
    assert submitted.state == "rejected"


def test_supplement_pauses_the_clock_and_resubmission_resumes_it(
        session: Session, submitted: Application, clerk: Principal, citizen: Principal,
        monkeypatch: pytest.MonkeyPatch) -> None:
    app = submitted
    _on(monkeypatch, date(2026, 3, 2))  # Monday
    service.act(session, actor=clerk, application=app, action="accept")
    assert app.due_date == date(2026, 3, 9)  # 5 working days
    _on(monkeypatch, date(2026, 3, 3))
    with pytest.raises(ValidationFailed):
        service.act(session, actor=clerk, application=app, action="request_supplement", supplement=[])
    service.act(session, actor=clerk, application=app, action="request_supplement",
                supplement=["解除劳动合同证明缺少单位盖章", "银行账号与户名不一致"])
    assert app.state == "supplement"
    assert app.supplement_request is not None
    assert reading.deadline(session, app).paused
    _on(monkeypatch, date(2026, 3, 6))  # Friday: 3 working days paused (Wed, Thu, Fri)
    service.act(session, actor=citizen, application=app, action="resubmit",
                data={"bank_account": "6222020200112233999", "name": "改名无效"},
                uploads=[hall_materials.Upload("separation_proof", "盖章证明.pdf", PDF + b"stamped")])
    assert app.state == "accepted"
    assert app.paused_workdays == 3
    assert app.due_date == date(2026, 3, 12)
    data = reading.form_data(app)
    assert data["bank_account"] == "6222020200112233999"
    assert data["name"] == "王秀英"
    assert [m.round for m in hall_materials.materials_of(session, app)] == [0, 1]
    view = reading.deadline(session, app)
    assert view.remaining_workdays == 4
    assert not view.overdue


def test_past_its_promised_limit_an_application_is_overdue_in_the_data_and_the_queue(
        session: Session, submitted: Application, clerk: Principal, reviewer: Principal,
        supervisor: Principal, monkeypatch: pytest.MonkeyPatch) -> None:
    _on(monkeypatch, date(2026, 3, 2))
    service.act(session, actor=clerk, application=submitted, action="accept")
    _on(monkeypatch, date(2026, 3, 16))
    view = reading.deadline(session, submitted)
    assert view.overdue
    assert view.due_date == date(2026, 3, 9)
    assert view.due_date < clock.today()
    assert view.remaining_workdays == -5
    rows, _ = reading.queue(session, actor=reviewer, overdue=True)
    assert [r.public_id for r in rows] == [submitted.public_id]
    rows, _ = reading.queue(session, actor=supervisor, overdue=True)
    assert [r.public_id for r in rows] == [submitted.public_id]
    _on(monkeypatch, date(2026, 3, 5))
    assert reading.queue(session, actor=reviewer, overdue=True)[0] == []
    assert [r.public_id for r in reading.queue(session, actor=reviewer, near_due=True)[0]] == [submitted.public_id]


def test_queues_follow_division_and_role(
        session: Session, submitted: Application, clerk: Principal, reviewer: Principal, other_clerk: Principal,
        supervisor: Principal) -> None:
    assert [a.public_id for a in reading.queue(session, actor=clerk)[0]] == [submitted.public_id]
    assert reading.queue(session, actor=reviewer)[0] == []  # not yet accepted
    assert reading.queue(session, actor=other_clerk)[0] == []
    with pytest.raises(Forbidden):
        reading.get_application(session, actor=other_clerk, public_id=submitted.public_id)
    with pytest.raises(DomainError):
        service.act(session, actor=other_clerk, application=submitted, action="accept")
    assert [a.public_id for a in reading.queue(session, actor=supervisor)[0]] == [submitted.public_id]
    with pytest.raises(Forbidden) as read_only:
        service.act(session, actor=supervisor, application=submitted, action="accept")
    assert read_only.value.code == "renshe:hall/not-your-step"
    service.act(session, actor=clerk, application=submitted, action="accept")
    assert [a.public_id for a in reading.queue(session, actor=reviewer)[0]] == [submitted.public_id]


def test_queue_pages_with_a_cursor(session: Session, catalog: int, clerk: Principal) -> None:
    for i in range(3):
        person = factories.person(session, county="110105", name=f"测试{'甲乙丙'[i]}")
        service.submit(session, actor=citizen_of(person), item_code="ssc-loss-report",
                       data={"operation": "temporary_loss"})
    first, cursor = reading.queue(session, actor=clerk, limit=2)
    assert len(first) == 2
    assert cursor
    rest, end = reading.queue(session, actor=clerk, limit=2, cursor=cursor)
    assert len(rest) == 1
    assert end is None


def test_an_immediate_item_is_decided_by_the_accepting_clerk(
        session: Session, catalog: int, citizen: Principal, clerk: Principal) -> None:
    app = service.submit(session, actor=citizen, item_code="ssc-loss-report", data={"operation": "formal_loss"})
    assert app.case_type == "immediate"
    service.act(session, actor=clerk, application=app, action="accept")
    assert app.due_date == clock.today()  # 即办件: promised 0 working days
    service.act(session, actor=clerk, application=app, action="approve")
    assert app.state == "approved"


def test_the_applicant_may_withdraw_before_acceptance_only(
        session: Session, submitted: Application, citizen: Principal, clerk: Principal) -> None:
    other = citizen_of(factories.person(session, county="110105", name="李四"))
    with pytest.raises(DomainError):
        service.act(session, actor=other, application=submitted, action="withdraw")
    service.act(session, actor=citizen, application=submitted, action="withdraw")
    assert submitted.state == "withdrawn"
    with pytest.raises(Conflict):
        service.act(session, actor=clerk, application=submitted, action="accept")


def test_a_family_member_applies_with_a_verified_authorisation(
        session: Session, catalog: int, citizen: Principal, applicant: Person) -> None:
    mother = factories.person(session, county="110105", name="赵桂兰", male=False, phone="13700001111")
    from renshe.core import crypto
    from renshe.registry import service as registry

    number = crypto.cipher().decrypt(mother.id_number_encrypted, purpose=registry.ID_PURPOSE)
    wrong = schemas.RepresentationIn(id_number=number, name="赵桂芬", relationship="parent",
                                     statement="本人受母亲委托代为办理社会保障卡挂失")
    with pytest.raises(ValidationFailed) as mismatch:
        service.submit(session, actor=citizen, item_code="ssc-loss-report", data={"operation": "temporary_loss"},
                       representation=wrong)
    assert mismatch.value.errors[0].code == "renshe:hall/represented-mismatch"
    right = wrong.model_copy(update={"name": "赵桂兰"})
    from renshe.hall.applications import consent

    assert consent.request_consent(session, actor=citizen, item_code="ssc-loss-report", id_number=number,
                                   name="赵桂兰") == "code_sent"
    body = session.scalars(select(OutgoingMessage.body).where(OutgoingMessage.purpose == "proxy")
                           .order_by(OutgoingMessage.id.desc())).first()
    found = re.search(r"验证码(\d{6})", body or "")
    assert found
    app = service.submit(session, actor=citizen, item_code="ssc-loss-report", data={"operation": "temporary_loss"},
                         representation=right.model_copy(update={"code": found.group(1)}))
    assert app.applicant_id == mother.id
    assert app.agent_id == applicant.id
    assert app.channel == "proxy"
    assert app.representation is not None
    assert app.representation["relationship_label"] == "父母"
    assert reading.form_data(app)["name"] == "赵桂兰"
    assert [a.public_id for a in reading.applications_of(session, actor=citizen)] == [app.public_id]
    assert [a.public_id for a in reading.applications_of(session, actor=citizen_of(mother))] == [app.public_id]


def test_a_clerk_applies_at_the_window_once_the_citizen_confirms_with_the_code(
        session: Session, catalog: int, clerk: Principal, applicant: Person) -> None:
    from renshe.core import crypto
    from renshe.registry import service as registry

    number = crypto.cipher().decrypt(applicant.id_number_encrypted, purpose=registry.ID_PURPOSE)
    phone = window.send_window_code(session, actor=clerk, id_number=number, item_code="ssc-loss-report")
    assert phone == "139****5678"
    body = session.scalars(select(OutgoingMessage.body).order_by(OutgoingMessage.id.desc())).first()
    assert body is not None
    assert "社会保障卡挂失与解挂" in body
    code = re.search(r"验证码为(\d{6})", body)
    assert code
    wrong = "000000" if code.group(1) != "000000" else "111111"
    with pytest.raises(ValidationFailed) as refused:
        window.submit_at_window(session, actor=clerk, item_code="ssc-loss-report", id_number=number, code=wrong,
                                 data={"operation": "unlock"})
    assert refused.value.errors[0].code == window.WINDOW_CODE_ERROR
    app = window.submit_at_window(session, actor=clerk, item_code="ssc-loss-report", id_number=number,
                                   code=code.group(1), data={"operation": "unlock"})
    assert app.channel == "window"
    assert app.created_by == clerk.subject
    assert app.applicant_id == applicant.id
    with pytest.raises(ValidationFailed):  # each code works once
        window.submit_at_window(session, actor=clerk, item_code="ssc-loss-report", id_number=number,
                                 code=code.group(1), data={"operation": "unlock"})


def test_a_clerk_cannot_file_for_someone_outside_their_county(
        session: Session, catalog: int, clerk: Principal) -> None:
    outsider = factories.person(session, county=OTHER_COUNTY, name="钱七")
    from renshe.core import crypto
    from renshe.registry import service as registry

    number = crypto.cipher().decrypt(outsider.id_number_encrypted, purpose=registry.ID_PURPOSE)
    with pytest.raises(ValidationFailed):
        window.send_window_code(session, actor=clerk, id_number=number, item_code="ssc-loss-report")
