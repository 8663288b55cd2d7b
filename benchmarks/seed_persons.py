"""Seeding benchmark: `renshe demo seed` against a raw bulk load of the same rows, in the same run.

    .venv/bin/python benchmarks/seed_persons.py                       # 1,000,000 persons, SQLite
    .venv/bin/python benchmarks/seed_persons.py --persons 20000       # a quick run
    .venv/bin/python benchmarks/seed_persons.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

SQLite: a fresh database file is migrated (`renshe db upgrade`, timed on its own), then seeded by
`renshe demo seed` in a child process whose wall time and peak RSS (wait4 rusage of that child) are
recorded. The anchor copies the schema of the migrated tables from `sqlite_master` into a second fresh
file and loads the same number of persons, employers and employment relations, with the same columns
and value sizes (random bytes where renshe stores ciphertext or blind indexes), through plain `sqlite3`
`executemany` in one transaction, with the same PRAGMAs renshe's engine sets. It runs in a child
process too, so both sides pay interpreter start-up and are measured the same way.

PostgreSQL (`--database-url`): the URL's server is used; the database it names is only used to connect.
Two scratch databases are created (and dropped afterwards unless --keep): one seeded by renshe, one
migrated the same way and loaded by the anchor with `COPY ... FROM STDIN` through psycopg.

Writes benchmarks/results/seed_persons.json (or --output).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import benchlib

PERSON_COLUMNS = (
    "public_id", "id_number_index", "id_number_encrypted", "id_number_masked", "name", "sex", "birth_date",
    "phone_encrypted", "phone_index", "residence_division", "hukou_division", "status", "merged_into_id",
    "real_name_state", "real_name_source", "real_name_verified_at", "source", "version", "created_at",
    "updated_at",
)
EMPLOYER_COLUMNS = (
    "public_id", "credit_code", "name", "entity_type", "division_code", "legal_representative", "status",
    "agent_password_hash", "source", "version", "created_at", "updated_at",
)
RELATION_COLUMNS = (
    "public_id", "person_id", "employer_id", "start_date", "end_date", "job_title", "reported_by", "created_at",
)
TABLES = ("employers", "persons", "employment_relations")
CHUNK = 5000
NAME_CHARS = "王李张刘陈杨黄赵吴周徐孙马朱胡郭伟强磊军勇杰涛明超芳娜敏静丽艳娟霞秀玲"


# ---------------------------------------------------------------- anchor rows


def _stamp(value: datetime, *, sqlite: bool) -> Any:
    # SQLAlchemy stores DATETIME as 'YYYY-MM-DD HH:MM:SS.ffffff' text on SQLite.
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else value


def _day(value: date, *, sqlite: bool) -> Any:
    return value.isoformat() if sqlite else value


def person_rows(count: int, sizes: dict[str, int], *, sqlite: bool, seed: int) -> Iterator[tuple[Any, ...]]:
    """Rows shaped like renshe's persons: random bytes of the ciphertext and index sizes renshe writes.

    Values come from small precomputed pools, scattered by a multiplicative hash, and one os.urandom call
    per row, so the anchor spends its time in the database, not in making up data.
    """
    rng = random.Random(seed)
    now = _stamp(datetime.now(UTC), sqlite=sqlite)
    counties = [f"1101{n:02d}" for n in range(1, 17)]
    names = ["".join(rng.choice(NAME_CHARS) for _ in range(rng.choice((2, 3, 3)))) for _ in range(4093)]
    births = [_day(date(1940, 1, 1) + timedelta(days=d), sqlite=sqlite) for d in range(27000)]
    masked = [f"{c}********{rng.randrange(10000):04d}" for c in counties for _ in range(64)]
    widths = [16, sizes["id_number_index"], sizes["id_number_encrypted"], sizes["phone_encrypted"],
              sizes["phone_index"]]
    cut = [sum(widths[:i]) for i in range(len(widths) + 1)]
    urandom = os.urandom
    for i in range(count):
        h = (i * 2654435761 + seed) & 0xFFFFFFFF
        raw = urandom(cut[-1])
        county = counties[h % 16]
        yield (
            raw[0:16].hex(), raw[cut[1]:cut[2]], raw[cut[2]:cut[3]], masked[h % len(masked)], names[h % 4093],
            "1" if h & 1 else "2", births[h % 27000], raw[cut[3]:cut[4]], raw[cut[4]:cut[5]], county, county,
            "normal", None, "verified", "public_security", None, "demo", 1, now, now,
        )


def employer_rows(count: int, *, sqlite: bool, password_hash: str) -> Iterator[tuple[Any, ...]]:
    now = datetime.now(UTC)
    for i in range(count):
        county = f"1101{i % 16 + 1:02d}"
        yield (os.urandom(16).hex(), f"91{county}{i:010d}", f"北京市测试{i:08d}科技有限公司", "91", county, "张伟",
               "active", password_hash, "demo", 1, _stamp(now, sqlite=sqlite), _stamp(now, sqlite=sqlite))


def relation_rows(count: int, persons: int, employers: int, *, sqlite: bool, seed: int,
                  ) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed + 1)
    now = datetime.now(UTC)
    for i in range(count):
        person_id = 1 + i * persons // max(count, 1)  # distinct persons, like the generator's
        start = date(2012, 1, 1) + timedelta(days=rng.randrange(5000))
        yield (os.urandom(16).hex(), person_id, 1 + rng.randrange(employers), _day(start, sqlite=sqlite), None,
               "技术员", "demo", _stamp(now, sqlite=sqlite))


def _chunks(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def anchor_sqlite(target: Path, schema_from: Path, counts: dict[str, int], sizes: dict[str, int],
                  password_hash: str, seed: int) -> dict[str, float]:
    """Copy the three tables' DDL from the migrated database and bulk-load them with executemany."""
    source = sqlite3.connect(f"file:{schema_from}?mode=ro", uri=True)
    ddl = [sql for (sql,) in source.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name IN (?, ?, ?) AND sql IS NOT NULL "
        "ORDER BY type = 'index', rowid", TABLES)]
    source.close()
    conn = sqlite3.connect(target, isolation_level=None)
    # the same PRAGMAs renshe.core.db.make_engine sets on every connection
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    for statement in ddl:
        conn.execute(statement)
    phases: dict[str, float] = {}
    started = time.perf_counter()
    conn.execute("BEGIN")
    plan = (
        ("employers", EMPLOYER_COLUMNS,
         employer_rows(counts["employers"], sqlite=True, password_hash=password_hash)),
        ("persons", PERSON_COLUMNS, person_rows(counts["persons"], sizes, sqlite=True, seed=seed)),
        ("employment_relations", RELATION_COLUMNS,
         relation_rows(counts["employment_relations"], counts["persons"], counts["employers"], sqlite=True,
                       seed=seed)),
    )
    for table, columns, rows in plan:
        t0 = time.perf_counter()
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608
        for chunk in _chunks(rows):
            conn.executemany(sql, chunk)
        phases[table] = time.perf_counter() - t0
    t0 = time.perf_counter()
    conn.execute("COMMIT")
    phases["commit"] = time.perf_counter() - t0
    phases["total"] = time.perf_counter() - started
    conn.close()
    return phases


