"""Near-real-time reporting: events per second and lag from a province's outbox to the ministry's store.

    .venv/bin/python benchmarks/federation_lag.py                 # 1,000 events/s for 30 s, then a burst
    .venv/bin/python benchmarks/federation_lag.py --rate 2000 --seconds 20

Needs the NATS server with JetStream at 127.0.0.1:4222 (RENSHE_NATS_URL to change it).

1. Two real servers (uvicorn renshe.web.app:create_app, one worker each, own SQLite files): a province
   node (330000) whose outbox relay publishes to JetStream, and the ministry hub (RENSHE_ROLE=ministry)
   consuming it. A subject prefix unique to the run keeps other streams out; the stream is deleted after.
2. A writer process commits outbox rows into the province's database at --rate events per second
   (rate/50 events per transaction, 50 transactions a second) for --seconds seconds; the achieved rate
   is reported beside the offered one.
3. When the ministry holds every event, lag is read per event from the hub's store: received_at (when
   the hub stored it) minus occurred_at (when the province committed it). Figures: p50, p95, p99, max.
4. Capacity: --burst events are committed at once, and the time until the hub holds all of them gives
   the end-to-end events per second.

The anchor is the NATS round trip itself: the same number of messages published to a plain JetStream
stream and pulled back by this process, without renshe (so the broker's own cost is visible).
Writes benchmarks/results/federation_lag.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import benchlib
import person_lookup as lookup

TARGET_P99_SECONDS = 2.0
WRITER = textwrap.dedent("""
    import sys, time
    from renshe.core import db
    from renshe.core.models import OutboxEvent
    rate, seconds, burst = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])

    def commit(topic, first, count):
        # the outbox rows record_event writes, added in one flush (the load generator must keep up)
        with db.unit_of_work() as session:
            session.add_all([OutboxEvent(topic=topic, payload={"n": first + i}) for i in range(count)])

    if burst:
        for first in range(0, burst, 5000):
            commit("bench.burst", first, min(5000, burst - first))
        print(burst, 0)
        sys.exit(0)
    per_tx = max(1, int(rate / 50))  # 50 transactions a second
    written = 0
    start = time.perf_counter()
    tick = 0
    while time.perf_counter() - start < seconds:
        commit("bench.tick", written, per_tx)
        written += per_tx
        tick += 1
        delay = start + tick / (rate / per_tx) - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
    print(written, time.perf_counter() - start)
""")


def parse_time(value: str) -> datetime:
    text = value.replace(" ", "T")
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def hub_rows(db_path: Path, topic: str) -> list[tuple[datetime, datetime]]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return [(parse_time(o), parse_time(r)) for o, r in conn.execute(
            "SELECT occurred_at, received_at FROM hub_events WHERE topic = ?", (topic,))]
    finally:
        conn.close()


def hub_count(db_path: Path, topic: str) -> int:
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    except sqlite3.OperationalError:
        return 0
    try:
        return int(conn.execute("SELECT count(*) FROM hub_events WHERE topic = ?", (topic,)).fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def wait_for(db_path: Path, topic: str, count: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if hub_count(db_path, topic) >= count:
            return time.monotonic()
        time.sleep(0.05)
    raise benchlib.BenchmarkError(f"the ministry holds {hub_count(db_path, topic)} of {count} {topic} events "
                                  f"after {timeout:.0f} s")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def nats_anchor(url: str, prefix: str, count: int) -> dict[str, Any]:
    """Publish `count` messages to a plain stream and pull them back: the broker's own round trip."""
    import nats
    from nats.js.api import StreamConfig

    nc = await nats.connect(url)
    js = nc.jetstream()
    stream = f"{prefix}-anchor"
    await js.add_stream(StreamConfig(name=stream, subjects=[f"{prefix}anchor.>"]))
    try:
        body = json.dumps({"event_id": "0" * 32, "topic": "bench.tick", "payload": {"n": 1}}).encode()
        started = time.perf_counter()
        for start in range(0, count, 500):
            await asyncio.gather(*(js.publish(f"{prefix}anchor.x", body, headers={"Nats-Msg-Id": f"{prefix}{i}"})
                                   for i in range(start, min(count, start + 500))))
        published = time.perf_counter()
        sub = await js.pull_subscribe(f"{prefix}anchor.>", durable="anchor", stream=stream)
        got = 0
        while got < count:
            messages = await sub.fetch(500, timeout=5)
            for message in messages:
                await message.ack()
            got += len(messages)
        done = time.perf_counter()
    finally:
        await js.delete_stream(stream)
        await nc.close()
    return {"messages": count, "publish_seconds": round(published - started, 3),
            "round_trip_seconds": round(done - started, 3), "events_per_second": round(count / (done - started), 1)}


async def delete_streams(url: str, prefix: str) -> None:
    import nats

    nc = await nats.connect(url)
    js = nc.jetstream()
    for info in await js.streams_info():
        name = info.config.name or ""
        if name.upper().startswith(prefix.upper()):
            await js.delete_stream(name)
    await nc.close()


