"""SIGKILL the monthly pension payment run (`renshe pension pay`) in a real process mid-way, restart it:
every award is paid exactly once for the month, into the card once. Runs against its own SQLite file."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.own_database  # SQLite files of its own, whatever the suite's database

RENSHE = [sys.executable, "-m", "renshe"]
MONTH = "2024-06"  # before any demo retiree's first month: only the awards made below are paid


def _sql(path: Path, statement: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path, timeout=30)
    try:
        return conn.execute(statement).fetchall()
    finally:
        conn.close()


def test_kill_the_payment_run_and_restart_it(tmp_path: Path) -> None:
    database = tmp_path / "pension.db"
    env = {**os.environ, "RENSHE_DATABASE_URL": f"sqlite:///{database}", "RENSHE_KEY_FILE": str(tmp_path / "k.json"),
           "RENSHE_DEMO_MODE": "1", "PYTHONPATH": os.getcwd(), "RENSHE_PROVINCE_CODE": "110000"}
    env.pop("RENSHE_TEST_DATABASE_URL", None)
    seeded = subprocess.run([*RENSHE, "demo", "seed", "--persons", "400", "--province", "110000"], env=env,
                            capture_output=True, text=True, timeout=900, check=False)
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    # Every person without an award gets one in payment from 2024-01 (the run reads awards, not how they came).
    made = subprocess.run([sys.executable, "-c", (
        "from datetime import date\n"
        "from sqlalchemy import insert, select\n"
        "from renshe.core import db\n"
        "from renshe.core.db import utcnow\n"
        "from renshe.core.models import new_public_id\n"
        "from renshe.pension.models import PensionAward\n"
        "from renshe.metadata import metadata\n"
        "persons = metadata.tables['persons']\n"
        "with db.unit_of_work() as s:\n"
        "    have = set(s.scalars(select(PensionAward.person_id)))\n"
        "    rows = [r for r in s.execute(select(persons.c.id, persons.c.public_id, persons.c.name,\n"
        "            persons.c.id_number_masked, persons.c.residence_division)) if r.id not in have]\n"
        "    s.execute(insert(PensionAward), [dict(public_id=new_public_id(), person_id=r.id,\n"
        "        person_public_id=r.public_id, person_name=r.name, id_number_masked=r.id_number_masked,\n"
        "        division_code=r.residence_division, province='110000', application_number=None,\n"
        "        birth_month='1964-06', retirement_month=date(2023, 12, 1), start_month=date(2024, 1, 1),\n"
        "        kind='statutory', age='60y0m', months=240, deemed_months=0, basic_fen=200000 + r.id,\n"
        "        account_fen=50000, transitional_fen=0, awarded_fen=250000 + r.id, monthly_fen=250000 + r.id,\n"
        "        trace=[], parameters=[], status='in_payment', granted_by='test', granted_at=utcnow())\n"
        "        for r in rows])\n"
        "    print(len(rows))\n")], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert made.returncode == 0, made.stderr
    awards = int(made.stdout.strip())
    assert awards > 300

    command = [*RENSHE, "pension", "pay", "--month", MONTH, "--chunk", "5"]
    batch = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    killed_at = None
    while time.monotonic() < deadline and batch.poll() is None:
        rows = _sql(database, f"SELECT status, done FROM pension_runs WHERE kind = 'pay' AND period = '{MONTH}'")
        if rows and rows[0][0] == "running" and int(str(rows[0][1])) >= 40:
            os.kill(batch.pid, signal.SIGKILL)
            killed_at = int(str(rows[0][1]))
            break
        time.sleep(0.02)
    batch.wait(timeout=60)
    ended = batch.stderr.read() if batch.stderr else b""
    assert killed_at is not None, f"the run ended before it could be killed: {ended!r}"
    assert batch.returncode == -signal.SIGKILL
    status, partial = _sql(database, f"SELECT status, done FROM pension_runs WHERE period = '{MONTH}'")[0]
    assert status == "running"
    assert int(str(partial)) < awards
    paid = int(str(_sql(database, "SELECT COUNT(*) FROM pension_payments WHERE kind = 'monthly' "
                                  f"AND month = '{MONTH}-01'")[0][0]))
    assert paid == int(str(partial))  # the checkpoint and the payments moved together

    restarted = subprocess.run([*command, "--json"], env=env, capture_output=True, text=True, timeout=600,
                               check=False)
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    assert f'"done": {awards}' in restarted.stdout
    assert '"status": "done"' in restarted.stdout
    per_award = _sql(database, "SELECT award_id, COUNT(*) FROM pension_payments WHERE kind = 'monthly' "
                               f"AND month = '{MONTH}-01' GROUP BY award_id")
    assert len(per_award) == awards
    assert {count for _, count in per_award} == {1}
    cards = _sql(database, "SELECT COUNT(*), COUNT(DISTINCT reference) FROM card_payments "
                           f"WHERE programme = 'pension' AND period = '{MONTH}'")
    assert cards == [(awards, awards)]
    # each payment is the award's monthly amount
    wrong = _sql(database, "SELECT COUNT(*) FROM pension_payments p JOIN pension_awards a ON a.id = p.award_id "
                           f"WHERE p.month = '{MONTH}-01' AND p.kind = 'monthly' AND p.amount_fen <> a.monthly_fen")
    assert wrong == [(0,)]
