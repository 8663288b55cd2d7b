"""Where a person lookup spends its time.

    .venv/bin/python benchmarks/profile_lookup.py                        # component costs, in-process
    .venv/bin/python benchmarks/profile_lookup.py --collapsed FILE.txt   # categorise py-spy raw stacks

Component costs: each step of `GET /api/v1/persons/{id}` timed on its own against the seeded lookup
database (benchmarks/.cache/lookup-...; run person_lookup.py first), in bounded loops, median of
several repeats, next to in-process ASGI calls of the whole request, of renshe's /healthz and of the
bare app. No server and no network: the ASGI application is called directly.

Stack categories: `person_lookup.py --py-spy N` records the renshe server with py-spy while wrk sends
one request at a time (so every busy sample is real work, not a thread waiting for the GIL; samples of
waiting threads are dropped) and calls `categorise` here, which assigns each sample to the innermost
renshe step on its stack (token check, staff lookup, blind index, person select, decrypt, PersonOut),
or else to the framework layer it is in (serialisation, middleware, logging, metrics, threadpool,
routing and dependency injection, uvicorn, asyncio).

Writes benchmarks/results/person_lookup_components.json (or --output).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import benchlib

# (category, regex on one py-spy frame "function (path:line)"); the innermost match on a stack wins.
RENSHE_STEPS: tuple[tuple[str, str], ...] = (
    ("AES-GCM decrypt", r"^FieldCipher\.decrypt \(renshe/core/crypto\.py"),
    ("blind index HMAC", r"^FieldCipher\.blind_index \(renshe/core/crypto\.py"),
    ("token check (read_token)", r"^read_token \(renshe/core/auth\.py"),
    ("DB: staff.active_principal", r"^active_principal \(renshe/core/staff\.py"),
    ("DB: person select (service._find)", r"^_find \(renshe/registry/service\.py"),
    ("PersonOut build (service.person_out)", r"^person_out \(renshe/registry/service\.py"),
    ("DB: session open/close (get_session)", r"^get_session \(renshe/core/http\.py"),
    ("endpoint body, other", r"^get_person \(renshe/registry/api\.py"),
    ("principal dependency, other", r"^(optional|require)_principal \(renshe/core/http\.py"),
)
# Used when no renshe step is on the stack; again the innermost match wins.
LAYERS: tuple[tuple[str, str], ...] = (
    ("response validation + JSON serialisation",
     r"^(serialize_response|_prepare_response_content|jsonable_encoder) \(fastapi/|"
     r"\.render \(starlette/responses\.py|\(pydantic"),
    ("logging (structlog)", r"\(structlog/"),
    ("metrics (prometheus_client)", r"\(prometheus_client/"),
    ("request id (uuid4)", r"\(uuid\.py"),
    ("request middleware (renshe observability)", r"\(renshe/web/observability\.py"),
    ("error handling / audit (renshe)", r"\(renshe/web/errors\.py|\(renshe/core/audit\.py"),
    ("threadpool handoff (anyio, threads)",
     r"\(anyio/|\(starlette/concurrency\.py|\(threading\.py|\(queue\.py|\(concurrent/"),
    ("FastAPI/Starlette routing, dependency injection, middleware", r"\(fastapi/|\(starlette/"),
    ("uvicorn HTTP protocol", r"\(uvicorn/|httptools"),
    ("asyncio event loop", r"\(asyncio/|uvloop|\(selectors\.py"),
)
# A DB step's sample is "in the driver" when its innermost frame hands over to sqlite3's C code.
DRIVER_LEAF = re.compile(r"^(DefaultDialect\.do_(execute|rollback|commit|begin)|.*fetch(all|one|many)\w*) "
                         r"\(sqlalchemy/|\(sqlite3/")
# Innermost frames of a thread that waits (event loop in epoll, pool workers on their queue): not work.
IDLE_LEAF = re.compile(r"^(Runner\.run \(asyncio/runners\.py|Condition\.wait \(threading\.py|"
                       r"Queue\.get \(queue\.py|Event\.wait \(threading\.py|\w+\.select \(selectors\.py|"
                       r"BaseEventLoop\._run_once \(asyncio/base_events\.py)")
_STEP_RULES = [(name, re.compile(rx)) for name, rx in RENSHE_STEPS]
_LAYER_RULES = [(name, re.compile(rx)) for name, rx in LAYERS]


def _classify(frames: list[str]) -> str:
    for rules in (_STEP_RULES, _LAYER_RULES):
        for frame in reversed(frames):
            for name, rule in rules:
                if rule.search(frame):
                    return name
    return "other"


def categorise(collapsed: Path, *, rate: float, requests: int) -> dict[str, Any]:
    """Share and µs per request of each category in a py-spy `--format raw` file."""
    counts: Counter[str] = Counter()
    driver: Counter[str] = Counter()
    total = idle = 0
    for line in collapsed.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack or not number.isdigit():
            continue
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        n = int(number)
        if not frames or IDLE_LEAF.search(frames[-1]):
            idle += n
            continue
        total += n
        name = _classify(frames)
        counts[name] += n
        if name.startswith("DB:") and frames and DRIVER_LEAF.search(frames[-1]):
            driver[name] += n
    per_request = 1e6 / rate / max(requests, 1)
    rows = []
    for name, n in counts.most_common():
        row: dict[str, Any] = {"category": name, "samples": n, "share": round(n / max(total, 1), 4),
                               "us_per_request": round(n * per_request, 1)}
        if name.startswith("DB:"):
            row["in_sqlite3_driver_share"] = round(driver[name] / n, 3)
        rows.append(row)
    return {"samples": total, "idle_samples_dropped": idle, "sampled_seconds": round(total / rate, 2),
            "requests": requests,
            "busy_us_per_request": round(total * per_request, 1), "categories": rows}


def print_categories(profile: dict[str, Any]) -> None:
    print(f"{'category':<62} {'share':>7} {'us/req':>8}")
    for row in profile["categories"]:
        extra = f"  ({row['in_sqlite3_driver_share']:.0%} in sqlite3)" if "in_sqlite3_driver_share" in row else ""
        print(f"{row['category']:<62} {row['share']:>7.1%} {row['us_per_request']:>8.1f}{extra}")
    print(f"{'total (busy samples)':<62} {1:>7.0%} {profile['busy_us_per_request']:>8.1f}")


# ---------------------------------------------------------------- in-process component costs


def _time(fn: Callable[[], object], *, number: int, repeat: int = 5) -> float:
    """Median µs per call over `repeat` bounded loops of `number` calls (after one warm-up loop)."""
    for _ in range(max(number // 10, 1)):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - started) / number * 1e6)
    return round(statistics.median(samples), 2)


def _asgi_caller(app: Any, token: str) -> Callable[[str], Any]:
    async def call(path: str) -> int:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode()),
                        (b"accept", b"application/json")],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {},
        }
        status = 0

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(scope, receive, send)
        return status

    return call


class Breakdown:
    """Exclusive wall time per wrapped function, for requests run one at a time (so nesting is exact).

    Each wrapper subtracts the time of wrapped callees from its own; what no wrapper claims is the
    framework's (routing, dependency injection, middleware stack, event loop scheduling).
    """

    def __init__(self) -> None:
        self.exclusive: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self._stack: list[list[Any]] = []

    def _enter(self) -> None:
        self._stack.append([0.0])

    def _leave(self, name: str, started: float) -> None:
        elapsed = time.perf_counter() - started
        (children,) = self._stack.pop()
        key = name if not name.startswith("sqlite3") else f"{name} [{self._parent()}]"
        self.exclusive[key] += elapsed - children
        self.calls[key] += 1
        if self._stack:
            self._stack[-1][0] += elapsed

    def _parent(self) -> str:
        return getattr(self, "_current_parent", "other")

    def wrap(self, name: str, fn: Callable[..., Any], *, parent_label: bool = False) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            previous = getattr(self, "_current_parent", "other")
            if parent_label:
                self._current_parent = name
            started = time.perf_counter()
            self._enter()
            try:
                return fn(*args, **kwargs)
            finally:
                self._leave(name, started)
                self._current_parent = previous

        return wrapper

    def wrap_async(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            self._enter()
            try:
                return await fn(*args, **kwargs)
            finally:
                self._leave(name, started)

        return wrapper


def instrument(breakdown: Breakdown) -> None:
    """Wrap the steps of a lookup where they are looked up at call time (module or class attributes)."""
    import anyio.to_thread
    import fastapi.routing
    from sqlalchemy.engine import default
    from sqlalchemy.orm import Session

    from renshe.core import crypto, db, http, staff
    from renshe.registry import service

    b = breakdown
    setattr(http, "read_token", b.wrap("token check: read_token (HMAC, key file read, JSON)",  # noqa: B010
                                       getattr(http, "read_token")))  # noqa: B009
    staff.active_principal = b.wrap("staff lookup: staff.active_principal (SQLAlchemy ORM)",
                                    staff.active_principal, parent_label=True)
    service._find = b.wrap("person select: service._find (SQLAlchemy ORM)", service._find, parent_label=True)
    crypto.FieldCipher.blind_index = b.wrap("blind index HMAC", crypto.FieldCipher.blind_index)  # type: ignore[method-assign]
    crypto.FieldCipher.decrypt = b.wrap("AES-GCM decrypt", crypto.FieldCipher.decrypt)  # type: ignore[method-assign]
    service.person_out = b.wrap("PersonOut build: service.person_out", service.person_out)
    service._division = b.wrap("division names: service._division", service._division)
    db.open_session = b.wrap("session open: db.open_session", db.open_session, parent_label=True)
    Session.close = b.wrap("session close: Session.close (ROLLBACK, return to pool)",  # type: ignore[method-assign]
                           Session.close, parent_label=True)
    default.DefaultDialect.do_execute = b.wrap(  # type: ignore[method-assign]
        "sqlite3 driver: cursor.execute", default.DefaultDialect.do_execute)
    default.DefaultDialect.do_rollback = b.wrap(  # type: ignore[method-assign]
        "sqlite3 driver: rollback", default.DefaultDialect.do_rollback)
    fastapi.routing.serialize_response = b.wrap_async(
        "response_model: validate + serialise (FastAPI)", fastapi.routing.serialize_response)
    anyio.to_thread.run_sync = b.wrap_async(  # type: ignore[assignment]
        "threadpool hop (anyio.to_thread.run_sync)", anyio.to_thread.run_sync)


def breakdown_run(app: Any, token: str, paths: Callable[[], str], n: int) -> dict[str, Any]:
    """Run n requests one at a time under the wrappers; µs per request per step and the remainder."""
    import structlog

    b = Breakdown()
    instrument(b)
    call = _asgi_caller(app, token)

    async def loop(count: int) -> float:
        started = time.perf_counter()
        for _ in range(count):
            if await call(paths()) != 200:
                raise benchlib.BenchmarkError("in-process request did not answer 200")
        return time.perf_counter() - started

    asyncio.run(loop(max(n // 10, 1)))
    b.exclusive.clear()
    b.calls.clear()
    cpu_started = time.process_time()
    wall = asyncio.run(loop(n))
    cpu = time.process_time() - cpu_started
    del structlog
    steps = {name: round(t / n * 1e6, 1) for name, t in b.exclusive.most_common()}
    claimed = sum(b.exclusive.values())
    steps["framework remainder: routing, dependency injection, middleware, event loop"] = round(
        (wall - claimed) / n * 1e6, 1)
    return {"requests": n, "wall_us_per_request": round(wall / n * 1e6, 1),
            "cpu_us_per_request": round(cpu / n * 1e6, 1),
            "calls_per_request": {name: round(c / n, 2) for name, c in b.calls.most_common()},
            "us_per_request": steps}


def components(directory: Path, number: int, *, skip_steps: bool = False) -> dict[str, Any]:
    """Time each step of the lookup in this process, against the seeded cache database."""
    os.environ.update(benchlib.renshe_env(database_url=f"sqlite:///{directory / 'renshe.db'}",
                                          key_file=directory / "keys.json"))
    import sqlite3

    import bare_asgi
    import person_lookup
    import structlog

    from renshe.core import auth, crypto, db, divisions, staff
    from renshe.core.settings import get_settings
    from renshe.registry import schemas, service
    from renshe.web import observability
    from renshe.web.app import create_app

    app = create_app()
    numbers = person_lookup.sample_id_numbers(directory, 200, 2026)
    with db.unit_of_work(write=False) as session:
        admin = staff.active_principal(session, "admin")
    if admin is None:
        raise benchlib.BenchmarkError("no admin user in the cached database")
    token = auth.issue_token(admin, minutes=60)
    cipher = crypto.cipher()
    session = db.open_session()
    person = service._find(session, numbers[0])
    if person is None:
        raise benchlib.BenchmarkError("sampled person not found")
    out = service.person_out(session, person, actor=admin)
    counter = iter(range(10**9))

    def nth() -> str:
        return numbers[next(counter) % len(numbers)]

    def with_session(step: Callable[[Any], object]) -> Callable[[], None]:
        def run() -> None:
            s = db.open_session()
            try:
                step(s)
            finally:
                s.close()
        return run

    raw = sqlite3.connect(f"file:{directory / 'renshe.db'}?mode=ro", uri=True, isolation_level=None)
    index = service.id_index(numbers[0])

    def raw_lookup() -> None:
        raw.execute("BEGIN")
        raw.execute("SELECT * FROM staff_users WHERE username = ?", ("admin",)).fetchall()
        raw.execute("SELECT * FROM persons WHERE id_number_index = ?", (index,)).fetchall()
        raw.execute("ROLLBACK")

    def middleware_bits() -> None:
        request_id = os.urandom(16).hex()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        observability.REQUESTS.labels("GET", "/api/v1/persons/{id_number}", "200").inc()
        observability.LATENCY.labels("GET", "/api/v1/persons/{id_number}").observe(0.001)
        observability.log.info("request", method="GET", path="/x", status=200, ms=1.0)
        structlog.contextvars.unbind_contextvars("request_id")

    steps: dict[str, Callable[[], object]] = {
        "token check: auth.read_token": lambda: auth.read_token(token),
        "  of which settings.key_bytes('token') (reads the key file)": lambda: get_settings().key_bytes("token"),
        "session open + close, no query": with_session(lambda _s: None),
        "DB: staff.active_principal (with session open/close)": with_session(
            lambda s: staff.active_principal(s, "admin")),
        "blind index HMAC: service.id_index": lambda: service.id_index(nth()),
        "DB: service._find (with session open/close)": with_session(lambda s: service._find(s, nth())),
        "AES-GCM decrypt (phone)": lambda: cipher.decrypt(person.phone_encrypted or b"", purpose="person.phone"),
        "divisions.full_name": lambda: divisions.full_name(person.residence_division),
        "PersonOut build: service.person_out": lambda: service.person_out(session, person, actor=admin),
        "response: PersonOut validate + dump_json (like FastAPI's response_model)":
            lambda: schemas.PersonOut.model_validate(out.model_dump()).model_dump_json(),
        "middleware bits: request id + structlog bind + 2 metrics + filtered log.info": middleware_bits,
        "reference: raw sqlite3 BEGIN + both selects + ROLLBACK": raw_lookup,
    }
    figures = {} if skip_steps else {name: _time(fn, number=number) for name, fn in steps.items()}
    session.close()

    bare_call = _asgi_caller(bare_asgi.create_app(), token)

    async def requests(caller: Callable[[str], Any], n: int) -> float:
        started = time.perf_counter()
        for _ in range(n):
            if await caller("/") != 200:
                raise benchlib.BenchmarkError("bare app did not answer 200")
        return round((time.perf_counter() - started) / n * 1e6, 1)

    loop_n = max(number // 2, 50)
    figures["in-process ASGI: bare app (one at a time)"] = asyncio.run(requests(bare_call, loop_n))

    quiet = create_app()  # the same app without the request-id/metrics/logging middleware
    unwanted: Any = observability.RequestContextMiddleware
    quiet.user_middleware = [m for m in quiet.user_middleware if m.cls is not unwanted]
    quiet.middleware_stack = None

    def lookup_path() -> str:
        return f"{person_lookup.LOOKUP_PATH}{nth()}"

    # Instrumentation wraps functions process-wide, so it comes after the isolated timings above.
    lookup = breakdown_run(app, token, lookup_path, loop_n)
    without_middleware = breakdown_run(quiet, token, lookup_path, loop_n)
    healthz = breakdown_run(app, token, lambda: "/healthz", loop_n)
    figures["in-process ASGI: renshe person lookup (one at a time)"] = lookup["wall_us_per_request"]
    figures["in-process ASGI: renshe lookup without RequestContextMiddleware"] = without_middleware[
        "wall_us_per_request"]
    figures["in-process ASGI: renshe /healthz (one at a time)"] = healthz["wall_us_per_request"]
    return {"benchmark": "person_lookup_components", "database": str(directory), "calls_per_loop": number,
            "us_per_call": figures,
            "breakdown": {"lookup": lookup, "lookup_without_request_middleware": without_middleware,
                          "healthz": healthz},
            "environment": benchlib.environment(),
            "notes": ["isolated steps: median of 5 bounded loops per step after a warm-up loop",
                      "breakdown: requests one at a time through the ASGI app in this process (no server, no "
                      "network); exclusive wall time of wrapped functions, the rest is the framework's",
                      "the machine's other load shows up as noise: compare wall and cpu per request"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--collapsed", type=Path, help="categorise this py-spy --format raw file and exit")
    parser.add_argument("--rate", type=float, default=250.0, help="py-spy sampling rate used for --collapsed")
    parser.add_argument("--requests", type=int, default=1, help="requests served while --collapsed was recorded")
    parser.add_argument("--cache-dir", type=Path, help="seeded lookup database (default: the 100,000 one)")
    parser.add_argument("--number", type=int, default=2000, help="calls per timing loop (2000)")
    parser.add_argument("--skip-steps", action="store_true", help="only the in-process request breakdown")
    parser.add_argument("--output", default="person_lookup_components")
    args = parser.parse_args(argv)
    if args.collapsed:
        print_categories(categorise(args.collapsed, rate=args.rate, requests=args.requests))
        return 0
    if not 10 <= args.number <= 1_000_000:
        parser.error("--number must be between 10 and 1,000,000")
    directory = (args.cache_dir or benchlib.CACHE_DIR / "lookup-110000-100000-s2026").resolve()
    if not (directory / "seeded.json").exists():
        print(f"profile_lookup: {directory} is not seeded; run benchmarks/person_lookup.py first", file=sys.stderr)
        return 1
    try:
        result = components(directory, args.number, skip_steps=args.skip_steps)
    except benchlib.BenchmarkError as exc:
        print(f"profile_lookup: {exc}", file=sys.stderr)
        return 1
    path = benchlib.write_result(args.output, result)
    for name, value in result["us_per_call"].items():
        print(f"{name:<78} {value:>9.1f} us")
    for label, part in result["breakdown"].items():
        print(f"\nbreakdown: {label} ({part['wall_us_per_request']:.0f} us wall, "
              f"{part['cpu_us_per_request']:.0f} us CPU per request)")
        for name, value in part["us_per_request"].items():
            calls = part["calls_per_request"].get(name)
            print(f"  {name:<86} {value:>8.1f} us" + (f"  x{calls:g}" if calls else ""))
    print(f"-> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
