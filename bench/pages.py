"""Benchmark: coordinator pages of a 20,000-participant program, served by gunicorn on PostgreSQL.

Usage:
    make bench-pages
    .venv/bin/python bench/pages.py [--database-url postgres://postgres@127.0.0.1:5432/tandem_bench]
        [--participants 20000] [--baseline 200] [--rate 50] [--duration 20]
        [--workers 4] [--worker-class sync] [--threads 1] [--reseed] [--strict]

What it does:
1. Creates the PostgreSQL database if it is missing and migrates it.
2. Seeds, once, a program with --participants joined participants (`manage.py seed_program`)
   and a baseline program with --baseline participants; later runs reuse them (--reseed drops
   the database first). Then VACUUM (ANALYZE), as autovacuum would on a live database.
3. Serves the app with gunicorn on 127.0.0.1 (a free port, DEBUG off, its own SECRET_KEY) and
   logs in as seed-coordinator@example.com / tandem-demo.
4. For each page of each program (participants list page 1, a middle page, a search, an answer
   filter; the program overview), sends --rate requests per second for --duration seconds on
   an open schedule (a request is sent at its time whether or not earlier ones have returned, at
   most 32 in flight), after a short warm-up. Latency runs from a request's scheduled time to
   the end of its response, so a server that falls behind shows it.
5. Prints per page: the rows it lists; its latency alone and the CPU one request costs
   gunicorn and PostgreSQL (from /proc, measured one request at a time before the load), and
   so the cores the rate needs; requests, errors (anything but 200), p50/p95/p99 in ms,
   achieved req/s, and the machine's load average (other work on the machine skews latency,
   not CPU per request: read both); then the ratios large/small (how each page scales with
   the program), and the goal line: p95 < 100 ms at 50 req/s on every page of the large
   program.

gunicorn is stopped at the end, also on error or Ctrl-C. Only 127.0.0.1 is ever requested.
--strict exits with status 1 when the goal is missed.
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
COORDINATOR = "seed-coordinator@example.com"
PASSWORD = "tandem-demo"  # noqa: S105 - the published demo password of seeded data
GOAL_P95_MS = 100.0
GOAL_RATE = 50.0
MAX_IN_FLIGHT = 32
REQUEST_TIMEOUT = 10.0
WARMUP_REQUESTS = 20
ALONE_REQUESTS = 40  # CPU is counted in clock ticks (10 ms): enough requests to average them


# --- Database and seed ----------------------------------------------------------------------


def ensure_database(url: str, *, reseed: bool) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        sys.exit(f"Unexpected database name {name!r} in {url}")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
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


@dataclass
class BenchProgram:
    label: str
    pk: int
    participants: int
    filter_slug: str
    filter_choice: str
    middle: int  # how many rows come before the middle page
    middle_cursor: int  # the participant just before it, in the list's name order


def program_named(url: str, name: str) -> BenchProgram | None:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT p.id, (SELECT count(*) FROM programs_participant pp WHERE pp.program_id = p.id)"
            " FROM programs_program p WHERE p.name = %s",
            [name],
        ).fetchone()
        if row is None:
            return None
        question = conn.execute(
            "SELECT slug, choices FROM programs_question"
            " WHERE program_id = %s AND kind = 'single_choice' ORDER BY position, id LIMIT 1",
            [row[0]],
        ).fetchone()
        if question is None:
            sys.exit(f"Program {name!r} has no single-choice question to filter by.")
        # The list pages by keyset ("after" a participant): the middle page of the program is
        # the one after the participant halfway down the name order.
        middle = max(1, row[1] // 2)
        cursor = conn.execute(
            "SELECT p.id FROM programs_participant p"
            " JOIN accounts_user u ON u.id = p.user_id WHERE p.program_id = %s"
            " ORDER BY u.full_name, u.email, p.id OFFSET %s LIMIT 1",
            [row[0], middle - 1],
        ).fetchone()
    if cursor is None:
        sys.exit(f"Program {name!r} has no participants to page through.")
    return BenchProgram(
        label=f"{row[1]:,}",
        pk=row[0],
        participants=row[1],
        filter_slug=question[0],
        filter_choice=question[1][0],
        middle=middle,
        middle_cursor=cursor[0],
    )


def seeded_program(url: str, env: dict[str, str], participants: int) -> BenchProgram:
    name = f"Bench program ({participants} participants)"
    program = program_named(url, name)
    if program is None:
        print(f"Seeding {name} (once; later runs reuse it)", flush=True)
        manage(env, "seed_program", "--participants", str(participants), "--name", name)
        program = program_named(url, name)
    else:
        print(f"Reusing {name}")
    assert program is not None
    if program.participants != participants:
        sys.exit(
            f"{name} has {program.participants} participants, not {participants} (an interrupted "
            "seed?). Run again with --reseed."
        )
    return program


def analyze(url: str) -> None:
    """Fresh statistics and visibility maps, as autovacuum keeps them on a live database.

    Measured right after a bulk seed, the planner would otherwise guess from empty tables.
    """
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


# --- The server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_gunicorn(env: dict[str, str], args: argparse.Namespace, port: int) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "config.wsgi:application",
        f"--bind={HOST}:{port}",
        f"--workers={args.workers}",
        f"--worker-class={args.worker_class}",
        f"--threads={args.threads}",
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


def server_processes(server: subprocess.Popen, database: str) -> tuple[list[int], list[int]]:
    """gunicorn's workers, and the PostgreSQL backends connected to the bench database."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    workers = [int(pid) for pid in children.read_text().split()] if children.exists() else []
    backends = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres:") and f" {database} " in title:
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


