"""Overdue-scan benchmark: `renshe.hall.oversight.service.scan` over 1,000,000 applications, against a raw SQL
count of the same overdue set in SQLite and the same query in DuckDB over the same rows, same run.

    .venv/bin/python benchmarks/overdue_scan.py               # 1,000,000 applications
    .venv/bin/python benchmarks/overdue_scan.py --rows 100000 # smaller

1. A fresh SQLite database is migrated (`renshe db upgrade`) and the catalog loaded; then the rows are
   generated inside SQLite by one INSERT … SELECT over a recursive CTE (states, due dates and counties
   from the row number, so DuckDB can build the very same rows with the same formulas).
2. Timed: the first scan (issues a notice for every overdue application, set-based), a second scan the
   same day (idempotent: nothing to do, only the counting queries), the anchor `SELECT count(*)` of the
   overdue condition in SQLite, and the same count in DuckDB on an identical in-memory table.
3. EXPLAIN QUERY PLAN of the overdue count is recorded, to show the index on (state, due_date, division)
   is used.

Writes benchmarks/results/overdue_scan.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import benchlib

DAY = date(2026, 11, 12)
COUNTIES = ["110101", "110102", "110105", "110106", "110107", "110108", "110109", "110111", "110112", "110113",
            "110114", "110115", "110116", "110117", "110118", "110119"]
STATES = ["accepted", "accepted", "reviewed", "supplement", "submitted", "approved", "delivered", "refused",
          "accepted", "delivered"]
# The same formulas in both engines: n = 1 … rows.
STATE_SQL = "CASE n % 10 " + " ".join(f"WHEN {i} THEN '{s}'" for i, s in enumerate(STATES)) + " END"
COUNTY_SQL = "CASE n % 16 " + " ".join(f"WHEN {i} THEN '{c}'" for i, c in enumerate(COUNTIES)) + " END"
# due dates spread over 2026-11-09 … 2027-01-17 (70 days): a few per cent of the rows are overdue on DAY,
# as in a hall that mostly keeps its promises; a paused row's pause began on a date around its due date
DUE_OFFSET = "((n * 2654435761) % 4294967296) % 70"  # a multiplicative hash: independent of n % 10
PAUSE_OFFSET = "((n * 40503) % 65536) % 70"
OVERDUE_SQL = ("((state IN ('accepted','reviewed') AND due_date < '{day}') OR "
               "(state = 'supplement' AND due_date < paused_since))")

SCAN_CHILD = """
import json, sys, time
from datetime import date
from renshe.core import db
from renshe.core.auth import SYSTEM
from renshe.hall.oversight import service as supervision
day = date.fromisoformat(sys.argv[1])
out = {}
for name in ("first_scan", "second_scan"):
    started = time.perf_counter()
    with db.unit_of_work() as session:
        result = supervision.scan(session, actor=SYSTEM, day=day)
    out[name] = {"seconds": time.perf_counter() - started, **result.as_dict()}
