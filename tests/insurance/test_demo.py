"""The demo province seeds insured units, employees with several years of contributions, accounts with
interest, two unpaid months with their surcharge and one unmatched receipt at the sample employer."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe import demo
from renshe.insurance import accounts, contributions
from renshe.insurance.models import AccountEntry, InsuredUnit, Receipt
from renshe.registry import service as registry
from tests import factories
from tests.insurance import kit


def test_demo_seeds_the_ledger(client: TestClient, session: Session) -> None:
    report = demo.seed(session, persons=40, province="110000")
    session.commit()
    assert report.sample_person is not None
    units = list(session.scalars(select(InsuredUnit).order_by(InsuredUnit.id)))
    assert len(units) >= 3
    sample = registry.find_by_id_number(session, id_number=report.sample_person[1])
    assert sample is not None
    record = accounts.personal_record(session, person_id=sample.id)
    assert record.months >= 24
    assert record.balance_fen > 0
    assert any(y.interest_fen > 0 for y in record.years)
    assert len({y.year for y in record.years if y.interest_fen > 0}) >= 2
    assert session.scalar(select(func.count()).select_from(AccountEntry).where(AccountEntry.kind == "interest")) > 3
    assert session.scalar(select(func.count()).select_from(Receipt).where(Receipt.matched.is_(False))) == 1
    today = date.today()
    positions = list(contributions.positions(session, unit=units[0], on=today))
    unpaid = [p for p in positions if p.status == "unpaid"]
    assert len(unpaid) == 2
    assert all(p.surcharge is not None and p.surcharge.surcharge_fen > 0 for p in unpaid if p.due_date < today)
    page = client.get("/citizen/insurance", headers=factories.bearer(kit.citizen_of(sample.public_id, sample.name)))
    assert page.status_code == 200
    assert "个人账户历年记录" in page.text

    # The flexible worker paid through the tax bureau; the older man has history months and deemed years.
    assert [what for what, _, _ in report.ledger_citizens] == ["灵活就业人员", "有视同缴费年限和历史数据的参保人"]
    worker = registry.find_by_id_number(session, id_number=report.ledger_citizens[0][2])
    assert worker is not None
    mine = accounts.personal_record(session, person_id=worker.id)
    assert mine.months >= 24
    assert {line.unit_name for line in mine.lines} == {"灵活就业"}
    assert any(y.interest_fen > 0 for y in mine.years)
    elder = registry.find_by_id_number(session, id_number=report.ledger_citizens[1][2])
    assert elder is not None
    theirs = accounts.personal_record(session, person_id=elder.id)
    assert theirs.deemed_months == 148
    assert {line.source for line in theirs.lines} == {"history", "ledger"}
    shown = client.get("/citizen/insurance", headers=factories.bearer(kit.citizen_of(elder.public_id, elder.name)))
    assert "视同缴费年限" in shown.text
    assert "灵活就业人员缴费" in shown.text
