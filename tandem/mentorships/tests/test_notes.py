"""Session notes: shared notes every member edits, a stale save refused with both versions
kept (service, page, and two real threads at once); private notes for their author; bad input."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.test import TestCase, TransactionTestCase
from django.urls import reverse

from tandem.core.testing import make_personas, race
from tandem.mentorships.journal import notes
from tandem.mentorships.models import PrivateNote, RelationshipStatus, SessionNotes
from tandem.mentorships.models.notes import MAX_NOTE_CHARS
from tandem.mentorships.sessions.access import CONCLUDED_MESSAGE, NotAMember
from tandem.mentorships.tests.journal import held_session, scheduled_session
from tandem.mentorships.tests.pairs import mia_and_marco
from tandem.programs.models import ParticipantStatus


class NotesTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.relationship = mia_and_marco(cls.p)
        cls.session = scheduled_session(cls.relationship)

    def save_shared(self, user, text, version):
        return notes.shared_notes_save(
            session_id=self.session.pk, user=user, text=text, based_on_version=version
        )

    def url(self, name):
        return reverse(f"mentorships:{name}", args=[self.session.pk])


class SharedNotesTests(NotesTestCase):
    def test_each_member_edits_them_and_the_version_rises(self):
        first = self.save_shared(self.p.mentee, "Talked about teams", 0)
        self.assertEqual((first.notes.version, first.changed), (1, True))
        second = self.save_shared(self.p.mentor, "Talked about teams\nNext: books", 1)
        self.assertEqual(second.notes.version, 2)
        self.assertEqual(second.notes.updated_by, self.p.mentor)
        self.assertEqual(SessionNotes.objects.get().text, "Talked about teams\nNext: books")

    def test_a_save_based_on_an_old_version_is_refused_and_both_texts_survive(self):
        self.save_shared(self.p.mentee, "Mia's version", 0)
        with self.assertRaises(notes.NotesConflict) as raised:
            self.save_shared(self.p.mentor, "Marco's version", 0)
        self.assertEqual(raised.exception.current.text, "Mia's version")
        self.assertEqual(raised.exception.yours, "Marco's version")
        self.assertIn("Mia Mentee saved these notes", raised.exception.messages[0])
        saved = SessionNotes.objects.get()
        self.assertEqual((saved.text, saved.version), ("Mia's version", 1))

    def test_a_double_submitted_save_is_not_a_conflict(self):
        self.save_shared(self.p.mentee, "Same words", 0)
        again = self.save_shared(self.p.mentee, "Same words", 0)
        self.assertFalse(again.changed)
        self.assertEqual(SessionNotes.objects.get().version, 1)

    def test_an_empty_save_clears_them(self):
        self.save_shared(self.p.mentee, "Something", 0)
        self.assertEqual(self.save_shared(self.p.mentee, "  \n ", 1).notes.text, "")

    def test_too_long_is_refused_naming_the_field_and_nothing_changes(self):
        with self.assertRaises(ValidationError) as raised:
            self.save_shared(self.p.mentee, "x" * (MAX_NOTE_CHARS + 1), 0)
        self.assertIn("text", raised.exception.error_dict)
        self.assertIn("20,000 characters", str(raised.exception))
        self.assertFalse(SessionNotes.objects.exclude(text="").exists())

    def test_refused_in_a_concluded_relationship(self):
        self.relationship.status = RelationshipStatus.CONCLUDED
        self.relationship.save(update_fields=["status"])
        with self.assertRaisesMessage(ValidationError, "concluded"):
            self.save_shared(self.p.mentee, "Late words", 0)
        self.assertFalse(SessionNotes.objects.exists())

    def test_a_member_who_left_gets_404(self):
        self.p.mentor_participant.status = ParticipantStatus.WITHDRAWN
        self.p.mentor_participant.save(update_fields=["status"])
        with self.assertRaises(NotAMember):
            self.save_shared(self.p.mentor, "words", 0)
        self.client.force_login(self.p.mentor)
        response = self.client.post(
            self.url("session_shared_notes"), {"shared-text": "words", "shared-version": "0"}
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(SessionNotes.objects.exists())


class SharedNotesPageTests(NotesTestCase):
    def post(self, user, text, version):
        self.client.force_login(user)
        return self.client.post(
            self.url("session_shared_notes"),
            {"shared-text": text, "shared-version": str(version)},
        )

    def test_two_people_editing_at_once_the_second_is_refused_and_sees_both_texts(self):
        # Both open the page at version 0.
        for user in (self.p.mentee, self.p.mentor):
            self.client.force_login(user)
            page = self.client.get(self.url("session"))
            self.assertContains(page, 'name="shared-version" value="0"')
        saved = self.post(self.p.mentee, "Mia wrote: goals 🎯\nline two", 0)
        self.assertRedirects(saved, self.url("session") + "#shared-notes")
        refused = self.post(self.p.mentor, "Marco wrote: <b>books</b>", 0)
        self.assertEqual(refused.status_code, 200)
        self.assertContains(refused, "Mia Mentee saved these notes while you were editing")
        self.assertContains(refused, "Mia wrote: goals 🎯\nline two")  # the current version
        self.assertContains(refused, "Marco wrote: &lt;b&gt;books&lt;/b&gt;")  # his, in the box
        self.assertNotContains(refused, "<b>books</b>")
        # His box is now based on the current version: saving his merge goes through.
        self.assertContains(refused, 'name="shared-version" value="1"')
        self.assertEqual(SessionNotes.objects.get().text, "Mia wrote: goals 🎯\nline two")
        merged = self.post(self.p.mentor, "Mia wrote: goals 🎯\nMarco: books", 1)
        self.assertEqual(merged.status_code, 302)
        self.assertEqual(SessionNotes.objects.get().version, 2)

    def test_bad_input_through_the_page(self):
        missing = self.post(self.p.mentee, "words", "")
        self.assertContains(missing, "Nothing was saved")
        long = self.post(self.p.mentee, "y" * (MAX_NOTE_CHARS + 1), 0)
        self.assertContains(long, "Nothing was saved")
        self.assertFalse(SessionNotes.objects.exists())

    def test_a_concluded_relationship_shows_them_read_only(self):
        self.post(self.p.mentee, "Kept for the record", 0)
        self.relationship.status = RelationshipStatus.CONCLUDED
        self.relationship.save(update_fields=["status"])
        page = self.client.get(self.url("session"))
        self.assertContains(page, "Kept for the record")
        self.assertNotContains(page, 'name="shared-text"')
        refused = self.post(self.p.mentee, "New words", 1)
        self.assertContains(refused, CONCLUDED_MESSAGE, count=2)  # the banner and the refusal
        self.assertEqual(SessionNotes.objects.get().text, "Kept for the record")


class PrivateNoteTests(NotesTestCase):
    def test_each_person_has_their_own_and_a_double_submit_makes_one_row(self):
        for _ in range(2):
            notes.private_note_save(session_id=self.session.pk, user=self.p.mentee, text="Mine")
        notes.private_note_save(session_id=self.session.pk, user=self.p.mentor, text="His")
        self.assertEqual(
            sorted(PrivateNote.objects.values_list("author__email", "text")),
            sorted([(self.p.mentee.email, "Mine"), (self.p.mentor.email, "His")]),
        )
        notes.private_note_save(session_id=self.session.pk, user=self.p.mentee, text="")
        self.assertEqual(PrivateNote.objects.get(author=self.p.mentee).text, "")

    def test_through_the_page_with_bad_input(self):
        self.client.force_login(self.p.mentee)
        url = self.url("session_private_notes")
        done = self.client.post(url, {"private-text": "Remember ✨\nthis"})
        self.assertRedirects(done, self.url("session") + "#private-notes")
        long = self.client.post(url, {"private-text": "z" * (MAX_NOTE_CHARS + 1)})
        self.assertContains(long, "Nothing was saved")
        self.assertEqual(PrivateNote.objects.get().text, "Remember ✨\nthis")
        held = held_session(self.relationship)
        self.relationship.status = RelationshipStatus.CONCLUDED
        self.relationship.save(update_fields=["status"])
        refused = self.client.post(
            reverse("mentorships:session_private_notes", args=[held.pk]), {"private-text": "x"}
        )
        self.assertContains(refused, CONCLUDED_MESSAGE, count=2)  # the banner and the refusal
        self.assertEqual(PrivateNote.objects.count(), 1)


class ConcurrentNotesTests(TransactionTestCase):
    """Two members save from the same version at the same moment, on two connections: one
    save wins, the other is refused with the winner's text, and neither text is lost."""

    def test_two_saves_from_the_same_version_at_once(self):
        p = make_personas()
        session = scheduled_session(mia_and_marco(p))

        def save(user, text):
            return lambda: notes.shared_notes_save(
                session_id=session.pk, user=user, text=text, based_on_version=0
            )

        results = race(save(p.mentee, "Mia's words"), save(p.mentor, "Marco's words"))
        conflicts = [r for r in results if isinstance(r, notes.NotesConflict)]
        saved = [r for r in results if isinstance(r, notes.NotesSaved)]
        self.assertEqual((len(conflicts), len(saved)), (1, 1), results)
        row = SessionNotes.objects.get()
        self.assertEqual(row.version, 1)
        self.assertEqual({row.text, conflicts[0].yours}, {"Mia's words", "Marco's words"})
        self.assertEqual(conflicts[0].current.text, row.text)
