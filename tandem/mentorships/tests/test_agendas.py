"""Agendas: the template suggested for that point, written and sent by the mentee, the partner
told once, late marked late; and the one reminder when it is due and not sent."""

from __future__ import annotations

import datetime
import io
from unittest import mock

from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import TestCase, TransactionTestCase
from django_tasks_db.models import DBTaskResult

from tandem.accounts.models import Notification
from tandem.core.testing import make_personas, run_task_worker
from tandem.matching.tests.test_self_match import Clock
from tandem.mentorships.models import (
    Agenda,
    RelationshipStatus,
    Session,
    SessionStatus,
)
from tandem.mentorships.models.sessions import agenda_sent_on_time
from tandem.mentorships.sessions import agendas, proposing
from tandem.mentorships.sessions.reminders import agenda_reminders_send, remind_agendas_due
from tandem.mentorships.tests.pairs import DAY, HOUR, mia_and_marco, next_week, times
from tandem.programs.models import AgendaMoment, AgendaTemplate

MOMENTS = [
    ("First session: getting to know each other", AgendaMoment.FIRST),
    ("Setting goals", AgendaMoment.SECOND),
    ("Mid-point review", AgendaMoment.MIDPOINT),
    ("Wrapping up", AgendaMoment.CLOSING),
]


class AgendaTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.relationship = mia_and_marco(cls.p)
        cls.templates = [
            AgendaTemplate.objects.create(
                program=cls.p.program,
                title=title,
                moment=moment,
                prompts=[f"{title}: first prompt", f"{title}: second prompt"],
                position=n,
            )
            for n, (title, moment) in enumerate(MOMENTS, start=1)
        ]

    def scheduled(self, start: datetime.datetime) -> Session:
        session = proposing.session_propose(
            relationship_id=self.relationship.pk,
            user=self.p.mentee,
            options=times(start),
            now=start - 3 * DAY,
        ).session
        proposing.session_pick(
            session_id=session.pk,
            user=self.p.mentor,
            option_id=session.options.get().pk,
            now=start - 3 * DAY,
        )
        session.refresh_from_db()
        return session

    def send(
        self, session: Session, answers=("Ask about leadership", "More"), **kwargs
    ) -> agendas.AgendaSaved:
        # Emails are queued after commit: run those callbacks as the commit would.
        with self.captureOnCommitCallbacks(execute=True):
            return agendas.agenda_save(
                session_id=session.pk,
                user=kwargs.pop("user", self.p.mentee),
                answers=list(answers),
                template_id=kwargs.pop("template_id", self.templates[0].pk),
                send=kwargs.pop("send", True),
                **kwargs,
            )

    def due(self, session: Session) -> datetime.datetime:
        assert session.agenda_due_at is not None
        return session.agenda_due_at

    def sweep(self, now: datetime.datetime | None = None) -> int:
        with self.captureOnCommitCallbacks(execute=True):
            return agenda_reminders_send(now=now)


class SuggestionTests(AgendaTestCase):
    def test_each_point_of_the_relationship_gets_its_template(self):
        templates = self.templates
        suggest = agendas.suggested_template

        def pick(number, progress, used=frozenset()):
            chosen = suggest(
                templates, session_number=number, progress=progress, used_template_ids=set(used)
            )
            return chosen.title if chosen else None

        self.assertEqual(pick(1, 0.0), "First session: getting to know each other")
        self.assertEqual(pick(2, 0.1), "Setting goals")
        self.assertEqual(pick(3, 0.2), "Setting goals")  # nothing for "any": keep on goals
        self.assertEqual(pick(5, 0.5), "Mid-point review")
        self.assertEqual(pick(6, 0.6, {templates[2].pk}), "Setting goals")  # mid-point used
        self.assertEqual(pick(9, 0.9), "Wrapping up")
        self.assertIsNone(suggest([], session_number=1, progress=0, used_template_ids=set()))

    def test_the_first_session_of_a_relationship_starts_from_the_first_template(self):
        session = self.scheduled(next_week())
        self.assertEqual(agendas.template_suggested_for(session), self.templates[0])
        second = self.scheduled(next_week() + 7 * DAY)
        self.assertEqual(agendas.template_suggested_for(second), self.templates[1])


