"""The matching batch (`renshe recruitment match`): 100,000 seekers against 100,000 open postings, the top 10 per
seeker stored, against numpy scoring the same features on the same data in the same run (the anchor: read the
two tables with sqlite3, score in chunks of seekers, keep each one's top 10, no writes), with peak memory and a
check that both give every seeker the same ten scores. Goal (issue 11): at least 0.3 of the anchor's rate,
bounded memory.

    .venv/bin/python benchmarks/job_matching.py                      # 100,000 × 100,000
    .venv/bin/python benchmarks/job_matching.py --seekers 5000 --postings 5000   # quick

Seeding (cached under benchmarks/.cache/matching-<S>-<P>/): the migrations, then postings and seekers'
profiles, inserted in bulk from a fixed random seed over every 2022 middle category, 60 counties
of one province and its neighbour, salaries and educations.

Writes benchmarks/results/job_matching.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import benchlib

CACHE = Path(__file__).resolve().parent / ".cache"
PROVINCE = "330000"

SEED = r"""
import random, sqlite3, sys
from datetime import date, timedelta
from renshe.core import crypto
from renshe.core.db import unit_of_work
from renshe.recruitment import service

crypto.cipher()  # the key file, as any renshe command makes it

seekers, postings, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
with unit_of_work() as session:
    occupations = [o.code for o in service.all_occupations(session, levels=("middle", "major"))]
rng = random.Random(5)
counties = [f"33{c:02d}{k:02d}" for c in range(1, 12) for k in (1, 2, 3, 4, 5)] + [f"32{c:02d}01" for c in range(1, 6)]
edu = ["", "10", "20", "30", "40", "60", "70", "90"]
today = date.today()
conn = sqlite3.connect(path)
conn.execute("PRAGMA synchronous=OFF")
rows = []
for i in range(1, postings + 1):
    low = rng.randrange(20, 150) * 10000
    rows.append((i, f"{i:032x}", f"330000:{i:032x}", "330000", None, "91330106MA00000001", "基准单位", "岗位", "说明",
                 rng.choice(occupations), rng.choice(counties), low, low + rng.randrange(5, 80) * 10000,
                 rng.choice(edu[:7]), 1, (today + timedelta(days=30)).isoformat(), "job", "人事", None, "139****0000",
                 "published", 0, 0, "2026-01-01 00:00:00.000000"))
conn.executemany("INSERT INTO job_postings (id, public_id, source_key, origin_province, employer_id, "
                 "employer_credit_code, employer_name, title, description, occupation_code, division_code, "
                 "salary_min_fen, salary_max_fen, education, headcount, expires_on, kind, contact_name, "
                 "contact_phone_encrypted, contact_phone_masked, state, applications, reports, created_at) VALUES ("
                 + ",".join("?" * 24) + ")", rows)
persons, profiles = [], []  # synthetic persons (the recommendations' foreign key), each with a profile
for i in range(1, seekers + 1):
    county = rng.choice(counties)
    persons.append((i, f"p{i:031x}", i.to_bytes(20, "big"), b"x", "3301**********0000", "某人", "1", "1980-01-01",
                    county, "normal", "unverified", "bench", 1, "2026-01-01 00:00:00", "2026-01-01 00:00:00"))
    profiles.append((i, "某人", rng.choice(occupations), county, rng.randrange(0, 200) * 10000,
                     rng.choice(edu), "2026-01-01 00:00:00.000000"))
conn.executemany("INSERT INTO persons (id, public_id, id_number_index, id_number_encrypted, id_number_masked, name, "
                 "sex, birth_date, residence_division, status, real_name_state, source, version, created_at, "
                 "updated_at) VALUES (" + ",".join("?" * 15) + ")", persons)
conn.executemany("INSERT INTO job_seeker_profiles (person_id, person_name, occupation_code, division_code, "
                 "salary_expected_fen, education, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)", profiles)
conn.commit()
conn.close()
print("SEEDED", seekers, postings)
"""

ANCHOR = r"""
import json, resource, sqlite3, sys, time
import numpy as np
from datetime import date
from renshe.recruitment import matrix

path, top, chunk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
started = time.perf_counter()
conn = sqlite3.connect(path)
jobs = conn.execute("SELECT id, occupation_code, division_code, salary_max_fen, education FROM job_postings "
                    "WHERE state = 'published' AND expires_on >= ? ORDER BY id", (date.today().isoformat(),)).fetchall()
seekers = conn.execute("SELECT person_id, occupation_code, division_code, salary_expected_fen, education "
                       "FROM job_seeker_profiles ORDER BY person_id").fetchall()
codes = matrix.Codes()
right = matrix.side(codes, [j[1] for j in jobs], [j[2] for j in jobs], [j[3] for j in jobs], [j[4] for j in jobs])
checksum = 0
scores_out = {}
for start in range(0, len(seekers), chunk):
    part = seekers[start:start + chunk]
    left = matrix.side(codes, [s[1] for s in part], [s[2] for s in part], [s[3] for s in part], [s[4] for s in part])
    best, best_scores = matrix.top(matrix.scores(left, right), top)
    checksum += int(best_scores.sum())
    for i, s in enumerate(part[:50] if start == 0 else []):
        scores_out[str(s[0])] = [int(x) for x in best_scores[i]]
