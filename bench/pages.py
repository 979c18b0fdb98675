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
--strict exits with status 1 when the goal is missed. The database, server, login, load and
reporting helpers are in bench/_serve.py, shared with bench/workspace.py.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from urllib.parse import urlencode

import psycopg
from _serve import (
    MEASUREMENT_HEADER,
    Measurement,
    add_load_arguments,
    analyze,
    describe,
    fetch_page,
    log_in,
    manage,
    measure,
    measurement_columns,
    prepare_database,
    print_legend,
    require_postgres,
    server_env,
    serving,
    stop_on_sigterm,
)

COORDINATOR = "seed-coordinator@example.com"
GOAL_P95_MS = 100.0
GOAL_RATE = 50.0


# --- Seed -----------------------------------------------------------------------------------


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


# --- Pages ----------------------------------------------------------------------------------


@dataclass(kw_only=True)
class Run(Measurement):
    program: BenchProgram
    kind: str
    page: str
    rows: str = ""


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


def report(runs: list[Run], args: argparse.Namespace) -> bool:
    print()
    print_legend(args.rate)
    print(f"{'program':>8}  {'page':<36} {'rows':>6}" + MEASUREMENT_HEADER)
    for run in runs:
        print(
            f"{run.program.label:>8}  {run.page:<36} {run.rows:>6}"
            + measurement_columns(run, args.rate)
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
    add_load_arguments(parser, rate=GOAL_RATE)
    args = parser.parse_args()
    require_postgres(args.database_url, "bench/pages.py")

    env = server_env(args.database_url)
    stop_on_sigterm()
    prepare_database(args.database_url, env, reseed=args.reseed)
    large = seeded_program(args.database_url, env, args.participants)
    small = seeded_program(args.database_url, env, args.baseline)
    analyze(args.database_url)

    with serving(env, args) as server:
        cookies = log_in(server.port, COORDINATOR)
        describe(server, args)
        per_page = 50
        runs: list[Run] = []
        for program in (large, small):
            for kind, page, path in pages_for(program, per_page):
                run = Run(program=program, kind=kind, page=page, path=path)
                run.rows = result_count(fetch_page(server, cookies, path))
                print(f"  {program.label:>7} · {page} …", end="", flush=True)
                measure(server, cookies, run, args)
                print(f" p95 {run.percentile(95):.1f} ms")
                runs.append(run)
    met = report(runs, args)
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
