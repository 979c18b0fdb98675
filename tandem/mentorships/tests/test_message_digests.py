"""Digest emails of new messages: never one per message, at most one per person, relationship
and period (a clock hour, or the person's day from 08:00), as each person chose; only what they
have not read and no earlier digest listed; never to the author, to someone who left, or to
anyone who turned them off. Sent once, by the worker at the period's end or by cron, both at
once included; delivered through a real SMTP server with a text and an HTML part."""

from __future__ import annotations

import datetime
import io
from email import message_from_bytes, policy
from email.message import EmailMessage
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.test import TestCase, TransactionTestCase
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from tandem.accounts.models import NotificationSettings
from tandem.accounts.preferences import DAILY, OFF
from tandem.core.testing import make_personas, run_task_worker
from tandem.core.tests.test_email_smtp import Recorder, smtp_server, smtp_settings
from tandem.matching.tests.test_self_match import Clock
from tandem.mentorships.messaging import reading, sending
from tandem.mentorships.messaging.digests import (
    DIGEST_WINDOW,
    message_digest_deliver,
    message_digests_send,
    send_message_digests,
)
from tandem.mentorships.models import Message, MessageDigest, RelationshipMember
from tandem.mentorships.tests.pairs import HOUR, mia_and_marco
from tandem.programs.models import ParticipantStatus

smtp_server = smtp_server  # the loopback SMTP server fixture, for this module too
MINUTE = datetime.timedelta(minutes=1)
# A fixed hour, so that "the end of the hour" is known: 3 Dec 2026, 13:00 UTC.
BASE = datetime.datetime(2026, 12, 3, 13, 0, tzinfo=datetime.UTC)


class DigestTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.relationship = mia_and_marco(cls.p)

    def send(self, at, body="Hello Marco", user=None):
        return sending.message_send(
            relationship_id=self.relationship.pk,
            user=user or self.p.mentee,
            body=body,
            now=at,
        ).message

    def sweep(self, at) -> int:
        with self.captureOnCommitCallbacks(execute=True):
            return message_digests_send(now=at)

    def digests_to(self, user):
        return [m for m in mail.outbox if m.to == [user.email]]

    def choose(self, user, frequency):
        NotificationSettings.objects.update_or_create(
            user=user, defaults={"message_digest": frequency}
        )


