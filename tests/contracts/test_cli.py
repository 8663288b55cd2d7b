"""`renshe contracts …` end to end against a seeded demo (a subprocess, as a user runs it): the demo's signed
contract verifies from its PDF file, the same file with one byte changed does not, and the warnings list
answers as JSON."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.own_database  # SQLite files of its own, whatever the suite's database

RENSHE = [sys.executable, "-m", "renshe"]


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RENSHE, *args], capture_output=True, text=True, env=env, timeout=300, check=False)


def test_the_demo_contract_verifies_from_its_file_and_a_changed_byte_fails(tmp_path: Path) -> None:
    env = {**os.environ, "RENSHE_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
           "RENSHE_KEY_FILE": str(tmp_path / "k.json"), "RENSHE_DEMO_MODE": "1"}
    seeded = _run(["demo", "seed", "--persons", "300", "--province", "110000"], env)
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    conn = sqlite3.connect(tmp_path / "demo.db")
    try:
        rows = conn.execute("select number, state, final_pdf from labour_contracts").fetchall()
    finally:
        conn.close()
    assert [(r[1]) for r in rows] == ["effective"]
    signed = tmp_path / "contract.pdf"
    signed.write_bytes(rows[0][2])
    ok = _run(["contracts", "verify", str(signed), "--json"], env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert json.loads(ok.stdout)["number"] == rows[0][0]
    changed = bytearray(rows[0][2])
    changed[200] ^= 0x01
    (tmp_path / "changed.pdf").write_bytes(bytes(changed))
    bad = _run(["contracts", "verify", str(tmp_path / "changed.pdf")], env)
    assert bad.returncode == 1
    assert "合同内容已被改动" in bad.stdout
    listed = _run(["contracts", "warnings", "--json"], env)
    assert listed.returncode == 0, listed.stderr
    assert "items" in json.loads(listed.stdout)
