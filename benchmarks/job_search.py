"""Public recruitment's job search (`GET /api/v1/recruitment/postings?q=…`) over 1,000,000 published postings,
50 users at once (wrk, 50 connections, rotating over Chinese queries, some with filters), against the raw FTS
query on the same data (the anchor for the search itself) and an EMPTY FastAPI route served with the same
server settings in the same run (the anchor for the web stack); the bare ASGI app stays as the physical limit.
Goal (issue 11): p95 < 200 ms.

    .venv/bin/python benchmarks/job_search.py                     # 1,000,000 postings, 10 s per target
    .venv/bin/python benchmarks/job_search.py --postings 100000   # quick

1. Seeding (cached under benchmarks/.cache/jobs-<N>/, in a child process): the migrations, one employer, then
   N postings generated from a fixed vocabulary (titles, duties, benefits; 60 cities; every 2022 middle
   category), inserted in bulk with their full-text terms (`renshe.core.fulltext.terms`, rjieba).
2. The raw anchor: each query's raw SQL in one sqlite3 connection, as renshe's search runs it (the FTS5 match
   joined to the postings: the newest 21, then the newest 1,001 matches' city, occupation and education for
   the capped total and the three facet counts, counted in Python), timed alone.
3. renshe, the empty FastAPI app and the bare app run under uvicorn, one worker each; wrk measures p50 to
   p99 latency and requests per second for each. renshe keeps a query's total and facets for
   `--counts-seconds` (default 30, as in production; 0 counts on every request: the worst case).
`os.getloadavg()` is recorded before and after: the machine is shared, so compare within one run.

Writes benchmarks/results/job_search.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import benchlib
from hall_pages import run_wrk
from person_lookup import LUA_SUMMARY, LUA_THREAD_OFFSET, ensure_wrk, uvicorn_cmd

CACHE = Path(__file__).resolve().parent / ".cache"
PROVINCE = "330000"
GOAL_P95_MS = 200
QUERIES = (  # (q, filters): common and rare words, phrases that are no substring of any title, filters
    ("软件工程师", {}), ("中式烹调师", {}), ("电工", {"division": "3301"}), ("仓储管理", {}), ("数据分析", {}),
    ("快递员 多劳多得", {}), ("会计", {"education": "20"}), ("养老护理员", {}), ("客服 普通话", {}),
    ("数控车工", {"salary_min": "8000"}), ("销售代表", {}), ("行政助理 见习", {"kind": "internship"}),
    ("厨师 包吃住", {}), ("Java开发", {}), ("驾驶员", {"division": "3302"}), ("保安员", {}), ("普工 双休", {}),
    ("焊工", {}), ("前端开发工程师", {}), ("幼儿教师", {}), ("工程师", {}), ("", {"division": "330106"}),
)

SEED = r"""
import random, sqlite3, sys, time
from datetime import date, timedelta
from renshe.core import fulltext
from renshe.core.auth import SYSTEM
from renshe.core.db import unit_of_work
from renshe.registry import schemas, service as registry
from renshe.recruitment import service
from renshe import demo

n, path = int(sys.argv[1]), sys.argv[2]
with unit_of_work() as session:
    rng = random.Random(11)
    employer = registry.register_employer(session, actor=SYSTEM, data=schemas.EmployerIn(
        credit_code=demo.credit_code(rng, "330106"), name="基准测试人力资源有限公司", division_code="330106",
        legal_representative="王"))
    employer_id, code = employer.id, employer.credit_code
    occupations = [o.code for o in service.all_occupations(session, levels=("middle",))]
TITLES = ["软件开发工程师", "前端开发工程师", "Java开发工程师", "数据分析师", "中式烹调师", "西式面点师", "电工",
          "焊工",
          "仓储管理员", "快递员", "外卖配送员", "会计", "出纳", "养老护理员", "育婴员", "客户服务专员", "数控车工",
          "销售代表", "行政助理", "驾驶员", "保安员", "普工", "幼儿教师", "物业管理员", "电子商务运营", "美容师",
          "汽车维修工", "质检员", "采购专员", "人力资源专员"]
