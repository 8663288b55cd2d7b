"""Batch identity verification end to end, against DuckDB joining the same two CSV files in the same run.

    .venv/bin/python benchmarks/batch_verify.py                       # 1,000,000 rows over 100,000 persons
    .venv/bin/python benchmarks/batch_verify.py --kill-at 0.4         # also SIGKILL the server at 40 %, restart
    .venv/bin/python benchmarks/batch_verify.py --rows 100000 --persons 5000    # quick

1. The seeded database of person_lookup.py is reused (benchmarks/.cache/lookup-…); every person's ID
   number is decrypted once into persons.csv (id_number, name), the anchor's reference table.
2. batch.csv holds --rows rows (name, id_number): three in four a person's own name (match), one in
   eight a wrong name (mismatch), one in eight a valid ID number that is not in the base (not_found).
   The expected counts are known before the run.
3. renshe: a server (uvicorn, one worker, the batch worker on) gets the file at POST
   /share/v1/batch/identity as a consumer application; the clock runs from the start of the upload to
   the moment the progress endpoint says done, then the result is downloaded and checked row by row
   (same rows, same order, each answer right). The server's peak RSS (VmHWM) is read from /proc.
   With --kill-at F the server is SIGKILLed once F of the rows are answered and started again; the
   batch must still end with every row answered once.
4. The anchor: DuckDB (in a child process, so its peak RSS is its own) reads both CSVs, left-joins on
   id_number, writes the same result CSV in input order.
5. Where renshe's time goes: py-spy samples the server (`py-spy record --format raw`, active threads
   only) for the whole run; each sample is put in one bucket by the frames on its stack (upload and
   row checks, hashing, join, comparing and writing, checkpoints, other) and the buckets are given as
   shares and as estimated seconds. `os.getloadavg()` is recorded before and after: the machine is
   shared, so only figures of the same run are compared.

Writes benchmarks/results/batch_verify.json (or --output).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import benchlib
import identity_verify
import person_lookup as lookup

TARGET_RATIO = 3.0
TARGET_PEAK_BYTES = 1024**3
PY_SPY_RATE = 100  # samples per second

# (bucket, frames any of which puts a sample in it), first match wins
BUCKETS: list[tuple[str, tuple[str, ...]]] = [
    ("hashing (HMAC blind indexes)", ("(renshe/core/crypto.py", "id_indexer (")),
    ("join (set-based person lookup)", ("names_by_index (",)),
    ("upload: multipart parsing", ("multipart", "formparsers.py")),
    ("upload: CSV reading and row checks", ("stage_upload (",)),
    ("comparing and result lines", ("_answer (",)),
    ("writing, fsync and checkpoint", ("run_chunk (", "work_once (")),
]


# leaf frames of threads that wait (the event loop in its selector, idle pool threads), which py-spy's
# --nonblocking sampling does not always recognise as idle
IDLE = "idle (event loop and pool threads waiting)"
IDLE_LEAVES = ("Runner.run (asyncio/runners.py", "Queue.get (queue.py", "Condition.wait (threading.py",
               "_worker (concurrent/futures/thread.py", "Event.wait (threading.py")


class Profiler:
    """py-spy recording one server process into a raw (collapsed stacks) file until it ends or is stopped."""

    def __init__(self, pid: int, out: Path) -> None:
        self.out = out
        self.proc = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--format", "raw",
                                      "--rate", str(PY_SPY_RATE), "--nonblocking", "--pid", str(pid),
                                      "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def breakdown(files: list[Path]) -> dict[str, Any]:
    """Samples per bucket over the raw py-spy files of a run."""
    samples = {name: 0 for name, _frames in BUCKETS} | {"other (HTTP, polling, worker loop)": 0, IDLE: 0}
    for path in files:
        if not path.exists():
            continue
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            leaf = stack.rsplit(";", 1)[-1]
            bucket = IDLE if leaf.startswith(IDLE_LEAVES) else next(
                (name for name, frames in BUCKETS if any(f in stack for f in frames)),
                "other (HTTP, polling, worker loop)")
            samples[bucket] += int(count)
    total = sum(n for name, n in samples.items() if name != IDLE) or 1
    return {"tool": f"py-spy record --format raw --rate {PY_SPY_RATE} --nonblocking (active threads only)",
            "samples": sum(samples.values()),
            "buckets": {name: {"share": round(n / total, 3) if name != IDLE else None,
                               "seconds_estimate": round(n / PY_SPY_RATE, 2)} for name, n in samples.items()},
            "note": "shares are of the non-idle samples; a sample counts while its thread runs or waits for a "
                    "CPU, so on a loaded machine the seconds are closer to wall time than to CPU time"}


def persons_csv(directory: Path, out: Path) -> list[tuple[str, str]]:
    """Every person of the cached base as (id_number, name), decrypted with the cache's keys."""
    import base64
    import sqlite3

    from renshe.core.crypto import FieldCipher
    from renshe.registry.service import ID_PURPOSE

    keys = json.loads((directory / "keys.json").read_text())
    cipher = FieldCipher(base64.b64decode(keys["data"]), base64.b64decode(keys["index"]))
    conn = sqlite3.connect(f"file:{directory / 'renshe.db'}?mode=ro", uri=True)
    try:
        rows = [(cipher.decrypt(enc, purpose=ID_PURPOSE), name) for enc, name in conn.execute(
            "SELECT id_number_encrypted, name FROM persons WHERE status = 'normal'")]
    finally:
        conn.close()
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("id_number", "name"))
        writer.writerows(rows)
    return rows


