"""Benchmark: a smart-match run of a 20,000-participant program, end to end, on PostgreSQL.

Usage:
    make bench-match-run
    .venv/bin/python bench/match_run.py [--database-url postgres://postgres@127.0.0.1:5432/tandem_bench]
        [--participants 20000] [--baseline 2000] [--requests 50] [--reseed] [--strict]

What it does:
1. Creates, migrates and seeds the database as bench/pages.py does (its helpers, the same
   database and programs): a program of --participants joined participants and a baseline
   program of --baseline, each seeded once (`manage.py seed_program --name ...`) and reused.
2. Gives each program realistic matching rules built from the seeded sign-up questions
   (tandem/programs/demo.py): shared skills (goals ↔ expertise, weight 3), a common language
   (required), close time zones, another department, a more experienced mentor. Runs left by
   an earlier bench of these programs are deleted first (with their drafts).
3. Runs smart match on the unmatched cohort as the product does it, in this process:
   `match_run_start` (the click: snapshot the rules and the cohort) and `match_run_execute`
   (what the task worker does: the engine, then publishing the drafts in one transaction).
   The task queue is a dummy here, so no task row is left for a worker; a real deployment adds
   the worker's pick-up delay (about a second with `manage.py db_worker`).
4. Prints the split — load (building the problem from the database, and storing the snapshot),
   engine (solve), store (publishing drafts), total from click to stored drafts — and then, after
   vacuuming the drafts table (what autovacuum does within a minute of a run), the
   coordinator's pages of the run through Django's test client (DEBUG off, logged in as
   seed-coordinator@example.com): the drafts page (page 1, a middle page) and one draft,
   --requests sequential requests each after a warm-up, p50/p95/max in ms and query counts.
5. The goal line: click to stored drafts within 30 s, and the drafts page p95 under 100 ms,
   on the large program. The baseline program is measured the same way in the same run.

The machine's load average is printed first: other work on it skews the figures.
--strict exits with status 1 when the goal is missed.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _serve import analyze, ensure_database, manage  # noqa: E402
from pages import seeded_program  # noqa: E402

COORDINATOR = "seed-coordinator@example.com"
GOAL_RUN_SECONDS = 30.0
GOAL_PAGE_P95_MS = 100.0
WARMUP_REQUESTS = 5

RULES: list[dict[str, Any]] = [
    {
        "name": "Shared skills",
        "type": "overlap",
        "mentee_attribute": "goals",
        "mentor_attribute": "expertise",
        "weight": 3.0,
    },
    {
        "name": "A common language",
        "type": "same",
        "mentee_attribute": "languages",
        "mentor_attribute": "languages",
        "required": True,
    },
    {
        "name": "Close time zones",
        "type": "near",
        "mentee_attribute": "timezone",
        "mentor_attribute": "timezone",
        "weight": 2.0,
        "within": 4.0,
    },
    {
        "name": "Another department",
        "type": "different",
        "mentee_attribute": "department",
        "mentor_attribute": "department",
    },
    {
        "name": "A more experienced mentor",
        "type": "range",
        "mentee_attribute": "years_experience",
        "mentor_attribute": "years_experience",
        "min_value": 3.0,
        "max_value": 25.0,
    },
]


@dataclass
class PageTiming:
    label: str
    path: str
    queries: int = 0
    ms: list[float] = field(default_factory=list)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


@dataclass
class Figures:
    participants: int
    mentees: int = 0
    mentors: int = 0
    drafts: int = 0
    unmatched: int = 0
    allowed_pairs: int = 0
    build: float = 0.0  # building the problem from the database
    load: float = 0.0  # match_run_start in all: the build, and storing the snapshot
    engine: float = 0.0
    store: float = 0.0
    execute: float = 0.0  # match_run_execute in all: claim, read the snapshot, engine, store
    snapshot_mb: float = 0.0
    pages: list[PageTiming] = field(default_factory=list)

    @property
    def total(self) -> float:
        return self.load + self.execute


class Stopwatch:
    """Seconds spent in the functions it wraps, by name (the product's own calls, timed)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

        return timed


@contextmanager
def timed_services(stopwatch: Stopwatch) -> Iterator[None]:
    """Time the three stages inside the services without changing what they do."""
    from tandem.matching import services

    originals: dict[str, Callable[..., Any]] = {
        "build_problem": services.build_problem,
        "solve_document": services.solve_document,
        "_publish": services._publish,
    }
    for name, function in originals.items():
        setattr(services, name, stopwatch.wrap(name, function))
    try:
        yield
    finally:
        for name, function in originals.items():
            setattr(services, name, function)


def configure_rules(program: Any, coordinator: Any) -> None:
    from tandem.matching import services
    from tandem.matching.models import MatchRun
    from tandem.matching.problems import rules_for

    MatchRun.objects.filter(program=program).delete()  # earlier bench runs, with their drafts
    rules = rules_for(program)
    rules.criteria.all().delete()
    rules.pair_rules.all().delete()
    services.rules_update(
        program=program, fields={"objective": "fair", "min_score": 0.0}, actor=coordinator
    )
    for rule in RULES:
        services.criterion_create(program=program, actor=coordinator, **rule)


def time_page(client: Any, label: str, path: str, requests: int) -> PageTiming:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timing = PageTiming(label=label, path=path)
    for _ in range(WARMUP_REQUESTS):
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}, not 200")
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    timing.queries = len(queries)
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        timing.ms.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return timing