DUTIES = ["负责日常工作", "能适应倒班", "有相关工作经验优先", "持证上岗", "普通话标准", "熟练使用电脑",
          "服从工作安排", "吃苦耐劳", "有团队合作精神", "接受应届毕业生", "提供岗前培训"]
BENEFITS = ["五险一金", "包吃住", "双休", "多劳多得", "年终奖", "节日福利", "带薪年假", "交通补贴"]
CITIES = ["3301", "3302", "3303", "3304", "3305", "3306", "3307", "3308", "3309", "3310", "3311"]
COUNTIES = ["01", "02", "03", "04", "05", "06", "08", "09", "10", "21", "22"]
EDU = ["", "", "10", "20", "30", "40", "60"]
rng = random.Random(7)
today = date.today()
conn = sqlite3.connect(path)
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("PRAGMA synchronous=OFF")
started = time.perf_counter()
batch, docs = [], []
for i in range(1, n + 1):
    title = rng.choice(TITLES)
    kind = "internship" if rng.random() < 0.05 else "job"
    if kind == "internship":
        title += "（就业见习）"
    text = "，".join(rng.sample(DUTIES, 3) + rng.sample(BENEFITS, 2)) + "。"
    low = rng.randrange(30, 150) * 100
    division = rng.choice(CITIES) + rng.choice(COUNTIES)
    occupation = rng.choice(occupations)
    public_id = f"{i:032x}"
    batch.append((i, public_id, f"{PROVINCE}:{public_id}", PROVINCE, employer_id, code, "基准测试人力资源有限公司",
                  title, text, occupation, division, low * 100, (low + rng.randrange(5, 80) * 100) * 100,
                  rng.choice(EDU), rng.randrange(1, 20), (today + timedelta(days=rng.randrange(1, 180))).isoformat(),
                  kind, "人事部", None, "139****0000", "published", 0, 0, "2026-01-01 00:00:00.000000"))
    docs.append((i, " ".join(fulltext.terms(title, "基准测试人力资源有限公司", text)
                             + service.filter_terms(division=division, occupation=occupation, kind=kind))))
    if len(batch) == 50_000 or i == n:
        conn.executemany(
            "INSERT INTO job_postings (id, public_id, source_key, origin_province, employer_id, employer_credit_code,"
            " employer_name, title, description, occupation_code, division_code, salary_min_fen, salary_max_fen,"
            " education, headcount, expires_on, kind, contact_name, contact_phone_encrypted, contact_phone_masked,"
            " state, applications, reports, created_at) VALUES (" + ",".join("?" * 24) + ")", batch)
        conn.executemany("INSERT INTO search_job_postings (rowid, terms) VALUES (?, ?)", docs)
        conn.commit()
        batch, docs = [], []
conn.execute("INSERT INTO search_job_postings(search_job_postings) VALUES ('optimize')")
conn.commit()
conn.execute("ANALYZE")
conn.close()
print(f"SEEDED {n} in {time.perf_counter() - started:.1f} s", flush=True)
""".replace("PROVINCE", repr(PROVINCE))

LUA = """-- generated by benchmarks/job_search.py
local paths = {}
for line in io.lines("__PATHS__") do
  if #line > 0 then paths[#paths + 1] = line end
end
""" + LUA_THREAD_OFFSET + """function init(args)
  position = (offset or 0) * 7