def log_in(port: int) -> dict[str, str]:
    status, headers, body = request(port, "GET", "/accounts/login/")
    cookies = cookies_from(headers)
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or match is None or "csrftoken" not in cookies:
        raise RuntimeError(f"The login page did not offer a form (status {status})")
    form = urlencode(
        {
            "username": COORDINATOR,
            "password": PASSWORD,
            "csrfmiddlewaretoken": match.group(1).decode(),
        }
    )
    status, headers, _ = request(port, "POST", "/accounts/login/", cookies=cookies, body=form)
    cookies.update(cookies_from(headers))
    if status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"Logging in as {COORDINATOR} failed (status {status})")
    return cookies


# --- Load -----------------------------------------------------------------------------------


@dataclass
class Run:
    program: BenchProgram
    kind: str
    page: str
    path: str
    rows: str = ""
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


def pages_for(program: BenchProgram, per_page: int) -> list[tuple[str, str, str]]:
    """(kind, label, path) of each measured page: the same kinds for every program."""
    base = f"/programs/{program.pk}/participants/"
    choice = f"{program.filter_slug}={program.filter_choice}"
    answer_filter = urlencode({f"a_{program.filter_slug}": program.filter_choice})
    return [
        ("list", "participants, page 1", base),
        (
            "later page",
            f"participants, from row {program.middle + 1:,}",
            f"{base}?after={program.middle_cursor}",
        ),
        ("search", "participants, search “priya”", f"{base}?q=priya"),
        ("answer filter", f"participants, {choice}", f"{base}?{answer_filter}"),
        ("overview", "program overview", f"/programs/{program.pk}/"),
    ]


def result_count(body: bytes) -> str:
    match = re.search(rb'id="result-count"[^>]*>\s*([\d,]+)', body)
    return match.group(1).decode() if match else ""


def measure_alone(
    port: int, cookies: dict[str, str], run: Run, server: subprocess.Popen, database: str
) -> None:
    """Warm up, then time requests one at a time and the CPU they cost the server side.

    CPU per request does not depend on what else the machine runs, unlike latency: it says
    how many cores a rate needs (CPU ms x req/s / 1000).
    """
    for _ in range(WARMUP_REQUESTS):
        request(port, "GET", run.path, cookies=cookies)
    # After the warm-up every worker holds its database connection (CONN_MAX_AGE).
    workers, backends = server_processes(server, database)
    app_before, db_before = cpu_seconds(workers), cpu_seconds(backends)
    latencies = []
    for _ in range(ALONE_REQUESTS):
        sent = time.perf_counter()
        request(port, "GET", run.path, cookies=cookies)
        latencies.append((time.perf_counter() - sent) * 1000)
    run.alone_ms = statistics.median(latencies)
    run.app_cpu_ms = cpu_used(app_before, cpu_seconds(workers)) * 1000 / ALONE_REQUESTS
    run.db_cpu_ms = cpu_used(db_before, cpu_seconds(backends)) * 1000 / ALONE_REQUESTS


def drive(port: int, cookies: dict[str, str], run: Run, rate: float, duration: float) -> None:
    """Send `rate` requests a second for `duration` seconds, on schedule, and time them."""
    lock = threading.Lock()

    def one(scheduled: float) -> None:
        try:
            status, _, _ = request(port, "GET", run.path, cookies=cookies)
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