def batch_csv(persons: list[tuple[str, str]], rows: int, out: Path, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    known = {number for number, _name in persons}
    expected = {"match": 0, "mismatch": 0, "not_found": 0}
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("name", "id_number"))
        for i in range(rows):
            number, name = persons[rng.randrange(len(persons))]
            kind = "mismatch" if i % 8 == 3 else "not_found" if i % 8 == 7 else "match"
            if kind == "mismatch":
                name += "某"
            elif kind == "not_found":
                number = identity_verify.unknown_number(number, rng, known)
            writer.writerow((name, number))
            expected[kind] += 1
    return expected


def multipart(path: Path, boundary: str) -> tuple[bytes, bytes]:
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{path.name}\"\r\n"
            "Content-Type: text/csv\r\n\r\n").encode()
    return head, f"\r\n--{boundary}--\r\n".encode()


def upload(base: str, token: str, path: Path) -> dict[str, Any]:
    """POST the file as multipart/form-data, streamed from disk (http.client, 127.0.0.1 only)."""
    import http.client

    boundary = uuid.uuid4().hex
    head, tail = multipart(path, boundary)
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=3600)
    conn.putrequest("POST", "/share/v1/batch/identity")
    conn.putheader("Authorization", f"Bearer {token}")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(len(head) + path.stat().st_size + len(tail)))
    conn.endheaders()
    conn.send(head)
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            conn.send(block)
    conn.send(tail)
    response = conn.getresponse()
    body = response.read()
    if response.status != 202:
        raise benchlib.BenchmarkError(f"upload refused: {response.status} {body[:500]!r}")
    return dict(json.loads(body))


class PeakRss:
    """Samples VmRSS of a process every 0.1 s (VmHWM is lost when a process is killed and restarted)."""

    def __init__(self) -> None:
        self.peak = 0
        self.pid = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                    if line.startswith(("VmRSS:", "VmHWM:")):
                        self.peak = max(self.peak, int(line.split()[1]) * 1024)
            except (OSError, ValueError):
                pass
            time.sleep(0.1)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def check_result(text_path: Path, batch: Path, expected: dict[str, int], persons: dict[str, str]) -> dict[str, int]:
    """Every input row once, in order, with the right answer."""
    counts = {"match": 0, "mismatch": 0, "not_found": 0}
    with batch.open(encoding="utf-8", newline="") as source, text_path.open(encoding="utf-8-sig", newline="") as got:
        wanted_rows = csv.reader(source)
        result_rows = csv.reader(got)
        next(wanted_rows)
        if next(result_rows) != ["name", "id_number", "result"]:
            raise benchlib.BenchmarkError("the result file's header is wrong")
        for number, (want, row) in enumerate(zip(wanted_rows, result_rows, strict=True), start=2):
            if row[:2] != want:
                raise benchlib.BenchmarkError(f"result row {number} is {row[:2]}, the input row was {want}")
            stored = persons.get(want[1])
            right = "not_found" if stored is None else "match" if stored == want[0] else "mismatch"
            if row[2] != right:
                raise benchlib.BenchmarkError(f"result row {number} says {row[2]}, should be {right}")
            counts[row[2]] += 1
    if counts != expected:
        raise benchlib.BenchmarkError(f"counts {counts} differ from the expected {expected}")
    return counts


