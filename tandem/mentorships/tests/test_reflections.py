"""Reflections after a held session: every member (mentor included) writes one with the
standard and the program's prompts, private unless shared; the one "reflection due" notice,
idempotent from the sweep, cron and the worker at advanced times; the workspace prompt."""

from __future__ import annotations

import io
from unittest import mock

from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import TestCase, TransactionTestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from tandem.accounts.models import Notification
from tandem.core.testing import make_personas, run_task_worker
from tandem.matching.tests.people import add_person
from tandem.matching.tests.test_self_match import Clock
from tandem.mentorships.journal import notes, reflections
from tandem.mentorships.journal.reflection_notices import (
    NOTICE_AFTER,
    notify_reflections_due,
    reflection_notices_send,
)
from tandem.mentorships.models import (
    Reflection,
    ReflectionNotice,
    RelationshipStatus,
    SessionStatus,
)
from tandem.mentorships.models.notes import MAX_NOTE_CHARS
from tandem.mentorships.sessions import outcomes, proposing
from tandem.mentorships.sessions.access import NotAMember
from tandem.mentorships.tests.journal import held_session, scheduled_session
from tandem.mentorships.tests.pairs import DAY, HOUR, mia_and_marco, relate, times
from tandem.programs.forms import ProgramForm
from tandem.programs.models import ParticipantStatus

PROGRAM_PROMPT = "Which program objective did this session serve?"


class ReflectionTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.p.program.reflection_prompts = f"\n  {PROGRAM_PROMPT}  \n\n"
        cls.p.program.save(update_fields=["reflection_prompts"])
        cls.relationship = mia_and_marco(cls.p)
        cls.session = held_session(cls.relationship)

    def reflect(self, user, answers=("Patience", "Read a book", "Growth"), **kwargs):
        return reflections.reflection_save(
            session_id=kwargs.pop("session_id", self.session.pk),
            user=user,
            answers=list(answers),
            **kwargs,
        )

    def sweep(self, now=None) -> int:
        with self.captureOnCommitCallbacks(execute=True):
            return reflection_notices_send(now=now)


class ReflectionServiceTests(ReflectionTestCase):
    def test_both_members_reflect_with_the_standard_and_the_programs_prompts(self):
        mine = self.reflect(self.p.mentee)
        his = self.reflect(self.p.mentor, answers=("Fresh eyes", "Send an article", ""))
        expected = [*reflections.STANDARD_PROMPTS, PROGRAM_PROMPT]
        self.assertEqual(mine.prompts, expected)
        self.assertEqual(his.prompts, expected)
        self.assertEqual(expected[0], "What did I learn from my partner?")
        self.assertFalse(mine.shared)  # private by default
        # Editing the program's prompts later leaves a written reflection as it was asked.
        self.p.program.reflection_prompts = "Another question"
        self.p.program.save(update_fields=["reflection_prompts"])
        again = self.reflect(self.p.mentee, answers=("a", "b", "c"))
        self.assertEqual(again.prompts, expected)

    def test_sharing_tells_the_partner_once_and_can_be_undone(self):
        self.reflect(self.p.mentee, shared=True)
        self.reflect(self.p.mentee, shared=False)
        self.reflect(self.p.mentee, shared=True)
        self.assertTrue(Reflection.objects.get().shared)
        told = Notification.objects.filter(kind="reflection_shared")
        self.assertEqual([n.user for n in told], [self.p.mentor])
        self.assertNotIn("Patience", told.get().text)

    def test_a_double_submit_makes_one_row_and_an_empty_save_clears_it(self):
        self.reflect(self.p.mentee)
        self.reflect(self.p.mentee)
        self.assertEqual(Reflection.objects.count(), 1)
        self.assertIsNone(self.reflect(self.p.mentee, answers=("", " ", "")))
        self.assertFalse(Reflection.objects.exists())

    def test_bad_input_is_refused_naming_the_field_and_changes_nothing(self):
        with self.assertRaises(ValidationError) as raised:
            self.reflect(self.p.mentee, answers=("x" * (MAX_NOTE_CHARS + 1), "", ""))
        self.assertIn("answer_1", raised.exception.error_dict)
        with self.assertRaises(ValidationError) as raised:
            self.reflect(self.p.mentee, answers=("", "", ""), shared=True)
        self.assertIn("shared", raised.exception.error_dict)
        with self.assertRaisesMessage(ValidationError, "own prompts"):
            self.reflect(self.p.mentee, answers=("only one",))
        upcoming = scheduled_session(self.relationship)
        with self.assertRaisesMessage(ValidationError, "once it has taken place"):
            self.reflect(self.p.mentee, session_id=upcoming.pk)
        self.assertFalse(Reflection.objects.exists())

    def test_refused_once_concluded_and_404_for_someone_who_left(self):
        self.relationship.status = RelationshipStatus.CONCLUDED
        self.relationship.save(update_fields=["status"])
        with self.assertRaisesMessage(ValidationError, "concluded"):
            self.reflect(self.p.mentee)
        self.relationship.status = RelationshipStatus.ACTIVE
        self.relationship.save(update_fields=["status"])
        self.p.mentor_participant.status = ParticipantStatus.WITHDRAWN
        self.p.mentor_participant.save(update_fields=["status"])
        with self.assertRaises(NotAMember):
            self.reflect(self.p.mentor)
        self.assertFalse(Reflection.objects.exists())

    def test_the_coordinator_edits_the_programs_prompts_one_per_line(self):
        program = self.p.program
        form = ProgramForm(instance=program)
        self.assertIn("reflection_prompts", form.fields)
        data = {**form.initial, "reflection_prompts": "\n".join(f"Q{n}" for n in range(9))}
        data = {k: v for k, v in data.items() if v is not None and k != "id"}
        refused = ProgramForm(data, instance=program)
        self.assertFalse(refused.is_valid())
        self.assertIn("At most 8 reflection prompts", str(refused.errors["reflection_prompts"]))
        self.client.force_login(self.p.coordinator)
        page = self.client.get(reverse("programs:edit", args=[program.pk]))
        self.assertContains(page, "reflection prompts")
        self.assertContains(page, PROGRAM_PROMPT)


