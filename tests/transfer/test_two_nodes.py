"""转移接续 between two real nodes: two `uvicorn renshe.web.app:create_app --factory` servers with their own
SQLite files and province codes (浙江 330000, the old place, and 北京 110000, the new place), peers of each
other with a shared secret, as in tests/hall/test_interprovince_nodes.py.

The demo citizen of 浙江 has several years of contributions and an account with interest. They move to
北京 (their registration place there), apply for the transfer, 浙江 issues the participation certificate
and moves the whole balance and 12 % of the bases; 北京 posts the transfer in. Repeated messages (the request,
the certificate) and a repeated 转出 move nothing a second time."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from renshe.hall.peers import NODE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from tests.hall.test_interprovince_nodes import SECRET, Node, _environment, _free_port, _run, _until

pytestmark = pytest.mark.own_database  # SQLite files of its own, whatever the suite's database

OLD, NEW = "330000", "110000"
NEW_COUNTY = "110105"


def _start(tmp: Path, province: str, port: int, peer: tuple[str, int]) -> tuple[Node, str]:
    tmp.mkdir(parents=True, exist_ok=True)
    env = _environment(tmp, province)
    seeded = _run(env, tmp, "demo", "seed", "--persons", "20", "--province", province)
    sample = re.search(r"sample citizen: \S+ (\d{17}[\dX])", seeded)
    assert sample, seeded
    _run(env, tmp, "hall", "add-peer", "--province", peer[0], "--url", f"http://127.0.0.1:{peer[1]}")
    log = tmp / "server.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "renshe.web.app:create_app", "--factory", "--host",
         "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env, cwd=tmp, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"node {province} exited:\n{log.read_text(errors='replace')}", pytrace=False)
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return Node(province, base, env, process, log), sample.group(1)
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    pytest.fail(f"node {province} did not start:\n{log.read_text(errors='replace')}", pytrace=False)


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, Node, str]]:
    tmp = tmp_path_factory.mktemp("transfer")
    port_old, port_new = _free_port(), _free_port()
    started: list[Node] = []
    try:
        old, sample = _start(tmp / "zj", OLD, port_old, (NEW, port_new))
        started.append(old)
        new, _ = _start(tmp / "bj", NEW, port_new, (OLD, port_old))
        started.append(new)
        yield old, new, sample
    finally:
        for node in started:
            os.killpg(node.process.pid, signal.SIGTERM)
            try:
                node.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(node.process.pid, signal.SIGKILL)
                node.process.wait()


def _sign_in(node: Node, id_number: str) -> dict[str, str]:
    sent = httpx.post(f"{node.base}/api/v1/auth/citizen/code", json={"id_number": id_number})
    assert sent.status_code == 200, sent.text
    codes = re.findall(r"验证码为(\d{6})", httpx.get(f"{node.base}/demo/messages").text)
    assert codes
    for code in reversed(codes):
        token = httpx.post(f"{node.base}/api/v1/auth/citizen/token", json={"id_number": id_number, "code": code})
        if token.status_code == 200:
            return {"Authorization": f"Bearer {token.json()['access_token']}"}
    pytest.fail("no valid sign-in code")


def _fen(yuan: str) -> int:
    return int(Decimal(yuan) * 100)


def _signed_post(sender: str, target: Node, body: dict[str, Any]) -> httpx.Response:
    path = "/api/v1/pension-transfers/messages"
    raw = json.dumps(body).encode()
    stamp = str(int(time.time()))
    return httpx.post(f"{target.base}{path}", content=raw, headers={
        "Content-Type": "application/json", NODE_HEADER: sender, TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: signature(SECRET.encode(), "POST", path, stamp, raw)})


def test_transfer_moves_the_account_and_twelve_percent_once(nodes: tuple[Node, Node, str]) -> None:
    old, new, id_number = nodes
    logs = [old.log, new.log]
    # At the old place: months, bases and the balance before the move.
    old_citizen = _sign_in(old, id_number)
    before = httpx.get(f"{old.base}/api/v1/insurance/me/record", headers=old_citizen).json()
    balance = _fen(before["balance"])
    posted = [line for line in before["lines"] if line["posted"]]
    assert balance > 0
    assert posted, before
    bases = sum(_fen(line["base"]) for line in posted)
    twelve = int((Decimal(bases) * Decimal("0.12")).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    # The person now works in 北京, their registration place there, and applies at the new place.
    admin_new = new.admin()
    made = httpx.post(f"{new.base}/api/v1/persons", headers=admin_new, json={
        "id_number": id_number, "name": "转移人", "phone": "13900001100", "residence_division": NEW_COUNTY,
        "real_name_source": "window"})
    assert made.status_code in (201, 409), made.text
    citizen = _sign_in(new, id_number)
    applied = httpx.post(f"{new.base}/api/v1/pension-transfers", headers=citizen, timeout=30, json={
        "old_province": OLD, "from_agency": "杭州市社会保险事业管理服务中心", "hukou_type": "urban"})
    assert applied.status_code == 201, applied.text
    case = applied.json()
    assert case["kind"] == "transfer"
    assert case["state"] == "requested"
    assert case["deadlines"]["request"]["workdays"] == 15
    assert "国办发〔2009〕66号第八条" in case["deadlines"]["transfer"]["source"]
    ref = case["ref"]
    # The application is in the applicant's hall record too.
    mine = httpx.get(f"{new.base}/api/v1/hall/applications/{case['application_public_id']}", headers=citizen)
    assert mine.status_code == 200, mine.text
    assert mine.json()["item_code"] == "pension-transfer", mine.text

    # The old place receives the request (联系函).
    admin_old = old.admin()

    def received() -> Any:
        rows = httpx.get(f"{old.base}/api/v1/pension-transfers", headers=admin_old, params={"role": "out"}).json()
        return next((r for r in rows["items"] if r["ref"] == ref), None)

    out = _until(received, "the request at the old place", logs)
    assert out["state"] == "requested"
    # A repeated request registers nothing new.
    again = _signed_post(NEW, old, {"type": "request", "ref": ref, "id_number": id_number, "requested_on":
                                    case["requested_on"]})
    assert again.status_code == 200, again.text
    assert again.json() == {"applied": False}, again.text

    # The old place issues the certificate and transfers; a second 转出 is refused.
    issued = httpx.post(f"{old.base}/api/v1/pension-transfers/{out['public_id']}/issue", headers=admin_old)
    assert issued.status_code == 200, issued.text
    certificate = issued.json()
    assert certificate["account_fen"] == balance
    assert certificate["pooled_fen"] == twelve
    assert certificate["months"] == len({line["month"] for line in posted})
    twice = httpx.post(f"{old.base}/api/v1/pension-transfers/{out['public_id']}/issue", headers=admin_old)
    assert twice.status_code == 409, twice.text
    after_old = httpx.get(f"{old.base}/api/v1/insurance/me/record", headers=old_citizen).json()
    assert _fen(after_old["balance"]) == 0

    # The new place takes over once, and the old place sees the case completed.
    def completed() -> Any:
        found = httpx.get(f"{new.base}/api/v1/pension-transfers/{case['public_id']}", headers=citizen).json()
        return found if found["state"] == "completed" else None

    done = _until(completed, "the take-over at the new place", logs)
    assert done["account_fen"] == balance
    assert done["pooled_fen"] == twelve
    assert done["deadlines"]["take_over"]["done_on"]
    record = httpx.get(f"{new.base}/api/v1/insurance/me/record", headers=citizen).json()
    assert _fen(record["balance"]) == balance
    _until(lambda: received()["state"] == "completed", "the confirmation at the old place", logs)

    # The certificate message repeated (as a retry would): nothing moves a second time.
    repeat = _signed_post(OLD, new, {"type": "certificate", "ref": ref, "account_fen": balance,
                                     "pooled_fen": twelve, "months": [], "certificate": {}})
    assert repeat.status_code == 200, repeat.text
    assert repeat.json() == {"applied": False}, repeat.text
    record = httpx.get(f"{new.base}/api/v1/insurance/me/record", headers=citizen).json()
    assert _fen(record["balance"]) == balance
    # Unsigned messages are refused.
    unsigned = httpx.post(f"{new.base}/api/v1/pension-transfers/messages", json={"type": "certificate", "ref": ref})
    assert unsigned.status_code == 401

    # The old place's monthly fund report (the CLI a scheduler runs) counts the account and the pooled part
    # transferred out as this month's expenditure, once.
    period = certificate["certificate"]["issued_on"][:7]
    reported = json.loads(_run(old.env, old.log.parent, "pooling", "report", "--period", period))
    assert reported["province"] == OLD
    assert reported["expenditure_fen"] == balance + twelve
