"""The mentee's nudge when nothing is planned, and the paused relationship that resumes by
itself on its date: once per gap (or per date) from the sweep, cron and the task worker at
advanced times alike, through a real SMTP server on loopback; never for a paused or concluded
relationship, never to the mentor."""

from __future__ import annotations

import datetime
import io
from unittest import mock

from django.core import mail
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tandem.accounts.models import Notification
from tandem.core.testing import make_personas, run_task_worker
from tandem.mentorships.lifecycle import changes
from tandem.mentorships.lifecycle.resumes import paused_relationships_resume, resume_paused
from tandem.mentorships.models import (
    Relationship,
    RelationshipStatus,
    RelationshipStatusChange,
    SessionNudge,
    SessionStatus,
)
from tandem.mentorships.sessions import outcomes, proposing
from tandem.mentorships.sessions.nudges import nudge_sessions, session_nudges_send
from tandem.mentorships.tests.journal import held_session, scheduled_session
from tandem.mentorships.tests.pairs import DAY, HOUR, mia_and_marco, next_week, times
from tandem.mentorships.tests.worker import WorkerSmtpTestCase, smtp_server

__all__ = ["smtp_server"]  # the pytest fixture, used by name


def nudges_to(user) -> int:
    return Notification.objects.filter(user=user, kind="session_nudge").count()


class NudgeTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def setUp(self):
        self.relationship = mia_and_marco(self.p)
        self.started = datetime.datetime.combine(
            self.relationship.started_on, datetime.time(), tzinfo=timezone.get_current_timezone()
        )
        self.days = datetime.timedelta(days=self.p.program.mentor_prompt_after_days)

    def sweep(self, now: datetime.datetime) -> int:
        with self.captureOnCommitCallbacks(execute=True):
            return session_nudges_send(now=now)

    def test_no_first_session_planned_nudges_the_mentee_once_on_the_day(self):
        self.assertEqual(self.sweep(self.started + self.days - HOUR), 0)
        self.assertEqual(self.sweep(self.started + self.days), 1)
        self.assertEqual(self.sweep(self.started + self.days + DAY), 0)
        self.assertEqual((nudges_to(self.p.mentee), nudges_to(self.p.mentor)), (1, 0))
        self.assertEqual([m.subject for m in mail.outbox], ["Schedule your first session"])
        self.assertEqual(mail.outbox[0].to, [self.p.mentee.email])

    def test_a_session_to_come_or_proposed_holds_the_nudge_back(self):
        scheduled_session(self.relationship)
        self.assertEqual(self.sweep(self.started + self.days), 0)
        self.relationship.sessions.update(
            status=SessionStatus.PROPOSED, starts_at=None, ends_at=None
        )
        self.assertEqual(self.sweep(self.started + self.days), 0)
        self.relationship.sessions.update(status=SessionStatus.CANCELLED)
        self.assertEqual(self.sweep(self.started + self.days), 1)

    def test_each_held_session_starts_a_new_gap_with_its_own_nudge(self):
        self.assertEqual(self.sweep(self.started + self.days), 1)
        held = held_session(self.relationship, ended=-10 * DAY)  # ends ten days from now
        assert held.ends_at is not None
        self.assertEqual(self.sweep(held.ends_at + self.days - HOUR), 0)
        self.assertEqual(self.sweep(held.ends_at + self.days), 1)
        self.assertEqual(mail.outbox[-1].subject, "Time to plan your next session")
        self.assertEqual(SessionNudge.objects.count(), 2)

    def test_the_programs_days_are_the_gap(self):
        self.p.program.mentor_prompt_after_days = 3
        self.p.program.save(update_fields=["mentor_prompt_after_days"])
        self.assertEqual(self.sweep(self.started + 3 * DAY), 1)

    def test_a_paused_or_concluded_relationship_is_never_nudged_and_a_resume_restarts_the_gap(
        self,
    ):
        for status in (RelationshipStatus.PAUSED, RelationshipStatus.CONCLUDED):
            Relationship.objects.filter(pk=self.relationship.pk).update(status=status)
            self.assertEqual(self.sweep(self.started + self.days), 0)
        Relationship.objects.filter(pk=self.relationship.pk).update(
            status=RelationshipStatus.PAUSED
        )
        changes.relationship_resume(relationship_id=self.relationship.pk, user=self.p.mentee)
        resumed = RelationshipStatusChange.objects.get().created_at
        self.assertEqual(self.sweep(self.started + self.days), 0)
        self.assertEqual(self.sweep(resumed + self.days), 1)

    def test_the_command_nudges_like_the_sweep(self):
        with mock.patch("django.utils.timezone.now", return_value=self.started + self.days):
            out = io.StringIO()
            call_command("send_session_nudges", stdout=out)
            call_command("send_session_nudges", stdout=out)
        self.assertEqual(out.getvalue(), "Nudged 1 relationship.\nNudged 0 relationships.\n")
        self.assertEqual(nudges_to(self.p.mentee), 1)


class ResumeOnItsDateTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def setUp(self):
        self.relationship = mia_and_marco(self.p)
        self.resume_on = timezone.localdate() + 5 * DAY
        changes.relationship_pause(
            relationship_id=self.relationship.pk,
            user=self.p.mentee,
            reason="Exams",
            resume_on=self.resume_on,
        )
        Notification.objects.all().delete()

    def status(self) -> str:
        return Relationship.objects.get(pk=self.relationship.pk).status

    def test_it_resumes_on_its_date_once_and_tells_both(self):
        self.assertEqual(paused_relationships_resume(today=self.resume_on - DAY), 0)
        self.assertEqual(paused_relationships_resume(today=self.resume_on), 1)
        self.assertEqual(paused_relationships_resume(today=self.resume_on), 0)
        self.assertEqual(self.status(), RelationshipStatus.ACTIVE)
        change = RelationshipStatusChange.objects.latest("created_at")
        self.assertEqual((change.to_status, change.changed_by), ("active", None))
        self.assertEqual(Notification.objects.filter(kind="relationship_resumed").count(), 2)
        self.client.force_login(self.p.mentee)
        response = self.client.get(f"/relationships/{self.relationship.pk}/")
        self.assertContains(response, "on its resume date")

    def test_without_room_it_stays_paused_and_both_are_told_why_once(self):
        mentor = self.p.mentor_participant
        mentor.capacity = 0
        mentor.save(update_fields=["capacity"])
        self.assertEqual(paused_relationships_resume(today=self.resume_on), 0)
        self.assertEqual(paused_relationships_resume(today=self.resume_on + DAY), 0)
        self.assertEqual(self.status(), RelationshipStatus.PAUSED)
        told = Notification.objects.filter(kind="relationship_resume_failed")
        self.assertEqual(told.count(), 2)
        self.assertIn("Marco Mentor has no room", told.first().text)


class WorkerNudgeTests(WorkerSmtpTestCase):
    """With the database task backend and only its worker (no cron), through a real SMTP server
    on loopback: the nudge after a held session and the resume on its date happen on time,
    once, with cron beside the worker."""

    def setUp(self):
        super().setUp()
        self.relationship = mia_and_marco(self.p)

    def test_the_worker_nudges_the_mentee_once_when_the_gap_is_due(self):
        start = next_week()
        session = proposing.session_propose(
            relationship_id=self.relationship.pk, user=self.p.mentee, options=times(start)
        ).session
        proposing.session_pick(
            session_id=session.pk, user=self.p.mentor, option_id=session.options.get().pk
        )
        self.clock.moment = start + HOUR / 2
        outcomes.session_record(session_id=session.pk, user=self.p.mentee, outcome="held")
        session.refresh_from_db()
        assert session.ends_at is not None
        due = session.ends_at + datetime.timedelta(days=self.p.program.mentor_prompt_after_days)
        queued = DBTaskResult.objects.filter(task_path=nudge_sessions.module_path)
        self.assertIn(
            (due, {"relationship_ids": [self.relationship.pk]}),
            [(t.run_after, t.args_kwargs["kwargs"]) for t in queued],
        )
        self.clock.moment = due - HOUR
        run_task_worker()
        self.assertEqual(self.delivered("Time to plan your next session"), [])
        self.clock.moment = due
        run_task_worker()
        call_command("send_session_nudges", stdout=io.StringIO())  # cron as well: harmless
        run_task_worker()
        self.assertEqual(self.delivered("Time to plan your next session"), [self.p.mentee.email])

    def test_the_worker_resumes_a_pause_on_its_date(self):
        resume_on = timezone.localdate() + 3 * DAY
        changes.relationship_pause(
            relationship_id=self.relationship.pk,
            user=self.p.mentee,
            reason="Exams",
            resume_on=resume_on,
        )
        queued = DBTaskResult.objects.filter(task_path=resume_paused.module_path).get()
        midnight = datetime.datetime.combine(
            resume_on, datetime.time(), tzinfo=timezone.get_current_timezone()
        )
        self.assertEqual(queued.run_after, midnight)
        self.clock.moment = midnight - HOUR
        run_task_worker()
        self.assertEqual(
            Relationship.objects.get(pk=self.relationship.pk).status, RelationshipStatus.PAUSED
        )
        self.clock.moment = midnight
        run_task_worker()
        call_command("resume_paused_relationships", stdout=io.StringIO())
        self.assertEqual(
            Relationship.objects.get(pk=self.relationship.pk).status, RelationshipStatus.ACTIVE
        )
        resumed = "Your relationship resumed today, as planned: reminders and planning start again."
        self.assertEqual(
            sorted(self.delivered(resumed)), sorted([self.p.mentee.email, self.p.mentor.email])
        )