class ReflectionPageTests(ReflectionTestCase):
    def url(self, name="session", session=None):
        return reverse(f"mentorships:{name}", args=[(session or self.session).pk])

    def test_write_share_and_the_partner_reads_it_on_the_session_page(self):
        self.client.force_login(self.p.mentee)
        page = self.client.get(self.url())
        self.assertContains(page, "What did I learn from my partner?")
        self.assertContains(page, PROGRAM_PROMPT)
        data = {
            "reflection-answer_1": "Listening 🙂\nand asking",
            "reflection-answer_2": "<i>Plan</i>",
            "reflection-answer_3": "",
        }
        done = self.client.post(self.url("session_reflection"), data)
        self.assertRedirects(done, self.url() + "#reflection")
        self.client.force_login(self.p.mentor)
        self.assertNotContains(self.client.get(self.url()), "Listening")  # private
        self.client.force_login(self.p.mentee)
        self.client.post(self.url("session_reflection"), {**data, "reflection-shared": "on"})
        self.client.force_login(self.p.mentor)
        page = self.client.get(self.url())
        self.assertContains(page, "Reflections shared with you")
        self.assertContains(page, "Listening 🙂<br>and asking")
        self.assertContains(page, "&lt;i&gt;Plan&lt;/i&gt;")
        self.assertNotContains(page, "<i>Plan</i>")

    def test_no_reflection_form_before_the_session_is_held(self):
        upcoming = scheduled_session(self.relationship)
        self.client.force_login(self.p.mentee)
        page = self.client.get(self.url(session=upcoming))
        self.assertContains(page, "Once the session has taken place")
        self.assertNotContains(page, 'name="reflection-answer_1"')
        refused = self.client.post(
            self.url("session_reflection", upcoming), {"reflection-answer_1": "x"}
        )
        self.assertContains(refused, "once it has taken place")
        self.assertFalse(Reflection.objects.exists())

    def test_the_workspace_asks_for_the_viewers_reflection_until_written(self):
        workspace = reverse("mentorships:relationship", args=[self.relationship.pk])
        for user in (self.p.mentee, self.p.mentor):
            self.client.force_login(user)
            self.assertContains(self.client.get(workspace), "A reflection is waiting for you")
        self.reflect(self.p.mentee)
        self.client.force_login(self.p.mentee)
        self.assertNotContains(self.client.get(workspace), "A reflection is waiting")
        self.client.force_login(self.p.mentor)
        self.assertContains(self.client.get(workspace), "A reflection is waiting")
        self.relationship.status = RelationshipStatus.PAUSED
        self.relationship.save(update_fields=["status"])
        self.assertNotContains(self.client.get(workspace), "A reflection is waiting")


