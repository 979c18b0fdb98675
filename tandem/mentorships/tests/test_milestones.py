"""Milestones derived from activity: matched → first session held → goals set → mid-point →
concluded with reflections, reached in order, and how long a relationship has stood at its
current one, for a whole program in one query."""

from __future__ import annotations

import datetime

from django.test import TestCase
from django.utils import timezone

from tandem.core.testing import make_personas
from tandem.matching.tests.people import add_mentor, add_person
from tandem.mentorships.lifecycle.milestones import (
    Milestone,
    progress_for,
    progress_of,
    with_milestone_facts,
)
from tandem.mentorships.models import (
    ClosingReflection,
    Goal,
    Relationship,
    RelationshipMember,
    RelationshipStatus,
)
from tandem.mentorships.tests.journal import held_session
from tandem.mentorships.tests.pairs import DAY, mia_and_marco, relate


def backdate(relationship: Relationship, *, days: int, weeks: int = 26) -> None:
    relationship.started_on = timezone.localdate() - datetime.timedelta(days=days)
    relationship.intended_end_on = relationship.started_on + datetime.timedelta(weeks=weeks)
    relationship.save(update_fields=["started_on", "intended_end_on"])


def add_goal(relationship: Relationship) -> Goal:
    owner = relationship.members.order_by("pk")[0]
    return Goal.objects.create(relationship=relationship, owner=owner, title="Lead a project")


class MilestoneTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def setUp(self):
        self.relationship = mia_and_marco(self.p)
        backdate(self.relationship, days=10)

    def current(self) -> Milestone:
        return progress_for(self.relationship.pk).current

    def test_a_new_match_stands_at_matched_since_the_day_it_started(self):
        progress = progress_for(self.relationship.pk)
        self.assertEqual(progress.current, Milestone.MATCHED)
        self.assertEqual(progress.days_at_current(timezone.now()), 10)
        self.assertEqual([s.reached_at is not None for s in progress.steps], [True] + [False] * 4)

    def test_a_goal_set_before_the_first_session_counts_once_the_session_is_held(self):
        goal = add_goal(self.relationship)
        Goal.objects.filter(pk=goal.pk).update(created_at=timezone.now() - 5 * DAY)
        self.assertEqual(self.current(), Milestone.MATCHED)
        session = held_session(self.relationship, ended=2 * DAY)
        progress = progress_for(self.relationship.pk)
        self.assertEqual(progress.current, Milestone.GOALS_SET)
        self.assertEqual(progress.since, session.starts_at)  # the later of the two

    def test_the_midpoint_is_reached_by_time_once_goals_are_set(self):
        held_session(self.relationship)
        add_goal(self.relationship)
        self.assertEqual(self.current(), Milestone.GOALS_SET)
        backdate(self.relationship, days=100)  # half of 26 weeks is 91 days
        self.assertEqual(self.current(), Milestone.MIDPOINT)

    def test_concluded_only_once_every_current_member_wrote_a_closing_reflection(self):
        held_session(self.relationship)
        add_goal(self.relationship)
        backdate(self.relationship, days=200)
        self.relationship.status = RelationshipStatus.CONCLUDED
        self.relationship.concluded_at = timezone.now()
        self.relationship.save(update_fields=["status", "concluded_at"])
        ClosingReflection.objects.create(
            relationship=self.relationship, author=self.p.mentee, went_well="All of it"
        )
        self.assertEqual(self.current(), Milestone.MIDPOINT)
        ClosingReflection.objects.create(
            relationship=self.relationship, author=self.p.mentor, went_well="Her drive"
        )
        self.assertEqual(self.current(), Milestone.CONCLUDED)

    def test_a_whole_programs_milestones_and_days_are_one_query_however_many(self):
        for n in range(12):
            other = relate(
                add_person(self.p.program, f"mentee{n}@northwind.example"),
                add_mentor(self.p.program, f"mentor{n}@northwind.example"),
            )
            if n % 2:
                held_session(other)
            if n % 3 == 0:
                add_goal(other)
        now = timezone.now()
        with self.assertNumQueries(1):
            rows = list(with_milestone_facts(Relationship.objects.filter(program=self.p.program)))
            progress = [progress_of(r, now=now) for r in rows]
        self.assertEqual(len(progress), 13)
        by_milestone = {m: sum(1 for x in progress if x.current == m) for m in Milestone}
        # Held: n odd (6); of them goals too: n in {3, 9}. Goals alone wait for a session.
        self.assertEqual(by_milestone[Milestone.GOALS_SET], 2)
        self.assertEqual(by_milestone[Milestone.FIRST_SESSION], 4)
        self.assertEqual(by_milestone[Milestone.MATCHED], 7)
        self.assertEqual(RelationshipMember.objects.count(), 26)

    def test_the_workspace_shows_the_milestones_with_the_current_one_marked(self):
        held_session(self.relationship)
        self.client.force_login(self.p.mentee)
        response = self.client.get(f"/relationships/{self.relationship.pk}/")
        self.assertContains(response, 'aria-current="step"', count=1)
        self.assertContains(response, "At “First session held” since")

    def test_concluding_early_reaches_the_end_and_shows_what_was_skipped(self):
        held_session(self.relationship)
        self.relationship.status = RelationshipStatus.CONCLUDED
        self.relationship.concluded_at = timezone.now()
        self.relationship.save(update_fields=["status", "concluded_at"])
        for author in (self.p.mentee, self.p.mentor):
            ClosingReflection.objects.create(
                relationship=self.relationship, author=author, went_well="Short and good"
            )
        progress = progress_for(self.relationship.pk)
        self.assertEqual(progress.current, Milestone.CONCLUDED)
        reached = [s.reached_at is not None for s in progress.steps]
        self.assertEqual(reached, [True, True, False, False, True])
