"""Support requests: asking, with its bad inputs; what the coordinators (or, with none, the
organization's admins) are told and what the partner is never told; acknowledging, assigning,
replying, resolving and pausing, each once however often it is clicked; working days; the
queue's query count as requests double."""

from __future__ import annotations

import datetime
import zoneinfo

from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import Notification
from tandem.core.testing import make_personas
from tandem.matching.tests.people import add_person
from tandem.mentorships.models import Relationship, RelationshipStatus
from tandem.mentorships.tests.pairs import mia_and_marco
from tandem.programs.models import ReferralPathway
from tandem.support.models import Category, RequestStatus, SupportReply, SupportRequest, Urgency
from tandem.support.requests import services
from tandem.support.requests.selectors import add_working_days, is_overdue

LONDON = zoneinfo.ZoneInfo("Europe/London")


class SupportTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.relationship = mia_and_marco(cls.p)

    def ask(self, user=None, **kwargs):
        values = {
            "category": Category.WELLBEING,
            "urgency": Urgency.NORMAL,
            "message": "I am finding work hard at the moment.",
        }
        return services.support_request_create(
            program_id=self.p.program.pk, user=user or self.p.mentee, **{**values, **kwargs}
        )

    def kinds_for(self, user) -> list[str]:
        return list(Notification.objects.filter(user=user).values_list("kind", flat=True))


class AskTests(SupportTestCase):
    def test_the_coordinators_are_told_it_arrived_and_never_what_it_says_nor_the_partner(self):
        with self.captureOnCommitCallbacks(execute=True):
            self.ask(message="secret-words-7c1", urgency=Urgency.HIGH)
        self.assertEqual(self.kinds_for(self.p.coordinator), ["support_request"])
        self.assertEqual(self.kinds_for(self.p.mentor), [])
        self.assertEqual(self.kinds_for(self.p.admin), [])  # the program has a coordinator
        (email,) = mail.outbox
        self.assertEqual(email.to, [self.p.coordinator.email])
        self.assertIn("It is marked urgent", email.body)
        written = f"{email.subject}{email.body}{email.alternatives}"
        self.assertNotIn("secret-words-7c1", written)
        self.assertNotIn("Mia", written)

    def test_with_no_coordinator_the_organizations_admins_receive_it(self):
        self.p.program.coordinators.clear()
        with self.captureOnCommitCallbacks(execute=True):
            self.ask()
        self.assertEqual(self.kinds_for(self.p.admin), ["support_request"])
        self.assertEqual([m.to for m in mail.outbox], [[self.p.admin.email]])

    def test_bad_input_names_the_field_and_creates_nothing(self):
        cases = [
            ({"category": "gossip"}, "Choose what it is about"),
            ({"urgency": "yesterday"}, "Choose how soon"),
            ({"message": " \n "}, "Write a few words"),
            ({"message": "nul\x00"}, "NUL character"),
            ({"message": "x" * 5001}, "At most 5,000 characters"),
        ]
        for values, text in cases:
            with self.subTest(values=values), self.assertRaisesMessage(ValidationError, text):
                self.ask(**values)
        self.assertFalse(SupportRequest.objects.exists())

    def test_someone_outside_the_program_gets_a_404(self):
        with self.assertRaises(Http404):
            self.ask(user=self.p.outsider)

    def test_the_same_form_twice_is_one_request(self):
        first = self.ask(idempotency_key="form-1")
        second = self.ask(idempotency_key="form-1", message="again")
        self.assertEqual(first.pk, second.pk)
        self.assertEqual(SupportRequest.objects.count(), 1)

    def test_a_request_about_the_relationship_knows_which_one(self):
        request = self.ask(category=Category.CONDUCT)
        self.assertEqual(request.relationship, self.relationship)
        self.assertIsNone(self.ask(category=Category.WELLBEING).relationship)

    def test_a_windows_line_break_counts_as_one_character(self):
        request = self.ask(message="a\r\n" * 2000)
        self.assertEqual(request.message, ("a\n" * 2000).strip())


