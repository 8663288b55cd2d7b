"""Unemployment benefit payments at scale: a province's monthly payment run (失业保险金按月发放) for 100,000
recipients, resumable, against an anchor of the same rows written by a raw bulk insert in the same run.

    .venv/bin/python benchmarks/unemployment_payments.py                        # 100,000 recipients
    .venv/bin/python benchmarks/unemployment_payments.py --recipients 10000     # quick

1. Seeding (cached under benchmarks/.cache/unemployment-<N>/, in a child process): the migrations; N synthetic
   persons (ID number fields are random bytes: no step here reads them), one open unemployment registration
   and one benefit in payment each (12 months from 2026-11, 1,800.00 yuan plus up to 9.99, medical 300.00).
   No social security cards are seeded: every card payment is written as held (暂缓), the same row either way.
2. renshe: `renshe unemployment pay --province 110000 --month 2026-11`, killed (SIGKILL) once a quarter of the
   recipients are paid, then run again to finish (it resumes after the checkpoint). Each chunk writes, set-based,
   the payment rows, the medical contributions due from the fund and the card payments (3 rows a recipient).
   The two children's wall times are added; peak RSS is the larger. Checked: every recipient paid exactly once,
   once in the card and once in the medical dues.
3. Anchor: the same 3N rows, read back from renshe's result, inserted with sqlite3 `executemany` into empty
   tables of the same schema and indexes, one transaction (a raw bulk insert), timed inside its child.
`os.getloadavg()` is recorded around each step: the machine is shared, so compare within one run.

Writes benchmarks/results/unemployment_payments.json.
"""

from __future__ import annotations

import argparse
import os
import pickle
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import benchlib

PROVINCE = "110000"
MONTH = "2026-11"
CACHE = Path(__file__).resolve().parent / ".cache"
TABLES = ("unemp_payments", "unemp_medical_dues", "card_payments")

SEED = """
import random, sys
from datetime import date, datetime, UTC
from sqlalchemy import insert
from renshe.core import db
from renshe.core.db import Base
from renshe import metadata  # noqa: F401  (every table)

recipients = int(sys.argv[1])
rng = random.Random(2026)
now = datetime.now(UTC)
T = Base.metadata.tables
engine = db.get_engine()

def hexid(n, kind):
    return f"{kind:>02}{n:030x}"

with engine.begin() as conn:
    step = 20_000
    for start in range(1, recipients + 1, step):
        ids = range(start, min(recipients, start + step - 1) + 1)
        conn.execute(insert(T["persons"]), [
            {"id": n, "public_id": hexid(n, "p"), "id_number_index": rng.randbytes(20),
             "id_number_encrypted": rng.randbytes(47), "id_number_masked": "110105********0000",
             "name": f"领取人{n}", "sex": "1" if n % 2 else "2", "birth_date": date(1970 + n % 30, 1 + n % 12, 1),
             "residence_division": "110105", "status": "normal", "real_name_state": "unverified",
             "source": "bench", "version": 1, "created_at": now, "updated_at": now} for n in ids])
        conn.execute(insert(T["unemp_registrations"]), [
            {"id": n, "public_id": hexid(n, "r"), "person_id": n, "person_public_id": hexid(n, "p"),
             "person_name": f"领取人{n}", "id_number_masked": "110105********0000", "division_code": "110105",
             "place": "residence", "channel": "window", "registered_on": date(2026, 10, 15),
             "job_intention": "求职", "status": "open", "open_key": n, "registered_by": "bench", "created_at": now}
            for n in ids])
        conn.execute(insert(T["unemp_benefits"]), [
            {"id": n, "public_id": hexid(n, "b"), "person_id": n, "person_public_id": hexid(n, "p"),
             "person_name": f"领取人{n}", "id_number_masked": "110105********0000", "division_code": "110105",
             "province": "110000", "registration_id": n, "separation_date": date(2026, 9, 30),
             "separation_reason": "contract_expired", "contribution_months": 40, "carried_months": 0, "months": 12,
             "monthly_fen": 180000 + n % 1000, "medical_fen": 30000, "start_month": date(2026, 11, 1),
             "end_month": date(2027, 10, 1), "first_payment_on": date(2026, 11, 3), "trace": [], "parameters": [],
             "status": "in_payment", "open_key": n, "granted_by": "bench", "granted_at": now} for n in ids])
        print("seeded", ids[-1], flush=True)
"""

