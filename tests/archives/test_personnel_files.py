"""Personnel files: received at a keeping institution, sent to another with a tracking number and a working-day
limit, received there; the person follows it and obtains the 存档证明 as a certificate that verifies."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from renshe.agencies import schemas as agency_schemas
from renshe.agencies import service as agencies
from renshe.archives import service
from renshe.core import workdays
from renshe.core.auth import SYSTEM, Principal
from renshe.core.errors import DomainError
from tests import factories
from tests.factories import bearer
from tests.insurance.kit import citizen_of


def keeper(session: Session, name: str, county: str) -> Any:
    employer = factories.employer(session, name=name, county=county)
    unit = Principal(kind="employer", subject=employer.public_id, display_name=name, division_code=county)
    row = agencies.apply(session, actor=unit, data=agency_schemas.OnboardIn(
        kind="public_talent", licence_scope=["personnel_files", "career_guidance"]))
    return agencies.decide(session, actor=SYSTEM, public_id=row.public_id, approve=True)


def test_a_file_is_received_sent_and_received_again_and_certified(session: Session, client: Any) -> None:
    here, there = keeper(session, "东城区人才服务中心", "110101"), keeper(session, "海淀区人才服务中心", "110108")
    number = factories.resident_id("110101", date(1990, 2, 2))
    person = factories.person(session, name="钱档案", county="110101", id_number=number)
    clerk = factories.staff_user(session, username="dang-an", roles=("clerk",), division="110101")
    other = factories.staff_user(session, username="dang-an-hd", roles=("clerk",), division="110108")
    with pytest.raises(DomainError) as future:
        service.receive(session, actor=clerk, id_number=number, keeper=here.public_id, location="A柜",
                        received_on=service.today() + timedelta(days=1), source="")
    assert future.value.errors[0].field == "received_on"
    with pytest.raises(DomainError) as outside:
        service.receive(session, actor=other, id_number=number, keeper=here.public_id, location="A柜",
                        received_on=service.today(), source="")
    assert outside.value.status == 403
    row = service.receive(session, actor=clerk, id_number=number, keeper=here.public_id, location="1号库A柜",
                          received_on=service.today(), source="原单位")
    with pytest.raises(DomainError) as twice:
        service.receive(session, actor=clerk, id_number=number, keeper=here.public_id, location="B柜",
                        received_on=service.today(), source="")
    assert twice.value.code == "renshe:archives/exists"

    move = service.transfer(session, actor=clerk, public_id=row.public_id, to_keeper=there.public_id,
                            tracking_number="JY20261203001", reason="工作调动")
    assert move.due_on == workdays.calendar(session).add_workdays(service.today(), service.TRANSFER_WORKDAYS)
    assert row.state == "in_transfer"
    with pytest.raises(DomainError) as busy:
        service.certificate(session, actor=citizen_of(person.public_id, person.name))
    assert busy.value.code == "renshe:archives/in-transfer"
    assert [m.public_id for m, _f in service.worklist(session, actor=other)["incoming"]] == [move.public_id]
    assert service.worklist(session, actor=clerk)["incoming"] == []
    with pytest.raises(DomainError):
        service.receive_transfer(session, actor=clerk, public_id=move.public_id, location="X")  # not theirs
    service.receive_transfer(session, actor=other, public_id=move.public_id, location="3号库C柜")
    assert (row.state, row.agency_id, row.division_code, row.location) == ("stored", there.id, "110108", "3号库C柜")
    session.commit()

    who = bearer(citizen_of(person.public_id, person.name))
    mine = client.get("/api/v1/archives/me", headers=who).json()
    assert (mine["keeper"], mine["transfers"][0]["state_label"]) == ("海淀区人才服务中心", "已接收")
    made = client.post("/api/v1/archives/me/certificate", headers=who)
    assert made.status_code == 201, made.text
    cert = client.get(f"/api/v1/certs/{made.json()['public_id']}", headers=who)
    assert cert.status_code == 200, cert.text
    assert "海淀区人才服务中心" in cert.text
    page = client.get("/citizen/archive", headers=who)
    assert "JY20261203001" in page.text
    notices = client.get("/citizen/notices", headers=who).text
    assert "您的人事档案已转入" in notices


def test_an_overdue_transfer_is_on_both_worklists(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    here, there = keeper(session, "朝阳区人才服务中心", "110105"), keeper(session, "丰台区人才服务中心", "110106")
    number = factories.resident_id("110105", date(1991, 3, 3))
    factories.person(session, name="孙转递", county="110105", id_number=number)
    row = service.receive(session, actor=SYSTEM, id_number=number, keeper=here.public_id, location="A",
                          received_on=service.today(), source="")
    move = service.transfer(session, actor=SYSTEM, public_id=row.public_id, to_keeper=there.public_id,
                            tracking_number="EMS1", reason="")
    later = move.due_on + timedelta(days=1)
    monkeypatch.setattr(service, "today", lambda: later)
    sender = factories.staff_user(session, username="od-send", roles=("clerk",), division="110105")
    receiver = factories.staff_user(session, username="od-recv", roles=("clerk",), division="110106")
    assert [m.public_id for m, _f in service.worklist(session, actor=sender)["overdue"]] == [move.public_id]
    assert [m.public_id for m, _f in service.worklist(session, actor=receiver)["overdue"]] == [move.public_id]
    with pytest.raises(DomainError) as bad:
        service.transfer(session, actor=SYSTEM, public_id=row.public_id, to_keeper=here.public_id,
                         tracking_number="X", reason="")
    assert bad.value.code == "renshe:archives/in-transfer"
