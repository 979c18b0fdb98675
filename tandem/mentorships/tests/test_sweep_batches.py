"""The sweeps at scale (agenda reminders, reflection notices, message digests): a batch of
claims costs the same queries however many it holds, and two sweeps at once (real threads, two
connections) still send each notice once."""

from __future__ import annotations

from django.db import connection
from django.test import TestCase, TransactionTestCase
from django.test.utils import CaptureQueriesContext

from tandem.accounts.models import Notification
from tandem.core.testing import race
from tandem.mentorships import seeding
from tandem.mentorships.journal.reflection_notices import reflection_notices_send
from tandem.mentorships.messaging.digests import message_digests_send
from tandem.mentorships.models import MessageDigest, Relationship, Session
from tandem.mentorships.sessions.reminders import agenda_reminders_send


def sessions_of(program) -> list[int]:
    return list(Session.objects.filter(relationship__program=program).values_list("pk", flat=True))


class SweepQueryCountTests(TestCase):
    def queries(self, relationships: int) -> int:
        program = seeding.sweep_seed(relationships)
        with CaptureQueriesContext(connection) as queries:
            sent = agenda_reminders_send(session_ids=sessions_of(program))
        self.assertEqual(sent, relationships)
        return len(queries)

    def test_agenda_reminders_cost_the_same_queries_as_the_sessions_double(self):
        self.assertEqual(self.queries(3), self.queries(6))


class ConcurrentSweepTests(TransactionTestCase):
    def test_two_agenda_sweeps_at_once_remind_each_session_once(self):
        program = seeding.sweep_seed(4)
        ids = sessions_of(program)
        results = race(
            lambda: agenda_reminders_send(session_ids=ids),
            lambda: agenda_reminders_send(session_ids=ids),
        )
        self.assertEqual(sum(results), 4, results)
        self.assertEqual(Notification.objects.filter(kind="agenda_due").count(), 4)


class ReflectionSweepTests(TestCase):
    def queries(self, relationships: int) -> int:
        program = seeding.sweep_seed(relationships)
        with CaptureQueriesContext(connection) as queries:
            sent = reflection_notices_send(session_ids=sessions_of(program))
        self.assertEqual(sent, 2 * relationships)  # both members of each
        return len(queries)

    def test_reflection_notices_cost_the_same_queries_as_the_sessions_double(self):
        self.assertEqual(self.queries(3), self.queries(6))


class ConcurrentReflectionSweepTests(TransactionTestCase):
    def test_two_reflection_sweeps_at_once_tell_each_member_once(self):
        program = seeding.sweep_seed(4)
        ids = sessions_of(program)
        results = race(
            lambda: reflection_notices_send(session_ids=ids),
            lambda: reflection_notices_send(session_ids=ids),
        )
        self.assertEqual(sum(results), 8, results)
        self.assertEqual(Notification.objects.filter(kind="reflection_due").count(), 8)


class DigestSweepTests(TestCase):
    def queries(self, relationships: int) -> int:
        program = seeding.sweep_seed(relationships)
        ids = list(Relationship.objects.filter(program=program).values_list("pk", flat=True))
        with CaptureQueriesContext(connection) as queries:
            sent = message_digests_send(relationship_ids=ids)
        self.assertEqual(sent, relationships)  # the mentor of each has a message unread
        return len(queries)

    def test_message_digests_cost_the_same_queries_as_the_relationships_double(self):
        self.assertEqual(self.queries(3), self.queries(6))


class ConcurrentDigestSweepTests(TransactionTestCase):
    def test_two_digest_sweeps_at_once_claim_each_digest_once(self):
        program = seeding.sweep_seed(4)
        ids = list(Relationship.objects.filter(program=program).values_list("pk", flat=True))
        results = race(
            lambda: message_digests_send(relationship_ids=ids),
            lambda: message_digests_send(relationship_ids=ids),
        )
        self.assertEqual(sum(results), 4, results)
        self.assertEqual(MessageDigest.objects.count(), 4)
