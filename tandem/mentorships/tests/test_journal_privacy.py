"""Notes and reflections reach exactly whom PRODUCT.md's privacy table says, cell by cell.

Each item gets its own canary string: the shared notes (members, never the coordinator or
anyone else), Mia's private notes (Mia only: not Marco), Marco's private reflection (Marco
only: not Mia) and Mia's shared reflection (Mia and Marco, never the coordinator). Then every
page the access matrix opens to each persona (with the held session in every <session_id>),
every page of another participant of the program, every email and notification, and every
log line are searched. Each canary must show where it belongs, or the search proves nothing.
"""

from __future__ import annotations

from typing import Any

from django.core import mail
from django.urls import reverse

from tandem.accounts.models import Notification
from tandem.mentorships.journal import notes, reflections
from tandem.mentorships.journal.reflection_notices import NOTICE_AFTER, reflection_notices_send
from tandem.mentorships.tests.canaries import CanaryWalk
from tandem.mentorships.tests.journal import held_session
from tandem.mentorships.tests.pairs import another_pair

SHARED_NOTES = "canary-shared-notes-41c2"
MIA_PRIVATE_NOTE = "canary-private-note-mia-9d1e"
MARCO_PRIVATE_REFLECTION = "canary-private-reflection-marco-77b0"
MIA_SHARED_REFLECTION = "canary-shared-reflection-mia-3a5f"


class JournalPrivacyTests(CanaryWalk):
    readers = {
        SHARED_NOTES: {"mentee", "mentor"},
        MIA_PRIVATE_NOTE: {"mentee"},
        MARCO_PRIVATE_REFLECTION: {"mentor"},
        MIA_SHARED_REFLECTION: {"mentee", "mentor"},
    }

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.other_relationship, cls.nia, cls.nico = another_pair(cls.p)
        cls.held = held_session(cls.matching.relationship)

    def fillers(self) -> dict[str, Any]:
        return {**super().fillers(), "session_id": lambda: self.held.pk}

    def setUp(self):
        super().setUp()
        p, session_id = self.p, self.held.pk
        prompts = len(reflections.reflection_prompts_for(p.program))
        with self.captureOnCommitCallbacks(execute=True):
            notes.shared_notes_save(
                session_id=session_id, user=p.mentee, text=SHARED_NOTES, based_on_version=0
            )
            notes.private_note_save(session_id=session_id, user=p.mentee, text=MIA_PRIVATE_NOTE)
            reflections.reflection_save(
                session_id=session_id,
                user=p.mentor,
                answers=[MARCO_PRIVATE_REFLECTION] * prompts,
            )
            reflections.reflection_save(
                session_id=session_id,
                user=p.mentee,
                answers=[MIA_SHARED_REFLECTION] * prompts,
                shared=True,
            )
        # A second held session, nobody reflected yet: its notices go out too.
        second = held_session(self.matching.relationship)
        assert second.ends_at is not None
        with self.captureOnCommitCallbacks(execute=True):
            sent = reflection_notices_send(
                session_ids=[second.pk], now=second.ends_at + NOTICE_AFTER
            )
        self.assertEqual(sent, 2)

    def test_each_canary_shows_on_the_session_page_of_whom_it_is_for(self):
        self.assert_each_persona_reads_only_theirs(
            reverse("mentorships:session", args=[self.held.pk])
        )

    def test_no_page_any_persona_may_open_shows_what_is_not_theirs(self):
        self.assert_no_page_shows_what_is_not_theirs()
        overview = reverse(
            "mentorships:relationship_overview",
            args=[self.p.program.pk, self.matching.relationship.pk],
        )
        response = self.request_as("coordinator", "GET", overview)
        self.assertContains(response, "Held")  # that the session took place, and when
        self.assertNotContains(response, "reflection")  # not even whether anyone reflected

    def test_another_participant_of_the_program_sees_none_of_it(self):
        self.assert_strangers_read_none(
            [self.nia, self.nico],
            readable=[
                reverse("home"),
                reverse("programs:my_program", args=[self.p.program.pk]),
                reverse("mentorships:relationship", args=[self.other_relationship.pk]),
            ],
            closed=[
                reverse(f"mentorships:{name}", args=[self.held.pk])
                for name in ("session", "agenda")
            ],
        )

    def test_no_email_notification_or_log_line_carries_any(self):
        due = [m for m in mail.outbox if "Your reflection" in m.subject]
        self.assertEqual(len(due), 2)
        self.assertTrue(Notification.objects.filter(kind="reflection_shared").exists())
        self.assert_no_mail_notice_or_log_carries_any()
