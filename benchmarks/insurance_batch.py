"""Insurance ledger at scale: a province's monthly assessment and posting, and the yearly interest, for
1,000,000 insured persons, each against an anchor of the same job on the same data in the same run.

    .venv/bin/python benchmarks/insurance_batch.py                     # 1,000,000 persons, 100 a unit
    .venv/bin/python benchmarks/insurance_batch.py --persons 100000    # quick

1. Seeding (cached under benchmarks/.cache/insurance-<N>/, in a child process): the migrations, the national
   parameters and a provincial average wage; N synthetic persons (ID number fields are random bytes: no
   step here reads them), N/100 employers each registered as a pension unit (110), one open insurance
   relation per person, a 2025 base declaration per unit with a base per person between floor and cap,
   and an opening account balance per person at the end of 2024. Each run starts from a copy of it.
2. Monthly run, renshe: `renshe insurance month-run --province 110000 --month 2025-01` assesses every unit
   (2 due rows per person: employer and individual side); the tax bureau's receipts for every unit are
   then inserted as matched (not timed); a second `month-run` posts every paid unit's individual parts
   (1 account entry per person). The two child processes' wall times are added; peak RSS is the larger.
   Anchor: the same 2N due rows and N entries, read back from renshe's result, inserted with sqlite3
   `executemany` into empty tables of the same schema and indexes, one transaction (a raw bulk insert).
   Goal (issue 10): renshe ≤ 2× the anchor, peak memory < 1 GiB.
3. Yearly interest 2025, renshe: `renshe insurance interest --province 110000 --year 2025` (the resumable
   batch, set-based chunks). Anchor: numpy end to end on the same database: one SQL query reads each
   account's opening balance and postings, numpy computes the same integer formulas (rate × balance, and
   the annual convention on the postings, half-up to the fen), and the entries are written with
   executemany into an empty table of the same schema, one transaction. Both results are compared person
   by person. Goal: renshe's accounts per second ≥ 0.3 of numpy's.
`os.getloadavg()` is recorded around each step: the machine is shared, so compare within one run.

Writes benchmarks/results/insurance_batch.json.
"""

from __future__ import annotations

import argparse
import os
import pickle
import shutil
import sqlite3
import sys
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import benchlib

PROVINCE = "110000"
COUNTY = "110105"
YEAR = 2025
MONTH = "2025-01"
CACHE = Path(__file__).resolve().parent / ".cache"
TARGET_MONTHLY_RATIO = 2.0
TARGET_INTEREST_SHARE = 0.3