ANCHOR_INSERT = """
import sqlite3, sys, time, pickle
dst, dump = sys.argv[1], sys.argv[2]
with open(dump, "rb") as f:
    schema, rows = pickle.load(f)
conn = sqlite3.connect(dst)
for ddl in schema:
    conn.execute(ddl)
conn.commit()
started = time.perf_counter()
conn.execute("BEGIN")
for table, (columns, values) in rows.items():
    conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", values)
conn.commit()
print("INSERT_SECONDS", time.perf_counter() - started)
"""


def _loadavg() -> float:
    return round(os.getloadavg()[0], 2)


def seed(recipients: int) -> Path:
    folder = CACHE / f"unemployment-{recipients}"
    seeded = folder / "seeded.db"
    if seeded.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    work = folder / "seeding.db"
    work.unlink(missing_ok=True)
    env = benchlib.renshe_env(database_url=f"sqlite:///{work}", key_file=folder / "keys.json", province=PROVINCE)
    migrate = benchlib.run_measured([*benchlib.renshe_command(), "db", "upgrade"], env=env,
                                    log_path=folder / "migrate.log")
    if migrate.returncode != 0:
        raise benchlib.BenchmarkError(f"migrations failed:\n{benchlib.tail(folder / 'migrate.log')}")
    run = benchlib.run_measured([benchlib.python(), "-c", SEED, str(recipients)], env=env,
                                log_path=folder / "seed.log")
    if run.returncode != 0:
        raise benchlib.BenchmarkError(f"seeding failed:\n{benchlib.tail(folder / 'seed.log')}")
    work.rename(seeded)
    print(f"seeded {recipients:,} recipients in {run.wall_seconds:.0f} s", flush=True)
    return folder


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db, timeout=60) as conn:
        return int(conn.execute(sql).fetchone()[0])


