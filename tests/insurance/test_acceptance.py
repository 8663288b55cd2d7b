"""Issue 10's ledger acceptance, end to end through the pages:

- an employer agent adds an employee, declares bases by XLSX (a bad row is named and nothing is posted),
  the month is assessed, a receipt file is reconciled (one unmatched receipt listed), and the arrears
  surcharge appears for an unpaid month;
- a citizen opens 个人权益记录, sees months, bases and balance, and downloads the statement PDF whose QR
  verifies offline with the certificate library's verifier.
(Killing the interest batch and restarting it: tests/insurance/test_accounts.py.)
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.certs import verifier
from renshe.core.auth import SYSTEM
from renshe.insurance.models import Declaration, DeclaredBase, InsuredUnit
from renshe.insurance.rules import late_surcharge, yuan
from renshe.registry import schemas
from renshe.registry import service as registry
from tests import factories
from tests.certs.conftest import published
from tests.certs.test_acceptance import _qr_from_pdf
from tests.insurance import kit
from tests.insurance.test_contributions import xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_employer_declares_staff_assesses_reconciles_and_the_citizen_gets_a_verifiable_statement(
        client: TestClient, session: Session) -> None:
    kit.average_wage(session)
    employer = factories.employer(session, name="验收科技有限公司")
    numbers = [factories.resident_id("110105", date(1985, 6, 1)), factories.resident_id("110105", date(1990, 2, 3))]
    people = [factories.person(session, id_number=numbers[0], name="王小明"),
              factories.person(session, id_number=numbers[1], name="李小红")]
    for number in numbers:
        registry.report_employment(session, actor=SYSTEM, employer=employer,
                                   data=schemas.EmploymentIn(id_number=number, start_date=date(2024, 1, 1)))
    clerk = factories.staff_user(session, username="ins-acc-clerk", roles=("clerk",), division="110105")
    admin = factories.staff_user(session, username="ins-acc-admin", roles=("admin",), division="110000")
    session.commit()
    agent = factories.bearer(kit.agent_of(employer.public_id))
    staff = factories.bearer(clerk)

    # The agent registers the unit and adds both employees (增员).
    assert client.post("/employer/insurance/units", headers=agent, follow_redirects=False,
                       data={"insurance_type": "110", "registered_on": "2024-01-01"}).status_code == 303
    unit = session.scalar(select(InsuredUnit).where(InsuredUnit.employer_public_id == employer.public_id))
    assert unit is not None
    for number in numbers:
        added = client.post(f"/employer/insurance/{unit.public_id}/enrol", headers=agent, follow_redirects=False,
                            data={"id_number": number, "start_date": "2024-01-01", "reason": "11"})
        assert added.status_code == 303, added.text
    page = client.get(f"/employer/insurance?unit={unit.public_id}", headers=agent)
    assert "王小明" in page.text
    assert "李小红" in page.text

    # A declaration file with a bad row: the row is named, nothing is declared.
    bad = xlsx(["身份证号码", "姓名", "月缴费工资"], [[numbers[0], "王小明", 8000], [numbers[1], "李小红", "五千"]])
    refused = client.post(f"/employer/insurance/{unit.public_id}/declarations", headers=agent,
                          data={"year": "2024", "kind": "annual"}, files={"file": ("bases.xlsx", bad, XLSX)})
    assert refused.status_code == 422
    assert "第3行" in refused.text
    assert "全部未申报" in refused.text
    assert session.scalar(select(func.count()).select_from(Declaration)) == 0
    assert session.scalar(select(func.count()).select_from(DeclaredBase)) == 0
    good = xlsx(["身份证号码", "姓名", "月缴费工资"], [[numbers[0], "王小明", 8000], [numbers[1], "李小红", 5000]])
    declared = client.post(f"/employer/insurance/{unit.public_id}/declarations", headers=agent,
                           data={"year": "2024", "kind": "annual"}, files={"file": ("bases.xlsx", good, XLSX)})
    assert declared.status_code == 200, declared.text
    assert "已申报2人" in declared.text
    assert "低于下限，按下限核定" in declared.text

    # The clerk assesses March and April.
    for month in ("2024-03", "2024-04"):
        assessed = client.post(f"/staff/insurance/{unit.public_id}/assess", headers=staff, data={"month": month})
        assert assessed.status_code == 200, assessed.text
        assert f"已核定{month}，写入4条应缴记录" in assessed.text

    # The tax bureau's file: March paid in full, one receipt that matches nothing.
    stranger = factories.credit_code("110105")
    receipts = xlsx(["票据号", "缴费人识别号", "险种", "费款所属期", "金额", "入库日期"],
                    [["SW2024030001", employer.credit_code, "110", "2024-03", "3360.00", "2024-04-10"],
                     ["SW2024030002", stranger, "110", "2024-03", "88.00", "2024-04-10"]])
    reconciled = client.post("/staff/insurance/receipts", headers=staff,
                             files={"file": ("receipts.xlsx", receipts, XLSX)})
    assert reconciled.status_code == 200, reconciled.text
    assert "本次有1条到账记录没有对应的应缴记录" in reconciled.text
    assert "SW2024030002" in reconciled.text
    assert "SW2024030001" not in reconciled.text.split('id="unmatched"')[1]

    # April is unpaid: the surcharge runs from the day after 2024-05-15 to today.
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    expected = late_surcharge(amount_fen=336000, days=(today - date(2024, 5, 15)).days).surcharge_fen
    ledger = client.get(f"/staff/insurance?credit_code={employer.credit_code}&unit={unit.public_id}&month=2024-04",
                        headers=staff)
    april = ledger.text.split('id="month-2024-04"')[1].split("</tr>")[0]
    assert "未缴纳" in april
    assert yuan(expected) in april
    march = ledger.text.split('id="month-2024-03"')[1].split("</tr>")[0]
    assert "已足额缴纳" in march
    assert "滞纳金计算过程" in ledger.text

    # March is posted into the accounts, and 2024's interest credited by the province's administrator.
    posted = client.post(f"/staff/insurance/{unit.public_id}/post", headers=staff, data={"month": "2024-03"})
    assert "已记入个人账户2条" in posted.text
    credited = client.post("/staff/insurance/interest", headers=factories.bearer(admin),
                           data={"province": "110000", "year": "2024"})
    assert credited.status_code == 200, credited.text
    assert "2024年计息已完成：2个账户" in credited.text

    # The citizen's record and statement.
    citizen = factories.bearer(kit.citizen_of(people[0].public_id, people[0].name))
    record = client.get("/citizen/insurance", headers=citizen)
    assert record.status_code == 200
    assert "1个月（0年1个月）" in record.text
    assert "8000.00" in record.text
    api = client.get("/api/v1/insurance/me/record", headers=citizen).json()
    assert api["months"] == 1
    assert api["lines"][0]["base"] == "8000.00"
    assert record.text.count(api["balance"]) >= 1
    assert api["balance"] != "640.00"  # interest was credited on top of the month's 640.00
    pdf = client.get("/citizen/insurance/statement.pdf", headers=citizen)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    payload = _qr_from_pdf(pdf.content)
    keys, lists = published(client)
    offline = verifier.verify_offline(payload, jwks=keys, status_lists=lists)
    assert offline.result == "valid"
    assert offline.claims is not None
    assert offline.claims.identifier == pdf.headers["x-certificate"]
