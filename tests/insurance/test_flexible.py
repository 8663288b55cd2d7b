"""Flexible workers (灵活就业人员): a base chosen between floor and cap (refused outside, with the rule), the
months assessed at 20 % (8 % to the account), paid through the tax bureau (receipts imported like an
employer's, the payer named by resident ID and kept masked), posted once paid, no surcharge, and a month
after its payment window refused (断缴)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.insurance.models import Assessment, Receipt
from tests import factories
from tests.insurance import kit


def test_flexible_worker_chooses_base_is_assessed_pays_and_is_posted(client: TestClient, session: Session) -> None:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    year = today.year
    kit.average_wage(session)  # 10,000 a month: floor 6,000, cap 30,000
    number = factories.resident_id("110105", date(1984, 4, 4))
    person = factories.person(session, id_number=number, name="周灵活")
    clerk = factories.staff_user(session, username="flex-clerk", roles=("clerk",), division="110000")
    session.commit()
    citizen = factories.bearer(kit.citizen_of(person.public_id, person.name))
    staff = factories.bearer(clerk)
    enrolled = client.post("/api/v1/insurance/me/flexible", headers=citizen,
                           json={"start_date": f"{year - 1}-01-01"})
    assert enrolled.status_code == 201, enrolled.text

    low = client.post("/api/v1/insurance/me/flexible/bases", headers=citizen, json={"year": year, "base": "5000"})
    assert low.status_code == 422
    assert low.json()["type"] == "renshe:insurance/flexible-base-range"
    message = low.json()["errors"][0]["message"]
    assert "6000.00元至30000.00元" in message
    assert "国办发〔2019〕13号" in message
    page = client.post("/citizen/insurance/flexible/base", headers=citizen,
                       data={"year": str(year), "base": "30000.01", "from_month": "1"})
    assert page.status_code == 422
    assert "6000.00元至30000.00元" in page.text

    chosen = client.post("/api/v1/insurance/me/flexible/bases", headers=citizen, json={"year": year, "base": "8000"})
    assert chosen.status_code == 201, chosen.text
    body = chosen.json()
    assert body["assessed_months"] == today.month
    january = body["months"][0]
    assert (january["month"], january["due"], january["account"], january["status"]) == (
        f"{year}-01", "1600.00", "640.00", "payable")
    assert january["deadline"] == f"{year}-12-31"
    again = client.post("/api/v1/insurance/me/flexible/bases", headers=citizen, json={"year": year, "base": "8000"})
    assert again.status_code == 200
    assert not again.json()["created"]
    # Last year's months are assessed too but their window has closed: no surcharge, no back payment.
    last_year = client.post("/api/v1/insurance/me/flexible/bases", headers=citizen,
                            json={"year": year - 1, "base": "7000"})
    assert last_year.status_code == 201
    months = client.get("/api/v1/insurance/me/flexible/months", headers=citizen).json()
    assert {m["status"] for m in months if m["month"].startswith(str(year - 1))} == {"lapsed"}

    # The staff batch for this month finds nothing new; it is idempotent.
    batch = client.post("/api/v1/insurance/flexible-assessments", headers=staff,
                        json={"province": "110000", "month": f"{year}-01"})
    assert batch.status_code == 201, batch.text
    assert batch.json()["rows"] == 0
    assert client.post("/api/v1/insurance/flexible-assessments", headers=staff,
                       json={"province": "110000", "month": f"{year}-01"}).status_code == 200

    # The tax bureau's receipts: January paid in full; a month of last year paid after its window.
    receipts = client.post("/api/v1/insurance/receipts", headers=staff, json={"batch": "flex-1", "receipts": [
        {"receipt_no": "F1", "payer_code": number, "insurance_type": "110", "month": f"{year}-01",
         "amount": "1600.00", "paid_on": today.isoformat()},
        {"receipt_no": "F2", "payer_code": number, "insurance_type": "110", "month": f"{year - 1}-03",
         "amount": "1400.00", "paid_on": today.isoformat()}]})
    assert receipts.status_code == 200, receipts.text
    unmatched = receipts.json()["unmatched"]
    assert [r["receipt_no"] for r in unmatched] == ["F2"]
    assert unmatched[0]["payer_code"] == number[:6] + "********" + number[-4:]
    assert number not in str(session.scalars(select(Receipt.payer_code)).all())
    record = client.get("/api/v1/insurance/me/record", headers=citizen).json()
    assert (record["months"], record["balance"]) == (1, "640.00")
    assert record["lines"][0]["unit"] == "灵活就业"
    months = client.get("/api/v1/insurance/me/flexible/months", headers=citizen).json()
    assert months[12]["month"] == f"{year}-01"
    assert months[12]["status"] == "posted"
    # Importing the same receipts again posts nothing twice.
    client.post("/api/v1/insurance/receipts", headers=staff, json={"batch": "flex-2", "receipts": [
        {"receipt_no": "F1", "payer_code": number, "insurance_type": "110", "month": f"{year}-01",
         "amount": "1600.00", "paid_on": today.isoformat()}]})
    assert client.get("/api/v1/insurance/me/record", headers=citizen).json()["balance"] == "640.00"

    # January is paid: a new base from January is refused, from the next month it is taken.
    paid = client.post("/api/v1/insurance/me/flexible/bases", headers=citizen,
                       json={"year": year, "base": "9000", "from_month": 1})
    assert paid.status_code == 409
    assert paid.json()["type"] == "renshe:insurance/flexible-base-paid"
    shown = client.get("/citizen/insurance", headers=citizen)
    assert shown.status_code == 200
    assert "灵活就业人员缴费" in shown.text
    assert "已缴费，已记入个人账户" in shown.text
    assert "已过缴费期限（断缴），不能补缴" in shown.text
    assert session.scalar(select(func.count()).select_from(Assessment).where(
        Assessment.owner.startswith("flex:110000:"))) >= today.month
