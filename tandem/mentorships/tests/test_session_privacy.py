"""What members write about a session stays with them (PRODUCT.md privacy table).

A distinct canary string goes into the agenda, the note of a decline and the reason of a
cancellation; then every page the access matrix opens to the coordinator, the org admin,
another program's coordinator and the outsider, every page of another participant of the
program, every email and notification sent to any of them, and every log line written, are
searched for it. The partner's pages must show it: otherwise the search proves nothing.
"""

from __future__ import annotations

import logging

from django.core import mail
from django.urls import reverse

from tandem.accounts.models import Notification
from tandem.core.tests.test_access_matrix import AccessMatrixWalk
from tandem.mentorships.models import Agenda, Session, SessionStatus
from tandem.mentorships.sessions import agendas, outcomes, proposing
from tandem.mentorships.sessions.reminders import agenda_reminders_send
from tandem.mentorships.tests.pairs import DAY, HOUR, another_pair, next_week, times

CANARY = "canary-7f3a91-agenda-secret"
OUTSIDERS = ("outsider", "other_coordinator", "coordinator", "admin")


class SessionPrivacyTests(AccessMatrixWalk):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.other_relationship, cls.nia, cls.nico = another_pair(cls.p)

    def setUp(self):
        super().setUp()
        self.logs = self.enterContext(self.assertLogs(level=logging.DEBUG))
        p, relationship = self.p, self.matching.relationship
        start = next_week()
        with self.captureOnCommitCallbacks(execute=True):
            # The fixture's proposed session, with a canary agenda, is picked by Marco.
            Agenda.objects.filter(pk=self.sessions.agenda.pk).update(
                answers=[CANARY, CANARY], sent_at=None
            )
            session = self.sessions.session
            proposing.session_pick(
                session_id=session.pk, user=p.mentor, option_id=session.options.first().pk
            )
            agendas.agenda_save(
                session_id=session.pk, user=p.mentee, answers=[CANARY, CANARY], send=True
            )
            declined = proposing.session_propose(
                relationship_id=relationship.pk, user=p.mentee, options=times(start + DAY)
            ).session
            proposing.session_decline(
                session_id=declined.pk, user=p.mentor, note=CANARY, options=times(start + 2 * DAY)
            )
            cancelled = proposing.session_propose(
                relationship_id=relationship.pk, user=p.mentee, options=times(start + 3 * DAY)
            ).session
            outcomes.session_cancel(session_id=cancelled.pk, user=p.mentee, reason=CANARY)
            # A session whose agenda is due and not sent: its reminder goes out too.
            late = proposing.session_propose(
                relationship_id=relationship.pk, user=p.mentee, options=times(start + 4 * DAY)
            ).session
            proposing.session_pick(
                session_id=late.pk, user=p.mentor, option_id=late.options.get().pk
            )
            Agenda.objects.create(session=late, prompts=["x"], answers=[CANARY])
            self.assertEqual(agenda_reminders_send(now=start + 3 * DAY + HOUR), 1)
        self.assertEqual(
            Session.objects.filter(relationship=relationship).values("status").distinct().count(),
            3,
        )

    def test_the_partner_sees_the_canary(self):
        session_url = reverse("mentorships:session", args=[self.sessions.session.pk])
        self.client.force_login(self.p.mentor)
        self.assertContains(self.client.get(session_url), CANARY, count=2)

    def test_no_page_of_the_coordinator_or_anyone_else_shows_it(self):
        walked = 0
        for persona, name, url in self.pages_each_persona_may_see():
            if persona not in OUTSIDERS:
                continue
            response = self.request_as(persona, "GET", url)
            walked += 1
            self.assertNotIn(CANARY, response.content.decode(), f"{url} ({name}) as {persona}")
        self.assertGreater(walked, 80)
        overview = reverse(
            "mentorships:relationship_overview",
            args=[self.p.program.pk, self.matching.relationship.pk],
        )
        response = self.request_as("coordinator", "GET", overview)
        self.assertContains(response, "Scheduled")  # it shows that sessions exist
        self.assertContains(response, "Cancelled")
        self.assertContains(response, "Yes")  # the agenda went out in time
        self.assertNotContains(response, CANARY)

    def test_another_participant_of_the_program_sees_none_of_it(self):
        session_ids = Session.objects.filter(relationship=self.matching.relationship).values_list(
            "pk", flat=True
        )
        for user in (self.nia, self.nico):
            self.client.force_login(user)
            for url in [
                reverse("home"),
                reverse("programs:my_program", args=[self.p.program.pk]),
                reverse("mentorships:relationship", args=[self.other_relationship.pk]),
                *(reverse("mentorships:session", args=[pk]) for pk in session_ids),
                *(reverse("mentorships:agenda", args=[pk]) for pk in session_ids),
            ]:
                response = self.client.get(url)
                self.assertNotIn(CANARY, response.content.decode(), f"{url} as {user.email}")

    def test_no_email_notification_or_log_line_carries_it(self):
        self.assertTrue(mail.outbox)
        for message in mail.outbox:
            html = "".join(str(content) for content, _ in message.alternatives)
            self.assertNotIn(CANARY, f"{message.subject}{message.body}{html}", message.to)
        self.assertTrue(Notification.objects.filter(kind="agenda_received").exists())
        self.assertFalse(Notification.objects.filter(text__contains=CANARY).exists())
        self.assertTrue(self.logs.output)
        self.assertFalse([line for line in self.logs.output if CANARY in line])

    def test_a_status_change_is_visible_to_the_coordinator_without_content(self):
        session = self.sessions.session
        session.refresh_from_db()
        self.assertEqual(session.status, SessionStatus.SCHEDULED)
        response = self.request_as(
            "coordinator",
            "GET",
            reverse(
                "mentorships:relationship_overview",
                args=[self.p.program.pk, self.matching.relationship.pk],
            ),
        )
        self.assertNotContains(response, session.place)
