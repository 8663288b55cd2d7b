"""个人权益记录查询打印 in the service hall is the ledger lookup, not an application form: the catalog marks it
as an instant lookup (即时办结); opening it as a citizen shows months, bases and balance with print and
download, and no application row is ever created for it (online, API)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.core.auth import SYSTEM
from renshe.hall.catalog import service as hall_catalog
from renshe.hall.models import Application
from renshe.insurance import enrolment
from renshe.registry import service as registry
from tests import factories
from tests.insurance import kit
from tests.insurance.test_accounts import _paid_year


def test_rights_record_item_opens_the_ledger_and_files_nothing(client: TestClient, session: Session) -> None:
    hall_catalog.load_catalog(session, actor=SYSTEM)
    staffed = _paid_year(session, people=1, months=(1, 2))
    person = registry.person_by_pk(session, enrolment.relations_of_unit(session, unit=staffed.unit)[0].person_id)
    assert person is not None
    session.commit()
    citizen = factories.bearer(kit.citizen_of(person.public_id, person.name))

    catalog = client.get("/citizen/hall", headers=citizen)
    assert catalog.status_code == 200
    assert 'aria-label="立即查询：个人权益记录查询打印"' in catalog.text
    guide = client.get("/citizen/hall/items/rights-record", headers=citizen)
    assert 'id="lookup" href="/citizen/insurance?from=hall"' in guide.text
    assert "即时办结" in guide.text
    assert "/citizen/hall/items/rights-record/apply" not in guide.text

    opened = client.get("/citizen/hall/items/rights-record/apply", headers=citizen)
    assert opened.status_code == 200
    assert str(opened.url).endswith("/citizen/insurance?from=hall")
    assert "即时查询事项（即时办结）" in opened.text
    assert "2个月（0年2个月）" in opened.text  # months
    assert "8000.00" in opened.text  # bases
    assert 'id="balance">1280.00元' in opened.text  # balance: 2 × 640.00
    assert 'href="/citizen/insurance/statement.pdf"' in opened.text
    assert "data-print" in opened.text

    filed = client.post("/api/v1/hall/applications", headers=citizen,
                        json={"item_code": "rights-record", "data": {"record_type": "pension", "purpose": "self"}})
    assert filed.status_code == 409
    assert filed.json()["type"] == "renshe:hall/lookup-item"
    assert session.scalar(select(func.count()).select_from(Application)) == 0
