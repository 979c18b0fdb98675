from typing import Any

from django.core.management.base import BaseCommand

from tandem.mentorships.sessions.reminders import agenda_reminders_send


class Command(BaseCommand):
    help = (
        "Remind mentees whose session agenda is due and not sent (once per session). "
        "Idempotent: run it from cron as often as you like; the task worker does the same."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        reminded = agenda_reminders_send()
        self.stdout.write(f"Reminded about {reminded} session{'s' if reminded != 1 else ''}.")
