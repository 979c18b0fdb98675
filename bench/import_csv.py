"""Benchmark: import a 20,000-row participants CSV (issue goal: under 60 s).

Usage:
    .venv/bin/python bench/import_csv.py [--rows 20000] [--database-url URL]

Creates a fresh database (SQLite file in a temporary folder by default, or the PostgreSQL
database named in --database-url, which is dropped and recreated), a program with the demo's
sign-up questions, and a CSV with one column per question; then times the import, and a second
import of the same file (idempotent: it must change nothing). The baseline in the same run is
the time to parse and check the file alone, without writing.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="tandem-bench-")
    url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
    if url.startswith("postgres"):
        name = url.rsplit("/", 1)[-1]
        base = url.rsplit("/", 1)[0] + "/postgres"
        subprocess.run(["psql", base, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
        subprocess.run(["psql", base, "-qc", f"CREATE DATABASE {name}"], check=True)
    os.environ.update(
        DATABASE_URL=url, TANDEM_VAR_DIR=tmp, DJANGO_SETTINGS_MODULE="config.settings"
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from tandem.accounts.models import User
    from tandem.organizations.services import organization_create
    from tandem.programs.demo import GUIDELINES, create_questions, random_answers
    from tandem.programs.imports import parse_participants_csv, participants_import_csv
    from tandem.programs.models import Answer, Participant, Program, ProgramStatus

    coordinator = User.objects.create_user("bench@example.com", "bench-password-1")
    organization = organization_create(name="Bench", admin=coordinator)
    program = Program.objects.create(
        organization=organization, name="Bench", guidelines=GUIDELINES, status=ProgramStatus.OPEN
    )
    questions = create_questions(program)
    slugs = [q.slug for q in questions]
    rng = random.Random(1)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "name", "role", "capacity", *slugs])
    for i in range(args.rows):
        role = "mentor" if i % 3 == 0 else "mentee"
        answers = random_answers(rng, role)
        cells = []
        for slug in slugs:
            value = answers.get(slug, "")
            cells.append(";".join(value) if isinstance(value, list) else value)
        writer.writerow(
            [
                f"person{i:05d}@bench.example",
                f"Person {i}",
                role,
                2 if role == "mentor" else "",
                *cells,
            ]
        )
    data = out.getvalue().encode()

    started = time.perf_counter()
    parse_participants_csv(program, io.BytesIO(data))
    parse_seconds = time.perf_counter() - started

    started = time.perf_counter()
    result = participants_import_csv(
        program=program, file=io.BytesIO(data), imported_by=coordinator
    )
    first_seconds = time.perf_counter() - started
    answers_after_first = Answer.objects.count()

    started = time.perf_counter()
    again = participants_import_csv(program=program, file=io.BytesIO(data), imported_by=coordinator)
    second_seconds = time.perf_counter() - started

    engine = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(f"Import of {args.rows:,} rows ({len(data) / 1e6:.1f} MB) on {engine}")
    print(f"  baseline, parse and check only : {parse_seconds:6.2f} s")
    print(
        f"  first import (all new)         : {first_seconds:6.2f} s  "
        f"({first_seconds / parse_seconds:.1f}x the baseline) — {result.created} created"
    )
    print(
        f"  same file again (no changes)   : {second_seconds:6.2f} s  "
        f"({second_seconds / parse_seconds:.1f}x the baseline) — {again.created} created"
    )
    print(
        f"  participants {Participant.objects.count():,}, answers {Answer.objects.count():,} "
        f"(unchanged by the second import: {Answer.objects.count() == answers_after_first})"
    )
    print(f"  goal: under 60 s — {'met' if first_seconds < 60 else 'MISSED'}")


if __name__ == "__main__":
    main()
