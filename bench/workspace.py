"""Benchmark: a busy mentoring workspace served by gunicorn, and the scheduler's sweeps of 20,000
relationships, on PostgreSQL.

Usage:
    make bench-workspace
    .venv/bin/python bench/workspace.py
        [--database-url postgres://postgres@127.0.0.1:5432/tandem_bench_workspace]
        [--relationships 20000] [--rate 20] [--duration 20]
        [--workers 4] [--worker-class sync] [--threads 1] [--reseed] [--strict]

What it does:
1. Creates the PostgreSQL database if it is missing and migrates it (bench/_serve.py, as
   bench/pages.py does).
2. Seeds, once, with `manage.py seed_workspace --relationships N` (tandem/mentorships/seeding.py):
   a workspace program where one mentor is in 10 relationships, the first of them with 200
   sessions and 5,000 messages; and a sweep program of --relationships active relationships,
   each with an agenda due, a session held a day ago and an unread message. Later runs reuse
   both (--reseed drops the database first). Then, in this process (Django set up on the bench
   database), gives the sweeps their work back as of now (`sweep_work_rearm`: the sweeps claim
   what they send, so the last run left them nothing), and VACUUM (ANALYZE), as autovacuum
   would on a live database.
3. Counts the queries of one request to each page (Django's test client, in this process,
   after a warm-up), next to the same page with little in it: a relationship a few months old
   (10 sessions, 250 messages), a person in one relationship. Equal counts: the page does not
   query per session, message or relationship.
4. Serves the app with gunicorn on 127.0.0.1 (a free port, DEBUG off, its own SECRET_KEY), logs
   in as the busy relationship's mentee and as the mentor (password tandem-demo), and for each
   page -- the workspace (`mentorships:relationship`) and the messages list, latest page and a
   page halfway back (keyset, `?before=`), as the mentee; the mentor's home page listing their
   10 relationships -- measures latency and CPU per request alone (from /proc), then sends
   --rate requests per second for --duration seconds on an open schedule (at most 32 in flight).
5. Runs the three sweeps in this process, one after the other, as `manage.py
   send_agenda_reminders`, `send_reflection_notices` and `send_message_digests` do: tasks run
   inline (TASKS_IMMEDIATE) and emails go to Django's locmem backend, so each sweep's wall time
   includes rendering and sending its emails (shown apart: "email" is the time inside the email
   delivery functions). Prints for each what it claimed, the notices and emails it produced, its
   wall time, the email time, and the rest (the scheduler's own work, which the goal is about:
   in production the worker delivers the queued emails after the sweep) per item.
6. Prints per page: queries (here/with little), latency alone, CPU ms per request (gunicorn,
   PostgreSQL) and the cores the rate needs, requests, errors (anything but 200), p50/p95/p99 in
   ms, achieved req/s and the machine's load average; then the sweeps, and the goal lines: p95 <
   100 ms at 20 req/s on every page, and each sweep of 20,000 relationships within 60 s.

gunicorn is stopped at the end, also on error or Ctrl-C. Only 127.0.0.1 is ever requested.
--strict exits with status 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from _serve import (
    HOST,
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

GOAL_P95_MS = 100.0
GOAL_RATE = 20.0
GOAL_SWEEP_SECONDS = 60.0
GOAL_RELATIONSHIPS = 20_000
QUERY_WARMUP = 3


@dataclass(kw_only=True)
class Page(Measurement):
    label: str
    who: str  # the email of the person who sees it
    role: str  # theirs in the relationship
    queries: int = 0  # of one request
    queries_small: int = 0  # of the same page with little in it


@dataclass
class Sweep:
    label: str
    claimed: int = 0  # what the sweep function returns: sessions reminded, notices, digests
    expected: int = 0  # what the seed owes it
    notices: int = 0  # in-app notices it wrote
    emails: int = 0
    seconds: float = 0.0
    email_seconds: float = 0.0  # of which inside the email delivery functions


@dataclass
class Plan:
    """The measured pages, and how the seed stands."""

    pages: list[tuple[Page, str]] = field(default_factory=list)  # and the small page's path
    small_who: str = ""
    sessions: int = 0
    messages: int = 0
    mentor_relationships: int = 0
    sweep_relationships: int = 0


# --- In this process ------------------------------------------------------------------------


def django_setup(database_url: str) -> None:
    """Django in this process, on the bench database, with tasks inline and emails in memory."""
    os.environ.update(
        server_env(database_url)
        | {
            "ALLOWED_HOSTS": f"{HOST},testserver",  # the test client's host
            "TASKS_IMMEDIATE": "1",
            "EMAIL_URL": "locmem:",
        }
    )
    import django

    django.setup()


def rearm_sweeps(relationships: int) -> int:
    from django.utils import timezone

    from tandem.mentorships import seeding
    from tandem.programs.models import Program

    program = Program.objects.get(name=seeding.sweep_program_name(relationships))
    seeding.sweep_work_rearm(program, now=timezone.now())
    return program.relationships.count()


def plan_pages(relationships: int) -> Plan:
    from tandem.mentorships import seeding
    from tandem.mentorships.models import Message, Relationship

    busy = Relationship.objects.get(
        program__name=seeding.WORKSPACE_PROGRAM,
        members__participant__user__email=seeding.BUSY_MENTEE,
    )
    quiet = Relationship.objects.get(
        program__name=seeding.WORKSPACE_PROGRAM,
        members__participant__user__email=seeding.QUIET_MENTEE,
    )

    def halfway(relationship: Relationship) -> tuple[int, int]:
        """How many messages the relationship has, and the pk of the one halfway back."""
        messages = Message.objects.filter(relationship=relationship).order_by("created_at", "pk")
        total = messages.count()
        return total, messages.values_list("pk", flat=True)[total // 2]

    (total, middle), (_, quiet_middle) = halfway(busy), halfway(quiet)
    plan = Plan(
        small_who=seeding.QUIET_MENTEE,
        sessions=busy.sessions.count(),
        messages=total,
        mentor_relationships=Relationship.objects.filter(
            members__participant__user__email=seeding.MENTOR
        ).count(),
        sweep_relationships=relationships,
    )
    base, small = f"/relationships/{busy.pk}/", f"/relationships/{quiet.pk}/"
    mentee, mentor = seeding.BUSY_MENTEE, seeding.MENTOR
    plan.pages = [
        (Page(label="workspace", who=mentee, role="mentee", path=base), small),
        (
            Page(label="messages, latest page", who=mentee, role="mentee", path=f"{base}messages/"),
            f"{small}messages/",
        ),
        (
            Page(
                label=f"messages, {total - total // 2:,} back",
                who=mentee,
                role="mentee",
                path=f"{base}messages/?before={middle}",
            ),
            f"{small}messages/?before={quiet_middle}",
        ),
        (
            Page(
                label=f"home, {plan.mentor_relationships} relationships",
                who=mentor,
                role="mentor",
                path="/",
            ),
            "/",
        ),
    ]
    return plan


def count_queries(plan: Plan) -> None:
    """One request's query count for each page, and for the same page with little in it."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tandem.accounts.models import User

    def queries(who: str, path: str) -> int:
        client = Client()
        client.force_login(User.objects.get(email=who))
        for _ in range(QUERY_WARMUP):
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code} to {who}, not 200")
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        return len(captured)

    for page, small_path in plan.pages:
        page.queries = queries(page.who, page.path)
        page.queries_small = queries(plan.small_who, small_path)