class SendTests(AgendaTestCase):
    def test_the_mentee_sends_it_and_the_partner_is_told_once(self):
        session = self.scheduled(next_week())
        saved = self.send(session)
        self.assertTrue(saved.sent_now)
        agenda = Agenda.objects.get(session=session)
        self.assertEqual(agenda.prompts, self.templates[0].prompts)
        self.assertEqual(agenda.answers, ["Ask about leadership", "More"])
        self.assertEqual(agenda.sent_by, self.p.mentee)
        # The button pressed again: nothing changes, nobody is told twice.
        self.assertFalse(self.send(session).sent_now)
        notices = Notification.objects.filter(kind="agenda_received")
        self.assertEqual([n.user for n in notices], [self.p.mentor])
        self.assertEqual([m.to for m in mail.outbox], [[self.p.mentor.email]])
        self.assertIn("Mia Mentee sent the agenda", mail.outbox[0].subject)
        self.assertNotIn("leadership", mail.outbox[0].body)  # the email says that, never what
        self.assertTrue(agenda_sent_on_time(agenda.sent_at, session.agenda_due_at))

    def test_a_draft_is_saved_and_not_sent(self):
        session = self.scheduled(next_week())
        saved = self.send(session, answers=("Draft", ""), send=False)
        self.assertFalse(saved.sent_now)
        self.assertIsNone(Agenda.objects.get(session=session).sent_at)
        self.assertFalse(Notification.objects.filter(kind="agenda_received").exists())

    def test_sent_after_the_session_started_is_accepted_and_late(self):
        start = next_week()
        session = self.scheduled(start)
        self.send(session, now=start + 10 * datetime.timedelta(minutes=1))
        agenda = Agenda.objects.get(session=session)
        self.assertIs(agenda_sent_on_time(agenda.sent_at, session.agenda_due_at), False)

    def test_bad_input_is_refused_and_changes_nothing(self):
        session = self.scheduled(next_week())
        with self.assertRaisesMessage(ValidationError, "The mentee writes and sends the agenda"):
            self.send(session, user=self.p.mentor)
        with self.assertRaises(ValidationError) as caught:
            self.send(session, answers=("", ""))
        self.assertIn("answer_1", caught.exception.message_dict)
        other = AgendaTemplate.objects.create(
            program=self.p.other_program, title="Elsewhere", prompts=["x"]
        )
        with self.assertRaises(ValidationError) as caught:
            self.send(session, template_id=other.pk)
        self.assertIn("template", caught.exception.message_dict)
        self.assertFalse(Agenda.objects.exists())
        self.send(session)
        with self.assertRaisesMessage(ValidationError, "sent already"):
            self.send(session, answers=("Changed", "More"))
        self.assertEqual(Agenda.objects.get().answers, ["Ask about leadership", "More"])

    def test_no_agenda_for_a_cancelled_session_nor_in_a_concluded_relationship(self):
        session = self.scheduled(next_week())
        Session.objects.filter(pk=session.pk).update(status=SessionStatus.CANCELLED)
        with self.assertRaisesMessage(ValidationError, "cancelled"):
            self.send(session)
        live = self.scheduled(next_week() + DAY)
        self.relationship.status = RelationshipStatus.CONCLUDED
        self.relationship.save(update_fields=["status"])
        with self.assertRaisesMessage(ValidationError, "concluded"):
            self.send(live)
        self.assertFalse(Agenda.objects.exists())


