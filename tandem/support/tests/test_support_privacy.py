"""A support request and a check-in reach exactly whom PRODUCT.md's privacy table says: their
author and the program's coordinators (the organization's admin runs the program too). The
partner never reads them, nor learns that a request exists; the coordinators' resolution note
is theirs alone; no email, notification or log line carries any of it. Every page the access
matrix opens to each persona, and every page another participant of the program can open, is
searched."""

from __future__ import annotations

import datetime

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import Notification
from tandem.mentorships.tests.canaries import CanaryWalk
from tandem.mentorships.tests.pairs import another_pair
from tandem.support.checkins import schedule
from tandem.support.checkins.services import checkin_answer
from tandem.support.models import Category, CheckIn, SupportRequest, Urgency
from tandem.support.requests import services

MESSAGE = "canary-support-message-5b3e"
REPLY = "canary-support-reply-c21d"
FOLLOW_UP = "canary-support-follow-up-81aa"
NOTE = "canary-support-resolution-note-0f47"
CHECKIN = "canary-checkin-comment-e9b0"
RUNNING = {"coordinator", "admin"}


class SupportPrivacyTests(CanaryWalk):
    readers = {
        MESSAGE: {"mentee", *RUNNING},
        REPLY: {"mentee", *RUNNING},
        FOLLOW_UP: {"mentee", *RUNNING},
        NOTE: RUNNING,
        CHECKIN: {"mentor", *RUNNING},  # Marco's check-in
    }

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.other_relationship, cls.nia, cls.nico = another_pair(cls.p)

    def setUp(self):
        super().setUp()
        p = self.p
        with self.captureOnCommitCallbacks(execute=True):
            self.request = services.support_request_create(
                program_id=p.program.pk,
                user=p.mentee,
                category=Category.CONDUCT,
                urgency=Urgency.HIGH,
                message=MESSAGE,
            )
            services.support_request_acknowledge(request=self.request, user=p.coordinator)
            services.support_reply(
                request=self.request,
                user=p.coordinator,
                text=REPLY,
                by_coordinator=True,
                pathway_id=p.pathway.pk,
            )
            services.support_reply(
                request=self.request, user=p.mentee, text=FOLLOW_UP, by_coordinator=False
            )
            services.support_request_resolve(request=self.request, user=p.coordinator, note=NOTE)
            asked = schedule.checkins_send(
                relationship_ids=[self.matching.relationship.pk],
                now=timezone.now() + datetime.timedelta(days=p.program.checkin_first_days),
            )
            self.assertEqual(asked, 1)  # Marco: the matrix has asked Mia already
            checkin_answer(
                checkin=CheckIn.objects.get(user=p.mentor), user=p.mentor, score=1, comment=CHECKIN
            )

    def fillers(self):
        return {**super().fillers(), "support_id": lambda: self.request.pk}

    def test_the_author_and_the_coordinator_read_what_is_theirs(self):
        author_page = reverse(
            "support:my_support_request", args=[self.p.program.pk, self.request.pk]
        )
        page = self.request_as("mentee", "GET", author_page).content.decode()
        for canary in (MESSAGE, REPLY, FOLLOW_UP):
            self.assertIn(canary, page)
        for canary in (NOTE, CHECKIN):
            self.assertNotIn(canary, page)
        coordinator_page = reverse("support:request", args=[self.p.program.pk, self.request.pk])
        page = self.request_as("coordinator", "GET", coordinator_page).content.decode()
        for canary in (MESSAGE, REPLY, FOLLOW_UP, NOTE):
            self.assertIn(canary, page)
        checkins = reverse("support:checkins", args=[self.p.program.pk])
        self.assertContains(self.request_as("coordinator", "GET", checkins), CHECKIN)

    def test_no_page_any_persona_may_open_shows_what_is_not_theirs(self):
        self.assert_no_page_shows_what_is_not_theirs()

    def test_the_partner_never_learns_a_request_exists(self):
        self.client.force_login(self.p.mentor)
        for url in (
            reverse("home"),
            reverse("notifications"),
            reverse("mentorships:relationship", args=[self.matching.relationship.pk]),
        ):
            page = self.client.get(url).content.decode()
            self.assertNotIn("Someone's conduct", page, url)
            self.assertNotIn("support request", page.lower(), url)
        own = self.client.get(reverse("support:my_support_requests", args=[self.p.program.pk]))
        self.assertContains(own, "You have not asked anything yet.")
        told = Notification.objects.filter(user=self.p.mentor, kind__startswith="support")
        self.assertFalse(told.exists())
        self.assertFalse(
            [m for m in mail.outbox if self.p.mentor.email in m.to and "request" in m.subject]
        )

    def test_another_participant_of_the_program_sees_none_of_it(self):
        program_id = self.p.program.pk
        self.assert_strangers_read_none(
            [self.nia, self.nico],
            readable=[
                reverse("home"),
                reverse("programs:support", args=[program_id]),
                reverse("support:my_support_requests", args=[program_id]),
            ],
            closed=[reverse("support:my_support_request", args=[program_id, self.request.pk])],
        )

    def test_no_email_notification_or_log_line_carries_any(self):
        kinds = set(Notification.objects.values_list("kind", flat=True))
        self.assertTrue({"support_request", "support_reply", "support_resolved"} <= kinds)
        self.assertGreaterEqual(len(mail.outbox), 4)
        self.assertEqual(SupportRequest.objects.count(), 2)  # the matrix's and this one
        self.assert_no_mail_notice_or_log_carries_any()