class WorkingTheRequestTests(SupportTestCase):
    def setUp(self):
        self.request = self.ask(category=Category.CONDUCT)
        Notification.objects.all().delete()

    def test_acknowledging_twice_tells_the_author_once(self):
        self.assertTrue(
            services.support_request_acknowledge(request=self.request, user=self.p.coordinator)
        )
        self.assertFalse(
            services.support_request_acknowledge(request=self.request, user=self.p.coordinator)
        )
        self.assertEqual(self.kinds_for(self.p.mentee), ["support_acknowledged"])
        self.request.refresh_from_db()
        self.assertEqual(self.request.status, RequestStatus.ACKNOWLEDGED)

    def test_only_the_programs_coordinators_and_admins_can_be_assigned(self):
        with self.assertRaisesMessage(ValidationError, "Choose one of the program's coordinators"):
            services.support_request_assign(
                request=self.request, user=self.p.coordinator, assignee_id=self.p.mentor.pk
            )
        services.support_request_assign(
            request=self.request, user=self.p.coordinator, assignee_id=self.p.admin.pk
        )
        self.request.refresh_from_db()
        self.assertEqual(self.request.assigned_to, self.p.admin)
        self.assertEqual(self.kinds_for(self.p.admin), ["support_request"])

    def test_a_reply_answers_and_points_only_to_this_programs_pathways(self):
        elsewhere = ReferralPathway.objects.create(
            program=self.p.other_program, name="Sales helpline", contact="sales@example.com"
        )
        with self.assertRaisesMessage(ValidationError, "one of the program's referral pathways"):
            services.support_reply(
                request=self.request,
                user=self.p.coordinator,
                text="Call them",
                by_coordinator=True,
                pathway_id=elsewhere.pk,
            )
        services.support_reply(
            request=self.request,
            user=self.p.coordinator,
            text="Thank you for telling us. Talk to them.",
            by_coordinator=True,
            pathway_id=self.p.pathway.pk,
            idempotency_key="reply-1",
        )
        services.support_reply(
            request=self.request,
            user=self.p.coordinator,
            text="Thank you for telling us. Talk to them.",
            by_coordinator=True,
            pathway_id=self.p.pathway.pk,
            idempotency_key="reply-1",
        )
        self.assertEqual(SupportReply.objects.count(), 1)
        self.request.refresh_from_db()
        self.assertEqual(self.request.status, RequestStatus.ACKNOWLEDGED)
        self.assertIsNotNone(self.request.answered_at)
        self.assertEqual(self.kinds_for(self.p.mentee), ["support_reply"])
        self.assertEqual(self.kinds_for(self.p.mentor), [])

    def test_resolving_twice_is_refused_and_a_follow_up_reopens_it(self):
        services.support_request_resolve(
            request=self.request, user=self.p.coordinator, note="Spoke to both; fine now."
        )
        with self.assertRaisesMessage(ValidationError, "resolved already"):
            services.support_request_resolve(request=self.request, user=self.p.coordinator, note="")
        services.support_reply(
            request=self.request,
            user=self.p.mentee,
            text="It happened again.",
            by_coordinator=False,
        )
        self.request.refresh_from_db()
        self.assertEqual(self.request.status, RequestStatus.ACKNOWLEDGED)
        self.assertIn("support_request", self.kinds_for(self.p.coordinator))

    def test_a_conduct_report_pauses_the_relationship_and_the_members_are_not_told_why(self):
        services.support_request_pause_relationship(request=self.request, user=self.p.coordinator)
        self.assertEqual(
            Relationship.objects.get(pk=self.relationship.pk).status, RelationshipStatus.PAUSED
        )
        (notice,) = Notification.objects.filter(user=self.p.mentor)
        self.assertEqual(notice.text, "Your coordinator paused your relationship.")
        with self.assertRaisesMessage(ValidationError, "not active"):
            self.request.relationship.refresh_from_db()
            services.support_request_pause_relationship(
                request=self.request, user=self.p.coordinator
            )

    def test_only_a_conduct_report_can_pause(self):
        wellbeing = self.ask()
        with self.assertRaisesMessage(ValidationError, "Only a conduct report"):
            services.support_request_pause_relationship(request=wellbeing, user=self.p.coordinator)