class Stopwatch:
    """Seconds spent in the functions it wraps (the product's own calls, timed)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        return timed


@contextmanager
def timed_email(stopwatch: Stopwatch) -> Iterator[None]:
    """Time the email deliveries the tasks run: notices' emails and message digests."""
    from tandem.core import emails
    from tandem.mentorships.messaging import digests

    originals: list[tuple[Any, str, Callable[..., Any]]] = [
        (emails, "deliver", emails.deliver),
        (digests, "message_digest_deliver", digests.message_digest_deliver),
    ]
    for module, name, function in originals:
        setattr(module, name, stopwatch.wrap(function))
    try:
        yield
    finally:
        for module, name, function in originals:
            setattr(module, name, function)


def run_sweeps(relationships: int) -> list[Sweep]:
    from django.core import mail

    from tandem.accounts.models import Notification
    from tandem.mentorships import seeding
    from tandem.mentorships.journal.reflection_notices import reflection_notices_send
    from tandem.mentorships.messaging.digests import message_digests_send
    from tandem.mentorships.sessions.reminders import agenda_reminders_send

    owed = seeding.sweep_work(relationships)
    sweeps: list[tuple[Sweep, Callable[[], int]]] = [
        (Sweep("agenda reminders", expected=owed.agenda_reminders), agenda_reminders_send),
        (Sweep("reflection notices", expected=owed.reflection_notices), reflection_notices_send),
        (Sweep("message digests", expected=owed.message_digests), message_digests_send),
    ]
    for sweep, send in sweeps:
        print(f"  sweep: {sweep.label} …", end="", flush=True)
        mail.outbox = []
        notices_before = Notification.objects.count()
        stopwatch = Stopwatch()
        with timed_email(stopwatch):
            started = time.perf_counter()
            sweep.claimed = send()
            sweep.seconds = time.perf_counter() - started
        sweep.email_seconds = stopwatch.seconds
        sweep.emails = len(mail.outbox)
        sweep.notices = Notification.objects.count() - notices_before
        mail.outbox = []
        print(f" {sweep.seconds:.1f} s")
    return [sweep for sweep, _ in sweeps]


# --- Report ---------------------------------------------------------------------------------