def run_renshe(args: argparse.Namespace, directory: Path, batch: Path, expected: dict[str, int],
               persons: dict[str, str], work: Path) -> dict[str, Any]:
    env = benchlib.renshe_env(database_url=f"sqlite:///{directory / 'renshe.db'}", key_file=directory / "keys.json",
                              province=args.province, extra={"RENSHE_BATCH_DIR": str(work / "batch"),
                                                             "RENSHE_BATCH_WORKER": "1"})
    client_id, secret = identity_verify.add_consumer(directory, env)
    port = benchlib.free_port()
    base = f"http://{benchlib.LOCALHOST}:{port}"
    cmd = lookup.uvicorn_cmd("renshe.web.app:create_app", port, 1)
    peak = PeakRss()
    kills: list[dict[str, Any]] = []
    profiles: list[Path] = []
    upload_seconds = 0.0
    status: dict[str, Any] = {}
    with benchlib.server(cmd, port=port, env=env, cwd=directory, log_path=work / "server-1.log") as proc:
        peak.pid = proc.pid
        peak.start()
        profiles.append(work / "py-spy-1.txt")
        profiler = Profiler(proc.pid, profiles[-1]) if args.profile else None
        token = identity_verify.consumer_token(base, client_id, secret)  # before the clock, like the anchor
        started = time.perf_counter()
        created = upload(base, token, batch)
        upload_seconds = time.perf_counter() - started
        job = created["job_id"]
        print(f"  uploaded {created['total_rows']:,} rows in {upload_seconds:.1f} s; job {job}", flush=True)
        status = poll(base, token, job, kill_at=args.kill_at, total=created["total_rows"])
        wall = time.perf_counter() - started
        if profiler and status["status"] == "done":
            profiler.stop()
        if status["status"] == "done":
            result = download(base, token, job, work / "result.csv")
        else:  # killed mid-batch: SIGKILL, as a crash would
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            kills.append({"at_processed_rows": status["processed_rows"],
                          "seconds_since_upload_start": round(time.perf_counter() - started, 2)})
            print(f"  SIGKILL at {status['processed_rows']:,} rows; restarting", flush=True)
            if profiler:
                profiler.stop()
    if kills:
        with benchlib.server(cmd, port=port, env=env, cwd=directory, log_path=work / "server-2.log") as proc:
            peak.pid = proc.pid
            profiles.append(work / "py-spy-2.txt")
            profiler = Profiler(proc.pid, profiles[-1]) if args.profile else None
            token = identity_verify.consumer_token(base, client_id, secret)
            status = poll(base, token, job, kill_at=None, total=created["total_rows"])
            wall = time.perf_counter() - started
            if profiler:
                profiler.stop()
            result = download(base, token, job, work / "result.csv")
    peak.stop()
    counts = check_result(result, batch, expected, persons)
    return {"wall_seconds": round(wall, 2), "upload_and_check_seconds": round(upload_seconds, 2),
            "answering_seconds": round(wall - upload_seconds, 2),
            "profile": breakdown(profiles) if args.profile else None,
            "rows_per_second": round(sum(counts.values()) / wall, 1),
            "server_peak_rss_bytes": peak.peak, "server_peak_rss": benchlib.human_bytes(peak.peak),
            "counts": counts, "final_status": status, "kills": kills,
            "result_file_bytes": result.stat().st_size}


def poll(base: str, token: str, job: str, *, kill_at: float | None, total: int) -> dict[str, Any]:
    while True:
        code, raw = benchlib.local_http(f"{base}/share/v1/batch/{job}", headers={"Authorization": f"Bearer {token}"})
        if code != 200:
            raise benchlib.BenchmarkError(f"progress gave {code}: {raw[:300]!r}")
        status: dict[str, Any] = json.loads(raw)
        if status["status"] == "done":
            return status
        if kill_at is not None and status["processed_rows"] >= kill_at * total:
            return status
        time.sleep(0.05)