print("SCAN_JSON " + json.dumps(out))
"""


def generate(path: Path, rows: int) -> float:
    started = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    item_id, revision_id = conn.execute(
        "SELECT i.id, r.id FROM hall_items i JOIN hall_item_revisions r ON r.item_id = i.id "
        "WHERE i.code = 'unemployment-benefit'").fetchone()
    conn.execute(f"""
        INSERT INTO hall_applications (public_id, number, item_id, revision_id, item_code, item_name, case_type,
            applicant_id, applicant_name, applicant_id_masked, channel, created_by, division_code, state,
            form_encrypted, prefill, submitted_at, promised_limit_days, legal_limit_days, due_date,
            paused_workdays, paused_since, updated_at, version)
        WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {rows})
        SELECT printf('%032x', n), printf('B%012d', n), {item_id}, {revision_id}, 'unemployment-benefit',
            '失业保险金申领', 'promised', 1, '测试', '110105********0011', 'online', 'bench', {COUNTY_SQL},
            {STATE_SQL}, x'', '{{}}', '2026-10-01 00:00:00.000000', 5, 10,
            date('2026-11-09', '+' || ({DUE_OFFSET}) || ' days'), 0,
            CASE WHEN n % 10 = 3 THEN date('2026-11-01', '+' || ({PAUSE_OFFSET}) || ' days') END,
            '2026-10-01 00:00:00.000000', 1
        FROM seq""")  # noqa: S608 - built from this script's own constants
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - started


def sqlite_anchor(path: Path) -> dict[str, Any]:
    conn = sqlite3.connect(path)
    where = OVERDUE_SQL.format(day=DAY.isoformat())
    query = f"SELECT count(*) FROM hall_applications WHERE {where}"  # noqa: S608
    plan = [row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + query)]
    times = []
    count = 0
    for _ in range(3):
        started = time.perf_counter()
        count = conn.execute(query).fetchone()[0]
        times.append(time.perf_counter() - started)
    conn.close()
    return {"count": count, "seconds": min(times), "plan": plan}


def duckdb_anchor(rows: int) -> dict[str, Any]:
    try:
        import duckdb
    except ImportError:
        return {"skipped": "duckdb is not installed"}
    conn = duckdb.connect()
    conn.execute(f"""CREATE TABLE hall_applications AS SELECT n AS id, {STATE_SQL} AS state, {COUNTY_SQL} AS
        division_code, DATE '2026-11-09' + CAST({DUE_OFFSET} AS INTEGER) AS due_date,
        CASE WHEN n % 10 = 3 THEN DATE '2026-11-01' + CAST({PAUSE_OFFSET} AS INTEGER) END AS paused_since
        FROM range(1, {rows} + 1) t(n)""")  # noqa: S608
    where = OVERDUE_SQL.format(day=DAY.isoformat())
    query = f"SELECT count(*) FROM hall_applications WHERE {where}"  # noqa: S608
    times = []
    count = 0
    for _ in range(3):
        started = time.perf_counter()
        count = conn.execute(query.replace("'" + DAY.isoformat() + "'", f"DATE '{DAY.isoformat()}'")).fetchone()[0]
        times.append(time.perf_counter() - started)
    return {"count": count, "seconds": min(times), "version": duckdb.__version__}


def run(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="overdue-", dir=benchlib.CACHE_DIR if benchlib.CACHE_DIR.exists() else None))
    db_path = work / "scan.db"
    env = benchlib.renshe_env(database_url=f"sqlite:///{db_path}", key_file=work / "keys.json",
                              extra={"RENSHE_HALL_UPLOAD_DIR": str(work / "materials")})
    for cmd in (["db", "upgrade"], ["hall", "load-catalog"]):
        done = subprocess.run([*benchlib.renshe_command(), *cmd], env=env, cwd=work, capture_output=True, text=True,
                              check=False, timeout=600)
        if done.returncode != 0:
            raise benchlib.BenchmarkError(f"renshe {' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    generated = generate(db_path, args.rows)
    print(f"generated {args.rows:,} applications in {generated:.1f} s", flush=True)
    anchor = sqlite_anchor(db_path)
    child = subprocess.run([sys.executable, "-c", SCAN_CHILD, DAY.isoformat()], env=env, cwd=work,
                           capture_output=True, text=True, check=False, timeout=3600)
    line = next((x for x in child.stdout.splitlines() if x.startswith("SCAN_JSON ")), None)
    if child.returncode != 0 or line is None:
        raise benchlib.BenchmarkError(f"scan failed:\n{child.stdout[-2000:]}\n{child.stderr[-4000:]}")
    scans = json.loads(line.removeprefix("SCAN_JSON "))
    duck = duckdb_anchor(args.rows)
    if scans["first_scan"]["overdue"] != anchor["count"]:
        raise benchlib.BenchmarkError(f"scan counted {scans['first_scan']['overdue']} overdue, SQL {anchor['count']}")
    if not duck.get("skipped") and duck["count"] != anchor["count"]:
        raise benchlib.BenchmarkError(f"DuckDB counted {duck['count']}, SQLite {anchor['count']}")
    notices = sqlite3.connect(db_path).execute("SELECT count(*) FROM hall_supervision_notices").fetchone()[0]
    if not args.keep:
        for path in work.iterdir():
            path.unlink() if path.is_file() else None
    return {
        "benchmark": "overdue_scan", "rows": args.rows, "day": DAY.isoformat(), "database": "sqlite",
        "generate_seconds": round(generated, 2),
        "scan_first_seconds": round(scans["first_scan"]["seconds"], 3),
        "scan_second_seconds": round(scans["second_scan"]["seconds"], 3),
        "scan_first": scans["first_scan"], "scan_second": scans["second_scan"], "notices_written": notices,
        "anchor_sqlite_count": anchor, "anchor_duckdb_count": duck,
        "ratio_second_scan_to_sqlite_count": round(scans["second_scan"]["seconds"] / anchor["seconds"], 1)
        if anchor["seconds"] else None,
        "environment": benchlib.environment(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the generated database")
    parser.add_argument("--output", default="overdue_scan")
    args = parser.parse_args(argv)
    os.nice(5)
    result = run(args)
    path = benchlib.write_result(args.output, result)
    print(f"first scan {result['scan_first_seconds']} s ({result['scan_first']['issued']:,} notices), "
          f"second scan {result['scan_second_seconds']} s; "
          f"SQLite count {result['anchor_sqlite_count']['seconds']:.3f} s,"
          f" DuckDB count {result['anchor_duckdb_count'].get('seconds', 'n/a')} → {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
