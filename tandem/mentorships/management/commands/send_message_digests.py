from typing import Any

from django.core.management.base import BaseCommand

from tandem.mentorships.messaging.digests import message_digests_send


class Command(BaseCommand):
    help = (
        "Email each member the digest of new messages that is due (hourly or daily, as they "
        "chose; once per period). Idempotent: run it from cron as often as you like; the task "
        "worker does the same."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = message_digests_send()
        self.stdout.write(f"Sent {sent} message digest{'s' if sent != 1 else ''}.")