def run(args: argparse.Namespace) -> dict[str, Any]:
    started_env = benchlib.environment()
    url = os.environ.get("RENSHE_NATS_URL", "nats://127.0.0.1:4222")
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    work = benchlib.CACHE_DIR / "federation" / prefix
    work.mkdir(parents=True)
    nodes = {"province": work / "province", "ministry": work / "ministry"}
    envs = {}
    for role, folder in nodes.items():
        folder.mkdir()
        extra = {"RENSHE_NATS_URL": url, "RENSHE_ROLE": role, "RENSHE_NATS_SUBJECT_PREFIX": prefix,
                 "RENSHE_BATCH_WORKER": "0"}
        envs[role] = benchlib.renshe_env(database_url=f"sqlite:///{folder / 'renshe.db'}",
                                         key_file=folder / "keys.json", province="330000", extra=extra)
        upgrade = benchlib.run_measured([*benchlib.renshe_command(), "db", "upgrade"], env=envs[role], cwd=folder,
                                        log_path=folder / "upgrade.log", timeout=600)
        if upgrade.returncode != 0:
            raise benchlib.BenchmarkError(f"db upgrade failed:\n{benchlib.tail(folder / 'upgrade.log')}")
    writer = work / "writer.py"
    writer.write_text(WRITER)
    hub_db = nodes["ministry"] / "renshe.db"
    ports = {role: benchlib.free_port() for role in nodes}
    try:
        with benchlib.server(lookup.uvicorn_cmd("renshe.web.app:create_app", ports["province"], 1),
                             port=ports["province"], env=envs["province"], cwd=nodes["province"],
                             log_path=nodes["province"] / "server.log"), \
             benchlib.server(lookup.uvicorn_cmd("renshe.web.app:create_app", ports["ministry"], 1),
                             port=ports["ministry"], env=envs["ministry"], cwd=nodes["ministry"],
                             log_path=nodes["ministry"] / "server.log"):
            print(f"steady: {args.rate:g} events/s for {args.seconds:g} s …", flush=True)
            run_writer = subprocess.run([benchlib.python(), str(writer), str(args.rate), str(args.seconds), "0"],
                                        env=envs["province"], cwd=nodes["province"], capture_output=True, text=True,
                                        timeout=args.seconds + 120, check=False)
            if run_writer.returncode != 0:
                raise benchlib.BenchmarkError(f"the writer failed: {run_writer.stderr[-1500:]}")
            written_text, elapsed_text = run_writer.stdout.split()
            written, elapsed = int(written_text), float(elapsed_text)
            wait_for(hub_db, "bench.tick", written, timeout=120)
            rows = hub_rows(hub_db, "bench.tick")
            lags = [(r - o).total_seconds() for o, r in rows]
            steady = {"events": written, "offered_rate_per_second": args.rate,
                      "achieved_rate_per_second": round(written / elapsed, 1),
                      "lag_p50_seconds": round(statistics.median(lags), 3),
                      "lag_p95_seconds": round(percentile(lags, 0.95), 3),
                      "lag_p99_seconds": round(percentile(lags, 0.99), 3),
                      "lag_max_seconds": round(max(lags), 3), "distinct_events_at_ministry": len(rows)}
            print(f"  p50 {steady['lag_p50_seconds']} s  p99 {steady['lag_p99_seconds']} s  "
                  f"max {steady['lag_max_seconds']} s", flush=True)
            print(f"burst: {args.burst:,} events at once …", flush=True)
            burst_start = time.monotonic()
            run_burst = subprocess.run([benchlib.python(), str(writer), "0", "0", str(args.burst)],
                                       env=envs["province"], cwd=nodes["province"], capture_output=True, text=True,
                                       timeout=600, check=False)
            if run_burst.returncode != 0:
                raise benchlib.BenchmarkError(f"the burst writer failed: {run_burst.stderr[-1500:]}")
            committed = time.monotonic()
            done = wait_for(hub_db, "bench.burst", args.burst, timeout=600)
            burst = {"events": args.burst, "commit_seconds": round(committed - burst_start, 3),
                     "commit_to_all_at_ministry_seconds": round(done - committed, 3),
                     "events_per_second": round(args.burst / (done - committed), 1)}
            print(f"  {burst['events_per_second']:,} events/s end to end", flush=True)
        anchor = asyncio.run(nats_anchor(url, prefix, args.burst))
        print(f"  NATS alone: {anchor['events_per_second']:,} events/s", flush=True)
    finally:
        asyncio.run(delete_streams(url, prefix))
    return {
        "benchmark": "federation_lag", "valid": True, "nats_url": url, "subject_prefix": prefix,
        "steady": steady, "burst": burst, "nats_anchor": anchor,
        "ratio": {"burst_renshe_over_nats": round(burst["events_per_second"] / anchor["events_per_second"], 3)},
        "target": {"lag_p99_below_seconds": TARGET_P99_SECONDS, "at_rate": args.rate,
                   "met": steady["lag_p99_seconds"] < TARGET_P99_SECONDS
                   and steady["distinct_events_at_ministry"] == written},
        "notes": ["lag = the hub's received_at minus the province's commit time of the event (created_at), both "
                  "read from the stores; the two servers share this machine's clock",
                  "the relay and the hub poll every 0.2 s when idle"],
        "environment": started_env,
    }


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=1000.0, help="events per second offered (1000)")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the steady load runs (30)")
    parser.add_argument("--burst", type=int, default=20_000, help="events committed at once (20,000)")
    parser.add_argument("--output", default="federation_lag")
    args = parser.parse_args(argv)
    if not 1 <= args.rate <= 100_000 or not 1 <= args.seconds <= 3600 or not 1 <= args.burst <= 10_000_000:
        parser.error("--rate 1..100000, --seconds 1..3600, --burst 1..10000000")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    try:
        result = run(args)
    except benchlib.BenchmarkError as exc:
        print(f"federation_lag: {exc}", file=sys.stderr)
        return 1
    path = benchlib.write_result(args.output, result)
    print(f"lag p99 {result['steady']['lag_p99_seconds']} s at {result['steady']['achieved_rate_per_second']} "
          f"events/s (target < {TARGET_P99_SECONDS} s: {'met' if result['target']['met'] else 'NOT met'}) -> {path}")
    return 0 if result["target"]["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
