"""跨省通办 between two real nodes: two `uvicorn renshe.web.app:create_app --factory` servers with their own
SQLite files and province codes (浙江 330000 and 北京 110000), configured as each other's peers with a
shared secret. A citizen of 浙江 applies for 失业保险金 to be handled in 北京 (代收代办); the application
appears in 北京朝阳区's queue, is accepted there, the approval is refused by the claim's checks against 北京's
records (no unemployment insurance contributions there, the rule named), 北京 decides 不予办理 with the reason,
and the 浙江 applicant sees the result."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from renshe.hall.peers import NODE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from tests.hall.conftest import PDF, benefit_form

pytestmark = pytest.mark.own_database  # SQLite files of its own, whatever the suite's database

SECRET = "a-shared-secret-between-zj-and-bj"
ORIGIN, HANDLER = "330000", "110000"
ORIGIN_COUNTY, HANDLER_COUNTY = "330106", "110105"


@dataclass
class Node:
    province: str
    base: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path

    def admin(self) -> dict[str, str]:
        return self.staff("admin")

    def staff(self, username: str) -> dict[str, str]:
        token = httpx.post(f"{self.base}/api/v1/auth/token", data={"username": username, "password": "demo"})
        assert token.status_code == 200, token.text
        return {"Authorization": f"Bearer {token.json()['access_token']}"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "renshe", *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, f"renshe {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _environment(tmp: Path, province: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENSHE_")}
    env.update({"RENSHE_DATABASE_URL": f"sqlite:///{tmp / 'node.db'}", "RENSHE_KEY_FILE": str(tmp / "keys.json"),
                "RENSHE_VAR_DIR": str(tmp / "var"), "RENSHE_HALL_UPLOAD_DIR": str(tmp / "materials"),
                "RENSHE_DEMO_MODE": "1", "RENSHE_PROVINCE_CODE": province, "RENSHE_LOG_LEVEL": "WARNING",
                "RENSHE_PEER_SECRET": SECRET, "RENSHE_BATCH_WORKER": "0"})
    return env


def _start(tmp: Path, province: str, port: int, peer: tuple[str, int]) -> Node:
    tmp.mkdir(parents=True, exist_ok=True)
    env = _environment(tmp, province)
    _run(env, tmp, "demo", "seed", "--persons", "20", "--province", province)
    _run(env, tmp, "hall", "add-peer", "--province", peer[0], "--url", f"http://127.0.0.1:{peer[1]}")
    log = tmp / "server.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "renshe.web.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        env=env, cwd=tmp, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"node {province} exited:\n{log.read_text(errors='replace')}", pytrace=False)
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return Node(province, base, env, process, log)
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    pytest.fail(f"node {province} did not start:\n{log.read_text(errors='replace')}", pytrace=False)


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, Node]]:
    tmp = tmp_path_factory.mktemp("xp")
    port_a, port_b = _free_port(), _free_port()
    started: list[Node] = []
    try:
        started.append(_start(tmp / "zj", ORIGIN, port_a, (HANDLER, port_b)))
        started.append(_start(tmp / "bj", HANDLER, port_b, (ORIGIN, port_a)))
        yield started[0], started[1]
    finally:
        for node in started:
            os.killpg(node.process.pid, signal.SIGTERM)
            try:
                node.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(node.process.pid, signal.SIGKILL)
                node.process.wait()


def _citizen(node: Node, *, name: str, phone: str) -> tuple[str, dict[str, str]]:
    from renshe.demo import resident_id

    admin = node.admin()
    for sequence in range(901, 999, 2):
        number = resident_id(ORIGIN_COUNTY, __import__("datetime").date(1975, 6, 1), sequence)
        made = httpx.post(f"{node.base}/api/v1/persons", headers=admin, json={
            "id_number": number, "name": name, "phone": phone, "residence_division": ORIGIN_COUNTY,
            "real_name_source": "window"})
        if made.status_code == 409:
            continue
        assert made.status_code == 201, made.text
        break
    sent = httpx.post(f"{node.base}/api/v1/auth/citizen/code", json={"id_number": number})
    assert sent.status_code == 200, sent.text
    outbox = httpx.get(f"{node.base}/demo/messages").text
    code = re.search(r"验证码为(\d{6})", outbox)
    assert code, outbox[-2000:]
    token = httpx.post(f"{node.base}/api/v1/auth/citizen/token", json={"id_number": number, "code": code.group(1)})
    assert token.status_code == 200, token.text
    return number, {"Authorization": f"Bearer {token.json()['access_token']}"}


def _until(check: Callable[[], Any], what: str, node_logs: list[Path], seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    logs = "\n".join(f"--- {p}\n{p.read_text(errors='replace')[-3000:]}" for p in node_logs)
    pytest.fail(f"timed out waiting for {what}\n{logs}", pytrace=False)


def test_filed_in_zhejiang_handled_in_beijing_status_flows_back(nodes: tuple[Node, Node]) -> None:
    origin, handler = nodes
    logs = [origin.log, handler.log]
    _, citizen = _citizen(origin, name="钱塘江", phone="13900003301")
    # The citizen's 跨省通办 page offers the configured peer province.
    page = httpx.get(f"{origin.base}/citizen/hall/items/unemployment-benefit/interprovince", headers=citizen)
    assert page.status_code == 200, page.text
    assert f'<option value="{HANDLER}"' in page.text
    filed = httpx.post(f"{origin.base}/api/v1/hall/interprovince/outgoing", headers=citizen, timeout=30, json={
        "item_code": "unemployment-benefit", "province": HANDLER, "mode": "collect",
        "handling_division": HANDLER_COUNTY, "data": benefit_form(),
        "materials": [{"code": "separation_proof", "filename": "证明.pdf",
                       "content_base64": base64.b64encode(PDF).decode()}]})
    assert filed.status_code == 201, filed.text
    origin_id = filed.json()["public_id"]
    assert filed.json()["channel"] == "xp_collect"

    # It appears in 北京朝阳区's queue, with the materials the origin collected.
    clerk = handler.staff(f"clerk-{HANDLER_COUNTY}")

    def in_queue() -> Any:
        rows = httpx.get(f"{handler.base}/api/v1/hall/applications", headers=clerk,
                         params={"state": "submitted", "limit": 200}).json()["items"]
        return next((r for r in rows if r["applicant_name"] == "钱塘江"), None)

    remote = _until(in_queue, "the forwarded application in the handler's queue", logs)
    assert remote["channel"] == "xp_received"
    detail = httpx.get(f"{handler.base}/api/v1/hall/applications/{remote['public_id']}", headers=clerk).json()
    assert [m["code"] for m in detail["materials"]] == ["separation_proof"]
    assert {f["name"]: f["locked"] for f in detail["form"]}["name"] is True

    # The origin's own clerk does not get it: the other province handles it (代收代办).
    origin_clerk = origin.staff(f"clerk-{ORIGIN_COUNTY}")
    own_queue = httpx.get(f"{origin.base}/api/v1/hall/applications", headers=origin_clerk,
                          params={"limit": 200}).json()["items"]
    assert origin_id not in {r["public_id"] for r in own_queue}

    # 北京 accepts and reviews; the approval runs the claim's checks on 北京's records and is refused with the
    # rule named (no unemployment insurance contributions there), so 北京 decides 不予办理 with the reason.
    accepted = httpx.post(f"{handler.base}/api/v1/hall/applications/{remote['public_id']}/accept", headers=clerk,
                          json={})
    assert accepted.status_code == 200, accepted.text
    reviewer = handler.staff(f"reviewer-{HANDLER_COUNTY}")
    reviewed = httpx.post(f"{handler.base}/api/v1/hall/applications/{remote['public_id']}/review",
                          headers=reviewer, json={})
    assert reviewed.status_code == 200, reviewed.text
    approve = httpx.post(f"{handler.base}/api/v1/hall/applications/{remote['public_id']}/approve",
                         headers=reviewer, json={"reason": "材料齐全，符合申领条件"})
    assert approve.status_code == 422, approve.text
    assert approve.json()["type"] == "renshe:unemployment/contribution-months"
    refused = httpx.post(f"{handler.base}/api/v1/hall/applications/{remote['public_id']}/refuse",
                         headers=reviewer, json={"reason": "本地无失业保险缴费记录，不符合领取条件"})
    assert refused.status_code == 200, refused.text

    # The applicant in 浙江 sees the result.
    def decided() -> Any:
        mine = httpx.get(f"{origin.base}/api/v1/hall/applications/{origin_id}", headers=citizen).json()
        return mine if mine["state"] == "refused" else None

    mine = _until(decided, "the decision to flow back to the origin", logs)
    assert mine["state_label"] == "已办结（不予办理）"
    assert mine["decision"] == "refused"
    assert any(t["action"] == "remote_status" for t in mine["timeline"])
    page = httpx.get(f"{origin.base}/citizen/applications/{origin_id}", headers=citizen).text
    assert "已办结（不予办理）" in page
    assert "北京市" in page

    # Node-to-node calls are signed: unsigned or wrongly signed calls are refused; a replay has no new effect.
    path = "/api/v1/hall/interprovince/applications"
    replay = json.dumps({"origin_id": origin_id, "item_code": "unemployment-benefit"}).encode()
    unsigned = httpx.post(f"{handler.base}{path}", content=replay, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401
    stamp = str(int(time.time()))
    forged = httpx.post(f"{handler.base}{path}", content=replay, headers={
        "Content-Type": "application/json", NODE_HEADER: ORIGIN, TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: signature(b"wrong-secret-wrong-secret", "POST", path, stamp, replay)})
    assert forged.status_code == 401
    again = httpx.post(f"{handler.base}{path}", content=replay, headers={
        "Content-Type": "application/json", NODE_HEADER: ORIGIN, TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: signature(SECRET.encode(), "POST", path, stamp, replay)})
    assert again.status_code == 200, again.text
    assert again.json()["created"] is False
    assert again.json()["remote_id"] == remote["public_id"]
