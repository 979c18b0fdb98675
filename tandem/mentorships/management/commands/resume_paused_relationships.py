from typing import Any

from django.core.management.base import BaseCommand

from tandem.mentorships.lifecycle.resumes import paused_relationships_resume


class Command(BaseCommand):
    help = (
        "Resume the paused relationships whose resume date has come. Idempotent: run it from "
        "cron daily or as often as you like; the task worker does the same."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        resumed = paused_relationships_resume()
        self.stdout.write(f"Resumed {resumed} relationship{'s' if resumed != 1 else ''}.")
