"""The demo data `make run` loads: what the README promises, and safe to load twice."""

from __future__ import annotations

import os
import random
from unittest import mock

from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import SimpleTestCase, TestCase

from tandem.accounts.models import User
from tandem.organizations.models import Membership, Role
from tandem.programs.demo import DEMO_PASSWORD, FIRST, LAST, load_demo, person_names
from tandem.programs.models import AgendaTemplate, Answer, Participant, ParticipantRole, Program


def _counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (User, Membership, Program, Participant, Answer, AgendaTemplate)
    )


class DemoTests(TestCase):
    def test_the_logins_of_the_readme_work_with_the_demo_password(self):
        logins = load_demo()
        self.assertEqual(
            set(logins),
            {
                "admin@example.com",
                "coordinator@example.com",
                "mentor@example.com",
                "mentee@example.com",
                "outsider@example.org",
            },
        )
        for email in logins:
            with self.subTest(email=email):
                self.assertIsNotNone(authenticate(username=email, password=DEMO_PASSWORD))
        self.assertTrue(
            Membership.objects.filter(
                user__email="outsider@example.org", organization__name="Globex", role=Role.ADMIN
            ).exists()
        )

    def test_the_program_has_its_questions_and_people_with_different_names(self):
        load_demo()
        program = Program.objects.get(name="Graduate Mentoring 2027")
        self.assertGreaterEqual(program.questions.count(), 8)
        participants = program.participants.select_related("user")
        mentors = participants.filter(role=ParticipantRole.MENTOR).count()
        mentees = participants.filter(role=ParticipantRole.MENTEE).count()
        self.assertEqual((mentors, mentees), (31, 61))  # 30 + 60 generated, and the two logins
        names = [p.user.full_name for p in participants]
        self.assertEqual(len(set(names)), len(names))
        self.assertTrue(Answer.objects.filter(participant__program=program).exists())

    def test_the_program_ships_four_agenda_templates_in_order(self):
        load_demo()
        program = Program.objects.get(name="Graduate Mentoring 2027")
        titles = list(program.agenda_templates.values_list("title", flat=True))
        self.assertEqual(
            titles,
            [
                "First session: getting to know each other",
                "Setting goals",
                "Mid-point review",
                "Wrapping up",
            ],
        )
        self.assertTrue(all(t.prompts for t in program.agenda_templates.all()))

    def test_loading_twice_adds_nothing(self):
        load_demo()
        before = _counts()
        load_demo()
        self.assertEqual(_counts(), before)


class PersonNamesTests(TestCase):
    def test_names_differ_until_every_combination_is_used(self):
        combinations = len(FIRST) * len(LAST)
        names = list(person_names(random.Random(1), combinations + 5))
        self.assertEqual(len(set(names[:combinations])), combinations)
        self.assertEqual(names[combinations:], names[:5])  # then round again


class RunDemoTests(SimpleTestCase):
    def test_the_server_and_the_worker_are_told_the_port(self):
        # The worker sends the emails: it must build their links for the port being served.
        with (
            mock.patch.dict(os.environ, {"PORT": "8000"}),
            mock.patch("subprocess.Popen") as popen,
            mock.patch("subprocess.run") as run,
        ):
            call_command("run_demo", port="9000")
        self.assertEqual(popen.call_args.kwargs["env"]["PORT"], "9000")
        self.assertEqual(run.call_args.kwargs["env"]["PORT"], "9000")
        self.assertIn("127.0.0.1:9000", run.call_args.args[0])