SEED = """
import random, sys
from datetime import date, datetime, UTC
from sqlalchemy import insert, select, func
from renshe.core import db
from renshe.core.auth import SYSTEM
from renshe.core.db import Base
from renshe import metadata  # noqa: F401  (every table)
from renshe.insurance import parameters

persons, per_unit = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(2026)
now = datetime.now(UTC)
with db.unit_of_work() as session:
    parameters.load_defaults(session)
    parameters.set_value(session, actor=SYSTEM, province="110000", key="average_wage",
                         effective_from=date(2024, 1, 1), value="11000", source="基准测试：演示月平均工资")
with db.unit_of_work() as session:
    wage_id = session.scalar(select(func.max(Base.metadata.tables["ins_parameters"].c.id)))
T = Base.metadata.tables
engine = db.get_engine()
units = (persons + per_unit - 1) // per_unit
floor_fen, cap_fen = 660000, 3300000

def hexid(n, kind):
    return f"{kind:>02}{n:030x}"

with engine.begin() as conn:
    conn.execute(insert(T["employers"]), [
        {"id": u, "public_id": hexid(u, "e"), "credit_code": f"91110105{u:09d}X", "name": f"基准单位{u}",
         "entity_type": "11", "division_code": "110105", "legal_representative": "法人", "status": "normal",
         "source": "bench", "version": 1, "created_at": now, "updated_at": now} for u in range(1, units + 1)])
    conn.execute(insert(T["ins_units"]), [
        {"id": u, "public_id": hexid(u, "u"), "employer_id": u, "employer_public_id": hexid(u, "e"),
         "employer_name": f"基准单位{u}", "credit_code": f"91110105{u:09d}X", "insurance_type": "110",
         "division_code": "110105", "province": "110000", "registered_on": date(2020, 1, 1),
         "registered_by": "bench"} for u in range(1, units + 1)])
    conn.execute(insert(T["ins_declarations"]), [
        {"id": u, "public_id": hexid(u, "d"), "owner": f"unit:{u}", "unit_id": u, "year": 2025, "key": f"bench-{u}",
         "kind": "annual", "rows": per_unit, "submitted_by": "bench", "submitted_at": now}
        for u in range(1, units + 1)])
    step = 50_000
    for start in range(1, persons + 1, step):
        ids = range(start, min(persons, start + step - 1) + 1)
        conn.execute(insert(T["persons"]), [
            {"id": n, "public_id": hexid(n, "p"), "id_number_index": rng.randbytes(20),
             "id_number_encrypted": rng.randbytes(47), "id_number_masked": "110105********0000",
             "name": f"参保人{n}", "sex": "M" if n % 2 else "F", "birth_date": date(1970 + n % 30, 1 + n % 12, 1),
             "residence_division": "110105", "status": "normal", "real_name_state": "unverified",
             "source": "bench", "version": 1, "created_at": now, "updated_at": now} for n in ids])
        conn.execute(insert(T["ins_relations"]), [
            {"id": n, "public_id": hexid(n, "r"), "person_id": n, "person_public_id": hexid(n, "p"),
             "person_name": f"参保人{n}", "id_number_masked": "110105********0000",
             "unit_id": 1 + (n - 1) // per_unit, "insurance_type": "110", "kind": "employee", "province": "110000",
             "start_date": date(2020, 1, 1), "start_reason": "11", "open_key": f"110:{n}:{1 + (n - 1) // per_unit}",
             "created_by": "bench", "created_at": now} for n in ids])
        bases = [rng.randrange(floor_fen, cap_fen + 1, 100) for _ in ids]
        conn.execute(insert(T["ins_declared_bases"]), [
            {"id": n, "declaration_id": 1 + (n - 1) // per_unit, "relation_id": n, "person_id": n, "year": 2025,
             "from_month": 1, "declared_fen": b, "base_fen": b, "clamp": None, "floor_fen": floor_fen,
             "cap_fen": cap_fen, "wage_parameter_id": wage_id} for n, b in zip(ids, bases)])
        conn.execute(insert(T["ins_account_entries"]), [
            {"person_id": n, "kind": "opening", "entry_date": date(2024, 12, 31), "year": 2024,
             "amount_fen": rng.randrange(0, 30_000_000), "source": f"opening:{n}", "posted_at": now} for n in ids])
        print("seeded", ids[-1], flush=True)
"""

# The tax bureau's receipts: one per unit, the month's dues in full, matched (as the import would leave them).
PAY = """
INSERT INTO ins_receipts (receipt_no, batch, payer_code, unit_id, insurance_type, month, amount_fen, paid_on, matched,
                          imported_by, imported_at)
SELECT 'B' || d.unit_id, 'bench', u.credit_code, d.unit_id, '110', d.month, SUM(d.amount_fen), '2025-02-10', 1,
       'bench', '2025-02-10 00:00:00.000000'
FROM ins_dues d JOIN ins_units u ON u.id = d.unit_id GROUP BY d.unit_id, d.month
"""

ANCHOR_INSERT = """
import sqlite3, sys, time, pickle
src, dst, dump = sys.argv[1], sys.argv[2], sys.argv[3]
with open(dump, "rb") as f:
    schema, dues, entries = pickle.load(f)
conn = sqlite3.connect(dst)
for ddl in schema:
    conn.execute(ddl)
conn.commit()
started = time.perf_counter()
conn.execute("BEGIN")
conn.executemany("INSERT INTO ins_dues (assessment_id, unit_id, relation_id, person_id, insurance_type, month, side, "
                 "base_fen, rate_ppm, amount_fen, account_fen) VALUES (?,?,?,?,?,?,?,?,?,?,?)", dues)
conn.executemany("INSERT INTO ins_account_entries (person_id, kind, entry_date, year, amount_fen, source, posted_at) "
                 "VALUES (?,?,?,?,?,?,?)", entries)
conn.commit()
print("INSERT_SECONDS", time.perf_counter() - started)
"""

