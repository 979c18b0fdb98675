from typing import Any

from django.core.management.base import BaseCommand

from tandem.support.checkins.schedule import checkin_reminders_send, checkins_send


class Command(BaseCommand):
    help = (
        "Ask members for the check-in of the round they are in, and remind once those who "
        "have not answered in a week. Idempotent: run it from cron daily or as often as you "
        "like; the task worker does the same."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        asked = checkins_send()
        reminded = checkin_reminders_send()
        self.stdout.write(
            f"Asked {asked} check-in{'s' if asked != 1 else ''}, reminded {reminded}."
        )
