"""SIGKILL the yearly interest batch (`renshe insurance interest`) in a real process mid-way, restart it:
every account is credited exactly once for the year. Runs against its own SQLite file, as a user runs it."""

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
YEAR = 2019  # before the ledger demo's own years: the accounts opened below (and the demo retirees') earn interest

def _sql(path: Path, statement: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path, timeout=30)
    try:
        return conn.execute(statement).fetchall()
    finally:
        conn.close()


def test_kill_the_interest_batch_and_restart_it(tmp_path: Path) -> None:
    database = tmp_path / "ledger.db"
    env = {**os.environ, "RENSHE_DATABASE_URL": f"sqlite:///{database}", "RENSHE_KEY_FILE": str(tmp_path / "k.json"),
           "RENSHE_DEMO_MODE": "1", "PYTHONPATH": os.getcwd()}
    env.pop("RENSHE_TEST_DATABASE_URL", None)
    seeded = subprocess.run([*RENSHE, "demo", "seed", "--persons", "1200", "--province", "110000"], env=env,
                            capture_output=True, text=True, timeout=600, check=False)
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    # Every person without a relation becomes a flexible worker with an opening balance from 2018.
    opened = subprocess.run([sys.executable, "-c", (
        "from datetime import date\n"
        "from sqlalchemy import insert, select\n"
        "from renshe.core import db\n"
        "from renshe.core.db import utcnow\n"
        "from renshe.core.models import new_public_id\n"
        "from renshe.insurance.models import AccountEntry, InsuranceRelation\n"
        "from renshe.metadata import metadata\n"
        "persons = metadata.tables['persons']\n"
        "with db.unit_of_work() as s:\n"
        "    have = set(s.scalars(select(InsuranceRelation.person_id)))\n"
        "    rows = [r for r in s.execute(select(persons.c.id, persons.c.public_id, persons.c.name,\n"
        "            persons.c.id_number_masked)) if r.id not in have]\n"
        "    s.execute(insert(InsuranceRelation), [dict(public_id=new_public_id(), person_id=r.id,\n"
        "        person_public_id=r.public_id, person_name=r.name, id_number_masked=r.id_number_masked, unit_id=None,\n"
        "        insurance_type='110', kind='flexible', province='110000', start_date=date(2018, 1, 1),\n"
        "        start_reason='11', open_key=None, created_by='test', created_at=utcnow()) for r in rows])\n"
        "    s.execute(insert(AccountEntry), [dict(person_id=r.id, kind='opening', entry_date=date(2018, 6, 1),\n"
        "        year=2018, amount_fen=100000 + r.id, source=f'opening:{r.id}', detail=None, posted_at=utcnow())\n"
        "        for r in rows])\n"
        "    print(len(rows))\n")], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert opened.returncode == 0, opened.stderr
    assert int(opened.stdout.strip()) > 1000
    # The accounts the year's run credits: those opened above, and the demo retirees' (whose working lives
    # in the ledger reach back before the ledger demo's own years).
    accounts = int(str(_sql(database, "SELECT COUNT(DISTINCT e.person_id) FROM ins_account_entries e "
                                      "JOIN ins_relations r ON r.person_id = e.person_id AND r.insurance_type = '110' "
                                      f"WHERE e.entry_date <= '{YEAR}-12-31'")[0][0]))

    command = [*RENSHE, "insurance", "interest", "--province", "110000", "--year", str(YEAR), "--chunk", "10"]
    batch = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    killed_at = None
    while time.monotonic() < deadline and batch.poll() is None:
        rows = _sql(database, f"SELECT status, accounts FROM ins_interest_runs WHERE year = {YEAR}") \
            if _sql(database, "SELECT name FROM sqlite_master WHERE name = 'ins_interest_runs'") else []
        if rows and rows[0][0] == "running" and int(str(rows[0][1])) >= 100:
            os.kill(batch.pid, signal.SIGKILL)
            killed_at = int(str(rows[0][1]))
            break
        time.sleep(0.02)
    batch.wait(timeout=60)
    assert killed_at is not None, "the batch finished before it could be killed"
    assert batch.returncode == -signal.SIGKILL
    status, partial = _sql(database, f"SELECT status, accounts FROM ins_interest_runs WHERE year = {YEAR}")[0]
    assert status == "running"
    assert int(str(partial)) < accounts
    credited = int(str(_sql(database, "SELECT COUNT(*) FROM ins_account_entries WHERE kind = 'interest' "
                                      f"AND year = {YEAR}")[0][0]))
    assert credited == int(str(partial))  # the checkpoint and the entries moved together

    restarted = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    assert f"{YEAR}年计息完成：{accounts}个账户" in restarted.stdout
    per_person = _sql(database, "SELECT person_id, COUNT(*) FROM ins_account_entries WHERE kind = 'interest' "
                                f"AND year = {YEAR} GROUP BY person_id")
    assert len(per_person) == accounts
    assert {count for _, count in per_person} == {1}
    # Each credit is the full year's rate (2019: 7.61 %) on that account's opening balance.
    wrong = _sql(database, "SELECT COUNT(*) FROM ins_account_entries i JOIN ins_account_entries o "
                           "ON o.person_id = i.person_id AND o.kind = 'opening' "
                           f"WHERE i.kind = 'interest' AND i.year = {YEAR} "
                           "AND i.amount_fen <> CAST((o.amount_fen * 761 + 5000) / 10000 AS INTEGER)")
    assert wrong == [(0,)]
