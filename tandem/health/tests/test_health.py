"""The program health page: the match rate against the target; engaged, quiet, stuck and
low-check-in relationships (never a paused one); its one-click actions, each once however often
it is clicked; its charts and their tables; a query count flat as relationships double."""

from __future__ import annotations

import csv
import datetime
import io

from django.core import mail
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tandem.core.testing import make_personas
from tandem.health import charts
from tandem.health.models import CoordinatorNudge
from tandem.health.selectors import health_for
from tandem.matching.tests.people import add_mentor, add_person
from tandem.mentorships.messaging.sending import message_send
from tandem.mentorships.models import Relationship, RelationshipStatus
from tandem.mentorships.tests.journal import held_session
from tandem.mentorships.tests.pairs import mia_and_marco, relate
from tandem.support.models import CheckIn

DAY = datetime.timedelta(days=1)


def backdate(relationship: Relationship, days: int) -> None:
    relationship.started_on = timezone.localdate() - datetime.timedelta(days=days)
    relationship.intended_end_on = relationship.started_on + datetime.timedelta(weeks=26)
    relationship.save(update_fields=["started_on", "intended_end_on"])


class HealthTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def setUp(self):
        self.relationship = mia_and_marco(self.p)
        backdate(self.relationship, 40)
        self.url = reverse("health:health", args=[self.p.program.pk])


class ListTests(HealthTestCase):
    def test_a_relationship_with_nothing_for_30_days_is_quiet_and_stuck_at_matched(self):
        health = health_for(self.p.program)
        self.assertEqual([r.pk for r in health.quiet], [self.relationship.pk])
        self.assertEqual([r.pk for r in health.stuck], [self.relationship.pk])
        self.assertEqual(health.engaged, [])
        self.assertEqual(health.quiet[0].quiet_days, 40)

    def test_a_message_makes_it_engaged_and_not_quiet(self):
        message_send(relationship_id=self.relationship.pk, user=self.p.mentee, body="Coffee?")
        health = health_for(self.p.program)
        self.assertEqual([r.pk for r in health.engaged], [self.relationship.pk])
        self.assertEqual(health.quiet, [])

    def test_a_paused_relationship_is_counted_apart_and_listed_nowhere(self):
        Relationship.objects.filter(pk=self.relationship.pk).update(
            status=RelationshipStatus.PAUSED
        )
        health = health_for(self.p.program)
        self.assertEqual((health.paused, health.active), (1, 0))
        self.assertEqual((health.quiet, health.stuck, health.low), ([], [], []))

    def test_a_low_check_in_lists_it_and_a_good_one_does_not(self):
        CheckIn.objects.create(
            relationship=self.relationship,
            user=self.p.mentor,
            round=1,
            asked_at=timezone.now(),
            answered_at=timezone.now(),
            score=4,
        )
        self.assertEqual(health_for(self.p.program).low, [])
        CheckIn.objects.create(
            relationship=self.relationship,
            user=self.p.mentee,
            round=1,
            asked_at=timezone.now(),
            answered_at=timezone.now(),
            score=2,
        )
        self.assertEqual([r.pk for r in health_for(self.p.program).low], [self.relationship.pk])

    def test_the_match_rate_counts_joined_people_in_an_open_relationship(self):
        add_person(self.p.program, "waiting@northwind.example")
        health = health_for(self.p.program)
        self.assertEqual((health.matched, health.joined, health.match_rate), (2, 3, 67))
        self.assertFalse(health.meets_target)  # the program's target is 70%


