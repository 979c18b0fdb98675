"""Check-ins: their rounds, asked once each from the sweep, cron and the worker at advanced
times (through a real SMTP server on loopback), one reminder, none while paused; answering once
while the round lasts; for the coordinators only, never the partner."""

from __future__ import annotations

import datetime
import io
from unittest import mock

from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.http import Http404
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import Notification
from tandem.core.testing import make_personas, run_task_worker
from tandem.mentorships.models import Relationship, RelationshipStatus
from tandem.mentorships.services import relationship_create
from tandem.mentorships.tests.pairs import mia_and_marco
from tandem.mentorships.tests.worker import WorkerSmtpTestCase, smtp_server
from tandem.support.checkins import schedule, services
from tandem.support.models import CheckIn

__all__ = ["smtp_server"]  # the pytest fixture, used by name

DAY = datetime.timedelta(days=1)


class RoundTests(TestCase):
    def test_round_one_starts_on_the_first_day_then_one_every_n_days(self):
        start = datetime.date(2030, 1, 1)
        on = lambda days: schedule.round_on(  # noqa: E731 - a local shorthand
            start, start + datetime.timedelta(days=days), first=30, every=60
        )
        self.assertEqual([on(29), on(30), on(89), on(90), on(150)], [None, 1, 1, 2, 3])
        self.assertEqual(
            schedule.round_day(start, 2, first=30, every=60),
            datetime.date(2030, 4, 1),  # 30 + 60 days on
        )


class CheckInSweepTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def setUp(self):
        self.relationship = mia_and_marco(self.p)
        self.start = timezone.now()

    def at(self, days: float) -> datetime.datetime:
        return self.start + datetime.timedelta(days=days)

    def sweep(self, days: float) -> int:
        with self.captureOnCommitCallbacks(execute=True):
            return schedule.checkins_send(now=self.at(days))

    def remind(self, days: float) -> int:
        with self.captureOnCommitCallbacks(execute=True):
            return schedule.checkin_reminders_send(now=self.at(days))

    def test_each_member_is_asked_once_a_round(self):
        self.assertEqual(self.sweep(29), 0)
        self.assertEqual(self.sweep(30), 2)
        self.assertEqual(self.sweep(31), 0)
        self.assertEqual(self.sweep(90), 2)
        self.assertEqual(
            sorted(CheckIn.objects.values_list("user__email", "round")),
            sorted((user.email, n) for user in (self.p.mentee, self.p.mentor) for n in (1, 2)),
        )
        subjects = [m.subject for m in mail.outbox]
        self.assertEqual(subjects, ["How is your mentoring going?"] * 4)

    def test_a_paused_relationship_is_not_asked_and_a_missed_round_is_skipped(self):
        Relationship.objects.filter(pk=self.relationship.pk).update(
            status=RelationshipStatus.PAUSED
        )
        self.assertEqual(self.sweep(30), 0)
        Relationship.objects.filter(pk=self.relationship.pk).update(
            status=RelationshipStatus.ACTIVE
        )
        self.assertEqual(self.sweep(95), 2)
        self.assertEqual(set(CheckIn.objects.values_list("round", flat=True)), {2})

    def test_one_reminder_a_week_after_an_unanswered_ask(self):
        self.sweep(30)
        mia = CheckIn.objects.get(user=self.p.mentee)
        services.checkin_answer(checkin=mia, user=self.p.mentee, score=4, comment="")
        self.assertEqual(self.remind(36), 0)
        self.assertEqual(self.remind(37), 1)  # Marco, who has not answered
        self.assertEqual(self.remind(40), 0)
        self.assertEqual(
            list(Notification.objects.filter(kind="checkin_reminder").values_list("user__email")),
            [(self.p.mentor.email,)],
        )

    def test_the_command_asks_like_the_sweep(self):
        with mock.patch("django.utils.timezone.now", return_value=self.at(30)):
            out = io.StringIO()
            call_command("send_checkins", stdout=out)
            call_command("send_checkins", stdout=out)
        self.assertEqual(
            out.getvalue(), "Asked 2 check-ins, reminded 0.\nAsked 0 check-ins, reminded 0.\n"
        )


class AnswerTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.relationship = mia_and_marco(cls.p)

    def setUp(self):
        self.checkin = CheckIn.objects.create(
            relationship=self.relationship, user=self.p.mentee, round=1, asked_at=timezone.now()
        )

    def answer(self, **kwargs):
        values = {"score": 2, "comment": "He cancels a lot."}
        return services.checkin_answer(
            checkin=self.checkin, user=self.p.mentee, **{**values, **kwargs}
        )

    def test_a_score_from_1_to_5_once_and_a_low_score_is_flagged(self):
        with self.assertRaisesMessage(ValidationError, "from 1 to 5"):
            self.answer(score=6)
        answered = self.answer()
        self.assertTrue(answered.is_low)
        with self.assertRaisesMessage(ValidationError, "answered this check-in already"):
            self.answer(score=5)
        self.checkin.refresh_from_db()
        self.assertEqual(self.checkin.score, 2)

    def test_an_answer_after_the_next_round_began_is_refused(self):
        Relationship.objects.filter(pk=self.relationship.pk).update(
            started_on=timezone.localdate() - datetime.timedelta(days=95)
        )
        self.checkin.refresh_from_db()
        with self.assertRaisesMessage(ValidationError, "has closed"):
            self.answer()
        self.checkin.refresh_from_db()
        self.assertIsNone(self.checkin.answered_at)

    def test_only_its_member_opens_it_and_the_coordinator_reads_it(self):
        for user in (self.p.mentor, self.p.coordinator, self.p.outsider):
            with self.assertRaises(Http404):
                services.checkin_of(user, self.p.program.pk, self.checkin.pk)
        self.answer(comment="canary-checkin-comment-4d2")
        self.client.force_login(self.p.coordinator)
        page = self.client.get(reverse("support:checkins", args=[self.p.program.pk]))
        self.assertContains(page, "canary-checkin-comment-4d2")
        self.assertContains(page, "1 low score")
        self.client.force_login(self.p.mentor)
        workspace = self.client.get(
            reverse("mentorships:relationship", args=[self.relationship.pk])
        )
        self.assertNotContains(workspace, "canary-checkin-comment-4d2")

    def test_the_form_names_the_field_and_keeps_the_comment(self):
        self.client.force_login(self.p.mentee)
        url = reverse("support:checkin", args=[self.p.program.pk, self.checkin.pk])
        response = self.client.post(url, {"comment": "Fine, 🙂; thanks"})
        self.assertContains(response, "This field is required")
        self.assertContains(response, "Fine, 🙂; thanks")
        response = self.client.post(url, {"score": "4", "comment": "Fine"})
        self.assertRedirects(response, reverse("programs:my_program", args=[self.p.program.pk]))


class WorkerCheckInTests(WorkerSmtpTestCase):
    """With the database task backend and only its worker: a match queues its first check-in
    for its day; asking queues the reminder and the next round; through loopback SMTP."""

    def test_the_worker_asks_on_the_day_reminds_once_and_asks_the_next_round(self):
        relationship = relationship_create(
            program=self.p.program,
            mentor=self.p.mentor_participant,
            mentees=[self.p.mentee_participant],
            source="manual",
            created_by=self.p.coordinator,
            notify=False,
        )
        first_day = datetime.datetime.combine(
            relationship.started_on + datetime.timedelta(days=30),
            datetime.time(),
            tzinfo=timezone.get_current_timezone(),
        )
        both = sorted([self.p.mentee.email, self.p.mentor.email])
        self.clock.moment = first_day - datetime.timedelta(hours=1)
        run_task_worker()
        self.assertEqual(self.delivered("How is your mentoring going?"), [])
        self.clock.moment = first_day
        run_task_worker()
        call_command("send_checkins", stdout=io.StringIO())  # cron as well: harmless
        self.assertEqual(self.delivered("How is your mentoring going?"), both)
        mia = CheckIn.objects.get(user=self.p.mentee)
        services.checkin_answer(checkin=mia, user=self.p.mentee, score=5, comment="")
        self.clock.moment = first_day + schedule.REMIND_AFTER
        run_task_worker()
        self.assertEqual(self.delivered("Your check-in is still open"), [self.p.mentor.email])
        self.clock.moment = first_day + 60 * DAY
        run_task_worker()
        self.assertEqual(self.delivered("How is your mentoring going?"), sorted(both * 2))
