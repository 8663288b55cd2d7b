"""The benefit formula at scale: the yearly pension adjustment (养老金调整) of 1,000,000 retirees, against numpy
computing the same formulas on the same data in the same run, end to end with the database reads and writes.

    .venv/bin/python benchmarks/pension_adjust.py                      # 1,000,000 retirees
    .venv/bin/python benchmarks/pension_adjust.py --retirees 100000    # quick

1. Seeding (cached under benchmarks/.cache/pension-<N>/, in a child process): the migrations, the national
   parameters and a 2026 adjustment scheme for 110000 (fixed 30 yuan, 1.5 yuan per whole contribution year,
   1 % of the pension, tilts at 70/75/80); N synthetic persons (ID number fields are random bytes: no step
   here reads them) each with a pension award in payment (amount, contribution months, birth and retirement
   month at random; one in ten retired in 2026, after the scheme's cutoff) and, for half of them, a 2025
   adjustment that the 2026 amount before must add. Each run starts from a copy of it.
2. renshe: `renshe pension adjust --province 110000 --year 2026` (the resumable batch: per chunk of awards,
   one INSERT … SELECT computing the increase in integer SQL, one UPDATE of the awards' monthly amount, one
   query for months already paid from the date of effect, which are none here: the scheme is applied before
   the first 2026 payment run, so no arrears go to the card).
3. Anchor, numpy, on its own copy of the same database: one SQL read of every eligible award's amount before
   (award + earlier adjustments), months and birth year; the same integer formulas vectorised (half-up to the
   fen); executemany of the adjustment rows (with the same detail) into the same table and of the new monthly
   amounts into the awards, one transaction. Both results are compared award by award.
   Goal (issue 10): renshe's awards per second ≥ 0.3 of numpy's.
`os.getloadavg()` is recorded around each step: the machine is shared, so compare within one run.

Writes benchmarks/results/pension_adjust.json.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
from pathlib import Path
from typing import Any

import benchlib
from insurance_batch import _anchor, _figures, _loadavg, _renshe

PROVINCE = "110000"
YEAR = 2026
CACHE = Path(__file__).resolve().parent / ".cache"
TARGET_SHARE = 0.3

SEED = """
import random, sys
from datetime import date, datetime, UTC
from sqlalchemy import insert
from renshe.core import db
from renshe.core.auth import SYSTEM
from renshe.core.db import Base
from renshe import metadata  # noqa: F401  (every table)
from renshe.insurance import parameters

retirees = int(sys.argv[1])
rng = random.Random(2026)
now = datetime.now(UTC)
with db.unit_of_work() as session:
    parameters.load_defaults(session)
    parameters.set_value(session, actor=SYSTEM, province="110000", key="pension_adjustment",
                         effective_from=date(2026, 1, 1), source="基准测试：2026年调整方案",
                         value={"retired_by": "2025-12-31", "fixed": "30", "per_contribution_year": "1.5",
                                "proportional": "0.01", "age_tilts": {"70": "30", "75": "40", "80": "50"},
                                "national_rate": "0.02"})
T = Base.metadata.tables
engine = db.get_engine()

def hexid(n, kind):
    return f"{kind:>02}{n:030x}"