class HourlyDigestTests(DigestTestCase):
    def test_one_digest_at_the_end_of_the_hour_lists_every_new_message(self):
        self.send(BASE + 5 * MINUTE, "First, about Thursday")
        self.send(BASE + 40 * MINUTE, "Second: https://example.com/plan")
        self.assertEqual(self.sweep(BASE + 50 * MINUTE), 0)  # the hour is not over
        self.assertEqual(self.sweep(BASE + HOUR), 1)
        (email,) = mail.outbox
        self.assertEqual(email.to, [self.p.mentor.email])
        self.assertEqual(email.subject, "2 new messages from Mia Mentee · Graduate Mentoring 2027")
        self.assertIn("First, about Thursday", email.body)
        self.assertIn("Second: https://example.com/plan", email.body)
        self.assertIn(
            settings.SITE_URL + reverse("mentorships:messages", args=[self.relationship.pk]),
            email.body,
        )
        html = email.alternatives[0][0]
        self.assertIn('<a href="https://example.com/plan" rel="nofollow noopener">', str(html))
        # Again in the same hour, or later with nothing new: nothing.
        self.assertEqual(self.sweep(BASE + HOUR), 0)
        self.assertEqual(self.sweep(BASE + HOUR + 30 * MINUTE), 0)
        self.assertEqual(self.sweep(BASE + 3 * HOUR), 0)
        self.assertEqual(len(mail.outbox), 1)

    def test_at_most_one_an_hour_however_many_messages_and_sweeps(self):
        for minutes in range(0, 180, 10):
            self.send(BASE + minutes * MINUTE, f"Message at minute {minutes}")
        for minutes in range(0, 200, 5):
            self.sweep(BASE + minutes * MINUTE)
        sent = self.digests_to(self.p.mentor)
        self.assertEqual(len(sent), 3)  # 14:00, 15:00 and 16:00, each with its hour's six
        self.assertEqual([m.subject.split()[0] for m in sent], ["6", "6", "6"])
        self.assertEqual(
            sorted(MessageDigest.objects.values_list("period", flat=True)),
            ["hourly:2026-12-03T14", "hourly:2026-12-03T15", "hourly:2026-12-03T16"],
        )
        # Each message was listed once.
        listed = [pk for d in MessageDigest.objects.all() for pk in d.message_ids]
        self.assertEqual(sorted(listed), sorted(Message.objects.values_list("pk", flat=True)))

    def test_what_was_read_in_tandem_is_not_emailed(self):
        self.send(BASE + 5 * MINUTE, "Read already")
        marco = RelationshipMember.objects.get(
            relationship=self.relationship, participant__user=self.p.mentor
        )
        reading.messages_mark_read(member=marco, up_to_message_id=Message.objects.get().pk)
        self.assertEqual(self.sweep(BASE + HOUR), 0)
        self.send(BASE + 70 * MINUTE, "Not read yet")
        self.assertEqual(self.sweep(BASE + 2 * HOUR), 1)
        (email,) = mail.outbox
        self.assertIn("Not read yet", email.body)
        self.assertNotIn("Read already", email.body)

    def test_never_to_the_author_nor_to_someone_who_turned_them_off_or_left(self):
        self.send(BASE + 5 * MINUTE, "To Marco")
        self.send(BASE + 6 * MINUTE, "To Mia", user=self.p.mentor)
        self.choose(self.p.mentor, OFF)
        self.p.mentee_participant.status = ParticipantStatus.WITHDRAWN
        self.p.mentee_participant.save(update_fields=["status"])
        self.assertEqual(self.sweep(BASE + HOUR), 0)
        self.assertEqual(mail.outbox, [])

    def test_a_digest_claimed_by_another_sweep_is_not_sent_again(self):
        message = self.send(BASE + 5 * MINUTE)
        MessageDigest.objects.create(
            user=self.p.mentor,
            relationship=self.relationship,
            period="hourly:2026-12-03T14",
            message_ids=[],
            up_to_message_id=message.pk - 1,  # the other sweep read before this message
        )
        self.assertEqual(self.sweep(BASE + HOUR), 0)
        self.assertEqual(mail.outbox, [])

    def test_someone_who_left_after_the_claim_gets_no_email(self):
        self.send(BASE + 5 * MINUTE)
        # Claimed, its email not sent yet (the commit that queues it has not come).
        self.assertEqual(message_digests_send(now=BASE + HOUR), 1)
        self.p.mentor_participant.status = ParticipantStatus.WITHDRAWN
        self.p.mentor_participant.save(update_fields=["status"])
        self.assertFalse(message_digest_deliver(digest_id=MessageDigest.objects.get().pk))
        self.assertEqual(mail.outbox, [])

    def test_old_messages_are_left_to_the_page(self):
        self.send(BASE, "Long ago")
        self.assertEqual(self.sweep(BASE + DIGEST_WINDOW + HOUR), 0)


class DailyDigestTests(DigestTestCase):
    def test_a_daily_digest_comes_at_eight_in_the_persons_morning(self):
        self.choose(self.p.mentor, DAILY)
        self.p.mentor.time_zone = "America/New_York"  # 08:00 there is 13:00 UTC in December
        self.p.mentor.save(update_fields=["time_zone"])
        self.send(BASE + 2 * HOUR, "Afternoon")  # 15:00 UTC, 10:00 in New York
        self.send(BASE + 9 * HOUR, "Evening")
        for hours in range(3, 24):
            self.sweep(BASE + hours * HOUR)
        self.assertEqual(mail.outbox, [])
        self.assertEqual(self.sweep(BASE + 24 * HOUR - MINUTE), 0)  # 07:59 there
        self.assertEqual(self.sweep(BASE + 24 * HOUR), 1)  # 08:00 there
        self.assertEqual(self.sweep(BASE + 30 * HOUR), 0)
        (email,) = mail.outbox
        self.assertIn("Afternoon", email.body)
        self.assertIn("Evening", email.body)
        self.assertIn("You get these daily", email.body)
        self.assertEqual(MessageDigest.objects.get().period, "daily:2026-12-04")