def _killed_run(command: list[str], *, env: dict[str, str], db: Path, at: int, log: Path) -> dict[str, Any]:
    """Start the run, SIGKILL it once `at` recipients are done (read from its checkpoint)."""
    started = time.perf_counter()
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        done = 0
        while proc.poll() is None:
            try:
                done = _count(db, f"SELECT COALESCE(MAX(done), 0) FROM unemp_runs WHERE period = '{MONTH}'")  # noqa: S608 - a constant
            except sqlite3.OperationalError:
                done = 0
            if done >= at:
                os.killpg(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.05)
        _, status, usage = os.wait4(proc.pid, 0)
    return {"wall_seconds": round(time.perf_counter() - started, 3), "done_at_kill": done,
            "killed": os.waitstatus_to_exitcode(status) == -signal.SIGKILL,
            "peak_rss_mib": round(usage.ru_maxrss / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--output", default="unemployment_payments")
    args = parser.parse_args()
    n = args.recipients
    folder = seed(n)
    run_db = folder / "run.db"
    shutil.copyfile(folder / "seeded.db", run_db)
    env = benchlib.renshe_env(database_url=f"sqlite:///{run_db}", key_file=folder / "keys.json", province=PROVINCE)
    command = [*benchlib.renshe_command(), "unemployment", "pay", "--province", PROVINCE, "--month", MONTH, "--json"]
    result: dict[str, Any] = {"benchmark": "unemployment_payments", "backend": "sqlite", "recipients": n,
                              "month": MONTH, "environment": benchlib.environment()}
    load_before = _loadavg()
    first = _killed_run(command, env=env, db=run_db, at=n // 4, log=folder / "pay-killed.log")
    second = benchlib.run_measured(command, env=env, log_path=folder / "pay-resume.log")
    if second.returncode != 0:
        raise benchlib.BenchmarkError(f"the resumed run failed:\n{benchlib.tail(folder / 'pay-resume.log')}")
    load_after = _loadavg()
    checks = {
        "payments": _count(run_db, "SELECT COUNT(*) FROM unemp_payments"),
        "recipients_paid_once": _count(run_db, "SELECT COUNT(*) FROM (SELECT benefit_id FROM unemp_payments "
                                               "GROUP BY benefit_id HAVING COUNT(*) = 1)"),
        "card_payments": _count(run_db, "SELECT COUNT(*) FROM card_payments WHERE programme = 'unemployment'"),
        "medical_dues": _count(run_db, "SELECT COUNT(*) FROM unemp_medical_dues"),
    }
    if set(checks.values()) != {n} or not first["killed"]:
        raise benchlib.BenchmarkError(f"expected {n} of each after the kill and the resume, got {checks}, {first}")
    with sqlite3.connect(run_db) as conn:
        rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
        for table in TABLES:
            columns = [c[1] for c in conn.execute(f"PRAGMA table_info({table})") if c[1] != "id"]
            rows[table] = (columns, conn.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall())  # noqa: S608 - names from the schema
        schema = [sql for (sql,) in conn.execute(
            f"SELECT sql FROM sqlite_master WHERE tbl_name IN ({', '.join(repr(t) for t in TABLES)}) "  # noqa: S608
            "AND sql IS NOT NULL ORDER BY type DESC")]
    dump = folder / "anchor.pickle"
    dump.write_bytes(pickle.dumps((schema, rows)))
    del rows
    anchor_db = folder / "anchor.db"
    anchor_db.unlink(missing_ok=True)
    anchor_load = _loadavg()
    anchor = benchlib.run_measured([benchlib.python(), "-c", ANCHOR_INSERT, str(anchor_db), str(dump)],
                                   log_path=folder / "anchor.log")
    log = (folder / "anchor.log").read_text()
    if anchor.returncode != 0:
        raise benchlib.BenchmarkError(f"the anchor failed:\n{log}")
    insert_seconds = float(log.split("INSERT_SECONDS")[1].split()[0])
    renshe_wall = first["wall_seconds"] + second.wall_seconds
    result["run"] = {
        "rows": {"unemp_payments": n, "unemp_medical_dues": n, "card_payments": n},
        "checks": checks,
        "renshe": {"killed_child": first, "resumed_child": {
            "wall_seconds": round(second.wall_seconds, 3), "user_seconds": round(second.user_seconds, 3),
            "system_seconds": round(second.system_seconds, 3),
            "peak_rss_mib": round(second.peak_rss_bytes / 2**20, 1)},
            "wall_seconds": round(renshe_wall, 3), "recipients_per_second": round(n / renshe_wall, 1),
            "command": " ".join(command[-7:]) + " (SIGKILL at a quarter, then run again)"},
        "anchor": {"method": "sqlite3 executemany of the same rows into empty tables of the same schema and "
                             "indexes, one transaction (timed inside the child, excluding unpickling)",
                   "insert_seconds": round(insert_seconds, 3),
                   "peak_rss_mib": round(anchor.peak_rss_bytes / 2**20, 1)},
        "ratio_wall": round(renshe_wall / insert_seconds, 2),
        "loadavg_1m": {"before": load_before, "after": load_after, "before_anchor": anchor_load,
                       "after_anchor": _loadavg()},
    }
    dump.unlink()
    anchor_db.unlink()
    run_db.unlink()
    path = benchlib.write_result(args.output, result)
    print(f"renshe {renshe_wall:.1f} s (killed at {first['done_at_kill']:,}, resumed), raw insert "
          f"{insert_seconds:.1f} s, ratio {renshe_wall / insert_seconds:.2f}; {path}", flush=True)


if __name__ == "__main__":
    main()