def report(runs: list[Run], args: argparse.Namespace) -> bool:
    print()
    print("alone: median latency one request at a time; app/db: CPU ms per request (gunicorn,")
    print(
        f"PostgreSQL); cores: CPU needed at {args.rate:g} req/s; load: 1-minute load average after"
    )
    print(
        f"{'program':>8}  {'page':<36} {'rows':>6} {'alone':>6} {'app':>5} {'db':>5} {'cores':>5}"
        f" {'reqs':>5} {'err':>4} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'req/s':>6}"
        f" {'load':>5}"
    )
    for run in runs:
        print(
            f"{run.program.label:>8}  {run.page:<36} {run.rows:>6} {run.alone_ms:>6.1f}"
            f" {run.app_cpu_ms:>5.1f} {run.db_cpu_ms:>5.1f} {run.cores(args.rate):>5.2f}"
            f" {run.requests:>5} {run.errors:>4} {run.percentile(50):>7.1f}"
            f" {run.percentile(95):>7.1f} {run.percentile(99):>7.1f} {run.rate:>6.1f}"
            f" {run.load:>5.2f}"
        )
    large = [r for r in runs if r.program.participants == args.participants]
    small = [r for r in runs if r.program.participants == args.baseline]
    print()
    print(f"Scaling, {args.participants:,} vs {args.baseline:,} participants (ratios):")
    for big, little in zip(large, small, strict=True):
        print(
            f"  {big.kind:<14} p50 x{big.percentile(50) / little.percentile(50):<6.2f}"
            f" p95 x{big.percentile(95) / little.percentile(95):<6.2f}"
            f" CPU per request x{big.cpu_ms / little.cpu_ms:.2f}"
        )
    worst = max(large, key=lambda r: r.percentile(95))
    slow_rate = min(large, key=lambda r: r.rate)
    costly = max(large, key=lambda r: r.cpu_ms)
    met = (
        worst.percentile(95) < GOAL_P95_MS
        and all(r.errors == 0 for r in large)
        and slow_rate.rate >= GOAL_RATE * 0.95
        and args.rate >= GOAL_RATE
    )
    print()
    print(
        f"Goal p95 < {GOAL_P95_MS:.0f} ms at {GOAL_RATE:.0f} req/s on the {args.participants:,}-"
        f"participant program: {'MET' if met else 'MISSED'} — worst p95 "
        f"{worst.percentile(95):.1f} ms ({worst.page}), lowest rate {slow_rate.rate:.1f} req/s, "
        f"{sum(r.errors for r in large)} errors. The costliest page ({costly.page}) needs "
        f"{costly.cores(GOAL_RATE):.2f} of this machine's {os.cpu_count()} cores at "
        f"{GOAL_RATE:.0f} req/s."
    )
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/tandem_bench")
    parser.add_argument("--participants", type=int, default=20_000)
    parser.add_argument("--baseline", type=int, default=200)
    parser.add_argument("--rate", type=float, default=GOAL_RATE, help="requests per second")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per page")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--reseed", action="store_true", help="drop the database and seed again")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the goal is missed")
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/pages.py measures PostgreSQL: give a postgres:// --database-url")

    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
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
    # Ctrl-C and SIGTERM unwind through `finally`, which stops gunicorn.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    ensure_database(args.database_url, reseed=args.reseed)
    try:
        manage(env, "migrate", "--no-input", "--verbosity=0")
    except subprocess.CalledProcessError:
        sys.exit(
            "Migrating the bench database failed (a migration rewritten since it was seeded?)."
            " Run again with --reseed."
        )
    large = seeded_program(args.database_url, env, args.participants)
    small = seeded_program(args.database_url, env, args.baseline)
    analyze(args.database_url)

    port = free_port()
    server = start_gunicorn(env, args, port)
    try:
        cookies = log_in(port)
        database = urlsplit(args.database_url).path.lstrip("/")
        print(f"Load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        print(
            f"gunicorn: {args.workers} {args.worker_class} worker(s) x {args.threads} thread(s)"
            f" on {HOST}:{port}; load: {args.rate:g} req/s for {args.duration:g} s per page"
        )
        per_page = 50
        runs: list[Run] = []
        for program in (large, small):
            for kind, page, path in pages_for(program, per_page):
                run = Run(program=program, kind=kind, page=page, path=path)
                status, _, body = request(port, "GET", path, cookies=cookies)
                if status != 200:
                    raise RuntimeError(f"{path} answered {status}, not 200")
                run.rows = result_count(body)
                print(f"  {program.label:>7} · {page} …", end="", flush=True)
                measure_alone(port, cookies, run, server, database)
                drive(port, cookies, run, args.rate, args.duration)
                print(f" p95 {run.percentile(95):.1f} ms")
                runs.append(run)
    finally:
        stop(server)
    met = report(runs, args)
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
