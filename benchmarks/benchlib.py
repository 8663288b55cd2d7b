"""Shared helpers of the benchmark scripts: paths, environments, child processes, results.

The scripts compare renshe against an anchor measured in the same run on the same machine, so a
figure always comes with the ratio that makes it meaningful on other hardware. Nothing here talks to
anything but 127.0.0.1 and local files.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
CACHE_DIR = BENCH_DIR / ".cache"
LOCALHOST = "127.0.0.1"
# Environment variables of renshe that a benchmark sets itself; inherited values would skew a run.
_RENSHE_VARS = ("RENSHE_DATABASE_URL", "RENSHE_KEY_FILE", "RENSHE_DATA_KEY", "RENSHE_INDEX_KEY",
                "RENSHE_TOKEN_KEY", "RENSHE_DEMO_MODE", "RENSHE_LOG_LEVEL", "RENSHE_LOG_JSON",
                "RENSHE_PROVINCE_CODE", "RENSHE_VAR_DIR", "RENSHE_SMS_SENDER")


class BenchmarkError(RuntimeError):
    """A benchmark could not produce a valid figure (the message says why)."""


def python() -> str:
    return sys.executable


def renshe_command() -> list[str]:
    """The `renshe` console script of this virtualenv (or the same entry point through -c)."""
    script = Path(sys.executable).with_name("renshe")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from renshe.cli import main; main()"]


def renshe_env(*, database_url: str, key_file: Path, province: str = "110000",
               extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A child environment with renshe's settings pinned, whatever the caller's shell had."""
    env = {k: v for k, v in os.environ.items() if k not in _RENSHE_VARS}
    env.update({
        "RENSHE_DATABASE_URL": database_url,
        "RENSHE_KEY_FILE": str(key_file),
        "RENSHE_DEMO_MODE": "1",
        "RENSHE_LOG_LEVEL": "WARNING",
        "RENSHE_PROVINCE_CODE": province,
        "RENSHE_VAR_DIR": str(key_file.parent),
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class ChildRun:
    """One finished child process: exit code, wall time and its own resource usage."""

    returncode: int
    wall_seconds: float
    user_seconds: float
    system_seconds: float
    peak_rss_bytes: int


def run_measured(cmd: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None,
                 log_path: Path, timeout: float = 6 * 3600) -> ChildRun:
    """Run a child to completion and return its wall time and its own peak RSS (wait4 rusage).

    wait4 reports the resource usage of exactly this child (and the grandchildren it waited for),
    unlike RUSAGE_CHILDREN, which keeps the maximum over every child this process ever had. The command
    runs under a small launcher that forks it and reports its rusage: Linux counts the peak of the memory
    a process had before `exec` in its peak RSS, so a command forked straight from this process would be
    charged with this process's own peak (a benchmark that read a million rows for its anchor).
    Output goes to `log_path` so no pipe can fill up and stall the child.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    usage_path = log_path.with_suffix(".rusage.json")
    usage_path.unlink(missing_ok=True)
    with log_path.open("wb") as log:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", _LAUNCHER, str(usage_path), *cmd],
                                env=dict(env) if env is not None else None, cwd=cwd,
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            deadline = started + timeout
            while True:
                pid, status, _usage = os.wait4(proc.pid, os.WNOHANG)
                if pid == proc.pid:
                    break
                if time.perf_counter() > deadline:
                    raise BenchmarkError(f"{cmd[0]} did not finish within {timeout:.0f} s")
                time.sleep(0.05)
            wall = time.perf_counter() - started
            proc.returncode = os.waitstatus_to_exitcode(status)
        except BaseException:
            kill_group(proc)
            raise
    try:
        own = json.loads(usage_path.read_text())
    except (OSError, ValueError) as exc:
        raise BenchmarkError(f"{cmd[0]}: the launcher left no resource usage ({exc})") from exc
    usage_path.unlink()
    return ChildRun(returncode=proc.returncode, wall_seconds=wall, user_seconds=own["utime"],
                    system_seconds=own["stime"], peak_rss_bytes=own["maxrss"] * 1024)


_LAUNCHER = """
import json, os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    json.dump({"maxrss": usage.ru_maxrss, "utime": usage.ru_utime, "stime": usage.ru_stime}, out)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def kill_group(proc: subprocess.Popen[Any], *, grace: float = 10.0) -> None:
    """Stop a child started with start_new_session=True and everything in its process group."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(cmd: Sequence[str], *, port: int, env: Mapping[str, str], cwd: Path, log_path: Path,
           ready_path: str = "/healthz", cpus: set[int] | None = None, timeout: float = 60.0,
           ) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server in its own process group, wait until it answers, and always stop it."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("wb")

    def _pin() -> None:
        if cpus:
            os.sched_setaffinity(0, cpus)

    proc = subprocess.Popen(list(cmd), env=dict(env), cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_pin)
    try:
        wait_until_ready(f"http://{LOCALHOST}:{port}{ready_path}", proc, log_path, timeout=timeout)
        yield proc
    finally:
        kill_group(proc)
        log.close()


def wait_until_ready(url: str, proc: subprocess.Popen[bytes], log_path: Path, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchmarkError(f"server exited with {proc.returncode} before it was ready; log:\n"
                                 + tail(log_path))
        try:
            if local_http(url, timeout=2)[0] == 200:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise BenchmarkError(f"{url} did not answer within {timeout:.0f} s; log:\n" + tail(log_path))


def local_http(url: str, *, data: bytes | None = None, headers: Mapping[str, str] | None = None,
               timeout: float = 30.0) -> tuple[int, bytes]:
    """One HTTP request to 127.0.0.1 (refuses anything else); returns (status, body), errors included."""
    if not url.startswith(f"http://{LOCALHOST}:"):
        raise BenchmarkError(f"benchmarks only talk to {LOCALHOST}, not {url}")
    request = urllib.request.Request(url, data=data, headers=dict(headers or {}),  # noqa: S310 - checked above
                                     method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - checked above
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), bytes(exc.read())


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU time of every live process in a process group (from /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2:].split()
        # fields[0] is the state (field 3 of stat); pgrp is field 5, utime 14, stime 15
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def write_result(name: str, data: Mapping[str, Any]) -> Path:
    """Write results/<name>.json atomically (through a .tmp file that .gitignore already skips)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    target = RESULTS_DIR / f"{name}.json"
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    tmp.replace(target)
    return target


def _git(*args: str) -> str:
    git = shutil.which("git")
    if git is None:
        return ""
    try:
        out = subprocess.run([git, *args], cwd=REPO, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip()


def environment() -> dict[str, Any]:
    """What a reader needs to compare runs: machine, interpreter, library versions, code revision."""
    versions: dict[str, str | None] = {}
    for dist in ("fastapi", "starlette", "uvicorn", "uvloop", "httptools", "pydantic", "sqlalchemy",
                 "cryptography", "psycopg"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    cpu_model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    dirty = [line[3:] for line in _git("status", "--porcelain").splitlines() if line[3:].startswith("renshe/")]
    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
        "versions": versions,
        "git_commit": _git("rev-parse", "HEAD"),
        "renshe_files_modified_since_commit": dirty,
    }


def self_peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def human_bytes(value: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024 or unit == "GiB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{value:.0f} B"
        value /= 1024
    return f"{value:.1f} GiB"


# ---------------------------------------------------------------- profiles under load (py-spy)

# Frames where a thread waits rather than works: samples whose innermost frame is one of these are idle.
_IDLE = ("wait (threading.py", "_worker (concurrent/futures/thread.py", "select (selectors.py", "_run_once (",
         "acquire (", "get (queue.py", "sleep (", "run (asyncio/runners.py", "wait_for (", "epoll",
         "_wait_for_tstate_lock", "worker (anyio")
# Inclusive categories of the request path, matched against any frame of a working sample.
CATEGORIES = (  # first match wins, innermost parts of the request path first
    ("person lookup (SQL)", ("identity_facts", "find_by_id_number", "person_by_id_number", "_find (",
                             "find_person")),
    ("ID number check and HMAC", ("core/ids.py", "blind_index", "id_index", "stdnum", "subject_of")),
    ("call log", ("sharing/recorder.py", "log_call", "_log (")),
    ("consumer, grant and limit resolution", ("sharing/gateway.py", "authorise", "enforce_limits",
                                              "core/limits.py", "redis/")),
    ("token and principal", ("read_token", "optional_principal", "core/auth.py", "_principal (")),
    ("gateway endpoint (parse, answer)", ("sharing/fastpath.py", "sharing/api.py")),
    ("person route (registry/api.py)", ("registry/api.py", "registry/service.py")),
    ("SQLAlchemy", ("sqlalchemy/",)),
    ("renshe middleware", ("web/observability.py", "web/idempotency.py")),
    ("FastAPI routing and dependencies", ("fastapi/", "starlette/")),
    ("thread pool hops", ("anyio/", "run_in_threadpool", "to_thread")),
    ("uvicorn and the event loop", ("uvicorn/", "asyncio/", "uvloop")),
)


_OWNED = 7  # the first seven categories are renshe's own parts: any frame of the stack decides


def _category(frames: list[str]) -> str:
    """The part of the request path a working sample belongs to: one of renshe's own parts when any
    frame is in it, else the innermost frame's library (middleware, routing, the server)."""
    for name, marks in CATEGORIES[:_OWNED]:
        if any(mark in frame for frame in frames for mark in marks):
            return name
    for frame in reversed(frames):
        for name, marks in CATEGORIES[_OWNED:]:
            if any(mark in frame for mark in marks):
                return name
    return "other"


def py_spy_record(pid: int, seconds: float, out: Path, *, rate: int = 200, subprocesses: bool = False) -> Path:
    """Sample a running server with py-spy (raw collapsed stacks) for `seconds`; returns the file."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        raise BenchmarkError("py-spy is not installed in this environment")
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [py_spy, "record", "--pid", str(pid), "--rate", str(rate), "--duration", str(max(1, int(seconds))),
           "--format", "raw", "--output", str(out), "--nonblocking"]
    if subprocesses:
        cmd.append("--subprocesses")
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 180, check=False)
    except subprocess.TimeoutExpired as exc:
        raise BenchmarkError(f"py-spy did not finish within {seconds + 180:.0f} s") from exc
    if done.returncode != 0 or not out.exists():
        raise BenchmarkError(f"py-spy failed: {done.stderr[-800:]}")
    return out


def py_spy_breakdown(path: Path, *, top: int = 15) -> dict[str, Any]:
    """Where the working samples went: by category of the request path (inclusive), and the top frames
    by self and inclusive share. Samples whose innermost frame waits (idle threads) are left out."""
    stacks: list[tuple[list[str], int]] = []
    idle = 0
    for line in path.read_text(errors="replace").splitlines():
        head, _, count_text = line.rpartition(" ")
        if not head or not count_text.isdigit():
            continue
        frames = [f for f in head.split(";") if f and not f.startswith("process ") and not f.startswith("thread ")]
        count = int(count_text)
        if not frames or any(mark in frames[-1] for mark in _IDLE):
            idle += count
            continue
        stacks.append((frames, count))
    working = sum(c for _f, c in stacks) or 1
    self_counts: dict[str, int] = {}
    by_file: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    categories = dict.fromkeys([name for name, _marks in CATEGORIES] + ["other"], 0)
    for frames, count in stacks:
        self_counts[frames[-1]] = self_counts.get(frames[-1], 0) + count
        source = frames[-1].rpartition("(")[2].rpartition(":")[0] or frames[-1]
        by_file[source] = by_file.get(source, 0) + count
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + count
        categories[_category(frames)] += count

    def shares(counts: dict[str, int]) -> list[dict[str, Any]]:
        ranked = sorted(counts.items(), key=lambda kv: -kv[1])[:top]
        return [{"frame": frame, "share": round(count / working, 4)} for frame, count in ranked]

    return {
        "working_samples": working, "idle_samples": idle,
        "categories": {k: round(v / working, 4) for k, v in categories.items()},
        "self_by_source_file": shares(by_file),
        "top_self": shares(self_counts),
        "top_inclusive": [s for s in shares(inclusive) if s["share"] < 0.999][:top],
        "collapsed_stacks": str(path),
    }
