"""转移接续 on one node, in process (SQLite and PostgreSQL): the old place's side (request, certificate,
transfer out once), the new place's side through the API and pages (application, take-over once, temporary
accounts), refusals, and the fund figures the transfer feeds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core.auth import SYSTEM
from renshe.core.errors import Conflict, Forbidden, ValidationFailed
from renshe.core.settings import get_settings
from renshe.hall import clock, peers
from renshe.hall.catalog import service as hall_catalog
from renshe.hall.models import PeerMessage
from renshe.insurance import accounts, transfers
from renshe.insurance import service as insurance
from renshe.transfer import service
from tests import factories
from tests.hall.conftest import citizen_of
from tests.insurance import kit
from tests.insurance.test_accounts import _paid_year, _person_ids

PEER = "330000"
REF = "a" * 32


@pytest.fixture
def peer(session: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("RENSHE_HALL_PEER_DELIVERY", "manual")  # nothing leaves this test
    get_settings.cache_clear()
    peers.add_peer(session, actor=SYSTEM, province_code=PEER, name="浙江省节点", base_url="http://127.0.0.1:9",
                   secret="a-shared-secret-between-nodes")
    yield
    monkeypatch.delenv("RENSHE_HALL_PEER_DELIVERY")
    get_settings.cache_clear()


def _messages(session: Session) -> list[PeerMessage]:
    return list(session.scalars(select(PeerMessage).where(PeerMessage.kind == "transfer")))


def test_the_old_place_certifies_and_transfers_the_account_and_twelve_percent_once(session: Session,
                                                                                  peer: None) -> None:
    staffed = _paid_year(session, people=1)
    person_id = _person_ids(session, staffed)[0]
    assert accounts.balance_fen(session, person_id=person_id) == 192000
    request = {"type": "request", "ref": REF, "id_number": staffed.id_numbers[0], "requested_on": "2026-06-01"}
    assert service.receive(session, peer_province=PEER, payload=request) is True
    assert service.receive(session, peer_province=PEER, payload=request) is False  # a repeated 联系函
    clerk = factories.staff_user(session, username="pt-clerk", roles=("clerk",), division="110000")
    [case] = service.cases(session, actor=clerk, role="out")
    assert case.deadlines["transfer"]["workdays"] == 15
    county_clerk = factories.staff_user(session, username="pt-county", roles=("reviewer",), division="110105")
    with pytest.raises(Forbidden):
        service.issue(session, actor=county_clerk, public_id=case.public_id)

    issued = service.issue(session, actor=clerk, public_id=case.public_id)
    assert (issued.state, issued.months, issued.account_fen) == ("transferred", 3, 192000)
    assert issued.bases_fen == 3 * 800000
    assert issued.pooled_fen == 288000  # 12 % of 24,000.00 yuan of bases
    assert accounts.balance_fen(session, person_id=person_id) == 0
    with pytest.raises(Conflict):
        service.issue(session, actor=clerk, public_id=case.public_id)
    [sent] = _messages(session)
    assert sent.peer_province == PEER
    assert sent.link_id is None
    # The certificate's figures were posted once: one transfer-out entry for the whole balance.
    entries = transfers.transfer_entries(session, person_id=person_id)
    assert [(e.kind, e.amount_fen) for e in entries] == [("transfer_out", -192000)]
    # The fund figures see the transfer as expenditure; income is what the tax bureau collected.
    today = clock.today()
    month = insurance.fund_figures(session, start=date(2023, 1, 1), end=date(2023, 12, 31))
    assert (month.income_fen, month.insured) == (3 * 192000, 1)
    now = insurance.fund_figures(session, start=today.replace(day=1), end=date(today.year, 12, 31))
    assert now.expenditure_fen == 192000 + 288000  # the account and the pooled part (转移支出)
    assert now.balance_fen == 3 * 192000 - 192000 - 288000
    confirm = {"type": "confirm", "ref": REF}
    assert service.receive(session, peer_province=PEER, payload=confirm) is True
    assert service.receive(session, peer_province=PEER, payload=confirm) is False


def test_a_request_for_a_person_unknown_here_is_refused(session: Session, peer: None) -> None:
    with pytest.raises(ValidationFailed) as refused:
        service.receive(session, peer_province=PEER, payload={
            "type": "request", "ref": REF, "id_number": factories.resident_id("110105", date(1990, 1, 1))})
    assert refused.value.errors[0].code == "renshe:transfer/not-insured-here"
    with pytest.raises(ValidationFailed):
        service.receive(session, peer_province=PEER, payload={"type": "bogus", "ref": REF})


def test_the_new_place_applies_takes_over_once_and_shows_the_steps(client: TestClient, session: Session,
                                                                   peer: None, monkeypatch: pytest.MonkeyPatch
                                                                   ) -> None:
    hall_catalog.load_catalog(session, actor=SYSTEM)
    kit.average_wage(session)
    mover = factories.person(session, county="110105", name="李迁入", birth=date(1985, 3, 1))
    older = factories.person(session, county="330106", name="王年长", birth=date(1970, 3, 1), male=True)
    waiting = factories.person(session, county="110108", name="赵等待", birth=date(1990, 3, 1), male=False)
    session.commit()
    headers = factories.bearer(citizen_of(mover))
    body = {"old_province": PEER, "from_agency": "杭州市社会保险事业管理服务中心", "hukou_type": "urban"}
    applied = client.post("/api/v1/pension-transfers", headers=headers, json=body)
    assert applied.status_code == 201, applied.text
    case = applied.json()
    assert (case["kind"], case["state"], case["peer_name"]) == ("transfer", "requested", "浙江省")
    assert case["deadlines"]["request"]["done_on"]
    assert len(_messages(session)) == 1
    same = client.post("/api/v1/pension-transfers", headers=headers, json={**body, "old_province": "110000"})
    assert same.status_code == 422
    assert same.json()["errors"][0]["code"] == "renshe:transfer/same-province"

    months = [{"month": f"2024-{m:02d}", "base_fen": 600000} for m in range(1, 13)]
    certificate = {"type": "certificate", "ref": case["ref"], "account_fen": 576000, "pooled_fen": 864000,
                   "months": months, "certificate": {"issuer": "浙江省", "issued_on": "2026-06-02",
                                                     "first_month": "2024-01", "last_month": "2024-12"}}
    assert service.receive(session, peer_province=PEER, payload=certificate) is True
    assert service.receive(session, peer_province=PEER, payload=certificate) is False
    session.commit()
    done = client.get(f"/api/v1/pension-transfers/{case['public_id']}", headers=headers).json()
    assert (done["state"], done["account_fen"], done["pooled_fen"], done["months"]) == ("completed", 576000,
                                                                                      864000, 12)
    assert accounts.balance_fen(session, person_id=mover.id) == 576000
    received = insurance.fund_figures(session, start=clock.today().replace(day=1),
                                         end=date(clock.today().year, 12, 31))
    assert received.income_fen == 576000 + 864000  # 转移收入
    assert insurance.participation(session, person_id=mover.id).months[0].month == "2024-01"
    # the months brought here count here: in the record, for the pension rules and on the citizen's page
    record = accounts.personal_record(session, person_id=mover.id)
    assert record.months == 12
    assert accounts.months_contributed(session, person_id=mover.id) == 12
    assert {line.source for line in record.lines} == {"transfer"}
    assert "转移接续转入" in client.get("/citizen/insurance", headers=headers).text
    page = client.get("/citizen/pension-transfers", headers=headers)
    assert page.status_code == 200
    assert "已办结" in page.text
    assert "5760.00元" in page.text
    assert "8640.00元" in page.text
    assert "国办发〔2009〕66号第八条" in page.text

    # A man of 56 moving here from outside his registration place keeps his relation there: a temporary account.
    temp = client.post("/api/v1/pension-transfers", headers=factories.bearer(citizen_of(older)), json=body)
    assert temp.status_code == 201, temp.text
    assert (temp.json()["kind"], temp.json()["state"]) == ("temporary", "temporary")
    assert "第五条" in temp.json()["decision"]["source"]
    assert len(_messages(session)) == 2  # a confirmation for the first case; nothing for the temporary one
    # Staff cannot apply for a citizen.
    clerk = factories.staff_user(session, username="pt-new-clerk", roles=("clerk",), division="110000")
    session.commit()
    assert client.post("/api/v1/pension-transfers", headers=factories.bearer(clerk), json=body).status_code == 403
    staff_page = client.get("/staff/pension-transfers", headers=factories.bearer(clerk))
    assert staff_page.status_code == 200
    assert "李迁入" in staff_page.text
    # A step past its due day without being done shows as overdue (the hall's clock moved 30 days on).
    assert client.post("/api/v1/pension-transfers", headers=factories.bearer(citizen_of(waiting)),
                       json=body).status_code == 201
    staff_page = client.get("/staff/pension-transfers", headers=factories.bearer(clerk))
    monkeypatch.setattr(clock, "today", lambda: date.fromisoformat(case["requested_on"]) + timedelta(days=30))
    assert "已超期" not in staff_page.text
    later = client.get("/staff/pension-transfers", headers=factories.bearer(clerk))
    assert "已超期" in later.text  # the old place's step of the unanswered case


def test_benefit_place_route(client: TestClient) -> None:
    found = client.post("/api/v1/pension-transfers/benefit-place", json={
        "places": [{"code": "440000", "months": 130}, {"code": "110000", "months": 60}],
        "registration_place": "330106"})
    assert found.status_code == 200, found.text
    assert found.json() == {"place": "440000", "place_name": "广东省", "rule": 3,
                            "reason": "转回上一个缴费年限满10年的原参保地", "source": "国办发〔2009〕66号第六条"}
    assert client.post("/api/v1/pension-transfers/benefit-place", json={
        "places": [], "registration_place": "33"}).status_code in (400, 422)

