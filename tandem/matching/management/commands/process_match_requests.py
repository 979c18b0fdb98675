from typing import Any

from django.core.management.base import BaseCommand

from tandem.matching.self_match import match_requests_sweep


class Command(BaseCommand):
    help = (
        "Remind mentors of self-match requests waiting too long and expire old ones. "
        "Idempotent: run it from cron as often as you like (e.g. hourly)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = match_requests_sweep()
        self.stdout.write(f"Reminded {result.reminded}, expired {result.expired}.")