class WorkerDigestTests(TransactionTestCase):
    """With the database task backend and only its worker: a message queues the sweep for the
    end of the hour, once for the hour; the worker sends the digest then, once, cron beside."""

    def setUp(self):
        self.enterContext(
            self.settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
        )
        self.clock = Clock()
        self.clock.moment = BASE
        self.enterContext(mock.patch("django.utils.timezone.now", self.clock))
        self.p = make_personas()
        self.relationship = mia_and_marco(self.p)

    def send(self, body):
        sending.message_send(relationship_id=self.relationship.pk, user=self.p.mentee, body=body)

    def test_the_worker_sends_one_digest_when_the_hour_ends(self):
        self.clock.moment = BASE + 5 * MINUTE
        self.send("Are you free on Thursday?")
        self.clock.moment = BASE + 20 * MINUTE
        self.send("Or Friday?")
        queued = DBTaskResult.objects.filter(task_path=send_message_digests.module_path)
        self.assertEqual(
            [(t.run_after, t.args_kwargs["kwargs"]) for t in queued],
            [(BASE + HOUR, {"relationship_ids": [self.relationship.pk]})],
        )
        self.clock.moment = BASE + 50 * MINUTE
        run_task_worker()
        self.assertEqual(mail.outbox, [])
        self.clock.moment = BASE + HOUR
        run_task_worker()
        run_task_worker()
        call_command("send_message_digests", stdout=io.StringIO())  # cron as well: harmless
        run_task_worker()
        (email,) = mail.outbox
        self.assertEqual(email.to, [self.p.mentor.email])
        self.assertIn("Are you free on Thursday?", email.body)
        self.assertIn("Or Friday?", email.body)
        # The next hour's message queues the next hour's sweep.
        self.clock.moment = BASE + HOUR + 10 * MINUTE
        self.send("See you then")
        self.clock.moment = BASE + 2 * HOUR
        run_task_worker()
        self.assertEqual(len(mail.outbox), 2)
        self.assertIn("See you then", mail.outbox[1].body)
        self.assertNotIn("Or Friday?", mail.outbox[1].body)
        # Nothing the worker keeps carries a word of the messages.
        for task in DBTaskResult.objects.all():
            self.assertNotIn("Thursday", str(task.args_kwargs))

    def test_cron_alone_sends_it_too(self):
        self.clock.moment = BASE + 5 * MINUTE
        self.send("Hello")
        self.clock.moment = BASE + HOUR + MINUTE
        out = io.StringIO()
        call_command("send_message_digests", stdout=out)
        self.assertEqual(out.getvalue().strip(), "Sent 1 message digest.")
        run_task_worker()  # delivers it; the sweep it also runs finds nothing new
        self.assertEqual(len(mail.outbox), 1)


class SmtpDigestTests(DigestTestCase):
    @pytest.fixture(autouse=True)
    def _smtp(self, smtp_server: tuple[Recorder, int]) -> None:
        self.server, self.port = smtp_server

    def test_a_digest_reaches_a_real_smtp_server_with_text_and_html(self):
        self.send(BASE + 5 * MINUTE, "Line one\nLine two <b>bold?</b> https://example.com/x")
        with smtp_settings(self.port):
            self.assertEqual(self.sweep(BASE + HOUR), 1)
        (envelope,) = self.server.envelopes
        self.assertEqual(envelope.rcpt_tos, [self.p.mentor.email])
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.assertEqual(
            str(message["Subject"]).strip(),
            "1 new message from Mia Mentee · Graduate Mentoring 2027",
        )
        parts = {part.get_content_type(): part.get_content() for part in message.iter_parts()}
        self.assertEqual(set(parts), {"text/plain", "text/html"})
        text = parts["text/plain"]
        self.assertIn("Line one\r\nLine two <b>bold?</b> https://example.com/x", text)
        self.assertIn("Line one<br>", parts["text/html"])
        self.assertIn("&lt;b&gt;bold?&lt;/b&gt;", parts["text/html"])
        self.assertIn(
            '<a href="https://example.com/x" rel="nofollow noopener">', parts["text/html"]
        )
