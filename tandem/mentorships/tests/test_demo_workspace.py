"""The demo's living program (`make run`): what a visitor finds after the match."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import Notification
from tandem.mentorships.models import (
    Agenda,
    Goal,
    GoalSharing,
    GoalTask,
    Message,
    PrivateNote,
    Reflection,
    Relationship,
    RelationshipMember,
    RelationshipStatus,
    Session,
    SessionNotes,
    SessionStatus,
)
from tandem.mentorships.models.sessions import agenda_sent_on_time
from tandem.programs.models import Participant, Program

MODELS = (
    Relationship,
    RelationshipMember,
    Session,
    Agenda,
    SessionNotes,
    PrivateNote,
    Reflection,
    Goal,
    GoalTask,
    Message,
    Program,
    Participant,
    Notification,
)


def _load() -> None:
    call_command("load_demo", stdout=io.StringIO())


@override_settings(DEMO_MODE=True)
class WorkspaceDemoTests(TestCase):
    def setUp(self):
        _load()
        self.pair = Relationship.objects.get(members__participant__user__email="mentee@example.com")

    def test_mia_and_marco_are_matched_with_one_session_held_and_one_scheduled(self):
        emails = set(self.pair.members.values_list("participant__user__email", flat=True))
        self.assertEqual(emails, {"mentee@example.com", "mentor@example.com"})
        statuses = list(self.pair.sessions.order_by("starts_at").values_list("status", flat=True))
        self.assertEqual(statuses, [SessionStatus.HELD, SessionStatus.SCHEDULED])
        held, scheduled = self.pair.sessions.order_by("starts_at")
        now = timezone.now()
        self.assertTrue(held.ends_at and held.ends_at < now)
        self.assertTrue(scheduled.starts_at and scheduled.starts_at > now)

    def test_both_agendas_went_out_in_time_from_the_programs_templates(self):
        for session in self.pair.sessions.select_related("agenda__template"):
            with self.subTest(status=session.status):
                agenda = session.agenda
                self.assertTrue(agenda_sent_on_time(agenda.sent_at, session.agenda_due_at))
                self.assertIsNotNone(agenda.template)
                self.assertTrue(any(agenda.answers))

    def test_the_held_session_has_shared_notes_and_both_reflections(self):
        held = self.pair.sessions.get(status=SessionStatus.HELD)
        self.assertTrue(held.shared_notes.text)
        authors = set(held.reflections.values_list("author__email", flat=True))
        self.assertEqual(authors, {"mentee@example.com", "mentor@example.com"})

    def test_mia_has_a_private_goal_and_one_shared_with_marco_each_with_tasks(self):
        goals = Goal.objects.filter(relationship=self.pair)
        self.assertEqual(
            sorted(goals.values_list("sharing", flat=True)),
            sorted([GoalSharing.PRIVATE, GoalSharing.PARTNERS]),
        )
        self.assertEqual(
            set(goals.values_list("owner__participant__user__email", flat=True)),
            {"mentee@example.com"},
        )
        for goal in goals:
            self.assertGreaterEqual(goal.tasks.count(), 1)

    def test_they_have_written_to_each_other_and_marco_has_one_unread(self):
        authors = list(
            Message.objects.filter(relationship=self.pair)
            .order_by("created_at")
            .values_list("author__participant__user__email", flat=True)
        )
        self.assertEqual(
            authors, ["mentee@example.com", "mentor@example.com", "mentee@example.com"]
        )
        marco = self.pair.members.get(participant__user__email="mentor@example.com")
        self.client.force_login(marco.participant.user)
        page = self.client.get(reverse("mentorships:relationship", args=[self.pair.pk]))
        self.assertContains(page, "1 unread")
        self.assertContains(page, 'rel="nofollow noopener"')

    def test_there_is_a_group_a_paused_and_a_concluded_relationship(self):
        group = Relationship.objects.get(format="group")
        self.assertGreaterEqual(group.members.count(), 3)
        self.assertIn(
            "mentor@example.com",
            group.members.values_list("participant__user__email", flat=True),
        )
        paused = Relationship.objects.get(status=RelationshipStatus.PAUSED)
        concluded = Relationship.objects.get(status=RelationshipStatus.CONCLUDED)
        # Each got there the way members do: a row in its history, with the member's reason.
        for relationship in (paused, concluded):
            change = relationship.status_changes.get()
            self.assertEqual(change.to_status, relationship.status)
            self.assertTrue(change.reason)
        self.assertIsNotNone(concluded.concluded_at)
        reflection = concluded.closing_reflections.get()
        self.assertTrue(reflection.shared)
        mentor = concluded.members.get(role="mentor").participant.user
        self.client.force_login(mentor)
        page = self.client.get(reverse("mentorships:relationship", args=[concluded.pk]))
        self.assertContains(page, reflection.went_well)

    def test_mia_and_marco_have_news_of_their_sessions(self):
        for email in ("mentee@example.com", "mentor@example.com"):
            with self.subTest(email=email):
                self.assertTrue(Notification.objects.filter(user__email=email).exists())
        self.assertTrue(
            Notification.objects.filter(user__email="mentor@example.com", read_at=None).exists()
        )

    def test_loading_again_adds_nothing(self):
        before = [model.objects.count() for model in MODELS]
        _load()
        self.assertEqual([model.objects.count() for model in MODELS], before)
