"""Wage-scan benchmark: `renshe.wages.jobs.scan` (four warning rules, each one INSERT … SELECT) over generated
projects, real-name attendance and pay sheets, against DuckDB evaluating the same four rules, written
independently, on the same rows, in the same run.

    .venv/bin/python benchmarks/wage_scan.py                      # 2,000 projects × 50 workers × 6 months
    .venv/bin/python benchmarks/wage_scan.py --projects 200       # smaller

1. A fresh SQLite database is migrated (`renshe db upgrade`); then projects, firms, workers, attendance,
   special accounts, deposits, pay sheets and pay lines are generated inside SQLite by INSERT … SELECT over
   recursive CTEs. Every value comes from the row's numbers (project p, worker k, month m) by formulas
   written once below and used by both engines, so DuckDB builds the very same rows.
2. Timed: the first scan (raises every warning), a second scan on the same data (idempotent: raises none),
   and DuckDB's count of each rule's warnings (best of three). The scan's count per rule must equal DuckDB's.

Writes benchmarks/results/wage_scan.json.
"""

# ruff: noqa: S608 - every statement is built from this script's own constants and integer arguments
from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import benchlib

DAY = date(2026, 11, 20)
MONTHS = 6  # 2026-04 … 2026-09
FIRST_MONTH = "2026-04-01"
MINIMUM_FEN = 200000  # the shipped national default minimum wage, 2000.00 yuan (every generated project in 11xxxx)
COUNTIES = ["110101", "110102", "110105", "110106", "110107", "110108", "110109", "110111", "110112", "110113",
            "110114", "110115", "110116", "110117", "110118", "110119"]
# The formulas, the same text in both engines (p, k, m from 1).
COUNTY = "CASE p % 16 " + " ".join(f"WHEN {i} THEN '{c}'" for i, c in enumerate(COUNTIES)) + " END"
STATE = "CASE WHEN p % 20 = 0 THEN 'planned' ELSE 'active' END"
PAY_DAY = "(1 + p % 28)"
HAS_ACCOUNT = "(p % 25 <> 1)"
HAS_DEPOSIT = "(p % 30 <> 2)"
DAYS = "CASE WHEN (p * 7 + k * 3 + m) % 13 = 0 THEN 0 ELSE 20 END"
HAS_SHEET = "((p + m) % 17 <> 0)"
LATE_DAYS = "CASE WHEN (p * m) % 11 = 0 THEN 3 ELSE -1 END"
VIA_ACCOUNT = "((p + 2 * m) % 19 <> 0)"
HAS_LINE = "((p + k + m) % 23 <> 0 AND NOT (p % 13 = 0 AND k % 5 = 0))"
AMOUNT = "CASE WHEN p % 41 = 0 THEN 150000 ELSE 600000 + (k % 7) * 10000 END"

SCAN_CHILD = """
import json, sys, time
from datetime import date
from renshe.core.auth import SYSTEM
from renshe.wages import jobs
day = date.fromisoformat(sys.argv[1])
out = {}
for name in ("first_scan", "second_scan"):
    started = time.perf_counter()
    result = jobs.scan(actor=SYSTEM, on=day)
    out[name] = {"seconds": time.perf_counter() - started, "raised": result.raised, "by_rule": result.by_rule}
print("SCAN_JSON " + json.dumps(out))
"""


def _seq(name: str, top: int) -> str:
    return f"{name}({name[0]}) AS (SELECT 1 UNION ALL SELECT {name[0]} + 1 FROM {name} WHERE {name[0]} < {top})"


