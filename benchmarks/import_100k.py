"""Bulk import benchmark: `renshe import persons FILE` with 100,000 rows, time and peak memory.

    .venv/bin/python benchmarks/import_100k.py                    # 100,000 rows, and a 10,000-row baseline
    .venv/bin/python benchmarks/import_100k.py --rows 20000 --baseline-rows 2000

Each run generates a CSV of distinct valid persons (GB 11643 numbers from `renshe.demo.resident_id`),
migrates a fresh SQLite database (`renshe db upgrade`) and then imports the file through the command
line, in a child process whose wall time and peak RSS (its own wait4 rusage) are recorded. The
baseline run imports a file a tenth the size the same way: if memory is bounded, the two peaks differ
by little more than the set of 20-byte blind indexes the import keeps to find duplicates in the file.

Writes benchmarks/results/import_100k.json (or --output).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
COUNTIES = ("110101", "110102", "110105", "110106", "110108")
HEADER = ("公民身份号码", "姓名", "手机号码", "居住地", "户籍地")


def generate(path: Path, rows: int) -> None:
    """`rows` distinct valid persons: 900 sequence numbers per county and birth date."""
    sys.path.insert(0, str(REPO))
    from renshe import demo

    start = date(1960, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            county = COUNTIES[i % len(COUNTIES)]
            slot = i // len(COUNTIES)
            number = demo.resident_id(county, start + timedelta(days=slot // 900), slot % 900 + 50)
            writer.writerow((number, "王秀英", f"139{i:08d}", county, county))


def renshe_command() -> list[str]:
    script = Path(sys.executable).with_name("renshe")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from renshe.cli import main; main()"]


def run_child(cmd: list[str], env: dict[str, str], log: Path) -> dict[str, Any]:
    """Run one child to completion; its own wall time and peak RSS (wait4, not RUSAGE_CHILDREN)."""
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"returncode": proc.returncode, "wall_seconds": round(wall, 2),
            "user_seconds": round(usage.ru_utime, 2), "system_seconds": round(usage.ru_stime, 2),
            "peak_rss_bytes": usage.ru_maxrss * 1024}


def measure(rows: int, work: Path) -> dict[str, Any]:
    folder = work / f"rows-{rows}"
    folder.mkdir()
    data = folder / "persons.csv"
    generate(data, rows)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENSHE_")}
    env.update({"RENSHE_DATABASE_URL": f"sqlite:///{folder / 'renshe.db'}",
                "RENSHE_KEY_FILE": str(folder / "keys.json"), "RENSHE_LOG_LEVEL": "WARNING",
                "RENSHE_VAR_DIR": str(folder), "COLUMNS": "120"})
    upgrade = run_child([*renshe_command(), "db", "upgrade"], env, folder / "upgrade.log")
    if upgrade["returncode"] != 0:
        raise SystemExit(f"renshe db upgrade failed:\n{(folder / 'upgrade.log').read_text()}")
    result = run_child([*renshe_command(), "import", "persons", str(data)], env, folder / "import.log")
    output = (folder / "import.log").read_text(errors="replace")
    if result["returncode"] != 0 or f"已导入人员 {rows} 条" not in output:
        raise SystemExit(f"renshe import persons failed ({result['returncode']}):\n{output[-3000:]}")
    verify = run_child([*renshe_command(), "audit", "verify"], env, folder / "verify.log")
    return {
        "rows": rows,
        "file_bytes": data.stat().st_size,
        **result,
        "rows_per_second": round(rows / result["wall_seconds"]),
        "audit_chain_intact": verify["returncode"] == 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=10_000, help="0 for none")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "results" / "import_100k.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="renshe-import-bench-") as tmp:
        work = Path(tmp)
        baseline = measure(args.baseline_rows, work) if args.baseline_rows else None
        main_run = measure(args.rows, work)
    result: dict[str, Any] = {
        "benchmark": "renshe import persons (CSV, SQLite, command line)",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpu_count": os.cpu_count()},
        "run": main_run,
        "baseline": baseline,
    }
    if baseline:
        grown = main_run["peak_rss_bytes"] - baseline["peak_rss_bytes"]
        result["peak_rss_growth_bytes_per_extra_row"] = round(grown / (args.rows - args.baseline_rows), 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = args.output.with_suffix(".json.tmp")
    tmp_out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    tmp_out.replace(args.output)
    run = result["run"]
    print(f"{run['rows']} rows in {run['wall_seconds']} s ({run['rows_per_second']} rows/s), "
          f"peak RSS {run['peak_rss_bytes'] / 2**20:.0f} MiB"
          + (f"; {baseline['rows']} rows: peak RSS {baseline['peak_rss_bytes'] / 2**20:.0f} MiB" if baseline else "")
          + f" -> {args.output}")


if __name__ == "__main__":
    main()
