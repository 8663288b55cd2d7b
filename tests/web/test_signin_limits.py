"""Sign-in abuse limits (issue 9, item 3): code sends, wrong codes, wrong passwords; the code step tells
nobody whether a number is registered; the counters are shared (database, or Redis) by app instances."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.core import crypto, limits
from renshe.core.models import AuditEntry, LimitCounter, OutgoingMessage
from renshe.core.settings import get_settings
from renshe.registry import service
from tests import factories

HEADERS = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
REDIS_URL = "redis://127.0.0.1:6379/5"


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Set RENSHE_* settings for one test (cleared again afterwards)."""

    def setter(**values: object) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"RENSHE_{name.upper()}", str(value))
        get_settings.cache_clear()

    yield setter
    get_settings.cache_clear()


def _number(person: object) -> str:
    return crypto.cipher().decrypt(person.id_number_encrypted, purpose=service.ID_PURPOSE)  # type: ignore[attr-defined]


def _messages(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(OutgoingMessage)) or 0)


def _last_code(session: Session) -> str:
    message = session.scalars(select(OutgoingMessage).order_by(OutgoingMessage.id.desc())).first()
    assert message is not None
    found = re.search(r"\d{6}", message.body)
    assert found is not None
    return found.group()


def _audit(session: Session, action: str, outcome: str | None = None) -> list[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.action == action)
    if outcome:
        stmt = stmt.where(AuditEntry.outcome == outcome)
    return list(session.scalars(stmt.order_by(AuditEntry.id)))


def _unregistered() -> str:
    return factories.resident_id("110105")


# ---------------------------------------------------------------------------- the code step


def test_code_request_answers_the_same_for_registered_and_unknown_numbers(client: TestClient,
                                                                          session: Session) -> None:
    known = [_number(factories.person(session, phone=phone)) for phone in ("13912345678", "13812340000")]
    unknown = [_unregistered(), _unregistered()]
    session.commit()
    answers = [client.post("/api/v1/auth/citizen/code", json={"id_number": n}) for n in (known[0], unknown[0])]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json() == answers[1].json() == {"sent": True, "expires_in": get_settings().otp_ttl_seconds}
    assert _messages(session) == 1  # only the registered phone got a message
    pages = [client.post("/citizen/login", data={"id_number": n, "action": "send"}, headers=HEADERS)
             for n in (known[1], unknown[1])]
    assert [p.status_code for p in pages] == [200, 200]
    assert "****" not in pages[0].text
    assert "1381234" not in pages[0].text
    assert 'id="code"' in pages[0].text
    assert _strip_number(pages[0].text) == _strip_number(pages[1].text)  # word for word, but for the number
    # still audited, with what happened
    rows = _audit(session, "auth.citizen_code")
    assert [r.after["result"] for r in rows if r.after] == ["sent", "not-registered", "sent", "not-registered"]


def _strip_number(page: str) -> str:
    return re.sub(r'value="[0-9X]{18}"', 'value=""', page)


def test_the_sign_in_step_answers_the_same_for_an_unknown_number(client: TestClient, session: Session) -> None:
    person = factories.person(session)
    known, unknown = _number(person), _unregistered()
    session.commit()
    for number in (known, unknown):
        assert client.post("/api/v1/auth/citizen/code", json={"id_number": number}).status_code == 200
    answers = [client.post("/api/v1/auth/citizen/token", json={"id_number": n, "code": "000000"}) for n in
               (known, unknown)]
    assert [a.json()["type"] for a in answers] == ["renshe:auth/bad-code"] * 2


def test_a_second_code_within_the_cooldown_is_refused_for_any_number(client: TestClient, session: Session) -> None:
    person = factories.person(session)
    session.commit()
    for number in (_number(person), _unregistered()):
        assert client.post("/api/v1/auth/citizen/code", json={"id_number": number}).status_code == 200
        again = client.post("/api/v1/auth/citizen/code", json={"id_number": number})
        assert again.status_code == 429
        assert again.headers["content-type"].startswith("application/problem+json")
        assert again.json()["type"] == "renshe:auth/too-many"
        assert 50 <= int(again.headers["Retry-After"]) <= 60
    assert _messages(session) == 1
    assert len(_audit(session, "auth.citizen_code", "denied")) == 2 + 1  # two refusals, one unregistered
    page = client.post("/citizen/login", data={"id_number": _number(person), "action": "send"}, headers=HEADERS)
    assert page.status_code == 429
    assert "获取验证码过于频繁" in page.text
    assert re.search(r"请\d+(秒|分钟)后再试", page.text)