ANCHOR_INTEREST = """
import json, sqlite3, sys, time
import numpy as np
db, out, ppm = sys.argv[1], sys.argv[2], int(sys.argv[3])
started = time.perf_counter()
conn = sqlite3.connect(db)
rows = conn.execute('''
  SELECT e.person_id,
         SUM(CASE WHEN e.entry_date < '2025-01-01' THEN e.amount_fen ELSE 0 END),
         SUM(CASE WHEN e.entry_date >= '2025-01-01' AND e.entry_date <= '2025-12-31' AND e.kind = 'contribution'
             THEN e.amount_fen ELSE 0 END)
  FROM ins_account_entries e
  WHERE EXISTS (SELECT 1 FROM ins_relations r WHERE r.person_id = e.person_id AND r.province = '110000'
                AND r.insurance_type = '110')
  GROUP BY e.person_id''').fetchall()
data = np.array(rows, dtype=np.int64)
person, opening, posted = data[:, 0], np.maximum(data[:, 1], 0), data[:, 2]
def half_up(num, den):
    return np.where(num >= 0, (2 * num + den) // (2 * den), -((-2 * num + den) // (2 * den)))
interest = half_up(opening * ppm, 1_000_000) + half_up(posted * ppm * 1083, 2_000_000_000)
keep = interest != 0
out_conn = sqlite3.connect(out)
out_conn.execute("CREATE TABLE entries (id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL, kind VARCHAR(16) NOT NULL, "
                 "entry_date DATE NOT NULL, year INTEGER NOT NULL, amount_fen BIGINT NOT NULL, "
                 "source VARCHAR(64) NOT NULL UNIQUE, detail JSON, posted_at DATETIME NOT NULL)")
out_conn.execute("CREATE INDEX ix_entries_person_on ON entries (person_id, entry_date)")
out_conn.execute("BEGIN")
out_conn.executemany(
    "INSERT INTO entries (person_id, kind, entry_date, year, amount_fen, source, detail, posted_at) "
    "VALUES (?, 'interest', '2025-12-31', 2025, ?, ?, ?, '2026-01-01 00:00:00')",
    ((int(p), int(i), f"interest:2025:{int(p)}",
      json.dumps({"opening_fen": int(o), "posted_fen": int(s)}))
     for p, i, o, s in zip(person[keep], interest[keep], opening[keep], posted[keep])))
out_conn.commit()
print("ANCHOR_SECONDS", time.perf_counter() - started)
print("ANCHOR_ACCOUNTS", int(keep.sum()))
print("ANCHOR_TOTAL", int(interest[keep].sum()))
"""


def _loadavg() -> float:
    return round(os.getloadavg()[0], 2)


def _renshe(args: list[str], *, env: dict[str, str], log: Path) -> benchlib.ChildRun:
    run = benchlib.run_measured([*benchlib.renshe_command(), *args], env=env, log_path=log)
    if run.returncode != 0:
        raise benchlib.BenchmarkError(f"renshe {' '.join(args)} failed:\n{benchlib.tail(log)}")
    return run


def _anchor(code: str, args: list[Any], log_path: Path) -> tuple[benchlib.ChildRun, str]:
    """Run an anchor's code in a child process of its own (its peak RSS is its own); its log's text."""
    run = benchlib.run_measured([benchlib.python(), "-c", code, *map(str, args)], log_path=log_path)
    log = log_path.read_text()
    if run.returncode != 0:
        raise benchlib.BenchmarkError(f"anchor {log_path.stem} failed:\n{log}")
    return run, log


def _figures(run: benchlib.ChildRun) -> dict[str, Any]:
    return {"wall_seconds": round(run.wall_seconds, 3), "user_cpu_seconds": round(run.user_seconds, 3),
            "system_cpu_seconds": round(run.system_seconds, 3), "peak_rss_mib": round(run.peak_rss_bytes / 2**20, 1)}


