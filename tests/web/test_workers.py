"""Production shape: `renshe serve --workers 2` on PostgreSQL with Redis, as a real server.

Runs whenever RENSHE_TEST_DATABASE_URL is PostgreSQL (CI runs the suite there; .ci/run starts Redis);
skipped only on SQLite, whose writer lock is per process and which stays the embedded default.
Two keep-alive connections are pinned to two different worker processes (told apart by each process's
own request counter in /metrics), then: a person registered through one worker is read through the
other, and a consumer's per-minute rate holds across both (the limit lives in Redis).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

TEST_URL = os.environ.get("RENSHE_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("RENSHE_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
pytestmark = [
    pytest.mark.real_server,
    pytest.mark.slow,
    pytest.mark.skipif(not TEST_URL.startswith("postgresql"),
                       reason="two workers need PostgreSQL (SQLite's writer lock is per process)"),
]
RATE = 6
_METRIC = re.compile(r'^renshe_http_requests_total\{method="GET",route="/metrics",status="200"\} ([0-9.e+]+)$',
                     re.MULTILINE)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _renshe() -> list[str]:
    script = Path(sys.executable).with_name("renshe")
    return [str(script)] if script.exists() else [sys.executable, "-m", "renshe"]


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import redis
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    redis.Redis.from_url(REDIS_URL).ping()  # fails the test when Redis is down: CI must start it
    main = make_url(TEST_URL)
    name = f"{main.database or 'renshe'}_workers_{secrets.token_hex(4)}"
    admin = create_engine(main.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    tmp = tmp_path_factory.mktemp("workers")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENSHE_")}
    env.update({"RENSHE_DATABASE_URL": main.set(database=name).render_as_string(hide_password=False),
                "RENSHE_KEY_FILE": str(tmp / "keys.json"), "RENSHE_VAR_DIR": str(tmp / "var"),
                "RENSHE_DEMO_MODE": "1", "RENSHE_PROVINCE_CODE": "110000", "RENSHE_LOG_LEVEL": "WARNING",
                "RENSHE_BATCH_WORKER": "0", "RENSHE_REDIS_URL": REDIS_URL,
                "RENSHE_REDIS_PREFIX": f"renshe-gw-test:{secrets.token_hex(4)}:", "RENSHE_DB_POOL_SIZE": "5"})
    process = None
    try:
        for cmd in (["db", "upgrade"], ["demo", "seed", "--persons", "20", "--province", "110000"]):
            done = subprocess.run([*_renshe(), *cmd], env=env, cwd=tmp, capture_output=True, text=True,
                                  timeout=300, check=False)
            assert done.returncode == 0, done.stderr
        made = subprocess.run([*_renshe(), "sharing", "add-consumer", "--name", "两进程测试", "--grant",
                               "identity-verification", "--rate-per-minute", str(RATE)],
                              env=env, cwd=tmp, capture_output=True, text=True, timeout=120, check=False)
        assert made.returncode == 0, made.stderr
        consumer = json.loads(made.stdout)
        port = _free_port()
        log = (tmp / "server.log").open("wb")
        process = subprocess.Popen([*_renshe(), "serve", "--workers", "2", "--port", str(port), "--no-upgrade"],
                                   env=env, cwd=tmp, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, (tmp / "server.log").read_text(errors="replace")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    pass
                if _get(http.client.HTTPConnection("127.0.0.1", port, timeout=10), "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "renshe serve --workers 2 did not start in 90 s"
            time.sleep(0.3)
        yield {"port": port, "consumer": consumer}
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _get(conn: http.client.HTTPConnection, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    return response.status, response.read()


def _post(conn: http.client.HTTPConnection, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    conn.request("POST", path, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def _served_here(conn: http.client.HTTPConnection) -> float:
    """This process's count of /metrics requests so far (each worker counts its own)."""
    status, body = _get(conn, "/metrics")
    assert status == 200
    found = _METRIC.search(body.decode())
    return float(found.group(1)) if found else 0.0


def _two_connections(port: int) -> tuple[http.client.HTTPConnection, http.client.HTTPConnection]:
    """Two keep-alive connections served by two different worker processes."""
    first = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    _served_here(first)
    for _ in range(40):
        other = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        before = _served_here(first)
        _served_here(other)
        after = _served_here(first)
        if after - before == 1:  # the other connection's request was not counted by first's process
            return first, other
        other.close()
    pytest.fail("40 connections all reached the same worker: is --workers 2 honoured?")


def test_a_write_on_one_worker_is_read_on_the_other(two_workers: dict[str, Any]) -> None:
    from renshe.demo import resident_id

    one, two = _two_connections(two_workers["port"])
    form = urllib.parse.urlencode({"username": "admin", "password": "demo", "grant_type": "password"}).encode()
    status, raw = _post(one, "/api/v1/auth/token", form, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200, raw
    auth = {"Authorization": f"Bearer {json.loads(raw)['access_token']}", "Content-Type": "application/json"}
    for sequence in range(901, 999, 2):
        number = resident_id("110105", date(1961, 5, 4), sequence)
        status, raw = _post(one, "/api/v1/persons", json.dumps({
            "id_number": number, "name": "两进程", "residence_division": "110105"}).encode(), auth)
        if status != 409:
            break
    assert status == 201, raw
    status, raw = _get(two, f"/api/v1/persons/{number}", auth)
    assert status == 200, raw
    assert json.loads(raw)["name"] == "两进程"


def test_the_rate_limit_holds_across_both_workers(two_workers: dict[str, Any]) -> None:
    one, two = _two_connections(two_workers["port"])
    consumer = two_workers["consumer"]
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": consumer["client_id"],
                                   "client_secret": consumer["client_secret"]}).encode()
    status, raw = _post(one, "/share/v1/token", form, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200, raw
    headers = {"Authorization": f"Bearer {json.loads(raw)['access_token']}", "Content-Type": "application/json"}
    body = json.dumps({"name": "甲", "id_number": "11010519491231002X"}).encode()
    codes = [_post(conn, "/share/v1/verify/identity", body, headers)[0] for _ in range(RATE) for conn in (one, two)]
    assert codes.count(200) == RATE  # one window for the consumer, not one per worker
    assert codes.count(429) == RATE