class ReflectionNoticeTests(ReflectionTestCase):
    def test_each_member_is_told_once_some_hours_after_the_end(self):
        end = self.session.ends_at
        self.assertEqual(self.sweep(now=end + NOTICE_AFTER - HOUR), 0)  # too soon
        self.assertEqual(self.sweep(now=end + NOTICE_AFTER), 2)
        self.assertEqual(self.sweep(now=end + NOTICE_AFTER + HOUR), 0)
        with self.captureOnCommitCallbacks(execute=True):
            call_command("send_reflection_notices", stdout=io.StringIO())
        sent = [m for m in mail.outbox if "Your reflection" in m.subject]
        self.assertEqual(
            sorted(m.to[0] for m in sent), sorted([self.p.mentee.email, self.p.mentor.email])
        )
        self.assertEqual(Notification.objects.filter(kind="reflection_due").count(), 2)
        self.assertEqual(ReflectionNotice.objects.count(), 2)

    def test_no_notice_for_who_reflected_paused_concluded_or_left(self):
        end = self.session.ends_at
        self.reflect(self.p.mentee)
        self.relationship.status = RelationshipStatus.PAUSED
        self.relationship.save(update_fields=["status"])
        self.assertEqual(self.sweep(now=end + NOTICE_AFTER), 0)
        self.relationship.status = RelationshipStatus.CONCLUDED
        self.relationship.save(update_fields=["status"])
        self.assertEqual(self.sweep(now=end + NOTICE_AFTER), 0)
        self.relationship.status = RelationshipStatus.ACTIVE
        self.relationship.save(update_fields=["status"])
        self.p.mentor_participant.status = ParticipantStatus.WITHDRAWN
        self.p.mentor_participant.save(update_fields=["status"])
        self.assertEqual(self.sweep(now=end + NOTICE_AFTER), 0)  # Mia reflected; Marco left
        self.assertFalse(Notification.objects.filter(kind="reflection_due").exists())
        self.assertEqual(mail.outbox, [])

    def test_a_session_logged_long_after_gets_no_notice(self):
        held_session(self.relationship, ended=30 * DAY)
        # Only the recent session, for both members.
        self.assertEqual(self.sweep(now=self.session.ends_at + NOTICE_AFTER), 2)
        self.assertEqual(ReflectionNotice.objects.filter(session=self.session).count(), 2)


class WorkerReflectionNoticeTests(TransactionTestCase):
    """With the database task backend and only its worker: marking a session held queues the
    notice for NOTICE_AFTER past its end; the worker sends it then, once, with cron beside."""

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

    def test_the_worker_sends_the_notice_once_when_due(self):
        start = (self.clock.moment + 2 * DAY).replace(microsecond=0)
        session = proposing.session_propose(
            relationship_id=self.relationship.pk, user=self.p.mentee, options=times(start)
        ).session
        proposing.session_pick(
            session_id=session.pk, user=self.p.mentor, option_id=session.options.get().pk
        )
        self.clock.moment = start + HOUR / 2  # the session is under way
        outcomes.session_record(session_id=session.pk, user=self.p.mentee, outcome="held")
        session.refresh_from_db()
        self.assertEqual(session.status, SessionStatus.HELD)
        assert session.ends_at is not None
        due = session.ends_at + NOTICE_AFTER
        queued = DBTaskResult.objects.filter(task_path=notify_reflections_due.module_path)
        self.assertEqual(
            [(t.run_after, t.args_kwargs["kwargs"]) for t in queued],
            [(due, {"session_ids": [session.pk]})],
        )
        self.clock.moment = due - HOUR
        self.run_worker()
        self.assertFalse([m for m in mail.outbox if "Your reflection" in m.subject])
        self.clock.moment = due
        self.run_worker()
        self.run_worker()
        call_command("send_reflection_notices", stdout=io.StringIO())  # cron as well: harmless
        self.run_worker()
        sent = [m for m in mail.outbox if "Your reflection" in m.subject]
        self.assertEqual(
            sorted(m.to[0] for m in sent), sorted([self.p.mentee.email, self.p.mentor.email])
        )
        self.assertEqual(Notification.objects.filter(kind="reflection_due").count(), 2)


class SessionPageQueryCountTests(TestCase):
    """The session page reads notes and reflections in a fixed number of queries, however
    many members wrote and shared."""

    def test_the_query_count_is_flat_as_members_and_reflections_double(self):
        p = make_personas()
        mentees = [
            add_person(p.program, f"group{n}@northwind.example", name=f"Member {n}")
            for n in range(6)
        ]

        def count(members: int) -> int:
            relationship = relate(p.mentor_participant, None, *mentees[:members])
            session = held_session(relationship)
            prompts = len(reflections.reflection_prompts_for(p.program))
            for mentee in mentees[:members]:
                reflections.reflection_save(
                    session_id=session.pk, user=mentee.user, answers=["x"] * prompts, shared=True
                )
                notes.private_note_save(session_id=session.pk, user=mentee.user, text="mine")
            notes.shared_notes_save(
                session_id=session.pk, user=mentees[0].user, text="ours", based_on_version=0
            )
            self.client.force_login(p.mentor)
            url = reverse("mentorships:session", args=[session.pk])
            self.client.get(url)  # warm the session and caches
            with CaptureQueriesContext(connection) as queries:
                page = self.client.get(url)
            self.assertContains(page, "Member 0")
            self.assertContains(page, "Reflections shared with you")
            return len(queries)

        small, large = count(2), count(5)
        self.assertEqual(small, large)
        self.assertLessEqual(large, 20)
