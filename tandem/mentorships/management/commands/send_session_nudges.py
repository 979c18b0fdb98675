from typing import Any

from django.core.management.base import BaseCommand

from tandem.mentorships.sessions.nudges import session_nudges_send


class Command(BaseCommand):
    help = (
        "Nudge the mentees of relationships with no session planned for the program's days "
        "(once per gap). Idempotent: run it from cron as often as you like; the task worker "
        "does the same."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = session_nudges_send()
        self.stdout.write(f"Nudged {sent} relationship{'s' if sent != 1 else ''}.")
