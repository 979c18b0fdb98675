"""The bench seed (`manage.py seed_workspace`, bench/workspace.py): made once, the busy
relationship as the bench reports it, and every sweep given the work the bench counts on,
again after each re-arm."""

from __future__ import annotations

import io

from django.core import mail
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from tandem.accounts.models import Notification, User
from tandem.mentorships import seeding
from tandem.mentorships.journal.reflection_notices import reflection_notices_send
from tandem.mentorships.messaging.digests import message_digests_send
from tandem.mentorships.models import Message, Relationship, Session
from tandem.mentorships.sessions.reminders import agenda_reminders_send
from tandem.programs.models import Program

SWEEP_RELATIONSHIPS = 3


def seed() -> None:
    call_command("seed_workspace", relationships=SWEEP_RELATIONSHIPS, stdout=io.StringIO())


class SeedWorkspaceTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        seed()
        cls.sweep = Program.objects.get(name=seeding.sweep_program_name(SWEEP_RELATIONSHIPS))

    def test_a_second_run_adds_nothing(self):
        tables = (User, Relationship, Session, Message, Notification)
        before = [model.objects.count() for model in tables]
        seed()
        self.assertEqual([model.objects.count() for model in tables], before)

    def test_the_busy_relationship_and_the_mentor_are_as_the_bench_reports_them(self):
        busy = Relationship.objects.get(members__participant__user__email=seeding.BUSY_MENTEE)
        self.assertEqual(busy.sessions.count(), seeding.BUSY_SESSIONS)
        self.assertEqual(busy.messages.count(), seeding.BUSY_MESSAGES)
        mentor = User.objects.get(email=seeding.MENTOR)
        self.assertEqual(Relationship.objects.of_user(mentor).count(), seeding.MENTOR_RELATIONSHIPS)
        self.assertTrue(mentor.check_password("tandem-demo"))
        self.assertTrue(User.objects.get(email=seeding.BUSY_MENTEE).time_zone)

    def sweep_all(self) -> list[int]:
        with self.captureOnCommitCallbacks(execute=True):
            return [agenda_reminders_send(), reflection_notices_send(), message_digests_send()]

    def test_each_sweep_does_what_it_is_owed_once_and_again_after_a_rearm(self):
        owed = seeding.sweep_work(SWEEP_RELATIONSHIPS)
        expected = [owed.agenda_reminders, owed.reflection_notices, owed.message_digests]
        self.assertEqual(expected, [3, 6, 3])
        self.assertEqual(self.sweep_all(), expected)
        self.assertEqual(len(mail.outbox), sum(expected))
        self.assertEqual(self.sweep_all(), [0, 0, 0])  # all claimed

        seeding.sweep_work_rearm(self.sweep, now=timezone.now())
        mail.outbox = []
        self.assertEqual(self.sweep_all(), expected)
        self.assertEqual(len(mail.outbox), sum(expected))
