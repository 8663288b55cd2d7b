"""The employment supervisor's dashboard counts what the domains recorded, within the viewer's jurisdiction,
and exports the same figures as XLSX."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from typing import Any

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from renshe.analytics import employment
from renshe.core.auth import SYSTEM
from renshe.recruitment import seeking
from renshe.unemployment import schemas as unemployment_schemas
from renshe.unemployment import service as unemployment
from tests import factories
from tests.factories import bearer
from tests.insurance.kit import citizen_of
from tests.recruitment.test_recruitment import published


def test_the_dashboard_counts_within_the_jurisdiction_and_exports(session: Session, client: Any) -> None:
    number = factories.resident_id("110105", date(1980, 3, 3))
    here = factories.person(session, name="甲登记", county="110105", id_number=number)
    unemployment.window_registration(session, actor=SYSTEM, on=date.today(), data=unemployment_schemas.RegistrationIn(
        id_number=number, job_intention="仓储"))
    employer = factories.employer(session)
    row = published(session, employer)
    seeker = factories.person(session, name="丙求职", county="110105")
    seeking.apply(session, actor=citizen_of(seeker.public_id, seeker.name), public_id=row.public_id)
    supervisor = factories.staff_user(session, username="dash-sup", roles=("supervisor",), division="110105")
    elsewhere = factories.staff_user(session, username="dash-sh", roles=("supervisor",), division="310101")
    session.commit()

    board = employment.build(session, actor=supervisor)
    figures = dict(board.figures)
    assert figures["登记失业人员（当前）"] == "1 人"
    assert figures["在招岗位（当前）"] == "1 个，2 人"
    monthly = board.tables[2][2][-1]  # this month
    assert (monthly[1], monthly[6], monthly[7]) == (1, 1, 1)  # registered, published, applied
    assert dict(employment.build(session, actor=elsewhere).figures)["登记失业人员（当前）"] == "0 人"

    page = client.get("/staff/employment", headers=bearer(supervisor))
    assert page.status_code == 200
    assert "失业登记与注销（人）" in page.text
    assert "<svg" in page.text
    sheet = client.get("/staff/employment.xlsx", headers=bearer(supervisor))
    assert sheet.status_code == 200
    book = load_workbook(BytesIO(sheet.content))
    assert [c.value for c in book["概览"]["A"]][:3] == ["辖区", "登记失业人员（当前）", "领取失业保险金（当前）"]
    assert book["按月"].max_row == 13
    citizen = client.get("/staff/employment", headers=bearer(citizen_of(here.public_id, here.name)),
                         follow_redirects=False)
    assert citizen.status_code in (303, 401, 403)
    assert "失业登记与注销" not in citizen.text