def measure(name: str, requests: int) -> Figures:
    from django.db import connection
    from django.test import Client

    from tandem.accounts.models import User
    from tandem.matching import services
    from tandem.matching.models import DraftMatch, MatchRun, RunStatus
    from tandem.matching.problems import Segment
    from tandem.matching.selectors import DRAFTS_PER_PAGE
    from tandem.programs.models import Program

    program = Program.objects.get(name=name)
    coordinator = User.objects.get(email=COORDINATOR)
    figures = Figures(participants=program.participants.count())
    configure_rules(program, coordinator)

    stopwatch = Stopwatch()
    with timed_services(stopwatch):
        started = time.perf_counter()
        run = services.match_run_start(
            program=program, started_by=coordinator, segment=Segment(scope="unmatched")
        )
        figures.load = time.perf_counter() - started
        started = time.perf_counter()
        services.match_run_execute(run_id=run.pk)
        figures.execute = time.perf_counter() - started
    figures.build = stopwatch.seconds["build_problem"]
    figures.engine = stopwatch.seconds["solve_document"]
    figures.store = stopwatch.seconds["_publish"]

    run = MatchRun.objects.defer("problem", "result").get(pk=run.pk)
    if run.status != RunStatus.DONE:
        raise RuntimeError(f"The run of {name} ended {run.status}: {run.error}")
    figures.mentees, figures.mentors = run.stats["mentees"], run.stats["mentors"]
    figures.allowed_pairs = run.stats["allowed_pairs"]
    figures.drafts = DraftMatch.objects.filter(run=run).count()
    figures.unmatched = len(run.unmatched)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_size(problem) FROM matching_matchrun WHERE id = %s", [run.pk]
        )
        figures.snapshot_mb = cursor.fetchone()[0] / 1e6

    # The pages are timed as a coordinator meets them a minute after the run: by then
    # autovacuum has visited the freshly written drafts (PostgreSQL's default naptime is 60 s and
    # thousands of inserted rows pass its threshold). Done here at once, so that the drafts
    # page's counts and page are index-only scans as they will be, not heap visits.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) matching_draftmatch")

    client = Client()
    client.force_login(coordinator)
    base = f"/programs/{program.pk}/matching/runs/{run.pk}/"
    middle = max(1, figures.drafts // DRAFTS_PER_PAGE // 2)
    draft = DraftMatch.objects.filter(run=run).order_by("-score", "id").first()
    assert draft is not None
    figures.pages = [
        time_page(client, "drafts, page 1", base, requests),
        time_page(client, f"drafts, page {middle}", f"{base}?page={middle}", requests),
        time_page(
            client, "one draft", f"/programs/{program.pk}/matching/drafts/{draft.pk}/", requests
        ),
    ]
    return figures


def report(large: Figures, small: Figures) -> bool:
    print()
    print(f"{'participants':>12} {'mentees':>8} {'mentors':>8} {'drafts':>7} {'unmatched':>9}")
    for f in (large, small):
        print(
            f"{f.participants:>12,} {f.mentees:>8,} {f.mentors:>8,} {f.drafts:>7,}"
            f" {f.unmatched:>9,}  ({f.allowed_pairs:,} allowed pairs, snapshot"
            f" {f.snapshot_mb:.1f} MB)"
        )
    print()
    print("Smart-match run, seconds (click to stored drafts):")
    print(f"{'participants':>12} {'load':>7} {'engine':>7} {'store':>7} {'other':>7} {'total':>7}")
    for f in (large, small):
        other = f.total - f.load - f.engine - f.store
        print(
            f"{f.participants:>12,} {f.load:>7.2f} {f.engine:>7.2f} {f.store:>7.2f}"
            f" {other:>7.2f} {f.total:>7.2f}   (load: building the problem {f.build:.2f},"
            f" storing the snapshot {f.load - f.build:.2f})"
        )
    print("  other: claiming the run and reading its snapshot back in the worker.")
    print()
    print("Pages of the run, ms (sequential requests, Django test client):")
    print(f"{'participants':>12}  {'page':<18} {'queries':>7} {'p50':>7} {'p95':>7} {'max':>7}")
    for f in (large, small):
        for page in f.pages:
            print(
                f"{f.participants:>12,}  {page.label:<18} {page.queries:>7} "
                f"{page.percentile(50):>7.1f} {page.percentile(95):>7.1f} {max(page.ms):>7.1f}"
            )
    drafts_p95 = max(p.percentile(95) for p in large.pages if p.label.startswith("drafts"))
    met = large.total < GOAL_RUN_SECONDS and drafts_p95 < GOAL_PAGE_P95_MS
    product = large.total - large.engine
    print()
    print(
        f"Of the {large.total:.1f} s on the {large.participants:,}-participant program, the engine"
        f" took {large.engine:.1f} s and the product around it (load, store, other)"
        f" {product:.1f} s."
    )
    print(
        f"Goal on the {large.participants:,}-participant program: click to stored drafts within"
        f" {GOAL_RUN_SECONDS:.0f} s and the drafts page p95 < {GOAL_PAGE_P95_MS:.0f} ms:"
        f" {'MET' if met else 'MISSED'} — {large.total:.1f} s, drafts page p95"
        f" {drafts_p95:.1f} ms. Scaling x{large.participants / small.participants:.0f}"
        f" participants: run x{large.total / small.total:.1f}."
    )
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/tandem_bench")
    parser.add_argument("--participants", type=int, default=20_000)
    parser.add_argument("--baseline", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--reseed", action="store_true", help="drop the database and seed again")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the goal is missed")
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/match_run.py measures PostgreSQL: give a postgres:// --database-url")

    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "testserver",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "LOG_LEVEL": "WARNING",
        "AXES_ENABLED": "0",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    ensure_database(args.database_url, reseed=args.reseed)
    try:
        manage(env, "migrate", "--no-input", "--verbosity=0")
    except Exception:
        sys.exit("Migrating the bench database failed. Run again with --reseed.")
    large = seeded_program(args.database_url, env, args.participants)
    small = seeded_program(args.database_url, env, args.baseline)
    analyze(args.database_url)

    os.environ.update(env)
    import django
    from django.conf import settings

    django.setup()
    # The bench plays the worker itself (match_run_execute below): queue nothing for a real one.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}

    print(f"Load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
    figures = []
    for program in (large, small):
        print(f"  run of {program.label} participants …", end="", flush=True)
        name = f"Bench program ({program.participants} participants)"
        figures.append(measure(name, args.requests))
        print(f" {figures[-1].total:.1f} s", flush=True)
    print(f"Load average after: {os.getloadavg()[0]:.2f}")
    met = report(figures[0], figures[1])
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
