"""`%` and `_` typed into a search field are literal characters, not wildcards (issue 9, item 9); the same
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core import search
from renshe.core.auth import SYSTEM
from renshe.registry import service
from renshe.registry.models import Employer
from tests import factories


def test_wildcards_in_a_person_search_match_nothing_they_do_not_spell(client: TestClient, session: Session) -> None:
    clerk = factories.staff_user(session, username="srch1")
    for i, name in enumerate(("王秀英", "王建国", "李明")):
        factories.person(session, county="110105", name=name, birth=date(1975, 3, i + 1))
    session.commit()

    def names(q: str, **extra: str) -> list[str]:
        answer = client.get("/api/v1/persons", params={"q": q, **extra}, headers=factories.bearer(clerk))
        assert answer.status_code == 200, answer.text
        return sorted(p["name"] for p in answer.json()["items"])

    assert names("王") == ["王建国", "王秀英"]
    assert names("%") == []
    assert names("_") == []
    assert names("王%") == []
    assert names("王_英") == []
    assert names("李") == ["李明"]
    assert names("王", division="1101%") == []
    rows, _ = service.search_persons(session, actor=SYSTEM, q="%")
    assert rows == []


def test_wildcards_in_an_employer_search(session: Session) -> None:
    clerk = factories.staff_user(session, username="srch2")
    for name in ("测试科技有限公司", "百分百%服务有限公司", "北京_数据有限公司"):
        factories.employer(session, name=name)
    found = {e.name for e in service.search_employers(session, actor=clerk, q="%")[0]}
    assert found == {"百分百%服务有限公司"}
    assert {e.name for e in service.search_employers(session, actor=clerk, q="_")[0]} == {"北京_数据有限公司"}
    assert {e.name for e in service.search_employers(session, actor=clerk, q="有限%")[0]} == set()
    assert len(service.search_employers(session, actor=clerk, q="有限")[0]) == 3


def test_the_helpers_escape_the_escape_character_too(session: Session) -> None:
    factories.employer(session, name="甲/乙%有限公司")
    factories.employer(session, name="甲乙有限公司")
    starts = set(session.scalars(select(Employer.name).where(search.starts_with(Employer.name, "甲/乙%"))))
    assert starts == {"甲/乙%有限公司"}
    inside = set(session.scalars(select(Employer.name).where(search.contains(Employer.name, "/"))))
    assert inside == {"甲/乙%有限公司"}
    plain = set(session.scalars(select(Employer.name).where(search.contains(Employer.name, "乙有限"))))
    assert plain == {"甲乙有限公司"}
