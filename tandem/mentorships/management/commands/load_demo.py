from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError

from tandem.mentorships.demo import load_workspace_demo
from tandem.programs.demo import DEMO_PASSWORD, DEMO_PROGRAM, load_demo
from tandem.programs.models import Program


class Command(BaseCommand):
    help = (
        "Load the demo organizations, programs and people, and what happened after the match "
        "(idempotent; never in production)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION or not (settings.DEBUG or settings.DEMO_MODE):
            raise CommandError(
                "Demo data loads only with DEBUG=1 or TANDEM_DEMO=1, never in production."
            )
        logins = load_demo()
        load_workspace_demo(
            Program.objects.get(name=DEMO_PROGRAM), password_hash=make_password(DEMO_PASSWORD)
        )
        self.stdout.write("Demo data is loaded. Log in at /accounts/login/ with:")
        for email, what in logins.items():
            self.stdout.write(f"  {email:<26} {what}")
        self.stdout.write(f"Password for all of them: {DEMO_PASSWORD}")
