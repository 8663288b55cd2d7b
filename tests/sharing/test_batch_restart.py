"""Kill a real server mid-batch (SIGKILL) and start it again: the batch completes, every row answered once."""

from __future__ import annotations

import csv
import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from renshe import demo

pytestmark = pytest.mark.own_database  # SQLite files of its own, whatever the suite's database

ROWS = 200_000  # four chunks of jobs.CHUNK: the kill lands between the first checkpoint and the last


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-m", "renshe", "serve", "--port", str(port)], env=env,
                               stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError(f"server did not start: {log.read_text()[-2000:]}")


def test_kill_mid_batch_and_restart(tmp_path: Path) -> None:
    env = {**os.environ, "RENSHE_DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}", "RENSHE_KEY_FILE":
           str(tmp_path / "k.json"), "RENSHE_DEMO_MODE": "1", "RENSHE_BATCH_DIR": str(tmp_path / "batch"),
           "RENSHE_BATCH_WORKER": "1", "RENSHE_LOG_LEVEL": "WARNING"}
    env.pop("RENSHE_TEST_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "renshe", "db", "upgrade"], env=env, check=True, capture_output=True)
    made = subprocess.run([sys.executable, "-m", "renshe", "sharing", "add-consumer", "--name", "测试局", "--grant",
                           "identity-verification"], env=env, check=True, capture_output=True, text=True)
    credentials = json.loads(made.stdout)
    source = tmp_path / "rows.csv"
    with source.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("name", "id_number"))
        for i in range(ROWS):
            birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=i // 400)
            writer.writerow(("某人", demo.resident_id("110105", birth, i % 400 * 2 + 1)))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _serve(env, port, tmp_path / "s1.log")
    try:
        token = httpx.post(f"{base}/share/v1/token", data={"grant_type": "client_credentials", **{
            "client_id": credentials["client_id"], "client_secret": credentials["client_secret"]}}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        with source.open("rb") as upload:
            job = httpx.post(f"{base}/share/v1/batch/identity", headers=headers, timeout=120,
                             files={"file": ("rows.csv", upload, "text/csv")}).json()
        deadline = time.monotonic() + 60
        progress = 0
        while progress == 0 and time.monotonic() < deadline:
            progress = httpx.get(f"{base}/share/v1/batch/{job['job_id']}", headers=headers).json()["processed_rows"]
            time.sleep(0.01)
        assert 0 < progress < ROWS, "the kill must come mid-batch"
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    server = _serve(env, port, tmp_path / "s2.log")
    try:
        deadline = time.monotonic() + 120
        state = {}
        while time.monotonic() < deadline:
            state = httpx.get(f"{base}/share/v1/batch/{job['job_id']}", headers=headers).json()
            if state["status"] == "done":
                break
            time.sleep(0.2)
        assert state["status"] == "done", state
        assert state["processed_rows"] == ROWS
        assert state["matched"] + state["mismatched"] + state["not_found"] == ROWS
        result = httpx.get(f"{base}{state['result_url']}", headers=headers, timeout=60).content.decode("utf-8-sig")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    answered = [row[1] for row in list(csv.reader(result.splitlines()))[1:]]
    expected = [row[1] for row in list(csv.reader(source.open()))[1:]]
    assert answered == expected  # every row once, in order, none lost or doubled
