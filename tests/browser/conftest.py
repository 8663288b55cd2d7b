"""Browser tests: a real `renshe serve` in a subprocess over a seeded demo province (Beijing), driven by
Debian's headless Chromium through Playwright.

The server gets its own database: a temporary SQLite file, or, when RENSHE_TEST_DATABASE_URL is a
PostgreSQL URL, a separate database `<name>_browser` on the same server (dropped and created here), so the
main suite's database is never touched. Chromium must be at /usr/bin/chromium (`scripts/ensure-chromium`);
when it is missing the tests fail, they do not skip.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
    "--no-first-run", "--disable-component-update", "--disable-sync",
]
PROVINCE = "110000"
CLERK_COUNTY = "110105"  # 朝阳区
OTHER_COUNTY = "110108"  # 海淀区
SEED_PERSONS = 300
STARTUP_SECONDS = 60
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@dataclass(frozen=True)
class DemoPerson:
    public_id: str
    id_number: str
    name: str
    county: str
    phone: str


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    admin_token: str
    own: DemoPerson  # lives in CLERK_COUNTY, has a phone (citizen sign-in)
    other: DemoPerson  # lives in OTHER_COUNTY
    employer_credit_code: str
    log_file: Path
    database_url: str  # the server's own database (tests that check what a request left behind read it)


# --------------------------------------------------------------------------- database and server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _renshe_command() -> list[str]:
    script = Path(sys.executable).with_name("renshe")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from renshe.cli import main; main()"]


def _postgres_database(url: str) -> tuple[str, Any]:
    """Create (after dropping) `<db>_browser` next to the main test database; return its URL and a dropper."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    main = make_url(url)
    # one database per server: several test modules may each run a server of their own at the same time
    name = f"{main.database or 'renshe'}_browser_{secrets.token_hex(4)}"
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise pytest.UsageError(f"cannot derive a browser database name from {main.database!r}")
    admin = create_engine(main.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    drop()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    browser_url = main.set(database=name).render_as_string(hide_password=False)

    def cleanup() -> None:
        try:
            drop()
        finally:
            admin.dispose()

    return browser_url, cleanup


def _server_environment(tmp: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENSHE_")}
    env.update({
        "RENSHE_DATABASE_URL": database_url,
        "RENSHE_KEY_FILE": str(tmp / "keys.json"),
        "RENSHE_VAR_DIR": str(tmp / "var"),
        "RENSHE_DEMO_MODE": "1",
        "RENSHE_PROVINCE_CODE": PROVINCE,
        "RENSHE_LOG_JSON": "1",
        "RENSHE_LOG_LEVEL": "WARNING",
        "NO_COLOR": "1",
        "COLUMNS": "160",
        # The browser tests sign the same citizen in many times a minute from one address: the code limits
        # are lifted here (tests/web/test_signin_limits.py tests them, on servers of its own too).
        "RENSHE_OTP_COOLDOWN_SECONDS": "0",
        "RENSHE_OTP_DAILY_PER_NUMBER": "0",
        "RENSHE_OTP_ADDRESS_PER_MINUTE": "0",
        "RENSHE_OTP_ADDRESS_DAILY": "0",
    })
    return env


def _wait_until_healthy(process: subprocess.Popen[bytes], base_url: str, log_file: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"renshe serve exited with {process.returncode}:\n{log_file.read_text(errors='replace')}",
                        pytrace=False)
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"renshe serve did not answer /healthz in {STARTUP_SECONDS} s:\n"
                f"{log_file.read_text(errors='replace')}", pytrace=False)


def _register(client: httpx.Client, *, county: str, name: str, phone: str) -> DemoPerson:
    """Register one person as admin; the seed draws sequence numbers at random, so retry on a clash."""
    from renshe.demo import resident_id

    for sequence in range(901, 999, 2):
        number = resident_id(county, date(1958, 3, 17), sequence)
        response = client.post("/api/v1/persons", json={
            "id_number": number, "name": name, "phone": phone, "residence_division": county,
            "real_name_source": "window"})
        if response.status_code == 409:
            continue
        assert response.status_code == 201, response.text
        return DemoPerson(response.json()["public_id"], number, name, county, phone)
    raise AssertionError(f"could not register a test person in {county}")


def _prepare_data(base_url: str, log_file: Path, database_url: str) -> LiveServer:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        token = client.post("/api/v1/auth/token", data={"username": "admin", "password": "demo"})
        assert token.status_code == 200, token.text
        admin_token = token.json()["access_token"]
        client.headers["Authorization"] = f"Bearer {admin_token}"
        # Compound surnames never occur in the seed, so a name search finds exactly these two.
        own = _register(client, county=CLERK_COUNTY, name="欧阳秋菊", phone="13900001105")
        other = _register(client, county=OTHER_COUNTY, name="司马建华", phone="13900001108")
        employers = client.get("/api/v1/employers", params={"limit": 1})
        assert employers.status_code == 200, employers.text
        credit_code = employers.json()["items"][0]["credit_code"]
    return LiveServer(base_url, admin_token, own, other, credit_code, log_file, database_url)


def serve_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A seeded demo server in a subprocess with its own database, for as long as the generator runs.

    The browser suite shares one (the session's `live_server`); a module whose tests change the demo data
    in ways others must not see starts its own with a module-scoped fixture: `yield from serve_demo(…)`.
    """
    tmp = tmp_path_factory.mktemp("renshe-browser")
    main_url = os.environ.get("RENSHE_TEST_DATABASE_URL", "")
    cleanup = None
    if main_url.startswith("postgresql"):
        database_url, cleanup = _postgres_database(main_url)
    else:
        database_url = f"sqlite:///{tmp / 'browser.db'}"
    env = _server_environment(tmp, database_url)
    renshe = _renshe_command()
    log_file = tmp / "server.log"
    process: subprocess.Popen[bytes] | None = None
    try:
        seed_command = [*renshe, "demo", "seed", "--persons", str(SEED_PERSONS), "--province", PROVINCE]
        seeded = subprocess.run(seed_command, env=env, cwd=tmp, capture_output=True, text=True,
                                timeout=300, check=False)
        if seeded.returncode != 0:
            pytest.fail(f"renshe demo seed failed ({seeded.returncode}):\n{seeded.stdout}\n{seeded.stderr}",
                        pytrace=False)
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        with log_file.open("wb") as log:
            process = subprocess.Popen([*renshe, "serve", "--port", str(port), "--no-upgrade"],
                                       env=env, cwd=tmp, stdout=log, stderr=subprocess.STDOUT)
        _wait_until_healthy(process, base_url, log_file)
        yield _prepare_data(base_url, log_file, database_url)
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if cleanup is not None:
            cleanup()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from serve_demo(tmp_path_factory)


# --------------------------------------------------------------------------- browser


def launch_chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright; one per test session (tests/conftest.py's `chromium`)."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. Run `scripts/ensure-chromium` "
                    "(or `sudo apt-get install -y chromium fonts-noto-cjk`); never `playwright install`.",
                    pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(chromium: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh browser context per test (no cookies carried over); CSP bypassed so axe can be injected."""
    ctx = chromium.new_context(base_url=live_server.base_url, bypass_csp=True, locale="zh-CN",
                               viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(10_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


def sign_in_citizen(page: Any, id_number: str, phone: str) -> None:
    """A citizen signs in with the one-time code read from the demo outbox (/demo/messages)."""
    from playwright.sync_api import expect

    page.goto("/citizen/login")
    page.fill("#id_number", id_number)
    page.click("form.card button[type=submit]")
    expect(page.locator("#code")).to_be_visible()
    outbox = page.context.new_page()
    outbox.goto("/demo/messages")
    row = outbox.locator("tbody tr", has_text=f"{phone[:3]}****{phone[-4:]}").first
    match = re.search(r"验证码为(\d{6})", row.inner_text())
    assert match, row.inner_text()
    outbox.close()
    page.fill("#code", match.group(1))
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/citizen")


def sign_in_staff(page: Any, username: str, password: str = "demo") -> None:
    """Sign in through the /staff/login form and land on the workbench."""
    page.goto("/staff/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form.form button[type=submit]")
    page.wait_for_url("**/staff")


def set_elderly(context: Any, live_server: LiveServer, on: bool = True) -> None:
    context.add_cookies([{"name": "renshe_elderly", "value": "1" if on else "0", "url": live_server.base_url}])


@functools.cache
def _axe() -> Any:
    from axe_playwright_python.sync_playwright import Axe

    return Axe()  # reads the bundled axe.min.js once


def assert_no_axe_violations(page: Any, label: str) -> None:
    """Run axe-core (WCAG 2.1 A and AA rules) on the page; fail with each rule, its help and the nodes."""
    results = _axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS},
                                        "resultTypes": ["violations"]})
    violations = results.response["violations"]
    if violations:
        lines = [f"axe found {len(violations)} violation(s) on {label}:"]
        for v in violations:
            lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
            for node in v["nodes"][:8]:
                lines.append(f"    {node['target']}: {node.get('failureSummary', '').splitlines()[-1:]}")
            if len(v["nodes"]) > 8:
                lines.append(f"    … and {len(v['nodes']) - 8} more")
        pytest.fail("\n".join(lines), pytrace=False)