def generate(path: Path, projects: int, workers: int) -> dict[str, int]:
    """Every table of the scan, in SQLite, by the formulas above."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    ctes = f"WITH RECURSIVE {_seq('ps', projects)}, {_seq('ks', workers)}, {_seq('ms', MONTHS)}"
    month = f"date('{FIRST_MONTH}', '+' || (m - 1) || ' months')"
    due = f"date({month}, '+1 month', '+' || ({PAY_DAY} - 1) || ' days')"
    statements = [
        f"""INSERT INTO wage_projects (id, public_id, name, division_code, contractor_credit_code, contractor_name,
            start_date, pay_day, state, created_by, created_at)
            {ctes} SELECT p, printf('%032x', p), '项目' || p, {COUNTY}, '91110105MA0000000X', '总包', '2026-01-01',
            {PAY_DAY}, {STATE}, 'bench', '2026-01-01 00:00:00.000000' FROM ps""",
        f"""INSERT INTO wage_firms (id, project_id, credit_code, name, role)
            {ctes} SELECT p, p, '91110105MA0000000X', '总包', 'general' FROM ps""",
        f"""INSERT INTO wage_workers (id, public_id, project_id, firm_id, person_id, person_public_id, name,
            id_number_masked, trade, entered_on, created_at)
            {ctes} SELECT (p - 1) * {workers} + k, printf('w%031x', (p - 1) * {workers} + k), p, p,
            (p - 1) * {workers} + k, 'x', '工人', '110105********0011', '钢筋工', '2026-01-01',
            '2026-01-01 00:00:00.000000' FROM ps CROSS JOIN ks""",
        f"""INSERT INTO wage_attendance (project_id, worker_id, month, days)
            {ctes} SELECT p, (p - 1) * {workers} + k, {month}, {DAYS} FROM ps CROSS JOIN ks CROSS JOIN ms""",
        f"""INSERT INTO wage_accounts (project_id, bank, opened_on)
            {ctes} SELECT p, '银行', '2026-01-15' FROM ps WHERE {HAS_ACCOUNT}""",
        f"""INSERT INTO wage_deposits (project_id, amount_fen, paid_on)
            {ctes} SELECT p, 1000000, '2026-01-20' FROM ps WHERE {HAS_DEPOSIT}""",
        f"""INSERT INTO wage_pay_sheets (id, public_id, project_id, month, due_on, paid_on, via_special_account,
            created_by, created_at)
            {ctes} SELECT (p - 1) * {MONTHS} + m, printf('s%031x', (p - 1) * {MONTHS} + m), p, {month}, {due},
            date({due}, ({LATE_DAYS}) || ' days'), {VIA_ACCOUNT}, 'bench', '2026-01-01 00:00:00.000000'
            FROM ps CROSS JOIN ms WHERE {HAS_SHEET}""",
        f"""INSERT INTO wage_pay_lines (sheet_id, worker_id, amount_fen)
            {ctes} SELECT (p - 1) * {MONTHS} + m, (p - 1) * {workers} + k, {AMOUNT}
            FROM ps CROSS JOIN ms CROSS JOIN ks WHERE {HAS_SHEET} AND {HAS_LINE}""",
    ]
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.execute("ANALYZE")
    counts = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
              for table in ("wage_projects", "wage_workers", "wage_attendance", "wage_pay_sheets", "wage_pay_lines")}
    conn.close()
    return counts


def duckdb_rules(projects: int, workers: int) -> dict[str, Any]:
    """The four rules as DuckDB queries of their own over the same rows."""
    try:
        import duckdb
    except ImportError:
        return {"skipped": "duckdb is not installed"}
    conn = duckdb.connect()
    month = f"CAST(DATE '{FIRST_MONTH}' + to_months(CAST(m - 1 AS INTEGER)) AS DATE)"
    due = f"CAST({month} + to_months(1) + to_days(CAST({PAY_DAY} - 1 AS INTEGER)) AS DATE)"
    ps, ks, ms = (f"range(1, {projects} + 1) ps(p)", f"range(1, {workers} + 1) ks(k)", f"range(1, {MONTHS} + 1) ms(m)")
    conn.execute(f"CREATE TABLE projects AS SELECT p AS id, {STATE} AS state, {PAY_DAY} AS pay_day, "
                 f"DATE '2026-01-01' AS start_date FROM {ps}")
    conn.execute(f"CREATE TABLE attendance AS SELECT p AS project_id, (p - 1) * {workers} + k AS worker_id, "
                 f"{month} AS month, {DAYS} AS days FROM {ps}, {ks}, {ms}")
    conn.execute(f"CREATE TABLE accounts AS SELECT p AS project_id, DATE '2026-01-15' AS opened_on FROM {ps} "
                 f"WHERE {HAS_ACCOUNT}")
    conn.execute(f"CREATE TABLE deposits AS SELECT p AS project_id, DATE '2026-01-20' AS paid_on FROM {ps} "
                 f"WHERE {HAS_DEPOSIT}")
    conn.execute(f"CREATE TABLE sheets AS SELECT (p - 1) * {MONTHS} + m AS id, p AS project_id, {month} AS month, "
                 f"{due} AS due_on, CAST({due} + to_days(CAST({LATE_DAYS} AS INTEGER)) AS DATE) AS paid_on, "
                 f"{VIA_ACCOUNT} AS via FROM {ps}, {ms} WHERE {HAS_SHEET}")
    conn.execute(f"CREATE TABLE lines AS SELECT (p - 1) * {MONTHS} + m AS sheet_id, (p - 1) * {workers} + k AS "
                 f"worker_id, {AMOUNT} AS amount FROM {ps}, {ms}, {ks} WHERE {HAS_SHEET} AND {HAS_LINE}")
    day = f"DATE '{DAY.isoformat()}'"
    current = date(DAY.year, DAY.month, 1)
    prev1 = date(current.year - (current.month == 1), (current.month - 2) % 12 + 1, 1)
    prev2 = date(prev1.year - (prev1.month == 1), (prev1.month - 2) % 12 + 1, 1)
    queries = {
        "late_pay": f"""SELECT count(*) FROM (SELECT DISTINCT project_id, month FROM attendance WHERE days > 0) a
            JOIN projects p ON p.id = a.project_id
            WHERE p.state <> 'planned'
              AND a.month <= CASE WHEN p.pay_day < {DAY.day} THEN DATE '{prev1}' ELSE DATE '{prev2}' END
              AND NOT EXISTS (SELECT 1 FROM sheets s WHERE s.project_id = a.project_id AND s.month = a.month
                              AND s.via AND s.paid_on <= s.due_on)""",
        "below_minimum": f"""SELECT count(*) FROM (SELECT s.id FROM sheets s JOIN lines l ON l.sheet_id = s.id
            WHERE s.paid_on <= {day} GROUP BY s.id HAVING avg(l.amount) < {MINIMUM_FEN})""",
        "headcount_gap": f"""SELECT count(*) FROM
            (SELECT project_id, month, count(*) AS n FROM attendance WHERE days > 0 GROUP BY ALL) a
            JOIN (SELECT s.project_id, s.month, sum(CASE WHEN l.amount > 0 THEN 1 ELSE 0 END) AS n
                  FROM sheets s JOIN lines l ON l.sheet_id = s.id WHERE s.paid_on <= {day} GROUP BY ALL) q
              ON q.project_id = a.project_id AND q.month = a.month
            WHERE q.n < a.n""",
        "no_account_or_deposit": f"""SELECT count(*) FROM projects p WHERE p.state = 'active'
            AND p.start_date <= {day}
            AND (p.id NOT IN (SELECT project_id FROM accounts WHERE opened_on <= {day})
                 OR p.id NOT IN (SELECT project_id FROM deposits WHERE paid_on <= {day}))""",
    }
    best = float("inf")
    counts: dict[str, int] = {}
    for _ in range(3):
        started = time.perf_counter()
        counts = {rule: int(conn.execute(query).fetchone()[0]) for rule, query in queries.items()}  # type: ignore[index]
        best = min(best, time.perf_counter() - started)
    return {"by_rule": counts, "seconds": best, "version": duckdb.__version__}


def run(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="wage-scan-", dir=benchlib.CACHE_DIR if benchlib.CACHE_DIR.exists() else None))
    db_path = work / "wages.db"
    env = benchlib.renshe_env(database_url=f"sqlite:///{db_path}", key_file=work / "keys.json")
    done = subprocess.run([*benchlib.renshe_command(), "db", "upgrade"], env=env, cwd=work, capture_output=True,
                          text=True, check=False, timeout=600)
    if done.returncode != 0:
        raise benchlib.BenchmarkError(f"renshe db upgrade failed:\n{done.stdout}\n{done.stderr}")
    started = time.perf_counter()
    rows = generate(db_path, args.projects, args.workers)
    generated = time.perf_counter() - started
    print(f"generated {rows} in {generated:.1f} s", flush=True)
    child = subprocess.run([sys.executable, "-c", SCAN_CHILD, DAY.isoformat()], env=env, cwd=work,
                           capture_output=True, text=True, check=False, timeout=3600)
    line = next((x for x in child.stdout.splitlines() if x.startswith("SCAN_JSON ")), None)
    if child.returncode != 0 or line is None:
        raise benchlib.BenchmarkError(f"scan failed:\n{child.stdout[-2000:]}\n{child.stderr[-4000:]}")
    scans = json.loads(line.removeprefix("SCAN_JSON "))
    duck = duckdb_rules(args.projects, args.workers)
    if not duck.get("skipped") and duck["by_rule"] != scans["first_scan"]["by_rule"]:
        raise benchlib.BenchmarkError(f"the scan raised {scans['first_scan']['by_rule']}, DuckDB {duck['by_rule']}")
    if scans["second_scan"]["raised"] != 0:
        raise benchlib.BenchmarkError(f"the second scan raised {scans['second_scan']['raised']} warnings")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    first = scans["first_scan"]["seconds"]
    return {
        "benchmark": "wage_scan", "projects": args.projects, "workers_per_project": args.workers, "months": MONTHS,
        "day": DAY.isoformat(), "database": "sqlite", "rows": rows, "generate_seconds": round(generated, 2),
        "scan_first_seconds": round(first, 3), "scan_second_seconds": round(scans["second_scan"]["seconds"], 3),
        "scan_first": scans["first_scan"], "scan_second": scans["second_scan"], "anchor_duckdb": duck,
        "ratio_first_scan_to_duckdb": round(first / duck["seconds"], 1) if duck.get("seconds") else None,
        "environment": benchlib.environment(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=50, help="workers per project")
    parser.add_argument("--keep", action="store_true", help="keep the generated database")
    parser.add_argument("--output", default="wage_scan")
    args = parser.parse_args(argv)
    os.nice(5)
    result = run(args)
    path = benchlib.write_result(args.output, result)
    print(f"first scan {result['scan_first_seconds']} s ({result['scan_first']['raised']:,} warnings: "
          f"{result['scan_first']['by_rule']}), second scan {result['scan_second_seconds']} s; "
          f"DuckDB {result['anchor_duckdb'].get('seconds', 'n/a')} s → {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
