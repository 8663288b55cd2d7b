"""The sign-in limits hold across two `renshe serve` processes on one database: through the database's
counters without Redis, through Redis with it (issue 9, item 3). Each process keeps its own memory, so
only a shared store can make the second one refuse what the first one counted.

The servers get a database of their own: a SQLite file (two processes on one file, as a second worker
or the CLI would), or, when RENSHE_TEST_DATABASE_URL is PostgreSQL, a fresh database beside it.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import _free_port, _renshe_command, _wait_until_healthy

TEST_URL = os.environ.get("RENSHE_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("RENSHE_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
LIMIT = 4
pytestmark = [pytest.mark.real_server, pytest.mark.slow]


@dataclass(frozen=True)
class TwoServers:
    urls: tuple[str, str]
    database_url: str
    redis_prefix: str | None


def _database(tmp: Path) -> tuple[str, object]:
    if not TEST_URL.startswith("postgresql"):
        return f"sqlite:///{tmp / 'limits.db'}", None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    main = make_url(TEST_URL)
    name = f"{main.database or 'renshe'}_limits_{secrets.token_hex(4)}"
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise pytest.UsageError(f"cannot derive a database name from {main.database!r}")
    admin = create_engine(main.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return main.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="module", params=["database", "redis"])
def servers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoServers]:
    tmp = tmp_path_factory.mktemp(f"limits-{request.param}")
    database_url, drop = _database(tmp)
    prefix = f"renshe-signin-proc:{secrets.token_hex(4)}:" if request.param == "redis" else None
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENSHE_")}
    env.update({"RENSHE_DATABASE_URL": database_url, "RENSHE_KEY_FILE": str(tmp / "keys.json"),
                "RENSHE_VAR_DIR": str(tmp / "var"), "RENSHE_PROVINCE_CODE": "110000", "RENSHE_LOG_LEVEL": "WARNING",
                "RENSHE_BATCH_WORKER": "0", "RENSHE_AUDIT_CHECKPOINT_MINUTES": "0", "RENSHE_DB_POOL_SIZE": "5",
                "RENSHE_PASSWORD_FAILURE_LIMIT": str(LIMIT), "RENSHE_NEW_PASSWORD": "right-pass"})
    if prefix is not None:
        import redis

        redis.Redis.from_url(REDIS_URL).ping()  # Redis runs beside the test databases: fail, do not skip
        env.update({"RENSHE_REDIS_URL": REDIS_URL, "RENSHE_REDIS_PREFIX": prefix})
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for command in (["db", "upgrade"],
                        *(["user", "create", name, "--role", "clerk", "--division", "110105"]
                          for name in ("sequential", "parallel"))):
            done = subprocess.run([*_renshe_command(), *command], env=env, cwd=tmp, capture_output=True, text=True,
                                  timeout=300, check=False)
            assert done.returncode == 0, done.stdout + done.stderr
        urls = []
        for index in range(2):
            port = _free_port()
            log_file = tmp / f"server{index}.log"
            with log_file.open("wb") as log:
                processes.append(subprocess.Popen([*_renshe_command(), "serve", "--port", str(port), "--no-upgrade"],
                                                  env=env, cwd=tmp, stdout=log, stderr=subprocess.STDOUT))
            urls.append(f"http://127.0.0.1:{port}")
            _wait_until_healthy(processes[-1], urls[-1], log_file)
        yield TwoServers((urls[0], urls[1]), database_url, prefix)
    finally:
        for process in processes:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if prefix is not None:
            import redis

            store = redis.Redis.from_url(REDIS_URL)
            for key in store.scan_iter(f"{prefix}*"):
                store.delete(key)
        if callable(drop):
            drop()


def _sign_in(url: str, username: str, password: str) -> int:
    return httpx.post(f"{url}/api/v1/auth/token", data={"username": username, "password": password},
                      timeout=60).status_code


def _stored(servers: TwoServers, key: str) -> int:
    if servers.redis_prefix is not None:
        import redis

        return int(redis.Redis.from_url(REDIS_URL).get(f"{servers.redis_prefix}signin:{key}") or 0)
    from sqlalchemy import create_engine, text

    engine = create_engine(servers.database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count FROM limit_counters WHERE key = :key"),
                                    {"key": key}).scalar() or 0)
    finally:
        engine.dispose()


def test_failures_counted_by_one_process_lock_the_account_on_the_other(servers: TwoServers) -> None:
    one, two = servers.urls
    assert [_sign_in(url, "sequential", "wrong") for url in (one, two, one, two)] == [401] * LIMIT
    assert _sign_in(one, "sequential", "right-pass") == 429
    assert _sign_in(two, "sequential", "right-pass") == 429
    assert _stored(servers, "password-fail:staff:sequential") == LIMIT  # in Redis, or in the database


def test_parallel_guesses_on_both_processes_cannot_outrun_the_lockout(servers: TwoServers) -> None:
    one, two = servers.urls
    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(lambda url: _sign_in(url, "parallel", "wrong"), [one, two] * 15))
    assert set(codes) <= {401, 429}
    # each process counts the guesses it has in flight with the stored ones: at most the budget each
    assert codes.count(401) <= 2 * LIMIT, codes
    assert _sign_in(one, "parallel", "right-pass") == 429
    assert _sign_in(two, "parallel", "right-pass") == 429
