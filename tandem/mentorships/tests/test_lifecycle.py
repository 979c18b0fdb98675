"""A relationship's life after the match: pause, resume, conclude, closing reflections and
re-ignite, by members and by the coordinator, with their bad inputs, what each tells whom, the
history it leaves, and capacity checked under lock (two re-ignites at once on PostgreSQL)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import TestCase, TransactionTestCase
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import Notification
from tandem.core.testing import make_personas, race
from tandem.matching.tests.people import add_mentor, add_person
from tandem.mentorships.lifecycle import changes, closing
from tandem.mentorships.messaging.sending import message_send
from tandem.mentorships.models import (
    ClosingReflection,
    Message,
    ReigniteRequest,
    Relationship,
    RelationshipStatus,
    RelationshipStatusChange,
    Session,
)
from tandem.mentorships.sessions import proposing
from tandem.mentorships.sessions.access import CONCLUDED_MESSAGE
from tandem.mentorships.tests.journal import held_session
from tandem.mentorships.tests.pairs import at, mia_and_marco, next_week, relate
from tandem.programs.models import ParticipantStatus

TOMORROW = datetime.timedelta(days=1)


class LifecycleTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.relationship = mia_and_marco(cls.p)

    def status(self) -> str:
        return Relationship.objects.get(pk=self.relationship.pk).status

    def kinds_for(self, user) -> list[str]:
        return list(Notification.objects.filter(user=user).values_list("kind", flat=True))

    def pause(self, user=None, reason="Busy quarter at work", **kwargs):
        return changes.relationship_pause(
            relationship_id=self.relationship.pk,
            user=user or self.p.mentee,
            reason=reason,
            **kwargs,
        )

    def conclude(self, user=None, **kwargs):
        return changes.relationship_conclude(
            relationship_id=self.relationship.pk, user=user or self.p.mentee, **kwargs
        )


class PauseAndResumeTests(LifecycleTestCase):
    def test_a_pause_records_who_when_why_and_tells_the_partner_only(self):
        resume_on = timezone.localdate() + 30 * TOMORROW
        self.pause(resume_on=resume_on)
        self.assertEqual(self.status(), RelationshipStatus.PAUSED)
        change = RelationshipStatusChange.objects.get()
        self.assertEqual(
            (change.from_status, change.to_status, change.changed_by, change.reason),
            ("active", "paused", self.p.mentee, "Busy quarter at work"),
        )
        self.assertEqual(change.resume_on, resume_on)
        self.assertFalse(change.by_coordinator)
        self.assertEqual(self.kinds_for(self.p.mentor), ["relationship_paused"])
        self.assertEqual(self.kinds_for(self.p.mentee), [])

    def test_a_pause_needs_a_reason_and_a_resume_date_after_today(self):
        with self.assertRaisesMessage(ValidationError, "Say why"):
            self.pause(reason="  \n ")
        with self.assertRaisesMessage(ValidationError, "must be after today"):
            self.pause(resume_on=timezone.localdate())
        with self.assertRaisesMessage(ValidationError, "at most a year"):
            self.pause(resume_on=timezone.localdate() + 400 * TOMORROW)
        with self.assertRaises(ValidationError):
            self.pause(reason="nul\x00byte")
        self.assertEqual(self.status(), RelationshipStatus.ACTIVE)
        self.assertFalse(RelationshipStatusChange.objects.exists())

    def test_pausing_twice_changes_nothing_the_second_time(self):
        self.pause()
        with self.assertRaisesMessage(ValidationError, "only an active one can be paused"):
            self.pause(user=self.p.mentor)
        self.assertEqual(RelationshipStatusChange.objects.count(), 1)

    def test_a_paused_relationship_plans_no_session_until_it_resumes(self):
        self.pause()
        with self.assertRaisesMessage(ValidationError, "resume it first"):
            proposing.session_propose(
                relationship_id=self.relationship.pk, user=self.p.mentee, options=[at(next_week())]
            )
        changes.relationship_resume(relationship_id=self.relationship.pk, user=self.p.mentor)
        proposing.session_propose(
            relationship_id=self.relationship.pk, user=self.p.mentee, options=[at(next_week())]
        )
        self.assertEqual(Session.objects.count(), 1)
        self.assertEqual(self.kinds_for(self.p.mentee), ["relationship_resumed"])

    def test_resuming_what_is_not_paused_is_refused(self):
        with self.assertRaisesMessage(ValidationError, "not paused"):
            changes.relationship_resume(relationship_id=self.relationship.pk, user=self.p.mentee)
        self.assertFalse(RelationshipStatusChange.objects.exists())

    def test_resume_is_refused_when_the_mentor_has_no_room_left(self):
        self.pause()
        mentor = self.p.mentor_participant
        mentor.capacity = 0  # lowered by the coordinator during the pause
        mentor.save(update_fields=["capacity"])
        with self.assertRaisesMessage(ValidationError, "Marco Mentor has no room"):
            changes.relationship_resume(relationship_id=self.relationship.pk, user=self.p.mentee)
        self.assertEqual(self.status(), RelationshipStatus.PAUSED)

    def test_anyone_but_a_current_member_gets_a_404(self):
        nia = add_person(self.p.program, "nia@northwind.example").user
        for user in (self.p.coordinator, self.p.outsider, nia):
            with self.assertRaises(Http404):
                self.pause(user=user)
        self.p.mentee_participant.status = ParticipantStatus.WITHDRAWN
        self.p.mentee_participant.save(update_fields=["status"])
        with self.assertRaises(Http404):
            self.pause(user=self.p.mentee)
        with self.assertRaises(Http404):  # the members' path, not the coordinator's
            changes.relationship_resume(
                relationship_id=self.relationship.pk,
                user=self.p.other_coordinator,
                as_coordinator=True,
            )
        self.assertEqual(self.status(), RelationshipStatus.ACTIVE)


class ConcludeTests(LifecycleTestCase):
    def test_concluding_asks_every_member_for_a_closing_reflection(self):
        self.conclude(reason="We reached what we set out to do")
        relationship = Relationship.objects.get(pk=self.relationship.pk)
        self.assertEqual(relationship.status, RelationshipStatus.CONCLUDED)
        self.assertIsNotNone(relationship.concluded_at)
        for user in (self.p.mentee, self.p.mentor):
            self.assertEqual(self.kinds_for(user), ["relationship_concluded"])

    def test_a_concluded_relationship_is_read_only_and_cannot_conclude_again(self):
        self.conclude()
        with self.assertRaisesMessage(ValidationError, "concluded already"):
            self.conclude(user=self.p.mentor)
        with self.assertRaisesMessage(ValidationError, CONCLUDED_MESSAGE):
            message_send(relationship_id=self.relationship.pk, user=self.p.mentee, body="Hi")
        self.assertFalse(Message.objects.exists())
        self.assertEqual(RelationshipStatusChange.objects.count(), 1)

    def test_the_coordinator_concludes_and_every_member_is_told_it_was_the_coordinator(self):
        self.conclude(user=self.p.coordinator, as_coordinator=True)
        change = RelationshipStatusChange.objects.get()
        self.assertTrue(change.by_coordinator)
        for user in (self.p.mentee, self.p.mentor):
            text = Notification.objects.get(user=user).text
            self.assertTrue(text.startswith("Your coordinator concluded"), text)
        with self.assertRaises(Http404):  # another program's coordinator
            changes.relationship_reignite(
                relationship_id=self.relationship.pk, user=self.p.other_coordinator
            )

    def test_the_workspace_of_a_concluded_relationship_says_so_and_offers_the_reflection(self):
        self.conclude()
        self.client.force_login(self.p.mentor)
        response = self.client.get(reverse("mentorships:relationship", args=[self.relationship.pk]))
        self.assertContains(response, "This relationship has concluded.")
        self.assertContains(response, "Write your closing reflection")
        self.assertContains(response, "Ask to start again")
        self.assertNotContains(response, "Pause</a>")


class ClosingReflectionTests(LifecycleTestCase):
    def write(self, user, **kwargs):
        values = {"went_well": "Honest feedback", "learned": "To ask early", "again": "yes"}
        return closing.closing_reflection_save(
            relationship_id=self.relationship.pk, user=user, **{**values, **kwargs}
        )

    def test_only_once_concluded_and_saving_again_updates_the_one_row(self):
        with self.assertRaisesMessage(ValidationError, "once the relationship has concluded"):
            self.write(self.p.mentee)
        self.conclude()
        self.write(self.p.mentee)
        self.write(self.p.mentee, learned="To ask early, and often", shared=True)
        reflection = ClosingReflection.objects.get()
        self.assertEqual((reflection.learned, reflection.shared), ("To ask early, and often", True))

    def test_an_empty_reflection_or_an_unknown_answer_is_refused(self):
        self.conclude()
        with self.assertRaisesMessage(ValidationError, "at least what went well"):
            self.write(self.p.mentee, went_well=" ", learned="")
        with self.assertRaisesMessage(ValidationError, "Choose yes, not sure or no"):
            self.write(self.p.mentee, again="maybe-later")
        self.assertFalse(ClosingReflection.objects.exists())

    def test_the_partner_reads_a_shared_one_and_never_a_private_one(self):
        self.conclude()
        self.write(self.p.mentee, went_well="Mia-shared-closing", shared=True)
        self.write(self.p.mentor, went_well="Marco-private-closing")
        workspace = reverse("mentorships:relationship", args=[self.relationship.pk])
        self.client.force_login(self.p.mentor)
        page = self.client.get(workspace).content.decode()
        self.assertIn("Mia-shared-closing", page)
        self.assertIn("only you can see it", page)
        self.client.force_login(self.p.mentee)
        page = self.client.get(workspace).content.decode()
        self.assertNotIn("Marco-private-closing", page)
        self.client.force_login(self.p.coordinator)
        overview = reverse(
            "mentorships:relationship_overview", args=[self.p.program.pk, self.relationship.pk]
        )
        page = self.client.get(overview).content.decode()
        self.assertIn("2 of 2 closing reflections written", page)
        self.assertNotIn("Mia-shared-closing", page)


class ReigniteTests(LifecycleTestCase):
    def ask(self, user=None):
        return changes.reignite_ask(
            relationship_id=self.relationship.pk, user=user or self.p.mentee
        )

    def answer(self, user=None, accept=True):
        return changes.reignite_answer(
            relationship_id=self.relationship.pk, user=user or self.p.mentor, accept=accept
        )

    def test_only_a_concluded_relationship_can_be_asked_to_start_again(self):
        with self.assertRaisesMessage(ValidationError, "Only a concluded relationship"):
            self.ask()
        with self.assertRaisesMessage(ValidationError, "Only a concluded relationship"):
            changes.relationship_reignite(
                relationship_id=self.relationship.pk, user=self.p.coordinator
            )
        self.assertFalse(ReigniteRequest.objects.exists())

    def test_asking_twice_is_one_ask_and_the_asker_cannot_answer_it(self):
        self.conclude()
        self.assertEqual(self.ask().pk, self.ask().pk)
        self.assertEqual(ReigniteRequest.objects.count(), 1)
        with self.assertRaisesMessage(ValidationError, "Your partner answers your ask"):
            self.answer(user=self.p.mentee)
        self.assertEqual(self.kinds_for(self.p.mentor).count("relationship_reignite_asked"), 1)

    def test_accepting_makes_it_active_again_with_all_its_history(self):
        held = held_session(self.relationship)
        message_send(relationship_id=self.relationship.pk, user=self.p.mentee, body="Thanks!")
        self.conclude()
        self.ask()
        self.answer()
        self.assertEqual(self.status(), RelationshipStatus.ACTIVE)
        self.assertTrue(Session.objects.filter(pk=held.pk).exists())
        self.assertEqual(Message.objects.count(), 1)
        request = ReigniteRequest.objects.get()
        self.assertEqual((request.accepted, request.answered_by), (True, self.p.mentor))
        self.assertEqual(
            list(RelationshipStatusChange.objects.values_list("to_status", flat=True)),
            ["concluded", "active"],
        )
        self.assertIn("relationship_reignited", self.kinds_for(self.p.mentee))

    def test_declining_keeps_it_concluded_and_a_new_ask_can_follow(self):
        self.conclude()
        self.ask()
        self.answer(accept=False)
        self.assertEqual(self.status(), RelationshipStatus.CONCLUDED)
        with self.assertRaisesMessage(ValidationError, "Nobody has asked"):
            self.answer()
        self.ask(user=self.p.mentor)
        self.assertEqual(ReigniteRequest.objects.count(), 2)

    def test_refused_when_the_mentor_has_filled_the_place_or_the_mentee_matched_elsewhere(self):
        self.conclude()
        self.ask()
        mentor = self.p.mentor_participant
        mentor.capacity = 1
        mentor.save(update_fields=["capacity"])
        newcomer = add_person(self.p.program, "nia@northwind.example")
        relate(newcomer, mentor)
        with self.assertRaisesMessage(ValidationError, "Marco Mentor has no room: 1 of 1"):
            self.answer()
        mentor.capacity = 2
        mentor.save(update_fields=["capacity"])
        other_mentor = add_mentor(self.p.program, "nico@northwind.example")
        relate(self.p.mentee_participant, other_mentor)
        with self.assertRaisesMessage(ValidationError, "Mia Mentee is in another relationship"):
            self.answer()
        self.assertEqual(self.status(), RelationshipStatus.CONCLUDED)
        self.assertIsNone(ReigniteRequest.objects.get().answered_at)

    def test_the_coordinator_reignites_without_an_ask(self):
        self.conclude()
        changes.relationship_reignite(relationship_id=self.relationship.pk, user=self.p.coordinator)
        self.assertEqual(self.status(), RelationshipStatus.ACTIVE)
        self.assertTrue(RelationshipStatusChange.objects.filter(by_coordinator=True).exists())


class LifecyclePageTests(LifecycleTestCase):
    def test_the_pause_form_names_the_field_and_keeps_what_was_typed(self):
        self.client.force_login(self.p.mentee)
        url = reverse("mentorships:relationship_pause", args=[self.relationship.pk])
        self.assertContains(self.client.get(url), "Why pause")
        past = (timezone.localdate() - TOMORROW).isoformat()
        response = self.client.post(url, {"reason": "Exams, 📚; then back", "resume_on": past})
        self.assertContains(response, "must be after today")
        self.assertContains(response, "Exams, 📚; then back")
        self.assertEqual(self.status(), RelationshipStatus.ACTIVE)
        response = self.client.post(url, {"reason": "Exams"})
        self.assertRedirects(
            response, reverse("mentorships:relationship", args=[self.relationship.pk])
        )
        self.assertEqual(self.status(), RelationshipStatus.PAUSED)

    def test_a_double_submitted_conclude_makes_one_change_and_explains_the_second(self):
        self.client.force_login(self.p.mentee)
        url = reverse("mentorships:relationship_conclude", args=[self.relationship.pk])
        self.client.post(url, {"reason": ""})
        response = self.client.post(url, {"reason": ""}, follow=True)
        self.assertContains(response, "concluded already")
        self.assertEqual(RelationshipStatusChange.objects.count(), 1)

    def test_the_coordinator_sees_who_changed_the_status_and_when_never_why(self):
        self.pause(reason="canary-pause-reason-5e1")
        self.client.force_login(self.p.coordinator)
        overview = reverse(
            "mentorships:relationship_overview", args=[self.p.program.pk, self.relationship.pk]
        )
        response = self.client.get(overview)
        self.assertContains(response, "Active → Paused")
        self.assertContains(response, "Mia Mentee")
        self.assertNotContains(response, "canary-pause-reason-5e1")
        response = self.client.post(
            reverse(
                "mentorships:coordinator_resume", args=[self.p.program.pk, self.relationship.pk]
            )
        )
        self.assertRedirects(response, overview)
        self.assertEqual(self.status(), RelationshipStatus.ACTIVE)

    def test_a_member_reads_the_reason_in_the_history_on_the_workspace(self):
        self.pause(reason="Back after the audit", resume_on=timezone.localdate() + 9 * TOMORROW)
        self.client.force_login(self.p.mentor)
        response = self.client.get(reverse("mentorships:relationship", args=[self.relationship.pk]))
        self.assertContains(response, "Back after the audit")
        self.assertContains(response, "Paused until")


class ConcurrentReigniteTests(TransactionTestCase):
    """Two concluded relationships of one mentor with one place, re-ignited at the same moment
    on two connections: the mentor's locked row lets one through and refuses the other."""

    def test_two_reignites_at_once_never_overfill_the_mentor(self):
        p = make_personas()
        mentor = p.mentor_participant
        mentor.capacity = 1
        mentor.save(update_fields=["capacity"])
        first = mia_and_marco(p)
        second = relate(add_person(p.program, "nia@northwind.example"), mentor)
        Relationship.objects.update(status=RelationshipStatus.CONCLUDED)

        def reignite(relationship):
            return lambda: changes.relationship_reignite(
                relationship_id=relationship.pk, user=p.coordinator
            )

        results = race(reignite(first), reignite(second))
        refused = [r for r in results if isinstance(r, ValidationError)]
        self.assertEqual(len(refused), 1, results)
        self.assertIn("has no room", str(refused[0]))
        self.assertEqual(Relationship.objects.filter(status=RelationshipStatus.ACTIVE).count(), 1)
        self.assertEqual(RelationshipStatusChange.objects.count(), 1)
