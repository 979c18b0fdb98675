from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tandem.programs.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load the demo organizations, program and people (idempotent; never in production)."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION or not (settings.DEBUG or settings.DEMO_MODE):
            raise CommandError(
                "Demo data loads only with DEBUG=1 or TANDEM_DEMO=1, never in production."
            )
        logins = load_demo()
        self.stdout.write("Demo data is loaded. Log in at /accounts/login/ with:")
        for email, what in logins.items():
            self.stdout.write(f"  {email:<26} {what}")
        self.stdout.write(f"Password for all of them: {DEMO_PASSWORD}")