elapsed = time.perf_counter() - started
print("ANCHOR_JSON " + json.dumps({"seconds": round(elapsed, 2), "seekers": len(seekers),
                                   "postings": len(jobs), "checksum": checksum, "first": scores_out,
                                   "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                                                         1)}))
"""

CHECK = r"""
import json, sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
total = conn.execute("SELECT coalesce(sum(score), 0), count(*), count(DISTINCT person_id) "
                     "FROM job_recommendations").fetchone()
first = {}
for person, score in conn.execute("SELECT person_id, score FROM job_recommendations WHERE person_id <= 50 "
                                  "ORDER BY person_id, rank"):
    first.setdefault(str(person), []).append(score)
print("CHECK_JSON " + json.dumps({"checksum": total[0], "rows": total[1], "seekers": total[2], "first": first}))
"""


def seed(seekers: int, postings: int) -> Path:
    folder = CACHE / f"matching-{seekers}-{postings}"
    if (folder / "seeded.db").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    work = folder / "seeding.db"
    env = benchlib.renshe_env(database_url=f"sqlite:///{work}", key_file=folder / "keys.json", province=PROVINCE)
    done = subprocess.run([*benchlib.renshe_command(), "db", "upgrade"], env=env, cwd=folder, capture_output=True,
                          text=True, check=False, timeout=600)
    if done.returncode != 0:
        raise benchlib.BenchmarkError(f"db upgrade failed: {done.stderr[-2000:]}")
    made = subprocess.run([sys.executable, "-c", SEED, str(seekers), str(postings), str(work)], env=env, cwd=folder,
                          capture_output=True, text=True, check=False, timeout=3600)
    if made.returncode != 0:
        raise benchlib.BenchmarkError(f"seeding failed: {made.stderr[-4000:]}")
    work.rename(folder / "seeded.db")
    return folder


def _json(prefix: str, text: str) -> dict[str, Any]:
    line = next((x for x in text.splitlines() if x.startswith(prefix + " ")), None)
    if line is None:
        raise benchlib.BenchmarkError(f"no {prefix} in: {text[-2000:]}")
    return dict(json.loads(line.removeprefix(prefix + " ")))


def run(args: argparse.Namespace) -> dict[str, Any]:
    folder = seed(args.seekers, args.postings)
    work = folder / "run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    db_path = work / "matching.db"
    shutil.copyfile(folder / "seeded.db", db_path)
    shutil.copyfile(folder / "keys.json", work / "keys.json")
    env = benchlib.renshe_env(database_url=f"sqlite:///{db_path}", key_file=work / "keys.json", province=PROVINCE)
    load_before = os.getloadavg()
    anchor_run = subprocess.run([sys.executable, "-c", ANCHOR, str(db_path), str(args.top), str(args.chunk)],
                                env=env, cwd=work, capture_output=True, text=True, check=False, timeout=7200)
    if anchor_run.returncode != 0:
        raise benchlib.BenchmarkError(f"anchor failed: {anchor_run.stderr[-4000:]}")
    anchor = _json("ANCHOR_JSON", anchor_run.stdout)
    renshe = benchlib.run_measured([*benchlib.renshe_command(), "recruitment", "match", "--top", str(args.top),
                                    "--chunk", str(args.chunk), "--json"], env=env, cwd=work,
                                   log_path=work / "match.log", timeout=7200)
    if renshe.returncode != 0:
        raise benchlib.BenchmarkError(f"renshe recruitment match failed: {benchlib.tail(work / 'match.log')}")
    check = subprocess.run([sys.executable, "-c", CHECK, str(db_path)], capture_output=True, text=True, check=True)
    stored = _json("CHECK_JSON", check.stdout)
    same = stored["checksum"] == anchor["checksum"] and stored["first"] == anchor["first"]
    rate_renshe = anchor["seekers"] / renshe.wall_seconds
    rate_anchor = anchor["seekers"] / anchor["seconds"]
    return {
        "benchmark": "job_matching", "seekers": anchor["seekers"], "postings": anchor["postings"], "top": args.top,
        "chunk": args.chunk,
        "anchor": "numpy scoring the same features (renshe.recruitment.matrix) on the same rows read with sqlite3, "
                  "top 10 per seeker, no writes, same run",
        "renshe": {"wall_seconds": round(renshe.wall_seconds, 2), "cpu_seconds":
                   round(renshe.user_seconds + renshe.system_seconds, 2),
                   "peak_rss_mib": round(renshe.peak_rss_bytes / 2**20, 1), "rows_stored": stored["rows"],
                   "seekers_stored": stored["seekers"], "seekers_per_second": round(rate_renshe, 1)},
        "numpy_anchor": {**{k: anchor[k] for k in ("seconds", "peak_rss_mib")},
                         "seekers_per_second": round(rate_anchor, 1)},
        "rate_ratio_to_anchor": round(rate_renshe / rate_anchor, 3),
        "goal": {"rate_ratio_at_least": 0.3}, "goal_met": same and rate_renshe / rate_anchor >= 0.3,
        "same_scores_as_anchor": same,
        "loadavg": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()]},
        "environment": benchlib.environment(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seekers", type=int, default=100_000)
    parser.add_argument("--postings", type=int, default=100_000)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--chunk", type=int, default=100)
    parser.add_argument("--output", default="job_matching")
    args = parser.parse_args(argv)
    result = run(args)
    path = benchlib.write_result(args.output, result)
    print(json.dumps({k: result[k] for k in ("renshe", "numpy_anchor", "rate_ratio_to_anchor",
                                             "same_scores_as_anchor")}, ensure_ascii=False))
    print(f"→ {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
