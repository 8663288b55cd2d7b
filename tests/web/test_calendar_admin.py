from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests import factories

SCHEDULE = {
    "year": 2027, "source_note": "测试用：假定的2027年安排",
    "holidays": [{"date": f"2027-10-0{d}", "name": "国庆节"} for d in range(1, 8)],
    "workdays": ["2027-10-09"],
}


def test_year_view_and_add_workdays_api(client: TestClient, session: Session) -> None:
    clerk = factories.staff_user(session, username="cal-c1")
    session.commit()
    assert client.get("/api/v1/calendar/2027").status_code == 401
    year = client.get("/api/v1/calendar/2027", headers=factories.bearer(clerk)).json()
    assert (year["source"], year["provisional"]) == ("provisional", True)
    assert {"date": "2027-02-08", "weekday": "星期一", "name": "春节"} in year["holidays"]
    assert year["workdays"] == []
    official = client.get("/api/v1/calendar/2026", headers=factories.bearer(clerk)).json()
    assert official["source"] == "chinese-calendar"
    assert {"date": "2026-10-10", "weekday": "星期六"} in official["workdays"]
    added = client.get("/api/v1/calendar/add-workdays?start=2026-09-30&n=5", headers=factories.bearer(clerk)).json()
    assert added == {"start": "2026-09-30", "n": 5, "date": "2026-10-13", "provisional": False,
                     "sources": ["chinese-calendar"]}
    later = client.get("/api/v1/calendar/add-workdays?start=2026-12-30&n=5", headers=factories.bearer(clerk)).json()
    assert later["provisional"] is True
    refused = client.get("/api/v1/calendar/2100", headers=factories.bearer(clerk))
    assert refused.status_code == 422
    assert refused.json()["type"] == "renshe:workdays/unsupported-year"
    assert client.get("/api/v1/calendar/add-workdays?start=2026-09-30&n=-1",
                      headers=factories.bearer(clerk)).status_code == 422


def test_admin_loads_a_schedule_through_the_api(client: TestClient, session: Session) -> None:
    admin = factories.staff_user(session, username="cal-a1", roles=("admin",), division="110000")
    clerk = factories.staff_user(session, username="cal-c2")
    session.commit()
    denied = client.post("/api/v1/calendar/schedules", json=SCHEDULE, headers=factories.bearer(clerk))
    assert denied.status_code == 403
    bad = client.post("/api/v1/calendar/schedules", headers=factories.bearer(admin),
                      json={**SCHEDULE, "workdays": ["2027-10-08", "2027-10-02"]})
    assert bad.status_code == 422
    assert [e["code"] for e in bad.json()["errors"]] == ["renshe:workdays/not-weekend", "renshe:workdays/both"]
    created = client.post("/api/v1/calendar/schedules", json=SCHEDULE, headers=factories.bearer(admin))
    assert created.status_code == 201, created.text
    assert (created.json()["source"], created.json()["loaded_by"]) == ("loaded", "cal-a1")
    added = client.get("/api/v1/calendar/add-workdays?start=2027-09-30&n=5", headers=factories.bearer(clerk)).json()
    assert (added["date"], added["provisional"]) == ("2027-10-13", False)


def test_calendar_page_shows_the_year_and_admins_upload(client: TestClient, session: Session) -> None:
    factories.staff_user(session, username="cal-a2", roles=("admin",), division="110000", password="pw-pw-pw-1")
    session.commit()
    client.post("/staff/login", data={"username": "cal-a2", "password": "pw-pw-pw-1"})
    page = client.get("/staff/calendar?year=2027&start=2026-09-30&n=5")
    assert page.status_code == 200
    assert "暂定" in page.text
    assert "2026-10-13" in page.text
    assert "载入节假日安排" in page.text
    csv_bad = "date,type,name\n2027-10-01,holiday,国庆节\n2027-10-08,workday,\n2027-13-01,holiday,x\n"
    refused = client.post("/staff/calendar", data={"year": "2027", "source_note": "通知"},
                          files={"file": ("2027.csv", csv_bad.encode(), "text/csv")})
    assert refused.status_code == 422
    assert "第4行：日期“2027-13-01”不是有效的 YYYY-MM-DD 日期" in refused.text
    assert "第3行：2027-10-08 是星期五，调休上班日只能是星期六或星期日" in refused.text
    good = "date,type,name\n2027-10-01,holiday,国庆节\n2027-10-04,holiday,国庆节\n2027-10-09,workday,\n"
    loaded = client.post("/staff/calendar", data={"year": "", "source_note": "测试通知"},
                         files={"file": ("2027.csv", good.encode(), "text/csv")})
    assert loaded.status_code == 200, loaded.text
    assert "已载入2027年节假日安排" in loaded.text
    assert "测试通知" in loaded.text


def test_clerks_see_the_calendar_but_cannot_upload(client: TestClient, session: Session) -> None:
    factories.staff_user(session, username="cal-c3", password="pw-pw-pw-2")
    session.commit()
    client.post("/staff/login", data={"username": "cal-c3", "password": "pw-pw-pw-2"})
    page = client.get("/staff/calendar?year=2026")
    assert page.status_code == 200
    assert "国庆节" in page.text
    assert 'enctype="multipart/form-data"' not in page.text
    upload = client.post("/staff/calendar", data={"year": "2027", "source_note": "x"},
                         files={"file": ("s.json", b'{"holidays": [{"date": "2027-01-01", "name": "a"}]}')})
    assert upload.status_code == 403
