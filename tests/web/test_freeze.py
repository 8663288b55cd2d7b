"""The request's unit of work under concurrent writes, against a real server (issue 13, point 1).

A denial or a failed sign-in used to wait for the writer's turn that the failing request itself held
(a 30 s freeze, the event loop blocked, audit rows lost), and an export wrote its audit row inside a read
transaction (`database is locked`). These tests send such requests to `renshe serve` in a subprocess while
other clients write, and read the server's own database (SQLite file, or a PostgreSQL database of its own
when RENSHE_TEST_DATABASE_URL is set) to check what each request left behind.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import secrets
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from io import BytesIO

import httpx
import pytest
from sqlalchemy import Engine, bindparam, create_engine, text

from tests.browser.conftest import CLERK_COUNTY, SEED_PERSONS, LiveServer, serve_demo

# A failed sign-in answers within SIGN_IN_LIMIT while another write is in flight: the median of its
# attempts does, and none takes SIGN_IN_CEILING. It took 30 s when it froze. The password check alone is
# about 25 ms of CPU, so the limits hold where each runnable process has a core; on a shared machine
# with more runnable processes than cores they are scaled by the 1-minute load per core (recorded on
# failure), which still keeps them far below the 30 s of a freeze.
SIGN_IN_LIMIT = 0.100  # seconds
SIGN_IN_CEILING = 1.0  # seconds


def contention() -> float:
    """How many runnable processes share each core (1 on an idle machine)."""
    return max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))
HEALTH_LIMIT = 1.0  # seconds: /healthz never waits this long (it waited 30 s when the loop froze)

_sequence = itertools.count()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from serve_demo(tmp_path_factory)


@pytest.fixture(scope="module")
def database(server: LiveServer) -> Iterator[Engine]:
    engine = create_engine(server.database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def _client(server: LiveServer, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=server.base_url, headers=headers, timeout=60)


def _token(server: LiveServer, username: str) -> str:
    with _client(server) as client:
        answer = client.post("/api/v1/auth/token", data={"username": username, "password": "demo"})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def _citizen_token(server: LiveServer) -> str:
    with _client(server) as client:
        sent = client.post("/api/v1/auth/citizen/code", json={"id_number": server.own.id_number})
        assert sent.status_code == 200, sent.text
        assert sent.json()["sent"], sent.text
        outbox = client.get("/demo/messages").text
        code = re.search(r"验证码为(\d{6})", outbox)
        assert code, outbox
        answer = client.post("/api/v1/auth/citizen/token",
                             json={"id_number": server.own.id_number, "code": code.group(1)})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def _request_id() -> str:
    return secrets.token_hex(16)


def register_one(client: httpx.Client) -> str:
    """Register a new person (a write with its own audit row); return its public id. Births in the 1930s
    keep clear of the seed's working-age persons; a clash (409) moves on to the next number."""
    from renshe.demo import resident_id

    for _ in range(20):
        n = next(_sequence)
        number = resident_id(CLERK_COUNTY, date(1930, 1, 1) + timedelta(days=n // 400), 100 + n % 400 * 2)
        answer = client.post("/api/v1/persons", json={"id_number": number, "name": "冯冻结",
                                                      "residence_division": CLERK_COUNTY})
        if answer.status_code != 409:
            assert answer.status_code == 201, answer.text
            return str(answer.json()["public_id"])
    raise AssertionError("no free resident ID number for a test person")


class Writers:
    """Background threads that register persons until stopped: writes in flight while a test measures."""

    def __init__(self, server: LiveServer, *, threads: int) -> None:
        self.token = _token(server, "admin")
        self.server = server
        self.done: list[str] = []
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self) -> None:
        with _client(self.server, self.token) as client:
            while not self._stop.is_set():
                try:
                    self.done.append(register_one(client))
                except BaseException as exc:  # reported by stop()
                    self.errors.append(exc)
                    return

    def __enter__(self) -> Writers:
        for thread in self._threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(self.done) < 2 * len(self._threads) and time.monotonic() < deadline and not self.errors:
            time.sleep(0.01)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
        assert not self.errors, self.errors


class HealthProbe:
    """Measures /healthz every 20 ms on a thread of its own."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.latencies: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with _client(self.server) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                answer = client.get("/healthz")
                self.latencies.append(time.perf_counter() - started)
                assert answer.status_code == 200
                self._stop.wait(0.02)

    def __enter__(self) -> HealthProbe:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


def _denied_rows(database: Engine, request_ids: list[str]) -> dict[str, int]:
    """The number of denial audit rows left by each of these requests."""
    query = text("SELECT request_id, COUNT(*) FROM audit_log WHERE outcome = 'denied' "
                 "AND request_id IN :ids GROUP BY request_id").bindparams(bindparam("ids", expanding=True))
    with database.connect() as conn:
        return {str(rid): int(count) for rid, count in conn.execute(query, {"ids": request_ids})}


def test_failed_page_sign_in_during_writes_answers_at_once_and_is_audited(
        server: LiveServer, database: Engine) -> None:
    attempts = [("/staff/login", {"username": "admin", "password": "wrong-password"}, "auth.staff_sign_in"),
                ("/employer/login", {"credit_code": server.employer_credit_code, "password": "wrong-password"},
                 None)]
    timings: dict[str, list[float]] = {}
    request_ids: dict[str, str] = {}
    with Writers(server, threads=1) as writers, _client(server) as client:
        before = len(writers.done)
        for path, form, _action in attempts * 7:
            request_id = _request_id()
            started = time.perf_counter()
            answer = client.post(path, data=form, headers={"X-Request-ID": request_id})
            timings.setdefault(path, []).append(time.perf_counter() - started)
            assert answer.status_code == 401, answer.text
            assert "错误" in answer.text
            request_ids[request_id] = path
        written_meanwhile = len(writers.done) - before
    assert written_meanwhile > 0, "no write was in flight while the sign-ins were sent"
    for path, seconds in timings.items():
        shown = f"{path}: {[round(s * 1000) for s in seconds]} ms, load {os.getloadavg()}"
        assert statistics.median(seconds) < SIGN_IN_LIMIT * contention(), shown
        assert max(seconds) < SIGN_IN_CEILING * contention(), shown
    rows = _denied_rows(database, list(request_ids))
    assert rows == dict.fromkeys(request_ids, 1)
    with database.connect() as conn:
        actions = set(conn.execute(
            text("SELECT action FROM audit_log WHERE request_id IN :ids").bindparams(
                bindparam("ids", expanding=True)), {"ids": [r for r, p in request_ids.items()
                                                             if p == "/staff/login"]}).scalars())
    assert actions == {"auth.staff_sign_in"}


def test_denials_interleaved_with_writes_each_leave_their_audit_row(
        server: LiveServer, database: Engine) -> None:
    admin = _token(server, "admin")
    clerk = _token(server, f"clerk-{CLERK_COUNTY}")
    citizen = _citizen_token(server)
    denials = [  # (token, method, path, expected status)
        (None, "GET", "/api/v1/persons", 401),
        (citizen, "GET", "/api/v1/persons", 403),
        (clerk, "GET", f"/api/v1/persons/{server.other.id_number}", 403),
        ("not-a-token", "POST", "/api/v1/persons", 401),
    ]
    jobs: list[tuple[str, int]] = [("write", i) for i in range(200)] + [("deny", i) for i in range(200)]
    random.Random(13).shuffle(jobs)
    local = threading.local()

    def run(job: tuple[str, int]) -> tuple[str, str, int]:
        if not hasattr(local, "client"):
            local.client = _client(server)
        client: httpx.Client = local.client
        kind, index = job
        if kind == "write":
            client.headers["Authorization"] = f"Bearer {admin}"
            return kind, register_one(client), 201
        token, method, path, expected = denials[index % len(denials)]
        request_id = _request_id()
        headers = {"X-Request-ID": request_id}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        else:
            client.headers.pop("Authorization", None)
        answer = client.request(method, path, headers=headers,
                                json={"id_number": "x", "name": "x", "residence_division": CLERK_COUNTY}
                                if method == "POST" else None)
        assert answer.status_code == expected, (path, answer.status_code, answer.text)
        return kind, request_id, answer.status_code

    with HealthProbe(server) as health, ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(run, jobs))
    written = [key for kind, key, _status in results if kind == "write"]
    denied = [key for kind, key, _status in results if kind == "deny"]
    assert len(written) == 200
    assert len(denied) == 200

    assert _denied_rows(database, denied) == dict.fromkeys(denied, 1)
    query = text("SELECT COUNT(*) FROM persons WHERE public_id IN :ids").bindparams(
        bindparam("ids", expanding=True))
    with database.connect() as conn:
        assert conn.execute(query, {"ids": written}).scalar_one() == 200

    assert health.latencies, "the health probe never answered"
    assert max(health.latencies) < HEALTH_LIMIT * contention(), (
        f"/healthz: max {max(health.latencies) * 1000:.0f} ms, "
        f"median {statistics.median(health.latencies) * 1000:.0f} ms over {len(health.latencies)} probes, "
        f"load {os.getloadavg()}")


def test_export_during_writes_answers_a_valid_workbook(server: LiveServer, database: Engine) -> None:
    from openpyxl import load_workbook

    request_id = _request_id()
    with Writers(server, threads=2) as writers, _client(server, _token(server, "admin")) as client:
        before = len(writers.done)
        answer = client.get("/api/v1/exports/persons.xlsx", headers={"X-Request-ID": request_id})
        written_meanwhile = len(writers.done) - before
    assert answer.status_code == 200, answer.text
    assert written_meanwhile > 0, "no write was in flight while the export ran"
    assert answer.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    sheet = load_workbook(BytesIO(answer.content), read_only=True).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) > SEED_PERSONS  # a header row, the seed's persons and those registered since
    with database.connect() as conn:
        outcomes = conn.execute(text("SELECT outcome FROM audit_log WHERE request_id = :rid"),
                                {"rid": request_id}).scalars().all()
    assert outcomes == ["ok"]  # the export's own audit row, written after the read