def download(base: str, token: str, job: str, out: Path) -> Path:
    import http.client

    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=600)
    conn.request("GET", f"/share/v1/batch/{job}/result", headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    if response.status != 200:
        raise benchlib.BenchmarkError(f"result download gave {response.status}")
    with out.open("wb") as handle:
        while block := response.read(1 << 20):
            handle.write(block)
    return out


DUCKDB_SCRIPT = textwrap.dedent("""
    import sys, time, duckdb
    batch, persons, out = sys.argv[1:4]
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute(f'''
        COPY (
          SELECT b.name, b.id_number,
                 CASE WHEN p.id_number IS NULL THEN 'not_found' WHEN p.name = b.name THEN 'match'
                      ELSE 'mismatch' END AS result
          FROM (SELECT *, row_number() OVER () AS n
                FROM read_csv('{batch}', header=true, all_varchar=true)) b
          LEFT JOIN read_csv('{persons}', header=true, all_varchar=true) p USING (id_number)
          ORDER BY b.n
        ) TO '{out}' (HEADER, DELIMITER ',')''')
    counts = dict(con.execute(f"SELECT result, count(*) FROM read_csv('{out}', header=true) GROUP BY result")
                  .fetchall())
    print(time.perf_counter() - started)
    print(counts)
""")


def run_duckdb(batch: Path, persons: Path, work: Path) -> dict[str, Any]:
    script = work / "anchor.py"
    script.write_text(DUCKDB_SCRIPT)
    out = work / "duckdb-result.csv"
    log = work / "duckdb.log"
    run = benchlib.run_measured([benchlib.python(), str(script), str(batch), str(persons), str(out)], log_path=log,
                                timeout=3600)
    if run.returncode != 0:
        raise benchlib.BenchmarkError(f"the DuckDB anchor failed:\n{benchlib.tail(log)}")
    lines = log.read_text().splitlines()
    return {"wall_seconds": round(run.wall_seconds, 2), "join_seconds": round(float(lines[0]), 2),
            "peak_rss_bytes": run.peak_rss_bytes, "peak_rss": benchlib.human_bytes(run.peak_rss_bytes),
            "counts": lines[1]}


def run(args: argparse.Namespace) -> dict[str, Any]:
    import duckdb

    started_env = benchlib.environment()
    load_before = os.getloadavg()
    directory, seeded = lookup.prepare_database(args)
    work = directory / f"batch-{args.rows}"
    if work.exists():
        subprocess.run(["rm", "-rf", str(work)], check=True)
    work.mkdir(parents=True)
    persons = persons_csv(directory, work / "persons.csv")
    expected = batch_csv(persons, args.rows, work / "batch.csv", args.seed)
    print(f"{args.rows:,} rows over {len(persons):,} persons; expected {expected}", flush=True)
    anchor = run_duckdb(work / "batch.csv", work / "persons.csv", work)
    print(f"  DuckDB: {anchor['wall_seconds']} s, peak {anchor['peak_rss']}", flush=True)
    renshe = run_renshe(args, directory, work / "batch.csv", expected, dict(persons), work)
    print(f"  renshe: {renshe['wall_seconds']} s, peak {renshe['server_peak_rss']}", flush=True)
    ratio = renshe["wall_seconds"] / anchor["wall_seconds"]
    met = ratio <= TARGET_RATIO and renshe["server_peak_rss_bytes"] < TARGET_PEAK_BYTES
    return {
        "benchmark": "batch_verify", "valid": True,
        "rows": args.rows, "persons": len(persons), "expected": expected,
        "database": {"backend": "sqlite", "directory": str(directory), **seeded},
        "batch_file_bytes": (work / "batch.csv").stat().st_size,
        "renshe": renshe, "duckdb": {**anchor, "version": duckdb.__version__},
        "ratio": {"renshe_wall_over_duckdb": round(ratio, 2)},
        "target": {"wall_ratio_at_most": TARGET_RATIO, "server_peak_below_bytes": TARGET_PEAK_BYTES, "met": met},
        "notes": ["renshe's wall time runs from the start of the upload (the consumer's token is fetched before"
                  " the clock starts; every row checked: check character, date, division) to the progress"
                  " endpoint saying done; it includes the HTTP upload, chunked"
                  " lookups through the blind index, the fsync'd checkpoints and, with --kill-at, the restart",
                  "the result was downloaded and checked row by row against the input and the known persons",
                  "DuckDB reads the clear ID numbers from persons.csv; renshe holds them only encrypted, with "
                  "an HMAC blind index, so each lookup key is an HMAC computed per row",
                  "the progress endpoint is polled every 0.05 s, so the done moment is known to within that",
                  "the profile's seconds are py-spy samples over its rate: CPU-active time of the server's "
                  "threads, which on a loaded machine is less than the wall time"],
        "environment": started_env,
        "load_average": {"before": [round(v, 2) for v in load_before],
                         "after": [round(v, 2) for v in os.getloadavg()],
                         "cpus": os.cpu_count(), "note": "1, 5 and 15 minute averages; the machine is shared"},
    }


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--province", default="110000")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--kill-at", type=float, default=None, help="SIGKILL the server at this fraction (0-1)")
    parser.add_argument("--cache-dir", type=Path)
    parser.add_argument("--output", default="batch_verify")
    parser.add_argument("--no-profile", dest="profile", action="store_false", help="run without py-spy")
    args = parser.parse_args(argv)
    if args.kill_at is not None and not 0 < args.kill_at < 1:
        parser.error("--kill-at is a fraction between 0 and 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    try:
        result = run(args)
    except benchlib.BenchmarkError as exc:
        print(f"batch_verify: {exc}", file=sys.stderr)
        return 1
    path = benchlib.write_result(args.output, result)
    print(f"renshe/duckdb wall = {result['ratio']['renshe_wall_over_duckdb']} (target <= {TARGET_RATIO}), "
          f"server peak {result['renshe']['server_peak_rss']} -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
