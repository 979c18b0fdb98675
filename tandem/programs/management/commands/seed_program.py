import time
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandParser

from tandem.organizations.models import Membership, Organization, Role
from tandem.programs.demo import DEMO_PASSWORD, GUIDELINES, populate_program, user_with_password
from tandem.programs.models import Program, ProgramStatus


class Command(BaseCommand):
    help = "Create a large program with joined, answered participants, for performance work."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--participants", type=int, default=20000)
        parser.add_argument("--mentor-share", type=float, default=1 / 3)
        parser.add_argument("--name", default="Seeded program")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        password_hash = make_password(DEMO_PASSWORD)
        organization, _ = Organization.objects.get_or_create(
            slug="seedville", defaults={"name": "Seedville"}
        )
        coordinator = user_with_password(
            "seed-coordinator@example.com", "Seed Coordinator", password_hash
        )
        Membership.objects.get_or_create(
            organization=organization, user=coordinator, defaults={"role": Role.COORDINATOR}
        )
        program, created = Program.objects.get_or_create(
            organization=organization,
            name=options["name"],
            defaults={"guidelines": GUIDELINES, "status": ProgramStatus.OPEN},
        )
        program.coordinators.add(coordinator)
        total = options["participants"]
        mentors = round(total * options["mentor_share"])
        if created:
            populate_program(
                program=program,
                mentors=mentors,
                mentees=total - mentors,
                seed=options["seed"],
                email_domain="seedville.example",
                password_hash=password_hash,
                prefix=f"p{program.pk}-",
            )
        self.stdout.write(
            f"Program {program.pk} “{program.name}”: {program.participants.count()} participants "
            f"({time.perf_counter() - started:.1f} s). Coordinator: seed-coordinator@example.com"
        )