with engine.begin() as conn:
    step = 50_000
    for start in range(1, retirees + 1, step):
        ids = range(start, min(retirees, start + step - 1) + 1)
        conn.execute(insert(T["persons"]), [
            {"id": n, "public_id": hexid(n, "p"), "id_number_index": rng.randbytes(20),
             "id_number_encrypted": rng.randbytes(47), "id_number_masked": "110105********0000",
             "name": f"退休人{n}", "sex": "M" if n % 2 else "F", "birth_date": date(1950, 1, 1),
             "residence_division": "110105", "status": "normal", "real_name_state": "unverified",
             "source": "bench", "version": 1, "created_at": now, "updated_at": now} for n in ids])
        awards, earlier = [], []
        for n in ids:
            birth = rng.randrange(1935, 1966)
            retired = date(2026, rng.randrange(1, 12), 1) if n % 10 == 0 else date(rng.randrange(1995, 2026),
                                                                                    rng.randrange(1, 13), 1)
            awarded = rng.randrange(150_000, 900_000)
            start_month = date(retired.year + retired.month // 12, retired.month % 12 + 1, 1)
            awards.append({"id": n, "public_id": hexid(n, "a"), "person_id": n, "person_public_id": hexid(n, "p"),
                           "person_name": f"退休人{n}", "id_number_masked": "110105********0000",
                           "division_code": "110105", "province": "110000", "application_number": None,
                           "birth_month": f"{birth}-{1 + n % 12:02d}", "retirement_month": retired,
                           "start_month": start_month, "kind": "statutory", "age": "60y0m",
                           "months": rng.randrange(180, 540), "deemed_months": 0, "basic_fen": awarded // 2,
                           "account_fen": awarded - awarded // 2, "transitional_fen": 0, "awarded_fen": awarded,
                           "monthly_fen": awarded, "trace": [], "parameters": [], "status": "in_payment",
                           "granted_by": "bench", "granted_at": now})
            if n % 2 == 0 and retired.year < 2025:
                increase = rng.randrange(3_000, 20_000)
                awards[-1]["monthly_fen"] = awarded + increase
                earlier.append({"award_id": n, "year": 2025, "effective_from": date(2025, 1, 1),
                                "before_fen": awarded, "increase_fen": increase, "after_fen": awarded + increase,
                                "scheme_parameter_id": 0, "trace": {}, "created_at": now})
        conn.execute(insert(T["pension_awards"]), awards)
        conn.execute(insert(T["pension_adjustments"]), earlier)
        print("seeded", ids[-1], flush=True)
"""

ANCHOR = """
import json, sqlite3, sys, time
import numpy as np
db = sys.argv[1]
started = time.perf_counter()
conn = sqlite3.connect(db)
param = conn.execute("SELECT id FROM ins_parameters WHERE key = 'pension_adjustment' AND province = '110000' "
                     "ORDER BY effective_from DESC LIMIT 1").fetchone()[0]
rows = conn.execute('''
  SELECT a.id, a.awarded_fen + COALESCE((SELECT SUM(x.increase_fen) FROM pension_adjustments x
                                         WHERE x.award_id = a.id AND x.effective_from <= '2026-01-01'), 0),
         a.months, CAST(substr(a.birth_month, 1, 4) AS INTEGER),
         a.monthly_fen
  FROM pension_awards a
  WHERE a.province = '110000' AND a.status = 'in_payment' AND a.retirement_month <= '2025-12-01'
    AND NOT EXISTS (SELECT 1 FROM pension_adjustments y WHERE y.award_id = a.id AND y.year = 2026)''').fetchall()
data = np.array(rows, dtype=np.int64)
award, before, months, birth, monthly = data[:, 0], data[:, 1], data[:, 2], data[:, 3], data[:, 4]
def half_up(num, den):
    return (2 * num + den) // (2 * den)
years = months // 12
age = 2026 - birth
tilt = np.select([age >= 80, age >= 75, age >= 70], [5000, 4000, 3000], 0)
increase = 3000 + half_up(years * 150, 1) + half_up(before * 1, 100) + tilt
conn.execute("BEGIN")
conn.executemany(
    "INSERT INTO pension_adjustments (award_id, year, effective_from, before_fen, increase_fen, after_fen, "
    "scheme_parameter_id, trace, created_at) VALUES (?, 2026, '2026-01-01', ?, ?, ?, ?, ?, '2026-01-01 00:00:00')",
    ((int(a), int(b), int(i), int(b + i), param, json.dumps({"parameter": param, "years": int(y), "age": int(g)}))
     for a, b, i, y, g in zip(award, before, increase, years, age)))
conn.executemany("UPDATE pension_awards SET monthly_fen = ? WHERE id = ?",
                 ((int(m + i), int(a)) for a, m, i in zip(award, monthly, increase)))
conn.commit()
print("ANCHOR_SECONDS", time.perf_counter() - started)
print("ANCHOR_AWARDS", len(award))
print("ANCHOR_TOTAL", int(increase.sum()))
"""


def seed(retirees: int) -> Path:
    folder = CACHE / f"pension-{retirees}"
    seeded = folder / "seeded.db"
    if seeded.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    work = folder / "seeding.db"
    work.unlink(missing_ok=True)
    env = benchlib.renshe_env(database_url=f"sqlite:///{work}", key_file=folder / "keys.json", province=PROVINCE)
    _renshe(["db", "upgrade"], env=env, log=folder / "migrate.log")
    run = benchlib.run_measured([benchlib.python(), "-c", SEED, str(retirees)], env=env, log_path=folder / "seed.log")
    if run.returncode != 0:
        raise benchlib.BenchmarkError(f"seeding failed:\n{benchlib.tail(folder / 'seed.log')}")
    work.rename(seeded)
    print(f"seeded {retirees:,} retirees in {run.wall_seconds:.0f} s", flush=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--retirees", type=int, default=1_000_000)
    parser.add_argument("--output", default="pension_adjust")
    args = parser.parse_args()
    folder = seed(args.retirees)
    run_db, anchor_db = folder / "run.db", folder / "anchor.db"
    shutil.copyfile(folder / "seeded.db", run_db)
    shutil.copyfile(folder / "seeded.db", anchor_db)
    env = benchlib.renshe_env(database_url=f"sqlite:///{run_db}", key_file=folder / "keys.json", province=PROVINCE)
    result: dict[str, Any] = {"benchmark": "pension_adjust", "backend": "sqlite", "retirees": args.retirees,
                              "environment": benchlib.environment()}
    load_before = _loadavg()
    renshe = _renshe(["pension", "adjust", "--province", PROVINCE, "--year", str(YEAR), "--json"], env=env,
                     log=folder / "adjust.log")
    load_after = _loadavg()
    with sqlite3.connect(run_db) as conn:
        adjusted, total = conn.execute("SELECT COUNT(*), SUM(increase_fen) FROM pension_adjustments "
                                       "WHERE year = ?", (YEAR,)).fetchone()
    anchor_load = _loadavg()
    numpy_run, log = _anchor(ANCHOR, [anchor_db], folder / "anchor.log")
    numpy_seconds = float(log.split("ANCHOR_SECONDS")[1].split()[0])
    numpy_awards = int(log.split("ANCHOR_AWARDS")[1].split()[0])
    numpy_total = int(log.split("ANCHOR_TOTAL")[1].split()[0])
    same = (adjusted, total) == (numpy_awards, numpy_total)
    if same:
        with sqlite3.connect(run_db) as conn:
            conn.execute("ATTACH DATABASE ? AS anchor", (str(anchor_db),))
            differing = conn.execute(
                "SELECT (SELECT COUNT(*) FROM pension_adjustments r JOIN anchor.pension_adjustments n "
                "        ON n.award_id = r.award_id AND n.year = r.year "
                "        WHERE r.year = ? AND (r.increase_fen <> n.increase_fen OR r.before_fen <> n.before_fen)) + "
                "       (SELECT COUNT(*) FROM pension_awards r JOIN anchor.pension_awards n ON n.id = r.id "
                "        WHERE r.monthly_fen <> n.monthly_fen)", (YEAR,)).fetchone()[0]
        same = differing == 0
    renshe_rate = adjusted / renshe.wall_seconds
    numpy_rate = numpy_awards / numpy_seconds
    result["adjustment"] = {
        "awards_adjusted": adjusted, "increase_fen": total,
        "renshe": {**_figures(renshe), "awards_per_second": round(renshe_rate, 1),
                   "command": f"renshe pension adjust --province {PROVINCE} --year {YEAR}"},
        "anchor": {"method": "numpy: one SQL read of every eligible award's amount before, months and birth year, "
                             "the same integer formulas vectorised, executemany of the adjustment rows and the new "
                             "monthly amounts into the same tables of a copy of the database, one transaction",
                   "seconds": round(numpy_seconds, 3), "awards_per_second": round(numpy_rate, 1),
                   "child": _figures(numpy_run)},
        "same_amounts_award_by_award": same,
        "share_of_numpy_rate": round(renshe_rate / numpy_rate, 3),
        "goal": {"share_at_least": TARGET_SHARE},
        "loadavg_1m": {"before": load_before, "after": load_after, "before_anchor": anchor_load,
                       "after_anchor": _loadavg()},
    }
    print(f"adjustment: renshe {renshe.wall_seconds:.1f} s ({adjusted:,} awards), numpy {numpy_seconds:.1f} s, "
          f"share {renshe_rate / numpy_rate:.2f}, same amounts: {same}", flush=True)
    run_db.unlink()
    anchor_db.unlink()
    if not same:
        raise benchlib.BenchmarkError("renshe's adjustment differs from the numpy computation")
    print(f"wrote {benchlib.write_result(args.output, result)}")


if __name__ == "__main__":
    sys.exit(main())
