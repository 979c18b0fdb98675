"""What the served-page benchmarks share (bench/pages.py, bench/workspace.py).

- The database: create it if missing (or drop it first, --reseed), migrate it, VACUUM (ANALYZE).
- The server: gunicorn on a free port of 127.0.0.1 with DEBUG off and its own SECRET_KEY,
  persistent database connections, stopped at the end also on error or Ctrl-C.
- HTTP: one request at a time over a fresh connection, and logging in through the form.
- Load: a page's latency and CPU per request alone (from /proc: gunicorn's workers and the
  PostgreSQL backends of the bench database), then requests on an open schedule at a given rate
  (sent at their time whether or not earlier ones returned, at most MAX_IN_FLIGHT in flight;
  latency runs from a request's scheduled time to the end of its response).
- Reporting: the columns every page row ends with (alone, CPU, cores, requests, errors,
  p50/p95/p99, achieved rate, load average).

Not a benchmark itself: run bench/pages.py or bench/workspace.py.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PASSWORD = "tandem-demo"  # noqa: S105 - the published demo password of seeded data
MAX_IN_FLIGHT = 32
REQUEST_TIMEOUT = 10.0
WARMUP_REQUESTS = 20
ALONE_REQUESTS = 40  # CPU is counted in clock ticks (10 ms): enough requests to average them


# --- Options and environment ----------------------------------------------------------------


def add_load_arguments(parser: argparse.ArgumentParser, *, rate: float) -> None:
    """The options every served-page benchmark takes after its own."""
    parser.add_argument("--rate", type=float, default=rate, help="requests per second")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per page")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reseed", action="store_true", help="drop the database and seed again")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the goal is missed")


def require_postgres(url: str, script: str) -> None:
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(f"{script} measures PostgreSQL: give a postgres:// --database-url")


def server_env(database_url: str) -> dict[str, str]:
    """The environment of manage.py and gunicorn: production-like, on the bench database."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "ALLOWED_HOSTS": HOST,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "LOG_LEVEL": "WARNING",
        "AXES_ENABLED": "0",  # one login, no lockout bookkeeping in the measured requests
        # Persistent connections for the whole run, as in production, so that CPU per request
        # counts each worker's one backend (and no connection setup).
        "DATABASE_CONN_MAX_AGE": "3600",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }


def stop_on_sigterm() -> None:
    """Ctrl-C and SIGTERM unwind through `finally`, which stops gunicorn."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


# --- Database -------------------------------------------------------------------------------


def database_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        sys.exit(f"Unexpected database name {name!r} in {url}")
    return name


def ensure_database(url: str, *, reseed: bool) -> None:
    name = database_name(url)
    maintenance = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        if reseed:
            print(f"Dropping database {name} (--reseed)")
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            print(f"Creating database {name}")
            conn.execute(f"CREATE DATABASE {name}")


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def prepare_database(url: str, env: dict[str, str], *, reseed: bool) -> None:
    """Create (or recreate) the database and migrate it."""
    ensure_database(url, reseed=reseed)
    try:
        manage(env, "migrate", "--no-input", "--verbosity=0")
    except subprocess.CalledProcessError:
        sys.exit(
            "Migrating the bench database failed (a migration rewritten since it was seeded?)."
            " Run again with --reseed."
        )


def analyze(url: str) -> None:
    """Fresh statistics and visibility maps, as autovacuum keeps them on a live database.

    Measured right after a bulk seed, the planner would otherwise guess from empty tables.
    """
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


# --- The server -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    process: subprocess.Popen
    port: int
    database: str  # the name whose PostgreSQL backends count as the server's CPU


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_gunicorn(
    env: dict[str, str], port: int, *, workers: int, worker_class: str, threads: int
) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "config.wsgi:application",
        f"--bind={HOST}:{port}",
        f"--workers={workers}",
        f"--worker-class={worker_class}",
        f"--threads={threads}",
        "--log-level=warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode}")
        try:
            status, _, _ = request(port, "GET", "/accounts/login/")
        except OSError:
            time.sleep(0.2)
            continue
        if status == 200:
            return server
    stop(server)
    raise RuntimeError("gunicorn did not answer within 30 s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.terminate()  # gunicorn's master stops its workers gracefully on SIGTERM
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


@contextmanager
def serving(env: dict[str, str], args: argparse.Namespace) -> Iterator[Server]:
    """gunicorn on a free port for the block, with --workers, --worker-class and --threads."""
    port = free_port()
    process = start_gunicorn(
        env, port, workers=args.workers, worker_class=args.worker_class, threads=args.threads
    )
    try:
        yield Server(process, port, database_name(env["DATABASE_URL"]))
    finally:
        stop(process)


def describe(server: Server, args: argparse.Namespace) -> None:
    print(f"Load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(
        f"gunicorn: {args.workers} {args.worker_class} worker(s) x {args.threads} thread(s)"
        f" on {HOST}:{server.port}; load: {args.rate:g} req/s for {args.duration:g} s per page"
    )


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds each process has used so far (Linux /proc)."""
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        used[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two readings by the processes alive at both."""
    return sum(after[pid] - before[pid] for pid in before.keys() & after.keys())


def server_processes(server: Server) -> tuple[list[int], list[int]]:
    """gunicorn's workers, and the PostgreSQL backends connected to the bench database."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children")
    workers = [int(p) for p in children.read_text().split()] if children.exists() else []
    backends = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres:") and f" {server.database} " in title:
            backends.append(int(entry.name))
    return workers, backends


# --- HTTP -----------------------------------------------------------------------------------


def request(
    port: int,
    method: str,
    path: str,
    *,
    cookies: dict[str, str] | None = None,
    body: str | None = None,
) -> tuple[int, dict[str, list[str]], bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        headers = {"Host": HOST}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        received: dict[str, list[str]] = {}
        for key, value in response.getheaders():
            received.setdefault(key.lower(), []).append(value)
        return response.status, received, data
    finally:
        conn.close()


def cookies_from(headers: dict[str, list[str]]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for value in headers.get("set-cookie", []):
        jar.load(value)
    return {key: morsel.value for key, morsel in jar.items()}


def log_in(port: int, email: str) -> dict[str, str]:
    """The cookies of a session logged in as `email` (password PASSWORD), through the form."""
    status, headers, body = request(port, "GET", "/accounts/login/")
    cookies = cookies_from(headers)
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or match is None or "csrftoken" not in cookies:
        raise RuntimeError(f"The login page did not offer a form (status {status})")
    form = urlencode(
        {"username": email, "password": PASSWORD, "csrfmiddlewaretoken": match.group(1).decode()}
    )
    status, headers, _ = request(port, "POST", "/accounts/login/", cookies=cookies, body=form)
    cookies.update(cookies_from(headers))
    if status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"Logging in as {email} failed (status {status})")
    return cookies


# --- Load -----------------------------------------------------------------------------------


@dataclass(kw_only=True)
class Measurement:
    """One page under load: its path, and what was measured of it."""

    path: str
    alone_ms: float = 0.0  # median latency of one request at a time, before the load
    app_cpu_ms: float = 0.0  # CPU per request, one at a time: gunicorn workers
    db_cpu_ms: float = 0.0  # and PostgreSQL backends
    load: float = 0.0  # the machine's 1-minute load average at the end of the run
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]

    @property
    def cpu_ms(self) -> float:
        return self.app_cpu_ms + self.db_cpu_ms

    def cores(self, rate: float) -> float:
        return self.cpu_ms * rate / 1000

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + self.errors

    @property
    def rate(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0


def fetch_page(server: Server, cookies: dict[str, str], path: str) -> bytes:
    """The page's body; raises unless it answers 200."""
    status, _, body = request(server.port, "GET", path, cookies=cookies)
    if status != 200:
        raise RuntimeError(f"{path} answered {status}, not 200")
    return body


def measure_alone(server: Server, cookies: dict[str, str], run: Measurement) -> None:
    """Warm up, then time requests one at a time and the CPU they cost the server side.

    CPU per request does not depend on what else the machine runs, unlike latency: it says
    how many cores a rate needs (CPU ms x req/s / 1000).
    """
    for _ in range(WARMUP_REQUESTS):
        request(server.port, "GET", run.path, cookies=cookies)
    # After the warm-up every worker holds its database connection (CONN_MAX_AGE).
    workers, backends = server_processes(server)
    app_before, db_before = cpu_seconds(workers), cpu_seconds(backends)
    latencies = []
    for _ in range(ALONE_REQUESTS):
        sent = time.perf_counter()
        request(server.port, "GET", run.path, cookies=cookies)
        latencies.append((time.perf_counter() - sent) * 1000)
    run.alone_ms = statistics.median(latencies)
    run.app_cpu_ms = cpu_used(app_before, cpu_seconds(workers)) * 1000 / ALONE_REQUESTS
    run.db_cpu_ms = cpu_used(db_before, cpu_seconds(backends)) * 1000 / ALONE_REQUESTS


def drive(
    server: Server, cookies: dict[str, str], run: Measurement, rate: float, duration: float
) -> None:
    """Send `rate` requests a second for `duration` seconds, on schedule, and time them."""
    lock = threading.Lock()

    def one(scheduled: float) -> None:
        try:
            status, _, _ = request(server.port, "GET", run.path, cookies=cookies)
        except OSError:
            status = 0
        finished = time.perf_counter()
        with lock:
            if status == 200:
                run.latencies_ms.append((finished - scheduled) * 1000)
            else:
                run.errors += 1

    with ThreadPoolExecutor(max_workers=MAX_IN_FLIGHT) as pool:
        total = round(rate * duration)
        start = time.perf_counter()
        for i in range(total):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, scheduled)
    run.elapsed = time.perf_counter() - start
    run.load = os.getloadavg()[0]


def measure(
    server: Server, cookies: dict[str, str], run: Measurement, args: argparse.Namespace
) -> None:
    """Alone, then under load at --rate for --duration."""
    measure_alone(server, cookies, run)
    drive(server, cookies, run, args.rate, args.duration)


# --- Reporting ------------------------------------------------------------------------------

MEASUREMENT_HEADER = (
    f" {'alone':>6} {'app':>5} {'db':>5} {'cores':>5} {'reqs':>5} {'err':>4} {'p50 ms':>7}"
    f" {'p95 ms':>7} {'p99 ms':>7} {'req/s':>6} {'load':>5}"
)


def print_legend(rate: float) -> None:
    print("alone: median latency one request at a time; app/db: CPU ms per request (gunicorn,")
    print(f"PostgreSQL); cores: CPU needed at {rate:g} req/s; load: 1-minute load average after")


def measurement_columns(run: Measurement, rate: float) -> str:
    """The row's columns under MEASUREMENT_HEADER."""
    return (
        f" {run.alone_ms:>6.1f} {run.app_cpu_ms:>5.1f} {run.db_cpu_ms:>5.1f}"
        f" {run.cores(rate):>5.2f} {run.requests:>5} {run.errors:>4} {run.percentile(50):>7.1f}"
        f" {run.percentile(95):>7.1f} {run.percentile(99):>7.1f} {run.rate:>6.1f}"
        f" {run.load:>5.2f}"
    )