class ActionTests(HealthTestCase):
    def nudge(self, key: str):
        self.client.force_login(self.p.coordinator)
        url = reverse("health:nudge", args=[self.p.program.pk, self.relationship.pk])
        return self.client.post(url, {"idempotency_key": key}, follow=True)

    def test_the_first_nudge_emails_the_mentee_the_second_the_mentor_too_a_double_click_once(
        self,
    ):
        with self.captureOnCommitCallbacks(execute=True):
            response = self.nudge("click-1")
            self.nudge("click-1")
        self.assertContains(response, "the mentee is emailed")
        self.assertEqual([m.to for m in mail.outbox], [[self.p.mentee.email]])
        with self.captureOnCommitCallbacks(execute=True):
            response = self.nudge("click-2")
        self.assertContains(response, "the mentee and the mentor are emailed")
        self.assertEqual(
            sorted(m.to[0] for m in mail.outbox[1:]),
            sorted([self.p.mentee.email, self.p.mentor.email]),
        )
        self.assertEqual(CoordinatorNudge.objects.count(), 2)
        self.assertEqual(mail.outbox[0].subject, "Time to meet again?")

    def test_a_paused_relationship_is_not_nudged(self):
        Relationship.objects.filter(pk=self.relationship.pk).update(
            status=RelationshipStatus.PAUSED
        )
        response = self.nudge("click-1")
        self.assertContains(response, "Only an active relationship can be nudged")
        self.assertEqual(mail.outbox, [])

    def test_asking_for_a_check_in_now_asks_each_member_once(self):
        self.client.force_login(self.p.coordinator)
        url = reverse("health:checkin", args=[self.p.program.pk, self.relationship.pk])
        self.assertContains(self.client.post(url, follow=True), "Asked 2 members")
        self.assertContains(self.client.post(url, follow=True), "asked for this round already")
        self.assertEqual(CheckIn.objects.count(), 2)

    def test_another_programs_coordinator_gets_a_404(self):
        self.client.force_login(self.p.other_coordinator)
        url = reverse("health:nudge", args=[self.p.program.pk, self.relationship.pk])
        self.assertEqual(self.client.post(url).status_code, 404)
        self.assertEqual(self.client.get(self.url).status_code, 404)


class ChartTests(HealthTestCase):
    def test_sessions_per_week_count_held_sessions_in_their_week(self):
        held_session(self.relationship, ended=DAY)
        held_session(self.relationship, ended=8 * DAY)
        chart = charts.sessions_chart(self.p.program, timezone.localdate())
        self.assertEqual(len(chart.bars), charts.WEEKS)
        self.assertEqual(sum(bar.value for bar in chart.bars), 2)

    def test_the_page_shows_each_chart_with_its_table(self):
        self.client.force_login(self.p.coordinator)
        response = self.client.get(self.url)
        self.assertContains(response, "<svg", count=3)
        self.assertContains(response, "target 70%")
        self.assertContains(response, "Match rate by week, against the target: the numbers")


class HealthQueryCountTests(HealthTestCase):
    def test_the_page_reads_in_the_same_queries_as_relationships_double(self):
        self.client.force_login(self.p.coordinator)
        counts = []
        made = 0
        for total in (3, 6):
            while made < total:
                relationship = relate(
                    add_person(self.p.program, f"m{made}@northwind.example"),
                    add_mentor(self.p.program, f"n{made}@northwind.example"),
                )
                held_session(relationship)
                made += 1
            with CaptureQueriesContext(connection) as queries:
                response = self.client.get(self.url)
            self.assertEqual(response.status_code, 200)
            counts.append(len(queries))
        self.assertEqual(counts[0], counts[1])


class ExportTests(HealthTestCase):
    def download(self, name: str) -> list[list[str]]:
        self.client.force_login(self.p.coordinator)
        response = self.client.get(reverse(f"health:{name}", args=[self.p.program.pk]))
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        self.assertIn("attachment;", response["Content-Disposition"])
        text = b"".join(response.streaming_content).decode()
        return list(csv.reader(io.StringIO(text)))

    def test_the_relationships_export_has_the_metadata_and_nothing_anyone_wrote(self):
        held_session(self.relationship)
        message_send(
            relationship_id=self.relationship.pk, user=self.p.mentee, body="canary-export-7a1"
        )
        CheckIn.objects.create(
            relationship=self.relationship,
            user=self.p.mentee,
            round=1,
            asked_at=timezone.now(),
            answered_at=timezone.now(),
            score=1,
            comment="canary-export-checkin-2b9",
        )
        header, row = self.download("export_relationships")
        self.assertEqual(header[0], "relationship")
        record = dict(zip(header, row, strict=True))
        self.assertEqual(record["relationship"], str(self.relationship.pk))
        self.assertEqual(record["sessions held"], "1")
        self.assertEqual(record["members"], "Mia Mentee (mentee); Marco Mentor (mentor)")
        self.assertEqual(record["low check-in"], "yes")
        flat = repr([header, row])
        self.assertNotIn("canary-export", flat)

    def test_a_name_a_spreadsheet_would_run_as_a_formula_is_quoted(self):
        self.p.mentee.full_name = '=HYPERLINK("http://evil.example")'
        self.p.mentee.save(update_fields=["full_name"])
        rows = self.download("export_health")
        self.assertEqual(rows[0][0], "list")
        members = [r[2] for r in rows[1:]]
        self.assertTrue(members)
        self.assertTrue(all(not m.startswith("=") for m in members), members)
        self.assertTrue(members[0].startswith("'=HYPERLINK"))
