import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tandem.mentorships import seeding


class Command(BaseCommand):
    help = (
        "Create, once, a busy mentoring workspace and a program of many relationships whose "
        "agenda, reflection and digest sweeps have work to do, for performance work "
        "(bench/workspace.py). Running it again reuses both."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--relationships", type=int, default=20000)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        workspace = seeding.workspace_seed()
        self.stdout.write(
            f"Program {workspace.pk} “{workspace.name}”: {seeding.MENTOR} in "
            f"{workspace.relationships.count()} relationships, {seeding.BUSY_MENTEE} in the busy "
            f"one ({time.perf_counter() - started:.1f} s)."
        )
        started = time.perf_counter()
        sweep = seeding.sweep_seed(options["relationships"])
        self.stdout.write(
            f"Program {sweep.pk} “{sweep.name}”: {sweep.relationships.count()} relationships "
            f"({time.perf_counter() - started:.1f} s). Password for all: tandem-demo"
        )