def report(plan: Plan, sweeps: list[Sweep], args: argparse.Namespace) -> bool:
    pages = [page for page, _ in plan.pages]
    print()
    print(
        f"Seed: the busy relationship has {plan.sessions} sessions and {plan.messages:,}"
        f" messages; the mentor is in {plan.mentor_relationships} relationships; the sweep"
        f" program has {plan.sweep_relationships:,}."
    )
    print_legend(args.rate)
    print("queries: one request's, and the same page's with little in it (a relationship of 10")
    print("sessions and 250 messages; a person in one relationship)")
    print(f"{'page':<32} {'as':<7} {'queries':>7}" + MEASUREMENT_HEADER)
    for page in pages:
        queries = f"{page.queries}/{page.queries_small}"
        print(
            f"{page.label:<32} {page.role:<7} {queries:>7}" + measurement_columns(page, args.rate)
        )
    print()
    print(f"Sweeps of {plan.sweep_relationships:,} relationships (in this process, one at a time):")
    print(
        f"{'sweep':<20} {'claimed':>8} {'owed':>8} {'notices':>8} {'emails':>8} {'wall s':>8}"
        f" {'email s':>8} {'sweep s':>8} {'ms/item':>8} {'ms/email':>8}"
    )
    for sweep in sweeps:
        own = sweep.seconds - sweep.email_seconds
        per_item = own * 1000 / sweep.claimed if sweep.claimed else float("nan")
        per_email = sweep.email_seconds * 1000 / sweep.emails if sweep.emails else float("nan")
        print(
            f"{sweep.label:<20} {sweep.claimed:>8,} {sweep.expected:>8,} {sweep.notices:>8,}"
            f" {sweep.emails:>8,} {sweep.seconds:>8.1f} {sweep.email_seconds:>8.1f}"
            f" {own:>8.1f} {per_item:>8.2f} {per_email:>8.2f}"
        )
    print("  claimed: what the sweep returns (sessions reminded, notices sent, digests claimed);")
    print("  owed: what the seed gave it to do; wall s: all of it, with the emails delivered")
    print("  inline; email s: of that, rendering and sending the emails, which in production the")
    print("  task worker does after the sweep has queued them; sweep s: the rest, the scheduler's")
    print("  own work (finding, claiming, notices, queueing), which the goal is about.")

    worst = max(pages, key=lambda p: p.percentile(95))
    slow_rate = min(pages, key=lambda p: p.rate)
    errors = sum(p.errors for p in pages)
    pages_met = (
        worst.percentile(95) < GOAL_P95_MS
        and errors == 0
        and slow_rate.rate >= GOAL_RATE * 0.95
        and args.rate >= GOAL_RATE
    )
    slowest = max(sweeps, key=lambda s: s.seconds - s.email_seconds)
    sweeps_met = (
        slowest.seconds - slowest.email_seconds < GOAL_SWEEP_SECONDS
        and all(s.claimed == s.expected for s in sweeps)
        and plan.sweep_relationships >= GOAL_RELATIONSHIPS
    )
    print()
    print(
        f"Goal p95 < {GOAL_P95_MS:.0f} ms at {GOAL_RATE:.0f} req/s on the workspace, messages and"
        f" home pages: {'MET' if pages_met else 'MISSED'} — worst p95"
        f" {worst.percentile(95):.1f} ms ({worst.label}), lowest rate {slow_rate.rate:.1f} req/s,"
        f" {errors} errors."
    )
    print(
        f"Goal each sweep of {GOAL_RELATIONSHIPS:,} relationships within"
        f" {GOAL_SWEEP_SECONDS:.0f} s (the scheduler's own work):"
        f" {'MET' if sweeps_met else 'MISSED'} — slowest {slowest.label}"
        f" {slowest.seconds - slowest.email_seconds:.1f} s; all three"
        f" {sum(s.seconds - s.email_seconds for s in sweeps):.1f} s on"
        f" {plan.sweep_relationships:,} relationships; delivering their"
        f" {sum(s.emails for s in sweeps):,} emails took {sum(s.email_seconds for s in sweeps):.1f}"
        " s more, in one process."
    )
    return pages_met and sweeps_met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/tandem_bench_workspace"
    )
    parser.add_argument("--relationships", type=int, default=GOAL_RELATIONSHIPS)
    add_load_arguments(parser, rate=GOAL_RATE)
    args = parser.parse_args()
    require_postgres(args.database_url, "bench/workspace.py")

    env = server_env(args.database_url)
    stop_on_sigterm()
    prepare_database(args.database_url, env, reseed=args.reseed)
    print("Seeding, once (later runs reuse the seed)", flush=True)
    manage(env, "seed_workspace", "--relationships", str(args.relationships))

    django_setup(args.database_url)
    from django.db import connection

    relationships = rearm_sweeps(args.relationships)
    if relationships != args.relationships:
        sys.exit(
            f"The sweep program has {relationships} relationships, not {args.relationships}."
            " Run again with --reseed."
        )
    connection.close()
    analyze(args.database_url)
    plan = plan_pages(args.relationships)
    count_queries(plan)
    connection.close()  # idle during the load: none of the server's CPU

    with serving(env, args) as server:
        cookies = {who: log_in(server.port, who) for who in {p.who for p, _ in plan.pages}}
        describe(server, args)
        for page, _ in plan.pages:
            fetch_page(server, cookies[page.who], page.path)
            print(f"  {page.label} …", end="", flush=True)
            measure(server, cookies[page.who], page, args)
            print(f" p95 {page.percentile(95):.1f} ms")
    sweeps = run_sweeps(args.relationships)
    print(f"Load average after: {os.getloadavg()[0]:.2f}")
    met = report(plan, sweeps, args)
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