def seed(persons: int, per_unit: int) -> Path:
    folder = CACHE / f"insurance-{persons}-{per_unit}"
    seeded = folder / "seeded.db"
    if seeded.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    work = folder / "seeding.db"
    work.unlink(missing_ok=True)
    env = benchlib.renshe_env(database_url=f"sqlite:///{work}", key_file=folder / "keys.json", province=PROVINCE)
    _renshe(["db", "upgrade"], env=env, log=folder / "migrate.log")
    run = benchlib.run_measured([benchlib.python(), "-c", SEED, str(persons), str(per_unit)], env=env,
                                log_path=folder / "seed.log")
    if run.returncode != 0:
        raise benchlib.BenchmarkError(f"seeding failed:\n{benchlib.tail(folder / 'seed.log')}")
    work.rename(seeded)
    print(f"seeded {persons:,} persons in {run.wall_seconds:.0f} s", flush=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--per-unit", type=int, default=100)
    parser.add_argument("--output", default="insurance_batch")
    args = parser.parse_args()
    folder = seed(args.persons, args.per_unit)
    run_db = folder / "run.db"
    shutil.copyfile(folder / "seeded.db", run_db)
    env = benchlib.renshe_env(database_url=f"sqlite:///{run_db}", key_file=folder / "keys.json", province=PROVINCE)
    result: dict[str, Any] = {"benchmark": "insurance_batch", "backend": "sqlite", "persons": args.persons,
                              "persons_per_unit": args.per_unit, "environment": benchlib.environment()}

    # 1. the monthly run: assessment, then (after the receipts) posting
    load_before = _loadavg()
    assess = _renshe(["insurance", "month-run", "--province", PROVINCE, "--month", MONTH, "--on", "2025-02-28",
                      "--json"], env=env, log=folder / "assess.log")
    with sqlite3.connect(run_db) as conn:
        conn.execute(PAY)
    post = _renshe(["insurance", "month-run", "--province", PROVINCE, "--month", MONTH, "--on", "2025-02-28",
                    "--json"], env=env, log=folder / "post.log")
    load_after = _loadavg()
    with sqlite3.connect(run_db) as conn:
        dues = conn.execute("SELECT assessment_id, unit_id, relation_id, person_id, insurance_type, month, side, "
                            "base_fen, rate_ppm, amount_fen, account_fen FROM ins_dues").fetchall()
        entries = conn.execute("SELECT person_id, kind, entry_date, year, amount_fen, source, posted_at "
                               "FROM ins_account_entries WHERE kind = 'contribution'").fetchall()
        schema = [sql for (sql,) in conn.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name IN ('ins_dues', 'ins_account_entries') AND sql IS NOT NULL "
            "ORDER BY type DESC")]
    if len(dues) != 2 * args.persons or len(entries) != args.persons:
        raise benchlib.BenchmarkError(f"expected {2 * args.persons} dues and {args.persons} entries, "
                                      f"got {len(dues)} and {len(entries)}")
    dump = folder / "anchor.pickle"
    dump.write_bytes(pickle.dumps((schema, dues, entries)))
    del dues, entries
    anchor_db = folder / "anchor.db"
    anchor_db.unlink(missing_ok=True)
    anchor_load = _loadavg()
    anchor, log = _anchor(ANCHOR_INSERT, [run_db, anchor_db, dump], folder / "anchor_insert.log")
    insert_seconds = float(log.split("INSERT_SECONDS")[1].split()[0])
    renshe_monthly = assess.wall_seconds + post.wall_seconds
    result["monthly"] = {
        "rows": {"dues": 2 * args.persons, "account_entries": args.persons},
        "renshe": {"assess": _figures(assess), "post": _figures(post),
                   "wall_seconds": round(renshe_monthly, 3),
                   "peak_rss_mib": round(max(assess.peak_rss_bytes, post.peak_rss_bytes) / 2**20, 1),
                   "command": "renshe insurance month-run (twice: assess, then post after the receipts)"},
        "anchor": {"method": "sqlite3 executemany of the same rows into empty tables of the same schema and "
                             "indexes, one transaction (timed inside the child, excluding unpickling)",
                   "insert_seconds": round(insert_seconds, 3), "child": _figures(anchor)},
        "ratio_wall": round(renshe_monthly / insert_seconds, 2),
        "goal": {"ratio_at_most": TARGET_MONTHLY_RATIO, "peak_rss_mib_below": 1024},
        "loadavg_1m": {"before": load_before, "after": load_after, "before_anchor": anchor_load,
                       "after_anchor": _loadavg()},
    }
    dump.unlink()
    anchor_db.unlink()
    print(f"monthly: renshe {renshe_monthly:.1f} s, raw insert {insert_seconds:.1f} s, "
          f"ratio {renshe_monthly / insert_seconds:.2f}", flush=True)

    # 2. the yearly interest
    with sqlite3.connect(run_db) as conn:
        row = conn.execute("SELECT value FROM ins_parameters WHERE key = 'interest_rate' AND effective_from <= "
                           "'2025-01-01' ORDER BY effective_from DESC, province DESC LIMIT 1").fetchone()
    rate = Decimal(str(row[0]).strip('"'))
    ppm = int(rate * 1_000_000)
    load_before = _loadavg()
    interest = _renshe(["insurance", "interest", "--province", PROVINCE, "--year", str(YEAR)], env=env,
                       log=folder / "interest.log")
    load_after = _loadavg()
    with sqlite3.connect(run_db) as conn:
        accounts, total = conn.execute("SELECT COUNT(*), SUM(amount_fen) FROM ins_account_entries "
                                       "WHERE kind = 'interest' AND year = ?", (YEAR,)).fetchone()
    out_db = folder / "anchor_interest.db"
    out_db.unlink(missing_ok=True)
    anchor_load = _loadavg()
    numpy_run, log = _anchor(ANCHOR_INTEREST, [run_db, out_db, ppm], folder / "anchor_interest.log")
    numpy_seconds = float(log.split("ANCHOR_SECONDS")[1].split()[0])
    numpy_accounts = int(log.split("ANCHOR_ACCOUNTS")[1].split()[0])
    numpy_total = int(log.split("ANCHOR_TOTAL")[1].split()[0])
    same = (accounts, total) == (numpy_accounts, numpy_total)
    if same:
        with sqlite3.connect(run_db) as conn:
            conn.execute("ATTACH DATABASE ? AS anchor", (str(out_db),))
            differing = conn.execute(
                "SELECT COUNT(*) FROM ins_account_entries e JOIN anchor.entries a ON a.source = e.source "
                "WHERE e.kind = 'interest' AND e.amount_fen <> a.amount_fen").fetchone()[0]
        same = differing == 0
    out_db.unlink()
    renshe_rate = accounts / interest.wall_seconds
    numpy_rate = numpy_accounts / numpy_seconds
    result["interest"] = {
        "accounts": accounts, "interest_fen": total, "rate": str(rate),
        "renshe": {**_figures(interest), "accounts_per_second": round(renshe_rate, 1),
                   "command": f"renshe insurance interest --province {PROVINCE} --year {YEAR}"},
        "anchor": {"method": "numpy: one SQL read of every account's sums, the same integer formulas vectorised, "
                             "executemany into an empty table of the same schema, one transaction",
                   "seconds": round(numpy_seconds, 3), "accounts_per_second": round(numpy_rate, 1),
                   "child": _figures(numpy_run)},
        "same_amounts_person_by_person": same,
        "share_of_numpy_rate": round(renshe_rate / numpy_rate, 3),
        "goal": {"share_at_least": TARGET_INTEREST_SHARE},
        "loadavg_1m": {"before": load_before, "after": load_after, "before_anchor": anchor_load,
                       "after_anchor": _loadavg()},
    }
    print(f"interest: renshe {interest.wall_seconds:.1f} s, numpy {numpy_seconds:.1f} s, "
          f"share {renshe_rate / numpy_rate:.2f}, same amounts: {same}", flush=True)
    if not same:
        raise benchlib.BenchmarkError("renshe's interest differs from the numpy computation")
    for leftover in (run_db, run_db.with_name(run_db.name + "-wal"), run_db.with_name(run_db.name + "-shm")):
        leftover.unlink(missing_ok=True)
    target = benchlib.write_result(args.output, result)
    print(textwrap.dedent(f"wrote {target}"))


if __name__ == "__main__":
    sys.exit(main())
