"""What members write about their relationship's life reaches exactly whom PRODUCT.md's privacy
table says: the reasons for a pause and a conclusion (the members, never the coordinator, who
sees who changed the status and when), Mia's private closing reflection (Mia only) and Marco's
shared one (Mia and Marco, never the coordinator). Every page the access matrix opens to each
persona, every page of another participant of the program, every email, notification and log
line is searched; each canary shows where it belongs, or the search proves nothing."""

from __future__ import annotations

import datetime

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import Notification
from tandem.mentorships.lifecycle import changes, closing
from tandem.mentorships.tests.canaries import CanaryWalk
from tandem.mentorships.tests.pairs import another_pair

PAUSE_REASON = "canary-pause-reason-1b7d"
CONCLUDE_REASON = "canary-conclude-reason-c04e"
MIA_PRIVATE_CLOSING = "canary-private-closing-mia-6f2a"
MARCO_SHARED_CLOSING = "canary-shared-closing-marco-90d3"


class LifecyclePrivacyTests(CanaryWalk):
    readers = {
        PAUSE_REASON: {"mentee", "mentor"},
        CONCLUDE_REASON: {"mentee", "mentor"},
        MIA_PRIVATE_CLOSING: {"mentee"},
        MARCO_SHARED_CLOSING: {"mentee", "mentor"},
    }

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.other_relationship, cls.nia, cls.nico = another_pair(cls.p)

    def setUp(self):
        super().setUp()
        p, relationship_id = self.p, self.matching.relationship.pk
        with self.captureOnCommitCallbacks(execute=True):
            changes.relationship_pause(
                relationship_id=relationship_id,
                user=p.mentee,
                reason=PAUSE_REASON,
                resume_on=timezone.localdate() + datetime.timedelta(days=20),
            )
            changes.relationship_resume(relationship_id=relationship_id, user=p.mentor)
            changes.relationship_conclude(
                relationship_id=relationship_id, user=p.mentor, reason=CONCLUDE_REASON
            )
            closing.closing_reflection_save(
                relationship_id=relationship_id,
                user=p.mentee,
                went_well=MIA_PRIVATE_CLOSING,
                learned=MIA_PRIVATE_CLOSING,
                again="yes",
            )
            closing.closing_reflection_save(
                relationship_id=relationship_id,
                user=p.mentor,
                went_well=MARCO_SHARED_CLOSING,
                learned="",
                again="not_sure",
                shared=True,
            )

    def test_each_canary_shows_on_the_workspace_of_whom_it_is_for(self):
        relationship_id = self.matching.relationship.pk
        self.assert_each_persona_reads_only_theirs(
            reverse("mentorships:relationship", args=[relationship_id]),
            reverse("mentorships:closing_reflection", args=[relationship_id]),
        )

    def test_no_page_any_persona_may_open_shows_what_is_not_theirs(self):
        self.assert_no_page_shows_what_is_not_theirs()
        overview = reverse(
            "mentorships:relationship_overview",
            args=[self.p.program.pk, self.matching.relationship.pk],
        )
        response = self.request_as("coordinator", "GET", overview)
        self.assertContains(response, "Paused → Active")  # who and when, not why
        self.assertContains(response, "2 of 2 closing reflections written")

    def test_another_participant_of_the_program_sees_none_of_it(self):
        relationship_id = self.matching.relationship.pk
        self.assert_strangers_read_none(
            [self.nia, self.nico],
            readable=[
                reverse("home"),
                reverse("programs:my_program", args=[self.p.program.pk]),
                reverse("mentorships:relationship", args=[self.other_relationship.pk]),
            ],
            closed=[
                reverse(f"mentorships:{name}", args=[relationship_id])
                for name in ("relationship", "closing_reflection", "relationship_pause")
            ],
        )

    def test_no_email_notification_or_log_line_carries_any(self):
        kinds = set(Notification.objects.values_list("kind", flat=True))
        self.assertTrue(
            {"relationship_paused", "relationship_resumed", "relationship_concluded"} <= kinds
        )
        self.assertGreaterEqual(len(mail.outbox), 3)
        self.assert_no_mail_notice_or_log_carries_any()