def test_daily_cap_per_number(client: TestClient, session: Session, configure: Callable[..., None]) -> None:
    configure(otp_cooldown_seconds=0, otp_daily_per_number=3)
    person = factories.person(session)
    number = _number(person)
    session.commit()
    codes = [client.post("/api/v1/auth/citizen/code", json={"id_number": number}).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    assert _messages(session) == 3


def test_rate_and_daily_cap_per_address(client: TestClient, session: Session,
                                        configure: Callable[..., None]) -> None:
    configure(otp_address_per_minute=4, otp_address_daily=6)
    codes = [client.post("/api/v1/auth/citizen/code", json={"id_number": _unregistered()}).status_code
             for _ in range(6)]
    assert codes == [200] * 4 + [429] * 2  # six numbers, one address: the rate per minute
    configure(otp_address_per_minute=100, otp_address_daily=6)
    codes = [client.post("/api/v1/auth/citizen/code", json={"id_number": _unregistered()}).status_code
             for _ in range(4)]
    assert codes == [200, 200, 429, 429]  # the day's cap (4 + 2 = 6)


def test_the_phone_limit_holds_back_the_message_without_telling(client: TestClient, session: Session) -> None:
    one = factories.person(session, phone="13700001111")
    two = factories.person(session, phone="13700001111", name="李四")
    session.commit()
    first = client.post("/api/v1/auth/citizen/code", json={"id_number": _number(one)})
    second = client.post("/api/v1/auth/citizen/code", json={"id_number": _number(two)})
    assert first.json() == second.json()
    assert second.status_code == 200
    assert _messages(session) == 1  # the phone's cooldown: no second message to the same phone
    assert [r.after["result"] for r in _audit(session, "auth.citizen_code") if r.after] == ["sent", "phone-limit"]


def test_wrong_codes_are_limited_across_codes(client: TestClient, session: Session,
                                              configure: Callable[..., None]) -> None:
    configure(otp_cooldown_seconds=0, otp_failure_limit=6, otp_max_attempts=4)
    person = factories.person(session)
    number = _number(person)
    session.commit()
    for _round in range(2):  # a new code no longer resets the budget
        client.post("/api/v1/auth/citizen/code", json={"id_number": number})
        wrong = "000000" if _last_code(session) != "000000" else "111111"
        answers = [client.post("/api/v1/auth/citizen/token", json={"id_number": number, "code": wrong}).status_code
                   for _ in range(3)]
        assert answers == [401, 401, 401]
    client.post("/api/v1/auth/citizen/code", json={"id_number": number})
    right = client.post("/api/v1/auth/citizen/token", json={"id_number": number, "code": _last_code(session)})
    assert right.status_code == 429, right.text
    assert right.json()["type"] == "renshe:auth/too-many"
    assert int(right.headers["Retry-After"]) > 3000
    assert len(_audit(session, "auth.lockout")) == 1
    page = client.post("/citizen/login", data={"id_number": number, "code": _last_code(session), "action": "verify"},
                       headers=HEADERS)
    assert page.status_code == 429
    assert "验证码错误次数过多" in page.text


def test_the_right_code_clears_the_budget(client: TestClient, session: Session,
                                          configure: Callable[..., None]) -> None:
    configure(otp_cooldown_seconds=0, otp_failure_limit=3)
    person = factories.person(session)
    number = _number(person)
    session.commit()
    for _ in range(2):
        client.post("/api/v1/auth/citizen/code", json={"id_number": number})
        wrong = "000000" if _last_code(session) != "000000" else "111111"
        assert client.post("/api/v1/auth/citizen/token", json={"id_number": number, "code": wrong}).status_code == 401
        right = client.post("/api/v1/auth/citizen/token", json={"id_number": number, "code": _last_code(session)})
        assert right.status_code == 200


# ---------------------------------------------------------------------------- passwords


def test_staff_lockout_refuses_even_the_right_password(client: TestClient, session: Session,
                                                       configure: Callable[..., None]) -> None:
    configure(password_failure_limit=4)
    factories.staff_user(session, username="lock-me", password="right-pass")
    session.commit()
    wrong = [client.post("/api/v1/auth/token", data={"username": "lock-me", "password": "nope"}).status_code
             for _ in range(4)]
    assert wrong == [401] * 4
    right = client.post("/api/v1/auth/token", data={"username": "lock-me", "password": "right-pass"})
    assert right.status_code == 429
    assert right.json()["type"] == "renshe:auth/too-many"
    assert 800 <= int(right.headers["Retry-After"]) <= 900  # RENSHE_PASSWORD_LOCKOUT_MINUTES (15)
    page = client.post("/staff/login", data={"username": "lock-me", "password": "right-pass"}, headers=HEADERS)
    assert page.status_code == 429
    assert "登录失败次数过多" in page.text
    assert re.search(r"请\d+(秒|分钟)后再试", page.text)
    assert len(_audit(session, "auth.lockout")) == 1
    refused = [r for r in _audit(session, "auth.staff_sign_in", "denied") if r.after and r.after["status"] == 429]
    assert len(refused) == 2  # the API's refusal and the page's
    # another account from the same address is not locked by this one
    factories.staff_user(session, username="not-me", password="right-pass")
    session.commit()
    assert client.post("/api/v1/auth/token", data={"username": "not-me", "password": "right-pass"}).status_code == 200


def test_success_before_the_limit_forgets_the_account_failures(client: TestClient, session: Session,
                                                               configure: Callable[..., None]) -> None:
    configure(password_failure_limit=3)
    factories.staff_user(session, username="forgetful", password="right-pass")
    session.commit()
    for _ in range(3):
        for _ in range(2):
            assert client.post("/api/v1/auth/token",
                               data={"username": "forgetful", "password": "nope"}).status_code == 401
        assert client.post("/api/v1/auth/token",
                           data={"username": "forgetful", "password": "right-pass"}).status_code == 200


def test_employer_lockout_and_per_address_throttling(client: TestClient, session: Session,
                                                     configure: Callable[..., None]) -> None:
    configure(password_failure_limit=3, password_address_failure_limit=5)
    employer = factories.employer(session, password="pw-1234")
    session.commit()
    body = {"credit_code": employer.credit_code, "password": "bad"}
    assert [client.post("/api/v1/auth/employer/token", json=body).status_code for _ in range(4)] == [401] * 3 + [429]
    page = client.post("/employer/login", data={"credit_code": employer.credit_code, "password": "pw-1234"},
                       headers=HEADERS)
    assert page.status_code == 429
    assert "登录失败次数过多" in page.text
    # the address: two more failures on other names spend its budget of 5, then every name is refused
    assert client.post("/api/v1/auth/token", data={"username": "x1", "password": "bad"}).status_code == 401
    assert client.post("/api/v1/auth/token", data={"username": "x2", "password": "bad"}).status_code == 401
    refused = client.post("/api/v1/auth/token", data={"username": "x3", "password": "bad"})
    assert refused.status_code == 429
    assert {r.entity_type for r in _audit(session, "auth.lockout")} == {"employer", "address"}


# ---------------------------------------------------------------------------- shared by app instances


def _two_clients() -> tuple[TestClient, TestClient]:
    from renshe.web.app import create_app

    return TestClient(create_app(), headers=HEADERS), TestClient(create_app(), headers=HEADERS)


def test_two_app_instances_share_the_database_counters(session: Session, configure: Callable[..., None]) -> None:
    configure(password_failure_limit=4)
    assert isinstance(limits.counters(), limits.DatabaseCounters)
    factories.staff_user(session, username="shared-db", password="right-pass")
    person = factories.person(session)
    session.commit()
    one, two = _two_clients()
    with one, two:
        for client in (one, two, one, two):
            assert client.post("/api/v1/auth/token",
                               data={"username": "shared-db", "password": "bad"}).status_code == 401
        for client in (one, two):
            assert client.post("/api/v1/auth/token",
                               data={"username": "shared-db", "password": "right-pass"}).status_code == 429
        assert one.post("/api/v1/auth/citizen/code", json={"id_number": _number(person)}).status_code == 200
        assert two.post("/api/v1/auth/citizen/code", json={"id_number": _number(person)}).status_code == 429
    keys = set(session.scalars(select(LimitCounter.key)))
    assert "password-fail:staff:shared-db" in keys


def test_two_app_instances_share_the_redis_counters(session: Session, configure: Callable[..., None]) -> None:
    import redis

    prefix = f"renshe-signin-test:{secrets.token_hex(4)}:"
    store = redis.Redis.from_url(REDIS_URL)
    store.ping()  # Redis runs beside the test databases (CI starts it): fail, do not skip
    configure(redis_url=REDIS_URL, redis_prefix=prefix, password_failure_limit=4)
    try:
        assert isinstance(limits.counters(), limits.RedisCounters)
        factories.staff_user(session, username="shared-redis", password="right-pass")
        person = factories.person(session)
        session.commit()
        one, two = _two_clients()
        with one, two:
            for client in (one, two, one, two):
                assert client.post("/api/v1/auth/token",
                                   data={"username": "shared-redis", "password": "bad"}).status_code == 401
            for client in (one, two):
                answer = client.post("/api/v1/auth/token", data={"username": "shared-redis", "password": "right-pass"})
                assert answer.status_code == 429
                assert 800 <= int(answer.headers["Retry-After"]) <= 900
            assert one.post("/api/v1/auth/citizen/code", json={"id_number": _number(person)}).status_code == 200
            assert two.post("/api/v1/auth/citizen/code", json={"id_number": _number(person)}).status_code == 429
        assert session.scalar(select(func.count()).select_from(LimitCounter)) == 0  # nothing in the database
        assert int(store.get(f"{prefix}signin:password-fail:staff:shared-redis") or 0) == 4
    finally:
        for key in store.scan_iter(f"{prefix}*"):
            store.delete(key)
