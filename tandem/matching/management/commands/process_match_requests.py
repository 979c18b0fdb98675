from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from tandem.matching.self_match import match_requests_schedule, match_requests_sweep


class Command(BaseCommand):
    help = (
        "Remind mentors of self-match requests waiting too long and expire old ones. "
        "Idempotent: run it from cron as often as you like (e.g. hourly). The task worker does "
        "the same on its own for requests sent while it was configured."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="Also queue every open request's reminder and expiry for the task worker "
            "(once, when moving from cron to the worker).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = match_requests_sweep()
        self.stdout.write(f"Reminded {result.reminded}, expired {result.expired}.")
        if options["schedule"]:
            queued = match_requests_schedule()
            self.stdout.write(f"Queued {queued} sweep{'s' if queued != 1 else ''} for the worker.")
