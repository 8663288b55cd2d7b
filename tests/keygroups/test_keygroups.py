"""The key-group labour database: a record is refused when the name does not match the ID number; an open
employment relation makes the person employed (at read and after the set-based refresh); the worklist shows
only unserved, not employed people of the clerk's county; a service takes the person off it and tells them;
an import with one bad row is refused whole with the row named; another region asks the sharing gateway."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.core.auth import SYSTEM, Principal, issue_token
from renshe.core.errors import DomainError
from renshe.core.models import AuditEntry
from renshe.keygroups import jobs, schemas, service
from renshe.keygroups.models import KeyGroupRecord
from renshe.registry import schemas as registry_schemas
from renshe.registry import service as registry
from renshe.registry.models import Notice, Person
from renshe.sharing import service as sharing
from tests import factories
from tests.factories import bearer
from tests.insurance.kit import citizen_of

pytestmark = pytest.mark.usefixtures("call_log_inline")  # the app shares the test connection
TODAY = date(2026, 12, 2)
GRADUATE = {"graduation_year": "2026", "school": "北京大学", "major": "计算机科学与技术", "education": "bachelor"}


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "today", lambda: TODAY)


def _person(session: Session, name: str, *, county: str = "110105", birth: date = date(2003, 5, 17),
            male: bool = True) -> tuple[Person, str]:
    number = factories.resident_id(county, birth, male=male)
    return factories.person(session, name=name, county=county, birth=birth, male=male, id_number=number), number


def _record(session: Session, actor: Principal, person: Person, number: str, *, group: str = "graduate",
            attributes: dict[str, str] | None = None, county: str = "110105") -> KeyGroupRecord:
    return service.create_record(session, actor=actor, data=schemas.RecordIn(
        id_number=number, name=person.name, division_code=county,
        groups=[schemas.MembershipIn(group=group, attributes=attributes or GRADUATE)]))


def _hire(session: Session, number: str) -> Any:
    employer = factories.employer(session, name="录用单位有限公司")
    return employer, registry.report_employment(session, actor=SYSTEM, employer=employer,
                                                data=registry_schemas.EmploymentIn(id_number=number,
                                                                                   start_date=date(2026, 11, 1)))


def test_a_record_is_refused_when_the_name_does_not_match_the_id_number(session: Session, client: Any) -> None:
    person, number = _person(session, "李毕业")
    clerk = factories.staff_user(session, username="kg-clerk", division="110105")
    session.commit()
    body = {"id_number": number, "name": "李必业", "groups": [{"group": "graduate", "attributes": GRADUATE}]}
    refused = client.post("/api/v1/keygroups/records", json=body, headers=bearer(clerk))
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"] == "renshe:keygroups/name-mismatch"
    assert refused.json()["errors"][0]["field"] == "name"
    assert "姓名" in refused.json()["errors"][0]["message"]
    missing = client.post("/api/v1/keygroups/records", headers=bearer(clerk), json={
        **body, "name": person.name, "groups": [{"group": "graduate", "attributes": {"school": "北京大学"}}]})
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["errors"]} == {
        "groups[0].graduation_year", "groups[0].major", "groups[0].education"}
    made = client.post("/api/v1/keygroups/records", json={**body, "name": person.name}, headers=bearer(clerk))
    assert made.status_code == 201, made.text
    assert (made.json()["state_label"], made.json()["groups"][0]["group_label"]) == ("未就业", "高校毕业生")
    again = client.post("/api/v1/keygroups/records", json={**body, "name": person.name}, headers=bearer(clerk))
    assert (again.status_code, again.json()["type"]) == (409, "renshe:keygroups/duplicate")


def test_the_older_unemployed_category_checks_age_and_sex(session: Session) -> None:
    clerk = factories.staff_user(session, username="kg-clerk", division="110105")
    woman, w_number = _person(session, "赵大姐", birth=date(1984, 1, 1), male=False)  # 42
    man, m_number = _person(session, "钱大哥", birth=date(1984, 1, 1))  # 42: under 50
    older = {"category": "older_unemployed"}
    _record(session, clerk, woman, w_number, group="hard_to_employ", attributes=older)
    with pytest.raises(DomainError) as refused:
        _record(session, clerk, man, m_number, group="hard_to_employ", attributes=older)
    assert refused.value.code == "renshe:keygroups/category-age"
    assert refused.value.errors[0].field == "groups[0].category"


def test_employed_state_is_derived_from_an_open_employment_relation(session: Session) -> None:
    clerk = factories.staff_user(session, username="kg-clerk", division="110105")
    person, number = _person(session, "孙就业")
    row = _record(session, clerk, person, number)
    assert service.outs(session, [row])[0].state == "unemployed"
    employer, relation = _hire(session, number)
    shown = service.outs(session, [row])[0]
    assert (shown.state, shown.state_source, shown.state_label) == ("employed", "registry", "已就业")
    assert row.state == "unemployed"  # derived at read, not stored blindly
    assert jobs.refresh(session, actor=SYSTEM).employed == 1
    session.refresh(row)
    assert (row.state, row.state_source) == ("employed", "registry")
    registry.end_employment(session, actor=SYSTEM, employer=employer, relation_id=relation.public_id,
                            end_date=date(2026, 11, 30))
    assert service.outs(session, [row])[0].state == "unemployed"
    answer = jobs.refresh(session, actor=SYSTEM)
    assert (answer.employed, answer.not_employed) == (0, 1)
    session.refresh(row)
    assert (row.state, row.state_source) == ("unemployed", "registry")


def test_the_worklist_shows_only_unserved_not_employed_people_of_the_jurisdiction(
        session: Session, client: Any, tmp_path: Path) -> None:
    clerk = factories.staff_user(session, username="kg-clerk", division="110105")
    other_clerk = factories.staff_user(session, username="kg-clerk-b", division="110108")
    waiting, w_number = _person(session, "周待服")
    employed, e_number = _person(session, "吴已就")
    served, s_number = _person(session, "郑已服")
    studying, st_number = _person(session, "王升学")
    elsewhere, x_number = _person(session, "冯海淀", county="110108")
    rows = {p.name: _record(session, clerk, p, n) for p, n in
            ((waiting, w_number), (employed, e_number), (served, s_number), (studying, st_number))}
    _record(session, other_clerk, elsewhere, x_number, county="110108")
    _hire(session, e_number)
    service.add_service(session, actor=clerk, public_id=rows["郑已服"].public_id, data=schemas.ServiceIn(
        served_on=TODAY - timedelta(days=10), kind="guidance", note="职业指导"))
    service.set_state(session, actor=clerk, public_id=rows["王升学"].public_id, state="study")
    old = service.add_service(session, actor=clerk, public_id=rows["周待服"].public_id, data=schemas.ServiceIn(
        served_on=TODAY - timedelta(days=40), kind="policy"))
    assert old.served_on < TODAY - timedelta(days=30)
    session.commit()
    listed = client.get("/api/v1/keygroups/records", headers=bearer(clerk))
    assert listed.status_code == 200, listed.text
    assert [r["person_name"] for r in listed.json()["items"]] == ["周待服"]
    assert listed.json()["items"][0]["last_served_on"] == (TODAY - timedelta(days=40)).isoformat()
    # the other county's clerk sees their own person only; a window of 60 days counts the old service
    assert [r.person_name for r in service.worklist(session, actor=other_clerk)[0]] == ["冯海淀"]
    assert service.worklist(session, actor=clerk, days=60)[0] == []
    # the export holds the same people (text only) and is audited
    exported = client.get("/api/v1/keygroups/records.xlsx", headers=bearer(clerk))
    assert exported.status_code == 200
    path = tmp_path / "worklist.xlsx"
    path.write_bytes(exported.content)
    sheet = load_workbook(path, read_only=True).worksheets[0]
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["周待服"]
    # pages: the staff worklist and the record detail
    page = client.get("/staff/keygroups", headers=bearer(clerk))
    assert page.status_code == 200
    assert "周待服" in page.text
    assert "冯海淀" not in page.text
    detail = client.get(f"/staff/keygroups/records/{rows['周待服'].public_id}", headers=bearer(clerk))
    assert detail.status_code == 200
    assert "政策宣讲" in detail.text
    hidden = client.get(f"/staff/keygroups/records/{rows['周待服'].public_id}", headers=bearer(other_clerk))
    assert hidden.status_code == 404


def test_a_service_takes_the_person_off_the_worklist_and_tells_them(session: Session, client: Any) -> None:
    clerk = factories.staff_user(session, username="kg-clerk", division="110105")
    person, number = _person(session, "陈待服")
    row = _record(session, clerk, person, number)
    session.commit()
    assert [r.public_id for r in service.worklist(session, actor=clerk)[0]] == [row.public_id]
    path = f"/api/v1/keygroups/records/{row.public_id}/services"
    future = client.post(path, headers=bearer(clerk), json={"served_on": "2026-12-09", "kind": "job_referral"})
    assert (future.status_code, future.json()["errors"][0]["field"]) == (422, "served_on")
    bad = client.post(path, headers=bearer(clerk), json={"served_on": "2026-12-01", "kind": "massage"})
    assert (bad.status_code, bad.json()["type"]) == (422, "renshe:keygroups/service-kind")
    done = client.post(path, headers=bearer(clerk), json={"served_on": "2026-12-01", "kind": "job_referral",
                                                           "note": "推荐软件开发岗位"})
    assert done.status_code == 201, done.text
    assert (done.json()["kind_label"], done.json()["served_by"]) == ("岗位推荐", "kg-clerk")
    assert service.worklist(session, actor=clerk)[0] == []
    notices = list(session.scalars(select(Notice).where(Notice.person_id == person.id,
                                                        Notice.kind == "keygroups.served")))
    assert [n.title for n in notices] == ["就业服务：岗位推荐"]
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "keygroups.serve", AuditEntry.entity_id == row.public_id)) == 1
    # the citizen sees their group and the service
    citizen = citizen_of(person.public_id, person.name)
    mine = client.get("/api/v1/keygroups/me", headers=bearer(citizen))
    assert mine.status_code == 200
    assert [s["kind_label"] for s in mine.json()["services"]] == ["岗位推荐"]
    page = client.get("/citizen/keygroups", headers=bearer(citizen))
    assert page.status_code == 200
    assert "高校毕业生" in page.text
    assert "推荐软件开发岗位" in page.text


def test_an_import_with_a_bad_row_is_refused_whole_with_the_row_named(
        session: Session, client: Any, tmp_path: Path) -> None:
    clerk = factories.staff_user(session, username="kg-clerk", division="110105")
    _, f_number = _person(session, "导入甲")
    second, s_number = _person(session, "导入乙", birth=date(1990, 3, 1))
    session.commit()
    header = "公民身份号码,姓名,重点群体,负责地区,就业状态,毕业年份,毕业院校,所学专业,学历,户籍所在县（区划代码）\n"
    bad = (header + f"{f_number},导入甲,高校毕业生,110105,未就业,2026,北京大学,法学,大学本科,\n"
           f"{s_number},导入丙,农民工,110105,,,,,,110108\n"
           f"{s_number},导入乙,农民工,110105,,,,,,\n")
    refused = client.post("/api/v1/keygroups/imports", headers=bearer(clerk),
                          files={"file": ("records.csv", bad.encode("utf-8"), "text/csv")})
    assert refused.status_code == 422, refused.text
    fields = {(e["field"], e["code"]) for e in refused.json()["errors"]}
    assert fields == {("row 3.name", "renshe:keygroups/name-mismatch"),
                      ("row 4.origin_county", "renshe:keygroups/required")}
    assert any("第3行" in e["message"] for e in refused.json()["errors"])
    assert session.scalar(select(func.count()).select_from(KeyGroupRecord)) == 0  # nothing imported
    good = (header + f"{f_number},导入甲,高校毕业生,110105,未就业,2026,北京大学,法学,大学本科,\n"
            f"{s_number},导入乙,农民工,110105,,,,,,110108\n")
    done = client.post("/api/v1/keygroups/imports", headers=bearer(clerk),
                       files={"file": ("records.csv", good.encode("utf-8"), "text/csv")})
    assert done.status_code == 201, done.text
    assert done.json() == {"rows": 2, "created": 2, "updated": 0}
    migrant = session.scalar(select(KeyGroupRecord).where(KeyGroupRecord.person_id == second.id))
    assert migrant is not None
    assert service.outs(session, [migrant])[0].groups[0].attributes == {"origin_county": "110108"}


def test_another_region_asks_whether_a_person_is_in_a_key_group(session: Session, client: Any) -> None:
    clerk = factories.staff_user(session, username="kg-clerk", division="110105")
    person, number = _person(session, "蒋困难", birth=date(1970, 2, 1))
    _, outsider = _person(session, "沈普通")
    _record(session, clerk, person, number, group="hard_to_employ", attributes={"category": "disabled"})
    answer = sharing.query_person(session, short_name="key-group-membership", id_number=number)
    assert (answer["found"], answer["in_key_group"]) == (True, True)
    assert answer["groups"][0]["group"] == "hard_to_employ"
    assert (answer["groups"][0]["category"], answer["groups"][0]["category_label"]) == ("disabled", "残疾人")
    assert sharing.query_person(session, short_name="key-group-membership", id_number=outsider)["in_key_group"] \
        is False
    consumer, secret = sharing.add_consumer(session, actor=SYSTEM, name="浙江省杭州市人力资源和社会保障局",
                                            grants=["key-group-membership"], purpose="跨地区核验就业困难人员身份",
                                            legal_basis="《就业促进法》第五十二条")
    session.commit()
    token = client.post("/share/v1/token", data={"grant_type": "client_credentials",
                                                 "client_id": consumer.client_id, "client_secret": secret})
    assert token.status_code == 200, token.text
    asked = client.post("/share/v1/query/key-group-membership", json={"id_number": number},
                        headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert asked.status_code == 200, asked.text
    assert (asked.json()["in_key_group"], asked.json()["state"]) == (True, "unemployed")


def test_the_clerk_enters_a_person_and_serves_them_through_the_pages(session: Session, client: Any) -> None:
    clerk = factories.staff_user(session, username="kg-clerk", division="110105")
    person, number = _person(session, "韩页面", birth=date(1975, 6, 1), male=False)
    session.commit()
    client.cookies.set("renshe_token", issue_token(clerk, minutes=10))
    form = {"id_number": number, "name": "韩叶面", "group": "hard_to_employ", "category": "older_unemployed"}
    refused = client.post("/staff/keygroups/records", data=form)
    assert refused.status_code == 422
    assert "姓名与人员基础库中该公民身份号码登记的姓名不一致" in refused.text
    made = client.post("/staff/keygroups/records", data={**form, "name": person.name})
    assert made.status_code == 200, made.text
    assert "已录入重点群体信息库" in made.text
    assert "大龄失业人员" in made.text
    row = session.scalar(select(KeyGroupRecord).where(KeyGroupRecord.person_id == person.id))
    assert row is not None
    served = client.post(f"/staff/keygroups/records/{row.public_id}/services",
                         data={"kind": "assistance", "served_on": "2026-12-02", "note": "推荐公益性岗位"})
    assert served.status_code == 200
    assert "已记录就业援助服务" in served.text
    content = "公民身份号码,姓名,重点群体\n110105198001010000,甲,农民工\n".encode()
    bad = client.post("/staff/keygroups/import", files={"file": ("x.csv", content, "text/csv")})
    assert bad.status_code == 422
    assert "全部数据均未导入" in bad.text
    assert "第2行" in bad.text