@override_settings(TIME_ZONE="Europe/London")
class WorkingDayTests(TestCase):
    def test_two_working_days_skip_the_weekend(self):
        friday = datetime.datetime(2030, 3, 8, 10, 0, tzinfo=LONDON)
        self.assertEqual(add_working_days(friday, 2), friday + datetime.timedelta(days=4))
        saturday = datetime.datetime(2030, 3, 9, 15, 0, tzinfo=LONDON)
        wednesday = datetime.datetime(2030, 3, 13, 0, 0, tzinfo=LONDON)
        self.assertEqual(add_working_days(saturday, 2), wednesday)

    def test_a_new_unanswered_request_is_overdue_after_two_working_days(self):
        monday = datetime.datetime(2030, 3, 4, 9, 0, tzinfo=LONDON)
        request = SupportRequest(status=RequestStatus.NEW, created_at=monday)
        self.assertFalse(is_overdue(request, monday + datetime.timedelta(days=2, minutes=-1)))
        self.assertTrue(is_overdue(request, monday + datetime.timedelta(days=2)))
        request.status = RequestStatus.ACKNOWLEDGED
        self.assertFalse(is_overdue(request, monday + datetime.timedelta(days=9)))


class QueuePageTests(SupportTestCase):
    def test_the_queue_reads_in_the_same_queries_as_requests_double(self):
        self.client.force_login(self.p.coordinator)
        url = reverse("support:queue", args=[self.p.program.pk])
        counts = []
        for n in (3, 6):
            while SupportRequest.objects.count() < n:
                person = add_person(
                    self.p.program, f"asker{SupportRequest.objects.count()}@n.example"
                )
                request = self.ask(user=person.user)
                services.support_request_assign(
                    request=request, user=self.p.coordinator, assignee_id=self.p.coordinator.pk
                )
                services.support_reply(
                    request=request, user=self.p.coordinator, text="On it", by_coordinator=True
                )
            with CaptureQueriesContext(connection) as queries:
                response = self.client.get(url)
            self.assertContains(response, "Nobody yet", count=0)  # every one is assigned
            self.assertContains(response, "Cora Coordinator", count=n)
            counts.append(len(queries))
        self.assertEqual(counts[0], counts[1])

    def test_an_overdue_request_is_flagged_in_the_queue(self):
        request = self.ask()
        SupportRequest.objects.filter(pk=request.pk).update(
            created_at=timezone.now() - datetime.timedelta(days=5)
        )
        self.client.force_login(self.p.coordinator)
        response = self.client.get(reverse("support:queue", args=[self.p.program.pk]))
        self.assertContains(response, "Waiting too long")
        self.assertContains(response, "1 request waiting more than two working days")

    def test_the_queue_across_programs_shows_only_ones_own_programs(self):
        self.ask()
        other = add_person(self.p.other_program, "sally@northwind.example")
        services.support_request_create(
            program_id=self.p.other_program.pk,
            user=other.user,
            category=Category.OTHER,
            urgency=Urgency.LOW,
            message="Sales question",
        )
        self.client.force_login(self.p.coordinator)
        response = self.client.get(reverse("support:queue_all"))
        self.assertContains(response, self.p.program.name)
        self.assertNotContains(response, "Sales Mentoring")


class MentorGuidanceTests(SupportTestCase):
    def test_the_mentors_workspace_links_to_the_programs_guidance_and_the_mentees_does_not(self):
        self.p.program.mentor_guidance = "Bring it back kindly; point to the helpline."
        self.p.program.save(update_fields=["mentor_guidance"])
        workspace = reverse("mentorships:relationship", args=[self.relationship.pk])
        guidance = reverse("programs:mentor_guidance", args=[self.p.program.pk])
        self.client.force_login(self.p.mentor)
        self.assertContains(self.client.get(workspace), f'href="{guidance}"')
        self.assertContains(self.client.get(guidance), "Bring it back kindly")
        self.client.force_login(self.p.mentee)
        self.assertNotContains(self.client.get(workspace), f'href="{guidance}"')

    def test_a_new_program_starts_with_the_default_guidance(self):
        self.assertIn("You are a mentor, not a therapist", self.p.program.mentor_guidance)
