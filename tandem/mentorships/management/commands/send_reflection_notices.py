from typing import Any

from django.core.management.base import BaseCommand

from tandem.mentorships.journal.reflection_notices import reflection_notices_send


class Command(BaseCommand):
    help = (
        "Tell members of recently held sessions that their reflection is due (once each). "
        "Idempotent: run it from cron as often as you like; the task worker does the same."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = reflection_notices_send()
        self.stdout.write(f"Sent {sent} reflection notice{'s' if sent != 1 else ''}.")
