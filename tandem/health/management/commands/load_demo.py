from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError

from tandem.health.demo import load_health_demo
from tandem.mentorships.demo import load_workspace_demo
from tandem.programs.demo import DEMO_PASSWORD, DEMO_PROGRAM, load_demo
from tandem.programs.models import Program


class Command(BaseCommand):
    help = (
        "Load the demo organizations, programs and people, what happened after the match, and "
        "the program's health (idempotent; never in production)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION or not (settings.DEBUG or settings.DEMO_MODE):
            raise CommandError(
                "Demo data loads only with DEBUG=1 or TANDEM_DEMO=1, never in production."
            )
        logins = load_demo()
        program = Program.objects.get(name=DEMO_PROGRAM)
        load_workspace_demo(program, password_hash=make_password(DEMO_PASSWORD))
        load_health_demo(program)
        self.stdout.write("Demo data is loaded. Log in at /accounts/login/ with:")
        for email, what in logins.items():
            self.stdout.write(f"  {email:<26} {what}")
        self.stdout.write(f"Password for all of them: {DEMO_PASSWORD}")
