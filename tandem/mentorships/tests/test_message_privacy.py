"""Messages reach exactly whom PRODUCT.md's privacy table says: the relationship's members, and
nobody else ("coordinator: counts only").

Mia and Marco each write a message with its own canary. Then every page the access matrix opens
to each persona, every page of another participant of the program (Nia and Nico), of a member
of another organization (Oscar, in the walk) and of Marco once he has left, every email (the
digests included), every notification and every log line are searched. Each canary must show
where it belongs, or the search proves nothing.
"""

from __future__ import annotations

import datetime
import logging

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import Notification
from tandem.core.tests.test_access_matrix import AccessMatrixWalk
from tandem.mentorships.messaging import sending
from tandem.mentorships.messaging.digests import message_digests_send
from tandem.mentorships.tests.pairs import another_pair
from tandem.programs.models import ParticipantStatus

MIA_MESSAGE = "canary-message-mia-5e02"
MARCO_MESSAGE = "canary-message-marco-c81d"
ALL = (MIA_MESSAGE, MARCO_MESSAGE)
MEMBERS = {"mentee", "mentor"}


class MessagePrivacyTests(AccessMatrixWalk):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.other_relationship, cls.nia, cls.nico = another_pair(cls.p)
        # Nia and Nico write to each other too: their pages have messages to show.
        sending.message_send(
            relationship_id=cls.other_relationship.pk, user=cls.nia, body="Hello Nico"
        )

    def setUp(self):
        super().setUp()
        self.logs = self.enterContext(self.assertLogs(level=logging.DEBUG))
        p, relationship_id = self.p, self.matching.relationship.pk
        with self.captureOnCommitCallbacks(execute=True):
            sending.message_send(
                relationship_id=relationship_id, user=p.mentee, body=f"Hi Marco {MIA_MESSAGE}"
            )
            sending.message_send(
                relationship_id=relationship_id, user=p.mentor, body=f"Hi Mia {MARCO_MESSAGE}"
            )
        # The digests of both (each lists the other's message), sent as the worker would.
        with self.captureOnCommitCallbacks(execute=True):
            sent = message_digests_send(now=timezone.now() + datetime.timedelta(hours=2))
        self.assertEqual(sent, 3)  # Mia's, Marco's, and Nico's of Nia's message
        self.messages_url = reverse("mentorships:messages", args=[relationship_id])

    def test_both_canaries_show_to_both_members(self):
        for persona in MEMBERS:
            for url in (
                self.messages_url,
                reverse("mentorships:relationship", args=[self.matching.relationship.pk]),
            ):
                page = self.request_as(persona, "GET", url).content.decode()
                for canary in ALL:
                    self.assertIn(canary, page, f"{canary} missing for {persona} on {url}")

    def test_no_page_anyone_else_may_open_shows_a_message(self):
        walked = 0
        for persona, name, url in self.pages_each_persona_may_see():
            if persona in MEMBERS:
                continue
            page = self.request_as(persona, "GET", url).content.decode()
            walked += 1
            for canary in ALL:
                self.assertNotIn(canary, page, f"{url} ({name}) as {persona}")
        self.assertGreater(walked, 50)
        # The coordinator sees that there are messages, and when: nothing of them.
        overview = reverse(
            "mentorships:relationship_overview",
            args=[self.p.program.pk, self.matching.relationship.pk],
        )
        response = self.request_as("coordinator", "GET", overview)
        self.assertContains(response, "2 messages, the latest on")
        self.assertNotContains(response, "Hi Marco")
        for persona in ("coordinator", "admin", "other_coordinator", "outsider"):
            self.assertEqual(self.request_as(persona, "GET", self.messages_url).status_code, 404)

    def test_another_participant_of_the_program_sees_none_of_them(self):
        urls = [
            reverse("home"),
            reverse("programs:my_program", args=[self.p.program.pk]),
            reverse("mentorships:relationship", args=[self.other_relationship.pk]),
            reverse("mentorships:messages", args=[self.other_relationship.pk]),
            reverse("notifications"),
        ]
        for user in (self.nia, self.nico):
            self.client.force_login(user)
            for url in urls:
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200, url)
                for canary in ALL:
                    self.assertNotIn(canary, response.content.decode(), f"{url} as {user.email}")
            self.assertEqual(self.client.get(self.messages_url).status_code, 404)
            response = self.client.post(self.messages_url, {"body": "Sneaking in"})
            self.assertEqual(response.status_code, 404)

    def test_someone_who_left_reads_nothing_more(self):
        self.p.mentor_participant.status = ParticipantStatus.WITHDRAWN
        self.p.mentor_participant.save(update_fields=["status"])
        self.client.force_login(self.p.mentor)
        self.assertEqual(self.client.get(self.messages_url).status_code, 404)
        workspace = reverse("mentorships:relationship", args=[self.matching.relationship.pk])
        self.assertEqual(self.client.get(workspace).status_code, 404)
        for url in (reverse("home"), reverse("notifications")):
            page = self.client.get(url).content.decode()
            for canary in ALL:
                self.assertNotIn(canary, page, url)
        # A new message from Mia reaches no email or notice of his.
        mail.outbox.clear()
        later = timezone.now() + datetime.timedelta(hours=3)
        with self.captureOnCommitCallbacks(execute=True):
            sending.message_send(
                relationship_id=self.matching.relationship.pk,
                user=self.p.mentee,
                body=f"After he left {MIA_MESSAGE}",
                now=later,
            )
            message_digests_send(now=later + datetime.timedelta(hours=2))
        self.assertEqual(mail.outbox, [])
        self.assertFalse(
            Notification.objects.filter(user=self.p.mentor, created_at__gte=later).exists()
        )

    def test_emails_carry_a_message_only_to_its_members_and_notices_and_logs_never(self):
        readers = {self.p.mentee.email, self.p.mentor.email}
        digests = [m for m in mail.outbox if "new message" in m.subject]
        self.assertEqual(len(digests), 3)
        for message in mail.outbox:
            html = "".join(str(content) for content, _ in message.alternatives)
            text = f"{message.subject}{message.body}{html}"
            if set(message.to) <= readers:
                continue
            for canary in ALL:
                self.assertNotIn(canary, text, message.to)
        # Each member's digest holds the other's message, not their own.
        (to_marco,) = [m for m in digests if m.to == [self.p.mentor.email]]
        self.assertIn(MIA_MESSAGE, to_marco.body)
        self.assertNotIn(MARCO_MESSAGE, to_marco.body)
        self.assertTrue(Notification.objects.filter(kind=sending.NOTICE_KIND).exists())
        for canary in ALL:
            self.assertFalse(Notification.objects.filter(text__contains=canary).exists())
        self.assertTrue(self.logs.output)
        for canary in ALL:
            self.assertFalse([line for line in self.logs.output if canary in line])