end
function request()
  position = position + 1
  return wrk.format("GET", paths[(position % #paths) + 1])
end
""" + LUA_SUMMARY


def seed(postings: int) -> Path:
    folder = CACHE / f"jobs-{postings}"
    if (folder / "seeded.db").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    work = folder / "seeding.db"
    env = benchlib.renshe_env(database_url=f"sqlite:///{work}", key_file=folder / "keys.json", province=PROVINCE)
    for step in (["db", "upgrade"],):
        done = subprocess.run([*benchlib.renshe_command(), *step], env=env, cwd=folder, capture_output=True,
                              text=True, check=False, timeout=600)
        if done.returncode != 0:
            raise benchlib.BenchmarkError(f"{step} failed: {done.stderr[-2000:]}")
    made = subprocess.run([sys.executable, "-c", SEED, str(postings), str(work)], env=env, cwd=folder,
                          capture_output=True, text=True, check=False, timeout=7200)
    if made.returncode != 0:
        raise benchlib.BenchmarkError(f"seeding failed: {made.stdout[-2000:]} {made.stderr[-4000:]}")
    print(made.stdout.strip(), flush=True)
    work.rename(folder / "seeded.db")
    return folder


RAW = r"""
import json, sqlite3, statistics, sys, time
from collections import Counter
from datetime import date
from renshe.core import fulltext
from renshe.recruitment import service

path, queries = sys.argv[1], json.loads(sys.argv[2])
conn = sqlite3.connect(path)
today = date.today().isoformat()
FILTERS = {"division": "p.division_code LIKE :division || '%'", "salary_min": "p.salary_max_fen >= :salary_min",
           "kind": "p.kind = :kind", "education": "p.education IN ('', '10', '20')"}
timings = {}
for q, filters in queries:
    words = (fulltext.query_terms(q) if q else []) + service.filter_terms(
        division=filters.get("division", ""), kind=filters.get("kind", ""))
    where = ["p.state = 'published'", "p.expires_on >= :today"] + [FILTERS[k] for k in filters
                                                                    if k not in ("division", "kind")]
    params = {"today": today, **{k: (int(v) * 100 if k == "salary_min" else v) for k, v in filters.items()}}
    if words:
        src, key = "search_job_postings s JOIN job_postings p ON p.id = s.rowid", "s.rowid"
        where.append("search_job_postings MATCH :fts")
        params.update(fulltext.params(words, "sqlite"))
    else:
        src, key = "job_postings p", "p.id"
    cond = " AND ".join(where)
    page = f"SELECT p.* FROM {src} WHERE {cond} ORDER BY {key} DESC LIMIT 21"
    newest = (f"SELECT p.division_code, p.occupation_code, p.education FROM {src} WHERE {cond} "
              f"ORDER BY {key} DESC LIMIT 1001")
    runs = []
    for _ in range(7):
        started = time.perf_counter()
        conn.execute(page, params).fetchall()
        rows = conn.execute(newest, params).fetchall()
        total = len(rows)
        for column in range(3):
            Counter(r[column][:4] if column == 0 else r[column][:1] if column == 1 else r[column]
                    for r in rows[:1000]).most_common(20)
        runs.append((time.perf_counter() - started) * 1000)
    timings[q + " " + json.dumps(filters, ensure_ascii=False)] = {"ms": round(statistics.median(runs[2:]), 2),
                                                                  "matches_counted": total}
print("RAW_JSON " + json.dumps(timings, ensure_ascii=False))
"""


def run(args: argparse.Namespace) -> dict[str, Any]:
    wrk = ensure_wrk()
    folder = seed(args.postings)
    work = folder / "run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    db_path = work / "jobs.db"
    shutil.copyfile(folder / "seeded.db", db_path)
    shutil.copyfile(folder / "keys.json", work / "keys.json")
    env = benchlib.renshe_env(database_url=f"sqlite:///{db_path}", key_file=work / "keys.json", province=PROVINCE,
                              extra={"RENSHE_BATCH_WORKER": "0",
                                     "RENSHE_SEARCH_COUNTS_SECONDS": str(args.counts_seconds)})
    raw = subprocess.run([sys.executable, "-c", RAW, str(db_path), json.dumps(QUERIES, ensure_ascii=False)], env=env,
                         cwd=work, capture_output=True, text=True, check=False, timeout=1800)
    line = next((x for x in raw.stdout.splitlines() if x.startswith("RAW_JSON ")), None)
    if raw.returncode != 0 or line is None:
        raise benchlib.BenchmarkError(f"raw anchor failed: {raw.stderr[-4000:]}")
    raw_ms: dict[str, Any] = json.loads(line.removeprefix("RAW_JSON "))
    paths = work / "paths.txt"
    paths.write_text("\n".join("/api/v1/recruitment/postings?" + urlencode({"q": q, **f}) for q, f in QUERIES) + "\n")

    def script(name: str, path: str | None) -> Path:
        lua = work / f"{name}.lua"
        source = paths if path is None else work / f"{name}.paths"
        if path is not None:
            source.write_text(path + "\n")
        lua.write_text(LUA.replace("__PATHS__", str(source)))
        return lua

    results: dict[str, Any] = {}
    load_before = os.getloadavg()
    port_r, port_f, port_b = benchlib.free_port(), benchlib.free_port(), benchlib.free_port()
    started = time.perf_counter()
    with benchlib.server(uvicorn_cmd("renshe.web.app:create_app", port_r, 1), port=port_r, env=env, cwd=work,
                         log_path=work / "renshe.log") as renshe_proc, \
            benchlib.server(uvicorn_cmd("bare_asgi:create_fastapi_app", port_f, 1, benchlib.BENCH_DIR), port=port_f,
                            env=env, cwd=work, log_path=work / "fastapi.log"), \
            benchlib.server(uvicorn_cmd("bare_asgi:create_app", port_b, 1, benchlib.BENCH_DIR), port=port_b,
                            env=env, cwd=work, log_path=work / "bare.log"):
        targets = {
            "fastapi_empty": (f"http://{benchlib.LOCALHOST}:{port_f}", script("fastapi", "/healthz")),
            "bare": (f"http://{benchlib.LOCALHOST}:{port_b}", script("bare", "/")),
            "job_search": (f"http://{benchlib.LOCALHOST}:{port_r}", script("search", None)),
        }
        for name, (url, lua) in targets.items():
            run_wrk(wrk, url, lua, 2, args.connections)  # warm-up
            if name == "job_search" and args.profile:  # sampled while wrk drives it
                with ThreadPoolExecutor(max_workers=1) as pool:
                    sampling = pool.submit(benchlib.py_spy_record, renshe_proc.pid, args.seconds - 1,
                                           work / "search.raw.txt", subprocesses=True)
                    results[name] = run_wrk(wrk, url, lua, args.seconds, args.connections)
                    profile = sampling.result()
            else:
                results[name] = run_wrk(wrk, url, lua, args.seconds, args.connections)
            print(name, results[name], flush=True)
    anchor = results["fastapi_empty"]
    search = results["job_search"]
    raw_values = [v["ms"] for v in raw_ms.values()]
    result: dict[str, Any] = {
        "benchmark": "job_search", "postings": args.postings, "connections": args.connections,
        "seconds_per_target": args.seconds, "queries": len(QUERIES), "counts_seconds": args.counts_seconds,
        "anchor": "raw: the same SQL renshe runs, one sqlite3 connection, one query at a time; fastapi_empty: an "
                  "empty FastAPI async route, same uvicorn settings, same run",
        "goal": {"job_search_p95_ms_below": GOAL_P95_MS},
        "goal_met": search["requests"] > 0 and search["p95_ms"] < GOAL_P95_MS and search["status_errors"] == 0,
        "targets": results,
        "raw_query_ms": raw_ms,
        "raw_query_ms_median": round(statistics.median(raw_values), 2),
        "raw_query_ms_max": round(max(raw_values), 2),
        "raw_queries_per_second_one_connection": round(1000 / statistics.mean(raw_values), 1),
        "search_rate_to_raw": round(search["requests_per_second"] / (1000 / statistics.mean(raw_values)), 3),
        "throughput_ratio_to_anchor": {k: round(v["requests_per_second"] / max(anchor["requests_per_second"], 0.1), 4)
                                       for k, v in results.items()},
        "wall_seconds": round(time.perf_counter() - started, 1),
        "loadavg": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()]},
        "environment": benchlib.environment(),
    }
    if args.profile:
        result["py_spy_breakdown"] = benchlib.py_spy_breakdown(profile)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postings", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--counts-seconds", type=float, default=30.0,
                        help="how long the server keeps a query's total and facets (0: every request counts)")
    parser.add_argument("--profile", action="store_true", help="record the renshe server with py-spy meanwhile")
    parser.add_argument("--output", default="job_search")
    args = parser.parse_args(argv)
    result = run(args)
    path = benchlib.write_result(args.output, result)
    print(f"→ {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
