"""The demo province has retirees with pensions in payment: approved through the hall's 退休申请, paid
monthly into their cards since, shown to the citizen and the clerk."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe import demo
from renshe.core import staff
from renshe.hall.models import Application
from renshe.pension.models import PensionAward, PensionPayment
from tests import factories
from tests.insurance import kit


def test_demo_seeds_retirees_with_pensions_in_payment(client: TestClient, session: Session) -> None:
    report = demo.seed(session, persons=400, province="110000")
    session.commit()
    assert report.retirees >= 1
    awards = list(session.scalars(select(PensionAward)))
    assert len(awards) == report.retirees
    today = date.today()
    for award in awards:
        application = session.scalar(select(Application).where(Application.number == award.application_number))
        assert application is not None
        assert application.decision == "approved"
        months = (today.year - award.start_month.year) * 12 + today.month - award.start_month.month + 1
        paid = session.scalar(select(func.count()).select_from(PensionPayment).where(
            PensionPayment.award_id == award.id, PensionPayment.kind == "monthly"))
        assert paid == months >= 2
        assert award.monthly_fen > 0
    first = awards[0]
    page = client.get("/citizen/pension", headers=factories.bearer(kit.citizen_of(first.person_public_id,
                                                                                   first.person_name)))
    assert page.status_code == 200
    assert f"{first.monthly_fen / 100:.2f} 元/月" in page.text
    assert "已入账社会保障卡" in page.text
    admin = staff.active_principal(session, "admin")
    assert admin is not None
    clerk_page = client.get("/staff/pension", headers=factories.bearer(admin))
    assert clerk_page.status_code == 200
    assert first.person_name in clerk_page.text
    assert "按月发放" in clerk_page.text
    # The same seed gives the job market: published postings from several employers, one waiting for the
    # clerk, and the demo citizen's application, which the employer sees.
    from renshe.recruitment import schemas as recruitment_schemas
    from renshe.recruitment import service as recruitment
    from renshe.recruitment.models import JobApplication, JobPosting
    found = recruitment.search(session, criteria=recruitment_schemas.SearchIn())
    assert found.total >= 12
    assert len({r.employer_id for r in found.rows}) >= 3
    assert recruitment.search(session, criteria=recruitment_schemas.SearchIn(q="软件工程师")).total >= 1
    assert session.scalar(select(func.count()).select_from(JobPosting).where(JobPosting.state == "pending")) == 1
    assert session.scalar(select(func.count()).select_from(JobApplication)) == 1
    assert "待审核岗位" in client.get("/staff/jobs", headers=factories.bearer(admin)).text
