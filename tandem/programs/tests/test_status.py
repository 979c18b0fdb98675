from django.core.exceptions import ValidationError
from django.test import TestCase
from django.urls import reverse

from tandem.core.testing import make_personas
from tandem.programs import services
from tandem.programs.models import ProgramStatus


class ProgramStatusTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def test_draft_program_opens(self):
        program = self.p.other_program
        program.status = ProgramStatus.DRAFT
        program.save()
        services.program_set_status(program=program, status=ProgramStatus.OPEN)
        program.refresh_from_db()
        self.assertEqual(program.status, ProgramStatus.OPEN)

    def test_closed_program_cannot_reopen(self):
        program = self.p.program
        services.program_set_status(program=program, status=ProgramStatus.CLOSED)
        with self.assertRaisesMessage(ValidationError, "cannot become open for enrolment"):
            services.program_set_status(program=program, status=ProgramStatus.OPEN)
        program.refresh_from_db()
        self.assertEqual(program.status, ProgramStatus.CLOSED)

    def test_draft_cannot_jump_to_running_through_the_page(self):
        program = self.p.program
        program.status = ProgramStatus.DRAFT
        program.save()
        self.client.force_login(self.p.coordinator)
        response = self.client.post(
            reverse("programs:status", args=[program.pk]), {"status": "running"}, follow=True
        )
        self.assertContains(response, "A draft program cannot become running.")
        program.refresh_from_db()
        self.assertEqual(program.status, ProgramStatus.DRAFT)