def anchor_postgres(conninfo: str, counts: dict[str, int], sizes: dict[str, int], password_hash: str,
                    seed: int) -> dict[str, float]:
    """COPY the same rows into a database migrated like renshe's, in one transaction."""
    import psycopg

    phases: dict[str, float] = {}
    started = time.perf_counter()
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        plan = (
            ("employers", EMPLOYER_COLUMNS,
             employer_rows(counts["employers"], sqlite=False, password_hash=password_hash)),
            ("persons", PERSON_COLUMNS, person_rows(counts["persons"], sizes, sqlite=False, seed=seed)),
            ("employment_relations", RELATION_COLUMNS,
             relation_rows(counts["employment_relations"], counts["persons"], counts["employers"], sqlite=False,
                           seed=seed)),
        )
        for table, columns, rows in plan:
            t0 = time.perf_counter()
            statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with cur.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
            phases[table] = time.perf_counter() - t0
        t0 = time.perf_counter()
        conn.commit()
        phases["commit"] = time.perf_counter() - t0
    phases["total"] = time.perf_counter() - started
    return phases


# ---------------------------------------------------------------- inspection


def sqlite_facts(path: Path) -> tuple[dict[str, int], dict[str, int], str]:
    """Row counts, ciphertext/index sizes and the shared demo password hash of a seeded database."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        counts = {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in TABLES}  # noqa: S608
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'staff_users'").fetchone():
            counts["staff_users"] = int(conn.execute("SELECT count(*) FROM staff_users").fetchone()[0])
        row = conn.execute("SELECT max(length(id_number_index)), max(length(id_number_encrypted)), "
                           "max(length(phone_encrypted)), max(length(phone_index)) FROM persons").fetchone()
        hash_row = conn.execute("SELECT agent_password_hash FROM employers LIMIT 1").fetchone()
    finally:
        conn.close()
    sizes = dict(zip(("id_number_index", "id_number_encrypted", "phone_encrypted", "phone_index"),
                     (int(v or 0) for v in row), strict=True))
    return counts, sizes, str(hash_row[0] if hash_row else "")


def postgres_facts(conninfo: str) -> tuple[dict[str, int], dict[str, int], str, int]:
    import psycopg

    def one(conn: psycopg.Connection[tuple[Any, ...]], query: str) -> tuple[Any, ...]:
        row = conn.execute(query).fetchone()
        assert row is not None
        return row

    with psycopg.connect(conninfo) as conn:
        counts = {t: int(one(conn, f"SELECT count(*) FROM {t}")[0]) for t in TABLES}  # noqa: S608
        counts["staff_users"] = int(one(conn, "SELECT count(*) FROM staff_users")[0])
        row = conn.execute("SELECT max(length(id_number_index)), max(length(id_number_encrypted)), "
                           "max(length(phone_encrypted)), max(length(phone_index)) FROM persons").fetchone()
        hash_row = conn.execute("SELECT agent_password_hash FROM employers LIMIT 1").fetchone()
        size_row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    assert row is not None
    sizes = dict(zip(("id_number_index", "id_number_encrypted", "phone_encrypted", "phone_index"),
                     (int(v or 0) for v in row), strict=True))
    return counts, sizes, str(hash_row[0] if hash_row else ""), int(size_row[0]) if size_row else 0


def file_size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists())


# ---------------------------------------------------------------- the run


def _child_figures(run: benchlib.ChildRun, persons: int, total_rows: int) -> dict[str, Any]:
    return {
        "wall_seconds": round(run.wall_seconds, 3),
        "user_cpu_seconds": round(run.user_seconds, 3),
        "system_cpu_seconds": round(run.system_seconds, 3),
        "peak_rss_bytes": run.peak_rss_bytes,
        "peak_rss_mib": round(run.peak_rss_bytes / 2**20, 1),
        "persons_per_second": round(persons / run.wall_seconds, 1),
        "rows_per_second": round(total_rows / run.wall_seconds, 1),
    }


def _migrate(url: str, key_file: Path, province: str, workdir: Path, log: str) -> benchlib.ChildRun:
    env = benchlib.renshe_env(database_url=url, key_file=key_file, province=province)
    run = benchlib.run_measured([*benchlib.renshe_command(), "db", "upgrade"], env=env, cwd=workdir,
                                log_path=workdir / log)
    if run.returncode != 0:
        raise benchlib.BenchmarkError(f"renshe db upgrade failed:\n{benchlib.tail(workdir / log)}")
    return run


loads: dict[str, float] = {}
started_env: dict[str, Any] = {}


def _seed(url: str, key_file: Path, args: argparse.Namespace, workdir: Path) -> benchlib.ChildRun:
    env = benchlib.renshe_env(database_url=url, key_file=key_file, province=args.province,
                              extra={"COLUMNS": "100", "TERM": "dumb"})
    cmd = [*benchlib.renshe_command(), "demo", "seed", "--persons", str(args.persons), "--province", args.province,
           "--seed", str(args.seed)]
    loads["before_renshe"] = round(os.getloadavg()[0], 2)
    run = benchlib.run_measured(cmd, env=env, cwd=workdir, log_path=workdir / "seed.log", timeout=args.timeout)
    loads["after_renshe"] = round(os.getloadavg()[0], 2)
    if run.returncode != 0:
        raise benchlib.BenchmarkError(f"renshe demo seed failed ({run.returncode}):\n"
                                      f"{benchlib.tail(workdir / 'seed.log')}")
    return run


def _anchor_child(args: argparse.Namespace, workdir: Path, target: str, counts: dict[str, int],
                  sizes: dict[str, int], password_hash: str, schema_from: Path | None,
                  ) -> tuple[benchlib.ChildRun, dict[str, float]]:
    """Run the anchor load in a child process (this script with --anchor-worker)."""
    phases_file = workdir / "anchor_phases.json"
    cmd = [benchlib.python(), str(Path(__file__).resolve()), "--anchor-worker", "--anchor-target", target,
           "--seed", str(args.seed), "--phases-file", str(phases_file), "--password-hash", password_hash,
           "--counts", ",".join(str(counts[t]) for t in TABLES),
           "--sizes", ",".join(f"{k}={v}" for k, v in sizes.items())]
    if schema_from is not None:
        cmd += ["--schema-from", str(schema_from)]
    loads["before_anchor"] = round(os.getloadavg()[0], 2)
    run = benchlib.run_measured(cmd, cwd=workdir, log_path=workdir / "anchor.log", timeout=args.timeout)
    loads["after_anchor"] = round(os.getloadavg()[0], 2)
    if run.returncode != 0:
        raise benchlib.BenchmarkError(f"anchor load failed:\n{benchlib.tail(workdir / 'anchor.log')}")
    import json

    phases: dict[str, float] = json.loads(phases_file.read_text())
    return run, phases


def run_sqlite(args: argparse.Namespace) -> dict[str, Any]:
    started_env.update(benchlib.environment())
    workdir = (args.workdir or benchlib.CACHE_DIR / "seed_persons").resolve()
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    key_file = workdir / "keys.json"
    seeded = workdir / "renshe.db"
    anchor_db = workdir / "anchor.db"
    url = f"sqlite:///{seeded}"
    try:
        migrate = _migrate(url, key_file, args.province, workdir, "migrate.log")
        print(f"seeding {args.persons:,} persons with renshe demo seed …", flush=True)
        seed = _seed(url, key_file, args, workdir)
        counts, sizes, password_hash = sqlite_facts(seeded)
        if counts["persons"] != args.persons:
            raise benchlib.BenchmarkError(f"expected {args.persons} persons, found {counts['persons']}")
        print(f"  {seed.wall_seconds:.1f} s; anchor: raw sqlite3 executemany of the same rows …", flush=True)
        anchor, phases = _anchor_child(args, workdir, str(anchor_db), counts, sizes, password_hash, seeded)
        anchor_counts, _, _ = sqlite_facts(anchor_db)
        if any(anchor_counts[t] != counts[t] for t in TABLES):
            raise benchlib.BenchmarkError(f"anchor row counts {anchor_counts} differ from {counts}")
        sizes_on_disk = {"renshe_bytes": file_size(seeded), "anchor_bytes": file_size(anchor_db)}
    finally:
        if not args.keep:
            for path in (seeded, anchor_db):
                for extra in ("", "-wal", "-shm"):
                    Path(f"{path}{extra}").unlink(missing_ok=True)
    return _report(args, "sqlite", migrate, seed, anchor, phases, counts, sizes, sizes_on_disk,
                   anchor_method="sqlite3 executemany, one transaction, chunks of 5000, schema from sqlite_master",
                   workdir=workdir)


def run_postgres(args: argparse.Namespace) -> dict[str, Any]:
    started_env.update(benchlib.environment())
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    base = make_url(args.database_url)
    if not base.drivername.startswith("postgresql"):
        raise benchlib.BenchmarkError("--database-url must be a postgresql+psycopg:// URL")
    if base.host not in (None, "127.0.0.1", "localhost", "::1"):
        raise benchlib.BenchmarkError("benchmarks only talk to a local server (127.0.0.1)")

    def conninfo(database: str) -> str:
        parts = {"host": base.host or "127.0.0.1", "port": str(base.port or 5432), "dbname": database,
                 "user": base.username or "postgres"}
        if base.password:
            parts["password"] = str(base.password)
        return " ".join(f"{k}={v}" for k, v in parts.items())

    workdir = (args.workdir or benchlib.CACHE_DIR / "seed_persons_pg").resolve()
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    key_file = workdir / "keys.json"
    tag = f"{os.getpid()}"
    seed_db, anchor_db = f"renshe_bench_seed_{tag}", f"renshe_bench_anchor_{tag}"
    admin = conninfo(base.database or "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in (seed_db, anchor_db):
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        seed_url = base.set(drivername="postgresql+psycopg", database=seed_db).render_as_string(hide_password=False)
        anchor_url = base.set(drivername="postgresql+psycopg", database=anchor_db).render_as_string(
            hide_password=False)
        migrate = _migrate(seed_url, key_file, args.province, workdir, "migrate.log")
        _migrate(anchor_url, key_file, args.province, workdir, "migrate_anchor.log")
        print(f"seeding {args.persons:,} persons with renshe demo seed (PostgreSQL) …", flush=True)
        seed = _seed(seed_url, key_file, args, workdir)
        counts, sizes, password_hash, seed_bytes = postgres_facts(conninfo(seed_db))
        print(f"  {seed.wall_seconds:.1f} s; anchor: COPY of the same rows …", flush=True)
        anchor, phases = _anchor_child(args, workdir, "pg:" + conninfo(anchor_db), counts, sizes, password_hash,
                                       None)
        anchor_counts, _, _, anchor_bytes = postgres_facts(conninfo(anchor_db))
        if any(anchor_counts[t] != counts[t] for t in TABLES):
            raise benchlib.BenchmarkError(f"anchor row counts {anchor_counts} differ from {counts}")
    finally:
        if not args.keep:
            with psycopg.connect(admin, autocommit=True) as conn:
                for name in (seed_db, anchor_db):
                    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    return _report(args, "postgresql", migrate, seed, anchor, phases, counts, sizes,
                   {"renshe_bytes": seed_bytes, "anchor_bytes": anchor_bytes},
                   anchor_method="psycopg COPY FROM STDIN (text), one transaction, into a database migrated "
                                 "by renshe db upgrade", workdir=workdir)


def _report(args: argparse.Namespace, backend: str, migrate: benchlib.ChildRun, seed: benchlib.ChildRun,
            anchor: benchlib.ChildRun, phases: dict[str, float], counts: dict[str, int], sizes: dict[str, int],
            disk: dict[str, int], *, anchor_method: str, workdir: Path) -> dict[str, Any]:
    total_rows = sum(counts[t] for t in TABLES)
    renshe = _child_figures(seed, counts["persons"], total_rows)
    raw = _child_figures(anchor, counts["persons"], total_rows)
    raw["in_process_load_seconds"] = {k: round(v, 3) for k, v in phases.items()}
    return {
        "benchmark": "seed_persons",
        "backend": backend,
        "persons_requested": args.persons,
        "province": args.province,
        "seed": args.seed,
        "rows": counts,
        "value_sizes_bytes": sizes,
        "migrate_wall_seconds": round(migrate.wall_seconds, 3),
        "renshe": {"command": "renshe demo seed --persons N --province P --seed S (child process, after "
                              "renshe db upgrade)", **renshe},
        "anchor": {"method": anchor_method, **raw},
        "database_bytes": disk,
        "ratio": {
            "wall_renshe_over_anchor": round(seed.wall_seconds / anchor.wall_seconds, 2),
            "cpu_renshe_over_anchor": round((seed.user_seconds + seed.system_seconds)
                                            / max(anchor.user_seconds + anchor.system_seconds, 1e-9), 2),
            "peak_rss_renshe_over_anchor": round(seed.peak_rss_bytes / max(anchor.peak_rss_bytes, 1), 2),
        },
        "loadavg_1m": loads,
        "notes": [
            "wall and peak RSS of each side come from os.wait4 on its own child process",
            "both sides include interpreter start-up; renshe also hashes two argon2 passwords and seeds staff",
            "on a shared machine wall time includes waiting for a CPU: compare cpu_renshe_over_anchor and "
            "loadavg_1m too",
            "the anchor writes random bytes where renshe writes AES-GCM ciphertext and HMAC blind indexes, "
            "so the ratio is the cost of renshe's generator, crypto and ORM layer over the storage engine",
        ],
        "logs": str(workdir),
        "environment": started_env,
        "environment_at_end": {k: v for k, v in benchlib.environment().items()
                               if k in ("at", "git_commit", "renshe_files_modified_since_commit")},
    }


def anchor_worker(args: argparse.Namespace) -> int:
    import json

    counts = dict(zip(TABLES, (int(v) for v in args.counts.split(",")), strict=True))
    sizes = {k: int(v) for k, v in (item.split("=") for item in args.sizes.split(","))}
    if args.anchor_target.startswith("pg:"):
        phases = anchor_postgres(args.anchor_target[3:], counts, sizes, args.password_hash, args.seed)
    else:
        phases = anchor_sqlite(Path(args.anchor_target), Path(args.schema_from), counts, sizes,
                               args.password_hash, args.seed)
    Path(args.phases_file).write_text(json.dumps(phases))
    return 0


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000, help="persons to seed (default 1,000,000)")
    parser.add_argument("--province", default="110000", help="province code (default 110000)")
    parser.add_argument("--seed", type=int, default=2026, help="PRNG seed of the generator")
    parser.add_argument("--database-url", help="postgresql+psycopg://user@127.0.0.1:5432/db instead of SQLite")
    parser.add_argument("--workdir", type=Path, help="where databases and logs go "
                                                     "(default benchmarks/.cache/seed_persons)")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--timeout", type=float, default=4 * 3600, help="seconds before a child is killed")
    parser.add_argument("--output", default="seed_persons", help="result name under benchmarks/results/")
    # internal: the anchor load, run in a child so its peak RSS is measured like renshe's
    parser.add_argument("--anchor-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--anchor-target", help=argparse.SUPPRESS)
    parser.add_argument("--schema-from", help=argparse.SUPPRESS)
    parser.add_argument("--phases-file", help=argparse.SUPPRESS)
    parser.add_argument("--password-hash", default="", help=argparse.SUPPRESS)
    parser.add_argument("--counts", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 1 <= args.persons <= 10_000_000:
        parser.error("--persons must be between 1 and 10,000,000")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.anchor_worker:
        return anchor_worker(args)
    try:
        result = run_postgres(args) if args.database_url else run_sqlite(args)
    except benchlib.BenchmarkError as exc:
        print(f"seed_persons: {exc}", file=sys.stderr)
        return 1
    path = benchlib.write_result(args.output, result)
    r, a = result["renshe"], result["anchor"]
    print(f"renshe demo seed: {r['wall_seconds']:.1f} s, {r['persons_per_second']:,.0f} persons/s, "
          f"peak RSS {r['peak_rss_mib']:.0f} MiB")
    print(f"anchor ({result['backend']} raw load): {a['wall_seconds']:.1f} s, {a['persons_per_second']:,.0f} "
          f"persons/s, peak RSS {a['peak_rss_mib']:.0f} MiB")
    print(f"ratio renshe/anchor wall time: {result['ratio']['wall_renshe_over_anchor']}x  -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