class ReminderTests(AgendaTestCase):
    def test_one_reminder_when_due_and_not_sent_however_often_the_sweep_runs(self):
        start = next_week()
        session = self.scheduled(start)
        due = self.due(session)
        self.assertEqual(self.sweep(now=due - HOUR), 0)  # not due yet
        self.assertEqual(self.sweep(now=due + HOUR), 1)
        self.assertEqual(self.sweep(now=due + 2 * HOUR), 0)
        with self.captureOnCommitCallbacks(execute=True):
            call_command("send_agenda_reminders", stdout=io.StringIO())
        reminders = [m for m in mail.outbox if "Send your agenda" in m.subject]
        self.assertEqual([m.to for m in reminders], [[self.p.mentee.email]])
        self.assertEqual(
            Notification.objects.filter(kind="agenda_due", user=self.p.mentee).count(), 1
        )
        self.assertFalse(Notification.objects.filter(kind="agenda_due", user=self.p.mentor))

    def test_no_reminder_once_sent_after_the_start_or_while_paused(self):
        start = next_week()
        sent = self.scheduled(start)
        self.send(sent)
        paused = self.scheduled(start + DAY)
        self.relationship.status = RelationshipStatus.PAUSED
        self.relationship.save(update_fields=["status"])
        self.assertEqual(self.sweep(now=self.due(paused) + HOUR), 0)
        self.relationship.status = RelationshipStatus.ACTIVE
        self.relationship.save(update_fields=["status"])
        # After the session started, a reminder would be noise.
        self.assertEqual(self.sweep(now=start + DAY + HOUR), 0)
        self.assertFalse(Notification.objects.filter(kind="agenda_due").exists())

    def test_the_reminder_shows_the_time_on_the_mentees_clock(self):
        self.p.mentee.time_zone = "America/New_York"
        self.p.mentee.save(update_fields=["time_zone"])
        start = datetime.datetime(2031, 1, 15, 15, 0, tzinfo=datetime.UTC)
        session = self.scheduled(start)
        self.sweep(now=self.due(session) + HOUR)
        self.assertIn("Wed 15 Jan 2031, 10:00 (America/New_York)", mail.outbox[-1].subject)
        self.assertEqual(session.starts_at, start)


class WorkerReminderTests(TransactionTestCase):
    """With the database task backend and only its worker (no cron): choosing a time queues
    the reminder for the agenda's due time; the worker sends it then, once."""

    def setUp(self):
        self.enterContext(
            self.settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
        )
        self.clock = Clock()
        self.enterContext(mock.patch("django.utils.timezone.now", self.clock))
        self.p = make_personas()
        self.relationship = mia_and_marco(self.p)

    def run_worker(self) -> None:
        run_task_worker()

    def test_the_worker_reminds_once_when_the_agenda_is_due(self):
        start = (self.clock.moment + 3 * DAY).replace(microsecond=0)
        session = proposing.session_propose(
            relationship_id=self.relationship.pk, user=self.p.mentee, options=times(start)
        ).session
        proposing.session_pick(
            session_id=session.pk, user=self.p.mentor, option_id=session.options.get().pk
        )
        due = start - 24 * HOUR
        queued = DBTaskResult.objects.filter(task_path=remind_agendas_due.module_path)
        self.assertEqual(
            [(t.run_after, t.args_kwargs["kwargs"]) for t in queued],
            [(due, {"session_ids": [session.pk]})],
        )
        self.clock.moment = due - HOUR
        self.run_worker()
        # Before the due time, only the calendar invitations of the scheduling went out.
        self.assertEqual([m.subject.split(":")[0] for m in mail.outbox], ["Session scheduled"] * 2)
        self.clock.moment = due
        self.run_worker()
        self.run_worker()
        call_command("send_agenda_reminders", stdout=io.StringIO())  # cron as well: harmless
        self.run_worker()
        reminders = [m for m in mail.outbox if "Send your agenda" in m.subject]
        self.assertEqual([m.to for m in reminders], [[self.p.mentee.email]])
