"""Run every benchmark and print one summary table.

    .venv/bin/python benchmarks/run_all.py            # full sizes: 1,000,000-person seed, 100,000-person lookup
    .venv/bin/python benchmarks/run_all.py --quick    # smoke run: small sizes, results/*_quick.json

Each benchmark runs as its own process (so one failing does not hide the others) and writes its JSON
under benchmarks/results/; the table is read back from those files. Quick runs write *_quick.json and
never overwrite the full results.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import benchlib

ALL = ("seed", "lookup", "components")


def _plan(args: argparse.Namespace) -> list[tuple[str, list[str], str]]:
    suffix = "_quick" if args.quick else ""
    here = benchlib.BENCH_DIR
    seed = [str(here / "seed_persons.py"), "--output", f"seed_persons{suffix}"]
    if args.quick:
        seed += ["--persons", "20000"]
    if args.database_url:
        seed += ["--database-url", args.database_url]
    lookup = [str(here / "person_lookup.py"), "--output", f"person_lookup{suffix}", "--workers", str(args.workers)]
    if args.quick:
        lookup += ["--quick"]
    if args.py_spy:
        lookup += ["--py-spy", str(args.py_spy)]
    components = [str(here / "profile_lookup.py"), "--output", f"person_lookup_components{suffix}"]
    if args.quick:
        components += ["--number", "200", "--cache-dir", str(benchlib.CACHE_DIR / "lookup-110000-5000-s2026")]
    plan = [("seed", seed, f"seed_persons{suffix}"), ("lookup", lookup, f"person_lookup{suffix}"),
            ("components", components, f"person_lookup_components{suffix}")]
    return [step for step in plan if step[0] in args.only]


def _load(name: str) -> dict[str, Any] | None:
    path = benchlib.RESULTS_DIR / f"{name}.json"
    if not path.exists():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = (cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row))
        lines.append("  ".join(cells))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def summary(results: dict[str, str], status: dict[str, str]) -> str:
    rows: list[tuple[str, ...]] = [("benchmark", "figure", "anchor", "ratio", "status")]
    seed = _load(results["seed"]) if "seed" in results else None
    if seed:
        r, a = seed["renshe"], seed["anchor"]
        rows.append((f"seed {seed['rows']['persons']:,} persons ({seed['backend']})",
                     f"{r['wall_seconds']:.1f} s, {r['persons_per_second']:,.0f}/s, {r['peak_rss_mib']:.0f} MiB",
                     f"{a['wall_seconds']:.1f} s, {a['persons_per_second']:,.0f}/s, {a['peak_rss_mib']:.0f} MiB",
                     f"{seed['ratio']['wall_renshe_over_anchor']:.2f}x time", status.get("seed", "")))
    lookup = _load(results["lookup"]) if "lookup" in results else None
    if lookup and "renshe" in lookup and "bare" in lookup:
        r, b = lookup["renshe"], lookup["bare"]
        ratio = lookup["ratio"]["throughput_renshe_over_bare"]
        rows.append((f"lookup GET /api/v1/persons/{{id}} ({lookup['database']['persons']:,} persons)",
                     f"{r['requests_per_second']:,.0f} req/s, p50 {r['latency_p50_ms']:.1f} ms, "
                     f"p99 {r['latency_p99_ms']:.1f} ms",
                     f"{b['requests_per_second']:,.0f} req/s, p50 {b['latency_p50_ms']:.1f} ms, "
                     f"p99 {b['latency_p99_ms']:.1f} ms",
                     f"{ratio:.3f} (target >= 0.5: {'met' if lookup['target']['met'] else 'not met'})",
                     status.get("lookup", "")))
        for name, other in lookup.get("others", {}).items():
            key = f"throughput_{name.replace('-', '_')}_over_bare"
            rows.append((f"  reference: {name}", f"{other['requests_per_second']:,.0f} req/s, "
                         f"p50 {other['latency_p50_ms']:.1f} ms, p99 {other['latency_p99_ms']:.1f} ms", "",
                         f"{lookup['ratio'].get(key, 0):.3f}", ""))
    components = _load(results["components"]) if "components" in results else None
    if components:
        figures = components["us_per_call"]
        full = figures.get("in-process ASGI: renshe person lookup (one at a time)", 0.0)
        healthz = figures.get("in-process ASGI: renshe /healthz (one at a time)", 0.0)
        top = sorted(components["breakdown"]["lookup"]["us_per_request"].items(), key=lambda kv: -kv[1])[:3]
        rows.append(("lookup in-process, one request at a time", f"{full:,.0f} us/request",
                     f"renshe /healthz {healthz:,.0f} us", "", status.get("components", "")))
        for name, value in top:
            rows.append((f"  {name[:60]}", f"{value:,.0f} us", "", "", ""))
    for name, state in status.items():
        if state != "ok" and not any(row[-1] == state and row[0].startswith(name) for row in rows):
            rows.append((name, "", "", "", state))
    return _table(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument("--only", default=",".join(ALL), help=f"comma-separated subset of {', '.join(ALL)}")
    parser.add_argument("--database-url", help="also seed PostgreSQL instead of SQLite (see seed_persons.py)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers for the lookup servers")
    parser.add_argument("--py-spy", type=float, default=0.0, metavar="SECONDS", help="profile the lookup with py-spy")
    args = parser.parse_args(argv)
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    if set(args.only) - set(ALL):
        parser.error(f"--only: choose from {', '.join(ALL)}")
    status: dict[str, str] = {}
    results: dict[str, str] = {}
    for name, cmd, result in _plan(args):
        print(f"== {name}: {' '.join(Path(c).name if c.endswith('.py') else c for c in cmd)}", flush=True)
        started = time.monotonic()
        code = subprocess.run([benchlib.python(), *cmd], check=False, timeout=6 * 3600).returncode
        status[name] = "ok" if code == 0 else f"failed ({code})"
        results[name] = result
        print(f"== {name}: {status[name]} in {time.monotonic() - started:.0f} s\n", flush=True)
    print(summary(results, status))
    return 0 if all(s == "ok" for s in status.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
